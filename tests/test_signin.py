"""Sign-in through OpenID Connect (hub/signin): the development provider's flow, the checks of
the ID token (signature, expiry, nonce, state), sessions (cookie flags, idle and absolute
expiry, sign-out, a bearer header winning), CSRF, and the enterprise's and the bank's journey:
E1 grants B1 consent on its consents page, and B1, signed in, issues E1's full-edition report.
Over HTTP against the ASGI app and the real Neo4j."""

from __future__ import annotations

import contextlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authz.catalogue import default_catalogue
from authz.identity import Consumer, OrgKind
from authz.tokens import TokenVerifier
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.model import Label, Rel
from hub.app import create_app, shut_down
from hub.settings import Settings
from hub.signin import sessions
from hub.signin.config import SignInConfig
from hub.signin.dev_provider import DEV_CLIENT_ID
from hub.signin.routes import SignIn
from hub.signin.sessions import SESSION_COOKIE, SessionAuth, session_middleware
from hub.site.rendering import render
from tests.conftest import bearer
from tests.fixtures import B1, CONSENT_PURPOSE, E1, E2, R1, load_fixture_graph

BASE = "http://hub.test"
PRESERVED = {"X-Credithub-Request": "1"}
"""The header a signed-in page's fetch sends to /graphql (cookies reach it only with it)."""


@contextlib.asynccontextmanager
async def browser(app: Starlette, base: str = BASE) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does, and does not follow redirects."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as http:
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
    async with browser(hub_app) as http:
        by_token = await http.post("/graphql", json={"query": CONSENTS}, headers=token_of(E1))
    assert by_session.json() == by_token.json()
    assert by_session.json()["data"]["consents"], "E1 has granted B1 consent in the fixture"


def token_of(code: str, kind: OrgKind = OrgKind.ENTERPRISE) -> dict[str, str]:
    """A bearer header for the organisation `code` (the suite's secret)."""
    settings = _SETTINGS[0]
    return bearer(settings, Consumer(subject="t", org_kind=kind, org_code=code))


_SETTINGS: list[Settings] = []


@pytest.fixture(autouse=True)
def _remember_settings(settings: Settings) -> Iterator[None]:
    _SETTINGS[:] = [settings]
    yield


# -- the journey: consent on the enterprise's page, the bank's full report --------------------


async def _issue(http: httpx.AsyncClient, uscc: str, purpose: str) -> str:
    """Issue `uscc`'s report as the signed-in bank through the form; its edition label."""
    form = await http.get("/reports/new", params={"uscc": uscc})
    assert form.status_code == 200, form.text
    assert "报告编号" not in form.text, "a GET never issues in a signed-in organisation's name"
    issued = await http.post(
        "/reports",
        data={"uscc": uscc, "purpose": purpose, "csrf_token": _csrf(form.text)},
        headers={"Origin": BASE},
    )
    assert issued.status_code == 303, issued.text
    report = await http.get(issued.headers["location"])
    assert report.status_code == 200, report.text
    return "完整版" if "<dd>完整版</dd>" in report.text else "公开版"


LATER = "贷后管理"
"""E1 has granted B1 consent for 贷前审查 (tests/fixtures.py); the journey grants 贷后管理."""


@pytest.fixture
async def new_consents(db: Database) -> AsyncIterator[None]:
    """E1's grants made by a test are removed after it (other modules count B1's grants).

    R1 is given the batch and row it would have come with from a feed: the full edition is the
    one whose conditional part (batch, row, earlier version) was served (hub/reports/edition.py).
    """
    await db.write(
        f"MATCH (r:{Label.RECORD} {{key: $key}}) SET r.batchId = 'SIGNIN-TEST', r.sourceRow = 7",
        {"key": R1["key"]},
    )
    yield
    await db.write(
        f"MATCH (r:{Label.RECORD} {{key: $key}}) REMOVE r.batchId, r.sourceRow", {"key": R1["key"]}
    )
    await db.write(
        f"MATCH (c:{Label.CONSENT})-[:{Rel.GRANTED_BY}]->(:{Label.ENTERPRISE} {{uscc: $e1}}) "
        "WHERE c.purpose = $later DETACH DELETE c",
        {"e1": E1, "later": LATER},
    )


