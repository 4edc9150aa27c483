"""The GraphQL object types of the credit network, each field declaring how the graph backs it.

A field's `FieldSpec` (see hub/projection.py) says which property, relationship pattern or
Cypher expression answers it; the root resolvers compile a request's whole selection into one
query from these declarations. Resolver functions below only declare a field's arguments: the
value is always read from the compiled projection (`install_resolvers` replaces them).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import Enum
from typing import Any, Generic, NoReturn, TypeVar

import strawberry

import hub.api.enums  # noqa: F401  (registers the enumerations)
from authz import policy
from graph.identifiers import uscc_category
from graph.lifecycle.base import china_today
from graph.lifecycle.memberships import current_membership
from graph.model import (
    CreditGrade,
    EnterpriseStatus,
    Label,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    RecordKind,
    RecordStatus,
    Rel,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from graph.publication import (
    ADVERSE_KINDS,
    ban_in_force,
    current_version,
    list_entry_in_force,
    list_entry_status,
    record_published,
)
from hub.errors import Forbidden
from hub.projection import (
    GRAPH,
    Expr,
    FieldSpec,
    NodeAs,
    Paged,
    Projection,
    Prop,
    Related,
    Unwound,
)


def graph(spec: FieldSpec, description: str, **kwargs: Any) -> Any:
    """A field backed by the graph through `spec`."""
    return strawberry.field(description=description, metadata={GRAPH: spec}, **kwargs)


def _projected() -> NoReturn:
    raise AssertionError("graph-backed fields are resolved from the compiled projection")


Scope = Mapping[str, str]


def _names(values: list[Enum] | None) -> list[str] | None:
    return None if values is None else [str(v.value) for v in values]


# -- filters ------------------------------------------------------------------------------
def _record_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    r = scope["node"]
    conditions = []
    if not args.get("includeHistory"):
        conditions.append(current_version(r))
    elif p.enforcer is not None:
        # Earlier versions are shared as Record.history is: no probing them through a filter.
        decision = p.enforcer.decide("Record", "history")
        if not decision.allowed:
            condition = p.enforcer.any_condition(decision.conditions, scope, p)
            conditions.append(f"({current_version(r)} OR {condition})")
    if args.get("kinds") is not None:
        conditions.append(f"{r}.kind IN {p.param(_names(args['kinds']))}")
    if args.get("statuses") is not None:
        conditions.append(f"{r}.status IN {p.param(_names(args['statuses']))}")
    if args.get("decidedFrom") is not None:
        conditions.append(f"{r}.decisionDate >= {p.param(args['decidedFrom'])}")
    if args.get("decidedTo") is not None:
        conditions.append(f"{r}.decisionDate <= {p.param(args['decidedTo'])}")
    return conditions


def _list_entry_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    e = scope["node"]
    conditions = []
    if args.get("listType") is not None:
        conditions.append(f"{e}.listType = {p.param(str(args['listType'].value))}")
    if args.get("statuses") is not None:
        conditions.append(f"{e}.status IN {p.param(_names(args['statuses']))}")
    return conditions


def _sanction_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    if args.get("statuses") is None:
        return []
    return [f"{scope['node']}.status IN {p.param(_names(args['statuses']))}"]


def _role_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    if args.get("roles") is None:
        return []
    rels = [RoleKind.of(r).rel.value for r in _names(args["roles"]) or []]
    return [f"type({scope['rel']}) IN {p.param(rels)}"]


def _current_memberships(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    return [current_membership(scope["rel"], p.param(china_today()))]


def _person_enterprise_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    roles = _names(args.get("roles")) or [r.value for r in RoleKind]
    conditions = [f"type({scope['rel']}) IN {p.param([RoleKind.of(r).rel.value for r in roles])}"]
    if args.get("excludeUscc") is not None:
        conditions.append(f"{scope['node']}.uscc <> {p.param(args['excludeUscc'])}")
    return conditions


ROLE_RELS = "LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF"
ROLE_OF_REL = "left(type({rel}), size(type({rel})) - 3)"


# In force on the request's Beijing date ({today}, a parameter: Cypher's date() is UTC), by the
# one rule graph/publication.py states for bans.
_BAN_IN_FORCE = (
    ban_in_force("b", "{today}")
    .replace("{", "{{")
    .replace("}", "}}")
    .replace("{{today}}", "{today}")
)


def _on_active_list(list_type: ListType) -> str:
    # In force by the date as well as the status (graph/publication.py), like every reader.
    return (
        f"EXISTS {{{{ MATCH (listed_entry:{Label.LIST_ENTRY} {{{{listType: '{list_type}'}}}})"
        f"-[:{Rel.HAS_SUBJECT}]->({{node}}) WHERE "
        + list_entry_in_force("listed_entry", "{today}")
        + " }}"
    )


# -- connections --------------------------------------------------------------------------
@strawberry.type(description="Whether more items follow (relay PageInfo)")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


RECORDS_OF = "({target}:Record)-[:HAS_SUBJECT]->({node})"
RECORD_ORDER = "{node}.decisionDate DESC, {node}.uid"
LIST_ENTRY_ORDER = "{node}.decisionDate DESC, {node}.id"


def _record_page(
    first: int | None = 20,
    after: str | None = None,
    kinds: list[RecordKind] | None = None,
    statuses: list[RecordStatus] | None = None,
    decided_from: datetime.date | None = None,
    decided_to: datetime.date | None = None,
    include_history: bool = False,
) -> RecordConnection | None:
    """Arguments of every records connection (the value comes from the projection)."""
    _projected()


def _list_entry_page(
    first: int | None = 20,
    after: str | None = None,
    list_type: ListType | None = None,
    statuses: list[ListEntryStatus] | None = None,
) -> ListEntryConnection | None:
    """Arguments of every list-entries connection."""
    _projected()


Node = TypeVar("Node")


@strawberry.type(description="One item of a page, with the cursor to continue after it")
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type(description="A page of items (relay connection); totalCount counts them all")
class Connection(Generic[Node]):
    total_count: int
    edges: list[Edge[Node]]
    page_info: PageInfo


# -- simple catalogue nodes ---------------------------------------------------------------
@strawberry.type(description="A government department of the city (政府部门)")
class Department:
    code: str = graph(Prop("code"), "统一社会信用代码 of the department")
    name: str = graph(Prop("name"), "Full name, e.g. 舞钢市发展和改革委员会")
    short_name: str | None = graph(Prop("shortName"), "Short name, e.g. 市发改委")
    sector: str | None = graph(Prop("sector"), "Sector it regulates (行业领域)")


@strawberry.type(
    description="The organisation that decided a record (决定机关): a department, court, "
    "association, bank or credit agency of the register"
)
class DecidingAuthority:
    code: str = graph(Prop("code"), "统一社会信用代码")
    name: str = graph(Prop("name"), "Full name")
    short_name: str | None = graph(Prop("shortName"), "Short name")


# -- associations and their member roll ------------------------------------------------------
READ_EVALUATION = "readEvaluation"
"""The catalogue operation that shares evaluation grades (never public)."""


def association_subject(node: str, name: str) -> str:
    """`WITH` items binding the association `node` as the subject (信息主体) of its own fields.

    An association's member roll is its own information: the catalogue shares it with the
    association through the `own` condition, which compares the subject's 统一社会信用代码 with
    the consumer's code. An association's code is that number, so the subject is a map holding
    it; root resolvers project associations with ``{"node": node, "subject": name}``.
    """
    return f"{node}, {{uscc: {node}.code}} AS {name}"


def _grade_condition(p: Projection, grades: list[CreditGrade], enterprise: str) -> str:
    """Members graded `grades`, where the catalogue shares a grade with this consumer at all
    (operations.readEvaluation `kinds`) and for this member (its `subject` rule)."""
    evaluation = p.var("v")
    graded = (
        f"EXISTS {{ MATCH ({evaluation}:{Label.EVALUATION} {{uscc: {enterprise}.uscc, "
        f"current: true}}) WHERE {evaluation}.grade IN {p.param(_names(list(grades)))} }}"
    )
    enforcer = p.enforcer
    if enforcer is None:
        return graded
    catalogue, consumer = enforcer.catalogue, enforcer.consumer
    kind_level = policy.permit(catalogue, consumer, READ_EVALUATION)
    if not kind_level.allowed:
        raise Forbidden(
            f"评价等级不向{consumer.org_kind.label}提供，不能按等级筛选 (grades are not shared "
            f"with you: {kind_level.citation})"
        )
    # The one policy's per-subject rule (operations.readEvaluation.subject), as Cypher.
    condition = policy.subject_predicate(
        catalogue, consumer, READ_EVALUATION, enterprise, p, enforcer.today
    )
    return graded if condition == "true" else f"({condition}) AND {graded}"


def _member_filters(p: Projection, args: Mapping[str, Any], scope: Scope) -> list[str]:
    enterprise, membership = scope["node"], scope["rel"]
    conditions = [current_membership(membership, p.param(china_today()))]
    if args.get("adverseSince") is not None:
        record = p.var("r")
        adverse = sorted(kind.value for kind in ADVERSE_KINDS)
        where = (
            f"{current_version(record)} AND {record}.kind IN {p.param(adverse)} "
            f"AND {record}.decisionDate >= {p.param(args['adverseSince'])}"
        )
        if p.enforcer is not None:
            # Only records the consumer may see count: a filter must not reveal hidden ones.
            shared = p.enforcer.row_predicate(
                "Record",
                {"node": record, "subject": enterprise},
                p,
                "Association.members(adverseSince)",
            )
            if shared is not None:
                where += f" AND {shared}"
        conditions.append(
            f"EXISTS {{ MATCH ({record}:{Label.RECORD})-[:{Rel.HAS_SUBJECT}]->({enterprise}) "
            f"WHERE {where} }}"
        )
    if args.get("listed") is not None:
        # The same "on an active list" as Enterprise.blackListed / redListed (public).
        on_list = _on_active_list(args["listed"])
        conditions.append(on_list.format(node=enterprise, today=p.param(china_today())))
    if args.get("grades") is not None:
        conditions.append(_grade_condition(p, args["grades"], enterprise))
    return conditions


def _member_page(
    first: int | None = 20,
    after: str | None = None,
    adverse_since: datetime.date | None = None,
    listed: ListType | None = None,
    grades: list[CreditGrade] | None = None,
) -> EnterpriseConnection | None:
    """Arguments of the member roll (the value comes from the projection)."""
    _projected()


@strawberry.type(description="An industry association or chamber of commerce (行业协会商会)")
class Association:
    code: str = graph(Prop("code"), "统一社会信用代码")
    name: str = graph(Prop("name"), "Name")
    sector: str | None = graph(Prop("sector"), "Sector (行业)")
    members: EnterpriseConnection | None = strawberry.field(
        resolver=_member_page,
        description="Its current member enterprises (会员), by name; shared with the association "
        "itself, departments and the credit office (class membership). Filters: an adverse "
        "record you may see decided on or after adverseSince; on an active red or black list; "
        "a current evaluation grade, where grades are shared with you. Each member's fields and "
        "records are shared as for any enterprise.",
        metadata={
            GRAPH: Paged(
                f"({{target}}:{Label.ENTERPRISE})-[{{rel}}:{Rel.MEMBER_OF}]->({{node}})",
                order="{node}.name, {node}.uscc",
                where=_member_filters,
            )
        },
    )


@strawberry.type(description="A joint-punishment measure in the published catalogue (惩戒措施)")
class Measure:
    code: str = graph(Prop("code"), "Catalogue code")
    name: str = graph(Prop("name"), "Measure, e.g. 限制参与政府采购")
    category: MeasureCategory = graph(Prop("category"), "Family of the measure")
    basis: str | None = graph(Prop("basis"), "Legal basis (依据)")
    business: str | None = graph(Prop("business"), "Business it restricts, e.g. 招投标")
    in_provincial_catalogue: bool | None = graph(
        Prop("inProvincialCatalogue"),
        "Listed in the current provincial catalogue (全省联合奖惩措施清单); false flags a city "
        "measure the province does not list; null before one is imported",
    )
    provincial_catalogue_version: str | None = graph(
        Prop("provincialCatalogueVersion"), "The provincial catalogue version it was compared with"
    )


# -- persons ------------------------------------------------------------------------------
@strawberry.type(description="A natural person behind enterprises (自然人); keyed without the ID")
class Person:
    key: strawberry.ID = graph(Prop("key"), "Stable key (keyed hash of the resident ID)")
    name: str | None = graph(Prop("name"), "Name")
    name_masked: str = graph(Prop("nameMasked"), "De-identified name, e.g. 李**")
    id_number: str | None = graph(
        Prop("idNumber"), "公民身份号码 (GB 11643): only where a duty needs it"
    )
    id_number_masked: str = graph(Prop("idMasked"), "De-identified resident ID")
    gender: str | None = graph(Prop("gender"), "M or F")
    birth_year: int | None = graph(Prop("birthYear"), "Year of birth")

    @strawberry.field(
        description="The enterprises this person stands behind, one entry per role",
        metadata={
            GRAPH: Related(
                f"({{node}})-[{{rel}}:{ROLE_RELS}]->({{target}}:Enterprise)",
                order=f"{ROLE_OF_REL}, {{node}}.name",
                where=_role_filters,
            )
        },
    )
    def roles(self, roles: list[RoleKind] | None = None) -> list[PersonRole]:
        _projected()

    @strawberry.field(
        description="The distinct enterprises this person stands behind (optionally by role, "
        "optionally leaving one out — e.g. the enterprise you came from)",
        metadata={
            GRAPH: Related(
                # Typed, so Neo4j expands only role relationships (the filter picks the roles).
                f"({{node}})-[{{rel}}:{ROLE_RELS}]->({{target}}:Enterprise)",
                where=_person_enterprise_filters,
                distinct=True,
                order="{node}.name",
            )
        },
    )
    def enterprises(
        self,
        roles: list[RoleKind] | None = None,
        exclude_uscc: str | None = None,
    ) -> list[Enterprise]:
        _projected()

    records: RecordConnection | None = strawberry.field(
        resolver=_record_page,
        description="Personal credit records (个人信用记录), newest first",
        metadata={GRAPH: Paged(RECORDS_OF, order=RECORD_ORDER, where=_record_filters)},
    )
    list_entries: ListEntryConnection | None = strawberry.field(
        resolver=_list_entry_page,
        description="List entries naming this person, as subject or as the linked "
        "legal representative / principal / actual controller (六(五))",
        metadata={
            GRAPH: Paged(
                "({target}:ListEntry)-[:HAS_SUBJECT|LINKED_PERSON]->({node})",
                order=LIST_ENTRY_ORDER,
                where=_list_entry_filters,
                distinct=True,  # an entry may name the person both ways: one item
            )
        },
    )


@strawberry.type(description="One role of a person in an enterprise")
class PersonRole:
    role: RoleKind = graph(Expr(ROLE_OF_REL), "The role")
    title: str | None = graph(Prop("title", on="rel"), "Title, for principals (职务)")
    share: float | None = graph(Prop("share", on="rel"), "Share held, for shareholders (0–1)")
    enterprise: Enterprise = graph(NodeAs(), "The enterprise")


@strawberry.type(description="One role of a person in this enterprise")
class EnterpriseRole:
    role: RoleKind = graph(Expr(ROLE_OF_REL), "The role")
    title: str | None = graph(Prop("title", on="rel"), "Title, for principals (职务)")
    share: float | None = graph(Prop("share", on="rel"), "Share held, for shareholders (0–1)")
    person: Person = graph(NodeAs(), "The person")


@strawberry.type(description="A holder of shares in an enterprise: a person or an enterprise")
class Shareholder:
    share: float | None = graph(Prop("share", on="rel"), "Share held (0–1)")
    person: Person | None = graph(NodeAs("Person"), "The holder, when a person")
    enterprise: Enterprise | None = graph(NodeAs("Enterprise"), "The holder, when an enterprise")


@strawberry.type(description="A shareholding of this enterprise in another (对外投资)")
class Investment:
    share: float | None = graph(Prop("share", on="rel"), "Share held (0–1)")
    enterprise: Enterprise | None = graph(NodeAs(), "The enterprise invested in")


# -- enterprises --------------------------------------------------------------------------
@strawberry.type(description="A market entity keyed by its 统一社会信用代码 (市场主体)")
class Enterprise:
    uscc: str = graph(Prop("uscc"), "统一社会信用代码 (GB 32100)")
    name: str = graph(Prop("name"), "Registered name (名称)")
    category: str | None = graph(Prop("category"), "机构类别 code: positions 1–2 of the USCC")
    category_label: str | None = graph(
        Prop("uscc", transform=lambda code: uscc_category(code) if code else None),
        "机构类别, in words (e.g. 企业, 个体工商户)",
    )
    region: str | None = graph(Prop("region"), "行政区划码 (e.g. 410481 舞钢市)")
    entity_type: str | None = graph(Prop("entityType"), "企业类型")
    status: EnterpriseStatus | None = graph(Prop("status"), "登记状态")
    founded_on: datetime.date | None = graph(Prop("foundedOn"), "成立日期")
    address: str | None = graph(Prop("address"), "住所")
    registered_capital: float | None = graph(Prop("registeredCapital"), "注册资本 (万元)")
    business_scope: str | None = graph(Prop("businessScope"), "经营范围")
    industry: str | None = graph(Prop("industry"), "行业门类")
    provisional: bool = graph(
        Expr("coalesce({node}.provisional, false)"),
        "待登记核实: known only from a decision naming this valid code; name and code are as "
        "the feed sent them until the registration feed completes the subject",
    )
    black_listed: bool = graph(
        Expr(_on_active_list(ListType.BLACK)), "On an active black list (失信惩戒对象)"
    )
    red_listed: bool = graph(
        Expr(_on_active_list(ListType.RED)), "On an active red list (守信激励对象)"
    )
    banned: bool = graph(
        Expr(
            f"EXISTS {{{{ MATCH (b:{Label.BAN})-[:{Rel.HAS_SUBJECT}]->({{node}}) WHERE "
            + _BAN_IN_FORCE
            + " }}"
        ),
        "Under a market or industry entry ban in force (市场、行业禁入)",
    )
    representative_banned: bool = graph(
        Expr(
            f"EXISTS {{{{ MATCH (b:{Label.BAN})-[:{Rel.HAS_SUBJECT}]->(:{Label.PERSON})"
            f"-[:{Rel.LEGAL_REPRESENTATIVE_OF}|{Rel.PRINCIPAL_OF}|{Rel.ACTUAL_CONTROLLER_OF}]->"
            "({node}) WHERE " + _BAN_IN_FORCE + " }}"
        ),
        "Its legal representative, a principal or its actual controller is under an entry ban "
        "in force (六(四): flagged on every enterprise the person represents)",
    )
    legal_representative: Person | None = graph(
        Related("({node})<-[:LEGAL_REPRESENTATIVE_OF]-({target}:Person)", single=True),
        "法定代表人",
    )

    @strawberry.field(
        description="The people behind the enterprise: legal representative, principals, "
        "actual controllers, shareholders",
        metadata={
            GRAPH: Related(
                f"({{node}})<-[{{rel}}:{ROLE_RELS}]-({{target}}:Person)",
                order=f"{ROLE_OF_REL}, {{node}}.name",
                where=_role_filters,
            )
        },
    )
    def people(self, roles: list[RoleKind] | None = None) -> list[EnterpriseRole]:
        _projected()

    shareholders: list[Shareholder] = graph(
        Related(
            "({node})<-[{rel}:SHAREHOLDER_OF]-({target})",
            order="{rel}.share DESC, coalesce({node}.name, '')",
        ),
        "股东 (persons and enterprises), largest share first",
    )
    investments: list[Investment] | None = graph(
        Related(
            "({node})-[{rel}:SHAREHOLDER_OF]->({target}:Enterprise)",
            order="{rel}.share DESC, {node}.name",
        ),
        "对外投资: enterprises this one holds shares in",
    )
    associations: list[Association] = graph(
        Related(
            f"({{node}})-[{{rel}}:{Rel.MEMBER_OF}]->({{target}}:{Label.ASSOCIATION})",
            order="{node}.name",
            where=_current_memberships,
        ),
        "Associations it is a current member of (会员单位)",
    )

    records: RecordConnection | None = strawberry.field(
        resolver=_record_page,
        description="Credit records about the enterprise, newest first; current versions "
        "unless includeHistory",
        metadata={GRAPH: Paged(RECORDS_OF, order=RECORD_ORDER, where=_record_filters)},
    )
    list_entries: ListEntryConnection | None = strawberry.field(
        resolver=_list_entry_page,
        description="Red and black list entries about the enterprise (红黑名单)",
        metadata={
            GRAPH: Paged(
                "({target}:ListEntry)-[:HAS_SUBJECT]->({node})",
                order=LIST_ENTRY_ORDER,
                where=_list_entry_filters,
            )
        },
    )

    @strawberry.field(
        description="Joint-punishment measures applied to the enterprise (联合惩戒)",
        metadata={
            GRAPH: Paged(
                "({target}:Sanction)-[:HAS_SUBJECT]->({node})",
                order="{node}.from DESC, {node}.id",
                where=_sanction_filters,
            )
        },
    )
    def sanctions(
        self,
        first: int | None = 20,
        after: str | None = None,
        statuses: list[SanctionStatus] | None = None,
    ) -> SanctionConnection:
        _projected()


# -- records ------------------------------------------------------------------------------
IN_WINDOW = "(" + record_published("{node}", "{today}") + ")"
"""`record_published` as an `Expr` template: {node} and {today}, the request's Beijing date."""


