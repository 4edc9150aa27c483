"""Scoring: one subject's facts and the indicator model give a score, a grade and the reasons.

Pure Python and deterministic — the same facts and model always give the same result — so the
benchmark can check the plain-Cypher computation against it subject by subject, and the
explanation stored with an evaluation is exactly what produced its grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from graph.evaluation.facts import Source, SubjectFacts
from graph.evaluation.model import IndicatorModel
from graph.model import CreditGrade

_ORDER = {grade: i for i, grade in enumerate(CreditGrade)}


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator that applied: the fact's value, the points, and the sources behind it."""

    family: str
    family_name: str
    code: str
    name: str
    value: float
    points: float
    sources: tuple[Source, ...]
    more_sources: int


@dataclass(frozen=True)
class FamilyResult:
    """A family's points after its bounds (the sum of its indicators may have been limited)."""

    code: str
    name: str
    points: float
    unbounded: float


@dataclass(frozen=True)
class RuleHit:
    """A hard rule that held for the subject."""

    code: str
    name: str
    max_grade: CreditGrade


@dataclass(frozen=True)
class Scored:
    """The outcome for one subject."""

    uscc: str
    score: float
    grade: CreditGrade
    grade_by_score: CreditGrade
    indicators: tuple[IndicatorResult, ...]
    families: tuple[FamilyResult, ...]
    rules: tuple[RuleHit, ...]

    def explanation(self) -> str:
        """The explanation as stored on the Evaluation node (JSON, Chinese kept readable)."""
        return json.dumps(
            {
                "gradeByScore": self.grade_by_score.value,
                "indicators": [
                    {
                        "family": i.family,
                        "familyName": i.family_name,
                        "code": i.code,
                        "name": i.name,
                        "value": i.value,
                        "points": i.points,
                        "sources": [
                            {"id": s.id, "kind": s.kind, "title": s.title} for s in i.sources
                        ],
                        "moreSources": i.more_sources,
                    }
                    for i in self.indicators
                ],
                "families": [
                    {"code": f.code, "name": f.name, "points": f.points, "unbounded": f.unbounded}
                    for f in self.families
                ],
                "rules": [
                    {"code": r.code, "name": r.name, "maxGrade": r.max_grade.value}
                    for r in self.rules
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def score_subject(facts: SubjectFacts, model: IndicatorModel) -> Scored:
    """Score one subject with `model`."""
    indicators: list[IndicatorResult] = []
    sums: dict[str, float] = {}
    for indicator in model.indicators:
        found = facts.facts.get(indicator.fact)
        if found is None or found.value == 0:
            continue
        points = indicator.score(found.value)
        sums[indicator.family] = sums.get(indicator.family, 0.0) + points
        family = model.family(indicator.family)
        indicators.append(
            IndicatorResult(
                family=family.code,
                family_name=family.name,
                code=indicator.code,
                name=indicator.name,
                value=found.value,
                points=points,
                sources=tuple(found.sources),
                more_sources=max(0, found.total_sources - len(found.sources)),
            )
        )
    families = []
    total = model.base_score
    for family in model.families:
        if family.code not in sums:
            continue
        raw = sums[family.code]
        bounded = max(family.min_points, min(family.max_points, raw))
        families.append(FamilyResult(family.code, family.name, bounded, raw))
        total += bounded
    score = round(max(model.min_score, min(model.max_score, total)), 2)
    by_score = model.grade_of(score)
    grade = by_score
    hits = []
    for rule in model.hard_rules:
        if facts.value(rule.fact) >= rule.at_least:
            hits.append(RuleHit(rule.code, rule.name, rule.max_grade))
            if _ORDER[rule.max_grade] > _ORDER[grade]:
                grade = rule.max_grade
    return Scored(
        uscc=facts.uscc,
        score=score,
        grade=grade,
        grade_by_score=by_score,
        indicators=tuple(indicators),
        families=tuple(families),
        rules=tuple(hits),
    )


def parse_explanation(text: str | None) -> dict[str, Any]:
    """A stored explanation back as a dict (empty parts when there is none)."""
    if not text:
        return {"gradeByScore": None, "indicators": [], "families": [], "rules": []}
    data: dict[str, Any] = json.loads(text)
    return data