async def test_an_enterprise_grants_consent_and_the_signed_in_bank_gets_the_full_report(
    hub_app: Starlette, new_consents: None
) -> None:
    """E1 grants B1 consent for 贷后管理 on its page; B1's report for that purpose becomes the
    full one (its 贷前审查 consent from the fixture does not cover 贷后管理)."""
    async with browser(hub_app) as bank, browser(hub_app) as enterprise:
        await sign_in(bank, B1)
        assert await _issue(bank, E1, LATER) == "公开版"

        await sign_in(enterprise, E1)
        page = await enterprise.get("/account/consents")
        assert page.status_code == 200 and LATER not in page.text
        granted = await enterprise.post(
            "/account/consents",
            data={
                "grantee": "中国工商银行舞钢支行",
                "purpose": LATER,
                "expires_on": (china_today() + timedelta(days=30)).isoformat(),
                "csrf_token": _csrf(page.text),
            },
            headers={"Origin": BASE},
        )
        assert granted.status_code == 303, granted.text
        listed = await enterprise.get(granted.headers["location"])
        assert "已授权" in listed.text and LATER in listed.text and "撤销授权" in listed.text

        assert await _issue(bank, E1, LATER) == "完整版"
        # Consent is bound to the purpose the bank states.
        assert await _issue(bank, E1, "合同签订") == "公开版"

        looked = await enterprise.get("/account/accesses")
        assert B1 in looked.text and "出具信用报告" in looked.text

        later = next(row for row in listed.text.split("<tr>") if LATER in row)
        revoke_path = unescape(later).split('action="', 1)[1].split('"', 1)[0]
        assert revoke_path.startswith("/account/consents/") and revoke_path.endswith("/revoke")
        revoked = await enterprise.post(
            revoke_path, data={"csrf_token": _csrf(listed.text)}, headers={"Origin": BASE}
        )
        assert revoked.status_code == 303, revoked.text
        assert "已撤销" in (await enterprise.get("/account/consents")).text
        assert await _issue(bank, E1, LATER) == "公开版"
        assert await _issue(bank, E1, CONSENT_PURPOSE) == "完整版", "the other grant stands"


async def test_a_bank_that_tries_to_grant_consent_is_refused_by_the_catalogue_in_chinese(
    hub_app: Starlette,
) -> None:
    async with browser(hub_app) as bank:
        await sign_in(bank, B1)
        page = await bank.get("/account/consents")
        refused = await bank.post(
            "/account/consents",
            data={
                "grantee": B1,
                "purpose": CONSENT_PURPOSE,
                "expires_on": "2099-01-01",
                "csrf_token": _csrf(page.text),
            },
            headers={"Origin": BASE},
        )
    assert refused.status_code == 403
    message = unescape(refused.text).split('role="alert">', 1)[1].split("<", 1)[0]
    assert message and "not allowed" not in message and "授权" in message


async def test_the_enterprise_pages_show_its_full_record_and_need_a_session(
    hub_app: Starlette,
) -> None:
    async with browser(hub_app) as http:
        anonymous = await http.get("/account")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/signin?next=/account"
        await sign_in(http, E1)
        record = await http.get("/account")
        assert record.status_code == 200
        assert E1 in record.text and "报送批次" in record.text
        for path in ("/account/objections", "/account/voluntary", "/account/commitments"):
            assert (await http.get(path)).status_code == 200, path


@pytest.fixture
async def restored_graph(db: Database) -> AsyncIterator[None]:
    """An objection marks its record 异议中: the fixture graph is loaded afresh afterwards."""
    yield
    await db.write(f"MATCH (n) WHERE NOT n:{Label.MIGRATION} DETACH DELETE n")
    await load_fixture_graph(db)


def _alert(page: str) -> str:
    return unescape(page).split('role="alert">', 1)[1].split("<", 1)[0]


