"""The report as PDF, drawn in Python (reportlab) without a browser.

What a reader of the PDF can rely on:

- every font is embedded: subsets of WenQuanYi Zen Hei and its monospaced face (fonts.py), so
  poppler, pdf.js and printers draw the same glyphs with the font's own spacing;
- the head of the report holds the absolute verification link and its QR code (qr.py), then
  信用概况, the summary of what the edition holds (content.overview);
- every page's footer carries the report number, the content hash and "第 x 页 共 y 页" (the
  total is known only after the last page: `_PagedCanvas` keeps each page and draws the
  footers when the document is saved), so one printed page can still be verified;
- headings never end a page: section and group headings are kept with the first block that
  follows them (`_sections`);
- the colours are the public site's (hub/site/static/site.css);
- the same stored report renders to the same bytes: reportlab's invariant mode, with the PDF's
  CreationDate and ModDate the report's own issue time rather than the moment of rendering.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from graph.lifecycle.base import CHINA_TIME
from hub.reports.content import OverviewRow, numbered, overview
from hub.reports.fonts import MONO, SANS, report_fonts
from hub.reports.html import beijing
from hub.reports.qr import QrFlowable
from hub.reports.store import StoredReport

MARGIN = 18 * mm
WHOLE_ITEM_ROWS = 6
"""An item of at most this many rows is never split across pages."""
HEAD_ROWS = 2
"""Rows of a longer item kept on the page of its caption and headings."""
LABEL_WIDTH = 32 * mm
QR_SIZE = 30 * mm
PLATFORM = "舞钢市公共信用信息平台 · 信用信息“一张网”"

# The site's palette (hub/site/static/site.css).
INK = colors.HexColor("#1b1f24")
MUTED_INK = colors.HexColor("#4a5560")
LINE = colors.HexColor("#c9d1d9")
BAND = colors.HexColor("#f3f5f7")
BRAND = colors.HexColor("#0b4f8a")
BRAND_DARK = colors.HexColor("#083a66")
BLACK_LIST = colors.HexColor("#8a1111")
RED_LIST = colors.HexColor("#0b6b3a")
TONES = {"adverse": BLACK_LIST, "favourable": RED_LIST, "plain": INK}


def _style(name: str, size: float, *, leading: float | None = None, **extra: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=SANS,
        fontSize=size,
        leading=leading or size * 1.45,
        wordWrap="CJK",
        textColor=extra.pop("textColor", INK),
        **extra,
    )


TITLE = _style("title", 20, alignment=TA_CENTER, spaceAfter=5 * mm, textColor=BRAND_DARK)
SECTION = _style("section", 14, spaceBefore=6 * mm, spaceAfter=2 * mm, textColor=BRAND_DARK)
GROUP = _style("group", 11.5, spaceBefore=3 * mm, spaceAfter=1.5 * mm)
CAPTION = _style("caption", 10.5, spaceBefore=1 * mm, spaceAfter=1 * mm)
BODY = _style("body", 9.5)
MUTED = _style("muted", 9.5, textColor=MUTED_INK)
SMALL = _style("small", 8, alignment=TA_CENTER, textColor=MUTED_INK)
CELL = _style("cell", 9)
MONO_CELL = ParagraphStyle(
    "mono", fontName=MONO, fontSize=8, leading=11, wordWrap="CJK", textColor=INK
)

# Every table names the embedded font: a cell's default font is the standard Helvetica, which
# would be listed (not embedded) even where no cell holds plain text.
CELL_FONT = ("FONTNAME", (0, 0), (-1, -1), SANS)
GRID = TableStyle(
    [
        CELL_FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("BACKGROUND", (0, 0), (0, -1), BAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    # Paragraph reads a small markup language: department-supplied text must stay text.
    return Paragraph(escape(text), style)


def _table(rows: list[tuple[str, Paragraph]], width: float) -> Table:
    data = [[_p(label, CELL), value] for label, value in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, width - LABEL_WIDTH])
    table.setStyle(GRID)
    return table


def _verification_block(url: str | None) -> list[Flowable]:
    if not url:
        return []
    return [QrFlowable(url, size=QR_SIZE), _p("扫码核验本报告", SMALL)]


def _header(content: dict[str, Any], content_hash: str, width: float) -> list[Flowable]:
    rows = [
        ("报告编号", _p(content["number"], MONO_CELL)),
        ("信息主体", _p(content["subject"]["name"], CELL)),
        ("统一社会信用代码", _p(content["subject"]["uscc"], MONO_CELL)),
        ("报告版本", _p(content["editionLabel"], CELL)),
        ("生成时间", _p(beijing(content["generatedAt"]), CELL)),
        ("数据截止日期", _p(content["cutoff"], CELL)),
        ("出具单位", _p(content["issuer"], CELL)),
    ]
    recipient = content.get("recipient")
    if recipient:
        who = " ".join(
            part
            for part in (recipient["kindLabel"], recipient.get("name"), recipient.get("code"))
            if part
        )
        if recipient.get("purpose"):
            who += f"，用途：{recipient['purpose']}"
        rows.append(("报告使用方", _p(who, CELL)))
    rows.append(("内容摘要（SHA-256）", _p(content_hash, MONO_CELL)))
    url = content.get("verifyUrl")
    if url:
        rows.append(("核验地址", _p(url, MONO_CELL)))
    block = _verification_block(url)
    if block:
        side = QR_SIZE + 4 * mm
        meta = _table(rows, width - side)
        head = Table([[meta, block]], colWidths=[width - side, side])
        head.setStyle(
            TableStyle(
                [
                    CELL_FONT,
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
                ]
            )
        )
    else:
        head = _table(rows, width)
    return [_p(content["title"], TITLE), head, Spacer(1, 2 * mm)]


def _overview(content: dict[str, Any], width: float) -> list[Flowable]:
    """信用概况: two label–value pairs a line, found items in the site's list colours."""
    rows: list[OverviewRow] = overview(content)
    if len(rows) % 2:
        rows.append(OverviewRow("", ""))
    data = []
    style: list[Any] = [
        CELL_FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("BACKGROUND", (0, 0), (0, -1), BAND),
        ("BACKGROUND", (2, 0), (2, -1), BAND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for index in range(0, len(rows), 2):
        line = []
        for row in rows[index : index + 2]:
            value_style = ParagraphStyle(
                f"overview-{row.tone}", parent=CELL, textColor=TONES.get(row.tone, INK)
            )
            line += [_p(row.label, CELL), _p(row.value, value_style)]
        data.append(line)
    label = 30 * mm
    table = Table(data, colWidths=[label, width / 2 - label] * 2)
    table.setStyle(TableStyle(style))
    return [KeepTogether([_p("信用概况", SECTION), table])]


def _sections(content: dict[str, Any], width: float) -> list[Flowable]:
    """The sections, each heading bound to what follows it.

    Headings wait in `pending` and go into the KeepTogether of the first block after them (an
    item's table — or its first rows, when it is long —, an empty group's line, a section's
    text), so neither a section heading nor a group heading nor an item's caption ever ends a
    page. (reportlab's keepWithNext does not bind a paragraph to a
    following KeepTogether, so it is not relied on.)
    """
    story: list[Flowable] = []
    pending: list[Flowable] = []

    def emit(*block: Flowable) -> None:
        story.append(KeepTogether([*pending, *block]))
        pending.clear()

    for index, section in enumerate(content["sections"], start=1):
        pending.append(_p(numbered(index, section["title"]), SECTION))
        if section.get("text"):
            emit(_p(section["text"], MUTED))
        for group in section["groups"]:
            pending.append(_p(group["title"], GROUP))
            if not group["items"]:
                emit(_p(group["empty"], MUTED))
            for item in group["items"]:
                rows = [(label, _p(value, CELL)) for label, value in item["fields"]]
                caption = _p(item["title"], CAPTION)
                if len(rows) <= WHOLE_ITEM_ROWS:
                    emit(caption, _table(rows, width))
                else:
                    # A long item (基本信息 …) would leave half a page blank to stay whole:
                    # its first rows stay with the headings, the rest may go on.
                    emit(caption, _table(rows[:HEAD_ROWS], width))
                    story.append(_table(rows[HEAD_ROWS:], width))
        if pending:
            emit()
    notes = [_p(f"{index}. {note}", BODY) for index, note in enumerate(content["notes"], 1)]
    story.append(KeepTogether([_p("报告说明", SECTION), *notes[:1]]))
    story += notes[1:]
    return story


def pdf_date(moment: datetime) -> str:
    """A moment as a PDF date string in Beijing time: D:20261129123105+08'00'."""
    local = moment.astimezone(CHINA_TIME) if moment.tzinfo else moment.replace(tzinfo=CHINA_TIME)
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{local:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


def _canvas_for(report: StoredReport) -> type[Canvas]:
    """A canvas that numbers pages "第 x 页 共 y 页" and dates the PDF by the report."""
    created = pdf_date(report.generated_at)

    class _PagedCanvas(Canvas):
        """Keeps every page until the document is saved, then draws each page's header and
        footer knowing the page count (two passes over the pages, one layout)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            # Invariant mode would date the file 2000-01-01: the report's issue time instead.
            self.setDateFormatter(lambda *_: created)
            # …and give every report the same file identifier: derive it from the report.
            document = self._doc  # type: ignore[attr-defined]  # not in reportlab's stubs
            document.updateSignature(f"{report.number} {report.content_hash}")

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            # A fresh page without emitting this one (reportlab's own step, not in its stubs).
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = A4
            self.saveState()
            # Header: the platform, in the site's brand colour, over a rule.
            self.setFillColor(BRAND)
            self.setFont(SANS, 8)
            self.drawString(MARGIN, height - MARGIN + 4 * mm, PLATFORM)
            self.drawRightString(width - MARGIN, height - MARGIN + 4 * mm, "公共信用信息报告")
            self.setStrokeColor(BRAND)
            self.setLineWidth(1.2)
            rule = height - MARGIN + 2.5 * mm
            self.line(MARGIN, rule, width - MARGIN, rule)
            # Footer: number, page of pages, hash.
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, MARGIN + 2 * mm, width - MARGIN, MARGIN + 2 * mm)
            self.setFillColor(MUTED_INK)
            self.setFont(SANS, 7.5)
            self.drawString(MARGIN, MARGIN - 2 * mm, "报告编号")
            self.drawRightString(
                width - MARGIN, MARGIN - 2 * mm, f"第 {self.getPageNumber()} 页 共 {total} 页"
            )
            self.drawString(MARGIN, MARGIN - 6 * mm, "内容摘要 SHA-256")
            self.setFont(MONO, 7)
            self.drawString(MARGIN + 12 * mm, MARGIN - 2 * mm, report.number)
            self.drawString(MARGIN + 24 * mm, MARGIN - 6 * mm, report.content_hash)
            self.restoreState()

    return _PagedCanvas


def render_pdf(report: StoredReport) -> bytes:
    """The report as a PDF document (`fonts.ReportFontMissing` when its font is missing)."""
    report_fonts()
    content = report.document()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 2 * mm,
        bottomMargin=MARGIN + 6 * mm,
        title=f"{content['title']} {report.number}",
        author=content["issuer"],
        subject=content["subject"]["name"],
        creator="credithub",
        keywords=[report.number, report.content_hash],
        lang="zh-CN",
        invariant=True,
        # The canvas's first font is set on every page; a standard (non-embedded) Helvetica
        # would be named in each page's resources.
        initialFontName=SANS,
    )
    width = A4[0] - 2 * MARGIN
    story = (
        _header(content, report.content_hash, width)
        + _overview(content, width)
        + _sections(content, width)
    )
    document.build(story, canvasmaker=_canvas_for(report))
    return buffer.getvalue()
