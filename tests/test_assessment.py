"""Department assessment (考核评估, 七(四)) through the hub and the CLI, against a known year.

For 市场监管局 (SAMR) in 2026 the module adds, besides the fixture's penalty R1 (2026-03-10):
a licence published on time and a penalty published late (双公示), objections — one decided on
time, one late, one pending past its deadline, one of 2025 — a repair pending within its
deadline, measure applications of 2026 and 2025, and an inspection task over 制造业 (E1, E2) with
one problem result. 发改委's sanctions SN-1 and SN-2 of the fixture started in 2026. Every
enterprise is evaluated once (the grade distribution). The fixture graph is restored after the
module.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.chart import BarChart
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from graph.database import Connection, Database
from graph.evaluation.reading import current_grade_counts
from graph.evaluation.run import evaluate_all
from graph.lifecycle.base import china_today
from graph.model import CreditGrade
from graph.supervision.roster import save_inspectors
from hub.assessment.charts import PLOT_WIDTH
from hub.assessment.figures import AssessmentReport, yearly_report
from hub.assessment.html import render_html
from hub.cli import main
from tests.conftest import ClientFor
from tests.fixtures import NDRC, SAMR, load_fixture_graph
from tests.lifecycle import BANK_B1, MARKET, OFFICE, TAXATION, ask, refused
from tests.processes import hub_env

YEAR = 2026
ASSESSMENT = """query($year: Int!, $department: String) {
  departmentAssessment(year: $year, department: $department) {
    department year dueOn records { kind submitted } recordsTotal
    publicationTotal publicationOnTime publicationOnTimeShare
    objections { received decidedOnTime decidedLate pending pendingOverdue onTimeShare }
    repairs { received decidedOnTime decidedLate pending pendingOverdue }
    sanctionsImposed measureApplications
    inspectionTasks inspectionTasksDrawn objectsDrawn resultsRecorded problemsFound } }"""


def _objection(oid: str, decider: str, filed: str, status: str, **props: Any) -> dict[str, Any]:
    return {"id": oid, "decider": decider, "filedOn": filed, "status": status, **props}


@pytest.fixture(scope="module")
async def year_of_work(db: Database, client_for: ClientFor) -> AsyncIterator[None]:
    today = china_today()
    await db.write(
        "MATCH (d:Department {code: $samr}) "
        "MATCH (e:Enterprise) WHERE e.name = '舞钢市宏达建材有限公司' "
        "UNWIND $records AS row "
        "CREATE (r:Record {uid: row.key + '#v1', key: row.key, version: 1, current: true, "
        "kind: row.kind, status: 'EFFECTIVE', decisionDate: date(row.decided), "
        "publishBy: date(row.by), firstPublishedOn: date(row.published)}) "
        "CREATE (r)-[:PROVIDED_BY]->(d) CREATE (r)-[:HAS_SUBJECT]->(e)",
        {
            "samr": SAMR,
            "records": [
                {
                    "key": "LICENSE|SAMR|ASSESS-1",
                    "kind": "LICENSE",
                    "decided": "2026-06-01",
                    "by": "2026-06-10",
                    "published": "2026-06-05",
                },
                {
                    "key": "PENALTY|SAMR|ASSESS-2",
                    "kind": "PENALTY",
                    "decided": "2026-07-01",
                    "by": "2026-07-10",
                    "published": "2026-07-20",
                },
            ],
        },
    )
    future = (today + timedelta(days=3)).isoformat()
    await db.write(
        "UNWIND $rows AS row CREATE (a:Objection) SET a = row, a.filedOn = date(row.filedOn), "
        "a.dueBy = date(row.dueBy)",
        {
            "rows": [
                _objection("ASSESS-O1", SAMR, "2026-03-02", "DECIDED", dueBy="2026-03-05"),
                _objection(
                    "ASSESS-O2", SAMR, "2026-04-01", "DECIDED", dueBy="2026-04-06", decidedLate=True
                ),
                _objection("ASSESS-O3", SAMR, "2026-05-06", "PENDING", dueBy="2026-05-11"),
                _objection("ASSESS-O4", SAMR, "2025-05-06", "DECIDED", dueBy="2025-05-09"),
                _objection("ASSESS-O5", NDRC, "2026-05-06", "DECIDED", dueBy="2026-05-09"),
            ]
        },
    )
    await db.write(
        "CREATE (:RepairApplication {id: 'ASSESS-R1', decider: $samr, appliedOn: date($today), "
        "status: 'PENDING', dueBy: date($future)})",
        {"samr": SAMR, "today": today.isoformat(), "future": future},
    )
    await db.write(
        "UNWIND $rows AS row CREATE (:MeasureApplication {id: row.id, reporter: $samr, "
        "appliedOn: date(row.on), measureCode: 'M01'})",
        {
            "samr": SAMR,
            "rows": [
                {"id": "ASSESS-MA1", "on": "2026-05-01"},
                {"id": "ASSESS-MA2", "on": "2025-05-01"},
            ],
        },
    )
    await save_inspectors(
        db, SAMR, [("赵考核", "41048102K0001", True), ("钱考核", "41048102K0002", True)]
    )
    created = await ask(
        client_for,
        MARKET,
        # Every grade at the top of its band, and a seed whose first chance falls low: the draw
        # rounds a stratum's fraction by chance, and this test needs an object to record on.
        """mutation { createInspectionTask(title: "制造业抽查", sectors: ["C"], year: 2026,
                        ratios: [{grade: "A", ratio: 0.05}, {grade: "B", ratio: 0.2},
                                 {grade: "C", ratio: 0.6}, {grade: "D", ratio: 1}])
                      { id } }""",
    )
    task_id = created["createInspectionTask"]["id"]
    drawn = await ask(
        client_for,
        MARKET,
        """mutation($id: ID!) { drawInspectionTask(taskId: $id, seed: 31) {
             objects { uscc inspectors { certificateNumber } } } }""",
        id=task_id,
    )
    [target, *_] = drawn["drawInspectionTask"]["objects"]
    await ask(
        client_for,
        MARKET,
        """mutation($id: ID!, $uscc: String!, $on: Date!, $numbers: [String!]!) {
             recordInspectionResult(taskId: $id, uscc: $uscc, outcome: CASE_FILED, inspectedOn: $on,
               inspectors: $numbers, findings: "无照经营") { recordKey } }""",
        id=task_id,
        uscc=target["uscc"],
        on=today.isoformat(),
        numbers=[target["inspectors"][0]["certificateNumber"]],
    )
    await evaluate_all(db, today=today)
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def test_a_departments_year_is_counted_from_its_records_applications_and_tasks(
    year_of_work: None, client_for: ClientFor
) -> None:
    data = await ask(client_for, MARKET, ASSESSMENT, year=YEAR)
    a = data["departmentAssessment"]
    assert a["department"] == SAMR and a["dueOn"] == "2026-12-25"
    records = {r["kind"]: r["submitted"] for r in a["records"]}
    # R1 and the late penalty, the licence, the INSPECTION result of the task.
    assert records == {"PENALTY": 2, "LICENSE": 1, "INSPECTION": 1}
    assert a["recordsTotal"] == 4
    assert (a["publicationTotal"], a["publicationOnTime"]) == (2, 1)
    assert a["publicationOnTimeShare"] == 0.5
    assert a["objections"] == {
        "received": 3,
        "decidedOnTime": 1,
        "decidedLate": 1,
        "pending": 0,
        "pendingOverdue": 1,
        "onTimeShare": 0.5,
    }
    assert a["repairs"] == {
        "received": 1,
        "decidedOnTime": 0,
        "decidedLate": 0,
        "pending": 1,
        "pendingOverdue": 0,
    }
    assert (a["sanctionsImposed"], a["measureApplications"]) == (0, 1)
    assert (a["inspectionTasks"], a["inspectionTasksDrawn"], a["objectsDrawn"]) == (1, 1, 1)
    assert (a["resultsRecorded"], a["problemsFound"]) == (1, 1)


async def test_the_office_reads_any_department_and_all_of_them(
    year_of_work: None, client_for: ClientFor
) -> None:
    ndrc = await ask(client_for, OFFICE, ASSESSMENT, year=YEAR, department=NDRC)
    assert ndrc["departmentAssessment"]["sanctionsImposed"] == 2
    assert ndrc["departmentAssessment"]["objections"]["received"] == 1
    every = await ask(
        client_for,
        OFFICE,
        "query { departmentAssessments(year: 2026) { department recordsTotal } }",
    )
    assert SAMR in {d["department"] for d in every["departmentAssessments"]}
    assert len(every["departmentAssessments"]) == 5


async def test_a_department_cannot_read_another_departments_assessment(
    year_of_work: None, client_for: ClientFor
) -> None:
    error = await refused(client_for, TAXATION, ASSESSMENT, year=YEAR, department=SAMR)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(client_for, BANK_B1, ASSESSMENT, year=YEAR)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(
        client_for, TAXATION, "query { departmentAssessments(year: 2026) { year } }"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


def _written_workbook(neo4j_connection: Connection, target: Path) -> Workbook:
    """`credithub assessment --year 2026 --format xlsx --output target`, opened."""
    result = CliRunner().invoke(
        main,
        ["assessment", "--year", "2026", "--format", "xlsx", "--output", str(target)],
        env=hub_env(neo4j_connection, target.parent),
    )
    assert result.exit_code == 0, result.output
    return load_workbook(target)


def test_credithub_assessment_writes_a_workbook_a_person_can_read(
    year_of_work: None, neo4j_connection: Connection, tmp_path: Path
) -> None:
    book = _written_workbook(neo4j_connection, tmp_path / "考核评估-2026.xlsx")
    assert book.sheetnames == [
        "汇总",
        "图表",
        "信用信息报送",
        "双公示及时性",
        "异议与信用修复",
        "联合惩戒",
        "双随机抽查",
        "排名",
        "等级分布",
    ]
    summary = book["汇总"]
    assert str(summary["A1"].value).startswith("舞钢市社会信用体系建设年度考核评估报告")
    assert summary["B3"].value == "2026-12-25"
    rows = [[c.value for c in row] for row in summary.iter_rows(min_row=6)]
    assert rows[0][:3] == ["部门", "统一社会信用代码", "报送信用记录(条)"]
    [samr] = [r for r in rows[1:] if r[1] == SAMR]
    assert samr[0] == "舞钢市市场监督管理局" and samr[2] == 4 and samr[4] == "50.0%"
    inspections = [[c.value for c in row] for row in book["双随机抽查"].iter_rows()]
    assert next(r for r in inspections if r[1] == SAMR)[2:] == [1, 1, 1, 1, "100.0%", 1]


class _Tables(HTMLParser):
    """The text of the document's title, headings and table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.headings: list[str] = []
        self.cells: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self._in = "svg"  # a chart's own <title> is not the document's
        elif self._in == "svg":
            return
        elif tag in ("title", "h1", "h3", "td", "th"):
            self._in = tag
            if tag in ("td", "th"):
                self.cells.append("")
            elif tag in ("h1", "h3"):
                self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in in ("h1", "h3"):
            self.headings[-1] += data
        elif self._in in ("td", "th"):
            self.cells[-1] += data


