"""关联图谱: an enterprise, the people behind it, its shareholders and investments, and the other
enterprises those people and holdings reach (GraphQL `enterprise` and `relatedEnterprises`).

Persons are drawn with the name the viewer may see (`Person.name` where the catalogue shares it,
else the de-identified name); shares appear only where `Shareholder.share` / `Investment.share`
are shared with the viewer. Black-listed, banned and red-listed enterprises carry their marks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from authz.identity import Consumer
from graph.model import RoleKind
from hub.diagrams.data import fetch
from hub.diagrams.marks import (
    ENTERPRISE_FIELDS,
    LEGEND_MARKS,
    PERSON_FIELDS,
    enterprise_tags,
    percent,
    person_name,
    role_label,
)
from hub.diagrams.svg import Diagram, LegendItem, Link, Node, render
from hub.kernel import Kernel

__all__ = [
    "NETWORK",
    "NETWORK_FIELDS",
    "RELATED_SHOWN",
    "network_diagram",
    "render_network",
    "render_network_svg",
]

RELATED_SHOWN: Final = 12
"""Related enterprises drawn at most, nearest first (a picture of more is not legible)."""


NETWORK_FIELDS: Final = f"""
  enterprise(uscc: $uscc) {{
    {ENTERPRISE_FIELDS}
    people {{ role title share person {{ {PERSON_FIELDS} }} }}
    shareholders {{ share person {{ key }} enterprise {{ {ENTERPRISE_FIELDS} }} }}
    investments {{ share enterprise {{ {ENTERPRISE_FIELDS} }} }}
  }}
  relatedEnterprises(uscc: $uscc, maxHops: 2, first: {RELATED_SHOWN + 1}) {{
    distance relations via {{ {PERSON_FIELDS} }}
    enterprise {{ {ENTERPRISE_FIELDS} }}
  }}
