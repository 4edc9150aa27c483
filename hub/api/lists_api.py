"""The lists API: red and black list decisions (红黑名单认定), activation after announcement,
removal by the deciding department (六(一)), and the liability they carry (六(五)).

The sharing catalogue's `operations.decideList` lets departments act for themselves and the
credit office name a department; the rules within (谁认定、谁移出, the announcement period, the
required items of a decision) are graph/lifecycle/lists.py's. Persons appear by key and masked
name; their full names only to those the catalogue shares `Person.name` with (`shows_names`).
"""

from __future__ import annotations

import datetime

import strawberry

from graph.lifecycle import lists
from graph.model import ListEntryStatus, ListType, RoleKind
from hub.api.lifecycle_support import acting_for, actor_of
from hub.api.query import GraphInfo

COMPUTED_TYPES = (
    "OrgRef",
    "SubjectRef",
    "LinkedPersonRef",
    "SupervisingUnit",
    "ListEntryDecision",
)
"""Types of this module: answered by the lifecycle, not by the graph projection."""

PERSON_NAME = ("Person", "name")
"""The catalogue field whose decision a person's full name follows wherever it appears."""


def shows_names(info: GraphInfo) -> bool:
    """Whether the caller may see persons' full names: the catalogue's decision for
    `Person.name` (its `personal` class), the same wherever a person is named."""
    context = info.context
    decision = context.catalogue.field(context.consumer, *PERSON_NAME)
    if decision.allowed:
        context.released.add(decision.coordinate)
    return decision.allowed


@strawberry.type(description="An organisation by its 统一社会信用代码 and name")
class OrgRef:
    code: str
    name: str | None


@strawberry.type(description="The subject of a decision: an enterprise, or a person by key")
class SubjectRef:
    code: str = strawberry.field(description="统一社会信用代码, or the person's key")
    is_person: bool
    name: str | None = strawberry.field(
        description="Enterprise name; a person's full name only for departments and the "
        "credit office"
    )
    name_masked: str | None = strawberry.field(description="A person's de-identified name")

    @classmethod
    def of(
        cls,
        code: str | None,
        is_person: bool,
        name: str | None,
        masked: str | None,
        *,
        show_names: bool,
    ) -> SubjectRef:
        """A subject, its person's full name kept only when `show_names`."""
        if is_person:
            return cls(
                code=code or "",
                is_person=True,
                name=name if show_names else None,
                name_masked=masked,
            )
        return cls(code=code or "", is_person=False, name=name, name_masked=None)


@strawberry.type(description="A person a list decision names: 法定代表人 / 主要负责人 / 实际控制人")
class LinkedPersonRef:
    key: strawberry.ID
    name: str | None = strawberry.field(
        description="Full name: departments and the credit office only"
    )
    name_masked: str | None
    role: RoleKind


@strawberry.type(description="The supervising unit told of a state-owned entity's listing")
class SupervisingUnit:
    name: str
    code: str | None


@strawberry.input(description="The supervising unit of a state-owned enterprise or public body")
class SupervisingUnitInput:
    name: str
    code: str | None = None


@strawberry.input(
    description="A list decision (认定). Every item is checked by the lifecycle rules, which "
    "name the missing one: black lists need prior notice and removal conditions."
)
class ListDecisionInput:
    list_type: ListType
    uscc: str | None = strawberry.field(default=None, description="Subject: an enterprise")
    person_key: strawberry.ID | None = strawberry.field(
        default=None, description="Subject: a person"
    )
    list_name: str | None = strawberry.field(
        default=None, description="Which list; 严重失信主体名单 / 守信激励对象名单 by default"
    )
    basis: str | None = strawberry.field(default=None, description="Legal basis (认定依据)")
    decision_number: str | None = strawberry.field(default=None, description="认定文书号")
    decision_date: datetime.date | None = strawberry.field(default=None, description="认定日期")
    notice_date: datetime.date | None = strawberry.field(
        default=None, description="Day the subject was given prior notice (事先告知)"
    )
    removal_conditions: str | None = strawberry.field(default=None, description="移出条件")
    effective_from: datetime.date | None = strawberry.field(
        default=None, description="Black list: 生效日期, the decision date by default"
    )
    effective_until: datetime.date | None = strawberry.field(default=None, description="有效期至")
    record_keys: list[str] | None = strawberry.field(
        default=None, description="Keys of the subject's credit records the decision rests on"
    )
    supervising_unit: SupervisingUnitInput | None = strawberry.field(
        default=None,
        description="Black list on a state-owned enterprise or public body: its supervisor",
    )

    def decision(self) -> lists.ListDecision:
        """The lifecycle's view of the input."""
        unit = self.supervising_unit
        return lists.ListDecision(
            list_type=self.list_type,
            subject_uscc=self.uscc,
            subject_person=str(self.person_key) if self.person_key is not None else None,
            list_name=self.list_name,
            basis=self.basis,
            decision_number=self.decision_number,
            decision_date=self.decision_date,
            notice_date=self.notice_date,
            removal_conditions=self.removal_conditions,
            effective_from=self.effective_from,
            effective_until=self.effective_until,
            record_keys=tuple(self.record_keys or ()),
            supervising_unit_name=unit.name if unit else None,
            supervising_unit_code=unit.code if unit else None,
        )