def test_credithub_assessment_writes_a_printable_html_report(
    year_of_work: None, neo4j_connection: Connection, tmp_path: Path
) -> None:
    target = tmp_path / "assessment.html"
    result = CliRunner().invoke(
        main,
        ["assessment", "--year", "2026", "--format", "html", "--output", str(target)],
        env=hub_env(neo4j_connection, tmp_path),
    )
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    parsed = _Tables()
    parsed.feed(html)
    assert parsed.title == "舞钢市社会信用体系建设年度考核评估报告（2026年度）"
    assert "2026-12-25" in html and "生成时间" in html and "<script" not in html
    assert any("舞钢市市场监督管理局" in h and SAMR in h for h in parsed.headings)
    start = parsed.cells.index("舞钢市市场监督管理局")
    assert parsed.cells[start + 1 : start + 5] == [SAMR, "4", "2", "50.0%"]


# -- charts ------------------------------------------------------------------------------------
SVG = "{http://www.w3.org/2000/svg}"


def _svgs(html: str) -> dict[str, ET.Element]:
    """The inline SVG charts of the page, parsed, by id."""
    charts = [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)]
    return {str(svg.get("id")): svg for svg in charts}


def _bars(svg: ET.Element) -> dict[tuple[str, str], ET.Element]:
    """The chart's bars by (category, series)."""
    return {
        (str(rect.get("data-category")), str(rect.get("data-series"))): rect
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("class") == "bar"
    }


