"""GraphiQL at /graphql in Chromium on a closed network: every request to a host other than this
machine is blocked (tests/browser/conftest.py), as on a government network.

GraphiQL renders from the hub's own files, the role switcher (local mode) mints a bank's token
into the headers editor, the default tab's credit check runs and shows the enterprise; a
department's `noticeAdded` subscription streams over multipart and shows the notice an objection
produces while it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Route,
    expect,
)
from starlette.requests import Request as StarletteRequest
from strawberry.http.streaming import MultipartSubscriptionTransport

from graph.database import Database
from hub.app import create_app
from hub.graphiql.page import render_page
from hub.settings import Settings
from tests.browser.conftest import _free_socket, is_loopback_url, screenshot
from tests.conftest import bearer
from tests.fixtures import B1, E1, SAMR, load_fixture_graph
from tests.lifecycle import BANK_B1, ENTERPRISE_E1


@pytest.fixture
async def page_watch(browser_page: Page) -> AsyncIterator[tuple[list[str], list[str]]]:
    """Every URL the page asks for, and its errors (console errors, uncaught exceptions)."""
    urls: list[str] = []
    errors: list[str] = []

    def on_request(request: Request) -> None:
        urls.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    browser_page.on("request", on_request)
    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    yield urls, errors
    assert [url for url in urls if not is_loopback_url(url)] == []
    assert errors == []


@pytest.fixture
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """The subscription test files an objection: put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _result(page: Page) -> Locator:
    return page.locator(".graphiql-response")


async def _open(page: Page) -> None:
    # From the public site's footer, as a visitor finds it.
    await page.goto("/")
    await page.get_by_role("link", name="数据接口 (GraphQL)").click()
    await expect(page).to_have_url("/graphql")
    await expect(page).to_have_title("数据接口 (GraphQL) · 信用舞钢")
    # GraphiQL rendered (no "Loading…"), with the default tab: the bank's credit check.
    await expect(page.locator(".graphiql-container")).to_be_visible()
    await expect(page.get_by_text("正在加载 GraphiQL")).to_have_count(0)
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("银行贷前审查")
    # The switcher has read the register.
    await expect(page.locator("#role-org option")).not_to_have_count(1)


async def _switch_to(page: Page, org: str, purpose: str) -> None:
    await page.get_by_label("演示身份").select_option(org)
    await page.get_by_label("用途").fill(purpose)
    await page.get_by_role("button", name="使用此身份").click()
    await expect(page.locator("#role-status")).to_contain_text("当前身份")
    await expect(page.locator(".graphiql-editor-tool")).to_contain_text("Bearer eyJ")


async def _set_variables(page: Page, text: str) -> None:
    await _set_editor(page, "Variables", text)


async def _set_editor(page: Page, tool: str, text: str) -> None:
    await page.get_by_role("button", name=tool).click()
    editor = page.locator(".graphiql-editor-tool .graphiql-editor:visible .CodeMirror")
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def test_graphiql_renders_offline_and_runs_the_credit_check_as_a_bank(
    browser_page: Page, page_watch: tuple[list[str], list[str]]
) -> None:
    page = browser_page
    await _open(page)
    await screenshot(page, "graphiql-start")

    await _switch_to(page, B1, "贷前审查")
    await expect(page.locator("#role-status")).to_contain_text("中国工商银行舞钢支行")
    await _set_variables(page, f'{{"uscc": "{E1}"}}')
    await page.locator(".graphiql-execute-button").click()
    result = _result(page)
    await expect(result).to_contain_text("舞钢市鑫源钢铁有限公司", timeout=30_000)
    await expect(result).to_contain_text('"totalCount"')
    await expect(result).not_to_contain_text('"errors"')
    await screenshot(page, "graphiql-credit-check")

    urls, _ = page_watch
    assert any(url.endswith("/graphiql/vendor/graphiql-3.8.3/graphiql.min.js") for url in urls)


