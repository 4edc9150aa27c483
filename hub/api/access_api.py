"""The API about access itself: consent grants and explanations of the catalogue's decisions."""

from __future__ import annotations

import datetime

import strawberry

from authz import audit, consent, policy
from authz.catalogue import FieldDecision
from authz.enforcement import Enforcer
from authz.policy import Decision, Subject, SubjectKind
from graph.database import Database
from graph.model import OrganisationKind
from hub.api.field_policy import person_citation
from hub.api.lifecycle_support import permission, refuse, require_subject
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument
from loaders.reference import OrganisationNotFound, resolve_organisation

ACCESS_LOG = "readAccessLog"
"""Who sees who looked at an enterprise's data: itself, the credit office."""
MANAGE_CONSENT = "manageConsent"
"""Who grants and revokes consent: the enterprise itself (the subject of the data)."""


@strawberry.type(description="An enterprise's grant of access to a bank or credit agency (授权)")
class Consent:
    id: strawberry.ID
    grantor: str = strawberry.field(description="统一社会信用代码 of the granting enterprise")
    grantee: str = strawberry.field(description="统一社会信用代码 of the bank or agency")
    grantee_kind: str
    classes: list[str] = strawberry.field(description="Sharing classes granted (共享类别)")
    purpose: str = strawberry.field(description="Purpose the grantee's requests must state")
    granted_at: datetime.datetime
    expires_on: datetime.date
    revoked_at: datetime.datetime | None

    @classmethod
    def of(cls, grant: consent.ConsentGrant) -> Consent:
        """From the stored grant."""
        return cls(
            id=strawberry.ID(grant.id),
            grantor=grant.grantor,
            grantee=grant.grantee,
            grantee_kind=grant.grantee_kind,
            classes=list(grant.classes),
            purpose=grant.purpose,
            granted_at=grant.granted_at,
            expires_on=grant.expires_on,
            revoked_at=grant.revoked_at,
        )


@strawberry.type(description="Why the catalogue allows or withholds a field for you")
class AccessExplanation:
    type_name: str = strawberry.field(description="GraphQL type")
    field_name: str = strawberry.field(description="GraphQL field")
    sharing_class: str | None = strawberry.field(description="共享类别 of the field")
    class_label: str | None = strawberry.field(description="The class, in words")
    decision: str = strawberry.field(
        description="ALLOWED, WITHHELD, or CONDITIONAL (allowed for subjects meeting a "
        "condition); with `subject`, conditions are evaluated for that subject"
    )
    reason: str | None = strawberry.field(description="Reason code when not allowed")
    reason_label: str | None = strawberry.field(description="The reason, in words")
    conditions: list[str] = strawberry.field(description="consent / members / own")
    citation: str = strawberry.field(description="The catalogue entries behind the decision")
    row_rule: str | None = strawberry.field(description="Row rule of the type, if any")


@strawberry.type(description="One look at a subject's data, from the audit chain (查询留痕)")
class AccessLogEntry:
    at: str = strawberry.field(description="When (UTC, ISO 8601)")
    org_code: str | None = strawberry.field(description="Who: 统一社会信用代码 of the organisation")
    org_kind: str = strawberry.field(description="Kind of organisation")
    purpose: str | None = strawberry.field(description="Purpose it stated")
    action: str = strawberry.field(description="query, grant_consent, revoke_consent …")
    request_id: str


strawberry.enum(SubjectKind, name="PolicySubjectKind", description="What an operation's subject is")


