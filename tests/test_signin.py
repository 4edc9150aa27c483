"""Sign-in through OpenID Connect (hub/signin): the development provider's flow, the checks of
the ID token (signature, expiry, nonce, state), sessions (cookie flags, idle and absolute
expiry, sign-out) and CSRF — over HTTP against the ASGI app and the real Neo4j."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette

from authz.identity import OrgKind
from hub.settings import Settings
from tests.conftest import bearer
from tests.fixtures import E1

BASE = "http://hub.test"
PRESERVED = {"X-Credithub-Request": "1"}
"""The header a signed-in page's fetch sends to /graphql (cookies reach it only with it)."""


@contextlib.asynccontextmanager
async def browser(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does, and does not follow redirects."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


def _query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def sign_in(http: httpx.AsyncClient, code: str, next_path: str = "/signin") -> httpx.Response:
    """The whole authorization-code flow through the development provider, picking `code`."""
    start = await http.get("/signin/start", params={"next": next_path})
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith("/signin/dev/authorize?")
    params = _query(location)
    assert params["state"] and params["nonce"] and params["response_type"] == "code"
    page = await http.get(location)
    assert page.status_code == 200
    assert "开发用身份提供方，仅限本地演示" in page.text
    picked = await http.post("/signin/dev/authorize", data={**params, "uscc": code})
    assert picked.status_code == 303, picked.text
    callback = picked.headers["location"]
    assert callback.startswith(f"{BASE}/signin/callback?")
    return await http.get(callback)


def _csrf(page: str) -> str:
    found = unescape(page).split('name="csrf_token" value="', 1)
    assert len(found) == 2, "the page has no CSRF token"
    return found[1].split('"', 1)[0]


CONSENTS = "{ consents { grantor grantee purpose } }"


async def test_an_enterprise_signs_in_as_the_consumer_its_token_names(
    hub_app: Starlette, settings: Settings
) -> None:
    """After the flow the session's consumer is the enterprise's: /graphql (with the header)
    answers it exactly what a bearer token of E1 gets, and the header names it."""
    async with browser(hub_app) as http:
        done = await sign_in(http, E1, next_path="/signin")
        assert done.status_code == 303 and done.headers["location"] == "/signin"
        page = await http.get("/signin")
        assert "您已登录" in page.text
        by_session = await http.post("/graphql", json={"query": CONSENTS}, headers=PRESERVED)
    enterprise = replace_consumer_kind(settings, E1)
    async with browser(hub_app) as http:
        by_token = await http.post("/graphql", json={"query": CONSENTS}, headers=enterprise)
    assert by_session.json() == by_token.json()
    assert by_session.json()["data"]["consents"], "E1 has granted B1 consent in the fixture"


def replace_consumer_kind(settings: Settings, code: str) -> dict[str, str]:
    from authz.identity import Consumer

    return bearer(settings, Consumer(subject="t", org_kind=OrgKind.ENTERPRISE, org_code=code))
