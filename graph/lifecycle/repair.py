"""Credit repair (信用修复, 六(六); NDRC Order 36 as in force from 2026-04-01).

A subject applies once the minimum publication period of the record's tier has passed (一般:
3 months, 严重: 1 year, counted from the decision date), with proof that its obligations are
performed and a public credit commitment; a serious record also needs the credit-repair
training certificate and a credit report (the "other conditions where required"). Penalties of
停产停业 or 吊销 cannot be repaired early: they are refused until their publication ends by itself.

The department that made the finding decides (谁认定、谁修复) within the configured working-day
deadline (Henan: 1). Approval changes visibility only — the record stays, as 已修复, in the history:
- the record stops being published and shared (the catalogue's row rules `published` and
  `shared` exclude REPAIRED);
- every list entry resting on it (``BASED_ON``), or the entry applied for, ends and its measures
  are lifted (graph/lifecycle/list_removal.py);
- every organisation that was served the record, and every watcher, gets a withdrawal notice;
- an enterprise subject is re-evaluated (信用修复后重新评价, graph/evaluation/run.py).
A refusal keeps the record as it was and says why. Both are events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    NotResponsible,
    TooEarly,
    WrongState,
    acts_for_subject,
    add_event,
    decision_deadline,
    new_id,
    required_text,
    rows,
    single,
)
from graph.lifecycle.list_removal import end_list_entry
from graph.lifecycle.notices import earlier_recipients, notify
from graph.lifecycle.rules import LifecycleRules
from graph.model import (
    Label,
    ListEntryStatus,
    NoticeKind,
    RecordStatus,
    Rel,
    RepairStatus,
    SeverityTier,
)
from graph.publication import (
    OPEN_ENTRY_STATUSES,
    add_months,
    current_record,
    minimum_period_months,
)

NOT_REPAIRABLE_EARLY: Final = ("停产停业", "吊销", "责令关闭")
"""Penalty categories that cannot be repaired before their publication ends (Order 36)."""

MINIMUM_LIST_MONTHS: Final = 12
"""A black-list entry (严重失信主体名单) may be repaired once it has been in force a year."""


@dataclass(frozen=True)
class RepairApplication:
    """A repair application as stored."""

    id: str
    status: RepairStatus
    subject: str
    target_kind: str
    record_key: str | None
    list_entry_id: str | None
    applied_on: date
    due_by: date
    due_by_provisional: bool
    proof: str
    commitment: str
    training_certificate: str | None
    credit_report: str | None
    filed_by: str | None
    decider: str | None
    decision_reason: str | None
    decided_on: date | None
    decided_late: bool
    ended_list_entries: tuple[str, ...]
    withdrawal_notices: int

    @classmethod
    def of(cls, props: dict[str, Any]) -> RepairApplication:
        """From the node's properties."""
        decided = props.get("decidedOn")
        return cls(
            id=props["id"],
            status=RepairStatus.of(props["status"]),
            subject=props["subject"],
            target_kind=props["targetKind"],
            record_key=props.get("recordKey"),
            list_entry_id=props.get("listEntryId"),
            applied_on=props["appliedOn"].to_native(),
            due_by=props["dueBy"].to_native(),
            due_by_provisional=bool(props.get("dueByProvisional")),
            proof=props["proof"],
            commitment=props["commitment"],
            training_certificate=props.get("trainingCertificate"),
            credit_report=props.get("creditReport"),
            filed_by=props.get("filedBy"),
            decider=props.get("decider"),
            decision_reason=props.get("decisionReason"),
            decided_on=decided.to_native() if decided else None,
            decided_late=bool(props.get("decidedLate")),
            ended_list_entries=tuple(props.get("endedListEntries") or ()),
            withdrawal_notices=int(props.get("withdrawalNotices") or 0),
        )


# -- refusals --------------------------------------------------------------------------------
class MinimumPeriodNotPassed(TooEarly):
    """Repair is applied for only after the tier's minimum publication period."""

    def __init__(self, severity: str, earliest: date) -> None:
        super().__init__(
            f"{severity}失信信息最短公示期未满，{earliest.isoformat()}起方可申请信用修复 "
            f"(the minimum publication period has not passed; apply from {earliest.isoformat()})",
            earliest=earliest,
        )


class NotRepairableEarly(TooEarly):
    """停产停业 and 吊销 penalties cannot be repaired before publication ends."""

    code = "NOT_REPAIRABLE"

    def __init__(self, category: str, until: date | None) -> None:
        end = until.isoformat() if until else "公示期满"
        super().__init__(
            f"处罚类别“{category}”不得提前修复，公示至{end}届满后自动停止公示 (penalties "
            f"of this kind cannot be repaired early; publication ends by itself on {end})"
        )