@strawberry.type(description="Why the catalogue allows or refuses an operation for you")
class OperationExplanation:
    operation: str = strawberry.field(description="Operation name in the catalogue")
    label: str | None = strawberry.field(description="The operation, in words")
    decision: str = strawberry.field(
        description="ALLOWED, REFUSED, or CONDITIONAL (allowed for subjects to which you have "
        "one of `conditions`); with `subject`, the relation is judged for that subject"
    )
    on_behalf: bool = strawberry.field(description="You may perform it naming another organisation")
    relation: str | None = strawberry.field(description="The relation that allowed it")
    conditions: list[str] = strawberry.field(
        description="Your kind's per-subject rule: any, own, consent, member, decider, "
        "organiser, offerer"
    )
    reason: str | None = strawberry.field(description="Reason code when refused")
    reason_label: str | None = strawberry.field(description="The reason, in words")
    citation: str = strawberry.field(description="The catalogue entries behind the decision")

    @classmethod
    def of(cls, label: str | None, decision: Decision, on_behalf: bool) -> OperationExplanation:
        """From the policy's decision."""
        verdict = (
            "REFUSED"
            if not decision.allowed
            else "CONDITIONAL"
            if decision.conditional
            else "ALLOWED"
        )
        reason = decision.reason
        return cls(
            operation=decision.operation,
            label=label,
            decision=verdict,
            on_behalf=on_behalf,
            relation=decision.relation,
            conditions=list(decision.conditions),
            reason=reason.value if reason else None,
            reason_label=reason.label if reason else None,
            citation=decision.citation,
        )


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="Who looked at this enterprise's data, newest first: an enterprise sees "
        "its own log, the credit office any"
    )
    async def access_log(
        self, info: GraphInfo, subject: str | None = None, first: int = 50
    ) -> list[AccessLogEntry]:
        consumer = info.context.consumer
        if subject is None:
            subject = consumer.org_code
        subject = (subject or "").strip().upper()
        words = "只能查询本主体的被查询记录 (you may see who looked at your own data)"
        if not subject:
            refuse(permission(info, ACCESS_LOG), words)
        await require_subject(info, ACCESS_LOG, Subject.enterprise(subject), words)
        if not 1 <= first <= 500:
            raise InvalidArgument("first", "must be between 1 and 500")
        records = await audit.accesses_to(info.context.db, subject, limit=first)
        return [
            AccessLogEntry(
                at=r.at,
                org_code=r.org_code,
                org_kind=r.org_kind,
                purpose=r.purpose,
                action=r.action,
                request_id=r.request_id,
            )
            for r in records
        ]

    @strawberry.field(
        description="Why each field of a type is allowed or withheld for the caller, citing the "
        "sharing catalogue; optionally for one subject (统一社会信用代码)"
    )
    async def access_explain(
        self,
        info: GraphInfo,
        type_name: str,
        field_name: str | None = None,
        subject: str | None = None,
    ) -> list[AccessExplanation]:
        context = info.context
        catalogue = context.catalogue
        fields = catalogue.types.get(type_name, {}).get("fields", {})
        if not fields:
            raise InvalidArgument("typeName", f"the catalogue lists no type {type_name!r}")
        names = [field_name] if field_name else list(fields)
        enforcer = Enforcer(catalogue, context.consumer)
        rule = catalogue.row_rule(context.consumer, type_name)
        explanations = []
        for name in names:
            decision = enforcer.decide(type_name, name)
            verdict = await _verdict(info, enforcer, decision, subject)
            class_entry = catalogue.classes.get(decision.sharing_class or "", {})
            reason = None if verdict == "ALLOWED" else decision.reason
            explanations.append(
                AccessExplanation(
                    type_name=type_name,
                    field_name=name,
                    sharing_class=decision.sharing_class,
                    class_label=class_entry.get("label"),
                    decision=verdict,
                    reason=reason.value if reason else None,
                    reason_label=reason.label if reason else None,
                    conditions=[c.kind for c in decision.conditions],
                    citation=decision.citation
                    + person_citation(catalogue, context.consumer, type_name, name),
                    row_rule=rule.citation if rule else None,
                )
            )
        return explanations

    @strawberry.field(
        description="Consent grants you are party to: yours (enterprise), to you (bank, "
        "credit agency), or all (credit office)"
    )
    async def consents(self, info: GraphInfo) -> list[Consent]:
        grants = await consent.consents_for(info.context.db, info.context.consumer)
        return [Consent.of(g) for g in grants]

    @strawberry.field(
        description="Why each operation of the catalogue (or the one named) is allowed or "
        "refused for the caller, citing the catalogue; optionally for one subject (a USCC, "
        "record key, list entry id, task id … of `subjectKind`)"
    )
    async def access_explain_operation(
        self,
        info: GraphInfo,
        operation: str | None = None,
        subject: str | None = None,
        subject_kind: SubjectKind = SubjectKind.ENTERPRISE,
    ) -> list[OperationExplanation]:
        context = info.context
        catalogue, consumer = context.catalogue, context.consumer
        if operation is not None and operation not in catalogue.operations:
            raise InvalidArgument("operation", f"the catalogue lists no operation {operation!r}")
        names = [operation] if operation else policy.operation_names(catalogue)
        if subject is None:
            decisions = [policy.permit_either(catalogue, consumer, name) for name in names]
        else:
            code = subject.strip()
            if subject_kind in (SubjectKind.ENTERPRISE, SubjectKind.ORGANISATION):
                code = code.upper()
            target = Subject(subject_kind, code)
            decisions = [
                await policy.decide(
                    context.db, catalogue, consumer, name, target, today=context.today()
                )
                for name in names
            ]
        return [
            OperationExplanation.of(
                catalogue.operations[d.operation].get("label"),
                d,
                policy.permit(catalogue, consumer, d.operation, on_behalf=True).allowed,
            )
            for d in decisions
        ]


