"""The yearly assessment report as an Excel workbook: the summary on the first sheet, the charts
on the second, then one sheet per family of figures, Chinese headers, one row per department
(per kind for records).

The charts are native Excel charts (openpyxl.chart) whose series reference the cells of the
排名 and 等级分布 sheets — shares there are numbers formatted as percentages, not text — so
Excel and WPS draw them from the data, and a corrected cell redraws its chart.

Department names come from the graph, where feeds put them: a text cell that a spreadsheet
would run as a formula is prefixed with an apostrophe (as in the quarantine export).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.assessment import labels
from hub.assessment.charts import GRADE_COLOURS, PALETTE
from hub.assessment.figures import AssessmentReport

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

Cell = int | float | str | None


def _safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _table(sheet: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    sheet.append(list(headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    sheet.freeze_panes = f"A{header_row + 1}"
    for index, header in enumerate(headers, start=1):
        # Chinese characters are about two columns wide; the first column holds names.
        width = max(len(header) * 2 + 2, 12 if index > 1 else 30)
        sheet.column_dimensions[get_column_letter(index)].width = width


RANKING_SHEET: Final = "排名"
GRADE_SHEET: Final = "等级分布"
CHART_SHEET: Final = "图表"
RANKING_HEADERS: Final = (
    *labels.RANKING_COLUMNS,
    labels.PUBLICATION_SERIES,
    labels.OBJECTION_SERIES,
    labels.REPAIR_SERIES,
)
"""The ranking sheet: the table's columns, then the shares the charts draw (numbers)."""
SHARE_FORMAT: Final = "0.0%"
CHART_ROWS: Final = 20
"""Rows between two charts' anchors on the chart sheet."""


def _ranking_sheet(sheet: Worksheet, report: AssessmentReport) -> None:
    rows = []
    for ranked in report.ranking:
        d = ranked.department
        rows.append(
            [
                labels.NOT_RANKED if ranked.rank is None else ranked.rank,
                d.name,
                d.code,
                d.due_items,
                d.timely_items,
                d.timely_share,
                d.publication_on_time_share,
                d.objections.on_time_share,
                d.repairs.on_time_share,
            ]
        )
    _table(sheet, RANKING_HEADERS, rows)
    # A share is a number (empty when nothing was due), so a chart can draw it.
    for row in sheet.iter_rows(min_row=2, min_col=6, max_col=len(RANKING_HEADERS)):
        for cell in row:
            cell.number_format = SHARE_FORMAT


def _bar(title: str, *, category_title: str, value_title: str, share: bool) -> BarChart:
    """A column chart: categories left to right in sheet order (rank order for departments),
    values labelled on the columns. (Horizontal bars would list the first category at the
    bottom, and readers disagree on where the reversed chart's value axis goes.)"""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = title
    chart.x_axis.title = category_title
    chart.y_axis.title = value_title
    # openpyxl hides both axes by default; Excel and WPS then draw none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    if share:
        chart.y_axis.scaling.max = 1
        chart.y_axis.number_format = "0%"
        chart.y_axis.majorUnit = 0.2
    # The value alone: a reader that defaults the other flags would print the series and
    # category names on every column.
    chart.dataLabels = DataLabelList(
        showVal=True,
        showSerName=False,
        showCatName=False,
        showLegendKey=False,
        showPercent=False,
    )
    chart.width, chart.height = 22, 9.5
    return chart


def _text_categories(chart: BarChart, reference: Reference) -> None:
    # Names are text: a string reference (openpyxl's set_categories writes a numeric one).
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(reference)))


def _share_chart(
    sheet: Worksheet, title: str, value_title: str, columns: Sequence[int], last_row: int
) -> BarChart:
    chart = _bar(
        title,
        category_title=labels.DEPARTMENT_AXIS,
        value_title=value_title,
        share=True,
    )
    for index, column in enumerate(columns):
        chart.add_data(
            Reference(sheet, min_col=column, min_row=1, max_row=last_row), titles_from_data=True
        )
        chart.series[index].graphicalProperties.solidFill = PALETTE[index % len(PALETTE)][1:]
    _text_categories(chart, Reference(sheet, min_col=2, min_row=2, max_row=last_row))
    if len(columns) > 1:
        chart.legend.position = "b"
    else:
        chart.legend = None  # one series: its name is the axis title
    return chart


