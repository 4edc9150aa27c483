"""The yearly assessment report as an Excel workbook: the summary on the first sheet, then one
sheet per family of figures, Chinese headers, one row per department (per kind for records).

Department names come from the graph, where feeds put them: a text cell that a spreadsheet
would run as a formula is prefixed with an apostrophe (as in the quarantine export).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.assessment import labels
from hub.assessment.figures import AssessmentReport

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

Cell = int | float | str


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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
