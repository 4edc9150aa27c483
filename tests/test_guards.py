"""Guard rails: deep, aliased, costly, long, oversized, batched and malformed requests are refused
with clear errors that name the limit, and production hides the schema from the public."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import strawberry
from graphql import get_introspection_query, parse, validate
from starlette.applications import Starlette

from authz.identity import Consumer, OrgKind
from authz.tokens import mint
from graph.database import Database
from hub.api.schema import build_schema
from hub.app import create_app, shut_down
from hub.guards import GuardConfig
from hub.guards.cost import MaxCostRule
from hub.guards.max_tokens import TokenLimit
from hub.guards.suggestions import HidePublicSuggestions
from hub.settings import Settings
from tests.fixtures import E1

DEFAULTS = GuardConfig()

CREDIT_CHECK = """
query CreditCheck($uscc: String!) {
  enterprise(uscc: $uscc) {
    name status registeredCapital blackListed redListed
    legalRepresentative { nameMasked enterprises(excludeUscc: $uscc) { uscc name status } }
    records(first: 10, kinds: [PENALTY, JUDGMENT]) {
      totalCount
      edges { node { kind title documentNumber decisionDate severity status provider { name } } }
      pageInfo { hasNextPage endCursor }
    }
    listEntries {
      edges { node { listType listName status sanctions { measure { name business } } } }
    }
  }
}
"""
"""The bank's credit check from the README, which the defaults must let through."""


