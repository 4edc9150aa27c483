"""What the request path costs (issue 18): a connection matches its pattern once, and graph-backed
fields are completed without graphql-core's per-field machinery — with the same answers.

The Cypher is observed by wrapping `Database.read` of the running hub (the query still runs
against the real Neo4j); the answers are checked against plain Cypher over the fixture graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph.database import Database
from hub import projection
from hub.identity_lru import IdentityLru
from tests.conftest import ADMIN, ClientFor
from tests.consumers import ASKERS, Asker
from tests.fixtures import E1

RECORDS = f"""{{ enterprise(uscc: "{E1}") {{
  name
  records(first: 1) {{
    totalCount edges {{ cursor node {{ id kind }} }} pageInfo {{ hasNextPage }}
  }}
  again: records(first: 2) {{ totalCount edges {{ node {{ title }} }} }}
}} }}"""


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The Cypher the hub sends while the test runs (sent on to Neo4j unchanged)."""
    seen: list[str] = []
    read = Database.read

    async def spy(self: Database, cypher: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(cypher)
        return await read(self, cypher, *args, **kwargs)

    monkeypatch.setattr(Database, "read", spy)
    yield seen


async def test_a_connection_matches_its_pattern_once_and_counts_what_it_matched(
    client_for: ClientFor, db: Database, compiled: list[str]
) -> None:
    async with client_for(ADMIN) as http:
        body = (await http.post("/graphql", json={"query": RECORDS})).json()
    assert "errors" not in body, body
    [cypher] = [text for text in compiled if "Enterprise {uscc" in text]
    # Two connections (records, again), each matching current records once: no COUNT {} of
    # its own running the pattern and its row rules a second time.
    assert cypher.count(":Record)-[:HAS_SUBJECT]->") == 2
    assert "COUNT {" not in cypher

    [expected] = await db.read(
        "MATCH (r:Record)-[:HAS_SUBJECT]->(:Enterprise {uscc: $e}) WHERE r.current = true "
        "WITH r ORDER BY r.decisionDate DESC, r.uid RETURN count(r) AS n, collect(r.uid) AS ids",
        {"e": E1},
    )
    records, again = body["data"]["enterprise"]["records"], body["data"]["enterprise"]["again"]
    assert expected["n"] > 1, "the fixture gives E1 more than one current record"
    assert records["totalCount"] == again["totalCount"] == expected["n"]
    assert [edge["node"]["id"] for edge in records["edges"]] == expected["ids"][:1]
    assert records["pageInfo"] == {"hasNextPage": True}
    assert len(again["edges"]) == 2


async def test_the_next_page_continues_where_the_cursor_points(client_for: ClientFor) -> None:
    query = f"""query($after: String) {{ enterprise(uscc: "{E1}") {{
      records(first: 1, after: $after) {{ totalCount edges {{ cursor node {{ id }} }}
        pageInfo {{ hasNextPage endCursor }} }} }} }}"""
    seen: list[str] = []
    after = None
    async with client_for(ADMIN) as http:
        while True:
            body = (
                await http.post("/graphql", json={"query": query, "variables": {"after": after}})
            ).json()
            page = body["data"]["enterprise"]["records"]
            seen += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]


async def test_scalar_fields_are_served_typed_and_noted_as_released(
    client_for: ClientFor, db: Database
) -> None:
    """Scalars and enums taken by the fast path come out serialized as the schema says (enum
    names, ISO dates), and the audit entry names them as released."""
    query = f"""{{ enterprise(uscc: "{E1}") {{ uscc status blackListed
      records(first: 5) {{ edges {{ node {{ kind decisionDate }} }} }} }} }}"""
    async with client_for(ADMIN) as http:
        response = await http.post("/graphql", json={"query": query})
    data = response.json()["data"]["enterprise"]
    [row] = await db.read("MATCH (e:Enterprise {uscc: $e}) RETURN e.status AS status", {"e": E1})
    assert data["uscc"] == E1 and data["status"] == row["status"] and data["blackListed"] is True
    for edge in data["records"]["edges"]:
        assert isinstance(edge["node"]["kind"], str) and edge["node"]["kind"].isupper()
        assert len(edge["node"]["decisionDate"]) == 10  # an ISO date, not a driver object
    [entry] = await db.read(
        "MATCH (a:AuditEntry {requestId: $r}) RETURN a.released AS released",
        {"r": response.headers["x-request-id"]},
    )
    assert {"Enterprise.uscc", "Enterprise.status", "Record.kind", "Record.decisionDate"} <= set(
        entry["released"]
    )


