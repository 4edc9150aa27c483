"""Root queries. Each compiles its whole selection into one Cypher query and runs it."""

from __future__ import annotations

import re
from typing import Any

import strawberry

from authz import policy
from graph.database import Row
from graph.identifiers import (
    is_valid_uscc,
    person_key,
    validate_resident_id,
    validate_uscc,
)
from graph.model import Label
from hub.api.types import (
    Association,
    Department,
    Enterprise,
    EnterpriseConnection,
    Measure,
    Person,
    RelatedEnterprise,
    association_subject,
)
from hub.errors import Forbidden, InvalidArgument, InvalidIdNumber, InvalidUscc
from hub.kernel import GraphInfo as GraphInfo
from hub.kernel import RequestContext as RequestContext
from hub.projection import Projection, connection_value, subjects_of

MAX_RELATED_HOPS = 6
MAX_RELATED = 200

SEARCH_INDEX = "enterprise_name_fulltext"
SEARCH_ORDER = "score DESC, n.name, elementId(n)"
"""Best matches first, by name among equals; the element id makes the order total, so that a
cursor is a place in it. Not the USCC: reading it for every hit to break the rare tie of two
equal names took a query for 有限公司 (66,448 hits at 100,000 enterprises) from 118 to 319 ms
(best of eight; the id costs nothing). The cursor is sealed, so the id is not shown."""

IDENTIFY_PERSON = "identifyPerson"
"""The catalogue operation that may look a person up by resident ID (issue 16, defect 9)."""


class PersonalDataRefused(Forbidden):
    """Looking a person up by resident ID needs the personal-data class (个人信息)."""

    code = "PERSONAL_DATA"

    def __init__(self, citation: str) -> None:
        super().__init__(
            "按公民身份号码查询自然人须有个人信息共享类别，请按人员标识(key)查询 (looking a "
            f"person up by resident ID needs the personal-data class: {citation}; ask by key)"
        )


def _normalise_uscc(argument: str, value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise InvalidArgument(argument, "must not be empty")
    return code


async def _run(info: GraphInfo, p: Projection, cypher: str, params: dict[str, Any]) -> list[Row]:
    context = info.context
    rows = await context.db.read(
        cypher, {**p.params, **params}, metadata={"requestId": context.request_id}
    )
    subjects_of(rows, context.subjects)
    return rows


async def _one(info: GraphInfo, p: Projection, cypher: str, params: dict[str, Any]) -> Row | None:
    rows = await _run(info, p, cypher, params)
    return rows[0]["data"] if rows else None


async def _items(info: GraphInfo, p: Projection, cypher: str, params: dict[str, Any]) -> list[Row]:
    return [row["item"] for row in await _run(info, p, cypher, params)]


_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
_USCC_PREFIX = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2,18}$")


def lucene_phrase_query(text: str) -> str:
    """Each whitespace-separated word as an escaped phrase, all required.

    With the CJK analyzer a phrase of bigrams matches names containing the word as a
    substring, which is how people search Chinese names (鑫源钢铁 finds 舞钢市鑫源钢铁有限公司).
    """
    words = [_LUCENE_SPECIAL.sub(r"\\\1", word) for word in text.split()]
    return " AND ".join(f'"{word}"' for word in words)