class NotTheSubject(NotResponsible):
    """Only the subject (or its authorised agent, or the credit office) applies."""

    def __init__(self) -> None:
        super().__init__(
            "只有信息主体本人或其授权的代理机构可以申请信用修复 (only the subject, an agent it "
            "has authorised by consent, or the credit office may apply)"
        )


class NotTheFindingDepartment(NotResponsible):
    """谁认定、谁修复: the department that made the finding decides."""

    def __init__(self, decider: str | None) -> None:
        super().__init__(
            f"信用修复由认定单位 {decider or '(未知)'} 审核 (谁认定、谁修复: only the department "
            "that made the finding decides, or the credit office)"
        )


# -- applying --------------------------------------------------------------------------------
_RECORD = (
    current_record("r", "$key") + "OPTIONAL MATCH (r)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (r)-[:PROVIDED_BY]->(d:Department) "
    "OPTIONAL MATCH (pending:RepairApplication {status: 'PENDING', recordKey: $key}) "
    # 谁认定、谁修复: the deciding authority (on any version: versions made before graph/records.py
    # did not copy the decider link), else the department that supplied the record.
    "WITH r, s, d, pending, "
    "[(r)-[:SUPERSEDES*0..]->(:Record)-[:DECIDED_BY]->(o) | o.code][0] AS finder "
    "RETURN elementId(r) AS element, r.status AS status, r.severity AS severity, "
    "r.category AS category, r.decisionDate AS decided, r.publishUntil AS publishUntil, "
    "r.kind AS kind, coalesce(s.uscc, s.key) AS subject, s:Person AS personal, "
    "elementId(s) AS subjectElement, coalesce(finder, d.code) AS decider, pending.id AS pending"
)

_ENTRY = (
    "MATCH (l:ListEntry {id: $id}) "
    "OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (l)-[:DECIDED_BY]->(d:Department) "
    "OPTIONAL MATCH (pending:RepairApplication {status: 'PENDING', listEntryId: $id}) "
    "RETURN elementId(l) AS element, l.status AS status, l.listType AS listType, "
    "coalesce(l.effectiveFrom, l.decisionDate) AS decided, "
    "coalesce(s.uscc, s.key) AS subject, s:Person AS personal, elementId(s) AS subjectElement, "
    "d.code AS decider, pending.id AS pending"
)


async def apply_for_repair(
    db: Database,
    actor: Actor,
    *,
    record_key: str | None,
    list_entry_id: str | None,
    proof: str,
    commitment: str,
    training_certificate: str | None,
    credit_report: str | None,
    rules: LifecycleRules,
    today: date,
) -> RepairApplication:
    """File a repair application, refused with the reason when the rules do not allow it yet."""
    if (record_key is None) == (list_entry_id is None):
        raise InvalidInput("recordKey", "give exactly one of `recordKey` and `listEntryId`")
    proof_text = _requirement(
        "proof", proof, "履行义务的证明材料 (proof that obligations are performed)"
    )
    commitment_text = _requirement(
        "commitment", commitment, "信用修复承诺书 (a public credit commitment)"
    )
    training = (training_certificate or "").strip() or None
    report = (credit_report or "").strip() or None
    due_by, provisional = decision_deadline(today, rules.repair_decision_days)

    async def work(tx: neo4j.AsyncManagedTransaction) -> RepairApplication:
        if record_key is not None:
            target = await single(tx, _RECORD, {"key": record_key})
            if target is None:
                raise NotFound("信用记录", record_key)
            _check_record(target, today, training, report)
        else:
            target = await single(tx, _ENTRY, {"id": list_entry_id})
            if target is None:
                raise NotFound("名单", str(list_entry_id))
            _check_entry(target, today, training, report)
        if target["pending"]:
            raise WrongState(
                f"已有审核中的修复申请 {target['pending']} (an application is pending)"
            )
        if not await acts_for_subject(tx, actor, target, today):
            raise NotTheSubject()
        application_id = new_id("REP")
        props = {
            "id": application_id,
            "status": RepairStatus.PENDING.value,
            "subject": target["subject"],
            "targetKind": "RECORD" if record_key is not None else "LIST_ENTRY",
            "recordKey": record_key,
            "listEntryId": list_entry_id,
            "appliedOn": today,
            "dueBy": due_by,
            "dueByProvisional": provisional,
            "proof": proof_text,
            "commitment": commitment_text,
            "trainingCertificate": training,
            "creditReport": report,
            "filedBy": actor.org_code,
            "filedByKind": actor.org_kind,
            "decider": target["decider"],
        }
        created = await single(
            tx,
            "MATCH (t) WHERE elementId(t) = $target MATCH (s) WHERE elementId(s) = $subject "
            "CREATE (a:RepairApplication) SET a = $props "
            "CREATE (a)-[:CONCERNS]->(t), (a)-[:FILED_BY]->(s) RETURN elementId(a) AS e",
            {"target": target["element"], "subject": target["subjectElement"], "props": props},
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "REPAIR_APPLIED",
            [created["e"], target["element"]],
            today=today,
            to_state=RepairStatus.PENDING.value,
            detail={"application": application_id},
        )
        await notify(
            tx,
            [target["decider"]],
            NoticeKind.REPAIR_FILED,
            f"收到信用修复申请 {application_id}，请于{due_by.isoformat()}前审核",
            subject=target["subject"],
            ref=application_id,
        )
        return await _load(tx, application_id)

    return await db.write_transaction(work)


