"""The API of credit commitments (信用承诺, 三(一)) and voluntary registration (自愿注册, 五(三)).

Who may call what at all is the sharing catalogue's `operations` (manageCommitmentItems,
makeCommitment, decideCommitment, registerVoluntary, verifyVoluntary); the rules inside each
process — the offering organisation decides, members only, exact template text, truthfulness
commitment, verify once — are graph/lifecycle/commitments.py's and voluntary.py's, and their
refusals reach the caller as they are. Reading follows need-to-share:

- commitment items are public (applicants must be able to read the text they will accept);
- an enterprise's commitments are shown to the enterprise itself, to departments and the credit
  office, and to an association for its own programme's commitments only;
- voluntary items are shown to everyone with their verification label (unverified ones read
  「未核实(企业自愿填报)」); rejected items and earlier versions only to the enterprise itself,
  the verifiers (departments, credit agencies) and the credit office.
"""

from __future__ import annotations

import datetime

import strawberry
from strawberry.file_uploads import Upload

from authz.policy import Subject
from graph.attachments import OwnerKind
from graph.lifecycle import commitments, voluntary
from graph.model import (
    CommitmentStatus,
    SeverityTier,
    VerificationStatus,
    VoluntaryKind,
)
from hub.api.attachments_api import Attachment, accept_uploads, attachments_for, link_uploads
from hub.api.lifecycle_support import (
    acting_for,
    decide,
    permission,
    refuse,
    require,
    require_subject,
)
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument

COMPUTED_TYPES = ("CommitmentItem", "Commitment", "VoluntaryItem")
"""Types of this module: answered by the lifecycle modules, not by the graph projection."""


@strawberry.type(
    description="A licensing item or association programme accepting a credit commitment "
    "(信用承诺事项), with the template text an applicant accepts"
)
class CommitmentItem:
    code: str = strawberry.field(description="事项编码")
    name: str = strawberry.field(description="事项名称")
    template: str = strawberry.field(description="承诺书文本: accepted word for word")
    template_hash: str = strawberry.field(description="SHA-256 of the template (UTF-8)")
    offered_by: str = strawberry.field(description="统一社会信用代码 of the offering organisation")
    offered_by_name: str | None = strawberry.field(description="Offering organisation")
    offered_by_kind: str = strawberry.field(
        description="DEPARTMENT or ASSOCIATION (an association's programme takes members only)"
    )
    active: bool = strawberry.field(description="Accepting commitments (false: withdrawn)")
    revision: int = strawberry.field(description="Changes so far, 1 for the first text")
    updated_on: datetime.date

    @classmethod
    def of(cls, item: commitments.CommitmentItem) -> CommitmentItem:
        """From the lifecycle's value."""
        return cls(
            code=item.code,
            name=item.name,
            template=item.template,
            template_hash=item.template_hash,
            offered_by=item.offered_by,
            offered_by_name=item.offered_by_name,
            offered_by_kind=item.offered_by_kind,
            active=item.active,
            revision=item.revision,
            updated_on=item.updated_on,
        )


@strawberry.type(description="A credit commitment (信用承诺) and whether it was kept")
class Commitment:
    id: strawberry.ID
    status: CommitmentStatus
    status_label: str = strawberry.field(description="履约中 / 已履约 / 已违诺")
    made_on: datetime.date
    due_by: datetime.date | None = strawberry.field(description="履约期限")
    text: str = strawberry.field(description="The exact text accepted")
    text_hash: str = strawberry.field(description="SHA-256 of the text (UTF-8)")
    subject: str = strawberry.field(description="统一社会信用代码 of the enterprise")
    subject_name: str | None
    item: CommitmentItem
    made_by: str = strawberry.field(description="Who recorded it: the enterprise or a window")
    made_by_kind: str
    record_key: str = strawberry.field(description="Key of its COMMITMENT credit record")
    decided_on: datetime.date | None
    decided_by: str | None
    decision_note: str | None
    breach_severity: SeverityTier | None
    breach_record_key: str | None = strawberry.field(
        description="Key of the COMMITMENT_BREACH record a breach created"
    )

    @classmethod
    def of(cls, c: commitments.Commitment) -> Commitment:
        """From the lifecycle's value."""
        return cls(
            id=strawberry.ID(c.id),
            status=c.status,
            status_label=c.status.label,
            made_on=c.made_on,
            due_by=c.due_by,
            text=c.text,
            text_hash=c.text_hash,
            subject=c.subject,
            subject_name=c.subject_name,
            item=CommitmentItem.of(c.item),
            made_by=c.made_by,
            made_by_kind=c.made_by_kind,
            record_key=c.record_key,
            decided_on=c.decided_on,
            decided_by=c.decided_by,
            decision_note=c.decision_note,
            breach_severity=c.breach_severity,
            breach_record_key=c.breach_record_key,
        )


