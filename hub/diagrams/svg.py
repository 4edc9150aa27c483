"""Diagrams as SVG: boxes with wrapped Chinese labels and badges, arrows with labels, a legend.

A `Diagram` says what to draw (nodes, links, legend); `render` lays it out (`layout.layered`)
and writes one self-contained ``<svg>`` element: presentation attributes only (no ``<style>``,
no script), so it shows the same inline in a page under a strict Content-Security-Policy, as a
file of its own, or in a report. Every piece of text is escaped; the whole drawing has a
``<title>`` and ``<desc>`` (``role="img"``), each node and link its own ``<title>``, which screen
readers read and browsers show on hover. Ids are prefixed with the diagram's id, so several
diagrams can share a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from typing import Final

from hub.diagrams.layout import Box, Layout, Route, layered

__all__ = [
    "Diagram",
    "LegendItem",
    "Link",
    "Node",
    "Tag",
    "render",
    "text_width",
    "wrap",
]

FONT: Final = (
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','Microsoft YaHei',"
    "'PingFang SC',sans-serif"
)
LABEL_SIZE: Final = 13.0
SMALL_SIZE: Final = 11.0
LINE_GAP: Final = 4.0
PAD_X: Final = 10.0
PAD_Y: Final = 7.0
MAX_LABEL_WIDTH: Final = 9 * LABEL_SIZE
"""A label wraps after about nine 汉字 (two lines at most; the full text is in the title)."""
MAX_LINES: Final = 2

INK: Final = "#1f2933"
MUTED: Final = "#52606d"
LINE: Final = "#7b8794"
WHITE: Final = "#ffffff"


@dataclass(frozen=True)
class Look:
    """How a kind of node is drawn."""

    fill: str
    stroke: str
    text: str = INK
    stroke_width: float = 1.2
    dashed: bool = False
    rounded: float = 6.0


LOOKS: Final[dict[str, Look]] = {
    "subject": Look(fill="#0b4f8a", stroke="#0b4f8a", text=WHITE, stroke_width=2.0),
    "enterprise": Look(fill="#eef4fb", stroke="#4a78a8"),
    "person": Look(fill="#fff7e8", stroke="#c08a2b", rounded=16.0),
    "withheld": Look(fill="#f5f7fa", stroke="#9aa5b1", text=MUTED, dashed=True),
    "event": Look(fill="#eef4fb", stroke="#4a78a8", rounded=12.0),
    "record": Look(fill="#f5f7fa", stroke="#7b8794"),
}
"""Node looks by `Node.look`; an unknown look is drawn as an enterprise."""


@dataclass(frozen=True)
class Tag:
    """A badge under a node's label: a mark such as 失信 or 受益所有人, and its colour."""

    text: str
    colour: str
    outline: bool = False
    """Draw the node's border in the tag's colour, thick (black-listed, banned)."""


@dataclass(frozen=True)
class Node:
    """A box: its label (wrapped), the full text for its title, its look and badges."""

    id: str
    label: str
    title: str
    look: str = "enterprise"
    sublabel: str | None = None
    tags: tuple[Tag, ...] = ()
    href: str | None = None
    data: tuple[tuple[str, str], ...] = ()
    """Extra ``data-*`` attributes (name without the prefix, value) for scripts and tests."""


@dataclass(frozen=True)
class Link:
    """An arrow from `source` to `target` with an optional label."""

    source: str
    target: str
    title: str
    label: str | None = None
    dashed: bool = False
    colour: str = LINE
    width: float = 1.3
    hidden: bool = False
    """Shapes the layout only; not drawn."""
    placed_backwards: bool = False
    """Laid out as if it ran from target to source (the target's layer comes first), drawn as
    it runs: the 关联图谱 puts its enterprise first and the people holding it after it."""


@dataclass(frozen=True)
class LegendItem:
    """One entry of the legend: a swatch (a node look or a tag colour) and its meaning."""

    text: str
    look: str | None = None
    colour: str | None = None
    dashed_line: bool = False


