"""Objections (异议, 四(五)): a subject challenges a record or a list entry.

Filing marks the target 异议中 at once — a record's status becomes ``UNDER_OBJECTION`` (shown so
wherever the record is shown), a list entry gets ``underObjection`` — until the providing
department decides. The deadline is counted in working days from filing: Henan's 3, or 7 when
the department declares that verification is needed (which it must do before the 3 days run
out). A decision after the deadline is still taken — the subject needs one — but is marked late
and stays in the overdue report's history.

Outcomes (DOMAIN.md), each recorded with its reason:
- 更正 CORRECT: a new version of the record with the corrected fields; the old one is kept;
- 补充 SUPPLEMENT: a new version with the supplement appended to its remarks;
- 停止公示 STOP_PUBLICATION: a new version whose publication ends yesterday;
- 移出名单 REMOVE_FROM_LIST: the list entry ends and its measures are lifted;
- 异议不成立 REJECT: the target returns to its previous state (an event, no new version).
Corrections and stops withdraw what was published, so everyone who was served the record is
told (双公示: withdrawn within 3 working days and every recipient informed).

Who may file: the subject itself; a credit agency it has authorised (an active consent); the
credit office for anyone (for a person, at its service window). Who decides: the department that
provided the record or made the list decision, or the credit office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    DeadlinePassed,
    InvalidInput,
    LifecycleError,
    MissingRequirement,
    NotFound,
    NotResponsible,
    WrongState,
    acts_for_subject,
    add_event,
    decision_deadline,
    new_id,
    required_text,
    single,
)
from graph.lifecycle.list_removal import end_list_entry
from graph.lifecycle.notices import earlier_recipients, notify
from graph.lifecycle.rules import LifecycleRules
from graph.lifecycle.versions import new_record_version
from graph.model import (
    NoticeKind,
    ObjectionGround,
    ObjectionOutcome,
    ObjectionStatus,
    RecordStatus,
)
from graph.publication import current_record

CORRECTABLE: Final = {
    "title": str,
    "content": str,
    "category": str,
    "amount": float,
    "facts": str,
    "basis": str,
    "subjectName": str,
    "legalRepresentative": str,
    "remarks": str,
}
"""Record fields an objection may correct, with their types; anything else is a new decision."""

LIST_GROUNDS: Final = frozenset({ObjectionGround.WRONGLY_LISTED, ObjectionGround.NOT_REMOVED})


@dataclass(frozen=True)
class Objection:
    """An objection as stored, with what it concerns."""

    id: str
    status: ObjectionStatus
    grounds: ObjectionGround
    statement: str
    evidence: str | None
    subject: str
    filed_by: str | None
    filed_by_kind: str
    filed_on: date
    due_by: date
    due_by_provisional: bool
    needs_verification: bool
    target_kind: str
    record_key: str | None
    list_entry_id: str | None
    decider: str | None
    outcome: ObjectionOutcome | None
    decision_reason: str | None
    decided_on: date | None
    decided_late: bool
    result_uid: str | None

    def overdue(self, today: date) -> bool:
        """Still pending after its deadline."""
        return self.status is ObjectionStatus.PENDING and today > self.due_by

    @classmethod
    def of(cls, row: dict[str, Any]) -> Objection:
        """From `_OBJECTION_RETURN`'s row."""
        o = row["o"]
        outcome = o.get("outcome")
        decided = o.get("decidedOn")
        return cls(
            id=o["id"],
            status=ObjectionStatus.of(o["status"]),
            grounds=ObjectionGround.of(o["grounds"]),
            statement=o["statement"],
            evidence=o.get("evidence"),
            subject=o["subject"],
            filed_by=o.get("filedBy"),
            filed_by_kind=o["filedByKind"],
            filed_on=o["filedOn"].to_native(),
            due_by=o["dueBy"].to_native(),
            due_by_provisional=bool(o.get("dueByProvisional")),
            needs_verification=bool(o.get("needsVerification")),
            target_kind=o["targetKind"],
            record_key=o.get("recordKey"),
            list_entry_id=o.get("listEntryId"),
            decider=o.get("decider"),
            outcome=ObjectionOutcome.of(outcome) if outcome else None,
            decision_reason=o.get("decisionReason"),
            decided_on=decided.to_native() if decided else None,
            decided_late=bool(o.get("decidedLate")),
            result_uid=o.get("resultUid"),
        )


