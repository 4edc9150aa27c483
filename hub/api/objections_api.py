"""The objections (异议) and credit-repair (信用修复) API.

The sharing catalogue's operations decide which kinds of organisation may file and decide at
all; graph/lifecycle/objections.py and repair.py decide the rest (the subject or its authorised
agent files, the department that made the finding decides, deadlines and minimum periods).
Each mutation names what it did for the audit chain.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from graph.attachments import OwnerKind
from graph.evaluation.run import reevaluate_repaired
from graph.lifecycle import deadlines, objections, repair
from graph.lifecycle.base import InvalidInput
from graph.model import ObjectionGround, ObjectionOutcome, ObjectionStatus, RepairStatus
from hub.api.attachments_api import Attachment, accept_uploads, attachments_for, link_uploads
from hub.api.lifecycle_support import require
from hub.api.query import GraphInfo

COMPUTED_TYPES = ("Objection", "LifecycleDeadlines", "RepairApplication")


@strawberry.type(description="An objection to a record or list entry (异议申请)")
class Objection:
    id: strawberry.ID
    status: ObjectionStatus
    grounds: ObjectionGround
    statement: str = strawberry.field(description="异议理由")
    evidence: str | None = strawberry.field(description="证明材料")
    subject: str = strawberry.field(description="信息主体: USCC or person key")
    filed_by: str | None = strawberry.field(description="提出单位 (the subject or its agent)")
    filed_on: datetime.date
    due_by: datetime.date = strawberry.field(description="办理期限 (working days from filing)")
    due_by_provisional: bool = strawberry.field(
        description="The holiday notice of that year is not yet in the calendar: counted on "
        "weekdays less the fixed statutory holidays, never later than the true deadline"
    )
    needs_verification: bool = strawberry.field(description="需核查, deadline extended")
    overdue: bool = strawberry.field(description="Still pending past its deadline")
    record_key: str | None = strawberry.field(description="The record objected to")
    list_entry_id: str | None = strawberry.field(description="The list entry objected to")
    decider: str | None = strawberry.field(description="处理单位: the providing department")
    outcome: ObjectionOutcome | None
    decision_reason: str | None
    decided_on: datetime.date | None
    decided_late: bool
    result_version_id: str | None = strawberry.field(
        description="The record version the decision made (更正/补充/停止公示)"
    )

    @strawberry.field(description="证明材料: the files filed with it")
    async def attachments(self, info: GraphInfo) -> list[Attachment]:
        return await attachments_for(info, OwnerKind.OBJECTION, str(self.id))

    @classmethod
    def of(cls, o: objections.Objection, today: datetime.date) -> Objection:
        """From the lifecycle's objection."""
        return cls(
            id=strawberry.ID(o.id),
            status=o.status,
            grounds=o.grounds,
            statement=o.statement,
            evidence=o.evidence,
            subject=o.subject,
            filed_by=o.filed_by,
            filed_on=o.filed_on,
            due_by=o.due_by,
            due_by_provisional=o.due_by_provisional,
            needs_verification=o.needs_verification,
            overdue=o.overdue(today),
            record_key=o.record_key,
            list_entry_id=o.list_entry_id,
            decider=o.decider,
            outcome=o.outcome,
            decision_reason=o.decision_reason,
            decided_on=o.decided_on,
            decided_late=o.decided_late,
            result_version_id=o.result_uid,
        )


@strawberry.type(description="A department's objections or repairs against their deadlines")
class LifecycleDeadlines:
    department: str | None
    department_name: str | None
    process: str = strawberry.field(description="OBJECTION or REPAIR")
    process_label: str = strawberry.field(description="异议处理 / 信用修复")
    received: int
    decided_on_time: int
    decided_late: int
    pending: int = strawberry.field(description="Pending, deadline not yet passed")
    pending_overdue: int = strawberry.field(description="Pending past the deadline")