async def test_the_enterprise_objects_registers_voluntary_information_and_sees_refusals(
    hub_app: Starlette, restored_graph: None
) -> None:
    """The forms run the existing mutations as E1; what the lifecycle refuses is shown."""
    async with browser(hub_app) as http:
        await sign_in(http, E1)
        page = await http.get("/account/objections")
        assert f'value="record:{R1["key"]}"' in unescape(page.text)
        filed = await http.post(
            "/account/objections",
            data={
                "target": f"record:{R1['key']}",
                "grounds": "WRONG_DATA",
                "statement": "罚款金额应为 1.25 万元",
                "evidence": "缴款凭证 No.2026-001",
                "csrf_token": _csrf(page.text),
            },
            headers={"Origin": BASE},
        )
        assert filed.status_code == 303, filed.text
        listed = await http.get(filed.headers["location"])
        assert "异议已提交" in listed.text and "罚款金额应为 1.25 万元" in listed.text
        assert "处理中" in listed.text and "PENDING" not in listed.text
        record = await http.get("/account")
        assert "异议中" in record.text

        again = await http.post(
            "/account/objections",
            data={
                "target": f"record:{R1['key']}",
                "grounds": "WRONG_DATA",
                "statement": "再次异议",
                "csrf_token": _csrf(listed.text),
            },
            headers={"Origin": BASE},
        )
        assert again.status_code in (400, 403, 409), again.text
        assert _alert(again.text) and "(" not in _alert(again.text)

        voluntary = await http.get("/account/voluntary")
        fields = {
            "kind": "CERTIFICATE",
            "title": "ISO 9001 质量管理体系认证",
            "detail": "证书编号 00126Q30001R0M，有效期至 2029 年",
            "statement": "本单位承诺所填报信息真实、准确、完整。",
            "csrf_token": _csrf(voluntary.text),
        }
        unticked = await http.post("/account/voluntary", data=fields, headers={"Origin": BASE})
        assert unticked.status_code == 400 and "真实性承诺" in _alert(unticked.text)
        registered = await http.post(
            "/account/voluntary", data={**fields, "truthful": "yes"}, headers={"Origin": BASE}
        )
        assert registered.status_code == 303, registered.text
        shown = await http.get(registered.headers["location"])
        assert "ISO 9001 质量管理体系认证" in shown.text and "资质证书" in shown.text
        assert "未核实" in shown.text and "UNVERIFIED" not in shown.text


# -- CSRF ----------------------------------------------------------------------------------


