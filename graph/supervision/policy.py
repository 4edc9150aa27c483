"""Sampling ratios and frequency limits by credit grade (双随机 与信用等级相结合, 五(二)).

DOMAIN.md gives one city's bands — A ≤ 5 % and less than once a year, B 5–20 % once a year,
C 21–60 %, D 61–100 % — and says no grade is exempt. The values live in sampling.toml (or the
file named by ``CREDITHUB_SAMPLING_POLICY``) so an office can tune them; a task may choose its
own ratio inside each band and is refused outside it.

Enterprises without a current evaluation form the 未评价 stratum, sampled under another grade's
rule (B by default, ``unrated_like``).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from graph.lifecycle.base import InvalidInput
from graph.model import CreditGrade

UNRATED: Final = "UNRATED"
"""The stratum of enterprises without a current evaluation (未评价)."""

STRATA: Final = (*(grade.value for grade in CreditGrade), UNRATED)
"""Strata in the order the draw samples them (the order is part of what a seed reproduces)."""

STRATUM_LABELS: Final = {
    **{grade.value: f"{grade.value}（{grade.label}）" for grade in CreditGrade},
    UNRATED: "未评价",
}

POLICY_FILE: Final = Path(__file__).with_name("sampling.toml")


@dataclass(frozen=True)
class GradeRule:
    """One grade's band of ratios, its default ratio and how often an enterprise is drawn."""

    minimum: float
    maximum: float
    default: float
    max_draws_per_year: int | None = None
    rest_years: int = 0

    def check(self, stratum: str, ratio: float) -> float:
        """`ratio` when it lies in the band; InvalidInput naming the grade and band otherwise."""
        label = STRATUM_LABELS[stratum]
        if not math.isfinite(ratio) or ratio <= 0:
            raise InvalidInput(
                f"ratios.{stratum}",
                f"{label}的抽查比例必须大于0，任何等级都不免检 "
                "(a ratio must be above zero: no grade is exempt)",
            )
        if not self.minimum <= ratio <= self.maximum:
            raise InvalidInput(
                f"ratios.{stratum}",
                f"{label}的抽查比例应在{self.minimum:.0%}至{self.maximum:.0%}之间，"
                f"给出的是{ratio:.2%} (outside the grade's band)",
            )
        return ratio


@dataclass(frozen=True)
class SamplingPolicy:
    """The bands and limits per grade, the 未评价 rule, and inspectors per object."""

    grades: Mapping[str, GradeRule] = field(
        default_factory=lambda: {
            "A": GradeRule(0.0, 0.05, 0.03, 1, 1),
            "B": GradeRule(0.05, 0.20, 0.10, 1, 0),
            "C": GradeRule(0.21, 0.60, 0.30, None, 0),
            "D": GradeRule(0.61, 1.0, 0.70, None, 0),
        }
    )
    unrated_like: str = "B"
    inspectors_per_object: int = 2

    def rule(self, stratum: str) -> GradeRule:
        """The rule a stratum is sampled under (未评价: `unrated_like`'s)."""
        return self.grades[self.unrated_like if stratum == UNRATED else stratum]

    def ratios(self, given: Mapping[str, float] | None) -> dict[str, float]:
        """Every stratum's ratio: the ones given, checked against their bands, else defaults."""
        given = dict(given or {})
        unknown = set(given) - set(STRATA)
        if unknown:
            raise InvalidInput("ratios", f"未知的信用等级 {sorted(unknown)} (unknown grades)")
        return {
            stratum: self.rule(stratum).check(stratum, given[stratum])
            if given.get(stratum) is not None
            else self.rule(stratum).default
            for stratum in STRATA
        }

    @classmethod
    def from_toml(cls, data: Mapping[str, Any]) -> SamplingPolicy:
        """From sampling.toml's content; each grade A–D must be there."""
        grades = {}
        for grade in CreditGrade:
            entry = data["grades"][grade.value]
            limit = int(entry.get("max_draws_per_year", 0))
            rule = GradeRule(
                minimum=float(entry["minimum"]),
                maximum=float(entry["maximum"]),
                default=float(entry["default"]),
                max_draws_per_year=limit or None,
                rest_years=int(entry.get("rest_years", 0)),
            )
            if not 0 <= rule.minimum <= rule.default <= rule.maximum <= 1 or rule.default <= 0:
                raise ValueError(f"sampling policy: grade {grade.value} has an inconsistent band")
            grades[grade.value] = rule
        policy = cls(
            grades=grades,
            unrated_like=str(data.get("unrated_like", "B")),
            inspectors_per_object=int(data.get("inspectors_per_object", 2)),
        )
        if policy.unrated_like not in grades or policy.inspectors_per_object < 1:
            raise ValueError("sampling policy: unrated_like must be A–D, inspectors at least 1")
        return policy


@cache
def sampling_policy(path: str | None = None) -> SamplingPolicy:
    """The office's policy: ``CREDITHUB_SAMPLING_POLICY`` or the packaged sampling.toml."""
    chosen = Path(path or os.environ.get("CREDITHUB_SAMPLING_POLICY") or POLICY_FILE)
    with chosen.open("rb") as handle:
        return SamplingPolicy.from_toml(tomllib.load(handle))
