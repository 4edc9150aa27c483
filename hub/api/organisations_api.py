"""The credit office's register of organisations (机构名录) over GraphQL.

`organisations(kind:, includeClosed:)` lists the registered departments, banks, credit
agencies, associations and credit office; `registerOrganisation` and `updateOrganisation`
(rename, new short names, corrected code, merge, closure) change them through the same
functions as `credithub orgs …` (loaders/reference/), so every change keeps the previous state
as a revision and writes an event, and the request is an entry in the audit chain. Who may do
what is the sharing catalogue's `[operations.readOrganisations]` and
`[operations.registerOrganisation]`.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.model import OrganisationKind
from hub.api.lifecycle_support import require
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument
from loaders.reference import (
    Organisation,
    OrganisationEntry,
    close_organisation,
    correct_code,
    list_organisations,
    merge_organisation,
    register_organisation,
    rename_organisation,
    resolve_organisation,
)

COMPUTED_TYPES = ("RegisteredOrganisation",)
"""Types of this module: answered by the reference-data code, not by the graph projection."""

strawberry.enum(OrganisationKind, description="Kind of registered organisation (机构类别)")
for _value in OrganisationKind.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = OrganisationKind.of(_value.value).label


@strawberry.type(description="A registered organisation of the city's register (机构名录)")
class RegisteredOrganisation:
    code: str = strawberry.field(description="统一社会信用代码")
    name: str = strawberry.field(description="全称")
    kind: OrganisationKind
    short_names: list[str] = strawberry.field(description="简称")
    aliases: list[str] = strawberry.field(description="简称与曾用名: every name that resolves")
    former_names: list[str] = strawberry.field(description="曾用名")
    former_codes: list[str] = strawberry.field(description="更正前的代码")
    sector: str | None = strawberry.field(description="行业领域 (departments, associations)")
    duty: list[str] = strawberry.field(description="职责/可查看个人信息 (departments)")
    decision_types: list[str] = strawberry.field(description="决定类型")
    document_prefixes: list[str] = strawberry.field(description="决定文号前缀")
    services: str | None = strawberry.field(description="业务范围 (credit agencies)")
    closed_on: datetime.date | None = strawberry.field(description="撤销日期 (null: open)")
    merged_into: str | None = strawberry.field(description="并入机构的代码")
    revision: int = strawberry.field(description="修订次数")

    @classmethod
    def of(cls, org: Organisation) -> RegisteredOrganisation:
        """From the reference data's organisation."""
        assert org.kind is not None
        return cls(
            code=org.code,
            name=org.name,
            kind=org.kind,
            short_names=list(org.short_names),
            aliases=list(org.aliases),
            former_names=list(org.former_names),
            former_codes=list(org.former_codes),
            sector=org.sector,
            duty=list(org.duty),
            decision_types=list(org.decision_types),
            document_prefixes=list(org.document_prefixes),
            services=org.services,
            closed_on=org.closed_on,
            merged_into=org.merged_into,
            revision=org.revision,
        )


@strawberry.input(description="A new organisation for the register")
class OrganisationInput:
    code: str = strawberry.field(description="统一社会信用代码 (checked)")
    name: str = strawberry.field(description="全称")
    kind: OrganisationKind
    short_names: list[str] = strawberry.field(default_factory=list, description="简称/别名")
    sector: str | None = strawberry.field(default=None, description="行业领域 (departments)")
    duty: list[str] = strawberry.field(default_factory=list, description="职责/可查看个人信息")
    decision_types: list[str] = strawberry.field(default_factory=list, description="决定类型")
    document_prefixes: list[str] = strawberry.field(
        default_factory=list, description="决定文号前缀"
    )
    services: str | None = strawberry.field(default=None, description="业务范围")


@strawberry.type
class OrganisationsQuery:
    @strawberry.field(
        description="The register of organisations (机构名录), of one kind or all, open ones "
        "unless includeClosed: for the credit office and departments"
    )
    async def organisations(
        self,
        info: GraphInfo,
        kind: OrganisationKind | None = None,
        include_closed: bool = False,
    ) -> list[RegisteredOrganisation]:
        require(info, "readOrganisations")
        found = await list_organisations(info.context.db, kind, include_closed=include_closed)
        return [RegisteredOrganisation.of(o) for o in found]


@strawberry.type
class OrganisationsMutation:
    @strawberry.mutation(
        description="As the credit office: register a new organisation (its code must be new); "
        "an event records it"
    )
    async def register_organisation(
        self, info: GraphInfo, organisation: OrganisationInput, reason: str | None = None
    ) -> RegisteredOrganisation:
        context = info.context
        actor = require(info, "registerOrganisation")
        try:
            entry = OrganisationEntry.model_validate(
                {
                    "code": organisation.code,
                    "name": organisation.name,
                    "kind": organisation.kind,
                    "short_names": organisation.short_names,
                    "sector": organisation.sector,
                    "duty": organisation.duty,
                    "decision_types": organisation.decision_types,
                    "document_prefixes": organisation.document_prefixes,
                    "services": organisation.services,
                }
            )
        except ValueError as error:
            raise InvalidArgument("organisation", _first_error(error)) from None
        registered = await register_organisation(
            context.db, entry, actor=actor, today=context.today(), reason=reason
        )
        context.audit_action("register_organisation", subjects=set(), detail=registered.code)
        return RegisteredOrganisation.of(registered)

    @strawberry.mutation(
        description="As the credit office: change a registered organisation (named by code, "
        "name or short name) — rename (name, shortNames), correct its code (newCode), merge it "
        "into another (mergeInto) or close it (closedOn). Each change keeps the previous state "
        "as a revision and writes an event. Answers the organisation as it now stands (after a "
        "merge: the one merged into)."
    )
    async def update_organisation(
        self,
        info: GraphInfo,
        organisation: str,
        name: str | None = None,
        short_names: list[str] | None = None,
        new_code: str | None = None,
        merge_into: str | None = None,
        closed_on: datetime.date | None = None,
        reason: str | None = None,
    ) -> RegisteredOrganisation:
        context = info.context
        actor = require(info, "registerOrganisation")
        db, today = context.db, context.today()
        if (name, short_names, new_code, merge_into, closed_on) == (None,) * 5:
            raise InvalidArgument(
                "organisation", "name a change: name, shortNames, newCode, mergeInto or closedOn"
            )
        current = await resolve_organisation(db, organisation)
        code = current.code
        if name is not None or short_names is not None:
            current = await rename_organisation(
                db,
                code,
                name if name is not None else current.name,
                short_names=short_names,
                actor=actor,
                today=today,
                reason=reason,
            )
        if new_code:
            current = await correct_code(
                db, code, new_code, actor=actor, today=today, reason=reason
            )
            code = current.code
        if merge_into:
            target = await resolve_organisation(db, merge_into)
            current = await merge_organisation(
                db, code, target.code, actor=actor, today=today, reason=reason
            )
        elif closed_on is not None:
            current = await close_organisation(
                db, code, on=closed_on, actor=actor, today=today, reason=reason
            )
        context.audit_action("update_organisation", subjects=set(), detail=code)
        return RegisteredOrganisation.of(current)


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        details = errors()
        if details:
            loc = ".".join(str(x) for x in details[0].get("loc", ()))
            message = str(details[0].get("msg", "")).removeprefix("Value error, ")
            return f"{loc}: {message}" if loc else message
    return str(error)
