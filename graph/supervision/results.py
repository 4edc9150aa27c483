"""Inspection results flow back as credit records (一公开 of 抽查结果).

The organising department records one result per drawn object, naming the inspectors who
inspected — each must be one assigned to that object by the draw. The result becomes version 1
of a credit record of kind INSPECTION (``INSPECTION|department|文号``) provided by the
department, through graph/lifecycle/versions.create_decision_record like every lifecycle record,
so it has a publication window, appears with the enterprise's other records, and can be objected
to like them. The record is neutral whatever the outcome (see graph/publication.py): what a
problem leads to — a rectification order, a penalty — is its own adverse record. With outcome
RECTIFICATION_ORDERED the department may order the rectification at once
(graph/lifecycle/rectification.py, the INSPECTION record as its finding).

The enterprise is told of its result; for a problem outcome, so are the banks watching it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import neo4j

from graph.database import Database
from graph.lifecycle import rectification
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    WrongState,
    add_event,
    required_text,
    single,
)
from graph.lifecycle.notices import notify, notify_watchers
from graph.lifecycle.versions import create_decision_record, record_exists
from graph.model import (
    InspectionOutcome,
    InspectionTaskStatus,
    NoticeKind,
    RecordKind,
    SeverityTier,
)
from graph.supervision.tasks import NotTheOrganiser, task_in

PROBLEM_OUTCOMES: Final = frozenset(
    {
        InspectionOutcome.UNREACHABLE,
        InspectionOutcome.RECTIFICATION_ORDERED,
        InspectionOutcome.CASE_FILED,
        InspectionOutcome.REFERRED,
        InspectionOutcome.OBSTRUCTED,
    }
)
"""Outcomes that report a problem: findings must be stated, watchers are told."""


@dataclass(frozen=True)
class InspectionResult:
    """A recorded result and the record (and rectification order) it made."""

    task_id: str
    uscc: str
    outcome: InspectionOutcome
    findings: str
    inspected_on: date
    record_key: str
    publish_from: date | None
    publish_until: date | None
    inspectors: tuple[str, ...]
    task_completed: bool
    rectification_id: str | None = None


@dataclass(frozen=True)
class ResultInput:
    """What the department reports for one object."""

    uscc: str
    outcome: InspectionOutcome
    findings: str | None
    inspected_on: date
    inspectors: tuple[str, ...]
    document_number: str | None = None
    rectification_deadline: date | None = None
    rectification_severity: SeverityTier | None = None


_OBJECT: Final = (
    "MATCH (o:InspectionObject {taskId: $task, uscc: $uscc})-[:HAS_SUBJECT]->(e:Enterprise) "
    "RETURN o.position AS position, o.outcome AS outcome, e.name AS name, "
    "elementId(o) AS element, "
    "COLLECT { MATCH (i:Inspector)-[:INSPECTS]->(o) "
    "  RETURN {id: i.id, number: i.certificateNumber, masked: i.nameMasked} } AS inspectors"
)

_RESULT: Final = (
    "MATCH (o:InspectionObject {taskId: $task, uscc: $uscc}), (r:Record {uid: $uid}) "
    "SET o.outcome = $outcome, o.findings = $findings, o.inspectedOn = date($on), "
    "o.recordKey = $key, o.resultInspectors = $inspectors, o.resultBy = $who, "
    "o.resultRecordedOn = date($today) "
    "CREATE (o)-[:RESULTED_IN]->(r) "
    "WITH o MATCH (t:InspectionTask {id: $task}) "
    "SET t.resultCount = t.resultCount + 1 "
    "SET t.status = CASE WHEN t.resultCount >= t.objectCount THEN $completed ELSE t.status END "
    "RETURN t.status AS status, elementId(t) AS task"
)


def _checked(result: ResultInput, today: date) -> tuple[str, tuple[str, ...]]:
    findings = (result.findings or "").strip()
    if result.outcome in PROBLEM_OUTCOMES or findings:
        findings = required_text("findings", findings, max_length=2000)
    else:
        findings = result.outcome.label
    if result.inspected_on > today:
        raise InvalidInput("inspectedOn", "不能晚于今天 (must not be in the future)")
    numbers = tuple(dict.fromkeys(n.strip().upper() for n in result.inspectors if n.strip()))
    if not numbers:
        raise MissingRequirement(
            "须写明实施检查的执法检查人员（执法证号） (name the inspectors who inspected)"
        )
    wants_order = result.rectification_deadline is not None
    if wants_order and result.outcome is not InspectionOutcome.RECTIFICATION_ORDERED:
        raise InvalidInput(
            "rectificationDeadline",
            "只有“发现问题已责令整改”的结果可以同时责令限期整改 "
            "(only a RECTIFICATION_ORDERED result orders a rectification)",
        )
    if wants_order and result.rectification_severity is None:
        raise InvalidInput(
            "rectificationSeverity",
            "责令限期整改须给出失信程度 (a rectification order needs a severity tier)",
        )
    if result.rectification_deadline is not None and result.rectification_deadline <= today:
        raise InvalidInput("rectificationDeadline", "整改期限须晚于今天 (must be after today)")
    return findings, numbers


async def record_result(
    db: Database,
    actor: Actor,
    department: str,
    task_id: str,
    result: ResultInput,
    *,
    today: date,
) -> InspectionResult:
    """Record the result of inspecting one drawn enterprise, as the organising department."""
    findings, numbers = _checked(result, today)
    uscc = result.uscc.strip().upper()

    async def work(tx: neo4j.AsyncManagedTransaction) -> InspectionResult:
        task, _ = await task_in(tx, task_id)
        if task.department != department:
            raise NotTheOrganiser("录入抽查结果", "record its results")
        if task.status is InspectionTaskStatus.PLANNED or task.drawn_on is None:
            raise WrongState(f"抽查任务 {task.id} 尚未抽取 (not drawn yet)")
        if not max(task.period_start, task.drawn_on) <= result.inspected_on <= task.period_end:
            raise InvalidInput(
                "inspectedOn",
                f"检查日期应在抽取之后、抽查期间（{task.period_start}至{task.period_end}）之内 "
                "(within the task's period, after the draw)",
            )
        found = await single(tx, _OBJECT, {"task": task.id, "uscc": uscc})
        if found is None:
            raise NotFound("本任务抽取的检查对象", uscc)
        if found["outcome"] is not None:
            raise WrongState(
                f"{uscc} 的抽查结果已录入；如有错误请通过异议更正信用记录 "
                "(already recorded: correct its record through an objection)"
            )
        assigned = {i["number"]: i for i in found["inspectors"]}
        strangers = [n for n in numbers if n not in assigned]
        if strangers:
            raise InvalidInput(
                "inspectors",
                f"执法证号 {'、'.join(strangers)} 不是抽取时分派给该对象的检查人员 "
                "(not an inspector assigned to this object by the draw)",
            )
        number = result.document_number or f"{task.id}-{found['position']:05d}"
        number = required_text("documentNumber", number, max_length=100)
        key = f"{RecordKind.INSPECTION.value}|{department}|{number}"
        if await record_exists(tx, key):
            raise InvalidInput("documentNumber", f"文号已被使用 (already used: {number})")
        names = "、".join(f"{assigned[n]['masked']}（{n}）" for n in numbers)
        record = await create_decision_record(
            tx,
            kind=RecordKind.INSPECTION,
            provider=department,
            provider_name=task.department_name,
            document_number=number,
            subject=uscc,
            subject_name=found["name"],
            title=f"双随机抽查：{result.outcome.label}",
            content=f"抽查任务：{task.title}；检查结果：{result.outcome.label}；"
            f"检查情况：{findings}；执法检查人员：{names}",
            severity=None,
            decided_on=result.inspected_on,
            valid_to=None,
            actor=actor,
        )
        done = await single(
            tx,
            _RESULT,
            {
                "task": task.id,
                "uscc": uscc,
                "uid": record["uid"],
                "outcome": result.outcome.value,
                "findings": findings,
                "on": result.inspected_on.isoformat(),
                "key": record["key"],
                "inspectors": list(numbers),
                "who": actor.subject,
                "today": today.isoformat(),
                "completed": InspectionTaskStatus.COMPLETED.value,
            },
        )
        assert done is not None
        await add_event(
            tx,
            actor,
            "INSPECTION_RESULT_RECORDED",
            [found["element"], record["element"]],
            today=today,
            to_state=result.outcome.value,
            reason=findings,
            detail={"task": task.id, "record": record["key"], "inspectors": list(numbers)},
        )
        title = f"双随机抽查结果：{result.outcome.label}（{task.title}）"
        await notify(
            tx,
            [uscc],
            NoticeKind.INSPECTION_RESULT,
            title,
            subject=uscc,
            ref=record["uid"],
            body=findings,
        )
        if result.outcome in PROBLEM_OUTCOMES:
            await notify_watchers(
                tx, [uscc], NoticeKind.INSPECTION_RESULT, title, ref=record["uid"]
            )
        return InspectionResult(
            task_id=task.id,
            uscc=uscc,
            outcome=result.outcome,
            findings=findings,
            inspected_on=result.inspected_on,
            record_key=record["key"],
            publish_from=record["publishFrom"],
            publish_until=record["publishUntil"],
            inspectors=numbers,
            task_completed=done["status"] == InspectionTaskStatus.COMPLETED.value,
        )

    recorded = await db.write_transaction(work)
    if result.rectification_deadline is None:
        return recorded
    # Its own transaction, as every rectification order is: the result stands on its own, and
    # the order (an adverse RECTIFICATION record) follows from it like from any finding.
    ordered = await rectification.order(
        db,
        actor,
        department,
        finding=recorded.record_key,
        deadline=result.rectification_deadline,
        requirement=findings,
        severity=result.rectification_severity,
        document_number=None,
        today=today,
    )
    return InspectionResult(**{**recorded.__dict__, "rectification_id": ordered.id})
