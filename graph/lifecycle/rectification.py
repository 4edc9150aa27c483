"""限期整改、约谈 (policy 六(二)): rectification orders with a deadline, and warning interviews.

A department orders a subject to rectify a finding it made — a record it provided — by a
deadline: ``(:Rectification {status: ORDERED})-[:FOLLOWS]->(finding)``, ``-[:HAS_SUBJECT]->``,
and a credit record of kind RECTIFICATION. Then exactly one of:

- the department marks it COMPLETED, on or before the deadline (the RECTIFICATION record gets a
  new version saying so);
- the deadline passes without completion: the department records a warning interview (约谈).
  The interview becomes part of the credit record (kind INTERVIEW, provided by that department,
  ``(:Rectification)-[:RESULTED_IN]->``), the order becomes OVERDUE and the subject and its
  watchers are told.

谁认定、谁约谈: only the department that made the finding orders, completes and interviews; the
credit office acts by naming that department. An interview before the deadline has passed is
refused (TooEarly); so is a completion after an interview, or after the deadline (the missed
deadline is what the interview records). Orders past their deadline and not yet followed by an
interview are listed for their department (`overdue`).

Both records carry a severity tier, as every adverse record does (NDRC Order 36): the one the
department gives, or else the finding's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    DeadlinePassed,
    InvalidInput,
    MissingRequirement,
    NotFound,
    NotResponsible,
    TooEarly,
    WrongState,
    add_event,
    new_id,
    required_text,
    single,
)
from graph.lifecycle.notices import notify, notify_watchers
from graph.lifecycle.versions import create_decision_record, new_record_version, record_exists
from graph.model import (
    Label,
    NoticeKind,
    RecordKind,
    RecordStatus,
    RectificationStatus,
    Rel,
    SeverityTier,
)
from graph.publication import current_record, record_shared


# -- refusals ---------------------------------------------------------------------------------
class NotTheFindingDepartment(NotResponsible):
    """谁认定、谁约谈: the department that made the finding acts on it, no other."""

    def __init__(self, what: str, what_en: str) -> None:
        super().__init__(
            f"谁认定、谁约谈：只有作出该认定的部门可以{what} "
            f"(only the department that made the finding may {what_en})"
        )


class SeverityUnknown(MissingRequirement):
    """An adverse record needs a tier; the finding has none to inherit."""

    def __init__(self) -> None:
        super().__init__(
            "该认定没有失信程度，请给出 severity（轻微/一般/严重） "
            "(the finding has no severity tier to inherit: give one, it fixes the "
            "publication period)"
        )


@dataclass(frozen=True)
class Rectification:
    """A rectification order and what became of it."""

    id: str
    status: RectificationStatus
    ordered_on: date
    deadline: date
    requirement: str
    severity: SeverityTier
    ordered_by: str
    ordered_by_name: str | None
    subject: str
    subject_name: str | None
    finding_key: str
    finding_title: str | None
    record_key: str
    completed_on: date | None
    completion_note: str | None
    interviewed_on: date | None
    interview_summary: str | None
    interview_record_key: str | None

    def overdue_on(self, day: date) -> bool:
        """Still ordered, and the deadline has passed by `day`: an interview is due."""
        return self.status is RectificationStatus.ORDERED and day > self.deadline

    @classmethod
    def of(cls, row: dict[str, Any]) -> Rectification:
        """From `_RETURN`'s columns."""
        r = row["r"]

        def day(name: str) -> date | None:
            value = r.get(name)
            return None if value is None else value.to_native()

        return cls(
            id=r["id"],
            status=RectificationStatus.of(r["status"]),
            ordered_on=r["orderedOn"].to_native(),
            deadline=r["deadline"].to_native(),
            requirement=r["requirement"],
            severity=SeverityTier.of(r["severity"]),
            ordered_by=r["orderedBy"],
            ordered_by_name=row["byName"],
            subject=row["subject"],
            subject_name=row["subjectName"],
            finding_key=r["findingKey"],
            finding_title=row["findingTitle"],
            record_key=r["recordKey"],
            completed_on=day("completedOn"),
            completion_note=r.get("completionNote"),
            interviewed_on=day("interviewedOn"),
            interview_summary=r.get("interviewSummary"),
            interview_record_key=r.get("interviewRecordKey"),
        )


