"""The QR code of a report's verification link, for the PDF (a flowable) and the HTML
page (inline SVG: the page's Content-Security-Policy allows no images from elsewhere).

Both are drawn from the same module matrix, encoded by reportlab's built-in QR encoder (no
extra dependency), error correction level M (15 %: a creased or stamped printout still scans),
with the standard quiet zone of four modules.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.platypus import Flowable

QUIET_ZONE = 4
"""Light modules around the symbol, as ISO/IEC 18004 asks."""


def modules(text: str) -> list[list[bool]]:
    """The symbol's dark (True) and light modules, row by row, for `text`."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def _runs(row: list[bool]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    runs, start = [], None
    for column, dark in enumerate([*row, False]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            runs.append((start, column - start))
            start = None
    return runs


def qr_svg(text: str, *, size: int, label: str) -> Markup:
    """The QR code of `text` as an inline SVG image `size` pixels wide, named `label`."""
    matrix = modules(text)
    side = len(matrix) + 2 * QUIET_ZONE
    path = "".join(
        f"M{start + QUIET_ZONE} {r + QUIET_ZONE}h{length}v1h-{length}z"
        for r, row in enumerate(matrix)
        for start, length in _runs(row)
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" width="{size}" '
        f'height="{size}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges" '
        f'data-text="{escape(text)}"><title>{escape(label)}</title>'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )


class QrFlowable(Flowable):
    """The QR code of a text as a square flowable `size` points wide, drawn straight on the
    canvas (a reportlab Drawing would set the standard Helvetica, a font the PDF cannot embed,
    as its initial state)."""

    def __init__(self, text: str, *, size: float) -> None:
        super().__init__()
        self.text = text
        self.size = size
        self.matrix = modules(text)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """The square's size, whatever the space."""
        return self.size, self.size

    def draw(self) -> None:
        """Dark modules as black rectangles, one per run of a row."""
        side = len(self.matrix) + 2 * QUIET_ZONE
        unit = self.size / side
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        for r, row in enumerate(self.matrix):
            y = self.size - (r + QUIET_ZONE + 1) * unit
            for start, length in _runs(row):
                canvas.rect((start + QUIET_ZONE) * unit, y, length * unit, unit, stroke=0, fill=1)
        canvas.restoreState()