@strawberry.type
class Query:
    @strawberry.field(
        description="A market entity by its 统一社会信用代码; null when the network has none",
        graphql_type=Enterprise | None,
    )
    async def enterprise(self, info: GraphInfo, uscc: str) -> Row | None:
        code = _normalise_uscc("uscc", uscc)
        p = info.context.projection(info)
        data = await _one(
            info,
            p,
            "MATCH (n:Enterprise {uscc: $uscc}) RETURN "
            + p.project(p.root_selection(), {"node": "n"})
            + " AS data",
            {"uscc": code},
        )
        if data is None and not is_valid_uscc(code):
            # Only explain a bad code when nothing matched: reviewed anomalies are stored too.
            raise InvalidUscc("uscc", [problem.reason for problem in validate_uscc(code)])
        return data

    @strawberry.field(
        description="Full-text search over enterprise names (Chinese substrings, all words "
        "required) and USCC prefixes; best matches first",
        graphql_type=EnterpriseConnection,
    )
    async def search_enterprises(
        self, info: GraphInfo, query: str, first: int | None = 20, after: str | None = None
    ) -> Row:
        text = query.strip()
        if not text:
            raise InvalidArgument("query", "must not be empty")
        if len(text) > 100:
            raise InvalidArgument("query", "must be at most 100 characters")
        prefix = text.upper() if _USCC_PREFIX.match(text.upper()) else None
        p = info.context.projection(info)
        names = f"CALL db.index.fulltext.queryNodes('{SEARCH_INDEX}', $lucene) YIELD node, score"
        # A code prefix ranks first (1000 is above any full-text score); a node both ways
        # counts once, at its best score. Words that cannot be a code need neither the union
        # nor the grouping over every hit.
        hits = (
            f"{names} WITH node AS n, score"
            if prefix is None
            else "CALL () { "
            f"MATCH (n:{Label.ENTERPRISE}) WHERE n.uscc STARTS WITH $prefix "
            "RETURN n, 1000.0 AS score "
            f"UNION {names} RETURN node AS n, score "
            "} "
            "WITH n, max(score) AS score"
        )
        # Counted without binding, grouping or ordering nodes: the full-text hits, less those
        # that are prefix hits too, plus the prefix hits (a range of the uscc index).
        count = (
            f"COUNT {{ {names} RETURN node }}"
            if prefix is None
            else f"COUNT {{ {names} WHERE NOT node.uscc STARTS WITH $prefix RETURN node }} "
            f"+ COUNT {{ MATCH (n:{Label.ENTERPRISE}) WHERE n.uscc STARTS WITH $prefix }}"
        )
        # Kept per document, consumer and day, and per whether the text can be a code prefix
        # (the one thing of the text the Cypher's shape depends on); text and prefix go in as
        # parameters below.
        value = p.kept(
            prefix is None,
            lambda: connection_value(
                p,
                p.root_selection(),
                "n",
                source=hits,
                carry="n, score",
                order=SEARCH_ORDER,
                count=count,
            ),
        )
        cypher = f"RETURN {value} AS data"
        data = await _one(info, p, cypher, {"prefix": prefix, "lucene": lucene_phrase_query(text)})
        assert data is not None
        return data

    @strawberry.field(
        description="A person by key, or by resident ID (hashed before it reaches the "
        "database; never logged or echoed)",
        graphql_type=Person | None,
    )
    async def person(
        self,
        info: GraphInfo,
        key: strawberry.ID | None = None,
        id_number: str | None = None,
    ) -> Row | None:
        if (key is None) == (id_number is None):
            raise InvalidArgument("key", "give exactly one of `key` and `idNumber`")
        if id_number is not None:
            # Refused before the number is checked or hashed: the answer would confirm that it
            # belongs to someone and open the enterprises behind them.
            decision = policy.permit(info.context.catalogue, info.context.consumer, IDENTIFY_PERSON)
            if not decision.allowed:
                raise PersonalDataRefused(decision.citation)
            problems = validate_resident_id(id_number.strip())
            if problems:
                raise InvalidIdNumber("idNumber", [problem.reason for problem in problems])
            key = strawberry.ID(person_key(id_number.strip(), info.context.person_secret))
        p = info.context.projection(info)
        return await _one(
            info,
            p,
            "MATCH (n:Person {key: $key}) RETURN "
            + p.project(p.root_selection(), {"node": "n"})
            + " AS data",
            {"key": key},
        )

    @strawberry.field(
        description="Enterprises linked to this one through shared legal representatives, "
        "principals, actual controllers or shareholdings, nearest first (关联企业). "
        "A hop is one relationship: enterprise–person–enterprise is 2.",
        graphql_type=list[RelatedEnterprise],
    )
    async def related_enterprises(
        self, info: GraphInfo, uscc: str, max_hops: int = 2, first: int = 50
    ) -> list[Row]:
        code = _normalise_uscc("uscc", uscc)
        if not 1 <= max_hops <= MAX_RELATED_HOPS:
            raise InvalidArgument("maxHops", f"must be between 1 and {MAX_RELATED_HOPS}")
        if not 1 <= first <= MAX_RELATED:
            raise InvalidArgument("first", f"must be between 1 and {MAX_RELATED}")
        p = info.context.projection(info)
        item = p.project(p.root_selection(), {"node": "o", "rel": "link"})
        # Quantifier bounds cannot be parameters; max_hops is a checked int.
        cypher = (
            "MATCH (s:Enterprise {uscc: $uscc}) "
            "MATCH path = ANY SHORTEST (s)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|"
            f"ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]-{{1,{int(max_hops)}}}(o:Enterprise) "
            "WHERE o <> s "
            "WITH o, path ORDER BY length(path), o.name LIMIT $first "
            "WITH o, {distance: length(path), "
            "relations: [r IN relationships(path) | left(type(r), size(type(r)) - 3)], "
            "via: [x IN nodes(path) WHERE x:Person]} AS link "
            f"RETURN {item} AS item"
        )
        return await _items(info, p, cypher, {"uscc": code, "first": first})

    @strawberry.field(
        description="The city's departments (政府部门)", graphql_type=list[Department]
    )
    async def departments(self, info: GraphInfo) -> list[Row]:
        p = info.context.projection(info)
        item = p.project(p.root_selection(), {"node": "n"})
        return await _items(
            info, p, f"MATCH (n:Department) RETURN {item} AS item ORDER BY n.name", {}
        )

    @strawberry.field(
        description="The published joint-punishment measures catalogue (惩戒措施清单)",
        graphql_type=list[Measure],
    )
    async def measures(self, info: GraphInfo) -> list[Row]:
        p = info.context.projection(info)
        item = p.project(p.root_selection(), {"node": "n"})
        return await _items(info, p, f"MATCH (n:Measure) RETURN {item} AS item ORDER BY n.code", {})

    @strawberry.field(
        description="Industry associations and chambers of commerce (行业协会商会)",
        graphql_type=list[Association],
    )
    async def associations(self, info: GraphInfo) -> list[Row]:
        p = info.context.projection(info)
        item = p.project(p.root_selection(), {"node": "n", "subject": "owner"})
        return await _items(
            info,
            p,
            f"MATCH (n:{Label.ASSOCIATION}) WITH {association_subject('n', 'owner')} "
            f"RETURN {item} AS item ORDER BY n.name",
            {},
        )

    @strawberry.field(
        description="An industry association or chamber of commerce by its 统一社会信用代码, "
        "with its member roll where it is shared with you; null when the network has none",
        graphql_type=Association | None,
    )
    async def association(self, info: GraphInfo, code: str) -> Row | None:
        association_code = _normalise_uscc("code", code)
        p = info.context.projection(info)
        data = await _one(
            info,
            p,
            f"MATCH (n:{Label.ASSOCIATION} {{code: $code}}) "
            f"WITH {association_subject('n', 'owner')} RETURN "
            + p.project(p.root_selection(), {"node": "n", "subject": "owner"})
            + " AS data",
            {"code": association_code},
        )
        if data is None and not is_valid_uscc(association_code):
            problems = validate_uscc(association_code)
            raise InvalidUscc("code", [problem.reason for problem in problems])
        return data