def _requirement(field: str, value: str | None, what: str) -> str:
    if not (value or "").strip():
        raise MissingRequirement(f"缺少{what}: `{field}`")
    return required_text(field, value)


def _check_record(
    target: dict[str, Any], today: date, training: str | None, report: str | None
) -> None:
    if target["status"] != RecordStatus.EFFECTIVE.value:
        raise WrongState(
            f"该记录状态为{RecordStatus.of(target['status']).label}，不能申请修复 "
            "(only an effective record can be repaired; an objection must be decided first)"
        )
    if target["severity"] is None:
        raise InvalidInput("recordKey", "该记录不是失信信息，无需修复 (not an adverse record)")
    severity = SeverityTier.of(target["severity"])
    category = target["category"] or ""
    until = target["publishUntil"].to_native() if target["publishUntil"] else None
    if any(word in category for word in NOT_REPAIRABLE_EARLY):
        raise NotRepairableEarly(category, until)
    decided = target["decided"].to_native()
    earliest = add_months(decided, minimum_period_months(severity))
    if today <= earliest and severity is not SeverityTier.MINOR:
        raise MinimumPeriodNotPassed(severity.label, earliest + timedelta(days=1))
    if severity is SeverityTier.SERIOUS:
        _serious_requirements(training, report)


def _check_entry(
    target: dict[str, Any], today: date, training: str | None, report: str | None
) -> None:
    if target["status"] != ListEntryStatus.ACTIVE.value:
        raise WrongState("只有生效中的名单可以申请修复 (only an entry in force can be repaired)")
    if target["listType"] != "BLACK":
        raise InvalidInput("listEntryId", "红名单无需修复 (a red-list entry needs no repair)")
    decided = target["decided"].to_native()
    earliest = add_months(decided, MINIMUM_LIST_MONTHS)
    if today <= earliest:
        raise MinimumPeriodNotPassed("严重", earliest + timedelta(days=1))
    _serious_requirements(training, report)


def _serious_requirements(training: str | None, report: str | None) -> None:
    missing = []
    if training is None:
        missing.append("信用修复培训证明 `trainingCertificate`")
    if report is None:
        missing.append("信用报告 `creditReport`")
    if missing:
        raise MissingRequirement(
            f"严重失信信息修复还须提交：{'、'.join(missing)} (a serious record also needs the "
            "repair-training certificate and a credit report)"
        )


# -- deciding --------------------------------------------------------------------------------
Reevaluate = Callable[[neo4j.AsyncManagedTransaction, str, date], Awaitable[object]]
"""Re-grades a repaired subject inside the repair's transaction (graph/evaluation/run.py
`reevaluate_repaired`): passed in, so the lifecycle does not depend on the evaluation."""


async def decide_repair(
    db: Database,
    actor: Actor,
    application_id: str,
    *,
    approve: bool,
    reason: str,
    today: date,
    reevaluate: Reevaluate,
) -> RepairApplication:
    """Approve or refuse; approval withdraws the record everywhere, ends its list entries and
    re-grades the subject (`reevaluate`, in the same transaction)."""
    text = required_text("reason", reason)

    async def work(tx: neo4j.AsyncManagedTransaction) -> RepairApplication:
        application = await _load(tx, application_id)
        if not actor.is_admin and (
            actor.org_kind != "DEPARTMENT" or actor.org_code != application.decider
        ):
            raise NotTheFindingDepartment(application.decider)
        if application.status is not RepairStatus.PENDING:
            raise WrongState(
                f"该申请已于{application.decided_on}审结 (the application has been decided)"
            )
        ended: list[str] = []
        notices = 0
        if approve:
            ended, notices = await _repair(tx, actor, application, text, today)
            # Same commit: the repaired finding stops counting in the subject's grade at once.
            await reevaluate(tx, application.subject, today)
        status = RepairStatus.APPROVED if approve else RepairStatus.REFUSED
        late = today > application.due_by
        decided = await single(
            tx,
            "MATCH (a:RepairApplication {id: $id}) SET a.status = $status, "
            "a.decisionReason = $reason, a.decidedOn = date($today), a.decidedBy = $by, "
            "a.decidedLate = $late, a.endedListEntries = $ended, a.withdrawalNotices = $notices "
            "RETURN elementId(a) AS e",
            {
                "id": application_id,
                "status": status.value,
                "reason": text,
                "today": today.isoformat(),
                "by": actor.org_code or actor.org_kind,
                "late": late,
                "ended": ended,
                "notices": notices,
            },
        )
        assert decided is not None
        await add_event(
            tx,
            actor,
            "REPAIR_DECIDED",
            [decided["e"]],
            today=today,
            from_state=RepairStatus.PENDING.value,
            to_state=status.value,
            reason=text,
            detail={"late": late, "endedListEntries": ended},
        )
        await notify(
            tx,
            [application.subject, application.filed_by],
            NoticeKind.REPAIR_DECIDED,
            f"信用修复申请 {application_id}：{status.label}",
            subject=application.subject,
            ref=application_id,
            body=text,
        )
        return await _load(tx, application_id)

    return await db.write_transaction(work)