@strawberry.type(
    description="Voluntarily registered information (自愿注册), one version; only verified "
    "current versions count in evaluation and reports"
)
class VoluntaryItem:
    id: strawberry.ID = strawberry.field(description="Version id (key#vN)")
    key: str = strawberry.field(description="The item across versions")
    version: int
    current: bool
    kind: VoluntaryKind
    kind_label: str
    title: str
    detail: str
    evidence: str | None = strawberry.field(description="证明材料")
    registered_on: datetime.date
    truthful: bool = strawberry.field(description="真实性承诺 given")
    statement: str = strawberry.field(description="The truthfulness statement as given")
    verification: VerificationStatus
    verification_label: str = strawberry.field(
        description="未核实(企业自愿填报) / 已核实 / 核实未通过"
    )
    counts: bool = strawberry.field(description="Counts in evaluation and reports")
    verified_by: str | None = strawberry.field(description="Who verified (统一社会信用代码)")
    verified_by_name: str | None
    verified_on: datetime.date | None
    verification_note: str | None
    subject: str
    subject_name: str | None

    @strawberry.field(description="证明材料: the files registered with this version")
    async def attachments(self, info: GraphInfo) -> list[Attachment]:
        return await attachments_for(info, OwnerKind.VOLUNTARY_ITEM, str(self.id))

    @classmethod
    def of(cls, v: voluntary.VoluntaryItem) -> VoluntaryItem:
        """From the lifecycle's value."""
        return cls(
            id=strawberry.ID(v.id),
            key=v.key,
            version=v.version,
            current=v.current,
            kind=v.kind,
            kind_label=v.kind.label,
            title=v.title,
            detail=v.detail,
            evidence=v.evidence,
            registered_on=v.registered_on,
            truthful=v.truthful,
            statement=v.statement,
            verification=v.verification,
            verification_label=v.verification_label,
            counts=v.counts,
            verified_by=v.verified_by,
            verified_by_name=v.verified_by_name,
            verified_on=v.verified_on,
            verification_note=v.verification_note,
            subject=v.subject,
            subject_name=v.subject_name,
        )


def _subject(info: GraphInfo, subject: str | None) -> str:
    code = (subject or info.context.consumer.org_code or "").strip().upper()
    if not code:
        raise InvalidArgument("subject", "name the enterprise (统一社会信用代码)")
    return code


READ_COMMITMENTS = "readCommitments"
"""Who reads an enterprise's commitments (operations.readCommitments): the enterprise itself,
departments, the credit office; an association those made to its own programme (`offerer`)."""

VOLUNTARY_HISTORY = "readVoluntaryHistory"
"""Who sees rejected voluntary items and earlier versions (operations.readVoluntaryHistory)."""