@strawberry.type(description="One version of a credit record (信用记录)")
class Record:
    id: strawberry.ID = graph(Prop("uid"), "Version id: natural key and version")
    key: str = graph(Prop("key"), "Natural key shared by all versions (kind|authority|文号)")
    version: int = graph(Prop("version"), "Version number, 1 for the first")
    current: bool = graph(Prop("current"), "True for the newest version")
    kind: RecordKind = graph(Prop("kind"), "Kind of record")
    title: str | None = graph(Prop("title"), "Title (名称/事由)")
    document_number: str | None = graph(Prop("documentNumber"), "决定书文号")
    decision_date: datetime.date | None = graph(Prop("decisionDate"), "决定日期")
    issuing_authority: str | None = graph(Prop("issuingAuthority"), "决定机关")
    issuing_authority_code: str | None = graph(
        Prop("issuingAuthorityCode"), "决定机关统一社会信用代码"
    )
    severity: SeverityTier | None = graph(Prop("severity"), "Severity tier, for adverse records")
    category: str | None = graph(Prop("category"), "处罚类别 / 许可类别")
    content: str | None = graph(Prop("content"), "处罚内容 / 许可内容 / 判决内容")
    amount: float | None = graph(Prop("amount"), "罚款金额 (万元)")
    remarks: str | None = graph(Prop("remarks"), "备注 (supplements from objections included)")
    fulfilment: str | None = graph(
        Prop("fulfilment"), "履约状态, for commitments: 已履约 / 已违诺 once checked"
    )
    change_reason: str | None = graph(
        Prop("changeReason"), "Why this version was made by a decision (objection outcome)"
    )
    changed_on: datetime.date | None = graph(Prop("changedOn"), "When that decision was made")
    valid_from: datetime.date | None = graph(Prop("validFrom"), "有效期自")
    valid_to: datetime.date | None = graph(Prop("validTo"), "有效期至")
    publish_from: datetime.date | None = graph(Prop("publishFrom"), "Publication starts (公示起)")
    publish_until: datetime.date | None = graph(
        Prop("publishUntil"), "Publication ends by itself (公示截止期)"
    )
    status: RecordStatus = graph(Prop("status"), "State of this version")
    publish_by: datetime.date | None = graph(
        Prop("publishBy"), "双公示: to be published by (decision + 7 working days)"
    )
    first_published_on: datetime.date | None = graph(
        Prop("firstPublishedOn"), "Day the decision first reached the network"
    )
    batch_id: str | None = graph(Prop("batchId"), "Feed batch that loaded this version")
    source_row: int | None = graph(Prop("sourceRow"), "Row of that batch's file")
    in_publication_window: bool = graph(
        Expr(IN_WINDOW), "Published today: effective or under objection, inside its window"
    )
    subject_enterprise: Enterprise | None = graph(
        Related("({node})-[:HAS_SUBJECT]->({target}:Enterprise)", single=True),
        "行政相对人, when a market entity",
    )
    subject_person: Person | None = graph(
        Related("({node})-[:HAS_SUBJECT]->({target}:Person)", single=True),
        "行政相对人, when a natural person (de-identified unless your duty needs more)",
    )
    provider: Department | None = graph(
        Related("({node})-[:PROVIDED_BY]->({target}:Department)", single=True),
        "数据来源单位: the department that supplied it",
    )
    decided_by: DecidingAuthority | None = graph(
        Related(f"({{node}})-[:{Rel.DECIDED_BY}]->({{target}})", single=True),
        "决定机关: the organisation that took the decision (处罚机关, 许可机关 …), which handles "
        "objections and repair; absent for records loaded before deciders were recorded",
    )
    previous_version: Record | None = graph(
        Related("({node})-[:SUPERSEDES]->({target}:Record)", single=True),
        "The version this one corrected",
    )
    history: list[Record] | None = graph(
        Related("({node})-[:SUPERSEDES]->+({target}:Record)", order="{node}.version DESC"),
        "Every earlier version, newest first",
    )


