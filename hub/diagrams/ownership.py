"""股权穿透图: the holders of an enterprise up to its ultimate holders, from GraphQL
`ownershipPenetration`, with effective shares, controllers and beneficial owners marked; and the
same chain as an indented text tree (`ownership_tree`, used by `credithub ownership`).

Who may penetrate whom, and see which shares, is the catalogue's (`operations.ownershipPenetration`,
the financial class of the holdings): a viewer it refuses gets `DiagramRefused`, a viewer whose
holdings are withheld no drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from authz.identity import Consumer
from hub.diagrams.data import fetch
from hub.diagrams.marks import (
    BENEFICIAL,
    CONTROL,
    ENTERPRISE_FIELDS,
    ULTIMATE,
    enterprise_tags,
    percent,
)
from hub.diagrams.svg import Diagram, LegendItem, Link, Node, Tag, render
from hub.kernel import Kernel

__all__ = [
    "OWNERSHIP",
    "OWNERSHIP_FIELDS",
    "hops_of",
    "ownership_diagram",
    "ownership_tree",
    "render_ownership_svg",
]

_PARTY: Final = "party { code isPerson name nameMasked }"

OWNERSHIP_FIELDS: Final = f"""
  ownershipPenetration(uscc: $uscc) {{
    subject {{ code isPerson name nameMasked }}
    holders {{
      {_PARTY} effectiveShare directShare layer ultimate beyondLimit beneficialOwner controls
      paths {{ hops {{ holder held share }} }}
    }}
    controllers {{ {_PARTY} basisLabel }}
    circularShare depthLimitReached withheldHoldings
  }}
  flags: enterprise(uscc: $uscc) {{ {ENTERPRISE_FIELDS} }}
