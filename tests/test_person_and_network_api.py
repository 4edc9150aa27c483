"""Persons, the network around an enterprise (关联企业), and search."""

from __future__ import annotations

import json

import httpx

from graph.database import QueryLog
from tests.fixtures import E1, E2, E3, E4, E5, P1, P1_ID, P3, R6
from tests.graphql import errors, query

PERSON = """query($key: ID, $id: String) { person(key: $key, idNumber: $id) {
    key name nameMasked idNumberMasked gender birthYear
    roles { role share enterprise { uscc } }
    enterprises(roles: [LEGAL_REPRESENTATIVE]) { uscc }
    records { totalCount edges { node { id kind } } }
    listEntries { edges { node { id listType } } } } }"""


async def test_person_by_key_with_roles_enterprises_and_personal_records(
    client: httpx.AsyncClient,
) -> None:
    data = await query(client, PERSON, key=P1)
    person = data["person"]
    assert person["name"] == "张伟" and person["nameMasked"] == "张*"
    assert person["idNumberMasked"] == P1_ID[0] + "*" * 15 + P1_ID[-2:]
    assert person["gender"] == "M" and person["birthYear"] == 1970
    assert {(r["role"], r["enterprise"]["uscc"]) for r in person["roles"]} == {
        ("LEGAL_REPRESENTATIVE", E1),
        ("LEGAL_REPRESENTATIVE", E2),
        ("LEGAL_REPRESENTATIVE", E3),
        ("ACTUAL_CONTROLLER", E1),
        ("SHAREHOLDER", E1),
    }
    assert sorted(e["uscc"] for e in person["enterprises"]) == sorted([E1, E2, E3])
    assert person["records"]["edges"] == [{"node": {"id": R6["uid"], "kind": "JUDGMENT"}}]
    # Named in E1's black-list decision as its legal representative (六(五)).
    assert person["listEntries"]["edges"] == [{"node": {"id": "LE-1", "listType": "BLACK"}}]


async def test_person_by_resident_id_is_the_same_person(client: httpx.AsyncClient) -> None:
    data = await query(client, "query($id: String) { person(idNumber: $id) { key } }", id=P1_ID)
    assert data["person"] == {"key": P1}


async def test_a_bad_resident_id_is_refused_without_echoing_it(client: httpx.AsyncClient) -> None:
    bad = P1_ID[:-1] + ("0" if P1_ID[-1] != "0" else "1")
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: String) { person(idNumber: $id) { key } }",
            "variables": {"id": bad},
        },
    )
    body = json.dumps(response.json(), ensure_ascii=False)
    assert "公民身份号码" in body
    assert all(bad[i : i + 6] not in body for i in range(len(bad) - 5))


async def test_person_needs_exactly_one_identifier(client: httpx.AsyncClient) -> None:
    [error] = await errors(client, "{ person { key } }")
    assert "exactly one" in error["message"]


RELATED = """query($u: String!, $hops: Int!) { relatedEnterprises(uscc: $u, maxHops: $hops) {
    distance relations via { key } enterprise { uscc } } }"""


async def test_related_enterprises_through_shared_people_and_shareholdings(
    client: httpx.AsyncClient,
) -> None:
    data = await query(client, RELATED, u=E1, hops=2)
    found = {r["enterprise"]["uscc"]: r for r in data["relatedEnterprises"]}
    assert set(found) == {E2, E3, E4}
    assert found[E4] == {
        "distance": 1,
        "relations": ["SHAREHOLDER"],
        "via": [],
        "enterprise": {"uscc": E4},
    }
    assert found[E2]["distance"] == 2 and found[E2]["via"] == [{"key": P1}]
    assert found[E2]["relations"][0] in {"LEGAL_REPRESENTATIVE", "ACTUAL_CONTROLLER", "SHAREHOLDER"}
    assert [r["distance"] for r in data["relatedEnterprises"]] == [1, 2, 2]