# -- refusals --------------------------------------------------------------------------------
class NotTheSubject(NotResponsible):
    """Only the subject of a record (or its authorised agent) objects to it."""

    def __init__(self) -> None:
        super().__init__(
            "只有信息主体本人或其授权的代理机构可以提出异议 (only the subject of the record, or "
            "an agent it has authorised by consent, may object to it)"
        )


class NotTheProvider(NotResponsible):
    """Only the providing department decides an objection (谁提供、谁处理)."""

    def __init__(self, provider: str | None) -> None:
        super().__init__(
            f"异议由信息提供单位 {provider or '(未知)'} 处理 (only the department that provided "
            "the record or made the list decision decides the objection, or the credit office)"
        )


class AlreadyUnderObjection(WrongState):
    """One objection at a time per record or entry."""

    def __init__(self, existing: str) -> None:
        super().__init__(
            f"该信息已有未办结的异议 {existing} (an objection to it is already pending)"
        )


class OutcomeDoesNotFit(LifecycleError):
    """The outcome cannot apply to what the objection concerns."""

    code = "INVALID_ARGUMENT"


# -- filing ----------------------------------------------------------------------------------
_TARGET_RECORD = (
    current_record("r", "$key") + "OPTIONAL MATCH (r)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (r)-[:PROVIDED_BY]->(d:Department) "
    "OPTIONAL MATCH (pending:Objection {status: 'PENDING'})-[:CONCERNS]->(:Record {key: $key}) "
    # 谁认定、谁处理: the deciding authority (on any version: versions made before graph/records.py
    # did not copy the decider link), else the department that supplied the record.
    "WITH r, s, d, pending, "
    "[(r)-[:SUPERSEDES*0..]->(:Record)-[:DECIDED_BY]->(o) | o.code][0] AS decider "
    "RETURN elementId(r) AS element, r.status AS status, coalesce(s.uscc, s.key) AS subject, "
    "s:Person AS personal, elementId(s) AS subjectElement, coalesce(decider, d.code) AS provider, "
    "r.title AS title, pending.id AS pending"
)

_TARGET_ENTRY = (
    "MATCH (l:ListEntry {id: $id}) "
    "OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (l)-[:DECIDED_BY]->(d:Department) "
    "OPTIONAL MATCH (pending:Objection {status: 'PENDING'})-[:CONCERNS]->(l) "
    "RETURN elementId(l) AS element, l.status AS status, coalesce(s.uscc, s.key) AS subject, "
    "s:Person AS personal, elementId(s) AS subjectElement, d.code AS provider, "
    "l.listName AS title, pending.id AS pending"
)


