"""Every field of every type, as every kind of consumer: allowed or withheld, as the catalogue says.

Generated from the schema and authz/catalogue.toml: for each type an instance reachable from a
root query is asked for one field at a time, by each consumer in tests/consumers.py (with and
without consent, member and non-member, own and other enterprise). The expected outcome comes
from the catalogue and the fixture's facts about consent, membership and ownership — not from
the code under test.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from authz.catalogue import default_catalogue
from hub.api.schema import COMPUTED_TYPES as API_TYPES
from hub.api.schema import build_schema
from tests.consumers import ASKERS, Asker
from tests.fixtures import A1, E1, E4, P1

# type → (document with {sel}, path to the instance, the instance's subject)
ENTRIES: dict[str, tuple[str, list[str | int], str | None]] = {
    "Enterprise": (f'{{ enterprise(uscc: "{E1}") {{ {{sel}} }} }}', ["enterprise"], E1),
    "Person": (
        f'{{ enterprise(uscc: "{E1}") {{ legalRepresentative {{ {{sel}} }} }} }}',
        ["enterprise", "legalRepresentative"],
        P1,
    ),
    "EnterpriseRole": (
        f'{{ enterprise(uscc: "{E1}") {{ people(roles: [SHAREHOLDER]) {{ {{sel}} }} }} }}',
        ["enterprise", "people", 0],
        E1,
    ),
    "PersonRole": (
        f'{{ person(key: "{P1}") {{ roles(roles: [SHAREHOLDER]) {{ {{sel}} }} }} }}',
        ["person", "roles", 0],
        P1,
    ),
    "Shareholder": (
        f'{{ enterprise(uscc: "{E1}") {{ shareholders {{ {{sel}} }} }} }}',
        ["enterprise", "shareholders", 0],
        E1,
    ),
    "Investment": (
        f'{{ enterprise(uscc: "{E4}") {{ investments {{ {{sel}} }} }} }}',
        ["enterprise", "investments", 0],
        E4,
    ),
    # The association is the subject of its own member roll (the `own` condition).
    "Association": (f'{{ association(code: "{A1}") {{ {{sel}} }} }}', ["association"], A1),
    "Department": ("{ departments { {sel} } }", ["departments", 0], None),
    "Measure": ("{ measures { {sel} } }", ["measures", 0], None),
    "Record": (
        f'{{ enterprise(uscc: "{E1}") {{ records(kinds: [PENALTY], decidedFrom: "2026-01-01") '
        f"{{ edges {{ node {{ {{sel}} }} }} }} }} }}",
        ["enterprise", "records", "edges", 0, "node"],
        E1,
    ),
    "ListEntry": (
        f'{{ enterprise(uscc: "{E1}") {{ listEntries {{ edges {{ node {{ {{sel}} }} }} }} }} }}',
        ["enterprise", "listEntries", "edges", 0, "node"],
        E1,
    ),
    "LinkedPerson": (
        f'{{ enterprise(uscc: "{E1}") {{ listEntries {{ edges {{ node {{ linkedPersons '
        f"{{ {{sel}} }} }} }} }} }} }}",
        ["enterprise", "listEntries", "edges", 0, "node", "linkedPersons", 0],
        E1,
    ),
    "Sanction": (
        f'{{ enterprise(uscc: "{E1}") {{ sanctions {{ edges {{ node {{ {{sel}} }} }} }} }} }}',
        ["enterprise", "sanctions", "edges", 0, "node"],
        E1,
    ),
    "RelatedEnterprise": (
        f'{{ relatedEnterprises(uscc: "{E1}", maxHops: 1) {{ {{sel}} }} }}',
        ["relatedEnterprises", 0],
        None,
    ),
}

# A small selection under object-valued fields of each type.
PROBE = {
    "Enterprise": "uscc",
    "Person": "key",
    "Record": "id",
    "ListEntry": "id",
    "Sanction": "id",
    "Department": "code",
    "Association": "code",
    "Measure": "code",
    "EnterpriseRole": "role",
    "PersonRole": "role",
    "Shareholder": "share",
    "Investment": "share",
    "LinkedPerson": "role",
    "RelatedEnterprise": "distance",
    "RecordConnection": "totalCount",
    "ListEntryConnection": "totalCount",
    "SanctionConnection": "totalCount",
    "EnterpriseConnection": "totalCount",
}


def _named(gql_type: Any) -> Any:
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type


def _cases() -> list[tuple[str, str]]:
    schema = build_schema()._schema
    cases = []
    for type_name in ENTRIES:
        gql_type = schema.type_map[type_name]
        assert isinstance(gql_type, GraphQLObjectType)
        cases += [(type_name, field_name) for field_name in gql_type.fields]
    return cases


CASES = _cases()
SCHEMA = build_schema()._schema


def _object(type_name: str) -> GraphQLObjectType:
    gql_type = SCHEMA.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    return gql_type


def _selection(type_name: str, field_name: str) -> str:
    gql_type = SCHEMA.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    target = _named(gql_type.fields[field_name].type)
    if isinstance(target, GraphQLObjectType):
        return f"{field_name} {{ {PROBE[target.name]} }}"
    return field_name


def _at(data: Any, path: list[str | int]) -> Any:
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def test_every_schema_field_is_in_the_catalogue_and_every_type_is_probed() -> None:
    catalogue = default_catalogue()
    # Answered by hub code with its own operation rules (operations.* in the catalogue).
    computed = set(API_TYPES)
    graph_types = {
        name
        for name, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType)
        and not name.startswith("__")
        and name not in {"Query", "Mutation", "Subscription", "PageInfo"}
        and not name.endswith(("Connection", "Edge"))
    }
    assert graph_types - computed == set(ENTRIES)
    missing = {
        f"{name}.{field}" for name in graph_types for field in _object(name).fields
    } - catalogue.coordinates()
    assert missing == set(), "fields the sharing catalogue does not cover (served to nobody)"


def test_fields_that_some_consumer_may_not_see_are_nullable() -> None:
    catalogue = default_catalogue()
    for type_name, field_name in CASES:
        if catalogue.sharing_class(type_name, field_name) != "public":
            field_type = _object(type_name).fields[field_name].type
            assert not isinstance(field_type, GraphQLNonNull), f"{type_name}.{field_name}"


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_each_field_is_served_or_withheld_as_the_catalogue_says(
    asker: Asker, client_for: Any
) -> None:
    catalogue = default_catalogue()
    failures = []
    async with client_for(asker.consumer) as http:
        for type_name, field_name in CASES:
            document, path, subject = ENTRIES[type_name]
            query = document.replace("{sel}", _selection(type_name, field_name))
            response = await http.post("/graphql", json={"query": query})
            body = response.json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
            # Refused as a whole is right only when nothing asked for may be seen.
            assert codes <= {"NOTHING_SHARED"}, (type_name, field_name, body)
            holder = _at(body["data"], path)
            if holder is None:
                # The path to the instance passes a field this consumer may not see.
                parent_withheld = body.get("extensions", {}).get("access", {}).get("withheld")
                assert parent_withheld, (asker.name, type_name, field_name, body)
                continue
            decision = catalogue.field(asker.consumer, type_name, field_name)
            visible = decision.allowed or any(
                asker.holds(c.kind, subject) for c in decision.conditions
            )
            coordinate = f"{type_name}.{field_name}"
            withheld = [
                w
                for w in body.get("extensions", {}).get("access", {}).get("withheld", [])
                if w["field"] == coordinate
            ]
            if visible and withheld:
                failures.append(f"{coordinate}: withheld but should be served")
            if not visible:
                if holder.get(field_name) is not None:
                    failures.append(f"{coordinate}: served but should be withheld")
                elif not withheld or withheld[0]["reason"] != (
                    decision.reason and decision.reason.value
                ):
                    failures.append(f"{coordinate}: withheld without reason {decision.reason}")
    assert failures == [], f"{asker.name}: " + "; ".join(failures)


async def test_a_public_response_lists_withheld_paths_with_reasons(
    anon: httpx.AsyncClient,
) -> None:
    body = (
        await anon.post(
            "/graphql",
            json={
                "query": f'{{ enterprise(uscc: "{E1}") {{ name legalRepresentative '
                "{ nameMasked name idNumber } } }"
            },
        )
    ).json()
    assert body["data"]["enterprise"]["name"] == "舞钢市鑫源钢铁有限公司"
    rep = body["data"]["enterprise"]["legalRepresentative"]
    assert rep == {"nameMasked": "张*", "name": None, "idNumber": None}
    withheld = body["extensions"]["access"]["withheld"]
    assert {(tuple(w["path"]), w["reason"]) for w in withheld} == {
        (("enterprise", "legalRepresentative", "name"), "PERSONAL_DATA"),
        (("enterprise", "legalRepresentative", "idNumber"), "PERSONAL_DATA"),
    }


async def test_a_request_for_nothing_shareable_is_refused_as_a_whole(
    anon: httpx.AsyncClient,
) -> None:
    body = (
        await anon.post(
            "/graphql",
            json={"query": f'{{ person(key: "{P1}") {{ name idNumber }} }}'},
        )
    ).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOTHING_SHARED"
    assert {w["field"] for w in body["extensions"]["access"]["withheld"]} == {
        "Person.name",
        "Person.idNumber",
    }