# 谁认定、谁约谈: the organisation that decided the finding (DECIDED_BY on any of its versions:
# versions made by lifecycle steps may carry only the supplier link), else — for records loaded
# before deciders were recorded — the department that supplied it. A relaying department (大数据局)
# is only the supplier and never acts on the finding.
_FINDER = (
    f"coalesce([(f)-[:{Rel.SUPERSEDES}*0..]->(:{Label.RECORD})-[:{Rel.DECIDED_BY}]->(o) | o][0], "
    f"[(f)-[:{Rel.PROVIDED_BY}]->(p:{Label.DEPARTMENT}) | p][0])"
)
"""The finding's organisation node, from a record bound as `f`."""

_RETURN = (
    "MATCH (r)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (d:Department {code: r.orderedBy}) "
    f"OPTIONAL {current_record('f', 'r.findingKey')}"
    "RETURN properties(r) AS r, elementId(r) AS element, coalesce(s.uscc, s.key) AS subject, "
    # A person is named de-identified here: the order's readers need the finding, not the name.
    "CASE WHEN s:Enterprise THEN s.name ELSE s.nameMasked END AS subjectName, "
    "s:Enterprise AS enterprise, "
    "d.name AS byName, f.title AS findingTitle, "
    f"({_FINDER}).code AS findingBy"
)


def _document(field: str, value: str | None, default: str) -> str:
    if value is None:
        return default
    return required_text(field, value, max_length=100)