async def file_objection(
    db: Database,
    actor: Actor,
    *,
    grounds: ObjectionGround,
    statement: str,
    evidence: str | None,
    record_key: str | None,
    list_entry_id: str | None,
    rules: LifecycleRules,
    today: date,
) -> Objection:
    """File an objection and flag its target 异议中 in the same transaction."""
    if (record_key is None) == (list_entry_id is None):
        raise InvalidInput("recordKey", "give exactly one of `recordKey` and `listEntryId`")
    if list_entry_id is not None and grounds not in LIST_GROUNDS:
        raise InvalidInput(
            "grounds", "对名单的异议事由须为错误列入或应移出未移出 (WRONGLY_LISTED or NOT_REMOVED)"
        )
    text = required_text("statement", statement)
    evidence_text = (evidence or "").strip() or None
    due_by, provisional = decision_deadline(today, rules.objection_decision_days)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Objection:
        if record_key is not None:
            target = await single(tx, _TARGET_RECORD, {"key": record_key})
            what = ("信用记录", record_key)
        else:
            target = await single(tx, _TARGET_ENTRY, {"id": list_entry_id})
            what = ("名单", str(list_entry_id))
        if target is None:
            raise NotFound(*what)
        if target["pending"]:
            raise AlreadyUnderObjection(target["pending"])
        if not await acts_for_subject(tx, actor, target, today):
            raise NotTheSubject()
        if record_key is not None and target["status"] not in (RecordStatus.EFFECTIVE.value,):
            raise WrongState(
                f"该记录状态为{RecordStatus.of(target['status']).label}，不能提出异议 "
                "(only an effective record can be objected to)"
            )
        if list_entry_id is not None and target["status"] == "REMOVED":
            raise WrongState("该名单已移出 (the entry has already been removed)")
        objection_id = new_id("OBJ")
        props = {
            "id": objection_id,
            "status": ObjectionStatus.PENDING.value,
            "grounds": grounds.value,
            "statement": text,
            "evidence": evidence_text,
            "subject": target["subject"],
            "filedBy": actor.org_code,
            "filedByKind": actor.org_kind,
            "filedBySubject": actor.subject,
            "filedOn": today,
            "dueBy": due_by,
            "dueByProvisional": provisional,
            "needsVerification": False,
            "targetKind": "RECORD" if record_key is not None else "LIST_ENTRY",
            "recordKey": record_key,
            "listEntryId": list_entry_id,
            "decider": target["provider"],
        }
        created = await single(
            tx,
            "MATCH (t) WHERE elementId(t) = $target "
            "MATCH (s) WHERE elementId(s) = $subject "
            "CREATE (o:Objection) SET o = $props "
            "CREATE (o)-[:CONCERNS]->(t), (o)-[:FILED_BY]->(s) "
            "WITH o, t "
            "CALL (t) { WITH t WHERE t:Record "
            "  SET t.statusBeforeObjection = t.status, t.status = 'UNDER_OBJECTION' } "
            "CALL (t) { WITH t WHERE t:ListEntry SET t.underObjection = true } "
            "RETURN elementId(o) AS element",
            {"target": target["element"], "subject": target["subjectElement"], "props": props},
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "OBJECTION_FILED",
            [created["element"], target["element"]],
            today=today,
            from_state=target["status"],
            to_state=RecordStatus.UNDER_OBJECTION.value if record_key else None,
            reason=text,
            detail={"objection": objection_id, "grounds": grounds.value},
        )
        await notify(
            tx,
            [target["provider"]],
            NoticeKind.OBJECTION_FILED,
            f"收到异议申请 {objection_id}：{target['title'] or ''}（{grounds.label}），"
            f"请于{due_by.isoformat()}前处理",
            subject=target["subject"],
            ref=objection_id,
        )
        return await _load(tx, objection_id)

    return await db.write_transaction(work)


# -- deciding --------------------------------------------------------------------------------
async def extend_for_verification(
    db: Database,
    actor: Actor,
    objection_id: str,
    reason: str,
    *,
    rules: LifecycleRules,
    today: date,
) -> Objection:
    """Declare that verification is needed: the deadline becomes 7 working days from filing.

    Only before the ordinary deadline has passed; afterwards the objection is already late.
    """
    text = required_text("reason", reason)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Objection:
        objection = await _load(tx, objection_id)
        _check_decider(actor, objection)
        if objection.status is not ObjectionStatus.PENDING:
            raise WrongState("异议已办结 (the objection has already been decided)")
        if objection.needs_verification:
            raise WrongState("已延长核查期限 (verification was already declared)")
        if today > objection.due_by:
            raise DeadlinePassed(
                f"办理期限{objection.due_by.isoformat()}已过，不能再延长 (the "
                f"{rules.objection_decision_days}-working-day deadline has passed; decide now)"
            )
        due_by, provisional = decision_deadline(
            objection.filed_on, rules.objection_verification_days
        )
        element = await single(
            tx,
            "MATCH (o:Objection {id: $id}) SET o.needsVerification = true, "
            "o.dueBy = date($due), o.dueByProvisional = $provisional, "
            "o.verificationReason = $reason RETURN elementId(o) AS e",
            {
                "id": objection_id,
                "due": due_by.isoformat(),
                "provisional": provisional,
                "reason": text,
            },
        )
        assert element is not None
        await add_event(
            tx,
            actor,
            "OBJECTION_VERIFICATION",
            [element["e"]],
            today=today,
            reason=text,
            detail={"dueBy": due_by.isoformat()},
        )
        return await _load(tx, objection_id)

    return await db.write_transaction(work)


def _check_decider(actor: Actor, objection: Objection) -> None:
    if actor.is_admin:
        return
    if actor.org_kind != "DEPARTMENT" or actor.org_code != objection.decider:
        raise NotTheProvider(objection.decider)


