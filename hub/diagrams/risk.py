"""A risk alert's evidence drawn: the paths of GraphQL `riskAlert` that explain it (which person
links the enterprise to the black-listed one, which departments' records cluster …).

Reading alerts is the catalogue's `operations.readRiskAlerts`; a viewer it refuses gets
`DiagramRefused`. Persons appear with the name the viewer may see.
"""

from __future__ import annotations

from typing import Any, Final

from authz.identity import Consumer
from graph.model import Rel, RoleKind
from hub.diagrams.data import fetch
from hub.diagrams.svg import Diagram, LegendItem, Link, Node, render
from hub.kernel import Kernel

__all__ = ["RISK_ALERT", "render_risk_svg", "risk_diagram"]

RISK_ALERT: Final = """
query DiagramRiskAlert($id: ID!) {
  riskAlert(id: $id) {
    id signalLabel status score summary subject { code name }
    evidence { summary steps { kind code name nameMasked relationship forward } }
  }
}
"""

RELATIONSHIPS: Final[dict[str, str]] = {
    **{role.rel.value: role.label for role in RoleKind},
    Rel.HAS_SUBJECT.value: "涉及主体",
    Rel.PROVIDED_BY.value: "提供部门",
    Rel.DECIDED_BY.value: "决定机关",
    Rel.IMPOSED_BY.value: "实施部门",
    Rel.PREVIOUS_REVISION.value: "变更前登记",
    Rel.LINKED_PERSON.value: "责任人员",
    Rel.BASED_ON.value: "认定依据",
}
"""Relationship types as people read them; others are shown as they are."""

KINDS: Final[dict[str, tuple[str, str]]] = {
    "Enterprise": ("enterprise", "市场主体"),
    "Person": ("person", "自然人"),
    "Record": ("record", "信用记录"),
    "ListEntry": ("record", "名单"),
    "Ban": ("record", "禁入决定"),
    "Department": ("event", "部门"),
    "EnterpriseRevision": ("record", "变更前登记"),
}
"""Each step kind's look and label."""


def risk_diagram(data: dict[str, Any]) -> Diagram | None:
    """The evidence paths of the alert `RISK_ALERT` answered; None when there is none."""
    alert = data.get("riskAlert")
    if alert is None:
        return None
    subject = alert.get("subject") or {}
    nodes: dict[str, Node] = {}
    links: dict[tuple[str, str], Link] = {}
    for evidence in alert.get("evidence") or []:
        steps = evidence.get("steps") or []
        ids: list[str] = []
        for step in steps:
            node_id = f"{step['kind']}:{step['code']}"
            ids.append(node_id)
            if node_id in nodes:
                continue
            look, kind_label = KINDS.get(step["kind"], ("record", step["kind"]))
            if step["code"] == subject.get("code"):
                look = "subject"
            label = str(step.get("name") or step.get("nameMasked") or step["code"])
            nodes[node_id] = Node(
                id=node_id,
                label=label,
                title=f"{kind_label}：{label}",
                look=look,
                sublabel=kind_label,
                href=f"/enterprise/{step['code']}" if step["kind"] == "Enterprise" else None,
            )
        for index, step in enumerate(steps[:-1]):
            words = RELATIONSHIPS.get(step.get("relationship") or "", step.get("relationship"))
            here, there = ids[index], ids[index + 1]
            source, target = (here, there) if step.get("forward", True) else (there, here)
            links.setdefault(
                (source, target),
                Link(
                    source,
                    target,
                    title=f"{nodes[source].label} → {nodes[target].label}：{words or ''}",
                    label=words,
                ),
            )
    summaries = [str(e["summary"]) for e in alert.get("evidence") or [] if e.get("summary")]
    name = subject.get("name") or subject.get("code") or ""
    return Diagram(
        id=f"risk-{alert['id']}",
        title=f"风险预警：{alert.get('signalLabel') or ''} · {name}",
        description=str(alert.get("summary") or "；".join(summaries)),
        nodes=tuple(nodes.values()),
        links=tuple(links.values()),
        legend=(
            LegendItem("预警主体", look="subject"),
            LegendItem("市场主体", look="enterprise"),
            LegendItem("自然人", look="person"),
            LegendItem("记录、名单", look="record"),
            LegendItem("部门", look="event"),
        ),
        notes=tuple(summaries[:4]),
    )


async def render_risk_svg(kernel: Kernel, consumer: Consumer, alert_id: str) -> str | None:
    """The evidence of alert `alert_id` as `consumer` may see it; None when there is no such
    alert. Raises `DiagramRefused` when the catalogue refuses risk alerts to the consumer."""
    data = await fetch(
        kernel, consumer, RISK_ALERT, {"id": alert_id}, detail=f"风险预警路径图 {alert_id}"
    )
    diagram = risk_diagram(data)
    return render(diagram) if diagram is not None else None
