"""信用舞钢's public lookups in Chromium, on a desktop (1280 px) and a phone (390 px) screen.

What a visitor does: searches 双公示 by 文号 and by keyword under the 行政处罚 tab, looks an
enterprise up on the 红黑名单 page, reads the 信用承诺 listing, and lands on a missing page. On
the phone, tables become cards: the page never scrolls sideways and no cell is squeezed into a
narrow column. Screenshots of each step go to test-artifacts/screenshots/public-*.png.

The fixture graph: E1 (舞钢市鑫源钢铁有限公司) has the published penalty R1 and is black-listed;
E5 (石漫滩旅游) is red-listed and makes a commitment here (the graph is restored afterwards).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from graph.database import Database
from graph.lifecycle.base import china_today
from tests.browser.conftest import screenshot
from tests.conftest import ClientFor
from tests.fixtures import E1, R1, R2, load_fixture_graph
from tests.lifecycle import e5_commits

WIDTHS = {"desktop": 1280, "phone": 390}

ITEM = "BROWSER-COMMIT-01"
TEMPLATE = "本企业承诺：所售商品质量合格、明码标价，如有违反愿意接受信用惩戒。"

NARROWEST_CELL = 200
"""Pixels: on a phone a card's cell spans the card; a squeezed table column would be ~40."""

SQUEEZED_COLUMN = 60
"""Pixels: narrower than this, a column of Chinese text shows two characters a line."""


@pytest.fixture
async def console_errors(browser_page: Page) -> AsyncIterator[list[str]]:
    """Errors the page reports; none are expected (a blocked style or script would be one).

    Async, so the listeners are added on the running loop: a synchronous fixture would need
    the thread's current loop, which a command run earlier in the session (asyncio.run) unsets.
    """
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The 404 page is expected to answer 404: the browser logs that status, not a fault.
        if message.type == "error" and "404" not in message.text:
            seen.append(message.text)

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen
    assert seen == []


@pytest.fixture(scope="module")
async def commitment(db: Database, client_for: ClientFor) -> AsyncIterator[str]:
    """E5 commits to a market-regulation item; the fixture graph is restored afterwards."""
    yield await e5_commits(
        client_for,
        item=ITEM,
        name="商品质量告知承诺",
        template=TEMPLATE,
        due=china_today() + timedelta(days=30),
    )
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def at_width(page: Page, width: int) -> None:
    await page.set_viewport_size({"width": width, "height": 900})


async def fits(page: Page, width: int, *, cards: bool = True) -> None:
    """The page does not scroll sideways, and on a phone (`cards`: it has a table) each table
    row is a card: no cell is a squeezed column."""
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide on a {width} px screen"
    if cards and width < 640:
        cells = await page.eval_on_selector_all(
            "table.card-table td, table.card-table tbody th",
            "cells => cells.map(c => c.getBoundingClientRect().width)",
        )
        assert cells and min(cells) >= NARROWEST_CELL, cells


