"""Signed in, in a real browser: an enterprise signs in through the development provider and
grants a bank consent on its consents page; the bank signs in and opens the enterprise's
full-edition credit report (issue 19, "Done when"). Screenshots under
test-artifacts/screenshots/signin-*.png.

E1 (舞钢市鑫源钢铁有限公司) grants B1 (中国工商银行舞钢支行) consent for 贷后管理 (its 贷前审查
grant in the fixture does not cover it); the grant and the reports issued here are removed
afterwards.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from graph.database import Database
from graph.model import Label, Rel
from tests.browser.conftest import _abort, is_loopback_url, screenshot
from tests.fixtures import B1, E1, R1

BANK_NAME = "中国工商银行舞钢支行"
E1_NAME = "舞钢市鑫源钢铁有限公司"
LATER = "贷后管理"


@pytest.fixture(autouse=True)
async def forget_grants_and_reports(db: Database) -> AsyncIterator[None]:
    """R1 carries the batch and row a feed gives it (what a full edition adds); afterwards E1's
    new grant, R1's batch and the reports (nodes of their own) go again."""
    await db.write(
        f"MATCH (r:{Label.RECORD} {{key: $key}}) SET r.batchId = 'SIGNIN-TEST', r.sourceRow = 7",
        {"key": R1["key"]},
    )
    yield
    await db.write(
        f"MATCH (c:{Label.CONSENT})-[:{Rel.GRANTED_BY}]->(:{Label.ENTERPRISE} {{uscc: $e1}}) "
        "WHERE c.purpose = $later DETACH DELETE c",
        {"e1": E1, "later": LATER},
    )
    await db.write(
        f"MATCH (r:{Label.RECORD} {{key: $key}}) REMOVE r.batchId, r.sourceRow", {"key": R1["key"]}
    )
    await db.write(f"MATCH (r:{Label.CREDIT_REPORT}) DETACH DELETE r")


async def _page(browser: Browser, site_url: str) -> Page:
    """A page in a browser context of its own (its own cookies), on a closed network."""
    context = await browser.new_context(
        base_url=site_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    await context.route(lambda url: not is_loopback_url(url), _abort)
    return await context.new_page()


async def _sign_in_at_the_dev_provider(page: Page) -> None:
    await page.goto("/")
    await page.get_by_role("link", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await page.get_by_role("link", name="通过开发用身份提供方登录").click()
    await expect(page).to_have_url(re.compile(r"/signin/dev/authorize\?"))
    await expect(page.get_by_role("note")).to_contain_text("开发用身份提供方，仅限本地演示")


async def test_an_enterprise_grants_consent_and_the_signed_in_bank_opens_the_full_report(
    browser: Browser, site_url: str
) -> None:
    enterprise = await _page(browser, site_url)
    await _sign_in_at_the_dev_provider(enterprise)
    await screenshot(enterprise, "signin-dev-provider")
    await enterprise.get_by_label("市场主体的统一社会信用代码").fill(E1)
    await enterprise.get_by_role("button", name="以该市场主体登录").click()
    await expect(enterprise).to_have_url(re.compile(r"/$"))
    header = enterprise.locator(".account-link")
    await expect(header).to_contain_text(E1_NAME)
    await expect(header.get_by_role("link", name="退出")).to_be_visible()

    await header.get_by_role("link", name=E1_NAME).click()
    await expect(enterprise).to_have_url(re.compile(r"/signin$"))
    await expect(enterprise.get_by_role("main")).to_contain_text("您已登录")
    await screenshot(enterprise, "signin-signed-in")
    await enterprise.get_by_role("link", name="我的信用信息").click()
    await expect(enterprise).to_have_url(re.compile(r"/account$"))
    await expect(enterprise.get_by_role("heading", level=1)).to_have_text(E1_NAME)
    await expect(enterprise.locator("table")).to_contain_text("报送批次")
    await screenshot(enterprise, "signin-enterprise-record")

    await enterprise.get_by_role("link", name="授权管理").click()
    await enterprise.get_by_label("被授权机构").fill(BANK_NAME)
    await enterprise.get_by_label("用途").fill(LATER)
    await enterprise.get_by_role("button", name="授权", exact=True).click()
    await expect(enterprise.get_by_role("status")).to_contain_text("已授权")
    grant = enterprise.locator("table tbody tr").filter(has_text=LATER)
    await expect(grant).to_have_count(1)
    await expect(grant).to_contain_text(B1)
    await expect(grant).to_contain_text("有效")
    await screenshot(enterprise, "signin-enterprise-consents")
    # On a phone the grants are cards and nothing scrolls sideways.
    await enterprise.set_viewport_size({"width": 390, "height": 844})
    width = await enterprise.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the consents page is {width}px wide on a phone"
    await screenshot(enterprise, "signin-enterprise-consents-phone")
    await enterprise.set_viewport_size({"width": 1280, "height": 900})

    bank = await _page(browser, site_url)
    await _sign_in_at_the_dev_provider(bank)
    await bank.get_by_role("button", name=BANK_NAME).click()
    await expect(bank.locator(".account-link")).to_contain_text(BANK_NAME)
    await bank.goto(f"/enterprise/{E1}")
    await bank.get_by_role("link", name="信用报告", exact=True).click()
    await expect(bank).to_have_url(re.compile(r"/reports/new\?uscc="))
    await expect(bank.get_by_label("统一社会信用代码")).to_have_value(E1)
    await expect(bank.get_by_label("查询用途")).to_have_value("贷前审查")
    await bank.get_by_label("查询用途").fill(LATER)
    await screenshot(bank, "signin-bank-report-form")
    await bank.get_by_role("button", name="出具信用报告").click()
    await expect(bank).to_have_url(re.compile(r"/reports/WG-\d{8}-[0-9A-Z]{10}\.html$"))
    await expect(bank.locator("dl")).to_contain_text("完整版")
    await screenshot(bank, "signin-bank-full-report")

    # The enterprise sees who looked: the bank's report is in its access log.
    await enterprise.get_by_role("link", name="查询记录").click()
    await expect(enterprise.locator("table")).to_contain_text(B1)
    await screenshot(enterprise, "signin-enterprise-accesses")
    await (
        enterprise.get_by_role("navigation", name="我的信用")
        .get_by_role("link", name="异议与信用修复")
        .click()
    )
    await expect(enterprise.get_by_role("heading", name="提出异议")).to_be_visible()
    await screenshot(enterprise, "signin-enterprise-objections")

    # Signing out (a form with its CSRF token) ends the session.
    await bank.goto("/")
    await bank.locator(".account-link").get_by_role("link", name="退出").click()
    await bank.get_by_role("button", name="退出登录").click()
    await expect(bank.locator(".account-link")).to_have_text("登录")
    await bank.goto("/account")
    await expect(bank).to_have_url(re.compile(r"/signin\?next=/account$"))
    await bank.context.close()
    await enterprise.context.close()
