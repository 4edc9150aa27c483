"""The marks every diagram uses alike: enterprises' credit flags, persons' names, shares."""

from __future__ import annotations

from typing import Any, Final

from graph.model import EnterpriseStatus, RoleKind
from hub.diagrams.svg import LegendItem, Tag

BLACK: Final = Tag("失信", "#c0392b", outline=True)
BANNED: Final = Tag("禁入", "#b9570f", outline=True)
RED: Final = Tag("守信", "#1e8449")
CONTROL: Final = Tag("控制人", "#6c3483")
BENEFICIAL: Final = Tag("受益所有人", "#0e6655")
ULTIMATE: Final = Tag("最终股东", "#34495e")

ENTERPRISE_FIELDS: Final = "uscc name status blackListed redListed banned"
"""What the diagrams ask of every enterprise they draw (all 公开)."""

PERSON_FIELDS: Final = "key name nameMasked"
"""What they ask of a person: `name` is served only where the catalogue shares Person.name."""


def enterprise_tags(enterprise: dict[str, Any]) -> tuple[Tag, ...]:
    """The badges of an enterprise: black-listed, banned, red-listed, not in business."""
    tags: list[Tag] = []
    if enterprise.get("blackListed"):
        tags.append(BLACK)
    if enterprise.get("banned"):
        tags.append(BANNED)
    if enterprise.get("redListed"):
        tags.append(RED)
    status = enterprise.get("status")
    if status and status != EnterpriseStatus.ACTIVE.value:
        tags.append(Tag(EnterpriseStatus.of(status).label, "#7b8794"))
    return tuple(tags)


def person_name(person: dict[str, Any]) -> str:
    """The name the viewer may see: the full name when served, else the de-identified one."""
    return str(person.get("name") or person.get("nameMasked") or "自然人")


def role_label(role: str) -> str:
    """A role's Chinese label (the code itself when unknown)."""
    try:
        return RoleKind.of(role).label
    except ValueError:
        return role


def percent(share: float | None) -> str | None:
    """A share as people write it (60%, 12.5%); None when not served."""
    if share is None:
        return None
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


LEGEND_MARKS: Final = (
    LegendItem("失信惩戒对象（黑名单）", colour=BLACK.colour),
    LegendItem("市场、行业禁入", colour=BANNED.colour),
    LegendItem("守信激励对象（红名单）", colour=RED.colour),
)