@pytest.mark.parametrize("screen", WIDTHS)
async def test_a_visitor_finds_a_penalty_by_its_document_number(
    browser_page: Page, console_errors: list[str], screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    await page.goto("/disclosure")
    await (
        page.get_by_role("navigation", name="信息类别").get_by_role("link", name="行政处罚").click()
    )
    await expect(page.get_by_role("link", name="行政处罚", exact=True).first).to_have_attribute(
        "aria-current", "page"
    )
    await page.get_by_label("决定文书号").fill("[2026]第0031号")
    await page.get_by_role("button", name="筛选").click()
    results = page.get_by_role("region", name="公示信息")
    await expect(results).to_contain_text("（共 1 条）")
    await expect(results).to_contain_text(R1["documentNumber"])
    await expect(results).to_contain_text("超标排放")
    await expect(page.get_by_text(R2["documentNumber"])).to_have_count(0)
    await fits(page, WIDTHS[screen])
    await screenshot(page, f"public-disclosure-number-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
async def test_a_visitor_lists_published_records_by_keyword(
    browser_page: Page, console_errors: list[str], screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    await page.goto("/disclosure")
    await page.get_by_label("关键词").fill("鑫源钢铁")
    await page.get_by_role("button", name="筛选").click()
    results = page.get_by_role("region", name="公示信息")
    await expect(results).to_contain_text("（共 2 条）")
    await fits(page, WIDTHS[screen])
    await screenshot(page, f"public-disclosure-keyword-{screen}")
    await page.goto("/disclosure")
    await fits(page, WIDTHS[screen])
    await screenshot(page, f"public-disclosure-all-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
async def test_a_visitor_looks_an_enterprise_up_on_the_red_and_black_lists(
    browser_page: Page, console_errors: list[str], screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    await page.goto("/")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="红黑名单").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("红黑名单查询")
    await page.get_by_label("企业名称或统一社会信用代码").fill("舞钢市")
    await page.get_by_role("button", name="查询").click()
    black = page.get_by_role("article", name="舞钢市鑫源钢铁有限公司")
    await expect(black).to_contain_text("黑名单：已列入")
    await expect(black).to_contain_text("严重失信主体名单")
    await expect(black).to_contain_text("舞钢市发展和改革委员会")
    red = page.get_by_role("article", name="舞钢市石漫滩旅游开发有限公司")
    await expect(red).to_contain_text("红名单：已列入")
    await fits(page, WIDTHS[screen])
    await screenshot(page, f"public-lists-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
async def test_a_visitor_reads_the_commitments(
    browser_page: Page, console_errors: list[str], commitment: str, screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    await page.goto("/")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="信用承诺").click()
    results = page.get_by_role("region", name="公示的信用承诺")
    await expect(results).to_contain_text(commitment)
    await expect(results).to_contain_text("舞钢市石漫滩旅游开发有限公司")
    await page.get_by_text("承诺内容").first.click()
    await expect(results).to_contain_text(TEMPLATE)
    await fits(page, WIDTHS[screen])
    await screenshot(page, f"public-commitments-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
async def test_home_links_the_lookups_and_the_report(
    browser_page: Page, console_errors: list[str], screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    await page.goto("/")
    cards = page.get_by_role("region", name="更多公示信息")
    links = {
        "/disclosure?kind=LICENSE": "行政许可",
        "/disclosure?kind=PENALTY": "行政处罚",
        "/lists": "红黑名单",
        "/commitments": "信用承诺",
        "/reports/new": "信用报告",
        "/reports/verify": "信用报告核验",
    }
    for href, name in links.items():
        await expect(cards.locator(f'a[href="{href}"] strong')).to_have_text(name)
    await fits(page, WIDTHS[screen], cards=False)
    await screenshot(page, f"public-home-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
async def test_a_missing_page_is_a_chinese_page(
    browser_page: Page, console_errors: list[str], screen: str
) -> None:
    page = browser_page
    await at_width(page, WIDTHS[screen])
    response = await page.goto("/no-such-page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    await expect(page.get_by_role("link", name="返回首页，查询企业信用信息")).to_be_visible()
    body = await page.inner_text("body")
    assert "Not Found" not in body and '"error"' not in body
    await fits(page, WIDTHS[screen], cards=False)
    await screenshot(page, f"public-404-{screen}")


async def test_the_enterprise_page_fits_a_phone_without_squeezed_columns(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await at_width(page, WIDTHS["phone"])
    await page.goto(f"/enterprise/{E1}")
    await expect(page.get_by_role("link", name="核验信用报告")).to_be_visible()
    await fits(page, WIDTHS["phone"], cards=False)
    # The list entry's measures table keeps readable columns (it scrolls inside its box).
    cells = await page.eval_on_selector_all(
        "table.table td, table.table th",
        "cells => cells.map(c => c.getBoundingClientRect().width)",
    )
    assert cells and min(cells) >= SQUEEZED_COLUMN, cells
    await screenshot(page, "public-enterprise-phone")
