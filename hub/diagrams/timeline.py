"""A record timeline (信用记录时间轴): for each of an enterprise's latest records, the steps of
its life — decided, published, objected, corrected, repaired, revoked, publication ends.

The steps come from what the viewer may read: the record's versions (GraphQL `records` with
`includeHistory`: dates of decision and publication, corrections with their reason and date,
the current state) and, where the catalogue lets the viewer read them
(`operations.readChangeHistory`: the deciding department, the subject itself, the credit
office), the recorded events (`changeHistory`). The public sees the records in publication only,
so its timeline has no repaired or corrected steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Final

from authz.identity import Consumer
from graph.model import RecordKind, RecordStatus
from hub.diagrams.data import fetch
from hub.diagrams.svg import FONT, INK, LINE, MUTED, SMALL_SIZE, WHITE, wrap
from hub.kernel import Kernel

__all__ = [
    "RECORDS_SHOWN",
    "TIMELINE_FIELDS",
    "Step",
    "render_timeline_svg",
    "timeline_of",
    "timeline_steps",
    "timeline_svg",
]

RECORDS_SHOWN: Final = 6
"""Records on the timeline at most, newest decision first."""

TIMELINE_FIELDS: Final = """
  timeline: enterprise(uscc: $uscc) {
    uscc name
    records(first: 24, includeHistory: true) {
      edges { node {
        key version current kind title documentNumber decisionDate firstPublishedOn
        publishFrom publishUntil status changeReason changedOn
      } }
    }
  }
"""
"""The root field the timeline reads (variable ``$uscc``); the events come after, by record."""

RECORDS: Final = f"query DiagramTimeline($uscc: String!) {{{TIMELINE_FIELDS}}}"

EVENT_STEPS: Final[dict[str, tuple[str, str]]] = {
    "OBJECTION_FILED": ("objected", "提出异议"),
    "OBJECTION_DECIDED": ("objection-decided", "异议处理"),
    "RECORD_OBJECTION_CLEARED": ("objection-decided", "异议处理完毕"),
    "REPAIR_APPLIED": ("repair-applied", "申请修复"),
    "RECORD_REPAIRED": ("repaired", "信用修复"),
    "RECORD_REVOKED": ("revoked", "撤销"),
    "WITHDRAWN": ("withdrawn", "撤回"),
    "RECORD_PERFORMED": ("performed", "履行完毕"),
}
"""Recorded event types (graph/lifecycle) shown on the timeline, with their step and label."""

COLOURS: Final[dict[str, str]] = {
    "decided": "#0b4f8a",
    "published": "#2e86c1",
    "objected": "#b9570f",
    "objection-decided": "#b9570f",
    "corrected": "#6c3483",
    "repair-applied": "#1e8449",
    "repaired": "#1e8449",
    "revoked": "#7b8794",
    "withdrawn": "#7b8794",
    "performed": "#1e8449",
    "ends": "#52606d",
}


@dataclass(frozen=True)
class Step:
    """One step of a record's life: its kind (a stable code), label, day and detail."""

    kind: str
    label: str
    day: str | None
    detail: str | None = None


