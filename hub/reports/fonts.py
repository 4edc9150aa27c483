"""The fonts the PDF report embeds: WenQuanYi Zen Hei (文泉驿正黑), from Debian's
fonts-wqy-zenhei package, for all text, and its monospaced face for the number and the hash.

reportlab embeds a TrueType font as a subset of the glyphs a document uses, so every reader —
poppler, pdf.js, a printer — draws the same shapes with the font's own metrics (a referenced,
non-embedded CID font leaves the choice, and the spacing of digits and Latin letters, to the
reader). The face is looked up once; when no candidate file exists, `ReportFontMissing` says
which package to install, instead of a PDF that quietly falls back to another font.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_VARIABLE: Final = "CREDITHUB_REPORT_FONT"
"""Environment variable naming another TrueType collection with the same faces (tests, other
distributions)."""

CANDIDATES: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian / Ubuntu fonts-wqy-zenhei
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),  # Fedora / Arch wqy-zenhei-fonts
)
PACKAGE: Final = "fonts-wqy-zenhei"

SANS: Final = "WenQuanYiZenHei"
MONO: Final = "WenQuanYiZenHeiMono"
SANS_INDEX: Final = 0
MONO_INDEX: Final = 1
"""Faces of wqy-zenhei.ttc: 0 Zen Hei, 1 Zen Hei Mono, 2 Zen Hei Sharp."""


class ReportFontMissing(RuntimeError):
    """The CJK font the PDF embeds is not installed."""


@dataclass(frozen=True)
class ReportFonts:
    """Registered reportlab font names: `sans` for text, `mono` for numbers and hashes."""

    sans: str
    mono: str
    path: Path


def font_file() -> Path:
    """The font collection to embed: $CREDITHUB_REPORT_FONT, else the first installed one."""
    override = os.environ.get(FONT_VARIABLE)
    candidates = (Path(override),) if override else CANDIDATES
    for path in candidates:
        if path.is_file():
            return path
    looked = "、".join(str(p) for p in candidates)
    raise ReportFontMissing(
        f"PDF 信用报告所需的中文字体未安装：未找到 {looked}。请安装 Debian 软件包 {PACKAGE}"
        f"（apt-get install {PACKAGE}；./credithub 以 root 运行时会自动安装），或以环境变量 "
        f"{FONT_VARIABLE} 指定 wqy-zenhei.ttc 的位置 (the report font is missing: install "
        f"{PACKAGE})"
    )


@functools.cache
def _register(path: Path) -> ReportFonts:
    pdfmetrics.registerFont(TTFont(SANS, str(path), subfontIndex=SANS_INDEX))
    pdfmetrics.registerFont(TTFont(MONO, str(path), subfontIndex=MONO_INDEX))
    return ReportFonts(SANS, MONO, path)


def report_fonts() -> ReportFonts:
    """The embedded fonts, registered with reportlab on first use."""
    return _register(font_file())