@strawberry.type(description="A red or black list entry as decided (红黑名单认定)")
class ListEntryDecision:
    id: strawberry.ID
    list_type: ListType
    list_name: str | None
    basis: str | None
    decision_number: str | None
    decision_date: datetime.date | None
    notice_date: datetime.date | None = strawberry.field(description="事先告知日期")
    effective_from: datetime.date | None
    effective_until: datetime.date | None
    removal_conditions: str | None
    status: ListEntryStatus
    announced_on: datetime.date | None = strawberry.field(description="Red list: 公示起")
    announcement_ends: datetime.date | None = strawberry.field(
        description="Red list: last day of the announcement; activation only after it"
    )
    announcement_ends_provisional: bool = strawberry.field(
        description="announcementEnds was counted on a provisional working-day calendar (the "
        "year's State Council holiday notice was not yet in graph/cn_calendar.toml)"
    )
    removed_on: datetime.date | None
    removal_reason: str | None
    subject: SubjectRef
    decided_by: OrgRef | None
    supervising_unit: SupervisingUnit | None
    linked_persons: list[LinkedPersonRef]
    based_on: list[str] = strawberry.field(description="Keys of the records it rests on")
    liability_records: list[str] = strawberry.field(
        description="Keys of the personal LIABILITY records it made (失信责任追究)"
    )
    sanctions: list[strawberry.ID] = strawberry.field(description="Measures applied under it")
    lifted_sanctions: list[strawberry.ID] = strawberry.field(
        description="On removal: the measures this removal lifted"
    )

    @classmethod
    def of(cls, entry: lists.ListEntryInfo, *, show_names: bool) -> ListEntryDecision:
        """From the lifecycle's entry, persons' full names only when `show_names`."""
        return cls(
            id=strawberry.ID(entry.id),
            list_type=entry.list_type,
            list_name=entry.list_name,
            basis=entry.basis,
            decision_number=entry.decision_number,
            decision_date=entry.decision_date,
            notice_date=entry.notice_date,
            effective_from=entry.effective_from,
            effective_until=entry.effective_until,
            removal_conditions=entry.removal_conditions,
            status=entry.status,
            announced_on=entry.announced_on,
            announcement_ends=entry.announcement_ends,
            announcement_ends_provisional=entry.announcement_ends_provisional,
            removed_on=entry.removed_on,
            removal_reason=entry.removal_reason,
            subject=SubjectRef.of(
                entry.subject,
                entry.subject_is_person,
                entry.subject_name,
                entry.subject_name_masked,
                show_names=show_names,
            ),
            decided_by=OrgRef(code=entry.decided_by, name=entry.decided_by_name)
            if entry.decided_by
            else None,
            supervising_unit=SupervisingUnit(
                name=entry.supervising_unit_name, code=entry.supervising_unit_code
            )
            if entry.supervising_unit_name
            else None,
            linked_persons=[
                LinkedPersonRef(
                    key=strawberry.ID(p.key),
                    name=p.name if show_names else None,
                    name_masked=p.name_masked,
                    role=p.role,
                )
                for p in entry.linked_persons
            ],
            based_on=list(entry.based_on),
            liability_records=list(entry.liability_records),
            sanctions=[strawberry.ID(s) for s in entry.sanctions],
            lifted_sanctions=[strawberry.ID(s) for s in entry.lifted_sanctions],
        )


def _subjects(entry: lists.ListEntryInfo) -> set[str]:
    """Who a list change is about, for the audit: the subject and the persons it names."""
    return {s for s in (entry.subject, *(p.key for p in entry.linked_persons)) if s}


@strawberry.type
class ListsMutation:
    @strawberry.mutation(
        description="As a department (the credit office: naming one): identify a subject for "
        "a red or black list (认定). Red-list candidates are announced first; black-list "
        "entries take effect at once and extend to the persons behind an organisation."
    )
    async def decide_list(
        self, info: GraphInfo, decision: ListDecisionInput, department: str | None = None
    ) -> ListEntryDecision:
        context = info.context
        organisation = acting_for(info, "decideList", department, "department")
        entry = await lists.decide_list(
            context.db,
            actor_of(context.consumer),
            organisation,
            decision.decision(),
            today=context.today(),
            rules=context.rules,
        )
        context.audit_action("decide_list", subjects=_subjects(entry), detail=entry.id)
        return ListEntryDecision.of(entry, show_names=shows_names(info))

    @strawberry.mutation(
        description="As the deciding department: put an announced red-list candidate in force "
        "after its announcement period (公示期满生效)"
    )
    async def activate_list_entry(
        self, info: GraphInfo, id: strawberry.ID, department: str | None = None
    ) -> ListEntryDecision:
        context = info.context
        organisation = acting_for(info, "decideList", department, "department")
        entry = await lists.activate_list_entry(
            context.db, actor_of(context.consumer), organisation, str(id), today=context.today()
        )
        context.audit_action("activate_list_entry", subjects=_subjects(entry), detail=entry.id)
        return ListEntryDecision.of(entry, show_names=shows_names(info))

    @strawberry.mutation(
        description="As the deciding department: remove an entry from its list (移出); the "
        "measures applied under it are lifted"
    )
    async def remove_list_entry(
        self, info: GraphInfo, id: strawberry.ID, reason: str, department: str | None = None
    ) -> ListEntryDecision:
        context = info.context
        organisation = acting_for(info, "decideList", department, "department")
        entry = await lists.remove_list_entry(
            context.db,
            actor_of(context.consumer),
            organisation,
            str(id),
            reason,
            today=context.today(),
        )
        context.audit_action("remove_list_entry", subjects=_subjects(entry), detail=entry.id)
        return ListEntryDecision.of(entry, show_names=shows_names(info))
