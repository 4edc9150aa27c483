"""Who is asking, over HTTP (BearerAuth) and from the command line (`credithub token`)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Scope

from authz.identity import Consumer, OrgKind
from authz.tokens import TokenConfig, TokenVerifier, mint
from graph.database import Connection, Database
from hub.auth import BearerAuth
from hub.cli import main
from hub.settings import Settings
from tests.fixtures import A1, B1, CA1, E1, NDRC
from tests.processes import hub_env

CONFIG = TokenConfig(hs256_secret=b"h" * 32)
BANK = Consumer(
    subject="officer-7",
    org_kind=OrgKind.BANK,
    org_code="91410481BK0000017X",
    org_name="中国工商银行舞钢支行",
    purpose="贷前审查",
)
# RFC 6750: error_description holds printable ASCII without '"' and '\'.
CHALLENGE = re.compile(
    r'^Bearer error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]*"$'
)


# --- BearerAuth around a tiny app ------------------------------------------------------------


class EchoApp:
    """A Starlette app that answers with `request.state.consumer` and counts its calls."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.calls = 0

        async def whoami(request: Request) -> JSONResponse:
            self.calls += 1
            consumer: Consumer = request.state.consumer
            return JSONResponse(
                {
                    "subject": consumer.subject,
                    "orgKind": consumer.org_kind.value,
                    "orgCode": consumer.org_code,
                    "orgName": consumer.org_name,
                    "sectors": sorted(consumer.sectors),
                    "purpose": consumer.purpose,
                    "tokenId": consumer.token_id,
                }
            )

        self.app = Starlette(
            routes=[Route("/whoami", whoami)],
            middleware=[Middleware(BearerAuth, verifier=verifier)],
        )


@pytest.fixture
def echo() -> EchoApp:
    return EchoApp(TokenVerifier(CONFIG))


