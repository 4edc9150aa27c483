"""The joint-punishment API (六(三), 六(四)): catalogue measures under black-list entries, entry
bans, "which measures apply to this subject now", feedback on each application, statistics.

Which kinds of organisation may do what is the sharing catalogue's (`operations.imposeMeasure`,
`applicableMeasures`, `reportMeasureApplication`, `measureStatistics`); the rules within are
graph/lifecycle/measures.py's and bans.py's. Persons appear by key and masked name; their full
names only to departments and the credit office.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.lifecycle import bans, measures
from graph.model import (
    BanScope,
    ListEntryStatus,
    MeasureCategory,
    RecordKind,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from hub.api.lifecycle_support import acting_for, actor_of, permission, require
from hub.api.lists_api import OrgRef, SubjectRef, shows_names
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument

COMPUTED_TYPES = (
    "CatalogueMeasure",
    "ListEntryRef",
    "SanctionView",
    "RepresentativeRef",
    "ApplicableMeasure",
    "RecordCitation",
    "MeasureApplicationView",
    "MeasureCount",
    "MeasureStatistics",
)
"""Types of this module: answered by the lifecycle, not by the graph projection."""


@strawberry.type(description="A measure of the published catalogue (惩戒措施清单)")
class CatalogueMeasure:
    code: str
    name: str
    category: MeasureCategory | None
    basis: str | None = strawberry.field(description="Legal basis of the measure")
    business: str | None = strawberry.field(description="Business it restricts, e.g. 招投标")


@strawberry.type(description="The list entry a sanction follows from")
class ListEntryRef:
    id: strawberry.ID
    list_name: str | None
    status: ListEntryStatus | None
    decided_by: OrgRef | None = strawberry.field(description="认定部门")


@strawberry.type(description="A measure applied to a subject, or an entry ban (禁入)")
class SanctionView:
    id: strawberry.ID
    ban: bool = strawberry.field(description="True for a market or industry entry ban")
    status: SanctionStatus
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    measure: CatalogueMeasure | None = strawberry.field(description="The catalogue measure")
    name: str = strawberry.field(description="The measure's name, or 市场禁入 / 行业禁入（行业）")
    legal_basis: str | None = strawberry.field(description="The ban's basis, or the measure's")
    scope: BanScope | None = strawberry.field(description="Bans: market or industry")
    industry: str | None = strawberry.field(description="Industry bans: which industry")
    decision_number: str | None = strawberry.field(description="Bans: 决定文书号")
    lifted_reason: str | None
    list_entry: ListEntryRef | None
    imposed_by: OrgRef | None = strawberry.field(description="实施部门")
    subject: SubjectRef

    @classmethod
    def of(cls, sanction: measures.SanctionInfo, *, show_names: bool) -> SanctionView:
        """From the lifecycle's sanction."""
        measure = sanction.measure
        return cls(
            id=strawberry.ID(sanction.id),
            ban=sanction.is_ban,
            status=sanction.status,
            starts_on=sanction.starts_on,
            ends_on=sanction.ends_on,
            measure=None
            if measure is None
            else CatalogueMeasure(
                code=measure.code,
                name=measure.name,
                category=measure.category,
                basis=measure.basis,
                business=measure.business,
            ),
            name=sanction.measure_name,
            legal_basis=sanction.legal_basis,
            scope=sanction.scope,
            industry=sanction.industry,
            decision_number=sanction.decision_number,
            lifted_reason=sanction.lifted_reason,
            list_entry=None
            if sanction.list_entry is None
            else ListEntryRef(
                id=strawberry.ID(sanction.list_entry),
                list_name=sanction.list_name,
                status=sanction.list_status,
                decided_by=OrgRef(code=sanction.list_decided_by, name=sanction.list_decided_by_name)
                if sanction.list_decided_by
                else None,
            ),
            imposed_by=OrgRef(code=sanction.imposed_by, name=sanction.imposed_by_name)
            if sanction.imposed_by
            else None,
            subject=SubjectRef.of(
                sanction.subject,
                sanction.subject_is_person,
                sanction.subject_name,
                sanction.subject_name_masked,
                show_names=show_names,
            ),
        )