async def test_a_field_served_as_null_counts_as_released_like_a_value(
    client_for: ClientFor, db: Database
) -> None:
    """A null is served, not withheld: the direct completion notes it as the resolver does, so
    the audit's released list and the report's edition (which needs the conditional fields to
    have been served) do not depend on whether a record happens to carry provenance."""
    [row] = await db.read(
        "MATCH (r:Record)-[:HAS_SUBJECT]->(e:Enterprise) WHERE r.current = true "
        "AND r.batchId IS NULL RETURN e.uscc AS uscc LIMIT 1"
    )
    records = "records(first: 20) { edges { node { batchId } } }"
    query = f'{{ enterprise(uscc: "{row["uscc"]}") {{ {records} }} }}'
    async with client_for(ADMIN) as http:
        body = (await http.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body
    assert all(
        edge["node"]["batchId"] is None for edge in body["data"]["enterprise"]["records"]["edges"]
    )
    [entry] = await db.read(
        "MATCH (a:AuditEntry) RETURN a.released AS released ORDER BY a.seq DESC LIMIT 1"
    )
    assert "Record.batchId" in entry["released"]


# A document reaching every kind of graph-backed field: objects, lists of objects, connections
# with cursors and page info, nested connections, aliases, a fragment, an enum list argument.
EVERY_SHAPE = f"""
fragment Rec on Record {{ id kind title decisionDate status severity provider {{ name }} }}
query {{ enterprise(uscc: "{E1}") {{
  uscc name status registeredCapital blackListed redListed
  legalRepresentative {{ key nameMasked
    enterprises(excludeUscc: "{E1}") {{ uscc name blackListed }} }}
  people(roles: [SHAREHOLDER, PRINCIPAL]) {{ role person {{ key nameMasked }} }}
  shareholders {{ share }}
  records(first: 2) {{ totalCount edges {{ cursor node {{ ...Rec }} }}
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }}
  penalties: records(kinds: [PENALTY], first: 5) {{ edges {{ node {{ id amount }} }} }}
  listEntries(first: 5) {{ totalCount edges {{ node {{ id listType status
    sanctions {{ status measure {{ code name }} }} }} }} }}
  sanctions(first: 5) {{ edges {{ node {{ id status startsOn measure {{ code business }} }} }} }}
}} }}"""


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_direct_completion_answers_as_graphql_core_does(
    asker: Asker, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Graph-backed fields completed in place (hub/projection.py `GraphExecutionContext`) give
    the same data, errors and withheld notes, at the same paths, as graphql-core's own
    completion through the resolvers — for every kind of consumer, so withheld values and
    nulls inside objects, lists and connections are all met."""

    async def answer() -> dict[str, Any]:
        async with client_for(asker.consumer) as http:
            body: dict[str, Any] = (await http.post("/graphql", json={"query": EVERY_SHAPE})).json()
        body.get("extensions", {}).get("access", {}).pop("requestId", None)  # one per request
        return body

    direct = await answer()
    # Without the markers the context looks for, every field takes graphql-core's path.
    monkeypatch.setattr(projection, "GRAPH_VALUE", "_no_graph_value")
    monkeypatch.setattr(projection, "GRAPH_LEAF", "_no_graph_leaf")
    # Nor may a plan kept from the first answer serve the second.
    monkeypatch.setattr(projection, "_SHARED_PLANS", IdentityLru(projection.CACHED_PLANS))
    through_core = await answer()
    assert direct == through_core
    assert direct.get("data", {}).get("enterprise") is not None or direct.get("errors")


async def test_arguments_are_read_afresh_for_each_document_and_variable(
    client_for: ClientFor,
) -> None:
    """Literal arguments are kept coerced per parsed document (hub/projection.py
    `_argument_values`); a variable is read from each request, and another document's
    literal is its own."""
    literal = (
        f'{{ enterprise(uscc: "{E1}") {{ records(first: %d) {{ edges {{ node {{ id }} }} }} }} }}'
    )
    by_variable = f"""query($n: Int!) {{ enterprise(uscc: "{E1}") {{
      records(first: $n) {{ edges {{ node {{ id }} }} }} }} }}"""

    def edges(body: dict[str, Any]) -> int:
        return len(body["data"]["enterprise"]["records"]["edges"])

    async with client_for(ADMIN) as http:
        for _ in range(2):  # the second round meets what the first one left cached
            for n in (1, 2, 3):
                body = (await http.post("/graphql", json={"query": literal % n})).json()
                assert edges(body) == n, body
                body = (
                    await http.post("/graphql", json={"query": by_variable, "variables": {"n": n}})
                ).json()
                assert edges(body) == n, body


async def test_a_fixed_selection_is_planned_once_for_every_request_that_sends_it(
    client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document sent again (Strawberry keeps it parsed) is completed from the plans its first
    request made (hub/projection.py `_SHARED_PLANS`): graphql-core does not collect its
    selections again, and the answer is the same."""
    planned: list[str] = []
    new_plan = projection.GraphExecutionContext._new_plan

    def counting(self: Any, return_type: Any, field_details_list: Any) -> Any:
        planned.append(return_type.name)
        return new_plan(self, return_type, field_details_list)

    monkeypatch.setattr(projection.GraphExecutionContext, "_new_plan", counting)
    # A document no other test sends, so its first request plans it.
    query = f"""query planOnce {{ enterprise(uscc: "{E1}") {{ name
      records(first: 3) {{ totalCount edges {{ node {{ id kind title }} }} }} }} }}"""
    async with client_for(ADMIN) as http:
        first = (await http.post("/graphql", json={"query": query})).json()
        assert "Record" in planned, planned
        planned.clear()
        again = (await http.post("/graphql", json={"query": query})).json()
    assert planned == []
    for body in (first, again):
        body.get("extensions", {}).get("access", {}).pop("requestId", None)
    assert again == first
    assert len(first["data"]["enterprise"]["records"]["edges"]) > 1


INCLUDED = f"""query included($name: Boolean!, $kind: Boolean!) {{ enterprise(uscc: "{E1}") {{
  uscc name @include(if: $name)
  records(first: 2) {{ edges {{ node {{ id ...Kind }} }} }} }} }}
fragment Kind on Record {{ kind @skip(if: $kind) title }}"""


async def test_a_selection_its_variables_decide_is_planned_for_each_request(
    client_for: ClientFor,
) -> None:
    """@include and @skip on a variable (here also inside a fragment) make the same document
    select other fields per request: such a selection is never kept across requests, so each
    answer has exactly the fields its own variables ask for, however they alternate."""
    async with client_for(ADMIN) as http:
        for _ in range(2):
            for name, kind in ((True, False), (False, True), (True, True), (False, False)):
                body = (
                    await http.post(
                        "/graphql",
                        json={"query": INCLUDED, "variables": {"name": name, "kind": kind}},
                    )
                ).json()
                enterprise = body["data"]["enterprise"]
                assert ("name" in enterprise) is name, body
                node = enterprise["records"]["edges"][0]["node"]
                assert ("kind" in node) is not kind, body
                assert "title" in node and "id" in node