@strawberry.type
class CommitmentsQuery:
    @strawberry.field(
        description="The catalogue of items accepting a credit commitment (public), active ones "
        "unless includeWithdrawn; optionally one organisation's"
    )
    async def commitment_items(
        self, info: GraphInfo, offered_by: str | None = None, include_withdrawn: bool = False
    ) -> list[CommitmentItem]:
        by = offered_by.strip().upper() if offered_by else None
        found = await commitments.items(
            info.context.db, offered_by=by, include_withdrawn=include_withdrawn
        )
        return [CommitmentItem.of(i) for i in found]

    @strawberry.field(
        description="An enterprise's credit commitments with their status: for the enterprise "
        "itself, departments and the credit office; an association sees its own programme's"
    )
    async def commitments(
        self, info: GraphInfo, subject: str | None = None, status: CommitmentStatus | None = None
    ) -> list[Commitment]:
        consumer = info.context.consumer
        kind_level = permission(info, READ_COMMITMENTS)
        if not kind_level.allowed:
            refuse(
                kind_level,
                f"{consumer.org_kind.label}不能查看信用承诺 (commitments are shown to the "
                "enterprise, departments, the offering association and the credit office)",
            )
        code = _subject(info, subject)
        decision = await require_subject(
            info,
            READ_COMMITMENTS,
            Subject.enterprise(code),
            "只能查看本主体的信用承诺 (you may see your own commitments)",
        )
        # `offerer`: an association sees its own programme's commitments only.
        offered_by = consumer.org_code if decision.narrowed else None
        info.context.subjects.add(code)
        found = await commitments.commitments_of(
            info.context.db, code, status=status, offered_by=offered_by
        )
        return [Commitment.of(c) for c in found]

    @strawberry.field(
        description="An enterprise's voluntarily registered information, each with its "
        "verification label; rejected items and earlier versions (includeHistory) only for the "
        "enterprise itself, verifiers and the credit office"
    )
    async def voluntary_items(
        self, info: GraphInfo, subject: str | None = None, include_history: bool = False
    ) -> list[VoluntaryItem]:
        code = _subject(info, subject)
        history = await decide(info, VOLUNTARY_HISTORY, Subject.enterprise(code))
        sees_all = history.allowed
        if include_history and not sees_all:
            refuse(
                history,
                "历史版本仅向本主体、核实单位和信用管理部门提供 (earlier versions are shown to "
                "the enterprise itself, verifiers and the credit office)",
            )
        statuses = (
            None if sees_all else [VerificationStatus.UNVERIFIED, VerificationStatus.VERIFIED]
        )
        info.context.subjects.add(code)
        found = await voluntary.items_of(
            info.context.db, code, include_history=include_history, statuses=statuses
        )
        return [VoluntaryItem.of(v) for v in found]