@pytest.fixture
async def http(echo: EchoApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=echo.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def test_no_authorization_header_is_the_public(
    http: httpx.AsyncClient, echo: EchoApp
) -> None:
    response = await http.get("/whoami")
    assert response.status_code == 200
    assert response.json()["orgKind"] == "PUBLIC" and response.json()["subject"] == "anonymous"
    assert echo.calls == 1


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_a_valid_bearer_token_names_the_consumer(
    http: httpx.AsyncClient, scheme: str
) -> None:
    token = mint(CONFIG, BANK, ttl=timedelta(hours=1))
    response = await http.get("/whoami", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body.pop("tokenId")
    assert body == {
        "subject": "officer-7",
        "orgKind": "BANK",
        "orgCode": "91410481BK0000017X",
        "orgName": "中国工商银行舞钢支行",
        "sectors": [],
        "purpose": "贷前审查",
    }


def _expired() -> str:
    return mint(CONFIG, BANK, ttl=timedelta(hours=1), now=datetime(2026, 11, 28, 9, 0, tzinfo=UTC))


def _forged() -> str:
    header, payload, signature = mint(CONFIG, BANK, ttl=timedelta(hours=1)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["org_kind"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("authorization", "code", "description"),
    [
        (lambda: f"Bearer {_expired()}", "TOKEN_EXPIRED", "token expired at 2026-11-28T10:00:00Z"),
        (lambda: "Bearer not-a-jwt", "TOKEN_MALFORMED", "malformed token"),
        (lambda: f"Bearer {_forged()}", "TOKEN_SIGNATURE_INVALID", "signature"),
        (lambda: "Basic dXNlcjpwYXNz", "TOKEN_MALFORMED", "only Bearer"),
        (lambda: f"Token {_expired()}", "TOKEN_MALFORMED", "only Bearer"),
        (lambda: "Bearer", "TOKEN_MALFORMED", "empty"),
        (lambda: "Bearer    ", "TOKEN_MALFORMED", "empty"),
    ],
    ids=["expired", "not-a-jwt", "forged", "basic", "other-scheme", "no-token", "blank-token"],
)
async def test_a_bad_authorization_is_401_and_the_app_never_runs(
    http: httpx.AsyncClient, echo: EchoApp, authorization: Any, code: str, description: str
) -> None:
    header: str = authorization()
    response = await http.get("/whoami", headers={"Authorization": header})
    assert response.status_code == 401
    assert echo.calls == 0
    error = response.json()["error"]
    assert error["code"] == code and description in error["message"]
    challenge = response.headers["www-authenticate"]
    assert CHALLENGE.match(challenge), challenge
    assert description in challenge
    token = header.partition(" ")[2].strip()
    if token:
        assert token not in response.text and token not in challenge


async def test_the_401_body_gives_the_reason_in_chinese_and_english(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/whoami", headers={"Authorization": f"Bearer {_expired()}"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"] == (
        "令牌已过期，请运行 credithub token <简称> 重新签发 (token expired at "
        "2026-11-28T10:00:00Z; mint a new one with `credithub token <short name>`)"
    )


async def test_two_authorization_headers_are_refused(
    http: httpx.AsyncClient, echo: EchoApp
) -> None:
    token = mint(CONFIG, BANK, ttl=timedelta(hours=1))
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", "Bearer other")]
    response = await http.get("/whoami", headers=headers)
    assert response.status_code == 401 and echo.calls == 0


def _b64json(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_untrusted_text_cannot_break_the_challenge_header(
    http: httpx.AsyncClient,
) -> None:
    # The algorithm name is echoed (shortened) in the reason; its quotes must not end the value.
    alg = 'x", error="oops\\'
    token = ".".join([_b64json({"alg": alg}), _b64json({"sub": "x"}), "c2ln"])
    response = await http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_KEY_UNKNOWN"
    assert CHALLENGE.match(response.headers["www-authenticate"])


async def test_unreachable_identity_provider_keys_are_503_not_401(tmp_path: Path) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_file=tmp_path / "missing.json"))
    app = EchoApp(verifier)
    # The keys are fetched before the signature is looked at, so any signature will do.
    header = {"alg": "RS256", "typ": "JWT", "kid": "r1"}
    rs256 = ".".join([_b64json(header), _b64json({"sub": "x"}), "c2ln"])
    transport = httpx.ASGITransport(app=app.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        response = await client.get("/whoami", headers={"Authorization": f"Bearer {rs256}"})
    assert response.status_code == 503 and app.calls == 0
    assert response.json()["error"]["code"] == "TOKEN_KEYS_UNAVAILABLE"
    assert "www-authenticate" not in response.headers


async def test_lifespan_and_other_scopes_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("BearerAuth must not answer a lifespan scope")

    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    await BearerAuth(app, TokenVerifier(CONFIG))(scope, receive, send)
    assert seen == [scope] and "state" not in scope


async def test_an_existing_scope_state_is_kept() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        raise AssertionError("a request without a token is never refused")

    scope: Scope = {"type": "http", "headers": [], "state": {"started": 1}}
    await BearerAuth(app, TokenVerifier(CONFIG))(scope, receive, send)
    assert seen[0]["state"]["started"] == 1 and seen[0]["state"]["consumer"].is_public


# --- credithub token ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(db: Database, neo4j_connection: Connection, tmp_path: Path) -> dict[str, str]:
    """The environment of a `credithub` run against the loaded test graph (db comes first)."""
    return hub_env(neo4j_connection, tmp_path / "home")


def _token(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["token", *args], env=env)


def _verified(env: dict[str, str], result: Result) -> Consumer:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "stdout must hold the token only, so TOKEN=$(credithub token …) works"
    return TokenVerifier(Settings.from_env(env).token_config()).verify(lines[0])


def test_credithub_token_mints_for_a_department_by_its_code(cli_env: dict[str, str]) -> None:
    result = _token(cli_env, NDRC, "--purpose", "联合惩戒")
    consumer = _verified(cli_env, result)
    assert consumer.org_kind is OrgKind.DEPARTMENT and consumer.org_code == NDRC
    assert consumer.org_name == "舞钢市发展和改革委员会"
    assert consumer.sectors == frozenset({"发展改革"}) and consumer.purpose == "联合惩戒"
    assert consumer.subject == f"local@{NDRC}"
    description = result.stderr.strip()
    assert len(description.splitlines()) == 1
    assert "舞钢市发展和改革委员会" in description and "联合惩戒" in description


@pytest.mark.parametrize("name", ["市发改委", "舞钢市发展和改革委员会", NDRC.lower()])
def test_a_department_is_found_by_short_name_name_or_lower_case_code(
    cli_env: dict[str, str], name: str
) -> None:
    assert _verified(cli_env, _token(cli_env, name)).org_code == NDRC


def test_the_lifetime_and_subject_are_the_callers_choice(cli_env: dict[str, str]) -> None:
    result = _token(cli_env, NDRC, "--ttl", "30m", "--subject", "zhang.wei")
    consumer = _verified(cli_env, result)
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 60 and consumer.subject == "zhang.wei"


@pytest.mark.parametrize(
    ("ttl", "says"), [("8x", "--ttl"), ("h", "--ttl"), ("0h", "positive"), ("8d", "at most")]
)
def test_an_unusable_lifetime_is_refused(cli_env: dict[str, str], ttl: str, says: str) -> None:
    result = _token(cli_env, NDRC, "--ttl", ttl)
    assert result.exit_code != 0 and says in result.output and not result.stdout.strip()


def test_an_admin_token_names_no_organisation(cli_env: dict[str, str]) -> None:
    consumer = _verified(cli_env, _token(cli_env, "--admin"))
    assert consumer.org_kind is OrgKind.ADMIN and consumer.subject == "admin"
    assert consumer.org_code is None
    both = _token(cli_env, NDRC, "--admin")
    assert both.exit_code == 2 and "--admin" in both.output


def test_an_unknown_organisation_is_a_clear_error(cli_env: dict[str, str]) -> None:
    missing = _token(cli_env, "不存在的单位")
    assert missing.exit_code == 1 and not missing.stdout.strip()
    assert "'不存在的单位'" in missing.stderr and "in the graph" in missing.stderr
    nothing = _token(cli_env)
    assert nothing.exit_code == 2 and "--admin" in nothing.output


@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [
        ("中国工商银行舞钢支行", OrgKind.BANK, B1),
        ("河南信联征信有限公司", OrgKind.CREDIT_AGENCY, CA1),
        (A1, OrgKind.ASSOCIATION, A1),
        (E1, OrgKind.ENTERPRISE, E1),
    ],
)
def test_every_kind_of_organisation_is_found(
    cli_env: dict[str, str], name: str, kind: OrgKind, code: str
) -> None:
    consumer = _verified(cli_env, _token(cli_env, name))
    assert consumer.org_kind is kind and consumer.org_code == code
    assert consumer.sectors == frozenset()


async def test_a_name_two_organisations_share_is_refused(
    db: Database, cli_env: dict[str, str]
) -> None:
    twins = ["91410481MA0000002Q", "91410481MA0000003Q"]
    await db.write(
        "UNWIND $codes AS code CREATE (:Bank {code: code, name: '舞钢测试同名银行'})",
        {"codes": twins},
    )
    try:
        # The CLI runs its own event loop (asyncio.run), so it runs off this test's loop.
        ambiguous = await asyncio.to_thread(_token, cli_env, "舞钢测试同名银行")
        assert ambiguous.exit_code == 1 and not ambiguous.stdout.strip()
        assert "names 2 organisations" in ambiguous.stderr
        assert all(code in ambiguous.stderr for code in twins)
        by_code = await asyncio.to_thread(_token, cli_env, twins[0])
        assert _verified(cli_env, by_code).org_code == twins[0]
    finally:
        await db.write("MATCH (b:Bank) WHERE b.code IN $codes DETACH DELETE b", {"codes": twins})
