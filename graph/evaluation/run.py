"""Running the evaluation: the whole graph in batches, or one subject inside a transaction.

A whole run (`evaluate_all`) reads every enterprise's facts with one aggregating statement per
batch (graph/evaluation/facts.py), scores them in Python and writes one `Evaluation` per
enterprise with UNWIND batches: while a batch is scored, the server reads the next ones
(`EvaluationSettings.readers` ahead) and writes the previous one. The previous evaluations stay
as history: only ``current`` moves to the new one, batch by batch, and the run itself becomes
the current run when its last batch is in. Departments, watching banks and associations are
then told (graph/evaluation/announcements.py).

A single-subject refresh (`refresh_subject`) does the same for one enterprise inside a caller's
transaction — credit repair calls it, so the repaired record stops counting in the same commit.
It is recorded as an `EvaluationRun` of scope SUBJECT with its reason; it never becomes the
current run. A refresh committed while a whole run is under way wins over that run's (older)
reading of the same subject: the run's batch leaves such a subject's evaluation alone.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.evaluation.announcements import GradeChange, announce_changes, announce_run
from graph.evaluation.facts import (
    Related,
    Runner,
    SubjectFacts,
    database_runner,
    gather,
    related_to_black_listed,
    transaction_runner,
)
from graph.evaluation.model import IndicatorModel, default_model
from graph.evaluation.scoring import Scored, score_subject
from graph.lifecycle.base import new_id, single
from graph.model import CreditGrade, EvaluationScope, Label
from graph.publication import current_version

SCOPE_ALL: Final = EvaluationScope.ALL.value
SCOPE_SUBJECT: Final = EvaluationScope.SUBJECT.value
REPAIR_REASON: Final = "信用修复后重新评价"


@dataclass(frozen=True)
class EvaluationSettings:
    """How a whole run is cut into transactions."""

    batch_size: int = 5000
    # Batches read ahead of the one being scored: a read waits on the server's CPU, and a second
    # one in flight keeps the pipeline fed when the machine is busy.
    readers: int = 2


@dataclass(frozen=True)
class RunSummary:
    """What a whole run did."""

    run_id: str
    model_version: str
    evaluated_on: date
    enterprises: int
    grade_counts: dict[CreditGrade, int]
    changed: int
    first_evaluated: int
    notices: int
    seconds: float
    changes: tuple[GradeChange, ...] = field(default=(), repr=False)


_CREATE_RUN: Final = (
    "CREATE (run:EvaluationRun {id: $id, scope: $scope, reason: $reason, subject: $subject, "
    "modelVersion: $version, modelName: $modelName, evaluatedOn: $today, "
    "startedAt: datetime(), current: false, enterprises: 0})"
)

WRITE: Final = (
    "MATCH (run:EvaluationRun {id: $runId}) "
    "UNWIND $rows AS row "
    "MATCH (e:Enterprise {uscc: row.uscc}) "
    f"OPTIONAL MATCH (old:{Label.EVALUATION} {{uscc: row.uscc}}) WHERE {current_version('old')} "
    "WITH run, row, e, collect(old) AS olds "
    # A refresh committed while this run was under way (a repair) read newer facts: keep it.
    "WHERE none(o IN olds WHERE o.createdAt > run.startedAt) "
    "FOREACH (o IN olds | SET o.current = false) "
    "CREATE (v:Evaluation {id: $runId + '/' + row.uscc, runId: $runId, uscc: row.uscc, "
    "score: row.score, grade: row.grade, gradeByScore: row.byScore, evaluatedOn: $today, "
    "current: true, createdAt: datetime(), modelVersion: $version, "
    "explanation: row.explanation, "
    "previousGrade: row.previous, reason: $reason}) "
    "CREATE (v)-[:EVALUATES]->(e), (v)-[:IN_RUN]->(run) "
    "RETURN count(v) AS written"
)

_FINISH: Final = (
    "MATCH (run:EvaluationRun {id: $id}) "
    "SET run.finishedAt = datetime(), run.enterprises = $enterprises, run.gradeA = $a, "
    "run.gradeB = $b, run.gradeC = $c, run.gradeD = $d, run.changed = $changed, "
    "run.firstEvaluated = $first, run.seconds = $seconds, run.current = $current "
    "WITH run "
    f"CALL (run) {{ MATCH (old:{Label.EVALUATION_RUN} {{scope: '{EvaluationScope.ALL}', "
    "current: true}) "
    "WHERE old <> run AND $current SET old.current = false } "
    "RETURN run.id AS id"
)


def _row(scored: Scored, subject: SubjectFacts) -> dict[str, Any]:
    return {
        "uscc": scored.uscc,
        "score": scored.score,
        "grade": scored.grade.value,
        "byScore": scored.grade_by_score.value,
        "explanation": scored.explanation(),
        "previous": subject.previous_grade,
    }


def _change(scored: Scored, subject: SubjectFacts) -> GradeChange | None:
    if subject.previous_grade is None or subject.previous_grade == scored.grade.value:
        return None
    return GradeChange(
        scored.uscc, subject.name, CreditGrade.of(subject.previous_grade), scored.grade
    )


@dataclass
class _ScoredBatch:
    """A batch scored: the rows to write and what the run's summary needs from it."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[CreditGrade, int] = field(default_factory=lambda: dict.fromkeys(CreditGrade, 0))
    changes: list[GradeChange] = field(default_factory=list)
    first: int = 0