async def test_related_enterprises_respects_max_hops(client: httpx.AsyncClient) -> None:
    one = await query(client, RELATED, u=E1, hops=1)
    assert [r["enterprise"]["uscc"] for r in one["relatedEnterprises"]] == [E4]
    # From E4: its holder P3 is at 1 person-hop, E1 at 1, E1's people's companies at 3.
    three = await query(client, RELATED, u=E4, hops=3)
    distances = {r["enterprise"]["uscc"]: r["distance"] for r in three["relatedEnterprises"]}
    assert distances == {E1: 1, E2: 3, E3: 3}
    assert E5 not in distances


async def test_related_enterprises_bounds_are_checked(client: httpx.AsyncClient) -> None:
    [error] = await errors(client, RELATED, u=E1, hops=9)
    assert "maxHops" in error["message"]


SEARCH = """query($q: String!, $first: Int, $after: String) {
  searchEnterprises(query: $q, first: $first, after: $after) {
    totalCount edges { node { uscc name } } pageInfo { hasNextPage endCursor } } }"""


async def test_search_by_chinese_name_fragment(client: httpx.AsyncClient) -> None:
    data = await query(client, SEARCH, q="鑫源钢铁")
    assert [e["node"]["uscc"] for e in data["searchEnterprises"]["edges"]] == [E1]
    both = await query(client, SEARCH, q="舞钢市 控股")
    assert [e["node"]["uscc"] for e in both["searchEnterprises"]["edges"]] == [E4]


async def test_search_by_uscc_prefix(client: httpx.AsyncClient) -> None:
    data = await query(client, SEARCH, q=E1[:16].lower())
    assert data["searchEnterprises"]["edges"][0]["node"]["uscc"] == E1


async def test_search_pages_and_counts(client: httpx.AsyncClient) -> None:
    first = await query(client, SEARCH, q="舞钢市", first=3)
    page = first["searchEnterprises"]
    assert page["totalCount"] == 5 and len(page["edges"]) == 3
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await query(client, SEARCH, q="舞钢市", first=3, after=page["pageInfo"]["endCursor"])
    names = [e["node"]["name"] for e in page["edges"] + rest["searchEnterprises"]["edges"]]
    assert len(names) == 5 == len(set(names))


async def test_search_treats_query_syntax_as_text(client: httpx.AsyncClient) -> None:
    data = await query(client, SEARCH, q='鑫源" OR name:* (')
    assert data["searchEnterprises"]["totalCount"] == 0
    [error] = await errors(client, SEARCH, q="   ")
    assert "must not be empty" in error["message"]


async def test_one_cypher_query_per_root_field_however_much_is_returned(
    client: httpx.AsyncClient,
) -> None:
    credit_check = """query($u: String!) { enterprise(uscc: $u) {
        name blackListed legalRepresentative { name enterprises(excludeUscc: $u) {
          name blackListed records { totalCount edges { node { id provider { name } } } } } }
        records(first: 50, includeHistory: true) { totalCount edges { node { id title
          provider { name } previousVersion { id provider { name } } } } }
        listEntries { edges { node { id linkedPersons { person { name } }
          sanctions { measure { name } imposedBy { name } } } } }
        sanctions { edges { node { measure { name } listEntry { id } } } } } }"""
    for uscc in (E1, E5):
        with QueryLog() as log:
            await query(client, credit_check, u=uscc)
        # One compiled read, and the request's one audit entry.
        assert log.reads == 1 and log.count == 2
    with QueryLog() as log:
        await query(
            client,
            "query($u: String!) { a: enterprise(uscc: $u) { name } "
            'b: searchEnterprises(query: "舞钢") { totalCount } departments { name } }',
            u=E1,
        )
    assert log.reads == 3 and log.count == 4


async def test_person_p3_controls_the_holding_company(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        "query($k: ID) { person(key: $k) { roles { role share "
        "enterprise { uscc investments { enterprise { uscc } } } } } }",
        k=P3,
    )
    roles = data["person"]["roles"]
    assert {
        "role": "SHAREHOLDER",
        "share": 1.0,
        "enterprise": {"uscc": E4, "investments": [{"enterprise": {"uscc": E1}}]},
    } in roles