@dataclass(frozen=True)
class Lane:
    """One record and its steps, oldest first."""

    key: str
    heading: str
    number: str | None
    steps: tuple[Step, ...]


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def timeline_steps(versions: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[Step]:
    """The steps of one record from its versions (any order) and its recorded events."""
    versions = sorted(versions, key=lambda v: v["version"])
    first, current = versions[0], versions[-1]
    steps = [Step("decided", "作出决定", _day(first.get("decisionDate")))]
    published = first.get("firstPublishedOn") or first.get("publishFrom")
    if published:
        steps.append(Step("published", "公示", _day(published)))
    for version in versions[1:]:
        steps.append(
            Step(
                "corrected",
                f"更正（第{version['version']}版）",
                _day(version.get("changedOn")),
                version.get("changeReason"),
            )
        )
    recorded = set()
    for event in events:
        kind, label = EVENT_STEPS.get(str(event.get("type")), ("", ""))
        if kind:
            recorded.add(kind)
            steps.append(Step(kind, label, _day(event.get("at")), event.get("reason")))
    status = current.get("status")
    if status == RecordStatus.UNDER_OBJECTION.value and "objected" not in recorded:
        steps.append(Step("objected", "异议处理中", None))
    if status == RecordStatus.REPAIRED.value and "repaired" not in recorded:
        steps.append(Step("repaired", "信用修复", _day(current.get("changedOn"))))
    if status == RecordStatus.REVOKED.value and "revoked" not in recorded:
        steps.append(Step("revoked", "撤销", _day(current.get("changedOn"))))
    if current.get("publishUntil") and status != RecordStatus.REPAIRED.value:
        steps.append(Step("ends", "公示截止", _day(current.get("publishUntil"))))
    # Undated steps (a state without its event) stay where they were put: after the dated ones.
    order = {id(step): index for index, step in enumerate(steps)}
    return sorted(steps, key=lambda s: (s.day is None, s.day or "", order[id(s)]))


def lanes_of(records: list[dict[str, Any]], history: dict[str, list[dict[str, Any]]]) -> list[Lane]:
    """The newest `RECORDS_SHOWN` records (by decision) with their steps."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_key.setdefault(record["key"], []).append(record)
    ordered = sorted(
        by_key.items(),
        key=lambda item: str(max(v.get("decisionDate") or "" for v in item[1])),
        reverse=True,
    )[:RECORDS_SHOWN]
    lanes = []
    for key, versions in ordered:
        current = max(versions, key=lambda v: v["version"])
        kind = RecordKind.of(current["kind"]).label
        title = current.get("title")
        lanes.append(
            Lane(
                key,
                f"{kind} · {title}" if title else kind,
                current.get("documentNumber"),
                tuple(timeline_steps(versions, history.get(key, []))),
            )
        )
    return lanes


CHIP_W: Final = 92.0
CHIP_H: Final = 38.0
GAP: Final = 16.0
WIDTH: Final = 344.0
"""Narrow enough for a phone (390 px) without scaling; longer lanes wrap onto more rows."""


def timeline_svg(name: str, uscc: str, lanes: list[Lane]) -> str:
    """The lanes as one ``<svg>``: per record its heading, then its steps as dated chips joined
    by arrows, wrapping onto further rows within the width."""
    per_row = int((WIDTH - 16 + GAP) // (CHIP_W + GAP))
    prefix = f"timeline-{uscc}"
    body: list[str] = []
    y = 12.0
    for lane in lanes:
        full = lane.heading + (f"（{lane.number}）" if lane.number else "")
        body.append(
            f'<g class="lane" data-record="{escape(lane.key, quote=True)}">'
            f"<title>{escape(full)}</title>"
        )
        for line in wrap(lane.heading, WIDTH - 32, 13.0, 2):
            body.append(
                f'<text x="16" y="{y + 13:.1f}" font-size="13" font-weight="bold" '
                f'fill="{INK}">{escape(line)}</text>'
            )
            y += 18
        if lane.number:
            number = wrap(lane.number, WIDTH - 32, SMALL_SIZE, 1)[0]
            body.append(
                f'<text x="16" y="{y + SMALL_SIZE:.1f}" font-size="{SMALL_SIZE:.0f}" '
                f'fill="{MUTED}">{escape(number)}</text>'
            )
            y += SMALL_SIZE + 5
        y += 5
        for index, step in enumerate(lane.steps):
            col, row = index % per_row, index // per_row
            x = 16 + col * (CHIP_W + GAP)
            top = y + row * (CHIP_H + 10)
            colour = COLOURS.get(step.kind, LINE)
            tip = f"{step.label} {step.day or ''}" + (f"：{step.detail}" if step.detail else "")
            label = wrap(step.label, CHIP_W - 12, 12.0, 1)[0]
            middle = x + CHIP_W / 2 + 2
            body.append(
                f'<g class="step step-{step.kind}" data-step="{step.kind}">'
                f"<title>{escape(tip)}</title>"
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{CHIP_W:.0f}" '
                f'height="{CHIP_H:.0f}" rx="6" fill="{WHITE}" stroke="{colour}" '
                f'stroke-width="1.6"/>'
                f'<rect x="{x:.1f}" y="{top:.1f}" width="5" height="{CHIP_H:.0f}" rx="2" '
                f'fill="{colour}"/>'
                f'<text x="{middle:.1f}" y="{top + 15:.1f}" text-anchor="middle" '
                f'font-size="12" fill="{INK}">{escape(label)}</text>'
                f'<text x="{middle:.1f}" y="{top + 31:.1f}" text-anchor="middle" '
                f'font-size="{SMALL_SIZE:.0f}" fill="{MUTED}">{escape(step.day or "—")}</text></g>'
            )
            if col < per_row - 1 and index < len(lane.steps) - 1:
                ax = x + CHIP_W + 2
                ay = top + CHIP_H / 2
                body.append(
                    f'<path d="M{ax:.1f} {ay:.1f} L{ax + GAP - 5:.1f} {ay:.1f}" stroke="{LINE}" '
                    f'stroke-width="1.3" marker-end="url(#{prefix}-arrow)"/>'
                )
        rows = max(1, -(-len(lane.steps) // per_row))
        y += rows * (CHIP_H + 10) + 12
        body.append("</g>")
    if not lanes:
        body.append(
            f'<text x="16" y="{y + 14:.1f}" font-size="13" fill="{MUTED}">'
            "暂无可显示的信用记录。</text>"
        )
        y += 28
    height = y + 4
    title = f"{name} 信用记录时间轴"
    desc = (
        f"{name} 最近 {len(lanes)} 条信用记录的决定、公示、异议、更正、修复等环节，按日期先后排列"
    )
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram-svg" id="{prefix}" '
        f'viewBox="0 0 {WIDTH:.0f} {height:.0f}" width="{WIDTH:.0f}" height="{height:.0f}" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'font-family="{escape(FONT, quote=True)}">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0 L10 5 L0 10 z" '
        f'fill="{LINE}"/></marker></defs>',
        f'<rect width="{WIDTH:.0f}" height="{height:.0f}" fill="{WHITE}"/>',
    ]
    return "\n".join([*head, *body, "</svg>"])


def _history_document(count: int) -> str:
    variables = ", ".join(f"$k{i}: String!" for i in range(count))
    fields = " ".join(
        f"h{i}: changeHistory(recordKey: $k{i}) {{ type at reason }}" for i in range(count)
    )
    return f"query DiagramRecordEvents({variables}) {{ {fields} }}"


async def render_timeline_svg(kernel: Kernel, consumer: Consumer, uscc: str) -> str | None:
    """The record timeline of `uscc` as `consumer` may see it; None when there is no such
    enterprise. Recorded events are added where the catalogue lets the consumer read them."""
    data = await fetch(kernel, consumer, RECORDS, {"uscc": uscc}, detail=f"信用记录时间轴 {uscc}")
    return await timeline_of(kernel, consumer, data)


async def timeline_of(kernel: Kernel, consumer: Consumer, data: dict[str, Any]) -> str | None:
    """The timeline of what `TIMELINE_FIELDS` answered, with the records' events where the
    catalogue lets `consumer` read them; None when there is no such enterprise."""
    enterprise = data.get("timeline")
    if enterprise is None:
        return None
    uscc = str(enterprise["uscc"])
    records = [edge["node"] for edge in (enterprise.get("records") or {}).get("edges") or []]
    keys = [lane.key for lane in lanes_of(records, {})]
    history: dict[str, list[dict[str, Any]]] = {}
    if keys:
        roots = frozenset(f"h{i}" for i in range(len(keys)))
        events = await fetch(
            kernel,
            consumer,
            _history_document(len(keys)),
            {f"k{i}": key for i, key in enumerate(keys)},
            detail=f"信用记录时间轴 {uscc}",
            tolerate=roots,
        )
        history = {key: list(events.get(f"h{i}") or []) for i, key in enumerate(keys)}
    return timeline_svg(
        str(enterprise["name"]), str(enterprise["uscc"]), lanes_of(records, history)
    )