@strawberry.type(description="A credit-repair application and its decision (信用修复申请)")
class RepairApplication:
    id: strawberry.ID
    status: RepairStatus
    subject: str
    record_key: str | None
    list_entry_id: str | None
    applied_on: datetime.date
    due_by: datetime.date = strawberry.field(description="审核期限 (working days)")
    due_by_provisional: bool = strawberry.field(
        description="Counted without that year's holiday notice (see Objection.dueByProvisional)"
    )
    proof: str = strawberry.field(description="履行义务证明")
    commitment: str = strawberry.field(description="信用修复承诺")
    training_certificate: str | None = strawberry.field(description="信用修复培训证明")
    credit_report: str | None = strawberry.field(description="信用报告")
    decider: str | None = strawberry.field(description="审核单位 (谁认定、谁修复)")
    decision_reason: str | None
    decided_on: datetime.date | None
    decided_late: bool
    ended_list_entries: list[str] = strawberry.field(description="List entries it ended")
    withdrawal_notices: int = strawberry.field(description="撤回通知 sent to earlier recipients")

    @strawberry.field(description="证明材料: the files filed with it")
    async def attachments(self, info: GraphInfo) -> list[Attachment]:
        return await attachments_for(info, OwnerKind.REPAIR_APPLICATION, str(self.id))

    @classmethod
    def of(cls, a: repair.RepairApplication) -> RepairApplication:
        """From the lifecycle's application."""
        return cls(
            id=strawberry.ID(a.id),
            status=a.status,
            subject=a.subject,
            record_key=a.record_key,
            list_entry_id=a.list_entry_id,
            applied_on=a.applied_on,
            due_by=a.due_by,
            due_by_provisional=a.due_by_provisional,
            proof=a.proof,
            commitment=a.commitment,
            training_certificate=a.training_certificate,
            credit_report=a.credit_report,
            decider=a.decider,
            decision_reason=a.decision_reason,
            decided_on=a.decided_on,
            decided_late=a.decided_late,
            ended_list_entries=list(a.ended_list_entries),
            withdrawal_notices=a.withdrawal_notices,
        )


def _subjects(*codes: str | None) -> set[str]:
    return {code for code in codes if code}


@strawberry.type
class ObjectionsQuery:
    @strawberry.field(
        description="Objections you are party to: filed by or about you, or yours to decide "
        "(the credit office: all); optionally only those pending past their deadline"
    )
    async def objections(
        self,
        info: GraphInfo,
        status: ObjectionStatus | None = None,
        overdue_only: bool = False,
        first: int = 100,
    ) -> list[Objection]:
        actor = require(info, "readObjections")
        today = info.context.today()
        found = await objections.objections_for(
            info.context.db,
            actor,
            status=status,
            overdue_on=today if overdue_only else None,
            limit=max(1, min(first, 500)),
        )
        return [Objection.of(o, today) for o in found]

    @strawberry.field(
        description="Objections and repair applications per department against their "
        "deadlines: received, decided on time or late, pending, overdue (your department; "
        "the credit office: all)"
    )
    async def lifecycle_deadlines(
        self, info: GraphInfo, year: int | None = None
    ) -> list[LifecycleDeadlines]:
        actor = require(info, "decideObjection")
        rows = await deadlines.deadline_report(
            info.context.db,
            info.context.today(),
            year=year,
            department=None if actor.is_admin else actor.org_code,
        )
        return [
            LifecycleDeadlines(
                department=row.department,
                department_name=row.department_name,
                process=row.process,
                process_label=row.process_label,
                received=row.received,
                decided_on_time=row.decided_on_time,
                decided_late=row.decided_late,
                pending=row.pending,
                pending_overdue=row.pending_overdue,
            )
            for row in rows
        ]

    @strawberry.field(description="Repair applications you are party to (the credit office: all)")
    async def repair_applications(
        self, info: GraphInfo, status: RepairStatus | None = None, first: int = 100
    ) -> list[RepairApplication]:
        actor = require(info, "readRepairs")
        found = await repair.repairs_for(
            info.context.db, actor, status=status, limit=max(1, min(first, 500))
        )
        return [RepairApplication.of(a) for a in found]


