"""What the request path costs (issue 18): a connection matches its pattern once, and graph-backed
scalar fields are completed without graphql-core's per-field machinery — with the same answers.

The Cypher is observed by wrapping `Database.read` of the running hub (the query still runs
against the real Neo4j); the answers are checked against plain Cypher over the fixture graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph.database import Database
from tests.conftest import ADMIN, ClientFor
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