async def test_forms_without_the_sessions_token_or_from_another_origin_are_refused(
    hub_app: Starlette,
) -> None:
    async with browser(hub_app) as http, browser(hub_app) as other:
        await sign_in(http, E2)
        await sign_in(other, E2)
        token = _csrf((await http.get("/account/consents")).text)
        foreign = _csrf((await other.get("/account/consents")).text)
        assert token != foreign
        fields = {"grantee": B1, "purpose": CONSENT_PURPOSE, "expires_on": "2099-01-01"}
        for data, headers in (
            (fields, {"Origin": BASE}),
            ({**fields, "csrf_token": foreign}, {"Origin": BASE}),
            ({**fields, "csrf_token": token + "x"}, {"Origin": BASE}),
            ({**fields, "csrf_token": token}, {"Origin": "https://evil.example"}),
            ({**fields, "csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
        ):
            refused = await http.post("/account/consents", data=data, headers=headers)
            assert refused.status_code == 403, (data, headers)
            assert "请求可能来自其他网站" in refused.text
        signout = await http.post("/signout", data={}, headers={"Origin": BASE})
        assert signout.status_code == 403
        assert (await http.get("/account")).status_code == 200, "still signed in"
        consents = await http.get("/account/consents")
        assert "暂无授权" in consents.text or "已撤销" in consents.text, "nothing was granted"


# -- sessions --------------------------------------------------------------------------------


async def test_the_session_cookie_is_signed_httponly_lax_and_sign_out_ends_it(
    hub_app: Starlette,
) -> None:
    async with browser(hub_app) as http:
        done = await sign_in(http, E1)
        cookie = done.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "path=/", "max-age=1800"} <= flags
        assert "secure" not in flags, "plain http (no CREDITHUB_PUBLIC_URL https://)"
        # A cookie altered by its holder no longer verifies: the public.
        value = http.cookies[SESSION_COOKIE]
        tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        async with browser(hub_app) as other:
            forged = await other.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={tampered}"})
            assert forged.status_code == 303
            # The cookie itself is the credential (as a bearer token is) until it is ended.
            copied = await other.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
            assert copied.status_code == 200
        page = await http.get("/signin")
        assert "您已登录" in page.text
        out = await http.post(
            "/signout", data={"csrf_token": _csrf(page.text)}, headers={"Origin": BASE}
        )
        assert out.status_code == 303 and out.headers["location"] == "/"
        assert "expires=thu, 01 jan 1970" in out.headers["set-cookie"].lower()
        assert SESSION_COOKIE not in http.cookies
        assert (await http.get("/account")).status_code == 303
        assert "您已登录" not in (await http.get("/signin")).text
        # A copy of the cookie taken before signing out is refused too.
        async with browser(hub_app) as thief:
            copied = await thief.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
            assert copied.status_code == 303


async def test_a_bearer_header_wins_over_the_session_and_graphql_needs_the_header_for_cookies(
    hub_app: Starlette,
) -> None:
    async with browser(hub_app) as http:
        await sign_in(http, E1)
        as_bank = await http.post(
            "/graphql",
            json={"query": CONSENTS},
            headers={**PRESERVED, **token_of(B1, OrgKind.BANK)},
        )
        grants = as_bank.json()["data"]["consents"]
        assert grants and all(g["grantee"] == B1 for g in grants)
        as_session = await http.post("/graphql", json={"query": CONSENTS}, headers=PRESERVED)
        assert all(g["grantor"] == E1 for g in as_session.json()["data"]["consents"])
        without_header = await http.post("/graphql", json={"query": CONSENTS})
    async with browser(hub_app) as anonymous:
        public = await anonymous.post("/graphql", json={"query": CONSENTS})
    assert without_header.json() == public.json(), "no cookie reaches /graphql without it"


@contextlib.contextmanager
def _clock_moved(monkeypatch: pytest.MonkeyPatch, seconds: float) -> Iterator[None]:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)
    yield
    monkeypatch.setattr(time, "time", real)