@strawberry.type
class ObjectionsMutation:
    @strawberry.mutation(
        description="Object to a record (recordKey) or list entry (listEntryId): it is shown "
        "异议中 at once until the providing department decides"
    )
    async def file_objection(
        self,
        info: GraphInfo,
        grounds: ObjectionGround,
        statement: str,
        record_key: str | None = None,
        list_entry_id: str | None = None,
        evidence: str | None = None,
        attachments: list[Upload] | None = None,
    ) -> Objection:
        context = info.context
        actor = require(info, "fileObjection")
        files = await accept_uploads(info, attachments)
        filed = await objections.file_objection(
            context.db,
            actor,
            grounds=grounds,
            statement=statement,
            evidence=evidence,
            record_key=record_key,
            list_entry_id=list_entry_id,
            rules=context.rules,
            today=context.today(),
        )
        await link_uploads(info, OwnerKind.OBJECTION, filed.id, files)
        context.audit_action("file_objection", subjects=_subjects(filed.subject), detail=filed.id)
        return Objection.of(filed, context.today())

    @strawberry.mutation(
        description="As the deciding department: verification is needed, so the deadline "
        "becomes 7 working days from filing (only before the 3 days have run out)"
    )
    async def extend_objection_for_verification(
        self, info: GraphInfo, id: strawberry.ID, reason: str
    ) -> Objection:
        context = info.context
        actor = require(info, "decideObjection")
        extended = await objections.extend_for_verification(
            context.db, actor, str(id), reason, rules=context.rules, today=context.today()
        )
        context.audit_action(
            "extend_objection", subjects=_subjects(extended.subject), detail=extended.id
        )
        return Objection.of(extended, context.today())

    @strawberry.mutation(
        description="As the providing department: decide an objection. CORRECT needs "
        "`corrections` (field → corrected value), SUPPLEMENT needs `supplement`; each makes a "
        "new version of the record and keeps the old one"
    )
    async def decide_objection(
        self,
        info: GraphInfo,
        id: strawberry.ID,
        outcome: ObjectionOutcome,
        reason: str,
        corrections: JSON | None = None,
        supplement: str | None = None,
    ) -> Objection:
        context = info.context
        actor = require(info, "decideObjection")
        changes: dict[str, Any] | None = None
        if corrections is not None:
            if not isinstance(corrections, dict):
                raise InvalidInput("corrections", "须为对象 (an object: field → value)")
            changes = dict(corrections)
        decided = await objections.decide_objection(
            context.db,
            actor,
            str(id),
            outcome=outcome,
            reason=reason,
            corrections=changes,
            supplement=supplement,
            today=context.today(),
        )
        context.audit_action(
            "decide_objection", subjects=_subjects(decided.subject), detail=decided.id
        )
        return Objection.of(decided, context.today())

    @strawberry.mutation(
        description="Apply for credit repair of a record (recordKey) or black-list entry "
        "(listEntryId), once its minimum publication period has passed"
    )
    async def apply_for_repair(
        self,
        info: GraphInfo,
        proof: str,
        commitment: str,
        record_key: str | None = None,
        list_entry_id: str | None = None,
        training_certificate: str | None = None,
        credit_report: str | None = None,
        attachments: list[Upload] | None = None,
    ) -> RepairApplication:
        context = info.context
        actor = require(info, "applyRepair")
        files = await accept_uploads(info, attachments)
        applied = await repair.apply_for_repair(
            context.db,
            actor,
            record_key=record_key,
            list_entry_id=list_entry_id,
            proof=proof,
            commitment=commitment,
            training_certificate=training_certificate,
            credit_report=credit_report,
            rules=context.rules,
            today=context.today(),
        )
        await link_uploads(info, OwnerKind.REPAIR_APPLICATION, applied.id, files)
        context.audit_action("apply_repair", subjects=_subjects(applied.subject), detail=applied.id)
        return RepairApplication.of(applied)

    @strawberry.mutation(
        description="As the department that made the finding: approve or refuse a repair "
        "application (谁认定、谁修复); approval withdraws the record everywhere"
    )
    async def decide_repair(
        self, info: GraphInfo, id: strawberry.ID, approve: bool, reason: str
    ) -> RepairApplication:
        context = info.context
        actor = require(info, "decideRepair")
        decided = await repair.decide_repair(
            context.db,
            actor,
            str(id),
            approve=approve,
            reason=reason,
            today=context.today(),
            reevaluate=reevaluate_repaired,
        )
        context.audit_action(
            "decide_repair", subjects=_subjects(decided.subject), detail=decided.id
        )
        return RepairApplication.of(decided)
