"""The credit report in a real browser: a procurement officer opens an enterprise, has its
report issued, downloads the PDF and proves the check on the verification page.

The fixture graph is as loaded (E1 is on a black list, R1 published, R2 repaired); reports
issued here are removed again afterwards.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import AsyncIterator

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect
from pypdf import PdfReader

from graph.database import Database
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.fixtures import E1, R1, R2

NUMBER = re.compile(r"WG-\d{8}-[0-9A-Z]{10}")


@pytest.fixture(autouse=True)
async def forget_reports(db: Database) -> AsyncIterator[None]:
    """Reports are nodes of their own; leave none behind for other tests."""
    yield
    await db.write("MATCH (r:CreditReport) DETACH DELETE r")


async def test_an_officer_downloads_a_report_and_verifies_its_number(
    browser_page: Page,
) -> None:
    page = browser_page
    await page.goto(f"/enterprise/{E1}")
    await page.get_by_role("link", name="信用报告", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/reports/WG-\d{8}-[0-9A-Z]{10}\.html$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("公共信用信息报告")
    body = await page.locator("main").inner_text()
    assert R1["documentNumber"] in body and R2["documentNumber"] not in body
    assert "失信惩戒对象" in body
    match = NUMBER.search(page.url)
    assert match is not None
    number = match.group(0)
    digest = (await page.locator("dd.hash").nth(1).inner_text()).strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    await screenshot(page, "report")

    # The verification link is absolute, and its QR code, as a phone reads it off the screen,
    # is that link.
    verify_url = f"{page.url.split('/reports/')[0]}/reports/verify?number={number}"
    await expect(page.locator("dd.verify-url a")).to_have_attribute("href", verify_url)
    qr = page.get_by_role("img", name=re.compile("核验本报告的二维码"))
    await expect(qr).to_be_visible()
    image = Image.open(io.BytesIO(await qr.screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [verify_url]
    overview = page.locator("table.overview")
    await expect(overview.get_by_role("row", name=re.compile("信用标签"))).to_contain_text(
        "失信惩戒对象"
    )

    # The PDF behind the page's download link, fetched by the browser itself.
    link = page.get_by_role("link", name="下载 PDF 版")
    href = await link.get_attribute("href")
    assert href == f"/reports/{number}.pdf"
    response = await page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    pdf_bytes = await response.body()
    pdf = PdfReader(io.BytesIO(pdf_bytes))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert number in text and digest in text and verify_url in text
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:  # the pages as poppler draws them, kept to be looked at
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [pdftoppm, "-r", "100", "-png", "-", str(SCREENSHOTS / "report-pdf")],
            input=pdf_bytes,
            check=True,
        )
        first = sorted(SCREENSHOTS.glob("report-pdf-*.png"))[0]
        codes = zxingcpp.read_barcodes(Image.open(first))
        assert [code.text for code in codes] == [verify_url]

    await page.get_by_role("link", name="核验本报告").click()
    await expect(page).to_have_url(re.compile(r"/reports/verify\?number="))
    result = page.locator("main")
    await expect(result).to_contain_text(number)
    await expect(result).to_contain_text("舞钢市鑫源钢铁有限公司")
    await expect(result).to_contain_text(digest)
    await screenshot(page, "report-verified")

    # A number nobody issued does not verify.
    await page.get_by_label("报告编号").fill("WG-20261129-AAAAAAAAAA")
    await page.get_by_label("报告编号").press("Enter")
    await expect(result).not_to_contain_text(digest)
    await screenshot(page, "report-not-found")
