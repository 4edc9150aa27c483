"""The journeys benchmark asks valid questions of both GraphQL sides.

bench/journeys.py times the hub against @neo4j/graphql (bench/peer/server.mjs). Its documents
are plain strings, so a renamed field or a library upgrade that changes the generated API would
only show in a benchmark run; these checks catch it without a database: the peer's typeDefs build
a schema in the library itself (`node server.mjs --print-schema`, installed by the bench's own
`npm ci`), every peer document validates against that schema, and every hub document against the
hub's contract (schema.graphql). Needs Node.js and npm (skipped without them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from bench import journeys

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def peer_schema() -> GraphQLSchema:
    """The schema @neo4j/graphql generates from the peer's typeDefs."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the benchmark peer")
    journeys.install_peer()
    env = {
        **os.environ,
        "PEER_PORT": "1",
        "NEO4J_URI": "bolt://127.0.0.1:1",  # never contacted: the schema is built offline
        "NEO4J_PASSWORD": "unused",
    }
    printed = subprocess.run(
        ["node", "server.mjs", "--print-schema"],
        cwd=journeys.PEER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    return build_schema(printed.stdout)


@pytest.mark.parametrize(
    "document",
    ["PEER_CREDIT_CHECK", "PEER_MEMBERS", "PEER_TRAVERSAL", "PEER_SEARCH"],
)
def test_peer_documents_are_valid_for_the_generated_schema(
    peer_schema: GraphQLSchema, document: str
) -> None:
    errors = validate(peer_schema, parse(getattr(journeys, document)))
    assert errors == [], [error.message for error in errors]


@pytest.mark.parametrize(
    "document",
    ["CREDIT_CHECK", "HUB_MEMBERS", "HUB_TRAVERSAL", "SITE_SEARCH", "GRANT_CONSENT"],
)
def test_hub_documents_are_valid_for_the_hub_contract(document: str) -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    errors = validate(schema, parse(getattr(journeys, document)))
    assert errors == [], [error.message for error in errors]


def test_a_misspelt_peer_field_is_refused(peer_schema: GraphQLSchema) -> None:
    """The validation above can fail: the generated API names connections `…Connection`."""
    wrong = journeys.PEER_CREDIT_CHECK.replace("recordsConnection", "recordConnection")
    assert validate(peer_schema, parse(wrong)) != []