@strawberry.type(description="A person behind the enterprise whose own ban reaches it")
class RepresentativeRef:
    key: strawberry.ID
    name: str | None = strawberry.field(
        description="Full name: departments and the credit office only"
    )
    name_masked: str | None
    roles: list[RoleKind]


@strawberry.type(description="The adverse record a restriction rests on (its decision, cited)")
class RecordCitation:
    id: strawberry.ID = strawberry.field(description="The record version's id")
    kind: RecordKind
    document_number: str | None = strawberry.field(description="决定书文号")
    decision_date: datetime.date = strawberry.field(description="决定日期")
    severity: SeverityTier
    issuing_authority: OrgRef | None = strawberry.field(description="决定机关")

    @classmethod
    def of(cls, record: measures.RecordCitation) -> RecordCitation:
        """From the lifecycle's citation."""
        return cls(
            id=strawberry.ID(record.uid),
            kind=record.kind,
            document_number=record.document_number,
            decision_date=record.decision_date,
            severity=record.severity,
            issuing_authority=OrgRef(
                code=record.issuing_authority, name=record.issuing_authority_name
            )
            if record.issuing_authority
            else None,
        )


@strawberry.type(description="A measure or ban in force today on the subject asked about")
class ApplicableMeasure:
    sanction: SanctionView
    representative_ban: bool = strawberry.field(
        description="True when the ban is on a person representing the enterprise"
    )
    via_representative: RepresentativeRef | None = strawberry.field(
        description="That person, with their roles in the enterprise"
    )
    source_record: RecordCitation | None = strawberry.field(
        default=None,
        description="政府采购: the serious violation (严重 record within the look-back years, "
        "3 in Henan) the restriction rests on; null for sanctions and bans",
    )

    @classmethod
    def of(cls, found: measures.Applicable, *, show_names: bool) -> ApplicableMeasure:
        """From the lifecycle's answer."""
        via = found.via
        return cls(
            sanction=SanctionView.of(found.sanction, show_names=show_names),
            representative_ban=via is not None,
            via_representative=None
            if via is None
            else RepresentativeRef(
                key=strawberry.ID(via.key),
                name=via.name if show_names else None,
                name_masked=via.name_masked,
                roles=list(via.roles),
            ),
            source_record=None if found.record is None else RecordCitation.of(found.record),
        )


@strawberry.type(description="A reported application of a measure (惩戒措施实施反馈)")
class MeasureApplicationView:
    id: strawberry.ID
    sanction: SanctionView
    subject: SubjectRef
    matter_reference: str = strawberry.field(description="The business matter, e.g. 招标项目编号")
    applied_on: datetime.date
    outcome: str
    reporter: OrgRef


@strawberry.type(description="How often one measure was applied")
class MeasureCount:
    measure_code: str | None = strawberry.field(description="Catalogue code; null for bans")
    measure_name: str
    applications: int


@strawberry.type(description="One organisation's applications of measures over a period")
class MeasureStatistics:
    organisation: str = strawberry.field(description="统一社会信用代码 of the reporter")
    organisation_name: str | None
    organisation_kind: str | None = strawberry.field(description="DEPARTMENT or ASSOCIATION")
    total: int
    measures: list[MeasureCount]


@strawberry.input(description="A market or industry entry ban (禁入决定)")
class BanInput:
    scope: BanScope
    uscc: str | None = strawberry.field(default=None, description="Subject: an enterprise")
    person_key: strawberry.ID | None = strawberry.field(
        default=None, description="Subject: a person (法定代表人, 主要负责人 …)"
    )
    industry: str | None = strawberry.field(default=None, description="Industry bans: which")
    starts_on: datetime.date | None = strawberry.field(default=None, description="Today if null")
    ends_on: datetime.date | None = strawberry.field(default=None, description="禁入期限至")
    basis: str | None = strawberry.field(default=None, description="Legal basis")
    decision_number: str | None = strawberry.field(default=None, description="决定文书号")
    list_entry_id: strawberry.ID | None = strawberry.field(
        default=None, description="The black-list entry the ban follows from"
    )
    measure_code: str | None = strawberry.field(
        default=None, description="The catalogue measure the ban carries out"
    )

    def order(self) -> bans.BanOrder:
        """The lifecycle's view of the input."""
        return bans.BanOrder(
            scope=self.scope,
            subject_uscc=self.uscc,
            subject_person=str(self.person_key) if self.person_key is not None else None,
            industry=self.industry,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            basis=self.basis,
            decision_number=self.decision_number,
            list_entry_id=str(self.list_entry_id) if self.list_entry_id is not None else None,
            measure_code=self.measure_code,
        )