def _corrections(outcome: ObjectionOutcome, corrections: dict[str, Any] | None) -> dict[str, Any]:
    if outcome is not ObjectionOutcome.CORRECT:
        if corrections:
            raise InvalidInput("corrections", "只有更正 (CORRECT) 才带更正内容")
        return {}
    if not corrections:
        raise MissingRequirement(
            "更正须给出更正后的字段 (a correction must give the corrected fields in "
            f"`corrections`; correctable: {', '.join(CORRECTABLE)})"
        )
    checked: dict[str, Any] = {}
    for name, value in corrections.items():
        kind = CORRECTABLE.get(name)
        if kind is None:
            raise InvalidInput(
                f"corrections.{name}",
                f"不可通过异议更正 (not correctable here; correctable: {', '.join(CORRECTABLE)})",
            )
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidInput(f"corrections.{name}", "须为非负数 (a non-negative number)")
            checked[name] = float(value)
        else:
            checked[name] = required_text(f"corrections.{name}", str(value) if value else None)
    return checked


async def decide_objection(
    db: Database,
    actor: Actor,
    objection_id: str,
    *,
    outcome: ObjectionOutcome,
    reason: str,
    corrections: dict[str, Any] | None = None,
    supplement: str | None = None,
    today: date,
) -> Objection:
    """Decide a pending objection; every outcome is recorded with its reason."""
    text = required_text("reason", reason)
    changes = _corrections(outcome, corrections)
    if outcome is ObjectionOutcome.SUPPLEMENT:
        supplement = required_text("supplement", supplement)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Objection:
        objection = await _load(tx, objection_id)
        _check_decider(actor, objection)
        if objection.status is not ObjectionStatus.PENDING:
            raise WrongState(
                f"异议已于{objection.decided_on}办结 (the objection has already been decided)"
            )
        on_record = objection.target_kind == "RECORD"
        if outcome is ObjectionOutcome.REMOVE_FROM_LIST and on_record:
            raise OutcomeDoesNotFit(
                "移出名单只适用于对名单的异议 (REMOVE_FROM_LIST needs a list entry)"
            )
        if not on_record and outcome not in (
            ObjectionOutcome.REMOVE_FROM_LIST,
            ObjectionOutcome.REJECT,
        ):
            raise OutcomeDoesNotFit(
                "对名单的异议只能移出名单或不成立 (an objection to a list entry is upheld by "
                "REMOVE_FROM_LIST or rejected)"
            )
        result_uid = await _apply(tx, actor, objection, outcome, changes, supplement, text, today)
        late = today > objection.due_by
        decided = await single(
            tx,
            "MATCH (o:Objection {id: $id}) SET o.status = 'DECIDED', o.outcome = $outcome, "
            "o.decisionReason = $reason, o.decidedOn = date($today), o.decidedBy = $by, "
            "o.decidedLate = $late, o.resultUid = $result "
            "WITH o OPTIONAL MATCH (o)-[:CONCERNS]->(t:ListEntry) REMOVE t.underObjection "
            "RETURN elementId(o) AS e",
            {
                "id": objection_id,
                "outcome": outcome.value,
                "reason": text,
                "today": today.isoformat(),
                "by": actor.org_code or actor.org_kind,
                "late": late,
                "result": result_uid,
            },
        )
        assert decided is not None
        await add_event(
            tx,
            actor,
            "OBJECTION_DECIDED",
            [decided["e"]],
            today=today,
            from_state=ObjectionStatus.PENDING.value,
            to_state=outcome.value,
            reason=text,
            detail={"late": late, "result": result_uid},
        )
        await notify(
            tx,
            [objection.subject, objection.filed_by],
            NoticeKind.OBJECTION_DECIDED,
            f"异议 {objection_id} 处理结果：{outcome.label}",
            subject=objection.subject,
            ref=objection_id,
            body=text,
        )
        return await _load(tx, objection_id)

    return await db.write_transaction(work)


