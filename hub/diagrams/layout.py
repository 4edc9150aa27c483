"""Layered (Sugiyama) layout of a directed graph, by grandalf.

`layered` places boxes of given sizes in layers along the edges' direction (sources on top),
orders each layer to reduce crossings, and routes every edge as a polyline through the dummy
points grandalf inserts for edges spanning several layers. Cycles are laid out too (grandalf
reverses a feedback edge for the ranking; the route still runs from source to target).
Disconnected parts are laid out one by one and set side by side. Coordinates are box centres,
shifted so the drawing starts at (`margin`, `margin`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from grandalf.routing import EdgeViewer, route_with_lines

__all__ = ["Box", "Layout", "Route", "layered"]

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A node's place: its centre and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def left(self) -> float:
        """Its left edge."""
        return self.x - self.w / 2

    @property
    def top(self) -> float:
        """Its top edge."""
        return self.y - self.h / 2


@dataclass(frozen=True)
class Route:
    """An edge's polyline, from the source box's border to the target box's border."""

    source: str
    target: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Layout:
    """Where every node and edge goes, and the size of the whole drawing."""

    boxes: dict[str, Box]
    routes: tuple[Route, ...]
    width: float
    height: float


class _View:
    """The size and position grandalf reads and writes on a vertex."""

    def __init__(self, w: float, h: float) -> None:
        self.w = w
        self.h = h
        self.xy: Point = (0.0, 0.0)


def layered(
    sizes: Sequence[tuple[str, float, float]],
    edges: Sequence[tuple[str, str]],
    *,
    xspace: float = 24.0,
    yspace: float = 56.0,
    gap: float = 40.0,
    margin: float = 16.0,
    rightward: bool = False,
) -> Layout:
    """Lay out nodes (id, width, height) and directed edges (source id, target id).

    `xspace` and `yspace` are the least gaps between boxes of one layer and between layers,
    `gap` the space between disconnected parts. An edge naming an unknown node is an error;
    duplicate edges are drawn once. `rightward` lays the layers out as columns, sources on the
    left (`yspace` is then the gap between columns, `xspace` between boxes of a column).
    """
    vertices = {node: Vertex(node) for node, _, _ in sizes}
    for node, w, h in sizes:
        # Rightward: grandalf lays out the transposed drawing, transposed back below.
        vertices[node].view = _View(h, w) if rightward else _View(w, h)
    unique = list(dict.fromkeys((s, t) for s, t in edges if s != t))
    graph = Graph(list(vertices.values()), [Edge(vertices[s], vertices[t]) for s, t in unique])
    boxes: dict[str, Box] = {}
    routes: list[Route] = []
    offset = margin
    height = 0.0
    for component in graph.C:
        for edge in component.sE:
            edge.view = EdgeViewer()
        sugiyama = SugiyamaLayout(component)
        sugiyama.xspace = xspace
        sugiyama.yspace = yspace
        sugiyama.route_edge = route_with_lines
        sugiyama.init_all()
        sugiyama.draw(3)
        placed = {v.data: v.view for v in component.sV}
        if rightward:
            for view in placed.values():
                view.w, view.h = view.h, view.w
                view.xy = (view.xy[1], view.xy[0])
            for edge in component.sE:
                points = getattr(edge.view, "_pts", None) or []
                edge.view._pts = [(y, x) for x, y in points]
        left = min(view.xy[0] - view.w / 2 for view in placed.values())
        top = min(view.xy[1] - view.h / 2 for view in placed.values())
        right = max(view.xy[0] + view.w / 2 for view in placed.values())
        bottom = max(view.xy[1] + view.h / 2 for view in placed.values())
        dx, dy = offset - left, margin - top
        for node, view in placed.items():
            boxes[node] = Box(view.xy[0] + dx, view.xy[1] + dy, view.w, view.h)
        for edge in component.sE:
            source, target = edge.v[0].data, edge.v[1].data
            points = tuple((x + dx, y + dy) for x, y in getattr(edge.view, "_pts", ()) or ())
            if len(points) < 2:
                points = (boxes[source].x, boxes[source].y), (boxes[target].x, boxes[target].y)
            routes.append(Route(source, target, points))
        offset += right - left + gap
        height = max(height, bottom - top)
    width = offset - gap + margin if boxes else 2 * margin
    if rightward:
        routes = _sideways(boxes, routes)
    return Layout(boxes, tuple(routes), width, height + 2 * margin)


def _spread(count: int, box: Box) -> list[float]:
    """`count` heights within `box`'s side, centred, at most 8 apart."""
    step = min(8.0, (box.h - 8) / max(count, 1))
    return [box.y + (i - (count - 1) / 2) * step for i in range(count)]


def _sideways(boxes: dict[str, Box], routes: list[Route]) -> list[Route]:
    """Routes of a rightward layout leaving and entering boxes by their sides, never their top
    or bottom (a steep line would cross the boxes below in the same column); the ends on one
    side are spread in the order of where their routes go."""
    ends: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    for index, route in enumerate(routes):
        source, target = boxes[route.source], boxes[route.target]
        forward = target.x >= source.x
        toward_target = route.points[1] if len(route.points) > 2 else (target.x, target.y)
        toward_source = route.points[-2] if len(route.points) > 2 else (source.x, source.y)
        out_side = "right" if forward else "left"
        in_side = "left" if forward else "right"
        ends.setdefault((route.source, out_side), []).append((toward_target[1], index, 0))
        ends.setdefault((route.target, in_side), []).append((toward_source[1], index, -1))
    points = [list(route.points) for route in routes]
    for (node, side), found in ends.items():
        box = boxes[node]
        x = box.left + box.w if side == "right" else box.left
        for y, (_, index, end) in zip(_spread(len(found), box), sorted(found), strict=True):
            points[index][end] = (x, y)
    return [Route(r.source, r.target, tuple(p)) for r, p in zip(routes, points, strict=True)]
