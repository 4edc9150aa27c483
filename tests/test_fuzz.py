"""Hostile input (issue 8): generated queries, as every consumer kind, never break the hub.

Queries are generated from the hub's own schema by hypothesis-graphql — valid ones with
arbitrary arguments (huge page sizes, odd strings, nulls, unknown codes), and invalid ones
(wrong argument types, missing required arguments, unknown fields) — plus malformed bodies.
Each runs as every consumer kind against the real hub on the real Neo4j with the leak probe's
markers planted, and the answer must be:

* never a 5xx, always JSON in the GraphQL or the hub's HTTP error shape;
* never an unexpected exception (masked as 内部错误) nor a stack trace or driver message;
* never a marker that consumer may not see (tests/leak_markers.py).

The examples are generated up front (no shrinking: a failure prints its document instead), a
fixed number per consumer so the suite's time stays bounded.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries

from hub.api.schema import MASKED_MESSAGE, build_schema
from tests.consumers import ASKERS, Asker
from tests.leak_markers import forbidden_for, planted

__all__ = ["planted"]  # the fixture, used by name below

EXAMPLES_PER_MODE = 40
LEAKS_OF_INTERNALS = ("Traceback", 'File "/', "neo4j.exceptions", "Neo.ClientError", "MATCH (")


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Date": st.one_of(
        st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)).map(
            lambda d: _string(d.isoformat())
        ),
        st.text(max_size=12).map(_string),
    ),
    "DateTime": st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: _string(d.isoformat())),
    "JSON": st.text(max_size=20).map(_string),
    "Upload": st.just(graphql.NullValueNode()),
}


def generated(mode: Mode, count: int) -> list[str]:
    """`count` query documents for the hub's schema, valid or not per `mode`."""
    sdl = str(build_schema())
    documents: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(queries(sdl, custom_scalars=SCALARS, mode=mode))
    def collect(document: object) -> None:
        documents.append(str(document))

    collect()
    return documents


MALFORMED_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b'"just a string"'),
    ("application/json", b'{"query": 42}'),
    ("application/json", b'{"query": "{ enterprise(uscc: \\"x\\") { name } }", "variables": 7}'),
    ("application/json", b'{"query": "{ __typename }", "operationName": ["x"]}'),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", json.dumps({"query": "{" * 3000}).encode()),
    ("text/plain", b"{ __typename }"),
    ("application/graphql", b"{ enterprise(uscc: 1) { name } }"),
    ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
]


def check(asker: Asker, response: httpx.Response, sent: str) -> None:
    """The three promises of this module, for one response."""
    where = f"as {asker.name}, status {response.status_code}, for:\n{sent[:2000]}"
    assert response.status_code < 500, where
    body = response.text
    try:
        payload: Any = response.json()
    except ValueError:
        pytest.fail(f"not JSON {where}\n{body[:500]}")
    assert isinstance(payload, dict) and (
        {"data", "errors"} & payload.keys() or "error" in payload
    ), where
    assert MASKED_MESSAGE not in body, f"an unexpected exception {where}\n{body[:1000]}"
    for internal in LEAKS_OF_INTERNALS:
        assert internal not in body, f"{internal!r} leaked {where}"
    leaked = sorted(marker for marker in forbidden_for(asker) if marker in body)
    assert leaked == [], f"{leaked} leaked {where}"


@pytest.fixture(scope="module")
def documents() -> list[str]:
    # Generated once for the module: every consumer gets the same documents.
    return generated(Mode.POSITIVE, EXAMPLES_PER_MODE) + generated(Mode.NEGATIVE, EXAMPLES_PER_MODE)


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_generated_queries_never_fail_the_hub_nor_leak(
    asker: Asker, documents: list[str], planted: list[str], client_for: Any
) -> None:
    async with client_for(asker.consumer) as http:
        for document in documents:
            response = await http.post("/graphql", json={"query": document})
            check(asker, response, document)


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_malformed_bodies_get_a_clear_client_error(asker: Asker, client_for: Any) -> None:
    async with client_for(asker.consumer) as http:
        for content_type, body in MALFORMED_BODIES:
            response = await http.post(
                "/graphql", content=body, headers={"content-type": content_type}
            )
            check(asker, response, repr(body[:200]))
            assert 400 <= response.status_code < 500 or response.json().get("errors"), (
                f"{body[:80]!r} was accepted"
            )


def test_the_generator_reaches_the_schema_root_fields() -> None:
    """The fuzz proves little unless it asks for the fields that hold data."""
    fields = set()
    for document in generated(Mode.POSITIVE, 200):
        parsed = graphql.parse(document)
        for definition in parsed.definitions:
            if isinstance(definition, graphql.OperationDefinitionNode):
                fields |= {
                    s.name.value
                    for s in definition.selection_set.selections
                    if isinstance(s, graphql.FieldNode)
                }
    assert {"enterprise", "person", "searchEnterprises"} <= fields
