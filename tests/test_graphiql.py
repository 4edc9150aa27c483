"""GraphiQL on a closed network: the hub's own page at /graphql, its files served by the hub, and
the demo tokens of local mode (never in production).

The browser's view (GraphiQL renders, runs the credit check, streams a subscription with every
other host blocked) is in tests/browser/test_graphiql_browser.py.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
import tarfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from authz.identity import OrgKind
from authz.tokens import TokenVerifier
from graph.database import Database
from hub.app import create_app, shut_down
from hub.graphiql.assets import (
    PACKAGES,
    AssetError,
    NpmPackage,
    install_assets,
    missing_assets,
)
from hub.graphiql.page import CREDIT_CHECK, render_page
from hub.settings import Settings
from tests.fixtures import B1, E1, SAMR

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DEMO_TOKENS = "/graphiql/demo-tokens"


@contextlib.asynccontextmanager
async def _hub(
    settings: Settings,
    *,
    base_url: str = "http://127.0.0.1:8000",
    client: tuple[str, int] = ("127.0.0.1", 50123),
) -> AsyncIterator[httpx.AsyncClient]:
    """A hub on `settings`, asked from `client` under the host of `base_url`."""
    app: Starlette = create_app(settings, run_migrations=False)
    transport = httpx.ASGITransport(app=app, client=client)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http
    finally:
        await shut_down(app)


def _sources(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_a_browser_gets_the_hubs_own_page_with_no_external_url(
    db: Database, settings: Settings
) -> None:
    async with _hub(settings) as http:
        response = await http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<title>数据接口 (GraphQL) · 信用舞钢</title>" in page
    # Strawberry's page loaded React and GraphiQL from unpkg.com; nothing here leaves the hub.
    assert "unpkg" not in page
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", page), page
    sources = _sources(page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert "/graphiql/vendor/graphiql-3.8.3/graphiql.min.js" in sources
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    # The default tab: the bank's credit check, explained in Chinese.
    assert "银行贷前审查" in page and "query CreditCheck" in page


async def test_every_file_of_the_page_is_served_by_the_hub_with_its_content_type(
    db: Database, settings: Settings
) -> None:
    assert missing_assets() == [], "run `credithub assets` (./credithub does before test)"
    async with _hub(settings) as http:
        page = (await http.get("/graphql", headers=HTML)).text
        scripts = re.findall(r'<script src="([^"]+)"', page)
        styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        assert len(scripts) == 5 and len(styles) == 2
        for url in scripts:
            response = await http.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].split(";")[0] in (
                "text/javascript",
                "application/javascript",
            ), url
            assert len(response.content) > 1000, url
        for url in styles:
            response = await http.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].startswith("text/css"), url
        graphiql = (await http.get("/graphiql/vendor/graphiql-3.8.3/graphiql.min.js")).text
        assert "GraphiQL" in graphiql
        # A file that is not one of them is not served.
        assert (await http.get("/graphiql/vendor/graphiql-3.8.3/package.json")).status_code == 404
        assert (await http.get("/graphiql/vendor/../assets.py")).status_code == 404


async def test_a_get_query_still_runs_and_api_clients_still_get_json(
    db: Database, settings: Settings
) -> None:
    async with _hub(settings) as http:
        # ?query= runs the query, even for a browser's Accept header.
        response = await http.get("/graphql", params={"query": "{ __typename }"}, headers=HTML)
        assert response.json() == {"data": {"__typename": "Query"}}
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.json() == {"data": {"__typename": "Query"}}


def _request(host: str = "127.0.0.1:8000", client: str = "127.0.0.1") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/graphql",
            "query_string": b"",
            "headers": [(b"host", host.encode())],
            "client": (client, 50000),
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
        }
    )


def test_without_the_files_the_page_says_in_chinese_how_to_install_them(
    settings: Settings, tmp_path: Path
) -> None:
    response = render_page(settings, _request(), vendor=tmp_path)
    page = bytes(response.body).decode()
    assert "GraphiQL 的前端文件尚未安装" in page
    assert "./credithub assets" in page and "--from" in page and "--registry" in page
    assert "graphiql@3.8.3" in page and "react@18.3.1" in page
    assert "<script" not in page  # nothing that would stay on "Loading…"
    assert missing_assets(tmp_path) == [
        package.served(file) for package in PACKAGES for file in package.files
    ]


def _fake_package(data: bytes) -> tuple[NpmPackage, bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in (("package/dist/tool.min.js", data), ("package/LICENSE", b"MIT")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    tarball = buffer.getvalue()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    return NpmPackage("tool", "1.0.0", integrity, ("dist/tool.min.js", "LICENSE")), tarball


def test_assets_are_installed_only_when_their_integrity_matches(tmp_path: Path) -> None:
    package, tarball = _fake_package(b"window.Tool = 1;")
    source, vendor = tmp_path / "tarballs", tmp_path / "vendor"
    source.mkdir()
    (source / package.tarball).write_bytes(tarball)
    assert install_assets(vendor, source=source, packages=(package,)) == ["tool@1.0.0"]
    assert (vendor / "tool-1.0.0" / "tool.min.js").read_bytes() == b"window.Tool = 1;"
    assert (vendor / "tool-1.0.0" / "LICENSE").read_bytes() == b"MIT"

    # Another tarball under the same name: refused, and the installed files stay as they were.
    _, other = _fake_package(b"window.Tool = 'changed';")
    (source / package.tarball).write_bytes(other)
    with pytest.raises(AssetError, match="校验失败"):
        install_assets(vendor, source=source, packages=(package,))
    assert (vendor / "tool-1.0.0" / "tool.min.js").read_bytes() == b"window.Tool = 1;"


async def _mint(http: httpx.AsyncClient, org: str, purpose: str | None = None) -> dict[str, Any]:
    response = await http.post(
        DEMO_TOKENS, json={"org": org, "purpose": purpose}, headers={"X-Credithub-Request": "1"}
    )
    assert response.status_code == 200, response.text
    minted: dict[str, Any] = response.json()
    return minted


async def test_local_mode_lists_the_register_and_mints_a_token_that_works(
    db: Database, settings: Settings
) -> None:
    async with _hub(settings) as http:
        page = (await http.get("/graphql", headers=HTML)).text
        assert 'id="role-switcher"' in page and '"demoTokens": "/graphiql/demo-tokens"' in page
        listed = (await http.get(DEMO_TOKENS)).json()["organisations"]
        by_code = {org["code"]: org for org in listed}
        assert by_code[B1]["name"] == "中国工商银行舞钢支行"
        assert by_code[B1]["kindLabel"] == "银行"
        assert by_code[SAMR]["shortName"] == "市市场监管局"
        assert E1 not in by_code  # organisations of the register, not enterprises

        minted = await _mint(http, B1, "贷前审查")
        assert minted["organisation"] == {
            "code": B1,
            "name": "中国工商银行舞钢支行",
            "kind": "BANK",
            "kindLabel": OrgKind.BANK.label,
        }
        consumer = TokenVerifier(settings.token_config()).verify(minted["token"])
        assert (consumer.org_kind, consumer.org_code, consumer.purpose) == (
            OrgKind.BANK,
            B1,
            "贷前审查",
        )
        # The default tab's credit check runs with it, as the bank.
        response = await http.post(
            "/graphql",
            json={"query": CREDIT_CHECK, "variables": {"uscc": E1}},
            headers={"Authorization": f"Bearer {minted['token']}"},
        )
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["enterprise"]["name"] == "舞钢市鑫源钢铁有限公司"
        assert body["data"]["enterprise"]["records"]["totalCount"] >= 1

        # A department's token carries its registered sector, as `credithub token` gives it.
        samr = TokenVerifier(settings.token_config()).verify((await _mint(http, SAMR))["token"])
        assert samr.org_kind is OrgKind.DEPARTMENT and samr.sectors == frozenset({"市场监管"})
        assert samr.purpose is None

        unknown = await http.post(DEMO_TOKENS, json={"org": "NO-SUCH-ORG"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "NOT_FOUND"
        form = await http.post(DEMO_TOKENS, data={"org": B1})
        assert form.status_code == 415


@pytest.mark.parametrize(
    ("base_url", "client"),
    [
        ("http://hub.example.cn", ("127.0.0.1", 50123)),  # a rebound DNS name
        ("http://127.0.0.1:8000", ("10.1.2.3", 50123)),  # another machine
    ],
)
async def test_demo_tokens_are_for_this_machine_only(
    db: Database, settings: Settings, base_url: str, client: tuple[str, int]
) -> None:
    async with _hub(settings, base_url=base_url, client=client) as http:
        for response in (
            await http.get(DEMO_TOKENS),
            await http.post(DEMO_TOKENS, json={"org": B1}),
        ):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "LOCAL_ONLY"
            assert "token" not in response.json()
        page = (await http.get("/graphql", headers=HTML)).text
        assert 'id="role-switcher"' not in page and '"demoTokens": null' in page
        assert "credithub token" in page  # how to paste a token instead


async def test_production_has_no_demo_tokens_and_no_switcher(
    db: Database, settings: Settings
) -> None:
    async with _hub(replace(settings, production=True)) as http:
        assert (await http.get(DEMO_TOKENS)).status_code == 404
        refused = await http.post(DEMO_TOKENS, json={"org": B1, "purpose": "贷前审查"})
        assert refused.status_code == 404
        assert "token" not in refused.json()
        page = await http.get("/graphql", headers=HTML)
        assert page.status_code == 200
        assert 'id="role-switcher"' not in page.text and '"demoTokens": null' in page.text
        assert "Authorization" in page.text and "credithub token" in page.text
        # The page's files are still served: GraphiQL works in production, with a real token.
        assert (await http.get("/graphiql/static/fetcher.js")).status_code == 200
