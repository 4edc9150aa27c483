"""The pictures of an enterprise's page, drawn for one viewer: 关联图谱, 股权穿透图, timeline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from authz.identity import Consumer
from hub.diagrams.data import DiagramRefused
from hub.diagrams.network import render_network_svg
from hub.diagrams.ownership import render_ownership_svg
from hub.diagrams.timeline import render_timeline_svg
from hub.kernel import Kernel

__all__ = ["EnterpriseDiagrams", "enterprise_diagrams"]


@dataclass(frozen=True)
class EnterpriseDiagrams:
    """The SVG of each picture, or None where there is nothing the viewer may see."""

    network: str | None
    ownership: str | None
    timeline: str | None


async def _unless_refused(drawing: asyncio.Future[str | None]) -> str | None:
    try:
        return await drawing
    except DiagramRefused:
        # The catalogue does not give this viewer the picture's data: the page goes without it.
        return None


async def enterprise_diagrams(kernel: Kernel, consumer: Consumer, uscc: str) -> EnterpriseDiagrams:
    """The enterprise page's pictures as `consumer` may see them (each its own audit entry)."""
    network, ownership, timeline = await asyncio.gather(
        _unless_refused(asyncio.ensure_future(render_network_svg(kernel, consumer, uscc))),
        _unless_refused(asyncio.ensure_future(render_ownership_svg(kernel, consumer, uscc))),
        _unless_refused(asyncio.ensure_future(render_timeline_svg(kernel, consumer, uscc))),
    )
    return EnterpriseDiagrams(network, ownership, timeline)