async def test_a_session_ends_after_its_idle_period_and_after_its_absolute_lifetime(
    hub_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with browser(hub_app) as http:
        await sign_in(http, E1)
        # Each request starts the 30 idle minutes again.
        for minutes in (29, 58, 87):
            with _clock_moved(monkeypatch, minutes * 60):
                assert (await http.get("/account")).status_code == 200, minutes
        with _clock_moved(monkeypatch, (87 + 31) * 60):
            assert (await http.get("/account")).status_code == 303, "idle for 31 minutes"
    async with browser(hub_app) as http:
        await sign_in(http, E1)
        # Active every 20 minutes, yet the session ends 8 hours after sign-in.
        for minutes in range(20, 8 * 60, 20):
            with _clock_moved(monkeypatch, minutes * 60):
                assert (await http.get("/account")).status_code == 200, minutes
        with _clock_moved(monkeypatch, 8 * 3600 + 60):
            assert (await http.get("/account")).status_code == 303


# -- the authorization-code flow's checks -----------------------------------------------------


async def test_a_callback_with_a_foreign_or_replayed_state_is_refused(hub_app: Starlette) -> None:
    async with browser(hub_app) as http:
        start = await http.get("/signin/start")
        params = _query(start.headers["location"])
        picked = await http.post("/signin/dev/authorize", data={**params, "uscc": E1})
        callback = picked.headers["location"]
        code = _query(callback)["code"]
        forged = await http.get("/signin/callback", params={"code": code, "state": "forged"})
        assert forged.status_code == 400 and "身份凭证校验失败" in forged.text
        async with browser(hub_app) as stranger:
            # Someone else's browser (no state in its session) cannot use the code.
            assert (await stranger.get(callback)).status_code == 400
        assert (await http.get(callback)).status_code == 303
        assert (await http.get(callback)).status_code == 400, "a state is used once"


async def test_the_provider_gives_codes_only_to_this_hubs_callback(hub_app: Starlette) -> None:
    async with browser(hub_app) as http:
        params = _query((await http.get("/signin/start")).headers["location"])
        for redirect in ("https://evil.example/signin/callback", f"{BASE}/elsewhere"):
            refused = await http.post(
                "/signin/dev/authorize", data={**params, "redirect_uri": redirect, "uscc": E1}
            )
            assert refused.status_code == 400 and "回调地址" in refused.text
        unknown = await http.post(
            "/signin/dev/authorize", data={**params, "uscc": "91410481MA00000000"}
        )
        assert unknown.status_code == 400 and "不在机构名录" in unknown.text


IDP = "https://idp.test"
KEY = RSAKey.generate_key(2048, private=True)
OTHER_KEY = RSAKey.generate_key(2048, private=True)


def _fake_idp() -> Starlette:
    """An external provider whose token endpoint answers the ID token the code asks for."""

    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": IDP,
                "authorization_endpoint": f"{IDP}/authorize",
                "token_endpoint": f"{IDP}/token",
                "jwks_uri": f"{IDP}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse({"keys": [{**KEY.as_dict(private=False), "kid": "k1", "use": "sig"}]})

    async def token(request: Request) -> Response:
        form = await request.form()
        mode, _, nonce = str(form["code"]).partition(":")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": IDP,
            "sub": "zhang.san",
            "aud": "credithub",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "uscc": E1,
        }
        key = KEY
        if mode == "forged":
            key = OTHER_KEY  # same kid, another key: the signature does not verify
        elif mode == "expired":
            claims.update(iat=now - 900, exp=now - 600)
        elif mode == "nonce":
            claims["nonce"] = "another"
        elif mode == "audience":
            claims["aud"] = "another-client"
        elif mode == "issuer":
            claims["iss"] = "https://evil.example"
        elif mode == "unknown":
            claims["uscc"] = "91410481MA00000000"
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return JSONResponse({"access_token": "a", "token_type": "Bearer", "id_token": id_token})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/token", token, methods=["POST"]),
        ]
    )


@pytest.fixture
async def external_hub(db: Database, settings: Settings) -> AsyncIterator[Starlette]:
    """A production hub signing in with an external provider (the fake one, in-process)."""
    config = SignInConfig(
        metadata_url=f"{IDP}/.well-known/openid-configuration",
        client_id="credithub",
        client_secret="s" * 32,
        public_url="https://credit.example",
    )
    signin = SignIn(
        config,
        production=True,
        db=db,
        catalogue=default_catalogue(),
        tokens=settings.token_config(),
        dev=None,
        render=render,
    )
    signin.oauth.create_client("city").client_kwargs["transport"] = httpx.ASGITransport(
        app=_fake_idp()
    )
    verifier = TokenVerifier(settings.token_config())
    yield Starlette(
        routes=signin.routes(),
        middleware=[
            session_middleware(config, settings.session_secret()),
            Middleware(SessionAuth, verifier=verifier, idle=config.idle),
        ],
    )


@pytest.mark.parametrize(
    ("mode", "status"),
    [
        ("good", 303),
        ("forged", 400),
        ("expired", 400),
        ("nonce", 400),
        ("audience", 400),
        ("issuer", 400),
        ("unknown", 403),
    ],
)
async def test_the_id_token_is_checked_signature_expiry_nonce_audience_issuer(
    external_hub: Starlette, mode: str, status: int
) -> None:
    async with browser(external_hub, "https://credit.example") as http:
        start = await http.get("/signin/start")
        assert start.status_code == 302
        location = start.headers["location"]
        assert location.startswith(f"{IDP}/authorize?")
        params = _query(location)
        assert params["redirect_uri"] == "https://credit.example/signin/callback"
        done = await http.get(
            "/signin/callback",
            params={"code": f"{mode}:{params['nonce']}", "state": params["state"]},
        )
        assert done.status_code == status, done.text
        cookie = done.headers.get("set-cookie", "")
        if status == 303:
            assert "secure" in cookie.lower(), "an https hub's session cookie is Secure"
            assert "您已登录" in (await http.get("/signin")).text
        else:
            assert "您已登录" not in (await http.get("/signin")).text


