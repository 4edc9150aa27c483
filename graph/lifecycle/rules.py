"""The configurable deadlines and periods of the lifecycle, Henan's values by default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class LifecycleRules:
    """Deadlines in working days (mainland calendar) and other periods.

    Where regions differ, DOMAIN.md asks for configuration with the Henan value as default:
    Henan decides objections within 3 working days (7 when verification is needed) and repair
    applications within 1 (Shenzhen: 3). Each can be set from the environment as
    ``CREDITHUB_<FIELD NAME IN CAPITALS>``, e.g. ``CREDITHUB_REPAIR_DECISION_DAYS=3``.
    """

    objection_decision_days: int = 3
    objection_verification_days: int = 7
    repair_decision_days: int = 1
    withdrawal_days: int = 3
    red_list_announcement_days: int = 7
    black_list_notice_days: int = 5
    procurement_lookback_years: int = 3
    """Years before a procurement in which a serious violation bars it (政府采购法 第二十二条)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LifecycleRules:
        """The defaults, overridden by any ``CREDITHUB_…`` variable that is set."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for spec in fields(cls):
            raw = env.get(f"CREDITHUB_{spec.name.upper()}")
            if raw:
                value = int(raw)
                if not 0 <= value <= 60:
                    raise ValueError(f"CREDITHUB_{spec.name.upper()} must be 0..60")
                values[spec.name] = value
        return cls(**values)