@strawberry.input(description="A report that a measure was applied in a business matter")
class MeasureApplicationInput:
    uscc: str | None = strawberry.field(default=None, description="Subject: an enterprise")
    person_key: strawberry.ID | None = strawberry.field(
        default=None, description="Subject: a person"
    )
    sanction_id: strawberry.ID | None = strawberry.field(
        default=None, description="The sanction applied (or name the measure)"
    )
    measure_code: str | None = strawberry.field(default=None, description="The measure applied")
    matter_reference: str | None = strawberry.field(
        default=None, description="The business matter, e.g. 招标项目编号"
    )
    applied_on: datetime.date | None = strawberry.field(default=None, description="Today if null")
    outcome: str | None = strawberry.field(default=None, description="What was done")

    def report(self) -> measures.MeasureReport:
        """The lifecycle's view of the input."""
        return measures.MeasureReport(
            subject_uscc=self.uscc,
            subject_person=str(self.person_key) if self.person_key is not None else None,
            sanction_id=str(self.sanction_id) if self.sanction_id is not None else None,
            measure_code=self.measure_code,
            matter_reference=self.matter_reference,
            applied_on=self.applied_on,
            outcome=self.outcome,
        )


def _subject(uscc: str | None, person_key: strawberry.ID | None) -> str:
    code = (uscc or "").strip().upper()
    key = str(person_key or "").strip()
    if bool(code) == bool(key):
        raise InvalidArgument("uscc", "give exactly one of `uscc` and `personKey`")
    return code or key


@strawberry.type
class MeasuresMutation:
    @strawberry.mutation(
        description="As a department (the credit office: naming one): apply a catalogue "
        "measure to the subject of a black-list entry in force, for a period (联合惩戒)"
    )
    async def impose_measure(
        self,
        info: GraphInfo,
        list_entry_id: strawberry.ID,
        measure_code: str,
        starts_on: datetime.date | None = None,
        ends_on: datetime.date | None = None,
        department: str | None = None,
    ) -> SanctionView:
        context = info.context
        organisation = acting_for(info, "imposeMeasure", department, "department")
        sanction = await measures.impose_measure(
            context.db,
            actor_of(context.consumer),
            organisation,
            str(list_entry_id),
            measure_code,
            starts_on=starts_on,
            ends_on=ends_on,
            today=context.today(),
        )
        context.audit_action(
            "impose_measure", subjects={sanction.subject or ""} - {""}, detail=sanction.id
        )
        return SanctionView.of(sanction, show_names=shows_names(info))

    @strawberry.mutation(
        description="As a department: ban an enterprise or a person from the market or an "
        "industry for a period (市场禁入、行业禁入)"
    )
    async def impose_ban(
        self, info: GraphInfo, ban: BanInput, department: str | None = None
    ) -> SanctionView:
        context = info.context
        organisation = acting_for(info, "imposeMeasure", department, "department")
        imposed = await bans.impose_ban(
            context.db, actor_of(context.consumer), organisation, ban.order(), today=context.today()
        )
        context.audit_action(
            "impose_ban", subjects={imposed.subject or ""} - {""}, detail=imposed.id
        )
        return SanctionView.of(imposed, show_names=shows_names(info))

    @strawberry.mutation(
        description="As the department that imposed it: lift a ban before its period ends"
    )
    async def lift_ban(
        self, info: GraphInfo, id: strawberry.ID, reason: str, department: str | None = None
    ) -> SanctionView:
        context = info.context
        organisation = acting_for(info, "imposeMeasure", department, "department")
        lifted = await bans.lift_ban(
            context.db,
            actor_of(context.consumer),
            organisation,
            str(id),
            reason,
            today=context.today(),
        )
        context.audit_action("lift_ban", subjects={lifted.subject or ""} - {""}, detail=lifted.id)
        return SanctionView.of(lifted, show_names=shows_names(info))

    @strawberry.mutation(
        description="As a department or association: report that you applied a measure to a "
        "subject in a business matter (反馈); it must apply to the subject today"
    )
    async def report_measure_application(
        self, info: GraphInfo, report: MeasureApplicationInput, reporter: str | None = None
    ) -> MeasureApplicationView:
        context = info.context
        organisation = acting_for(info, "reportMeasureApplication", reporter, "reporter")
        applied = await measures.report_measure_application(
            context.db,
            actor_of(context.consumer),
            organisation,
            report.report(),
            today=context.today(),
        )
        context.audit_action(
            "report_measure_application", subjects={applied.subject}, detail=applied.id
        )
        names = shows_names(info)
        return MeasureApplicationView(
            id=strawberry.ID(applied.id),
            sanction=SanctionView.of(applied.sanction, show_names=names),
            subject=SubjectRef.of(
                applied.subject,
                applied.subject_is_person,
                applied.subject_name,
                applied.subject_name_masked,
                show_names=names,
            ),
            matter_reference=applied.matter_reference,
            applied_on=applied.applied_on,
            outcome=applied.outcome,
            reporter=OrgRef(code=applied.reporter, name=applied.reporter_name),
        )


