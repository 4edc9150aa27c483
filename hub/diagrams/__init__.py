"""Diagrams drawn on the server as SVG: 关联图谱, 股权穿透图, risk evidence paths, record timelines.

`layout` places nodes with a layered (Sugiyama) layout (grandalf); `svg` writes the drawing.
The other modules fetch their data through the kernel as the asking consumer (`data.fetch`),
so the sharing catalogue decides what each viewer sees, and turn it into a `svg.Diagram`.
No web framework here: the site, the reports and the signed-in pages all reuse these.
"""

from hub.diagrams.data import DiagramFailed, DiagramRefused
from hub.diagrams.enterprise import EnterpriseDiagrams, enterprise_diagrams
from hub.diagrams.network import render_network_svg
from hub.diagrams.ownership import render_ownership_svg
from hub.diagrams.risk import render_risk_svg
from hub.diagrams.timeline import render_timeline_svg

__all__ = [
    "DiagramFailed",
    "DiagramRefused",
    "EnterpriseDiagrams",
    "enterprise_diagrams",
    "render_network_svg",
    "render_ownership_svg",
    "render_risk_svg",
    "render_timeline_svg",
]