def _value(bar: ET.Element) -> float:
    return float(str(bar.get("data-value")))


async def _report(db: Database) -> AssessmentReport:
    return await yearly_report(db, YEAR, today=china_today())


async def test_samr_ranks_by_the_share_of_its_items_done_on_time(
    year_of_work: None, db: Database
) -> None:
    report = await _report(db)
    [samr] = [r for r in report.ranking if r.department.code == SAMR]
    # Publications 1 of 2 on time, objections decided 1 of 2 on time, no repair decided yet.
    assert (samr.department.due_items, samr.department.timely_items) == (4, 2)
    assert samr.department.timely_share == 0.5
    ranked = [r for r in report.ranking if r.rank is not None]
    shares = [r.department.timely_share or 0.0 for r in ranked]
    assert shares == sorted(shares, reverse=True)
    assert ranked[0].rank == 1
    assert all(r.department.timely_share is None for r in report.ranking if r.rank is None)
    counts = await current_grade_counts(db)
    assert [(g.grade, g.enterprises) for g in report.grades] == [
        (grade.value, counts[grade]) for grade in CreditGrade
    ]
    assert report.graded_enterprises > 0


async def test_the_html_report_draws_its_figures_as_svg_charts(
    year_of_work: None, db: Database
) -> None:
    report = await _report(db)
    html = render_html(report)
    charts = _svgs(html)
    assert set(charts) == {"chart-publication", "chart-deadlines", "chart-grades", "chart-ranking"}
    for svg in charts.values():
        assert svg.get("role") == "img"
        title = svg.find(f"{SVG}title")
        assert title is not None and title.text
        assert svg.get("aria-labelledby", "").startswith(f"{svg.get('id')}-title")
    samr = next(d for d in report.departments if d.code == SAMR)

    publication = _bars(charts["chart-publication"])
    for d in report.departments:
        bar = publication.get((d.name, "7个工作日内公示率"))
        if d.publication_on_time_share is None:
            assert bar is None  # nothing to publish: no bar, not a bar of zero
        else:
            assert bar is not None and _value(bar) == d.publication_on_time_share
    samr_bar = publication[(samr.name, "7个工作日内公示率")]
    assert _value(samr_bar) == 0.5
    assert float(str(samr_bar.get("width"))) == pytest.approx(PLOT_WIDTH * 0.5, abs=0.01)
    assert "50.0%" in ET.tostring(charts["chart-publication"], encoding="unicode")

    deadlines = _bars(charts["chart-deadlines"])
    assert _value(deadlines[(samr.name, "异议按时办结率")]) == 0.5
    assert (samr.name, "修复按时办结率") not in deadlines  # its repair is still pending
    assert {k: _value(v) for k, v in deadlines.items()} == {
        (d.name, series): share
        for d in report.departments
        for series, share in (
            ("异议按时办结率", d.objections.on_time_share),
            ("修复按时办结率", d.repairs.on_time_share),
        )
        if share is not None
    }

    grades = _bars(charts["chart-grades"])
    assert {category: _value(bar) for (category, _), bar in grades.items()} == {
        g.title: float(g.enterprises) for g in report.grades
    }
    heights = {c: float(str(bar.get("height"))) for (c, _), bar in grades.items()}
    biggest = max(report.grades, key=lambda g: g.enterprises)
    assert heights[biggest.title] == max(heights.values())

    ranking = charts["chart-ranking"]
    in_order = [
        str(rect.get("data-category"))
        for rect in ranking.iter(f"{SVG}rect")
        if rect.get("class") == "bar"
    ]
    assert in_order == [
        f"{r.rank}. {r.department.name}" for r in report.ranking if r.rank is not None
    ]
    assert any(c.endswith(samr.name) for c in in_order)
    parsed = _Tables()
    parsed.feed(html)
    assert "不参与排名" in parsed.cells or all(r.rank for r in report.ranking)