async def _repair(
    tx: neo4j.AsyncManagedTransaction,
    actor: Actor,
    application: RepairApplication,
    reason: str,
    today: date,
) -> tuple[list[str], int]:
    """Mark the record repaired, end the entries resting on it; (entries ended, notices sent)."""
    entries: list[str] = []
    since: date | None = None
    what = application.list_entry_id or ""
    if application.record_key is not None:
        record = await single(
            tx,
            current_record("r", "$key") + f"AND r.status = '{RecordStatus.EFFECTIVE}' "
            f"SET r.status = '{RecordStatus.REPAIRED}', r.repairedOn = date($today), "
            "r.repairApplication = $application "
            "RETURN elementId(r) AS e, r.uid AS uid, r.publishFrom AS publishFrom",
            {
                "key": application.record_key,
                "today": today.isoformat(),
                "application": application.id,
            },
        )
        if record is None:
            raise WrongState("该记录已不在生效状态 (the record is no longer effective)")
        what = record["uid"]
        since = record["publishFrom"].to_native() if record["publishFrom"] else None
        await add_event(
            tx,
            actor,
            "RECORD_REPAIRED",
            [record["e"]],
            today=today,
            from_state=RecordStatus.EFFECTIVE.value,
            to_state=RecordStatus.REPAIRED.value,
            reason=reason,
            detail={"application": application.id},
        )
        based = await rows(
            tx,
            f"MATCH (l:{Label.LIST_ENTRY})-[:{Rel.BASED_ON}]->(:{Label.RECORD} {{key: $key}}) "
            "WHERE l.status IN $open RETURN DISTINCT l.id AS id",
            {"key": application.record_key, "open": list(OPEN_ENTRY_STATUSES)},
        )
        entries = [row["id"] for row in based]
    else:
        assert application.list_entry_id is not None
        entries = [application.list_entry_id]
    for entry in entries:
        await end_list_entry(
            tx, entry, actor=actor, today=today, reason=f"信用修复：{reason}", cause="REPAIR"
        )
    recipients = await earlier_recipients(tx, application.subject, since)
    sent = await notify(
        tx,
        [r for r in recipients if r != actor.org_code],
        NoticeKind.WITHDRAWAL,
        f"信用修复完成，撤回已提供的信息：{what}",
        subject=application.subject,
        ref=what,
        body="该信息已修复，停止公示和共享；请删除或停止使用此前获取的该信息。",
    )
    return entries, sent


# -- reading ---------------------------------------------------------------------------------
async def _load(tx: neo4j.AsyncManagedTransaction, application_id: str) -> RepairApplication:
    row = await single(
        tx,
        "MATCH (a:RepairApplication {id: $id}) RETURN properties(a) AS a",
        {"id": application_id},
    )
    if row is None:
        raise NotFound("信用修复申请", application_id)
    return RepairApplication.of(row["a"])


async def repairs_for(
    db: Database, actor: Actor, *, status: RepairStatus | None = None, limit: int = 200
) -> list[RepairApplication]:
    """Applications the actor is party to (subject, agent, deciding department; admin: all)."""
    found = await db.read(
        "MATCH (a:RepairApplication) "
        "WHERE ($admin OR a.subject = $me OR a.filedBy = $me OR a.decider = $me) "
        "AND ($status IS NULL OR a.status = $status) "
        "RETURN properties(a) AS a ORDER BY a.appliedOn DESC, a.id LIMIT $limit",
        {
            "admin": actor.is_admin,
            "me": actor.org_code,
            "status": status.value if status else None,
            "limit": limit,
        },
    )
    return [RepairApplication.of(row["a"]) for row in found]
