"""The assessment report's charts as an official sees them: the HTML file the credit office
files, opened in Chromium, its SVG charts drawn with their bars, values and Chinese labels.

The figures are the fixture graph's 2026 (R1 of 市场监管局, 发改委's sanctions), a licence of
市场监管局 published on time, and one evaluation of every enterprise for the grade
distribution; the licence and the evaluations are removed again afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from graph.database import Database
from graph.evaluation.run import evaluate_all
from graph.lifecycle.base import china_today
from hub.assessment.charts import PLOT_WIDTH
from hub.assessment.figures import AssessmentReport, yearly_report
from hub.assessment.html import render_html
from tests.conftest import ROOT
from tests.fixtures import E1, SAMR

ARTIFACTS = ROOT / "test-artifacts"
LICENCE = f"LICENSE|{SAMR}|BROWSER-ASSESS-1"


@pytest.fixture
async def report(db: Database) -> AsyncIterator[AssessmentReport]:
    """The 2026 report, with a licence published on time and every enterprise evaluated."""
    await db.write(
        "MATCH (d:Department {code: $samr}), (e:Enterprise {uscc: $e1}) "
        "CREATE (r:Record {uid: $key + '#v1', key: $key, version: 1, current: true, "
        "kind: 'LICENSE', status: 'EFFECTIVE', decisionDate: date('2026-06-01'), "
        "publishBy: date('2026-06-10'), firstPublishedOn: date('2026-06-03')}) "
        "CREATE (r)-[:PROVIDED_BY]->(d) CREATE (r)-[:HAS_SUBJECT]->(e)",
        {"samr": SAMR, "e1": E1, "key": LICENCE},
    )
    await evaluate_all(db, today=china_today())
    yield await yearly_report(db, 2026, today=china_today())
    await db.write("MATCH (n:Evaluation|EvaluationRun) DETACH DELETE n")
    await db.write("MATCH (r:Record {key: $key}) DETACH DELETE r", {"key": LICENCE})


async def test_the_assessment_report_shows_its_charts(
    browser_page: Page, report: AssessmentReport
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "assessment-2026.html"
    target.write_text(render_html(report), encoding="utf-8")
    page = browser_page
    # The file as the office opens it (no server: it is a self-contained document).
    await page.set_content(target.read_text(encoding="utf-8"))
    await page.screenshot(path=ARTIFACTS / "screenshots" / "assessment-charts.png", full_page=True)
    await expect(page.get_by_role("heading", name="二、图表分析")).to_be_visible()
    for name in ("各部门双公示7个工作日内公示率", "公共信用综合评价等级分布（当前）"):
        await expect(page.get_by_role("img", name=name)).to_be_visible()
    grades = page.locator("#chart-grades rect.bar")
    await expect(grades).to_have_count(4)
    # Drawn heights follow the counts: the biggest grade has the tallest column.
    heights = [(await bar.bounding_box() or {"height": 0})["height"] for bar in await grades.all()]
    counts = [g.enterprises for g in report.grades]
    assert heights.index(max(heights)) == counts.index(max(counts))
    assert sum(counts) > 0
    # A published share is drawn as a bar whose length is the share of the axis.
    bar = page.locator("#chart-publication rect.bar").first
    share = float(await bar.get_attribute("data-value") or "nan")
    box = await bar.bounding_box()
    assert box is not None and 0 < share <= 1
    assert box["width"] == pytest.approx(PLOT_WIDTH * share, abs=1)
    await expect(page.locator("#chart-ranking text.value").first).to_contain_text("%")