@strawberry.type
class CommitmentsMutation:
    @strawberry.mutation(
        description="As a department or association: create or change an item accepting a "
        "credit commitment (its template text); active: false withdraws it. The credit office "
        "names the offering organisation (offeredBy)."
    )
    async def save_commitment_item(
        self,
        info: GraphInfo,
        code: str,
        name: str,
        template: str,
        active: bool = True,
        offered_by: str | None = None,
    ) -> CommitmentItem:
        context = info.context
        actor = require(info, "manageCommitmentItems")
        organisation = acting_for(info, "manageCommitmentItems", offered_by, "offeredBy")
        item = await commitments.save_item(
            context.db,
            actor,
            organisation,
            code=code,
            name=name,
            template=template,
            active=active,
            today=context.today(),
        )
        context.audit_action("save_commitment_item", subjects=set(), detail=item.code)
        return CommitmentItem.of(item)

    @strawberry.mutation(
        description="Make a credit commitment on an item by accepting its template text "
        "exactly (acceptedText). An enterprise commits for itself; the offering department's or "
        "association's window (or the credit office) names the enterprise (subject)."
    )
    async def make_commitment(
        self,
        info: GraphInfo,
        item: str,
        accepted_text: str,
        subject: str | None = None,
        due_by: datetime.date | None = None,
    ) -> Commitment:
        context = info.context
        actor = require(info, "makeCommitment")
        enterprise = acting_for(info, "makeCommitment", subject, "subject")
        made = await commitments.make_commitment(
            context.db,
            actor,
            subject=enterprise,
            item_code=item,
            accepted_text=accepted_text,
            due_by=due_by,
            today=context.today(),
        )
        context.audit_action("make_commitment", subjects={made.subject}, detail=made.id)
        return Commitment.of(made)

    @strawberry.mutation(
        description="As the offering organisation (or the credit office): decide whether a "
        "commitment was KEPT or BREACHED, once. A breach needs a severity tier and creates an "
        "adverse COMMITMENT_BREACH record."
    )
    async def decide_commitment(
        self,
        info: GraphInfo,
        id: strawberry.ID,
        outcome: CommitmentStatus,
        note: str,
        severity: SeverityTier | None = None,
    ) -> Commitment:
        context = info.context
        actor = require(info, "decideCommitment")
        decided = await commitments.decide_commitment(
            context.db,
            actor,
            str(id),
            outcome=outcome,
            note=note,
            severity=severity,
            today=context.today(),
        )
        context.audit_action(
            "decide_commitment",
            subjects={decided.subject},
            detail=f"{decided.id}:{decided.status.value}",
        )
        return Commitment.of(decided)

    @strawberry.mutation(
        description="As an enterprise: register information voluntarily (自愿注册) with the "
        "truthfulness commitment: truthful: true and the statement text. It stays "
        "「未核实(企业自愿填报)」 until a department or credit agency verifies it."
    )
    async def register_voluntary(
        self,
        info: GraphInfo,
        kind: VoluntaryKind,
        title: str,
        detail: str,
        evidence: str | None = None,
        truthful: bool | None = None,
        statement: str | None = None,
        subject: str | None = None,
        attachments: list[Upload] | None = None,
    ) -> VoluntaryItem:
        context = info.context
        actor = require(info, "registerVoluntary")
        enterprise = acting_for(info, "registerVoluntary", subject, "subject")
        files = await accept_uploads(info, attachments)
        item = await voluntary.register(
            context.db,
            actor,
            subject=enterprise,
            kind=kind,
            title=title,
            detail=detail,
            evidence=evidence,
            truthful=truthful,
            statement=statement,
            today=context.today(),
        )
        await link_uploads(info, OwnerKind.VOLUNTARY_ITEM, item.id, files)
        context.audit_action("register_voluntary", subjects={item.subject}, detail=item.id)
        return VoluntaryItem.of(item)

    @strawberry.mutation(
        description="As the enterprise: change a voluntary item (its current version, id). "
        "The change is a new version, unverified again, with a fresh truthfulness commitment; "
        "the earlier version and its verification are kept as history."
    )
    async def amend_voluntary(
        self,
        info: GraphInfo,
        id: strawberry.ID,
        title: str | None = None,
        detail: str | None = None,
        evidence: str | None = None,
        truthful: bool | None = None,
        statement: str | None = None,
        attachments: list[Upload] | None = None,
    ) -> VoluntaryItem:
        context = info.context
        actor = require(info, "registerVoluntary")
        files = await accept_uploads(info, attachments)
        item = await voluntary.amend(
            context.db,
            actor,
            str(id),
            title=title,
            detail=detail,
            evidence=evidence,
            truthful=truthful,
            statement=statement,
            today=context.today(),
        )
        await link_uploads(info, OwnerKind.VOLUNTARY_ITEM, item.id, files)
        context.audit_action("amend_voluntary", subjects={item.subject}, detail=item.id)
        return VoluntaryItem.of(item)

    @strawberry.mutation(
        description="As a department or credit agency: verify the current version of a "
        "voluntary item — VERIFIED or REJECTED with a note, once. The credit office verifies "
        "as itself or names the verifying organisation (verifier)."
    )
    async def verify_voluntary(
        self,
        info: GraphInfo,
        id: strawberry.ID,
        outcome: VerificationStatus,
        note: str,
        verifier: str | None = None,
    ) -> VoluntaryItem:
        context = info.context
        actor = require(info, "verifyVoluntary")
        if actor.is_admin and verifier is None:
            organisation = None  # the credit office verifying as itself
        else:
            organisation = acting_for(info, "verifyVoluntary", verifier, "verifier")
        item = await voluntary.verify(
            context.db,
            actor,
            organisation,
            str(id),
            outcome=outcome,
            note=note,
            today=context.today(),
        )
        context.audit_action(
            "verify_voluntary",
            subjects={item.subject},
            detail=f"{item.id}:{item.verification.value}",
        )
        return VoluntaryItem.of(item)
