"""Scoring: one subject's facts and the indicator model give a score, a grade and the reasons.

Pure Python and deterministic — the same facts and model always give the same result — so the
benchmark can check the plain-Cypher computation against it subject by subject, and the
explanation stored with an evaluation is exactly what produced its grade.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from graph.evaluation.facts import Source, SubjectFacts
from graph.evaluation.model import Family, Indicator, IndicatorModel
from graph.model import CreditGrade

_ORDER = {grade: i for i, grade in enumerate(CreditGrade)}


class IndicatorResult(NamedTuple):
    """An indicator that applied: the fact's value, the points, and the sources behind it."""

    family: str
    family_name: str
    code: str
    name: str
    value: float
    points: float
    sources: tuple[Source, ...]
    more_sources: int


class FamilyResult(NamedTuple):
    """A family's points after its bounds (the sum of its indicators may have been limited)."""

    code: str
    name: str
    points: float
    unbounded: float


class RuleHit(NamedTuple):
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
        """The explanation as stored on the Evaluation node (JSON, Chinese kept readable).

        Exactly ``json.dumps(self.explanation_data(), ensure_ascii=False,
        separators=(",", ":"))``, put together from pieces: a whole run writes one per
        enterprise, and the fixed text of each indicator and family is encoded once.
        """
        text = _text
        indicators = ",".join(
            [
                f"{_indicator_head(i.family, i.family_name, i.code, i.name)}"
                f'{_number(i.value)},"points":{_number(i.points)},"sources":['
                + ",".join(
                    [
                        f'{{"id":{text(s.id)},"kind":{text(s.kind)},"title":{text(s.title)}}}'
                        for s in i.sources
                    ]
                )
                + f'],"moreSources":{_number(i.more_sources)}}}'
                for i in self.indicators
            ]
        )
        families = ",".join(
            [
                f'{_family_head(f.code, f.name)}{_number(f.points)},"unbounded":'
                f"{_number(f.unbounded)}}}"
                for f in self.families
            ]
        )
        rules = ",".join(
            [
                f'{{"code":{text(r.code)},"name":{text(r.name)},'
                f'"maxGrade":{text(r.max_grade.value)}}}'
                for r in self.rules
            ]
        )
        return (
            f'{{"gradeByScore":{text(self.grade_by_score.value)},"indicators":[{indicators}],'
            f'"families":[{families}],"rules":[{rules}]}}'
        )

    def explanation_data(self) -> dict[str, Any]:
        """The explanation as data (what `explanation` encodes)."""
        return {
            "gradeByScore": self.grade_by_score.value,
            "indicators": [
                {
                    "family": i.family,
                    "familyName": i.family_name,
                    "code": i.code,
                    "name": i.name,
                    "value": i.value,
                    "points": i.points,
                    "sources": [{"id": s.id, "kind": s.kind, "title": s.title} for s in i.sources],
                    "moreSources": i.more_sources,
                }
                for i in self.indicators
            ],
            "families": [
                {"code": f.code, "name": f.name, "points": f.points, "unbounded": f.unbounded}
                for f in self.families
            ],
            "rules": [
                {"code": r.code, "name": r.name, "maxGrade": r.max_grade.value} for r in self.rules
            ],
        }


# What json.dumps(..., ensure_ascii=False) writes for a string.
_text: Callable[[str], str] = encode_basestring


def _number(value: float) -> str:
    # What json.dumps writes for a number: repr for finite floats and ints, json's spelling
    # (NaN, Infinity) otherwise.
    kind = type(value)
    if kind is float:
        if math.isfinite(value):
            return float.__repr__(value)
    elif kind is int:
        return int.__repr__(value)
    return json.dumps(value)


@lru_cache(maxsize=1024)
def _indicator_head(family: str, family_name: str, code: str, name: str) -> str:
    return (
        f'{{"family":{_text(family)},"familyName":{_text(family_name)},'
        f'"code":{_text(code)},"name":{_text(name)},"value":'
    )


@lru_cache(maxsize=256)
def _family_head(code: str, name: str) -> str:
    return f'{{"code":{_text(code)},"name":{_text(name)},"points":'


_Plan = tuple[tuple[Indicator, Family], ...]
_PLANS: dict[int, tuple[IndicatorModel, _Plan]] = {}


def _plan(model: IndicatorModel) -> _Plan:
    # Each indicator with its family, in the model's order, worked out once per model: a whole
    # run scores every enterprise with the same one.
    cached = _PLANS.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    plan = tuple((i, model.family(i.family)) for i in model.indicators)
    _PLANS[id(model)] = (model, plan)
    return plan


def score_subject(facts: SubjectFacts, model: IndicatorModel) -> Scored:
    """Score one subject with `model`."""
    found_facts = facts.facts
    indicators: list[IndicatorResult] = []
    sums: dict[str, float] = {}
    for indicator, family in _plan(model):
        found = found_facts.get(indicator.fact)
        if found is None or found.value == 0:
            continue
        points = indicator.score(found.value)
        sums[family.code] = sums.get(family.code, 0.0) + points
        sources = found.sources
        indicators.append(
            IndicatorResult(
                family.code,
                family.name,
                indicator.code,
                indicator.name,
                found.value,
                points,
                tuple(sources),
                max(0, found.total_sources - len(sources)),
            )
        )
    families = []
    total = model.base_score
    for family in model.families:
        raw = sums.get(family.code)
        if raw is None:
            continue
        bounded = max(family.min_points, min(family.max_points, raw))
        families.append(FamilyResult(family.code, family.name, bounded, raw))
        total += bounded
    score = round(max(model.min_score, min(model.max_score, total)), 2)
    by_score = model.grade_of(score)
    grade = by_score
    hits = []
    for rule in model.hard_rules:
        found = found_facts.get(rule.fact)
        if (found.value if found is not None else 0.0) >= rule.at_least:
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
