"""The HTML pages of reports: the report itself, verification, the issue form, refusals.

Jinja2 with autoescaping for every template (the content holds department-supplied text), and
undefined names failing loudly rather than printing nothing. Pages are Chinese, printable
(A4 print styles, number and hash in a footer on every printed page) and accessible (landmarks,
a skip link, labelled form fields, row headers in every table, alerts announced).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from graph.lifecycle.base import CHINA_TIME
from hub.reports.content import BLACK_LABEL, numbered, overview
from hub.reports.numbering import NUMBER_FORMAT
from hub.reports.qr import qr_svg
from hub.reports.store import StoredReport

TEMPLATES = Path(__file__).with_name("templates")
QR_PIXELS = 132


def beijing(iso: str) -> str:
    """An ISO timestamp as people in the city read it: 2026-11-29 12:31:05（北京时间）."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME)
    return f"{moment:%Y-%m-%d %H:%M:%S}（北京时间）"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["beijing"] = beijing
    env.filters["numbered"] = numbered
    return env


_ENV = _environment()


def render_report(report: StoredReport) -> str:
    """The report as an HTML page, laid out from its stored content: the head with the
    verification link and its QR code, 信用概况, then the sections."""
    content = report.document()
    verify_url = content.get("verifyUrl")
    qr = (
        qr_svg(verify_url, size=QR_PIXELS, label=f"核验本报告的二维码：{verify_url}")
        if verify_url
        else None
    )
    return _ENV.get_template("report.html").render(
        content=content,
        content_hash=report.content_hash,
        black_label=BLACK_LABEL,
        overview=overview(content),
        verify_url=verify_url,
        qr=qr,
    )


def render_verification(number: str, report: StoredReport | None, problem: str | None) -> str:
    """The verification page: the form, and the result for `number` when one was asked."""
    return _ENV.get_template("verify.html").render(
        number=number, report=report, problem=problem, number_format=NUMBER_FORMAT
    )


def render_issue_form(uscc: str, problem: str | None) -> str:
    """The form asking for the enterprise to issue a report on."""
    return _ENV.get_template("new.html").render(uscc=uscc, problem=problem)


def render_error(title: str, message: str) -> str:
    """A refusal or failure page."""
    return _ENV.get_template("error.html").render(title=title, message=message)