async def test_production_has_no_development_provider(db: Database, settings: Settings) -> None:
    app = create_app(replace(settings, production=True), run_migrations=False)
    try:
        async with browser(app) as http:
            for path in (
                "/signin/dev/.well-known/openid-configuration",
                "/signin/dev/authorize",
                "/signin/dev/jwks",
            ):
                assert (await http.get(path)).status_code == 404, path
            assert (await http.post("/signin/dev/token")).status_code in (404, 405)
            assert (await http.get("/signin/start")).status_code == 404
            page = await http.get("/signin")
            assert "暂不提供登录" in page.text and "开发用身份提供方" not in page.text
    finally:
        await shut_down(app)


def test_sessions_last_as_configured() -> None:
    settings = Settings.from_env(
        {
            "CREDITHUB_SESSION_IDLE_MINUTES": "15",
            "CREDITHUB_SESSION_MAX_HOURS": "4",
            "CREDITHUB_PUBLIC_URL": "https://credit.example/",
        }
    )
    assert settings.signin.idle == timedelta(minutes=15)
    assert settings.signin.absolute == timedelta(hours=4)
    assert settings.signin.secure_cookies
    assert not settings.signin.external


async def test_a_session_ended_in_one_hub_process_is_refused_by_another(
    hub_app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers share the session secret (under the home) and learn of sign-outs from the graph
    (here at every request; in service every ENDED_REFRESH_SECONDS)."""
    monkeypatch.setattr(sessions, "ENDED_REFRESH_SECONDS", 0.0)
    other_worker = create_app(settings, run_migrations=False)
    try:
        async with browser(hub_app) as http, browser(other_worker) as elsewhere:
            await sign_in(http, E1)
            cookie = {"Cookie": f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"}
            assert (await elsewhere.get("/account", headers=cookie)).status_code == 200
            page = await http.get("/signin")
            out = await http.post(
                "/signout", data={"csrf_token": _csrf(page.text)}, headers={"Origin": BASE}
            )
            assert out.status_code == 303
            assert (await elsewhere.get("/account", headers=cookie)).status_code == 303
    finally:
        await shut_down(other_worker)


async def test_the_development_provider_authenticates_the_client_and_redeems_a_code_once(
    hub_app: Starlette, settings: Settings
) -> None:
    async with browser(hub_app) as http:
        params = _query((await http.get("/signin/start")).headers["location"])
        picked = await http.post("/signin/dev/authorize", data={**params, "uscc": E1})
        code = _query(picked.headers["location"])["code"]
        secret = hmac.new(settings.session_secret(), b"dev-idp-client", "sha256").hexdigest()
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
        }
        client = {"client_id": DEV_CLIENT_ID, "client_secret": secret}
        wrong = await http.post(
            "/signin/dev/token", data={**exchange, **client, "client_secret": "x"}
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        first = await http.post("/signin/dev/token", data={**exchange, **client})
        assert first.status_code == 200, first.text
        jwks = (await http.get("/signin/dev/jwks")).json()
        claims = jwt.decode(first.json()["id_token"], KeySet.import_key_set(jwks)).claims
        assert claims["uscc"] == E1 and claims["nonce"] == params["nonce"]
        assert claims["aud"] == DEV_CLIENT_ID
        again = await http.post("/signin/dev/token", data={**exchange, **client})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
async def test_after_sign_in_the_browser_stays_on_this_site(
    hub_app: Starlette, target: str
) -> None:
    async with browser(hub_app) as http:
        done = await sign_in(http, E1, next_path=target)
    assert done.status_code == 303 and done.headers["location"] == "/"