_SCORING_SLICE: Final = 250


def _score_into(
    scored: _ScoredBatch,
    usccs: Sequence[str],
    facts: dict[str, SubjectFacts],
    model: IndicatorModel,
) -> None:
    for uscc in usccs:
        subject = facts.get(uscc)
        if subject is None:
            continue  # deleted since the list was read
        result = score_subject(subject, model)
        scored.counts[result.grade] += 1
        scored.rows.append(_row(result, subject))
        change = _change(result, subject)
        if change is not None:
            scored.changes.append(change)
        elif subject.previous_grade is None:
            scored.first += 1


async def _facts(
    run: Runner,
    usccs: Sequence[str],
    model: IndicatorModel,
    today: date,
    *,
    concurrent: bool,
    related: Related | None = None,
) -> dict[str, SubjectFacts]:
    return await gather(
        run,
        usccs,
        today=today,
        max_sources=model.max_sources,
        controlling_share=model.related_controlling_share,
        report_years=model.annual_report_years,
        concurrent=concurrent,
        related=related,
    )


async def evaluate_all(
    db: Database,
    *,
    today: date,
    model: IndicatorModel | None = None,
    settings: EvaluationSettings | None = None,
) -> RunSummary:
    """Evaluate every enterprise of the graph as a new run; tell those who must know."""
    model = model or default_model()
    settings = settings or EvaluationSettings()
    started = time.perf_counter()
    run_id = new_id("EVR")
    await db.write(
        _CREATE_RUN,
        {
            "id": run_id,
            "scope": SCOPE_ALL,
            "reason": None,
            "subject": None,
            "version": model.version,
            "modelName": model.name,
            "today": today,
        },
    )
    found = await db.read(
        "MATCH (e:Enterprise) WITH e.uscc AS uscc ORDER BY uscc RETURN collect(uscc) AS usccs"
    )
    usccs: list[str] = found[0]["usccs"] if found else []
    counts = dict.fromkeys(CreditGrade, 0)
    changes: list[GradeChange] = []
    first = 0
    reader = database_runner(db)
    related = await related_to_black_listed(
        reader,
        today=today,
        max_sources=model.max_sources,
        controlling_share=model.related_controlling_share,
    )
    # One batch is written at a time: every batch links its evaluations to the run node, and two
    # transactions adding to that node's relationship chain at once deadlock.
    writing: asyncio.Task[list[dict[str, Any]]] | None = None
    params = {"runId": run_id, "today": today, "version": model.version, "reason": None}
    batches = [
        usccs[start : start + settings.batch_size]
        for start in range(0, len(usccs), settings.batch_size)
    ]

    def read(batch: list[str]) -> asyncio.Task[dict[str, SubjectFacts]]:
        return asyncio.create_task(
            _facts(reader, batch, model, today, concurrent=True, related=related)
        )

    # Three things at once: the server answers the next batches' reads and writes the previous
    # batch while this one is scored. The scoring hands the event loop back every few hundred
    # subjects so that the driver can send those statements and take their answers meanwhile
    # (scored in one go, the next read would not even be sent before the scoring was done; a
    # worker thread fights the loop for the GIL and slows both). Batches touch different
    # subjects, so nothing waits on anything it needs.
    reading: deque[asyncio.Task[dict[str, SubjectFacts]]] = deque(
        read(batch) for batch in batches[: max(1, settings.readers)]
    )
    try:
        for i, batch in enumerate(batches):
            facts = await reading.popleft()
            ahead = i + max(1, settings.readers)
            if ahead < len(batches):
                reading.append(read(batches[ahead]))
            scored = _ScoredBatch()
            for start in range(0, len(batch), _SCORING_SLICE):
                _score_into(scored, batch[start : start + _SCORING_SLICE], facts, model)
                await asyncio.sleep(0)
            for grade, n in scored.counts.items():
                counts[grade] += n
            changes += scored.changes
            first += scored.first
            if writing is not None:
                await writing
            writing = asyncio.create_task(db.write(WRITE, {**params, "rows": scored.rows}))
        if writing is not None:
            await writing
    finally:
        # A failed batch fails the run (it never becomes current); let the others end first.
        await asyncio.gather(
            *([writing] if writing is not None else []), *reading, return_exceptions=True
        )
    enterprises = sum(counts.values())
    seconds = time.perf_counter() - started

    async def finish(tx: neo4j.AsyncManagedTransaction) -> int:
        await single(
            tx,
            _FINISH,
            {
                "id": run_id,
                "enterprises": enterprises,
                "a": counts[CreditGrade.A],
                "b": counts[CreditGrade.B],
                "c": counts[CreditGrade.C],
                "d": counts[CreditGrade.D],
                "changed": len(changes),
                "first": first,
                "seconds": round(seconds, 3),
                "current": True,
            },
        )
        sent = await announce_run(
            tx,
            run_id=run_id,
            model_version=model.version,
            counts=counts,
            changed=len(changes),
        )
        return sent + await announce_changes(tx, changes, ref=run_id)

    notices = await db.write_transaction(finish)
    return RunSummary(
        run_id=run_id,
        model_version=model.version,
        evaluated_on=today,
        enterprises=enterprises,
        grade_counts=counts,
        changed=len(changes),
        first_evaluated=first,
        notices=notices,
        seconds=time.perf_counter() - started,
        changes=tuple(changes),
    )


