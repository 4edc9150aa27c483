"""The pictures of an enterprise's page, drawn for one viewer: 关联图谱, 股权穿透图, timeline.

Their data come in one GraphQL document (one execution and one audit entry, where three
separate ones would cost three), then the timeline's events in a second one. A penetration the
catalogue refuses the viewer leaves that picture out, the others are drawn all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from authz.identity import Consumer
from hub.diagrams.data import DiagramRefused, fetch
from hub.diagrams.network import NETWORK_FIELDS, network_diagram, render_network
from hub.diagrams.ownership import OWNERSHIP_FIELDS, ownership_diagram
from hub.diagrams.svg import render
from hub.diagrams.timeline import TIMELINE_FIELDS, timeline_of
from hub.kernel import Kernel

__all__ = ["ENTERPRISE_PICTURES", "EnterpriseDiagrams", "enterprise_diagrams"]

ENTERPRISE_PICTURES: Final = (
    "query DiagramEnterprise($uscc: String!) {"
    + NETWORK_FIELDS
    + OWNERSHIP_FIELDS
    + TIMELINE_FIELDS
    + "}"
)


@dataclass(frozen=True)
class EnterpriseDiagrams:
    """The SVG of each picture, or None where there is nothing the viewer may see."""

    network: str | None
    ownership: str | None
    timeline: str | None


async def enterprise_diagrams(kernel: Kernel, consumer: Consumer, uscc: str) -> EnterpriseDiagrams:
    """The enterprise page's pictures as `consumer` may see them."""
    try:
        data = await fetch(
            kernel,
            consumer,
            ENTERPRISE_PICTURES,
            {"uscc": uscc},
            detail=f"企业图谱 {uscc}",
            tolerate=frozenset({"ownershipPenetration"}),
        )
        network = network_diagram(data)
        ownership = ownership_diagram(data)
        timeline = await timeline_of(kernel, consumer, data)
    except DiagramRefused:
        # The catalogue gives this viewer none of it: the page goes without pictures.
        return EnterpriseDiagrams(None, None, None)
    return EnterpriseDiagrams(
        render_network(network) if network is not None else None,
        render(ownership) if ownership is not None else None,
        timeline,
    )
