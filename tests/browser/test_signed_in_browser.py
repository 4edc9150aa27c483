"""The bank's and the department's signed-in pages in a real browser, signed in the way their
users are: through the development identity provider, with a session cookie.

The bank B1 (中国工商银行舞钢支行) holds E1's consent (tests/fixtures.py); the market regulator
sent a batch with a refused row and has an objection of E1 to decide (added by the module's
fixture through the API, and removed afterwards). Each page is screenshotted at desktop width,
and the pages a clerk uses on a phone at 390 px, where nothing may overflow sideways.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import ConsoleMessage, Page, ViewportSize, expect

from graph.database import Database
from tests.browser.conftest import screenshot
from tests.conftest import ClientFor
from tests.fixtures import E1, R1, SAMR, load_fixture_graph
from tests.lifecycle import ENTERPRISE_E1, MARKET, ask

PHONE: ViewportSize = {"width": 390, "height": 844}

BANK_NAME = "中国工商银行舞钢支行"
MARKET_NAME = "舞钢市市场监督管理局"

LICENCE_ROW = {
    "行政相对人名称": "舞钢市鑫源钢铁有限公司",
    "相对人类别": "法人及非法人组织",
    "统一社会信用代码": E1,
    "行政许可决定文书名称": "食品经营许可决定书",
    "行政许可决定文书号": "舞市监许〔2026〕731号",
    "许可类别": "普通",
    "许可内容": "预包装食品销售",
    "许可决定日期": "2026-01-05",
    "有效期自": "2026-01-05",
    "有效期至": "2031-01-04",
    "许可机关": MARKET_NAME,
    "许可机关统一社会信用代码": SAMR,
}
"""A licence of the market regulator about E1, in the national headers."""


@pytest.fixture
async def console_errors(browser_page: Page) -> AsyncIterator[list[str]]:
    """Errors the page reports (a style or script the CSP blocked would be one); none expected."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "401" not in message.text and "403" not in message.text:
            seen.append(message.text)

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen
    assert seen == []


@pytest.fixture(scope="module")
async def market_work(db: Database, client_for: ClientFor) -> AsyncIterator[str]:
    """A batch of the market regulator with one refused row, and E1's objection to R1; the
    batch id. The fixture graph is restored afterwards."""
    row = LICENCE_ROW
    fed = await ask(
        client_for,
        MARKET,
        """mutation($rows: [JSON!]!) { submitFeed(kind: "license", rows: $rows) {
             batch { id quarantined } } }""",
        rows=[row, {**row, "行政许可决定文书号": "舞市监许〔2026〕732号", "许可类别": "一般"}],
    )
    await ask(
        client_for,
        ENTERPRISE_E1,
        """mutation($key: String!) { fileObjection(recordKey: $key, grounds: WRONG_DATA,
             statement: "罚款金额有误，应为 2.5 万元", evidence: "处罚决定书") { id } }""",
        key=R1["key"],
    )
    yield str(fed["submitFeed"]["batch"]["id"])
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def sign_in_as(page: Page, organisation: str) -> None:
    """From a page offering 登录: through the development provider, picking `organisation`."""
    await page.get_by_role("main").get_by_role("link", name="登录", exact=True).click()
    await page.get_by_role("link", name="通过开发用身份提供方登录").click()
    await page.get_by_role("button", name=organisation, exact=True).click()