async def _verdict(
    info: GraphInfo, enforcer: Enforcer, decision: FieldDecision, subject: str | None
) -> str:
    if decision.allowed:
        return "ALLOWED"
    if not decision.conditional:
        return "WITHHELD"
    if subject is None:
        return "CONDITIONAL"

    context = info.context
    holds = await policy.field_holds(
        context.db,
        context.catalogue,
        context.consumer,
        decision,
        Subject.enterprise(subject.strip().upper()),
        context.today(),
    )
    return "ALLOWED" if holds else "WITHHELD"


GRANTEE_KINDS = (OrganisationKind.BANK, OrganisationKind.CREDIT_AGENCY)
"""The organisations an enterprise may grant consent to."""


async def grantee_code(db: Database, named: str) -> str:
    """The code of the bank or credit agency `named` (its code, full name or a short name, as
    the organisation register resolves it). A name several organisations share is refused
    naming them; a closed one is refused as closed; an unknown name or code is passed on as a
    code, for the consent rules to refuse as no bank or agency of the network."""
    try:
        return (await resolve_organisation(db, named, kinds=GRANTEE_KINDS)).code
    except OrganisationNotFound:
        return named.strip().upper()


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="As an enterprise: let a bank or credit agency see the named sharing "
        "classes of your data, for a purpose, until a date (授权查询). `grantee` is the "
        "organisation's 统一社会信用代码, full name or short name (工行舞钢支行); a name "
        "several organisations share is refused naming them"
    )
    async def grant_consent(
        self,
        info: GraphInfo,
        grantee: str,
        classes: list[str],
        purpose: str,
        expires_on: datetime.date,
    ) -> Consent:
        context = info.context
        decision = permission(info, MANAGE_CONSENT)
        if not decision.allowed:
            refuse(decision, str(consent.OnlyEnterprisesGrant()))
        granted = await consent.grant(
            context.db,
            context.catalogue,
            context.consumer,
            grantee=await grantee_code(context.db, grantee),
            classes=classes,
            purpose=purpose,
            expires_on=expires_on,
            today=context.today(),
        )
        context.audit_action("grant_consent", subjects={granted.grantor}, detail=granted.id)
        return Consent.of(granted)

    @strawberry.mutation(description="As an enterprise: revoke one of your consent grants")
    async def revoke_consent(self, info: GraphInfo, id: strawberry.ID) -> Consent:
        context = info.context
        decision = permission(info, MANAGE_CONSENT)
        if not decision.allowed:
            refuse(decision, str(consent.OnlyEnterprisesGrant()))
        revoked = await consent.revoke(context.db, context.consumer, str(id))
        context.audit_action("revoke_consent", subjects={revoked.grantor}, detail=revoked.id)
        return Consent.of(revoked)