"""
"""The root fields the 股权穿透图 reads (variable ``$uscc``)."""

OWNERSHIP: Final = f"query DiagramOwnership($uscc: String!) {{{OWNERSHIP_FIELDS}}}"

BEYOND: Final = Tag("未穿透完", "#7b8794")

Hop = tuple[str, str, float]


def hops_of(paths: Iterable[Iterable[Hop]]) -> dict[tuple[str, str], float]:
    """Every shareholding (holder, held) → share that the paths run through, each once."""
    found: dict[tuple[str, str], float] = {}
    for path in paths:
        for holder, held, share in path:
            found.setdefault((holder, held), share)
    return found


def ownership_tree(
    subject: str,
    hops: Mapping[tuple[str, str], float],
    label: Callable[[str], str],
    *,
    indent: str = "",
) -> list[str]:
    """The holders of `subject` as an indented tree, one line per holding: the direct share,
    then `label(code)`. A holder already on the branch (a cycle) is named, not followed."""
    holders: dict[str, list[tuple[str, float]]] = {}
    for (holder, held), share in hops.items():
        holders.setdefault(held, []).append((holder, share))
    for children in holders.values():
        children.sort(key=lambda child: (-child[1], child[0]))
    lines = [indent + label(subject)]

    def walk(held: str, prefix: str, branch: frozenset[str]) -> None:
        children = holders.get(held, [])
        for index, (holder, share) in enumerate(children):
            last = index == len(children) - 1
            joint = "└─ " if last else "├─ "
            pct = percent(share) or ""
            if holder in branch:
                lines.append(f"{prefix}{joint}{pct:>7}  {label(holder)}  ↺ 循环持股，不再展开")
                continue
            lines.append(f"{prefix}{joint}{pct:>7}  {label(holder)}")
            walk(holder, prefix + ("   " if last else "│  "), branch | {holder})

    walk(subject, indent, frozenset({subject}))
    return lines


def _party_name(party: Mapping[str, Any]) -> str:
    if party.get("isPerson"):
        return str(party.get("name") or party.get("nameMasked") or "自然人")
    return str(party.get("name") or party.get("code"))


def ownership_diagram(data: dict[str, Any]) -> Diagram | None:
    """The 股权穿透图 of what `OWNERSHIP` answered; None without an answer or without holders
    the viewer may see."""
    found = data.get("ownershipPenetration")
    if found is None or found.get("holders") is None:
        return None
    subject = found["subject"]
    name = _party_name(subject)
    nodes: dict[str, Node] = {
        subject["code"]: Node(
            id=subject["code"],
            label=name,
            title=f"{name}（{subject['code']}）",
            look="subject",
            tags=enterprise_tags(data.get("flags") or {}),
            href=f"/enterprise/{subject['code']}",
        )
    }
    controllers = {c["party"]["code"]: c for c in found.get("controllers") or [] if c.get("party")}
    paths: list[list[Hop]] = []
    for holder in found["holders"]:
        party = holder["party"]
        tags: list[Tag] = []
        if holder.get("ultimate"):
            tags.append(ULTIMATE)
        if holder.get("beneficialOwner"):
            tags.append(BENEFICIAL)
        if holder.get("controls") or party["code"] in controllers:
            tags.append(CONTROL)
        if holder.get("beyondLimit"):
            tags.append(BEYOND)
        effective = percent(holder.get("effectiveShare")) or "—"
        holder_name = _party_name(party)
        marks = "、".join(tag.text for tag in tags)
        nodes[party["code"]] = Node(
            id=party["code"],
            label=holder_name,
            title=f"{holder_name}：穿透持股 {effective}" + (f"（{marks}）" if marks else ""),
            look="person" if party.get("isPerson") else "enterprise",
            sublabel=f"穿透持股 {effective}",
            tags=tuple(tags),
            href=None if party.get("isPerson") else f"/enterprise/{party['code']}",
            data=(
                ("effective-share", repr(float(holder.get("effectiveShare") or 0.0))),
                ("ultimate", "1" if holder.get("ultimate") else "0"),
            ),
        )
        for path in holder.get("paths") or []:
            paths.append([(h["holder"], h["held"], float(h["share"])) for h in path["hops"]])
    links = [
        Link(
            holder,
            held,
            title=f"{nodes[holder].label} 直接持有 {nodes[held].label} {percent(share)}",
            label=percent(share),
        )
        for (holder, held), share in hops_of(paths).items()
        if holder in nodes and held in nodes
    ]
    for code, controller in controllers.items():
        if code not in nodes:
            party = controller["party"]
            who = _party_name(party)
            nodes[code] = Node(
                id=code,
                label=who,
                title=f"{who}：{controller.get('basisLabel') or '实际控制人'}",
                look="person" if party.get("isPerson") else "enterprise",
                sublabel=str(controller.get("basisLabel") or "实际控制人"),
                tags=(CONTROL,),
            )
            links.append(
                Link(
                    code,
                    subject["code"],
                    title=f"{who} 实际控制 {name}",
                    label="实际控制",
                    dashed=True,
                )
            )
    notes: list[str] = []
    circular = float(found.get("circularShare") or 0.0)
    if circular > 0:
        notes.append(f"循环持股 {percent(circular)} 不归属任何股东。")
    if found.get("depthLimitReached"):
        notes.append("已达穿透层数上限，更上层股东未展开。")
    if found.get("withheldHoldings"):
        notes.append(f"另有 {found['withheldHoldings']} 项持股关系未向您共享。")
    return Diagram(
        id=f"ownership-{subject['code']}",
        title=f"{name} 股权穿透图",
        description=(
            f"{name} 的 {len(found['holders'])} 个直接和间接股东，箭头由股东指向被持股企业，"
            "标注直接持股比例；方框内为穿透持股比例"
        ),
        nodes=tuple(nodes.values()),
        links=tuple(links),
        legend=(
            LegendItem("被穿透企业", look="subject"),
            LegendItem("企业股东", look="enterprise"),
            LegendItem("自然人股东", look="person"),
            LegendItem("最终股东", colour=ULTIMATE.colour),
            LegendItem("受益所有人", colour=BENEFICIAL.colour),
            LegendItem("控制人", colour=CONTROL.colour),
        ),
        notes=tuple(notes),
    )


async def render_ownership_svg(kernel: Kernel, consumer: Consumer, uscc: str) -> str | None:
    """The 股权穿透图 of `uscc` as `consumer` may see it; None when there is nothing to draw.
    Raises `DiagramRefused` when the catalogue refuses the penetration."""
    data = await fetch(kernel, consumer, OWNERSHIP, {"uscc": uscc}, detail=f"股权穿透图 {uscc}")
    diagram = ownership_diagram(data)
    return render(diagram) if diagram is not None else None