async def _post(http: httpx.AsyncClient, document: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    return body


async def _errors(http: httpx.AsyncClient, document: str, **variables: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = (await _post(http, document, **variables))["errors"]
    assert errors
    return errors


def _codes(errors: list[dict[str, Any]]) -> set[str | None]:
    return {error.get("extensions", {}).get("code") for error in errors}


def _at_depth(depth: int) -> str:
    """`depth` fields deep, on one record per level so the cost stays small:
    enterprise → records → edges → node → previousVersion → … → id."""
    nodes = f'enterprise(uscc: "{E1}") {{ records(first: 1) {{ edges {{ node {{ '
    return "{ " + nodes + "previousVersion { " * (depth - 5) + "id" + " }" * depth


async def test_defaults_let_a_normal_credit_check_through(client: httpx.AsyncClient) -> None:
    body = await _post(client, CREDIT_CHECK, uscc=E1)
    assert "errors" not in body, body["errors"]
    assert body["data"]["enterprise"]["records"]["totalCount"] >= 1


async def test_depth_is_limited(client: httpx.AsyncClient) -> None:
    assert "errors" not in await _post(client, _at_depth(DEFAULTS.max_depth))
    [error] = await _errors(client, _at_depth(DEFAULTS.max_depth + 1))
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "query depth 11 exceeds the limit of 10" in error["message"]


async def test_depth_is_counted_through_fragments_and_survives_cycles(
    client: httpx.AsyncClient,
) -> None:
    hidden = (
        f'{{ enterprise(uscc: "{E1}") {{ records(first: 1) {{ edges {{ node {{ ...A }} }} }} }} }} '
        "fragment A on Record { previousVersion { ... on Record { previousVersion { ...B } } } } "
        "fragment B on Record { previousVersion { previousVersion { previousVersion { "
        "previousVersion { previousVersion { id } } } } } }"
    )
    [error] = await _errors(client, hidden)
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "query depth 12 exceeds" in error["message"]
    # A cycle is reported by graphql-core's own rule, not a crash or a hang of ours.
    cycle = (
        f'{{ enterprise(uscc: "{E1}") {{ ...A }} }} '
        "fragment A on Enterprise { uscc legalRepresentative { enterprises { ...B } } } "
        "fragment B on Enterprise { name ...A }"
    )
    [error] = await _errors(client, cycle)
    assert "Cannot spread fragment 'A' within itself via 'B'" in error["message"]


async def test_aliases_are_limited(client: httpx.AsyncClient) -> None:
    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: departments {{ code }}" for i in range(count)) + " }"

    assert "errors" not in await _post(client, aliased(DEFAULTS.max_aliases))
    [error] = await _errors(client, aliased(DEFAULTS.max_aliases + 1))
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "16 aliased fields exceed the limit of 15" in error["message"]


async def test_an_alias_bomb_is_too_costly(client: httpx.AsyncClient) -> None:
    # Within the alias and depth limits, yet 15 × 100 enterprises × 100 records each.
    bomb = " ".join(
        f'b{i}: searchEnterprises(query: "舞钢", first: 100) {{ edges {{ node {{ '
        "records(first: 100) { edges { node { id } } } } } }"
        for i in range(DEFAULTS.max_aliases)
    )
    [error] = await _errors(client, f"{{ {bomb} }}")
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "exceeds the limit of 5000" in error["message"]


async def test_fragments_spread_many_times_are_costed_without_blowing_up(
    client: httpx.AsyncClient,
) -> None:
    # Each fragment spreads the next twice: 2^40 departments' codes, in a few hundred tokens.
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Department {{ code ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    document = (
        f"{{ departments {{ ...F0 }} }} {fragments} fragment F{levels} on Department {{ name }}"
    )
    [error] = await _errors(client, document)
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_the_cost_estimate() -> None:
    schema = build_schema()._schema

    def cost(document: str) -> str:
        [error] = validate(schema, parse(document), [MaxCostRule.with_limit(0)])
        return error.message

    # A plain list multiplies what is below it by 10: 1 + 10 × 1.
    assert "estimated cost 11 " in cost("{ departments { code } }")
    # A connection by its page: 1 + 5 × (edges 1 + (node 1 + uscc 1)).
    paged = '{ searchEnterprises(query: "x", first: 5) { edges { node { uscc } } } }'
    assert "estimated cost 16 " in cost(paged)
    # Pages are capped at 100, and a variable counts as the largest page.
    assert "estimated cost 301 " in cost(paged.replace("first: 5", "first: 1000"))
    variable = paged.replace("{ searchEnterprises", "query($n: Int) { searchEnterprises")
    assert "estimated cost 301 " in cost(variable.replace("first: 5", "first: $n"))
    # Without `first`, the schema's default page (20 here).
    assert "estimated cost 61 " in cost(paged.replace(", first: 5", ""))


async def test_tokens_are_limited(client: httpx.AsyncClient) -> None:
    long = "{ " + " ".join("departments { code }" for _ in range(600)) + " }"
    [error] = await _errors(client, long)
    assert error["extensions"]["code"] == "TOO_MANY_TOKENS"
    assert "more than 2000 tokens; the limit is 2000" in error["message"]
    # Comments count too: padding with them does not get a document past the parser's limit.
    padded = "{ departments { code }\n" + "#\n" * 2500 + "}"
    assert _codes(await _errors(client, padded)) == {"TOO_MANY_TOKENS"}


def test_the_token_error_has_its_code_when_strawberry_parses_too() -> None:
    """Without ParserCache the parser error arrives as the result, not through the hook."""

    @strawberry.type
    class Query:
        hello: str = "world"

    schema = strawberry.Schema(Query, extensions=[partial(TokenLimit, max_token_count=5)])
    result = schema.execute_sync("{ hello hello hello hello hello }")
    [error] = result.errors or []
    assert error.extensions == {"code": "TOO_MANY_TOKENS"}


async def test_oversized_bodies_are_refused(client: httpx.AsyncClient) -> None:
    oversized = b'{"query": "{ departments { code } }"' + b" " * DEFAULTS.max_query_bytes + b"}"
    response = await client.post(
        "/graphql", content=oversized, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "Traceback" not in response.text
    assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"
    assert "exceeds the limit of 20000 bytes" in response.json()["error"]["message"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length to go by
        for _ in range(30):
            yield b" " * 1000

    response = await client.post(
        "/graphql", content=streamed(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_batches_are_refused_one_operation_per_request(client: httpx.AsyncClient) -> None:
    operation = {"query": "{ departments { code } }"}
    for batch in ([operation, operation], [operation]):
        response = await client.post("/graphql", json=batch)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "TOO_MANY_OPERATIONS"
        assert error["message"].startswith("不接受批量请求")
        assert f"{len(batch)} operation" in error["message"]
    single = await client.post("/graphql", json=operation)
    assert single.status_code == 200 and single.json()["data"]["departments"]


async def test_malformed_bodies_are_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    # Deep enough that Python's JSON decoder, run again deeper in Strawberry's stack, would fail
    # there (a 500) though not in the middleware: refused by the nesting limit instead.
    deep = b"[" * 965 + b"]" * 965
    nested = b'{"query": "{ departments { code } }", "variables": {"a": ' + deep + b"}}"
    for body in (b"", b'{"query": ', b"\xff\xfe\xfa", b'"{ departments }"', b"[]", b"[1]", nested):
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "MALFORMED_REQUEST"
        assert "Traceback" not in response.text


async def test_introspection_is_open_outside_production(
    client: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    # GraphiQL's full introspection query nests deeper than any data query: not counted.
    for http in (client, anon):
        body = await _post(http, get_introspection_query())
        assert "errors" not in body, body["errors"]
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    [typo] = await _errors(anon, "{ departmens { code } }")
    assert "Did you mean 'departments'?" in typo["message"]


@contextlib.asynccontextmanager
async def _production(
    settings: Settings, consumer: Consumer | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(replace(settings, production=True), run_migrations=False)
    headers = {}
    if consumer is not None:
        token = mint(settings.token_config(), consumer, ttl=timedelta(hours=1))
        headers["Authorization"] = f"Bearer {token}"
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test", headers=headers
        ) as http:
            yield http
    finally:
        await shut_down(app)


async def test_production_hides_the_schema_from_the_public(
    db: Database, settings: Settings
) -> None:
    async with _production(settings) as public:
        for document in ("{ __schema { types { name } } }", '{ __type(name: "Person") { name } }'):
            [error] = await _errors(public, document)
            assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
            assert "not available without a token" in error["message"]
        # Nothing near a guess is named: fields, arguments, types.
        [typo] = await _errors(public, "{ departmens { code } }")
        assert typo["message"] == (
            "查询不符合接口定义 (Cannot query field 'departmens' on type 'Query'.)"
        )
        assert typo["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        for document in (
            '{ enterprise(usc: "x") { uscc } }',
            f'{{ enterprise(uscc: "{E1}") {{ ... on Enterprse {{ uscc }} }} }}',
        ):
            for error in await _errors(public, document):
                assert "Did you mean" not in error["message"]
        # Ordinary queries (and __typename) still work for the public.
        body = await _post(public, "{ departments { __typename code } }")
        assert "errors" not in body, body["errors"]
        # The guards of the default configuration hold in production too.
        assert _codes(await _errors(public, _at_depth(11))) == {"QUERY_TOO_DEEP"}


async def test_production_keeps_introspection_for_authenticated_consumers(
    db: Database, settings: Settings
) -> None:
    office = Consumer(subject="credit-office", org_kind=OrgKind.ADMIN)
    async with _production(settings, office) as http:
        body = await _post(http, get_introspection_query())
        assert "errors" not in body, body["errors"]
        [typo] = await _errors(http, "{ departmens { code } }")
        assert "Did you mean 'departments'?" in typo["message"]


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"


@strawberry.type
class PaintQuery:
    @strawberry.field
    def paint(self, colour: Colour) -> str:
        return colour.value


def test_suggestions_from_executing_are_hidden_for_the_public() -> None:
    """Variables are coerced by graphql-core's executor, after validation, and Strawberry does
    not pass the executor `hide_suggestions`: a misspelt enum value in `variables` would name
    the right one (today the hub masks that error whole; this holds if that changes)."""

    document, variables = "query($c: Colour!) { paint(colour: $c) }", {"c": "RDE"}
    [plain] = strawberry.Schema(PaintQuery).execute_sync(document, variables).errors or []
    assert "Did you mean the enum value 'RED'?" in plain.message
    schema = strawberry.Schema(PaintQuery, extensions=[HidePublicSuggestions])
    [hidden] = schema.execute_sync(document, variables).errors or []  # no context: the public
    assert "does not exist in 'Colour' enum" in hidden.message
    assert "Did you mean" not in hidden.message
