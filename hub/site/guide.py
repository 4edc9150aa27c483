"""The rules the guide page explains, taken from the code that enforces them.

Deadlines come from the hub's `LifecycleRules` (Henan's values unless configured otherwise),
periods from graph/publication.py and graph/lifecycle/repair.py, grounds from the model: so the
guide cannot tell a reader something the hub would then refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.lifecycle.repair import MINIMUM_LIST_MONTHS, NOT_REPAIRABLE_EARLY
from graph.lifecycle.rules import LifecycleRules
from graph.model import ObjectionGround, SeverityTier
from graph.publication import maximum_period_months, minimum_period_months


def months_in_words(months: int) -> str:
    """3 → 3个月, 12 → 1年, 36 → 3年."""
    if months and months % 12 == 0:
        return f"{months // 12}年"
    return f"{months}个月"


@dataclass(frozen=True)
class Tier:
    """One severity tier's publication period and when repair may be applied for."""

    label: str
    minimum: str
    maximum: str


@dataclass(frozen=True)
class GuideFacts:
    """Everything the guide states as a number or a list."""

    objection_days: int
    verification_days: int
    repair_days: int
    withdrawal_days: int
    grounds: tuple[str, ...]
    tiers: tuple[Tier, ...]
    list_minimum: str
    not_repairable_early: tuple[str, ...]

    @classmethod
    def of(cls, rules: LifecycleRules) -> GuideFacts:
        """The facts under `rules`."""
        return cls(
            objection_days=rules.objection_decision_days,
            verification_days=rules.objection_verification_days,
            repair_days=rules.repair_decision_days,
            withdrawal_days=rules.withdrawal_days,
            grounds=tuple(ground.label for ground in ObjectionGround),
            tiers=tuple(
                Tier(
                    label=tier.label,
                    minimum=months_in_words(minimum_period_months(tier)),
                    maximum=months_in_words(maximum_period_months(tier)),
                )
                for tier in (SeverityTier.GENERAL, SeverityTier.SERIOUS)
            ),
            list_minimum=months_in_words(MINIMUM_LIST_MONTHS),
            not_repairable_early=tuple(NOT_REPAIRABLE_EARLY),
        )