@strawberry.type
class MeasuresQuery:
    @strawberry.field(
        description="Which measures apply to this enterprise or person today (联合惩戒): "
        "sanctions in force under list entries in force, entry bans, and for an enterprise the "
        "bans on the persons representing it; optionally only measures restricting `business` "
        "(e.g. 招投标; bans always answer). For 政府采购 (or every business), each serious "
        "violation of the look-back years (3 in Henan) answers too, its record cited"
    )
    async def applicable_measures(
        self,
        info: GraphInfo,
        uscc: str | None = None,
        person_key: strawberry.ID | None = None,
        business: str | None = None,
    ) -> list[ApplicableMeasure]:
        context = info.context
        require(info, "applicableMeasures")
        subject = _subject(uscc, person_key)
        if business is not None and len(business) > 100:
            raise InvalidArgument("business", "must be at most 100 characters")
        found = await measures.applicable_measures(
            context.db,
            subject,
            business=business,
            today=context.today(),
            procurement_years=context.rules.procurement_lookback_years,
        )
        context.subjects.add(subject)
        names = shows_names(info)
        return [ApplicableMeasure.of(a, show_names=names) for a in found]

    @strawberry.field(
        description="Bans in force on the legal representative, principals and actual "
        "controllers of this enterprise (a banned person is flagged on every enterprise "
        "they represent)"
    )
    async def banned_representatives(self, info: GraphInfo, uscc: str) -> list[ApplicableMeasure]:
        context = info.context
        require(info, "applicableMeasures")
        subject = _subject(uscc, None)
        found = await measures.banned_representatives(context.db, subject, today=context.today())
        context.subjects.add(subject)
        names = shows_names(info)
        return [ApplicableMeasure.of(a, show_names=names) for a in found]

    @strawberry.field(
        description="Measures applied per reporting organisation and measure over a period "
        "(联合奖惩反馈统计): your own organisation's; the credit office: all, or one"
    )
    async def measure_statistics(
        self,
        info: GraphInfo,
        applied_from: datetime.date,
        applied_to: datetime.date,
        organisation: str | None = None,
    ) -> list[MeasureStatistics]:
        context = info.context
        if organisation is None and permission(info, "measureStatistics", on_behalf=True).allowed:
            scope = None
        else:
            scope = acting_for(info, "measureStatistics", organisation, "organisation")
        if applied_to < applied_from:
            raise InvalidArgument("appliedTo", "must not be before appliedFrom")
        found = await measures.measure_statistics(
            context.db, applied_from, applied_to, organisation=scope
        )
        return [
            MeasureStatistics(
                organisation=s.code,
                organisation_name=s.name,
                organisation_kind=s.kind,
                total=s.total,
                measures=[
                    MeasureCount(
                        measure_code=m.code, measure_name=m.name, applications=m.applications
                    )
                    for m in s.measures
                ],
            )
            for s in found
        ]
