"""Small inline SVG charts for the assessment report: horizontal bars and vertical columns.

The report is one self-contained HTML page (no script, no external resource), so its charts are
SVG written here rather than drawn by a browser library. Every chart is an accessible image: a
``<title>`` and a ``<desc>`` that reads out every value, each bar its own ``<title>`` (a tooltip
on screen), values printed beside the bars, and axis labels in Chinese. Each bar carries its
category, series and value as ``data-`` attributes, so a test (or a person's tool) can read the
chart back and compare it with the figures.

A value of None means "nothing to measure" (no decided objection, say): it gets no bar and the
missing mark, never a bar of zero that would read as a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

FONT_SIZE: Final = 12
TITLE_SIZE: Final = 14
BAR_HEIGHT: Final = 16
BAR_GAP: Final = 4
GROUP_GAP: Final = 12
PLOT_WIDTH: Final = 420
COLUMN_WIDTH: Final = 44
PLOT_HEIGHT: Final = 200
MISSING: Final = "—"

# The public site's palette (hub/site/static/site.css): brand blue, list green, warning brown,
# black-list red, ink and muted grey.
PALETTE: Final = ("#0b4f8a", "#0b6b3a", "#7a4b00", "#8a1111")
GRADE_COLOURS: Final = ("#0b6b3a", "#0b4f8a", "#7a4b00", "#8a1111")
"""Grades A (lowest risk) green … D (highest) red, as the site marks red and black lists."""
INK: Final = "#1b1f24"
MUTED: Final = "#4a5560"
LINE: Final = "#c9d1d9"


@dataclass(frozen=True)
class Series:
    """One series: its name (legend) and one value per category (None: nothing to measure)."""

    name: str
    values: tuple[float | None, ...]
    colour: str | None = None


Format = Callable[[float], str]


def percent(value: float) -> str:
    """A share as people read it: 50.0%."""
    return f"{value:.1%}"


def count(value: float) -> str:
    """A count: 12."""
    return f"{value:g}"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: a CJK character is one em, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def nice_maximum(value: float) -> float:
    """The axis end for counts: the least 1, 2 or 5 × 10^k at or above `value` (≥ 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _ticks(maximum: float, whole: bool) -> list[float]:
    """Gridline values: fifths of the axis, whole numbers only on a count axis."""
    steps = 5 if maximum >= 5 or not whole else int(maximum)
    return [maximum * i / steps for i in range(steps + 1)]


def _tick_label(value: float, fmt: Format) -> str:
    return f"{value:.0%}" if fmt is percent else fmt(value)


def _text(x: float, y: float, text: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(v)}" for name, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _svg(chart_id: str, title: str, width: float, height: float, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id={quoteattr(chart_id)} '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif" '
        f'font-size="{FONT_SIZE}" fill="{INK}">' + "".join(body) + "</svg>"
    )