async def no_sideways_scroll(page: Page) -> None:
    """At phone width the page fits: nothing wider than the viewport."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at {PHONE['width']}px"


async def test_a_bank_signs_in_checks_a_consenting_borrower_and_watches_it(
    browser_page: Page, console_errors: list[str]
) -> None:
    page = browser_page
    await page.goto("/bank")
    await expect(page.get_by_role("heading", level=1)).to_have_text("请先登录")
    await screenshot(page, "bank-signin-required")

    await sign_in_as(page, BANK_NAME)
    await expect(page).to_have_url("/bank")
    await expect(page.get_by_role("heading", level=1)).to_have_text("金融机构服务")
    consenting = page.get_by_role("region", name="已授权本机构查询的企业")
    await expect(consenting.get_by_role("link", name="舞钢市鑫源钢铁有限公司")).to_be_visible()
    await expect(consenting.get_by_role("button", name="出具信用报告")).to_be_visible()
    await screenshot(page, "bank-home")

    await consenting.get_by_role("link", name="舞钢市鑫源钢铁有限公司").click()
    await expect(
        page.get_by_role("heading", level=2, name="舞钢市鑫源钢铁有限公司")
    ).to_be_visible()
    await expect(page.get_by_text("该企业已向本机构授权")).to_be_visible()
    await expect(page.get_by_role("heading", name="超标排放")).to_be_visible()
    await screenshot(page, "bank-check")

    await page.get_by_role("link", name="贷后监测").click()
    await page.get_by_role("button", name="开始监测").click()
    await expect(page).to_have_url("/bank/watches")
    watched = page.get_by_role("region", name="监测名单")
    await expect(watched.get_by_role("button", name="停止监测")).to_be_visible()
    await screenshot(page, "bank-watches")

    await page.get_by_role("link", name="通知", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("通知")
    await screenshot(page, "bank-notices")

    # The full-edition report from the overview, through the report flow.
    await page.get_by_role("link", name="概览").click()
    await consenting.get_by_role("button", name="出具信用报告").click()
    await expect(page).to_have_url(re.compile(r"/reports/WG-[0-9A-Z-]+\.html$"))
    await screenshot(page, "bank-report")

    await page.set_viewport_size(PHONE)
    await page.goto(f"/bank/check?q={E1}")
    await no_sideways_scroll(page)
    await screenshot(page, "bank-check-390")
    await page.goto("/bank")
    await no_sideways_scroll(page)
    await screenshot(page, "bank-home-390")


async def test_an_enterprise_signed_in_is_told_in_chinese_that_the_bank_pages_are_not_its(
    browser_page: Page,
) -> None:
    page = browser_page
    await page.goto("/bank")
    await page.get_by_role("main").get_by_role("link", name="登录", exact=True).click()
    await page.get_by_role("link", name="通过开发用身份提供方登录").click()
    await page.get_by_label("市场主体的统一社会信用代码").fill(E1)
    await page.get_by_role("button", name="以该市场主体登录").click()
    await page.goto("/bank")
    await expect(page.get_by_role("heading", level=1)).to_have_text("无权使用本服务")
    await expect(page.get_by_role("alert")).to_contain_text("贷后监测")
    await screenshot(page, "bank-refused-enterprise")


async def test_a_department_sees_its_quarantine_its_objections_due_and_the_network(
    browser_page: Page, console_errors: list[str], market_work: str
) -> None:
    page = browser_page
    await page.goto("/department")
    await sign_in_as(page, MARKET_NAME)
    await expect(page).to_have_url("/department")
    await expect(page.get_by_role("heading", level=1)).to_have_text("政府部门服务")
    await screenshot(page, "department-home")

    await page.get_by_role("link", name="报送与隔离数据").click()
    await screenshot(page, "department-feeds")
    # A clerk sends a GBK file from the page and lands on its batch.
    rows = [
        {**LICENCE_ROW, "行政许可决定文书号": "舞市监许〔2026〕741号"},
        {**LICENCE_ROW, "行政许可决定文书号": "舞市监许〔2026〕742号", "许可类别": "一般"},
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(LICENCE_ROW))
    writer.writeheader()
    writer.writerows(rows)
    await page.get_by_label("数据文件").set_input_files(
        {
            "name": "许可-2月.csv",
            "mimeType": "text/csv",
            "buffer": buffer.getvalue().encode("gbk"),
        }
    )
    await page.get_by_role("button", name="报送", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/department/feeds/license-"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("行政许可 · 许可-2月.csv")
    await expect(page.get_by_text("舞市监许〔2026〕742号").first).to_be_attached()
    await screenshot(page, "department-sent-file")

    await page.get_by_role("link", name="报送批次").click()
    await page.locator(f'a[href="/department/feeds/{market_work}"]').first.click()
    await expect(page).to_have_url(f"/department/feeds/{market_work}")
    await expect(page.get_by_role("heading", name="第 2 行")).to_be_visible()
    await expect(page.get_by_role("link", name="下载 CSV（Excel 可打开）")).to_be_visible()
    await screenshot(page, "department-quarantine")

    await page.get_by_role("link", name="异议与修复").click()
    objections = page.get_by_role("region", name="待处理异议")
    await expect(objections).to_contain_text("罚款金额有误")
    await screenshot(page, "department-due")

    # Decide it from the page: the form is folded under 办理此异议.
    await objections.get_by_text("办理此异议").click()
    await objections.get_by_label("处理结果", exact=True).select_option(
        label="异议不成立，维持原记录"
    )
    await objections.get_by_label("处理理由", exact=True).fill(
        "经核实，处罚决定书载明罚款 12.5 万元，无误"
    )
    await screenshot(page, "department-due-deciding")
    await objections.get_by_role("button", name="提交处理结果").click()
    await expect(page).to_have_url("/department/due")
    await expect(page.get_by_role("region", name="待处理异议")).to_contain_text("没有待处理的异议")
    await expect(page.get_by_role("region", name="已办结")).to_contain_text("异议不成立")

    await page.get_by_role("link", name="红黑名单").last.click()
    await expect(page).to_have_url("/department/lists")
    await expect(page.get_by_role("region", name="本单位认定的名单")).to_be_visible()
    await page.get_by_label("查询企业的红黑名单").fill(E1)
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("严重失信主体名单")).to_be_visible()
    await screenshot(page, "department-lists")

    await page.get_by_role("link", name="关联图谱").click()
    await page.get_by_label("企业的关联图谱").fill(E1)
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("svg[id^=network-]")).to_be_visible()
    await expect(page.get_by_role("region", name="相关人员")).to_contain_text("张伟")
    await screenshot(page, "department-network")

    await page.set_viewport_size(PHONE)
    for path, name in (
        ("/department/due", "department-due-390"),
        (f"/department/feeds/{market_work}", "department-quarantine-390"),
    ):
        await page.goto(path)
        await no_sideways_scroll(page)
        await screenshot(page, name)
