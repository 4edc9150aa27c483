"""Guard rails: oversized, deep, aliased, costly and malformed requests get clear errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
from starlette.applications import Starlette

from hub.app import create_app
from hub.settings import Settings
from tests.fixtures import E1


def _codes(errors: list[dict[str, Any]]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in errors}


async def _errors(http: httpx.AsyncClient, document: str) -> list[dict[str, Any]]:
    response = await http.post("/graphql", json={"query": document})
    assert "Traceback" not in response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


def _deep(levels: int) -> str:
    inner = "uscc"
    for _ in range(levels):
        inner = f"legalRepresentative {{ enterprises {{ {inner} }} }}"
    return f'{{ enterprise(uscc: "{E1}") {{ {inner} }} }}'


async def test_depth_is_limited_even_through_fragments(client: httpx.AsyncClient) -> None:
    errors = await _errors(client, _deep(5))
    [error] = [e for e in errors if e["extensions"]["code"] == "QUERY_TOO_DEEP"]
    assert "depth 12 exceeds the limit of 10" in error["message"]
    fragmented = (
        f'{{ enterprise(uscc: "{E1}") {{ ...A }} }} fragment A on Enterprise '
        "{ legalRepresentative { enterprises { legalRepresentative { enterprises { "
        "legalRepresentative { enterprises { legalRepresentative { enterprises { "
        "legalRepresentative { enterprises { uscc } } } } } } } } } } }"
    )
    assert "QUERY_TOO_DEEP" in _codes(await _errors(client, fragmented))
    cycle = f'{{ enterprise(uscc: "{E1}") {{ ...A }} }} fragment A on Enterprise {{ ...A }}'
    assert await _errors(client, cycle)  # reported, not a crash or a hang


async def test_a_normal_credit_check_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": _deep(2)})
    assert "errors" not in response.json()


async def test_aliases_and_cost_are_limited(client: httpx.AsyncClient) -> None:
    many = " ".join(f"a{i}: departments {{ code }}" for i in range(16))
    assert _codes(await _errors(client, f"{{ {many} }}")) == {"TOO_MANY_ALIASES"}
    bomb = " ".join(
        f'b{i}: searchEnterprises(query: "舞钢", first: 100) {{ edges {{ node {{ '
        "records(first: 100) { edges { node { id } } } } } }"
        for i in range(3)
    )
    assert _codes(await _errors(client, f"{{ {bomb} }}")) == {"QUERY_TOO_COSTLY"}


async def test_token_count_and_body_size_are_limited(client: httpx.AsyncClient) -> None:
    long = "{ " + " ".join("departments { code }" for _ in range(600)) + " }"
    assert _codes(await _errors(client, long)) == {"TOO_MANY_TOKENS"}
    response = await client.post(
        "/graphql",
        content=b"{" + b" " * 30_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"


async def test_batched_and_malformed_requests_are_refused(client: httpx.AsyncClient) -> None:
    batched = await client.post("/graphql", json=[{"query": "{ departments { code } }"}] * 2)
    assert batched.status_code == 400
    malformed = await client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "Traceback" not in malformed.text


async def test_production_hides_the_schema_from_the_public(
    hub_app: Starlette, settings: Settings, client: httpx.AsyncClient
) -> None:
    production = create_app(replace(settings, production=True), run_migrations=False)
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as anon:
        [error] = await _errors(anon, "{ __schema { types { name } } }")
        assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
        [typo] = await _errors(anon, "{ departmens { code } }")
        assert "Did you mean" not in typo["message"]
    await production.state.db.close()
    # The credit office (with a token) keeps introspection, and development mode is open.
    response = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