async def order(
    db: Database,
    actor: Actor,
    department: str,
    *,
    finding: str,
    deadline: date,
    requirement: str,
    severity: SeverityTier | None,
    document_number: str | None,
    today: date,
) -> Rectification:
    """`department` orders the subject of its finding `finding` (a record key) to rectify by
    `deadline`; also writes the RECTIFICATION record and tells the subject and its watchers."""
    if deadline <= today:
        raise InvalidInput("deadline", "整改期限须晚于今天 (the deadline must be after today)")
    text = required_text("requirement", requirement, max_length=2000)
    rectification_id = new_id("RECT")
    number = _document("documentNumber", document_number, rectification_id)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Rectification:
        found = await single(
            tx,
            current_record("f", "$key") + f"MATCH (f)-[:{Rel.HAS_SUBJECT}]->(s) "
            f"WITH f, s, {_FINDER} AS p "
            # A repaired or revoked finding is withdrawn (六(六)): nothing follows from it.
            f"RETURN properties(f) AS f, {record_shared('f')} AS standing, "
            "p.code AS by, p.name AS byName, "
            "coalesce(s.uscc, s.key) AS subject, "
            "CASE WHEN s:Enterprise THEN s.name ELSE s.nameMasked END AS subjectName, "
            "s:Enterprise AS enterprise, EXISTS { "
            "  MATCH (:Rectification {findingKey: $key, status: 'ORDERED'}) } AS open",
            {"key": finding.strip()},
        )
        if found is None:
            raise NotFound("信用记录", finding)
        if found["by"] != department:
            raise NotTheFindingDepartment("责令整改", "order its rectification")
        f = found["f"]
        if not found["standing"]:
            raise WrongState(
                f"该记录已{RecordStatus.of(f['status']).label}，不能责令整改 "
                "(the finding has been repaired or revoked)"
            )
        if found["open"]:
            raise WrongState("该认定已有整改中的限期整改 (an order on this finding is still open)")
        tier = severity or (SeverityTier.of(f["severity"]) if f.get("severity") else None)
        if tier is None:
            raise SeverityUnknown()
        key = f"{RecordKind.RECTIFICATION.value}|{department}|{number}"
        if await record_exists(tx, key):
            raise InvalidInput("documentNumber", f"文号已被使用 (already used: {number})")
        record = await create_decision_record(
            tx,
            kind=RecordKind.RECTIFICATION,
            provider=department,
            provider_name=found["byName"],
            document_number=number,
            subject=found["subject"],
            subject_name=found["subjectName"],
            title=f"责令限期整改：{f.get('title') or f['key']}",
            content=f"{text}（整改期限：{deadline.isoformat()}）",
            severity=tier,
            decided_on=today,
            valid_to=deadline,
            actor=actor,
        )
        created = await single(
            tx,
            current_record("f", "$finding") + f"MATCH (f)-[:{Rel.HAS_SUBJECT}]->(s) "
            "CREATE (r:Rectification {id: $id, orderedOn: date($today), deadline: date($deadline), "
            "requirement: $requirement, status: $status, severity: $severity, "
            "orderedBy: $department, orderedBySubject: $who, findingKey: $finding, "
            "subjectCode: coalesce(s.uscc, s.key), recordKey: $recordKey, "
            "documentNumber: $number}) "
            "CREATE (r)-[:FOLLOWS]->(f) CREATE (r)-[:HAS_SUBJECT]->(s) "
            "WITH r " + _RETURN,
            {
                "finding": f["key"],
                "id": rectification_id,
                "today": today.isoformat(),
                "deadline": deadline.isoformat(),
                "requirement": text,
                "status": RectificationStatus.ORDERED.value,
                "severity": tier.value,
                "department": department,
                "who": actor.subject,
                "recordKey": record["key"],
                "number": number,
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "RECTIFICATION_ORDERED",
            [created["element"], record["element"]],
            today=today,
            to_state=RectificationStatus.ORDERED.value,
            reason=text,
            detail={"finding": f["key"], "deadline": deadline.isoformat()},
        )
        title = f"责令限期整改（{deadline.isoformat()}前）：{f.get('title') or f['key']}"
        subject = found["subject"]
        if found["enterprise"]:  # a person has no outbox; the department tells them
            await notify(
                tx,
                [subject],
                NoticeKind.NEW_ADVERSE_RECORD,
                title,
                subject=subject,
                ref=rectification_id,
                body=text,
            )
        await notify_watchers(
            tx, [subject], NoticeKind.NEW_ADVERSE_RECORD, title, ref=record["uid"]
        )
        return Rectification.of(created)

    return await db.write_transaction(work)


async def _current(tx: neo4j.AsyncManagedTransaction, rectification_id: str) -> dict[str, Any]:
    found = await single(
        tx, "MATCH (r:Rectification {id: $id}) WITH r " + _RETURN, {"id": rectification_id}
    )
    if found is None:
        raise NotFound("限期整改", rectification_id)
    return found


def _closed(rectification: Rectification, what: str) -> WrongState:
    if rectification.status is RectificationStatus.COMPLETED:
        return WrongState(f"限期整改 {rectification.id} 已整改完毕，不能{what} (already completed)")
    return WrongState(
        f"限期整改 {rectification.id} 已逾期并约谈，不能{what} "
        "(the deadline was missed and the interview recorded)"
    )


async def complete(
    db: Database,
    actor: Actor,
    department: str,
    rectification_id: str,
    *,
    note: str,
    today: date,
) -> Rectification:
    """The department marks the order COMPLETED, on or before the deadline."""
    text = required_text("note", note, max_length=2000)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Rectification:
        found = await _current(tx, rectification_id)
        current = Rectification.of(found)
        if department not in (current.ordered_by, found["findingBy"]):
            raise NotTheFindingDepartment("确认整改完成", "confirm the rectification")
        if current.status is not RectificationStatus.ORDERED:
            raise _closed(current, "再确认整改完成")
        if today > current.deadline:
            raise DeadlinePassed(
                f"整改期限 {current.deadline.isoformat()} 已过，未按期整改的应约谈 "
                "(the deadline has passed without completion: record the interview instead)"
            )
        version = await new_record_version(
            tx,
            current.record_key,
            {"fulfilment": RectificationStatus.COMPLETED.label, "rectifiedOn": today},
            actor=actor,
            reason=f"按期整改完成：{text}",
            today=today,
        )
        updated = await single(
            tx,
            "MATCH (r:Rectification {id: $id}) SET r.status = $status, "
            "r.completedOn = date($today), r.completionNote = $note, r.completedBySubject = $who "
            "WITH r " + _RETURN,
            {
                "id": rectification_id,
                "status": RectificationStatus.COMPLETED.value,
                "today": today.isoformat(),
                "note": text,
                "who": actor.subject,
            },
        )
        assert updated is not None
        await add_event(
            tx,
            actor,
            "RECTIFICATION_COMPLETED",
            [found["element"], version["element"]],
            today=today,
            from_state=RectificationStatus.ORDERED.value,
            to_state=RectificationStatus.COMPLETED.value,
            reason=text,
        )
        return Rectification.of(updated)

    return await db.write_transaction(work)


async def interview(
    db: Database,
    actor: Actor,
    department: str,
    rectification_id: str,
    *,
    summary: str,
    severity: SeverityTier | None,
    document_number: str | None,
    today: date,
) -> Rectification:
    """Record the warning interview (约谈) after a missed deadline: the INTERVIEW record, the
    order OVERDUE, the subject and its watchers told. Only the finding's department."""
    text = required_text("summary", summary, max_length=2000)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Rectification:
        found = await _current(tx, rectification_id)
        current = Rectification.of(found)
        if department != (found["findingBy"] or current.ordered_by):
            raise NotTheFindingDepartment("约谈", "hold the warning interview")
        if current.status is not RectificationStatus.ORDERED:
            raise _closed(current, "再约谈")
        if today <= current.deadline:
            raise TooEarly(
                f"整改期限 {current.deadline.isoformat()} 尚未届满，不能约谈 "
                "(the deadline has not passed: an interview follows a missed deadline only)",
                earliest=current.deadline + timedelta(days=1),
            )
        number = _document("documentNumber", document_number, f"{rectification_id}-约谈")
        key = f"{RecordKind.INTERVIEW.value}|{department}|{number}"
        if await record_exists(tx, key):
            raise InvalidInput("documentNumber", f"文号已被使用 (already used: {number})")
        tier = severity or current.severity
        record = await create_decision_record(
            tx,
            kind=RecordKind.INTERVIEW,
            provider=department,
            provider_name=found["byName"],
            document_number=number,
            subject=current.subject,
            subject_name=current.subject_name,
            title=f"逾期未整改约谈：{current.finding_title or current.finding_key}",
            content=text,
            severity=tier,
            decided_on=today,
            valid_to=None,
            actor=actor,
        )
        updated = await single(
            tx,
            "MATCH (r:Rectification {id: $id}), (i:Record {uid: $uid}) "
            "CREATE (r)-[:RESULTED_IN]->(i) "
            "SET r.status = $status, r.interviewedOn = date($today), "
            "r.interviewSummary = $summary, r.interviewRecordKey = $key, "
            "r.interviewedBySubject = $who "
            "WITH r " + _RETURN,
            {
                "id": rectification_id,
                "uid": record["uid"],
                "status": RectificationStatus.OVERDUE.value,
                "today": today.isoformat(),
                "summary": text,
                "key": record["key"],
                "who": actor.subject,
            },
        )
        assert updated is not None
        await add_event(
            tx,
            actor,
            "RECTIFICATION_OVERDUE",
            [found["element"], record["element"]],
            today=today,
            from_state=RectificationStatus.ORDERED.value,
            to_state=RectificationStatus.OVERDUE.value,
            reason=text,
            detail={"deadline": current.deadline.isoformat(), "severity": tier.value},
        )
        title = f"逾期未整改，已约谈：{current.finding_title or current.finding_key}"
        await notify(
            tx,
            # Organisations have an outbox; a person does not (the department tells them).
            [current.subject] if found["enterprise"] else [],
            NoticeKind.RECTIFICATION_OVERDUE,
            title,
            subject=current.subject,
            ref=rectification_id,
            body=text,
        )
        await notify_watchers(
            tx, [current.subject], NoticeKind.RECTIFICATION_OVERDUE, title, ref=record["uid"]
        )
        return Rectification.of(updated)

    return await db.write_transaction(work)


async def rectifications_of(
    db: Database, subject: str, *, status: RectificationStatus | None = None
) -> list[Rectification]:
    """A subject's rectification orders (enterprise USCC or person key), newest first."""
    found = await db.read(
        "MATCH (r:Rectification {subjectCode: $subject}) "
        "WHERE $status IS NULL OR r.status = $status "
        "WITH r ORDER BY r.orderedOn DESC, r.id " + _RETURN,
        {"subject": subject, "status": status.value if status else None},
    )
    return [Rectification.of(row) for row in found]


async def overdue(db: Database, department: str | None, today: date) -> list[Rectification]:
    """Orders past their deadline with no interview yet, oldest deadline first: the
    department's own (`department`), or every department's (None, for the credit office)."""
    found = await db.read(
        "MATCH (r:Rectification {status: 'ORDERED'}) "
        "WHERE r.deadline < date($today) AND ($department IS NULL OR r.orderedBy = $department) "
        "WITH r ORDER BY r.deadline, r.id " + _RETURN,
        {"today": today.isoformat(), "department": department},
    )
    return [Rectification.of(row) for row in found]
