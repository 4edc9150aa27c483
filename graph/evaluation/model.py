"""The indicator model: graph/evaluation/indicator_model.toml as typed, checked dataclasses.

Everything an office would tune — families, indicators, points, caps, grade cut-offs, hard
rules — is in the TOML file, none of it in code. The only thing code fixes is which facts can
be gathered from the graph (`graph.evaluation.facts.Fact`); an indicator names one of them.
A file that does not hold together is refused with an `IndicatorModelError` naming the key.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from graph.evaluation.facts import Fact
from graph.model import CreditGrade

MODEL_FILE = Path(__file__).with_name("indicator_model.toml")

_TOP_KEYS = frozenset(
    {
        "version",
        "name",
        "base_score",
        "min_score",
        "max_score",
        "max_sources",
        "related_controlling_share",
        "annual_report_years",
        "grades",
        "families",
        "indicators",
        "hard_rules",
    }
)
_FAMILY_KEYS = frozenset({"code", "name", "min_points", "max_points"})
_INDICATOR_KEYS = frozenset({"code", "family", "name", "fact", "points", "cap", "bands"})
_RULE_KEYS = frozenset({"code", "name", "fact", "at_least", "max_grade"})
_CUT_GRADES = (CreditGrade.A, CreditGrade.B, CreditGrade.C)


class IndicatorModelError(ValueError):
    """The indicator model file is not usable; the message names the file and the key."""


@dataclass(frozen=True)
class Family:
    """An indicator family (指标类别) and the bounds of its summed points."""

    code: str
    name: str
    min_points: float
    max_points: float


@dataclass(frozen=True)
class Band:
    """A band of a banded indicator: `points` once the value reaches `start`."""

    start: float
    points: float


@dataclass(frozen=True)
class Indicator:
    """One indicator: a fact of the subject and how it turns into points."""

    code: str
    family: str
    name: str
    fact: Fact
    points: float | None
    cap: float | None
    bands: tuple[Band, ...]

    def score(self, value: float) -> float:
        """The points this value earns (negative for adverse facts)."""
        if self.bands:
            earned = 0.0
            for band in self.bands:
                if value >= band.start:
                    earned = band.points
            return earned
        assert self.points is not None
        earned = self.points * value
        if self.cap is not None:
            earned = max(-self.cap, min(self.cap, earned))
        return earned


@dataclass(frozen=True)
class HardRule:
    """一票否决: a subject whose fact reaches `at_least` is graded no better than `max_grade`."""

    code: str
    name: str
    fact: Fact
    at_least: float
    max_grade: CreditGrade


@dataclass(frozen=True)
class IndicatorModel:
    """The whole evaluation model, as read from the TOML file."""

    version: str
    name: str
    base_score: float
    min_score: float
    max_score: float
    max_sources: int
    related_controlling_share: float
    annual_report_years: int
    cutoffs: tuple[tuple[CreditGrade, float], ...]
    families: tuple[Family, ...]
    indicators: tuple[Indicator, ...]
    hard_rules: tuple[HardRule, ...]

    @cached_property
    def _families_by_code(self) -> dict[str, Family]:
        return {f.code: f for f in self.families}

    def family(self, code: str) -> Family:
        """The family with this code."""
        return self._families_by_code[code]

    def grade_of(self, score: float) -> CreditGrade:
        """The grade the cut-offs give a score (before hard rules)."""
        for grade, lowest in self.cutoffs:
            if score >= lowest:
                return grade
        return CreditGrade.D


# -- reading and checking --------------------------------------------------------------------
def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise IndicatorModelError(f"{where} must be a number (got {value!r})")
    return float(value)


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IndicatorModelError(f"{where} must be a non-empty string")
    return value.strip()


def _table(where: str, value: object, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise IndicatorModelError(f"{where} must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise IndicatorModelError(f"{where} has unknown keys {unknown}")
    return value


def _fact(where: str, value: object) -> Fact:
    try:
        return Fact(_text(where, value))
    except ValueError:
        known = ", ".join(f.value for f in Fact)
        raise IndicatorModelError(f"{where} = {value!r} is not a known fact ({known})") from None


def _grade(where: str, value: object) -> CreditGrade:
    try:
        return CreditGrade.of(_text(where, value))
    except ValueError:
        raise IndicatorModelError(f"{where} = {value!r} must be one of A, B, C, D") from None


def _cutoffs(
    source: str, raw: object, low: float, high: float
) -> tuple[tuple[CreditGrade, float], ...]:
    grades = _table(f"{source}: [grades]", raw, frozenset(g.value for g in _CUT_GRADES))
    cutoffs = []
    for grade in _CUT_GRADES:
        if grade.value not in grades:
            raise IndicatorModelError(
                f"{source}: [grades] needs {grade.value} = the lowest score of grade "
                f"{grade.value} (A, B and C; below C is D)"
            )
        cutoffs.append((grade, _number(f"{source}: grades.{grade.value}", grades[grade.value])))
    for (upper, upper_score), (lower, lower_score) in itertools.pairwise(cutoffs):
        if not upper_score > lower_score:
            raise IndicatorModelError(
                f"{source}: grade cut-offs must fall strictly from A to C: grades.{upper.value} = "
                f"{upper_score:g} is not above grades.{lower.value} = {lower_score:g} "
                f"(等级分数线须 A > B > C)"
            )
    for grade, score in cutoffs:
        if not low < score <= high:
            raise IndicatorModelError(
                f"{source}: grades.{grade.value} = {score:g} must lie above min_score "
                f"({low:g}) and at most max_score ({high:g})"
            )
    return tuple(cutoffs)


def _families(source: str, raw: object) -> tuple[Family, ...]:
    if not isinstance(raw, list) or not raw:
        raise IndicatorModelError(f"{source}: needs at least one [[families]] table")
    families: list[Family] = []
    for i, item in enumerate(raw):
        where = f"{source}: families[{i}]"
        table = _table(where, item, _FAMILY_KEYS)
        family = Family(
            code=_text(f"{where}.code", table.get("code")),
            name=_text(f"{where}.name", table.get("name")),
            min_points=_number(f"{where}.min_points", table.get("min_points", 0)),
            max_points=_number(f"{where}.max_points", table.get("max_points", 0)),
        )
        if family.min_points > 0 or family.max_points < 0:
            raise IndicatorModelError(f"{where}: min_points must be ≤ 0 and max_points ≥ 0")
        if any(f.code == family.code for f in families):
            raise IndicatorModelError(f"{where}.code = {family.code!r} appears twice")
        families.append(family)
    return tuple(families)


def _bands(where: str, raw: object) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise IndicatorModelError(f"{where} must be a non-empty list of {{from, points}}")
    bands = []
    for j, item in enumerate(raw):
        table = _table(f"{where}[{j}]", item, frozenset({"from", "points"}))
        bands.append(
            Band(
                start=_number(f"{where}[{j}].from", table.get("from")),
                points=_number(f"{where}[{j}].points", table.get("points")),
            )
        )
    if any(b.start <= a.start for a, b in itertools.pairwise(bands)):
        raise IndicatorModelError(f"{where}: bands must rise strictly in `from`")
    return tuple(bands)


def _indicators(source: str, raw: object, families: tuple[Family, ...]) -> tuple[Indicator, ...]:
    if not isinstance(raw, list) or not raw:
        raise IndicatorModelError(f"{source}: needs at least one [[indicators]] table")
    family_codes = {f.code for f in families}
    indicators: list[Indicator] = []
    for i, item in enumerate(raw):
        where = f"{source}: indicators[{i}]"
        table = _table(where, item, _INDICATOR_KEYS)
        code = _text(f"{where}.code", table.get("code"))
        where = f"{source}: indicator {code}"
        family = _text(f"{where}.family", table.get("family"))
        if family not in family_codes:
            raise IndicatorModelError(
                f"{where}.family = {family!r} is not a family of this model "
                f"({sorted(family_codes)})"
            )
        has_points, has_bands = "points" in table, "bands" in table
        if has_points == has_bands:
            raise IndicatorModelError(f"{where}: give either `points` (with `cap`) or `bands`")
        cap = None
        if "cap" in table:
            if has_bands:
                raise IndicatorModelError(f"{where}: `cap` goes with `points`, not with `bands`")
            cap = _number(f"{where}.cap", table["cap"])
            if cap < 0:
                raise IndicatorModelError(f"{where}.cap must not be negative")
        indicator = Indicator(
            code=code,
            family=family,
            name=_text(f"{where}.name", table.get("name")),
            fact=_fact(f"{where}.fact", table.get("fact")),
            points=_number(f"{where}.points", table["points"]) if has_points else None,
            cap=cap,
            bands=_bands(f"{where}.bands", table["bands"]) if has_bands else (),
        )
        if any(x.code == code for x in indicators):
            raise IndicatorModelError(f"{where}: code {code!r} appears twice")
        indicators.append(indicator)
    return tuple(indicators)


def _hard_rules(source: str, raw: object) -> tuple[HardRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise IndicatorModelError(f"{source}: hard_rules must be [[hard_rules]] tables")
    rules = []
    for i, item in enumerate(raw):
        where = f"{source}: hard_rules[{i}]"
        table = _table(where, item, _RULE_KEYS)
        rules.append(
            HardRule(
                code=_text(f"{where}.code", table.get("code")),
                name=_text(f"{where}.name", table.get("name")),
                fact=_fact(f"{where}.fact", table.get("fact")),
                at_least=_number(f"{where}.at_least", table.get("at_least", 1)),
                max_grade=_grade(f"{where}.max_grade", table.get("max_grade")),
            )
        )
    return tuple(rules)


def parse_model(data: dict[str, Any], source: str = MODEL_FILE.name) -> IndicatorModel:
    """Check a parsed TOML document and build the model; `IndicatorModelError` names the key."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise IndicatorModelError(f"{source}: unknown keys {unknown}")
    version = _text(f"{source}: version", data.get("version"))
    low = _number(f"{source}: min_score", data.get("min_score", 0))
    high = _number(f"{source}: max_score", data.get("max_score", 1000))
    if not low < high:
        raise IndicatorModelError(f"{source}: min_score must be below max_score")
    base = _number(f"{source}: base_score", data.get("base_score"))
    if not low <= base <= high:
        raise IndicatorModelError(f"{source}: base_score must lie within [min_score, max_score]")
    max_sources = data.get("max_sources", 5)
    if isinstance(max_sources, bool) or not isinstance(max_sources, int) or max_sources < 1:
        raise IndicatorModelError(f"{source}: max_sources must be a whole number ≥ 1")
    share = _number(f"{source}: related_controlling_share", data.get("related_controlling_share"))
    if not 0 < share <= 1:
        raise IndicatorModelError(f"{source}: related_controlling_share must be in (0, 1]")
    report_years = data.get("annual_report_years", 3)
    if isinstance(report_years, bool) or not isinstance(report_years, int) or report_years < 1:
        raise IndicatorModelError(f"{source}: annual_report_years must be a whole number ≥ 1")
    families = _families(source, data.get("families"))
    return IndicatorModel(
        version=version,
        name=_text(f"{source}: name", data.get("name", version)),
        base_score=base,
        min_score=low,
        max_score=high,
        max_sources=max_sources,
        related_controlling_share=share,
        annual_report_years=report_years,
        cutoffs=_cutoffs(source, data.get("grades"), low, high),
        families=families,
        indicators=_indicators(source, data.get("indicators"), families),
        hard_rules=_hard_rules(source, data.get("hard_rules")),
    )


def load_model(path: Path = MODEL_FILE) -> IndicatorModel:
    """Read and check an indicator model file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise IndicatorModelError(f"{path.name}: not valid TOML: {error}") from None
    except OSError as error:
        raise IndicatorModelError(f"{path}: cannot be read: {error.strerror}") from None
    return parse_model(data, path.name)


@cache
def default_model() -> IndicatorModel:
    """The model shipped in graph/evaluation/indicator_model.toml (read once)."""
    return load_model()