@dataclass(frozen=True)
class Diagram:
    """What to draw: nodes, links, a legend, and the words that name the whole picture."""

    id: str
    title: str
    description: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    legend: tuple[LegendItem, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Lines printed under the drawing (what was left out and why)."""


def text_width(text: str, size: float) -> float:
    """The width of `text` at `size`: 汉字 and full-width forms one em, the rest about 0.58."""
    return sum(size if ord(ch) >= 0x2E80 else 0.58 * size for ch in text)


def wrap(text: str, width: float, size: float, lines: int = MAX_LINES) -> list[str]:
    """`text` broken into at most `lines` lines of at most `width`, after a 、 where there is
    one; cut with … when longer."""
    out: list[str] = []
    current = ""
    for index, ch in enumerate(text):
        if text_width(current + ch, size) > width and current:
            cut = current.rfind("、") + 1
            if 0 < cut < len(current):
                out.append(current[:cut])
                current = current[cut:]
            else:
                out.append(current)
                current = ""
            if len(out) == lines:
                last = out[-1]
                while last and text_width(last + "…", size) > width:
                    last = last[:-1]
                out[-1] = last + "…"
                return out
        current += ch
        if index == len(text) - 1:
            out.append(current)
    return out or [""]


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Sized:
    node: Node
    lines: tuple[str, ...]
    sub: tuple[str, ...]
    w: float
    h: float


def _tag_width(tag: Tag) -> float:
    return text_width(tag.text, SMALL_SIZE) + 8


def _size(node: Node) -> _Sized:
    lines = tuple(wrap(node.label, MAX_LABEL_WIDTH, LABEL_SIZE))
    sub = tuple(wrap(node.sublabel, MAX_LABEL_WIDTH + 12, SMALL_SIZE, 3)) if node.sublabel else ()
    widths = [text_width(line, LABEL_SIZE) for line in lines]
    widths += [text_width(line, SMALL_SIZE) for line in sub]
    if node.tags:
        widths.append(sum(_tag_width(tag) + 4 for tag in node.tags) - 4)
    w = max(widths) + 2 * PAD_X
    h = 2 * PAD_Y + len(lines) * (LABEL_SIZE + LINE_GAP) - LINE_GAP
    h += len(sub) * (SMALL_SIZE + LINE_GAP)
    if node.tags:
        h += SMALL_SIZE + 6 + LINE_GAP
    return _Sized(node, lines, sub, max(w, 56.0), h)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _along(points: Sequence[tuple[float, float]], t: float) -> tuple[float, float]:
    """The point at fraction `t` of the polyline's length."""
    lengths = [((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 for (x1, y1), (x2, y2) in pairwise(points)]
    goal = sum(lengths) * t
    for ((x1, y1), (x2, y2)), length in zip(pairwise(points), lengths, strict=True):
        if goal <= length and length > 0:
            f = goal / length
            return x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
        goal -= length
    return points[-1]


def _label_places(
    layout: Layout, links: Sequence[Link], routes: dict[tuple[str, str], Route]
) -> dict[int, tuple[float, float]]:
    """Where each link's label goes: the first spot along its route, from the middle outwards,
    that covers no box and no label placed before; the middle when there is none."""
    taken = [
        (b.left - 2, b.top - 2, b.left + b.w + 2, b.top + b.h + 2) for b in layout.boxes.values()
    ]
    places: dict[int, tuple[float, float]] = {}
    for index, link in enumerate(links):
        route = routes.get((link.source, link.target))
        if link.label is None or route is None or link.hidden:
            continue
        w = text_width(link.label, SMALL_SIZE) + 8
        h = SMALL_SIZE + 6
        chosen: tuple[float, float] | None = None
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85):
            x, y = _along(route.points, t)
            rect = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if not any(_overlaps(rect, other) for other in taken):
                chosen = (x, y)
                taken.append(rect)
                break
        if chosen is None:
            x, y = _along(route.points, 0.5)
            chosen = (x, y)
            taken.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        places[index] = chosen
    return places


def _node_svg(prefix: str, sized: _Sized, box: Box) -> list[str]:
    node = sized.node
    look = LOOKS.get(node.look, LOOKS["enterprise"])
    outline = next((tag for tag in node.tags if tag.outline), None)
    stroke = outline.colour if outline else look.stroke
    stroke_width = 2.6 if outline else look.stroke_width
    dash = ' stroke-dasharray="4 3"' if look.dashed else ""
    extra = "".join(f' data-{_attr(name)}="{_attr(value)}"' for name, value in node.data)
    tags = " ".join(tag.text for tag in node.tags)
    out = [
        f'<g class="node node-{_attr(node.look)}" data-id="{_attr(node.id)}" '
        f'data-tags="{_attr(tags)}"{extra}>'
    ]
    if node.href:
        out.append(f'<a href="{_attr(node.href)}">')
    out.append(f"<title>{escape(node.title)}</title>")
    out.append(
        f'<rect x="{_num(box.left)}" y="{_num(box.top)}" width="{_num(box.w)}" '
        f'height="{_num(box.h)}" rx="{_num(min(look.rounded, box.h / 2))}" fill="{look.fill}" '
        f'stroke="{stroke}" stroke-width="{_num(stroke_width)}"{dash}/>'
    )
    y = box.top + PAD_Y + LABEL_SIZE - 2
    for line in sized.lines:
        out.append(
            f'<text x="{_num(box.x)}" y="{_num(y)}" text-anchor="middle" '
            f'font-size="{_num(LABEL_SIZE)}" fill="{look.text}">{escape(line)}</text>'
        )
        y += LABEL_SIZE + LINE_GAP
    y += SMALL_SIZE - LABEL_SIZE
    sub_colour = look.text if look.text == WHITE else MUTED
    for line in sized.sub:
        out.append(
            f'<text x="{_num(box.x)}" y="{_num(y)}" text-anchor="middle" '
            f'font-size="{_num(SMALL_SIZE)}" fill="{sub_colour}">{escape(line)}</text>'
        )
        y += SMALL_SIZE + LINE_GAP
    if node.tags:
        total = sum(_tag_width(tag) + 4 for tag in node.tags) - 4
        x = box.x - total / 2
        top = y - SMALL_SIZE + 1
        for tag in node.tags:
            w = _tag_width(tag)
            out.append(
                f'<g class="tag" data-tag="{_attr(tag.text)}"><rect x="{_num(x)}" y="{_num(top)}" '
                f'width="{_num(w)}" height="{_num(SMALL_SIZE + 5)}" rx="3" fill="{tag.colour}"/>'
                f'<text x="{_num(x + w / 2)}" y="{_num(top + SMALL_SIZE + 0.5)}" '
                f'text-anchor="middle" font-size="{_num(SMALL_SIZE)}" fill="{WHITE}">'
                f"{escape(tag.text)}</text></g>"
            )
            x += w + 4
    if node.href:
        out.append("</a>")
    out.append("</g>")
    return out


def _link_svg(
    prefix: str, link: Link, route: Route, label_at: tuple[float, float] | None
) -> list[str]:
    path = "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in route.points)
    dash = ' stroke-dasharray="5 4"' if link.dashed else ""
    out = [
        f'<g class="link" data-source="{_attr(link.source)}" data-target="{_attr(link.target)}">',
        f"<title>{escape(link.title)}</title>",
        f'<path d="{path}" fill="none" stroke="{link.colour}" stroke-width="{_num(link.width)}"'
        f'{dash} marker-end="url(#{prefix}-arrow)"/>',
    ]
    if link.label is not None and label_at is not None:
        x, y = label_at
        w = text_width(link.label, SMALL_SIZE) + 8
        out.append(
            f'<rect x="{_num(x - w / 2)}" y="{_num(y - SMALL_SIZE / 2 - 3)}" width="{_num(w)}" '
            f'height="{_num(SMALL_SIZE + 6)}" rx="3" fill="{WHITE}" fill-opacity="0.92"/>'
            f'<text x="{_num(x)}" y="{_num(y + SMALL_SIZE / 2 - 1.5)}" text-anchor="middle" '
            f'font-size="{_num(SMALL_SIZE)}" fill="{MUTED}">{escape(link.label)}</text>'
        )
    out.append("</g>")
    return out


def _legend_svg(items: Sequence[LegendItem], width: float, top: float) -> tuple[list[str], float]:
    """The legend in rows that fit `width`; its SVG and height."""
    if not items:
        return [], 0.0
    out = ['<g class="legend">']
    x, y = 16.0, top + 8
    row = SMALL_SIZE + 10
    for item in items:
        w = 30 + text_width(item.text, SMALL_SIZE) + 16
        if x + w > width - 8 and x > 16:
            x, y = 16.0, y + row
        if item.look is not None:
            look = LOOKS.get(item.look, LOOKS["enterprise"])
            dash = ' stroke-dasharray="4 3"' if look.dashed else ""
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="22" height="{_num(SMALL_SIZE + 2)}" '
                f'rx="3" fill="{look.fill}" stroke="{look.stroke}"{dash}/>'
            )
        elif item.dashed_line:
            out.append(
                f'<line x1="{_num(x)}" y1="{_num(y + 7)}" x2="{_num(x + 22)}" y2="{_num(y + 7)}" '
                f'stroke="{item.colour or LINE}" stroke-width="1.6" stroke-dasharray="5 4"/>'
            )
        else:
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="22" height="{_num(SMALL_SIZE + 2)}" '
                f'rx="3" fill="{item.colour or LINE}"/>'
            )
        out.append(
            f'<text x="{_num(x + 28)}" y="{_num(y + SMALL_SIZE)}" font-size="{_num(SMALL_SIZE)}" '
            f'fill="{INK}">{escape(item.text)}</text>'
        )
        x += w
    out.append("</g>")
    return out, y + row - top + 4


