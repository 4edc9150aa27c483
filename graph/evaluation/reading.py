"""Reading stored evaluations and runs back (who may read them is the hub's question)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from graph.database import Database
from graph.evaluation.scoring import parse_explanation
from graph.model import CreditGrade, EvaluationScope, Label
from graph.publication import current_version


@dataclass(frozen=True)
class StoredSource:
    """A source behind an indicator."""

    id: str
    kind: str
    title: str


@dataclass(frozen=True)
class StoredIndicator:
    """An indicator as stored in an explanation."""

    family: str
    family_name: str
    code: str
    name: str
    value: float
    points: float
    sources: tuple[StoredSource, ...]
    more_sources: int


@dataclass(frozen=True)
class StoredFamily:
    """A family's bounded points."""

    code: str
    name: str
    points: float


@dataclass(frozen=True)
class StoredRule:
    """A hard rule that held."""

    code: str
    name: str
    max_grade: CreditGrade


@dataclass(frozen=True)
class StoredEvaluation:
    """One Evaluation node with its run and explanation."""

    id: str
    run_id: str
    uscc: str
    enterprise_name: str | None
    score: float
    grade: CreditGrade
    grade_by_score: CreditGrade | None
    previous_grade: CreditGrade | None
    evaluated_on: date
    current: bool
    model_version: str
    reason: str | None
    indicators: tuple[StoredIndicator, ...]
    families: tuple[StoredFamily, ...]
    rules: tuple[StoredRule, ...]

    @classmethod
    def of(cls, props: dict[str, Any], name: str | None) -> StoredEvaluation:
        """From the node's properties."""
        explained = parse_explanation(props.get("explanation"))
        by_score = explained.get("gradeByScore")
        previous = props.get("previousGrade")
        return cls(
            id=props["id"],
            run_id=props["runId"],
            uscc=props["uscc"],
            enterprise_name=name,
            score=float(props["score"]),
            grade=CreditGrade.of(props["grade"]),
            grade_by_score=CreditGrade.of(by_score) if by_score else None,
            previous_grade=CreditGrade.of(previous) if previous else None,
            evaluated_on=props["evaluatedOn"].to_native(),
            current=bool(props["current"]),
            model_version=props["modelVersion"],
            reason=props.get("reason"),
            indicators=tuple(
                StoredIndicator(
                    family=i["family"],
                    family_name=i["familyName"],
                    code=i["code"],
                    name=i["name"],
                    value=float(i["value"]),
                    points=float(i["points"]),
                    sources=tuple(StoredSource(**s) for s in i["sources"]),
                    more_sources=int(i["moreSources"]),
                )
                for i in explained["indicators"]
            ),
            families=tuple(
                StoredFamily(f["code"], f["name"], float(f["points"]))
                for f in explained["families"]
            ),
            rules=tuple(
                StoredRule(r["code"], r["name"], CreditGrade.of(r["maxGrade"]))
                for r in explained["rules"]
            ),
        )


@dataclass(frozen=True)
class StoredRun:
    """An EvaluationRun: a whole run, or a single-subject refresh."""

    id: str
    scope: str
    reason: str | None
    subject: str | None
    model_version: str
    evaluated_on: date
    started_at: datetime
    finished_at: datetime | None
    enterprises: int
    current: bool
    grade_counts: dict[CreditGrade, int]
    changed: int
    seconds: float | None

    @classmethod
    def of(cls, props: dict[str, Any]) -> StoredRun:
        """From the node's properties."""
        finished = props.get("finishedAt")
        return cls(
            id=props["id"],
            scope=props["scope"],
            reason=props.get("reason"),
            subject=props.get("subject"),
            model_version=props["modelVersion"],
            evaluated_on=props["evaluatedOn"].to_native(),
            started_at=props["startedAt"].to_native(),
            finished_at=finished.to_native() if finished is not None else None,
            enterprises=int(props.get("enterprises") or 0),
            current=bool(props.get("current")),
            grade_counts={g: int(props.get(f"grade{g.value}") or 0) for g in CreditGrade},
            changed=int(props.get("changed") or 0),
            seconds=props.get("seconds"),
        )


_EVALUATION: Final = (
    f"MATCH (v:{Label.EVALUATION} {{uscc: $uscc}}) WHERE {current_version('v')} "
    "OR NOT $currentOnly "
    "OPTIONAL MATCH (v)-[:EVALUATES]->(e:Enterprise) "
    "RETURN properties(v) AS v, e.name AS name "
    "ORDER BY v.current DESC, v.evaluatedOn DESC, v.id DESC LIMIT $limit"
)


async def current_evaluation(db: Database, uscc: str) -> StoredEvaluation | None:
    """The enterprise's current evaluation (None: 未评价)."""
    found = await db.read(_EVALUATION, {"uscc": uscc, "currentOnly": True, "limit": 1})
    return StoredEvaluation.of(found[0]["v"], found[0]["name"]) if found else None


async def evaluation_history(db: Database, uscc: str, *, limit: int) -> list[StoredEvaluation]:
    """The enterprise's evaluations, current first, then newest first."""
    found = await db.read(_EVALUATION, {"uscc": uscc, "currentOnly": False, "limit": limit})
    return [StoredEvaluation.of(row["v"], row["name"]) for row in found]


async def evaluation_runs(
    db: Database, *, limit: int, include_refreshes: bool = False
) -> list[StoredRun]:
    """Runs, newest first; single-subject refreshes only when asked for."""
    found = await db.read(
        f"MATCH (run:{Label.EVALUATION_RUN}) WHERE run.scope = '{EvaluationScope.ALL}' "
        "OR $refreshes "
        "RETURN properties(run) AS run ORDER BY run.startedAt DESC LIMIT $limit",
        {"refreshes": include_refreshes, "limit": limit},
    )
    return [StoredRun.of(row["run"]) for row in found]


async def evaluation_run(db: Database, run_id: str | None) -> StoredRun | None:
    """One run by id, or the current whole run."""
    found = await db.read(
        f"MATCH (run:{Label.EVALUATION_RUN}) WHERE ($id IS NULL "
        f"AND run.scope = '{EvaluationScope.ALL}' AND {current_version('run')}) "
        "OR run.id = $id RETURN properties(run) AS run LIMIT 1",
        {"id": run_id},
    )
    return StoredRun.of(found[0]["run"]) if found else None


async def current_grade_counts(db: Database) -> dict[CreditGrade, int]:
    """Counts of current grades now (the last run plus any refreshes since)."""
    found = await db.read(
        f"MATCH (v:{Label.EVALUATION}) WHERE {current_version('v')} "
        "RETURN v.grade AS grade, count(*) AS n"
    )
    counts = dict.fromkeys(CreditGrade, 0)
    for row in found:
        counts[CreditGrade.of(row["grade"])] = int(row["n"])
    return counts