@strawberry.type(description="A red or black list entry (红黑名单认定)")
class ListEntry:
    id: strawberry.ID = graph(Prop("id"), "Entry id")
    list_type: ListType = graph(Prop("listType"), "Red or black")
    list_name: str | None = graph(Prop("listName"), "Which list, e.g. 严重失信主体名单")
    basis: str | None = graph(Prop("basis"), "Legal basis (认定依据)")
    decision_number: str | None = graph(Prop("decisionNumber"), "认定文书号")
    decision_date: datetime.date | None = graph(Prop("decisionDate"), "认定日期")
    effective_from: datetime.date | None = graph(Prop("effectiveFrom"), "生效日期")
    effective_until: datetime.date | None = graph(Prop("effectiveUntil"), "有效期至")
    removal_conditions: str | None = graph(Prop("removalConditions"), "移出条件")
    status: ListEntryStatus = graph(
        Expr(list_entry_status("{node}", "{today}")), "State (已到期 once past effectiveUntil)"
    )
    removed_on: datetime.date | None = graph(Prop("removedOn"), "移出日期")
    under_objection: bool = graph(
        Expr("coalesce({node}.underObjection, false)"),
        "异议中: an objection to this entry is pending",
    )
    decided_by: Department | None = graph(
        Related("({node})-[:DECIDED_BY]->({target}:Department)", single=True), "认定部门"
    )
    subject_enterprise: Enterprise | None = graph(
        Related("({node})-[:HAS_SUBJECT]->({target}:Enterprise)", single=True),
        "名单主体, when a market entity",
    )
    subject_person: Person | None = graph(
        Related("({node})-[:HAS_SUBJECT]->({target}:Person)", single=True),
        "名单主体, when a natural person (de-identified unless your duty needs more)",
    )
    linked_persons: list[LinkedPerson] = graph(
        Related("({node})-[{rel}:LINKED_PERSON]->({target}:Person)", order="{rel}.role"),
        "法定代表人 / 主要负责人 / 实际控制人 named in the decision",
    )
    sanctions: list[Sanction] = graph(
        Related("({node})<-[:UNDER]-({target}:Sanction)", order="{node}.id"),
        "Measures applied under this entry",
    )