async def test_a_subscription_streams_a_notice_over_multipart(
    browser_page: Page,
    page_watch: tuple[list[str], list[str]],
    site_url: str,
    settings: Settings,
    restore_fixture_graph: None,
) -> None:
    page = browser_page
    await _open(page)
    # The tab first, then the identity: its token lands in this tab's headers before the run
    # (switching tabs right after the identity raced the tab's own headers; one CI run sent
    # the subscription without a token).
    await page.get_by_role("tab", name="Notices").click()
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("noticeAdded")
    await _switch_to(page, SAMR, "")
    async with page.expect_request(
        lambda request: request.method == "POST" and "noticeAdded" in (request.post_data or "")
    ) as subscribing:
        await page.locator(".graphiql-execute-button").click()
    request = await subscribing.value
    sent = await request.all_headers()
    assert sent.get("authorization", "").startswith("Bearer eyJ"), sent  # as the regulator
    assert sent["accept"].startswith('multipart/mixed;subscriptionSpec="1.0"'), sent
    assert sent["x-credithub-request"], sent
    await asyncio.sleep(1.5)  # the hub polls the outbox: let the subscriber start listening

    # An enterprise objects to a licence of the market regulator, which must hear of it.
    async with httpx.AsyncClient(base_url=site_url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": """mutation($key: String!) { fileObjection(recordKey: $key,
                    grounds: WRONG_DATA, statement: "许可事项有误") { id } }""",
                "variables": {"key": f"LICENSE|{SAMR}|舞市监许〔2023〕88号"},
            },
            headers=bearer(settings, ENTERPRISE_E1),
        )
        assert "errors" not in response.json(), response.text

    result = _result(page)
    await expect(result).to_contain_text("OBJECTION_FILED", timeout=30_000)
    await expect(result).to_contain_text(E1)
    await screenshot(page, "graphiql-subscription")
    # Stop it (■): the fetcher aborts the request.
    await page.locator(".graphiql-execute-button").click()


@contextlib.contextmanager
def _production_hub(settings: Settings) -> Iterator[str]:
    """The hub with CREDITHUB_PRODUCTION=1, served on a free loopback port."""
    sock = _free_socket()
    app = create_app(replace(settings, production=True), run_migrations=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


async def test_in_production_there_is_no_switcher_and_a_pasted_token_works(
    browser: Browser, db: Database, settings: Settings
) -> None:
    with _production_hub(settings) as url:
        context = await browser.new_context(
            base_url=url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(30_000)
        await context.route(lambda target: not is_loopback_url(target), _blocked)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            await page.goto("/graphql")
            await expect(page.locator(".graphiql-container")).to_be_visible()
            await expect(page.locator("#role-switcher")).to_have_count(0)
            await expect(page.locator(".gq-bar")).to_contain_text("credithub token")
            assert (await page.request.get("/graphiql/demo-tokens")).status == 404

            # The public may not introspect in production; a pasted token brings the schema.
            token = bearer(settings, BANK_B1)["Authorization"]
            async with page.expect_request(
                lambda request: (
                    "IntrospectionQuery" in (request.post_data or "")
                    and request.headers.get("authorization") == token
                )
            ):
                await _set_editor(page, "Headers", json.dumps({"Authorization": token}))
            await _set_variables(page, f'{{"uscc": "{E1}"}}')
            await page.locator(".graphiql-execute-button").click()
            await expect(_result(page)).to_contain_text("舞钢市鑫源钢铁有限公司", timeout=30_000)
            await screenshot(page, "graphiql-production")
            assert errors == []
        finally:
            await context.close()


async def _blocked(route: Route) -> None:
    await route.abort("blockedbyclient")


async def test_without_its_files_the_page_says_how_to_install_them(
    browser_page: Page, settings: Settings, tmp_path: Path
) -> None:
    """Not a blank "Loading…": the page as the hub renders it when `credithub assets` has not
    run (an empty vendor directory), shown in the browser."""

    async def without_files(route: Route) -> None:
        request = route.request
        scope_request = StarletteRequest(
            {
                "type": "http",
                "method": "GET",
                "path": "/graphql",
                "query_string": b"",
                "headers": [(b"host", b"127.0.0.1")],
                "client": ("127.0.0.1", 50000),
                "scheme": "http",
                "server": ("127.0.0.1", 80),
            }
        )
        response = render_page(settings, scope_request, vendor=tmp_path)
        assert request.method == "GET"
        await route.fulfill(
            status=response.status_code,
            headers=dict(response.headers),
            body=bytes(response.body),
        )

    page = browser_page
    await page.route("**/graphql", without_files)
    await page.goto("/graphql")
    await expect(page.get_by_role("heading", level=1)).to_have_text("GraphiQL 的前端文件尚未安装")
    await expect(page.get_by_text("./credithub assets", exact=True)).to_be_visible()
    await expect(page.locator("main")).to_contain_text("graphiql@3.8.3")
    await screenshot(page, "graphiql-assets-missing")


COLLECT_PARTS = """async ({text, sizes}) => {
  const bytes = new TextEncoder().encode(text);
  const chunks = [];
  for (let at = 0, i = 0; at < bytes.length; i += 1) {
    const size = sizes[i % sizes.length];
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  const stream = new ReadableStream({
    pull(controller) { chunks.length ? controller.enqueue(chunks.shift()) : controller.close(); }
  });
  const parts = [];
  for await (const body of CredithubGraphiQL.multipartBodies(stream, "graphql")) {
    parts.push(JSON.parse(body));
  }
  return parts;
}"""


@pytest.mark.parametrize("sizes", [[1], [7, 3, 2], [4096]])
async def test_the_fetcher_reads_the_hubs_multipart_stream_however_it_is_cut(
    browser_page: Page, page_watch: tuple[list[str], list[str]], sizes: list[int]
) -> None:
    """The stream as Strawberry writes it (heartbeats, events with Chinese text, the closing
    delimiter), cut into chunks anywhere — inside a delimiter or a UTF-8 character."""
    transport = MultipartSubscriptionTransport()

    def encode(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    events: list[Any] = [
        {"data": {"noticeAdded": {"kind": "OBJECTION_FILED", "title": "收到异议申请"}}},
        {"data": {"noticeAdded": {"kind": "NEW_ADVERSE_RECORD", "title": "新增失信记录"}}},
    ]
    text = "".join(
        [
            f"--{transport.separator}",
            transport.heartbeat_message(encode),
            *(transport.encode_next(event, encode) for event in events),
            transport.heartbeat_message(encode),
            transport.encode_complete(),
        ]
    )
    await browser_page.goto("/graphql")
    parts = await browser_page.evaluate(COLLECT_PARTS, {"text": text, "sizes": sizes})
    assert parts == [{}, *({"payload": event} for event in events), {}]
