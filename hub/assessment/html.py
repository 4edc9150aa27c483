"""The yearly assessment report as one printable HTML page (Chinese, no script, no external
resources), for a person to read and file."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hub.assessment import labels
from hub.assessment.figures import AssessmentReport

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: AssessmentReport) -> str:
    """The report as an HTML document."""
    return _ENV.get_template("assessment.html").render(r=report, labels=labels)