def _cells(book: Workbook, reference: str) -> list[Any]:
    """The values of a chart's reference such as '排名'!$F$2:$F$6, in order."""
    sheet_name, cells = reference.rsplit("!", 1)
    sheet = book[sheet_name.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [
        cell.value
        for row in sheet.iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col
        )
        for cell in row
    ]


def test_the_workbook_has_native_charts_over_its_own_cells(
    year_of_work: None, neo4j_connection: Connection, tmp_path: Path
) -> None:
    book = _written_workbook(neo4j_connection, tmp_path / "assessment.xlsx")
    sheet = book["图表"]
    assert isinstance(sheet, Worksheet)
    charts: list[Any] = sheet._charts  # type: ignore[attr-defined]  # not in the stubs
    assert len(charts) == 4
    assert all(isinstance(chart, BarChart) for chart in charts)
    publication, deadlines, grades, ranking = charts
    assert [chart.type for chart in charts] == ["col", "col", "col", "col"]
    names = _cells(book, "'排名'!$B$2:$B$6")
    assert "舞钢市市场监督管理局" in names
    samr = names.index("舞钢市市场监督管理局")

    def series(chart: BarChart) -> list[tuple[str, str, str]]:
        # The series' name cell (openpyxl writes it without $), its categories, its values.
        return [
            (s.tx.strRef.f.replace("$", ""), s.cat.strRef.f, s.val.numRef.f) for s in chart.series
        ]

    assert series(publication) == [("'排名'!G1", "'排名'!$B$2:$B$6", "'排名'!$G$2:$G$6")]
    assert series(deadlines) == [
        ("'排名'!H1", "'排名'!$B$2:$B$6", "'排名'!$H$2:$H$6"),
        ("'排名'!I1", "'排名'!$B$2:$B$6", "'排名'!$I$2:$I$6"),
    ]
    assert series(grades) == [("'等级分布'!B1", "'等级分布'!$A$2:$A$5", "'等级分布'!$B$2:$B$5")]
    assert series(ranking) == [("'排名'!F1", "'排名'!$B$2:$B$6", "'排名'!$F$2:$F$6")]
    # The referenced cells hold the figures as numbers.
    assert _cells(book, "'排名'!$G$1")[0] == "7个工作日内公示率"
    assert _cells(book, "'排名'!$G$2:$G$6")[samr] == 0.5
    assert _cells(book, "'排名'!$H$2:$H$6")[samr] == 0.5
    assert _cells(book, "'排名'!$I$2:$I$6")[samr] is None  # no repair decided: no bar
    assert _cells(book, "'排名'!$F$2:$F$6")[samr] == 0.5
    assert book["排名"]["F2"].number_format == "0.0%"
    assert _cells(book, "'等级分布'!$A$2:$A$5") == [
        "A级（优）",
        "B级（良）",
        "C级（中）",
        "D级（差）",
    ]
    assert sum(_cells(book, "'等级分布'!$B$2:$B$5")) > 0
    assert publication.y_axis.scaling.max == 1 and not publication.y_axis.delete
