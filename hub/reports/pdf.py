"""The report as PDF, drawn in Python (reportlab) without a browser.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe's Song typeface, referenced
rather than embedded, so no font file is needed and every PDF reader supplies it); the number
and hash use Courier. The PDF lays out the same stored content as the HTML page, and every
page's footer carries the report number and the content hash, so a single printed page can
still be verified. `invariant` output: the same report always renders to the same bytes.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
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

from hub.reports.content import numbered
from hub.reports.html import beijing
from hub.reports.store import StoredReport

SONG = "STSong-Light"
MONO = "Courier"
MARGIN = 18 * mm
LABEL_WIDTH = 32 * mm

pdfmetrics.registerFont(UnicodeCIDFont(SONG))


def _style(name: str, size: float, *, leading: float | None = None, **extra: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=SONG,
        fontSize=size,
        leading=leading or size * 1.45,
        wordWrap="CJK",
        **extra,
    )


TITLE = _style("title", 20, alignment=TA_CENTER, spaceAfter=6 * mm)
SECTION = _style("section", 14, spaceBefore=6 * mm, spaceAfter=2 * mm)
GROUP = _style("group", 11.5, spaceBefore=3 * mm, spaceAfter=1.5 * mm)
CAPTION = _style("caption", 10.5, spaceBefore=1 * mm, spaceAfter=1 * mm)
BODY = _style("body", 9.5)
MUTED = _style("muted", 9.5, textColor=colors.HexColor("#555555"))
CELL = _style("cell", 9)
MONO_CELL = ParagraphStyle("mono", fontName=MONO, fontSize=8, leading=11, wordWrap="CJK")

GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
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
    labels = "、".join(content["labels"]) or "无"
    return [
        _p(content["title"], TITLE),
        _table(rows, width),
        Spacer(1, 3 * mm),
        _p(f"信用标签：{labels}", BODY),
    ]


def _sections(content: dict[str, Any], width: float) -> list[Flowable]:
    story: list[Flowable] = []
    for index, section in enumerate(content["sections"], start=1):
        story.append(_p(numbered(index, section["title"]), SECTION))
        if section.get("text"):
            story.append(_p(section["text"], MUTED))
        for group in section["groups"]:
            heading = _p(group["title"], GROUP)
            if not group["items"]:
                story += [heading, _p(group["empty"], MUTED)]
            for position, item in enumerate(group["items"]):
                rows = [(label, _p(value, CELL)) for label, value in item["fields"]]
                block: list[Flowable] = [_p(item["title"], CAPTION), _table(rows, width)]
                # A group's heading never ends a page without its first item.
                story.append(KeepTogether([heading, *block] if position == 0 else block))
    story.append(_p("报告说明", SECTION))
    for index, note in enumerate(content["notes"], start=1):
        story.append(_p(f"{index}. {note}", BODY))
    return story


def render_pdf(report: StoredReport) -> bytes:
    """The report as a PDF document."""
    content = report.document()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=f"{content['title']} {report.number}",
        author=content["issuer"],
        subject=content["subject"]["name"],
        creator="credithub",
        invariant=True,
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.line(MARGIN, MARGIN + 2 * mm, A4[0] - MARGIN, MARGIN + 2 * mm)
        canvas.setFont(SONG, 7.5)
        canvas.drawString(MARGIN, MARGIN - 2 * mm, f"报告编号 {report.number}")
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 2 * mm, f"第 {doc.page} 页")
        canvas.drawString(MARGIN, MARGIN - 6 * mm, "内容摘要 SHA-256")
        canvas.setFont(MONO, 7)
        canvas.drawString(MARGIN + 24 * mm, MARGIN - 6 * mm, report.content_hash)
        canvas.restoreState()

    width = A4[0] - 2 * MARGIN
    story = _header(content, report.content_hash, width) + _sections(content, width)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