@strawberry.type(description="A person named in a list decision, with the role")
class LinkedPerson:
    role: RoleKind = graph(Prop("role", on="rel"), "Role in the listed organisation")
    person: Person = graph(NodeAs(), "The person")


@strawberry.type(description="A catalogue measure applied to a subject (惩戒措施实施)")
class Sanction:
    id: strawberry.ID = graph(Prop("id"), "Sanction id")
    starts_on: datetime.date | None = graph(Prop("from"), "Applies from")
    ends_on: datetime.date | None = graph(Prop("until"), "Applies until")
    status: SanctionStatus = graph(Prop("status"), "Still applied or lifted")
    measure: Measure | None = graph(
        Related("({node})-[:APPLIES]->({target}:Measure)", single=True), "The measure"
    )
    list_entry: ListEntry | None = graph(
        Related("({node})-[:UNDER]->({target}:ListEntry)", single=True),
        "The list entry it follows from",
    )
    imposed_by: Department | None = graph(
        Related("({node})-[:IMPOSED_BY]->({target}:Department)", single=True), "实施部门"
    )


RecordConnection = Connection[Record]
ListEntryConnection = Connection[ListEntry]
SanctionConnection = Connection[Sanction]
EnterpriseConnection = Connection[Enterprise]

CONNECTION_TYPES = (
    "RecordConnection",
    "ListEntryConnection",
    "SanctionConnection",
    "EnterpriseConnection",
)


@strawberry.type(description="An enterprise linked to another through people or shareholdings")
class RelatedEnterprise:
    enterprise: Enterprise = graph(NodeAs(), "The related enterprise")
    distance: int = graph(Expr("{rel}.distance"), "Relationships on the shortest link")
    relations: list[RoleKind] = graph(Expr("{rel}.relations"), "The roles along the link, in order")
    via: list[Person] = graph(
        Unwound("{rel}.via"),
        "The persons along the link, in order",
    )