async def reevaluate_repaired(tx: neo4j.AsyncManagedTransaction, uscc: str, today: date) -> None:
    """Re-evaluate a subject whose record was just repaired (graph/lifecycle/repair.py
    `decide_repair` is given this), in the repair's transaction."""
    await refresh_subject(tx, uscc, today=today, reason=REPAIR_REASON)


async def refresh_subject(
    tx: neo4j.AsyncManagedTransaction,
    uscc: str,
    *,
    today: date,
    reason: str,
    model: IndicatorModel | None = None,
) -> Scored | None:
    """Re-evaluate one enterprise inside `tx` (None when no such enterprise).

    The new evaluation becomes the subject's current one; a changed grade is announced to its
    watching banks and associations as a whole run would.
    """
    model = model or default_model()
    facts = await _facts(transaction_runner(tx), [uscc], model, today, concurrent=False)
    subject = facts.get(uscc)
    if subject is None:
        return None
    scored = score_subject(subject, model)
    run_id = new_id("EVR")
    await tx.run(
        _CREATE_RUN,
        {
            "id": run_id,
            "scope": SCOPE_SUBJECT,
            "reason": reason,
            "subject": uscc,
            "version": model.version,
            "modelName": model.name,
            "today": today,
        },
    )
    await tx.run(
        WRITE,
        {
            "runId": run_id,
            "today": today,
            "version": model.version,
            "reason": reason,
            "rows": [_row(scored, subject)],
        },
    )
    change = _change(scored, subject)
    grade = scored.grade
    await single(
        tx,
        _FINISH,
        {
            "id": run_id,
            "enterprises": 1,
            "a": int(grade is CreditGrade.A),
            "b": int(grade is CreditGrade.B),
            "c": int(grade is CreditGrade.C),
            "d": int(grade is CreditGrade.D),
            "changed": int(change is not None),
            "first": int(subject.previous_grade is None),
            "seconds": 0.0,
            "current": False,
        },
    )
    if change is not None:
        await announce_changes(tx, [change], ref=run_id)
    return scored


async def evaluate_subject(
    db: Database, uscc: str, *, today: date, reason: str, model: IndicatorModel | None = None
) -> Scored | None:
    """`refresh_subject` in a transaction of its own (``credithub evaluate --uscc``)."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> Scored | None:
        return await refresh_subject(tx, uscc, today=today, reason=reason, model=model)

    return await db.write_transaction(work)