"""
"""The root fields the 关联图谱 reads (variable ``$uscc``)."""

NETWORK: Final = f"query DiagramNetwork($uscc: String!) {{{NETWORK_FIELDS}}}"


def _eid(uscc: str) -> str:
    return f"E:{uscc}"


def _pid(key: str) -> str:
    return f"P:{key}"


def _enterprise_node(enterprise: dict[str, Any], look: str = "enterprise") -> Node:
    tags = enterprise_tags(enterprise)
    marks = "、".join(tag.text for tag in tags)
    title = f"{enterprise['name']}（{enterprise['uscc']}）" + (f"：{marks}" if marks else "")
    return Node(
        id=_eid(enterprise["uscc"]),
        label=str(enterprise["name"]),
        title=title,
        look=look,
        tags=tags,
        href=f"/enterprise/{enterprise['uscc']}",
    )


def _toward(source: str, center: str, title: str, label: str | None = None) -> Link:
    """A link into the enterprise, laid out from it: the enterprise stands first (left), the
    people and shareholders next, the enterprises they reach last."""
    return Link(source, center, title=title, label=label, placed_backwards=True)


@dataclass
class _Builder:
    subject: dict[str, Any]
    nodes: dict[str, Node] = field(default_factory=dict)
    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    person_roles: dict[str, dict[str, str]] = field(default_factory=dict)
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)

    def enterprise(self, enterprise: dict[str, Any]) -> str:
        node = _enterprise_node(enterprise)
        self.nodes.setdefault(node.id, node)
        return node.id

    def person(self, person: dict[str, Any], role: str | None, words: str | None = None) -> str:
        """The person's node id; `role` (a RoleKind code) in this enterprise, described by
        `words` (its label by default), is noted once."""
        node_id = _pid(person["key"])
        self.persons.setdefault(node_id, person)
        roles = self.person_roles.setdefault(node_id, {})
        if role and role not in roles:
            roles[role] = words or role_label(role)
        return node_id

    def link(self, link: Link) -> None:
        self.links.setdefault((link.source, link.target), link)

    def person_nodes(self) -> None:
        for node_id, person in self.persons.items():
            roles = list(self.person_roles.get(node_id, {}).values())
            name = person_name(person)
            self.nodes[node_id] = Node(
                id=node_id,
                label=name,
                title=f"自然人 {name}" + (f"：{'、'.join(roles)}" if roles else ""),
                look="person",
                sublabel="、".join(roles) if roles else None,
            )


def network_diagram(data: dict[str, Any]) -> Diagram | None:
    """The 关联图谱 of the data `NETWORK` answered; None when there is no such enterprise."""
    subject = data.get("enterprise")
    if subject is None:
        return None
    b = _Builder(subject)
    center = _enterprise_node(subject, look="subject")
    b.nodes[center.id] = center
    name = str(subject["name"])
    for role in subject.get("people") or []:
        person = role["person"]
        kind = role["role"]
        words = role_label(kind)
        if kind == RoleKind.SHAREHOLDER.value and percent(role.get("share")):
            words += f" {percent(role.get('share'))}"
        elif kind == RoleKind.PRINCIPAL.value and role.get("title"):
            words = str(role["title"])
        node_id = b.person(person, kind, words)
        b.link(_toward(node_id, center.id, f"{person_name(person)} → {name}"))
    for holder in subject.get("shareholders") or []:
        if holder.get("enterprise") is None:
            continue
        node_id = b.enterprise(holder["enterprise"])
        share = percent(holder.get("share"))
        label = "股东" + (f" {share}" if share else "")
        b.link(_toward(node_id, center.id, f"{holder['enterprise']['name']} 持有 {name}", label))
    for investment in subject.get("investments") or []:
        if investment.get("enterprise") is None:
            continue
        node_id = b.enterprise(investment["enterprise"])
        share = percent(investment.get("share"))
        label = "投资" + (f" {share}" if share else "")
        b.link(
            Link(
                center.id,
                node_id,
                title=f"{name} 投资 {investment['enterprise']['name']}",
                label=label,
            )
        )
    related = list(data.get("relatedEnterprises") or [])
    for item in related[:RELATED_SHOWN]:
        other = item["enterprise"]
        other_id = b.enterprise(other)
        relations = list(item.get("relations") or [])
        via = list(item.get("via") or [])
        if via:
            first, last = via[0], via[-1]
            first_id = b.person(first, relations[0] if relations else None)
            b.link(_toward(first_id, center.id, f"{person_name(first)} → {name}"))
            last_id = _pid(last["key"])
            b.person(last, None)
            role = role_label(relations[-1]) if relations else "关联"
            b.link(
                Link(
                    last_id,
                    other_id,
                    title=f"{person_name(last)} 是 {other['name']} 的{role}",
                    label=role,
                )
            )
        elif (center.id, other_id) not in b.links and (other_id, center.id) not in b.links:
            words = "股权关联" if item.get("distance") == 1 else "间接股权关联"
            b.link(
                Link(
                    center.id,
                    other_id,
                    title=f"{name} 与 {other['name']}：{words}",
                    label=words,
                    dashed=True,
                )
            )
    b.person_nodes()
    masked = any(not p.get("name") for p in b.persons.values())
    notes: list[str] = []
    if len(related) > RELATED_SHOWN:
        notes.append(f"关联企业较多，仅显示关系最近的 {RELATED_SHOWN} 家。")
    if masked:
        notes.append("自然人姓名已作去标识化处理。")
    legend = (
        LegendItem("本企业", look="subject"),
        LegendItem("关联企业", look="enterprise"),
        LegendItem("自然人", look="person"),
        *LEGEND_MARKS,
        LegendItem("间接或股权关联", dashed_line=True),
    )
    others = sum(1 for node in b.nodes.values() if node.id.startswith("E:")) - 1
    return Diagram(
        id=f"network-{subject['uscc']}",
        title=f"{name} 关联图谱",
        description=(
            f"{name}（{subject['uscc']}）的法定代表人、主要人员、股东及其关联的 "
            f"{others} 家企业、{len(b.persons)} 名自然人"
        ),
        nodes=tuple(b.nodes.values()),
        links=tuple(b.links.values()),
        legend=legend,
        notes=tuple(notes),
    )


async def render_network_svg(kernel: Kernel, consumer: Consumer, uscc: str) -> str | None:
    """The 关联图谱 of `uscc` as `consumer` may see it, as an ``<svg>`` element; None when the
    network has no such enterprise. Raises `DiagramRefused` when the catalogue refuses."""
    data = await fetch(kernel, consumer, NETWORK, {"uscc": uscc}, detail=f"关联图谱 {uscc}")
    diagram = network_diagram(data)
    return render_network(diagram) if diagram is not None else None


def render_network(diagram: Diagram) -> str:
    """A 关联图谱 drawn left to right: the enterprise, its people, what they reach."""
    return render(diagram, rightward=True, yspace=96.0, xspace=14.0)
