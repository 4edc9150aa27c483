"""证明材料 in Chromium: an enterprise signed in through the development provider files an
objection with files picked in the file chooser, sees them listed and downloads one; a renamed
web page is refused naming the file. Screenshots: test-artifacts/screenshots/attachments-*.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from graph.database import Database
from tests.browser.conftest import _abort, is_loopback_url, screenshot
from tests.fixtures import E1, R3, load_fixture_graph

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n% browser\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture(autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """The objection marks R3 异议中; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _signed_in(browser: Browser, site_url: str, organisation: str | None = None) -> Page:
    """A page of its own context, signed in as E1 (or the organisation named)."""
    context = await browser.new_context(
        base_url=site_url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    await context.route(lambda url: not is_loopback_url(url), _abort)
    page = await context.new_page()
    await page.goto("/signin")
    await page.get_by_role("link", name="通过开发用身份提供方登录").click()
    if organisation is None:
        await page.get_by_label("市场主体的统一社会信用代码").fill(E1)
        await page.get_by_role("button", name="以该市场主体登录").click()
    else:
        await page.get_by_role("button", name=organisation).click()
    await expect(page.locator(".account-link")).to_contain_text("退出")
    return page


async def test_an_enterprise_attaches_files_to_an_objection(
    browser: Browser, site_url: str, tmp_path: Path
) -> None:
    page = await _signed_in(browser, site_url)
    await page.goto("/account/objections")
    form = page.locator('form[action="/account/objections"]')
    await form.locator('select[name="target"]').select_option(f"record:{R3['key']}")
    await form.get_by_label("异议说明").fill("核准文号录入有误，附批复文件与现场照片。")

    # A web page renamed .jpg is refused by its content, naming the file.
    async with page.expect_file_chooser() as chosen:
        await form.get_by_label("证明材料附件").click()
    chooser = await chosen.value
    assert chooser.is_multiple()
    await chooser.set_files(
        [FilePayload(name="现场照片.jpg", mimeType="image/jpeg", buffer=b"<html>not a photo")]
    )
    await form.get_by_role("button", name="提交异议").click()
    await expect(page.get_by_role("alert")).to_contain_text("附件“现场照片.jpg”未接收")
    await screenshot(page, "attachments-refused")

    form = page.locator('form[action="/account/objections"]')
    await form.locator('select[name="target"]').select_option(f"record:{R3['key']}")
    await form.get_by_label("异议说明").fill("核准文号录入有误，附批复文件与现场照片。")
    async with page.expect_file_chooser() as chosen:
        await form.get_by_label("证明材料附件").click()
    await (await chosen.value).set_files(
        [
            FilePayload(name="项目批复.pdf", mimeType="application/pdf", buffer=PDF),
            FilePayload(name="现场照片.png", mimeType="image/png", buffer=PNG),
        ]
    )
    await screenshot(page, "attachments-chosen")
    await form.get_by_role("button", name="提交异议").click()
    await expect(page).to_have_url(re.compile(r"/account/objections\?done=objection$"))
    listed = page.locator(".results li").filter(has_text="核准文号录入有误")
    await expect(listed.get_by_role("link", name="项目批复.pdf")).to_be_visible()
    await expect(listed.get_by_role("link", name="现场照片.png")).to_be_visible()
    await screenshot(page, "attachments-listed")

    async with page.expect_download() as downloading:
        await listed.get_by_role("link", name="项目批复.pdf").click()
    download = await downloading.value
    assert download.suggested_filename == "项目批复.pdf"
    saved = tmp_path / "saved.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == PDF

    # The department that provided R3 decides the objection: its due page links the files.
    department = await _signed_in(browser, site_url, "舞钢市发展和改革委员会")
    await department.goto("/department/due")
    item = department.locator(".item").filter(has_text="核准文号录入有误")
    await expect(item.get_by_role("link", name="现场照片.png")).to_be_visible()
    await screenshot(department, "attachments-department-due")
    async with department.expect_download() as downloading:
        await item.get_by_role("link", name="现场照片.png").click()
    saved_png = tmp_path / "saved.png"
    await (await downloading.value).save_as(saved_png)
    assert saved_png.read_bytes() == PNG
