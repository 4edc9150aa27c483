"""信用舞钢 in a real browser: what a visitor does, step by step, with a screenshot of each page.

The fixture graph is as loaded: E1 (舞钢市鑫源钢铁有限公司) has the published penalty R1 and the
repaired penalty R2; the development and reform commission decided one published licence (R3).
Every page must load without a console error — a script or style blocked by the pages' content
security policy would show up there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from tests.browser.conftest import screenshot
from tests.fixtures import E1, R1, R2, R3


@pytest.fixture
async def console_errors(browser_page: Page) -> AsyncIterator[list[str]]:
    """Errors the page reports (console errors and uncaught exceptions); none are expected."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen
    assert seen == []


async def test_a_visitor_searches_by_name_opens_the_enterprise_and_reads_its_penalties(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("舞钢市公共信用信息查询")
    await screenshot(page, "home")

    await page.get_by_label("企业名称或统一社会信用代码").fill("鑫源钢铁")
    await page.get_by_role("button", name="查询").click()
    await expect(page).to_have_url("/search?q=%E9%91%AB%E6%BA%90%E9%92%A2%E9%93%81")
    await expect(page.get_by_role("heading", name="“鑫源钢铁”的查询结果")).to_be_visible()
    result = page.get_by_role("link", name="舞钢市鑫源钢铁有限公司")
    await expect(result).to_be_visible()
    await screenshot(page, "search-results")

    await result.click()
    await expect(page).to_have_url(f"/enterprise/{E1}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("舞钢市鑫源钢铁有限公司")
    penalties = page.get_by_role("region", name="行政处罚")
    await expect(penalties.get_by_role("heading", name="超标排放")).to_be_visible()
    await expect(penalties).to_contain_text(R1["documentNumber"])
    await expect(penalties).to_contain_text("12.5 万元")
    # R2 was repaired: it is in the graph's history but never on the public page.
    await expect(page.get_by_text(R2["documentNumber"])).to_have_count(0)
    await expect(page.get_by_text(R2["title"])).to_have_count(0)
    status = page.get_by_role("region", name="信用状态")
    await expect(status).to_contain_text("失信惩戒对象（黑名单）是")
    await expect(page.get_by_role("link", name="信用报告", exact=True)).to_have_attribute(
        "href", f"/reports/new?uscc={E1}"
    )
    await screenshot(page, "enterprise")


async def test_matching_enterprises_are_offered_while_typing(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/")
    await page.get_by_label("企业名称或统一社会信用代码").press_sequentially("鑫源", delay=50)
    offered = page.locator("#suggestions").get_by_role("link", name="舞钢市鑫源钢铁有限公司")
    await expect(offered).to_be_visible()
    await expect(page.locator("#suggestions")).to_contain_text("找到 1 个市场主体")
    await screenshot(page, "home-suggestions")
    await offered.click()
    await expect(page).to_have_url(f"/enterprise/{E1}")


async def test_the_disclosure_listing_filters_by_department(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/disclosure")
    results = page.get_by_role("region", name="公示信息")
    await expect(results).to_contain_text("（共 27 条）")
    await expect(results.locator("tbody tr")).to_have_count(20)
    await screenshot(page, "disclosure")

    await page.get_by_label("决定机关").select_option(label="舞钢市发展和改革委员会")
    await page.get_by_role("button", name="筛选").click()
    await expect(results).to_contain_text("（共 1 条）")
    rows = results.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(R3["title"])
    await expect(rows.first).to_contain_text("舞钢市发展和改革委员会")
    await expect(page.get_by_label("决定机关")).to_have_value(R3["provider"])
    await screenshot(page, "disclosure-by-department")


async def test_the_measures_page_lists_the_catalogue(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/")
    await (
        page.get_by_role("navigation", name="主导航")
        .get_by_role("link", name="惩戒措施清单")
        .click()
    )
    await expect(page).to_have_url("/measures")
    table = page.get_by_role("table", name="行政性惩戒措施（2 项）")
    await expect(table.get_by_role("rowheader")).to_have_text(
        ["限制参与政府采购", "限制参与招标投标"]
    )
    await screenshot(page, "measures")


async def test_the_guide_explains_objections_and_repair(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/guide")
    await expect(page.get_by_role("heading", name="提出异议", exact=True)).to_be_visible()
    await expect(page.get_by_role("region", name="提出异议")).to_contain_text("3 个工作日")
    await expect(page.get_by_role("region", name="申请信用修复")).to_contain_text("信用修复承诺书")
    await screenshot(page, "guide")
