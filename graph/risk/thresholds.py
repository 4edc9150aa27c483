"""The thresholds and weights of the risk signals: ``thresholds.toml`` as typed, checked values.

Every section of the file is one frozen dataclass; a key the dataclass does not know, a value
of the wrong kind or out of range stops the load with a `ThresholdError` naming
``section.key``, so a mistyped threshold never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, get_type_hints

from graph.model import RecordKind, RiskSignal

__all__ = [
    "MAX_SCORE",
    "THRESHOLDS_FILE",
    "BurstThresholds",
    "ClusterThresholds",
    "ContagionThresholds",
    "RepresentativeChangeThresholds",
    "RiskThresholds",
    "ScanSettings",
    "ThresholdError",
    "load_thresholds",
]

THRESHOLDS_FILE: Final = Path(__file__).with_name("thresholds.toml")
MAX_SCORE: Final = 100.0
CONTAGION_ROLES: Final = ("LEGAL_REPRESENTATIVE", "ACTUAL_CONTROLLER", "CONTROLLING_SHAREHOLDER")


class ThresholdError(ValueError):
    """thresholds.toml cannot be used; the message names the key."""


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ThresholdError(f"{key}: {message}")


@dataclass(frozen=True)
class ScanSettings:
    """What the scan runs and how it reports."""

    signals: tuple[str, ...] = tuple(s.value for s in RiskSignal)
    subject_statuses: tuple[str, ...] = ("ACTIVE",)
    notify_office: bool = True
    subjects_per_notice: int = 20
    evidence_per_alert: int = 20

    def __post_init__(self) -> None:
        known = {s.value for s in RiskSignal}
        for signal in self.signals:
            _require(signal in known, "scan.signals", f"unknown signal {signal}")
        _require(bool(self.subject_statuses), "scan.subject_statuses", "must not be empty")
        _require(self.subjects_per_notice >= 1, "scan.subjects_per_notice", "must be ≥ 1")
        _require(self.evidence_per_alert >= 1, "scan.evidence_per_alert", "must be ≥ 1")

    @property
    def enabled(self) -> tuple[RiskSignal, ...]:
        """The signals to run."""
        return tuple(RiskSignal.of(s) for s in self.signals)


def _default_weights() -> Mapping[str, float]:
    return MappingProxyType(
        {"LEGAL_REPRESENTATIVE": 70.0, "ACTUAL_CONTROLLER": 90.0, "CONTROLLING_SHAREHOLDER": 80.0}
    )


@dataclass(frozen=True)
class ContagionThresholds:
    """关联风险传导."""

    roles: tuple[str, ...] = CONTAGION_ROLES
    controlling_share: float = 0.5
    include_bans: bool = True
    weights: Mapping[str, float] = field(default_factory=_default_weights)
    per_extra_link: float = 5.0

    def __post_init__(self) -> None:
        _require(bool(self.roles), "contagion.roles", "name at least one role")
        for role in self.roles:
            _require(role in CONTAGION_ROLES, "contagion.roles", f"unknown role {role}")
            _require(role in self.weights, "contagion.weights", f"no weight for {role}")
        for role, weight in self.weights.items():
            _require(role in CONTAGION_ROLES, "contagion.weights", f"unknown role {role}")
            _require(0.0 <= weight <= MAX_SCORE, f"contagion.weights.{role}", "must be 0–100")
        _require(
            0.0 <= self.controlling_share < 1.0, "contagion.controlling_share", "must be in [0, 1)"
        )
        _require(self.per_extra_link >= 0.0, "contagion.per_extra_link", "must be ≥ 0")


@dataclass(frozen=True)
class ClusterThresholds:
    """跨部门失信聚集."""

    min_departments: int = 3
    window_days: int = 365
    kinds: tuple[str, ...] = (
        "PENALTY",
        "JUDGMENT",
        "ENFORCEMENT",
        "ABNORMAL_OPERATION",
        "RECTIFICATION",
        "INTERVIEW",
        "COMMITMENT_BREACH",
        "LIABILITY",
    )
    base_score: float = 50.0
    per_extra_department: float = 10.0

    def __post_init__(self) -> None:
        _require(self.min_departments >= 2, "cluster.min_departments", "must be ≥ 2")
        _require(self.window_days >= 1, "cluster.window_days", "must be ≥ 1")
        _require(bool(self.kinds), "cluster.kinds", "name at least one record kind")
        for kind in self.kinds:
            _require(kind in RecordKind.__members__, "cluster.kinds", f"unknown kind {kind}")
        _require(0.0 <= self.base_score <= MAX_SCORE, "cluster.base_score", "must be 0–100")
        _require(self.per_extra_department >= 0.0, "cluster.per_extra_department", "must be ≥ 0")


@dataclass(frozen=True)
class BurstThresholds:
    """处罚激增."""

    min_penalties: int = 3
    window_days: int = 90
    base_score: float = 50.0
    per_extra_penalty: float = 10.0

    def __post_init__(self) -> None:
        _require(self.min_penalties >= 2, "burst.min_penalties", "must be ≥ 2")
        _require(self.window_days >= 1, "burst.window_days", "must be ≥ 1")
        _require(0.0 <= self.base_score <= MAX_SCORE, "burst.base_score", "must be 0–100")
        _require(self.per_extra_penalty >= 0.0, "burst.per_extra_penalty", "must be ≥ 0")


@dataclass(frozen=True)
class RepresentativeChangeThresholds:
    """处罚后变更法定代表人."""

    within_days: int = 30
    lookback_days: int = 365
    base_score: float = 60.0
    closeness_bonus: float = 30.0

    def __post_init__(self) -> None:
        key = "representative_change"
        _require(self.within_days >= 0, f"{key}.within_days", "must be ≥ 0")
        _require(self.lookback_days >= 1, f"{key}.lookback_days", "must be ≥ 1")
        _require(0.0 <= self.base_score <= MAX_SCORE, f"{key}.base_score", "must be 0–100")
        _require(self.closeness_bonus >= 0.0, f"{key}.closeness_bonus", "must be ≥ 0")


@dataclass(frozen=True)
class RiskThresholds:
    """Everything the scan is configured with."""

    version: str = "default"
    scan: ScanSettings = field(default_factory=ScanSettings)
    contagion: ContagionThresholds = field(default_factory=ContagionThresholds)
    cluster: ClusterThresholds = field(default_factory=ClusterThresholds)
    burst: BurstThresholds = field(default_factory=BurstThresholds)
    representative_change: RepresentativeChangeThresholds = field(
        default_factory=RepresentativeChangeThresholds
    )


_SECTIONS: Final[dict[str, type]] = {
    "scan": ScanSettings,
    "contagion": ContagionThresholds,
    "cluster": ClusterThresholds,
    "burst": BurstThresholds,
    "representative_change": RepresentativeChangeThresholds,
}


def _value(section: str, key: str, hint: Any, value: Any) -> Any:
    """`value` as the dataclass field's type, or ThresholdError."""
    where = f"{section}.{key}"
    text = str(hint)
    if hint is bool:
        _require(isinstance(value, bool), where, "must be true or false")
        return value
    if hint is int:
        _require(
            isinstance(value, int) and not isinstance(value, bool), where, "must be a whole number"
        )
        return value
    if hint is float:
        _require(
            isinstance(value, int | float) and not isinstance(value, bool),
            where,
            "must be a number",
        )
        return float(value)
    if text.startswith("tuple"):
        _require(
            isinstance(value, list) and all(isinstance(v, str) for v in value),
            where,
            "must be a list of names",
        )
        return tuple(value)
    if "Mapping" in text:
        _require(isinstance(value, dict), where, "must be a table of name = number")
        weights: dict[str, float] = {}
        for name, weight in value.items():
            weights[name] = _value(where, name, float, weight)
        return MappingProxyType(weights)
    raise ThresholdError(f"{where}: unsupported setting")  # pragma: no cover - a coding error


def parse_thresholds(data: Mapping[str, Any], source: str = "thresholds.toml") -> RiskThresholds:
    """Thresholds from parsed TOML; ThresholdError names the first bad key."""
    unknown = sorted(set(data) - {"version", *_SECTIONS})
    if unknown:
        raise ThresholdError(f"{source}: unknown section(s) {', '.join(unknown)}")
    parts: dict[str, Any] = {"version": str(data.get("version", "default"))}
    for section, cls in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ThresholdError(f"{source}: [{section}] must be a table")
        hints = get_type_hints(cls)
        names = {f.name for f in fields(cls)}
        extra = sorted(set(table) - names)
        if extra:
            raise ThresholdError(f"{source}: unknown key(s) in [{section}]: {', '.join(extra)}")
        values = {key: _value(section, key, hints[key], value) for key, value in table.items()}
        parts[section] = cls(**values)
    return RiskThresholds(**parts)


def load_thresholds(path: Path = THRESHOLDS_FILE) -> RiskThresholds:
    """The thresholds in `path` (defaults for what it leaves out)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ThresholdError(f"{path.name}: not valid TOML ({error})") from None
    return parse_thresholds(data, path.name)