def _charts(book: Workbook, report: AssessmentReport) -> None:
    place = book.create_sheet(CHART_SHEET, 1)
    ranking = book.create_sheet(RANKING_SHEET)
    _ranking_sheet(ranking, report)
    last = 1 + len(report.departments)
    header = {name: index for index, name in enumerate(RANKING_HEADERS, start=1)}
    charts = [
        _share_chart(
            ranking,
            labels.PUBLICATION_CHART,
            labels.PUBLICATION_SERIES,
            [header[labels.PUBLICATION_SERIES]],
            last,
        ),
        _share_chart(
            ranking,
            labels.DEADLINE_CHART,
            "按时办结率",
            [header[labels.OBJECTION_SERIES], header[labels.REPAIR_SERIES]],
            last,
        ),
    ]
    grades = book.create_sheet(GRADE_SHEET)
    _table(
        grades,
        [labels.GRADE_AXIS, labels.ENTERPRISE_AXIS],
        ([g.title, g.enterprises] for g in report.grades),
    )
    if report.grades:
        chart = _bar(
            labels.GRADE_CHART,
            category_title=labels.GRADE_AXIS,
            value_title=labels.ENTERPRISE_AXIS,
            share=False,
        )
        chart.add_data(
            Reference(grades, min_col=2, min_row=1, max_row=1 + len(report.grades)),
            titles_from_data=True,
        )
        _text_categories(
            chart, Reference(grades, min_col=1, min_row=2, max_row=1 + len(report.grades))
        )
        chart.legend = None
        for index, colour in enumerate(GRADE_COLOURS[: len(report.grades)]):
            point = DataPoint(idx=index)
            point.graphicalProperties.solidFill = colour[1:]
            chart.series[0].dPt.append(point)
        charts.append(chart)
    ranking_chart = _share_chart(
        ranking,
        labels.RANKING_CHART,
        labels.TIMELY_SERIES,
        [header[labels.TIMELY_SERIES]],
        last,
    )
    ranking_chart.x_axis.title = f"{labels.DEPARTMENT_AXIS}（按名次）"
    charts.append(ranking_chart)
    for index, chart in enumerate(charts):
        place.add_chart(chart, f"A{1 + index * CHART_ROWS}")


def render_xlsx(report: AssessmentReport) -> bytes:
    """The report as the bytes of an .xlsx file."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["考核年度", f"{report.year}年"])
    summary.append(["报送截止日期", report.due_on.isoformat()])
    summary.append(["生成时间", report.generated_at.strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"])
    summary.append([])
    departments = report.departments
    _table(
        summary,
        [header for header, _ in labels.SUMMARY],
        ([cell(d) for _, cell in labels.SUMMARY] for d in departments),
    )
    _table(
        book.create_sheet("信用信息报送"),
        ["部门", "统一社会信用代码", "信息类别", "报送条数"],
        ([d.name, d.code, k.label, k.submitted] for d in departments for k in d.records),
    )
    _table(
        book.create_sheet("双公示及时性"),
        ["部门", "统一社会信用代码", *labels.PUBLICATION_COLUMNS],
        ([d.name, d.code, *labels.publication_cells(d)] for d in departments),
    )
    _table(
        book.create_sheet("异议与信用修复"),
        ["部门", "统一社会信用代码", "事项", *labels.DEADLINE_COLUMNS],
        (
            [d.name, d.code, process, *labels.deadline_cells(figures)]
            for d in departments
            for process, figures in (("异议处理", d.objections), ("信用修复", d.repairs))
        ),
    )
    _table(
        book.create_sheet("联合惩戒"),
        ["部门", "统一社会信用代码", *labels.MEASURE_COLUMNS],
        ([d.name, d.code, d.sanctions_imposed, d.measure_applications] for d in departments),
    )
    _table(
        book.create_sheet("双随机抽查"),
        ["部门", "统一社会信用代码", *labels.INSPECTION_COLUMNS],
        ([d.name, d.code, *labels.inspection_cells(d)] for d in departments),
    )
    _charts(book, report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