def _description(
    categories: Sequence[str], series: Sequence[Series], fmt: Format, value_axis: str
) -> str:
    parts = []
    for index, category in enumerate(categories):
        values = "，".join(
            f"{s.name} {MISSING if s.values[index] is None else fmt(s.values[index] or 0)}"
            if len(series) > 1
            else (MISSING if s.values[index] is None else fmt(s.values[index] or 0))
            for s in series
        )
        parts.append(f"{category}：{values}")
    return f"{value_axis}。" + "；".join(parts) + "。"


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    if len(series) < 2:
        return []
    out = []
    for index, s in enumerate(series):
        colour = s.colour or PALETTE[index % len(PALETTE)]
        out.append(
            f'<rect class="legend" x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" '
            f'fill="{colour}"/>'
        )
        out.append(_text(x + 16, y, s.name))
        x += 16 + text_width(s.name) + 18
    return out


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    category_axis: str,
    value_axis: str,
    fmt: Format = percent,
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars, one row (of one bar per series) per category.

    `maximum` fixes the value axis (1.0 for shares); otherwise it is a round number above the
    largest value. Categories are printed left of the bars, so long Chinese names stay readable.
    """
    values = [v for s in series for v in s.values if v is not None]
    top = maximum if maximum is not None else nice_maximum(max(values, default=0.0))
    label_width = max([text_width(c) for c in categories] + [text_width(category_axis)]) + 12
    value_room = max(text_width(fmt(top)), text_width(MISSING)) + 10
    left, top_margin = 10 + label_width, TITLE_SIZE + 34 + (18 if len(series) > 1 else 0)
    row = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP
    plot_height = max(row * len(categories), row)
    width = left + PLOT_WIDTH + value_room + 10
    height = top_margin + plot_height + 44
    body = [
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">'
        f"{escape(_description(categories, series, fmt, value_axis))}</desc>",
        _text(10, TITLE_SIZE + 4, title, font_size=str(TITLE_SIZE), font_weight="bold"),
        *_legend(series, left, TITLE_SIZE + 26),
        _text(10, top_margin - 6, category_axis, fill=MUTED),
    ]
    axis_y = top_margin + plot_height
    for tick in _ticks(top, fmt is not percent):
        x = left + PLOT_WIDTH * tick / top
        body.append(
            f'<line x1="{x:.1f}" y1="{top_margin:.1f}" x2="{x:.1f}" y2="{axis_y:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        body.append(_text(x, axis_y + 14, _tick_label(tick, fmt), anchor="middle", fill=MUTED))
    body.append(
        f'<line class="axis" x1="{left:.1f}" y1="{top_margin:.1f}" x2="{left:.1f}" '
        f'y2="{axis_y:.1f}" stroke="{INK}" stroke-width="1"/>'
    )
    body.append(_text(left + PLOT_WIDTH / 2, axis_y + 32, value_axis, anchor="middle", fill=MUTED))
    for c, category in enumerate(categories):
        y0 = top_margin + GROUP_GAP / 2 + c * row
        middle = y0 + (row - GROUP_GAP) / 2
        body.append(_text(left - 8, middle + FONT_SIZE / 3, category, anchor="end"))
        for s_index, s in enumerate(series):
            value = s.values[c]
            y = y0 + s_index * (BAR_HEIGHT + BAR_GAP)
            colour = s.colour or PALETTE[s_index % len(PALETTE)]
            shown = MISSING if value is None else fmt(value)
            if value is not None:
                length = PLOT_WIDTH * min(value, top) / top
                body.append(
                    f'<rect class="bar" data-category={quoteattr(category)} '
                    f"data-series={quoteattr(s.name)} data-value={quoteattr(repr(value))} "
                    f'x="{left:.1f}" y="{y:.1f}" width="{length:.2f}" height="{BAR_HEIGHT}" '
                    f'fill="{colour}"><title>{escape(f"{category} {s.name}：{shown}")}</title>'
                    "</rect>"
                )
            else:
                length = 0.0
            body.append(_text(left + length + 4, y + BAR_HEIGHT - 4, shown, **{"class": "value"}))
    return Markup(_svg(chart_id, title, width, height, body))


def column_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    values: Sequence[float],
    *,
    category_axis: str,
    value_axis: str,
    colours: Sequence[str] = PALETTE,
    fmt: Format = count,
) -> Markup:
    """Vertical columns, one per category (a distribution: grades, say), values on top."""
    top = nice_maximum(max(values, default=0.0))
    axis_width = max(text_width(fmt(top)), text_width(value_axis) / 2) + 16
    left, top_margin = 10 + axis_width, TITLE_SIZE + 44
    slot = max(COLUMN_WIDTH + 24, max((text_width(c) for c in categories), default=0) + 12)
    width = left + slot * len(categories) + 20
    axis_y = top_margin + PLOT_HEIGHT
    height = axis_y + 44
    series = [Series(value_axis, tuple(values))]
    body = [
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">'
        f"{escape(_description(categories, series, fmt, value_axis))}</desc>",
        _text(10, TITLE_SIZE + 4, title, font_size=str(TITLE_SIZE), font_weight="bold"),
        _text(10, top_margin - 10, value_axis, fill=MUTED),
    ]
    for tick in _ticks(top, True):
        y = axis_y - PLOT_HEIGHT * tick / top
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - 10:.1f}" y2="{y:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        body.append(
            _text(left - 6, y + FONT_SIZE / 3, _tick_label(tick, fmt), anchor="end", fill=MUTED)
        )
    body.append(
        f'<line class="axis" x1="{left:.1f}" y1="{axis_y:.1f}" x2="{width - 10:.1f}" '
        f'y2="{axis_y:.1f}" stroke="{INK}" stroke-width="1"/>'
    )
    for index, (category, value) in enumerate(zip(categories, values, strict=True)):
        x = left + slot * index + (slot - COLUMN_WIDTH) / 2
        length = PLOT_HEIGHT * min(value, top) / top
        colour = colours[index % len(colours)]
        body.append(
            f'<rect class="bar" data-category={quoteattr(category)} '
            f"data-series={quoteattr(value_axis)} data-value={quoteattr(repr(value))} "
            f'x="{x:.1f}" y="{axis_y - length:.2f}" width="{COLUMN_WIDTH}" '
            f'height="{length:.2f}" fill="{colour}">'
            f"<title>{escape(f'{category}：{fmt(value)}')}</title></rect>"
        )
        middle = x + COLUMN_WIDTH / 2
        body.append(
            _text(middle, axis_y - length - 4, fmt(value), anchor="middle", **{"class": "value"})
        )
        body.append(_text(middle, axis_y + 16, category, anchor="middle"))
    body.append(
        _text(
            left + slot * len(categories) / 2,
            axis_y + 36,
            category_axis,
            anchor="middle",
            fill=MUTED,
        )
    )
    return Markup(_svg(chart_id, title, width, height, body))
