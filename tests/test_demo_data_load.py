"""The demo dataset loads into the real server, idempotently, and the API answers over it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from graph.database import Database
from loaders.demo_data import (
    _LICENCES,
    DemoSpec,
    generate,
    graph_is_empty,
    load,
    seed_commitment_items,
)
from tests.fixtures import PERSON_SECRET, load_fixture_graph
from tests.graphql import query

COUNT_ALL = (
    "MATCH (n) WHERE NOT n:Migration WITH count(n) AS nodes "
    "CALL () { MATCH ()-[r]->() RETURN count(r) AS rels } RETURN nodes, rels"
)


@pytest.fixture
async def demo_graph(db: Database) -> AsyncIterator[dict[str, int]]:
    """The demo graph in place of the fixture graph for one test; the fixture is put back."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    assert await graph_is_empty(db)
    counts = await load(db, generate(DemoSpec(enterprises=200), PERSON_SECRET), batch_size=500)
    yield counts
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def test_demo_data_loads_idempotently_and_is_queryable(
    db: Database, demo_graph: dict[str, int], client: httpx.AsyncClient
) -> None:
    assert not await graph_is_empty(db)
    [before] = await db.read(COUNT_ALL)
    assert demo_graph["enterprises"] == 200
    expected_nodes = sum(
        demo_graph[kind]
        for kind in (
            "departments",
            "banks",
            "associations",
            "credit_agencies",
            "credit_offices",
            "measures",
            "reference_events",  # the organisation and measure imports' events
            "enterprises",
            "persons",
            "records",
            "list_entries",
            "sanctions",
        )
    )
    assert before["nodes"] == expected_nodes

    await load(db, generate(DemoSpec(enterprises=200), PERSON_SECRET), batch_size=500)
    [after] = await db.read(COUNT_ALL)
    assert after == before, "loading the same data twice must change nothing"

    [sample] = await db.read(
        "MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e:Enterprise) "
        "WITH p, collect(e) AS companies WHERE size(companies) >= 2 "
        "WITH companies[0] AS e ORDER BY e.uscc LIMIT 1 RETURN e.uscc AS uscc, e.name AS name"
    )
    data = await query(
        client,
        """query($u: String!, $q: String!) {
          enterprise(uscc: $u) { name legalRepresentative { enterprises(excludeUscc: $u)
            { uscc } } records { totalCount } }
          searchEnterprises(query: $q) { edges { node { uscc } } } }""",
        u=sample["uscc"],
        q=sample["name"],
    )
    assert data["enterprise"]["name"] == sample["name"]
    assert len(data["enterprise"]["legalRepresentative"]["enterprises"]) >= 1
    assert data["searchEnterprises"]["edges"][0]["node"]["uscc"] == sample["uscc"]


async def test_the_demo_commitment_catalogue_is_seeded_once_through_the_lifecycle(
    db: Database, demo_graph: dict[str, int], anon: httpx.AsyncClient
) -> None:
    data = generate(DemoSpec(enterprises=200), PERSON_SECRET)
    saved = await seed_commitment_items(db, data, DemoSpec().today)
    assert saved == len(_LICENCES) + len(data.associations)
    [before] = await db.read(COUNT_ALL)
    await seed_commitment_items(db, data, DemoSpec().today)
    [after] = await db.read(COUNT_ALL)
    assert after == before, "saving the same items again changes nothing"
    items = (await query(anon, "{ commitmentItems { code name offeredBy } }"))["commitmentItems"]
    by_code = {item["code"]: item for item in items}
    assert by_code["CI-food_trade"]["name"] == "食品经营许可证告知承诺"
    assert len(by_code) == saved
