"""Helpers to post GraphQL to the hub in tests."""

from __future__ import annotations

from typing import Any

import httpx


async def query(client: httpx.AsyncClient, document: str, **variables: Any) -> dict[str, Any]:
    """Post `document`; fail the test on any GraphQL error; return `data`."""
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def errors(
    client: httpx.AsyncClient, document: str, **variables: Any
) -> list[dict[str, Any]]:
    """Post `document` and return its errors (the test fails if there are none)."""
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    body = response.json()
    assert body.get("errors"), body
    result: list[dict[str, Any]] = body["errors"]
    return result
