"""The site's HTML: Jinja2 templates with autoescaping, and the labels values are shown with.

Enterprise names and record text are supplied by departments and by the subjects themselves, so
every template escapes every value; undefined names fail loudly instead of printing nothing.
Enumerations are shown by their Chinese labels from graph/model.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from graph.model import (
    EnterpriseStatus,
    LabelledEnum,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    RecordKind,
    RecordStatus,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from hub.signin.sessions import signed_in_as

TEMPLATES = Path(__file__).with_name("templates")

_LABELLED: dict[str, type[LabelledEnum]] = {
    "kind_label": RecordKind,
    "record_status_label": RecordStatus,
    "severity_label": SeverityTier,
    "enterprise_status_label": EnterpriseStatus,
    "list_type_label": ListType,
    "list_status_label": ListEntryStatus,
    "sanction_status_label": SanctionStatus,
    "measure_category_label": MeasureCategory,
    "role_label": RoleKind,
}

MISSING = "—"
"""Shown for a value the record does not have."""


def _labeller(enum_cls: type[LabelledEnum]) -> Any:
    labels = {member.value: member.label for member in enum_cls}

    def label(value: str | None) -> str:
        if value is None:
            return MISSING
        return labels.get(value, value)

    return label


def day(value: str | None) -> str:
    """An ISO date as served (2026-03-10), or the missing mark."""
    return value or MISSING


def wan_yuan(value: float | None) -> str:
    """An amount in 万元, without a trailing .0 (12.5 万元, 800 万元)."""
    if value is None:
        return MISSING
    return f"{value:,.4f}".rstrip("0").rstrip(".") + " 万元"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name, enum_cls in _LABELLED.items():
        env.filters[name] = _labeller(enum_cls)
    env.filters["day"] = day
    env.filters["wan_yuan"] = wan_yuan
    # The header's 登录 / 退出 link names whoever is signed in (hub/signin/sessions.py).
    env.globals["signed_in_as"] = signed_in_as
    return env


_ENV = _environment()


def render(template: str, **values: Any) -> str:
    """The page (or fragment) `template` filled with `values`."""
    return _ENV.get_template(template).render(**values)


# Public pages, but their content changes when a record is repaired or withdrawn: revalidate.
# Only the site's own style sheet and script may load; nothing may frame the pages.
HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}