async def _apply(
    tx: neo4j.AsyncManagedTransaction,
    actor: Actor,
    objection: Objection,
    outcome: ObjectionOutcome,
    changes: dict[str, Any],
    supplement: str | None,
    reason: str,
    today: date,
) -> str | None:
    """Carry out the outcome on the target; the uid of a new record version, if any."""
    if outcome is ObjectionOutcome.REMOVE_FROM_LIST:
        assert objection.list_entry_id is not None
        await end_list_entry(
            tx,
            objection.list_entry_id,
            actor=actor,
            today=today,
            reason=f"异议成立：{reason}",
            cause="OBJECTION",
        )
        return None
    if objection.record_key is None:
        return None  # a rejected objection to a list entry: the flag is cleared by the caller
    key = objection.record_key
    current = await single(
        tx,
        current_record("r", "$key")
        + "RETURN elementId(r) AS e, r.statusBeforeObjection AS before, r.remarks AS remarks, "
        "r.publishFrom AS publishFrom, r.publishUntil AS publishUntil",
        {"key": key},
    )
    if current is None:
        raise NotFound("信用记录", key)
    before = current["before"] or RecordStatus.EFFECTIVE.value
    if outcome is ObjectionOutcome.REJECT:
        await tx.run(
            current_record("r", "$key") + "SET r.status = $before REMOVE r.statusBeforeObjection",
            {"key": key, "before": before},
        )
        await add_event(
            tx,
            actor,
            "RECORD_OBJECTION_CLEARED",
            [current["e"]],
            today=today,
            from_state=RecordStatus.UNDER_OBJECTION.value,
            to_state=before,
            reason=reason,
        )
        return None
    version_changes: dict[str, Any] = {"status": before, "statusBeforeObjection": None}
    version_changes.update(changes)
    if outcome is ObjectionOutcome.SUPPLEMENT:
        remarks = current["remarks"]
        version_changes["remarks"] = f"{remarks}；{supplement}" if remarks else supplement
    if outcome is ObjectionOutcome.STOP_PUBLICATION:
        stop = today - timedelta(days=1)
        until = current["publishUntil"]
        version_changes["publishUntil"] = min(until.to_native(), stop) if until else stop
        version_changes["publicationStoppedOn"] = today
    made = await new_record_version(
        tx, key, version_changes, actor=actor, reason=f"异议{outcome.label}：{reason}", today=today
    )
    await add_event(
        tx,
        actor,
        f"RECORD_{outcome.value}",
        [made["element"], made["previous"]],
        today=today,
        from_state=RecordStatus.UNDER_OBJECTION.value,
        to_state=before,
        reason=reason,
        detail={"objection": objection.id, "changes": sorted(version_changes)},
    )
    if outcome in (ObjectionOutcome.CORRECT, ObjectionOutcome.STOP_PUBLICATION):
        since = current["publishFrom"].to_native() if current["publishFrom"] else None
        recipients = await earlier_recipients(tx, objection.subject, since)
        await notify(
            tx,
            [r for r in recipients if r != actor.org_code],
            NoticeKind.WITHDRAWAL,
            f"信用记录{outcome.label}，原版本撤回：{key}",
            subject=objection.subject,
            ref=made["uid"],
            body=reason,
        )
    return made["uid"]


# -- reading ---------------------------------------------------------------------------------
_OBJECTION_RETURN = "RETURN properties(o) AS o"


async def _load(tx: neo4j.AsyncManagedTransaction, objection_id: str) -> Objection:
    row = await single(
        tx, "MATCH (o:Objection {id: $id}) " + _OBJECTION_RETURN, {"id": objection_id}
    )
    if row is None:
        raise NotFound("异议", objection_id)
    return Objection.of(row)


async def objections_for(
    db: Database,
    actor: Actor,
    *,
    status: ObjectionStatus | None = None,
    overdue_on: date | None = None,
    limit: int = 200,
) -> list[Objection]:
    """Objections the actor is party to: filed by or about it (enterprise, agent), to decide
    (department), or all (credit office); optionally only pending ones past their deadline."""
    found = await db.read(
        "MATCH (o:Objection) "
        "WHERE ($admin OR o.subject = $me OR o.filedBy = $me OR o.decider = $me) "
        "AND ($status IS NULL OR o.status = $status) "
        "AND ($overdue IS NULL OR (o.status = 'PENDING' AND o.dueBy < date($overdue))) "
        + _OBJECTION_RETURN
        + " ORDER BY o.filedOn DESC, o.id LIMIT $limit",
        {
            "admin": actor.is_admin,
            "me": actor.org_code,
            "status": status.value if status else None,
            "overdue": overdue_on.isoformat() if overdue_on else None,
            "limit": limit,
        },
    )
    return [Objection.of(row) for row in found]


__all__ = [
    "CORRECTABLE",
    "Objection",
    "decide_objection",
    "extend_for_verification",
    "file_objection",
    "objections_for",
]