def render(
    diagram: Diagram, *, yspace: float = 56.0, xspace: float = 24.0, rightward: bool = False
) -> str:
    """The diagram as one ``<svg>`` element (UTF-8 text, no XML declaration)."""
    prefix = "".join(ch if ch.isalnum() else "-" for ch in diagram.id) or "d"
    sized = {node.id: _size(node) for node in diagram.nodes}
    if rightward and sized:
        # Columns of one width: a link leaves a box's right side clear of the boxes below it.
        widest = max(s.w for s in sized.values())
        sized = {
            node_id: _Sized(s.node, s.lines, s.sub, widest, s.h) for node_id, s in sized.items()
        }
    known = [link for link in diagram.links if link.source in sized and link.target in sized]
    layout = layered(
        [(node_id, s.w, s.h) for node_id, s in sized.items()],
        [
            (link.target, link.source) if link.placed_backwards else (link.source, link.target)
            for link in known
        ],
        xspace=xspace,
        yspace=yspace,
        rightward=rightward,
    )
    laid = {(route.source, route.target): route for route in layout.routes}
    routes: dict[tuple[str, str], Route] = {}
    for link in known:
        if link.placed_backwards:
            found = laid.get((link.target, link.source))
            if found is not None:
                routes[(link.source, link.target)] = Route(
                    link.source, link.target, tuple(reversed(found.points))
                )
        elif (link.source, link.target) in laid:
            routes[(link.source, link.target)] = laid[(link.source, link.target)]
    places = _label_places(layout, known, routes)
    legend_width = max(layout.width, 340.0)
    notes = [
        line for note in diagram.notes for line in wrap(note, legend_width - 32, SMALL_SIZE, 3)
    ]
    notes_height = len(notes) * (SMALL_SIZE + 6)
    legend, legend_height = _legend_svg(diagram.legend, legend_width, layout.height)
    width = legend_width
    height = layout.height + legend_height + notes_height + (8 if notes else 0)
    # Centre a drawing narrower than its legend.
    shift = (width - layout.width) / 2
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram-svg" id="{prefix}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="{_attr(FONT)}">',
        f'<title id="{title_id}">{escape(diagram.title)}</title>',
        f'<desc id="{desc_id}">{escape(diagram.description)}</desc>',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0 0 L10 5 L0 10 z" fill="{LINE}"/></marker></defs>',
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="{WHITE}"/>',
        f'<g transform="translate({_num(shift)} 0)">',
        '<g class="links">',
    ]
    for index, link in enumerate(known):
        route = routes.get((link.source, link.target))
        if route is not None and not link.hidden:
            out.extend(_link_svg(prefix, link, route, places.get(index)))
    out.append('</g><g class="nodes">')
    for node_id, s in sized.items():
        out.extend(_node_svg(prefix, s, layout.boxes[node_id]))
    out.append("</g></g>")
    out.extend(legend)
    y = layout.height + legend_height + SMALL_SIZE + 2
    for note in notes:
        out.append(
            f'<text class="note" x="16" y="{_num(y)}" font-size="{_num(SMALL_SIZE)}" '
            f'fill="{MUTED}">{escape(note)}</text>'
        )
        y += SMALL_SIZE + 6
    out.append("</svg>")
    return "\n".join(out)
