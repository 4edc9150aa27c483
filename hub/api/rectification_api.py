"""The API of rectification orders and warning interviews (限期整改、约谈, 六(二)).

The catalogue's `operations.orderRectification` lets departments act (the credit office by
naming one); graph/lifecycle/rectification.py enforces the rest: 谁认定、谁约谈, the deadline
(no interview before it, no completion after it or after an interview). Orders are shown to the
subject enterprise itself, to departments and to the credit office; each department sees its
overdue orders awaiting an interview.
"""

from __future__ import annotations

import datetime

import strawberry

from authz.policy import Subject
from graph.identifiers import is_valid_uscc
from graph.lifecycle import rectification
from graph.model import RectificationStatus, SeverityTier
from hub.api.lifecycle_support import acting_for, permission, refuse, require, require_subject
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument

COMPUTED_TYPES = ("Rectification",)
"""Types of this module: answered by the lifecycle module, not by the graph projection."""

OPERATION = "orderRectification"
READ_OPERATION = "readRectifications"
"""Who reads a subject's orders: the subject itself, departments, the credit office."""


@strawberry.type(description="A rectification order with a deadline (限期整改) and its outcome")
class Rectification:
    id: strawberry.ID
    status: RectificationStatus
    status_label: str = strawberry.field(description="整改中 / 已整改 / 逾期未整改，已约谈")
    overdue: bool = strawberry.field(
        description="Deadline passed without completion and no interview yet: one is due"
    )
    ordered_on: datetime.date
    deadline: datetime.date
    requirement: str = strawberry.field(description="整改要求")
    severity: SeverityTier
    ordered_by: str = strawberry.field(description="统一社会信用代码 of the department")
    ordered_by_name: str | None
    subject: str = strawberry.field(description="统一社会信用代码, or a person's key")
    subject_name: str | None = strawberry.field(description="Persons de-identified")
    finding_key: str = strawberry.field(description="Key of the record it follows")
    finding_title: str | None
    record_key: str = strawberry.field(description="Key of its RECTIFICATION record")
    completed_on: datetime.date | None
    completion_note: str | None
    interviewed_on: datetime.date | None
    interview_summary: str | None
    interview_record_key: str | None = strawberry.field(
        description="Key of the INTERVIEW record (约谈) after a missed deadline"
    )

    @classmethod
    def of(cls, r: rectification.Rectification, today: datetime.date) -> Rectification:
        """From the lifecycle's value, as of `today`."""
        return cls(
            id=strawberry.ID(r.id),
            status=r.status,
            status_label=r.status.label,
            overdue=r.overdue_on(today),
            ordered_on=r.ordered_on,
            deadline=r.deadline,
            requirement=r.requirement,
            severity=r.severity,
            ordered_by=r.ordered_by,
            ordered_by_name=r.ordered_by_name,
            subject=r.subject,
            subject_name=r.subject_name,
            finding_key=r.finding_key,
            finding_title=r.finding_title,
            record_key=r.record_key,
            completed_on=r.completed_on,
            completion_note=r.completion_note,
            interviewed_on=r.interviewed_on,
            interview_summary=r.interview_summary,
            interview_record_key=r.interview_record_key,
        )


@strawberry.type
class RectificationQuery:
    @strawberry.field(
        description="A subject's rectification orders, newest first: for the enterprise "
        "itself, departments and the credit office"
    )
    async def rectifications(
        self,
        info: GraphInfo,
        subject: str | None = None,
        status: RectificationStatus | None = None,
    ) -> list[Rectification]:
        consumer = info.context.consumer
        kind_level = permission(info, READ_OPERATION)
        if not kind_level.allowed:
            refuse(
                kind_level,
                f"{consumer.org_kind.label}不能查看限期整改 (rectification orders are shown to "
                "the subject, departments and the credit office)",
            )
        code = (subject or consumer.org_code or "").strip()
        if not code:
            raise InvalidArgument("subject", "name the enterprise or person")
        if is_valid_uscc(code.upper()):  # a person key keeps its case
            code = code.upper()
        await require_subject(
            info,
            READ_OPERATION,
            Subject.party(code),
            "只能查看本主体的限期整改 (you may see your own rectification orders)",
        )
        info.context.subjects.add(code)
        found = await rectification.rectifications_of(info.context.db, code, status=status)
        today = info.context.today()
        return [Rectification.of(r, today) for r in found]

    @strawberry.field(
        description="Orders past their deadline without completion and not yet followed by an "
        "interview: your department's (the credit office: all, or the department named)"
    )
    async def overdue_rectifications(
        self, info: GraphInfo, department: str | None = None
    ) -> list[Rectification]:
        context = info.context
        require(info, OPERATION)
        if department is None and permission(info, OPERATION, on_behalf=True).allowed:
            scope = None  # those who may name any department see every department's
        else:
            scope = acting_for(info, OPERATION, department, "department")
        today = context.today()
        found = await rectification.overdue(context.db, scope, today)
        context.subjects.update(r.subject for r in found)
        return [Rectification.of(r, today) for r in found]


@strawberry.type
class RectificationMutation:
    @strawberry.mutation(
        description="As the department that made a finding (a record it provided, by key): "
        "order its subject to rectify by a deadline. Also a RECTIFICATION credit record; its "
        "severity is the one given or the finding's."
    )
    async def order_rectification(
        self,
        info: GraphInfo,
        finding: str,
        deadline: datetime.date,
        requirement: str,
        severity: SeverityTier | None = None,
        document_number: str | None = None,
        department: str | None = None,
    ) -> Rectification:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        today = context.today()
        ordered = await rectification.order(
            context.db,
            actor,
            organisation,
            finding=finding,
            deadline=deadline,
            requirement=requirement,
            severity=severity,
            document_number=document_number,
            today=today,
        )
        context.audit_action("order_rectification", subjects={ordered.subject}, detail=ordered.id)
        return Rectification.of(ordered, today)

    @strawberry.mutation(
        description="As the ordering department: the subject rectified on or before the "
        "deadline (COMPLETED)"
    )
    async def complete_rectification(
        self, info: GraphInfo, id: strawberry.ID, note: str, department: str | None = None
    ) -> Rectification:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        today = context.today()
        done = await rectification.complete(
            context.db, actor, organisation, str(id), note=note, today=today
        )
        context.audit_action("complete_rectification", subjects={done.subject}, detail=done.id)
        return Rectification.of(done, today)

    @strawberry.mutation(
        description="As the department that made the finding (谁认定、谁约谈): record the "
        "warning interview (约谈) after a missed deadline. It becomes an INTERVIEW credit "
        "record; the order becomes OVERDUE and the subject's watchers are told."
    )
    async def record_interview(
        self,
        info: GraphInfo,
        id: strawberry.ID,
        summary: str,
        severity: SeverityTier | None = None,
        document_number: str | None = None,
        department: str | None = None,
    ) -> Rectification:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        today = context.today()
        held = await rectification.interview(
            context.db,
            actor,
            organisation,
            str(id),
            summary=summary,
            severity=severity,
            document_number=document_number,
            today=today,
        )
        context.audit_action("record_interview", subjects={held.subject}, detail=held.id)
        return Rectification.of(held, today)
