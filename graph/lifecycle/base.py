"""What every lifecycle process shares: the acting organisation, refusals, events, ids.

Refusals are exceptions with a stable `code` and a message written for the caller, Chinese
then English, naming the rule. The hub shows them as they are (they are never masked).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar, Final

import neo4j

from graph.workdays import CalendarNotCovered, mainland_calendar

ADMIN_KIND = "ADMIN"


@dataclass(frozen=True)
class Actor:
    """The organisation acting, as its verified token names it.

    `org_kind` is the consumer kind (DEPARTMENT, ENTERPRISE, BANK …); `org_code` its
    统一社会信用代码 (None for the credit office acting as such); `subject` the person or system.
    """

    org_kind: str
    org_code: str | None
    subject: str

    @property
    def is_admin(self) -> bool:
        """The credit office (信用管理部门) may act for any department."""
        return self.org_kind == ADMIN_KIND


class LifecycleError(Exception):
    """A lifecycle request refused by a rule; the message says which and why."""

    code: ClassVar[str] = "REFUSED"


class NotFound(LifecycleError):
    """The thing named does not exist (or is not visible to the actor)."""

    code = "NOT_FOUND"

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"未找到{what} {key} (no such {what})")


class NotResponsible(LifecycleError):
    """Only the organisation the rule names may do this (谁认定、谁修复 and the like)."""

    code = "FORBIDDEN"

    def __init__(self, rule: str) -> None:
        super().__init__(rule)


class WrongState(LifecycleError):
    """The thing is not in a state that allows this step."""

    code = "WRONG_STATE"


class TooEarly(LifecycleError):
    """A step requested before the period the rules require; `earliest` is the first day it
    may be asked for (the API gives it as ``extensions.earliest``)."""

    code = "TOO_EARLY"

    def __init__(self, message: str, *, earliest: date | None = None) -> None:
        super().__init__(message)
        self.earliest = earliest


class DeadlinePassed(LifecycleError):
    """A step requested after its deadline."""

    code = "DEADLINE_PASSED"


class MissingRequirement(LifecycleError):
    """A required document, commitment or field is missing."""

    code = "MISSING_REQUIREMENT"


class InvalidInput(LifecycleError):
    """A value that cannot be used; the message names the field."""

    code = "INVALID_ARGUMENT"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"`{field}`: {reason}")
        self.field = field


def new_id(prefix: str) -> str:
    """A fresh id such as ``OBJ-5f2c…``: unique without a counter, so hub processes agree."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def required_text(field: str, value: str | None, *, max_length: int = 2000) -> str:
    """`value` stripped; InvalidInput when empty or longer than `max_length`."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(field, "不能为空 (must not be empty)")
    if len(text) > max_length:
        raise InvalidInput(field, f"不能超过{max_length}字 (at most {max_length} characters)")
    return text


async def acts_for_subject(
    tx: neo4j.AsyncManagedTransaction, actor: Actor, target: dict[str, Any], today: date
) -> bool:
    """Whether `actor` may act for the subject of `target` (``subject``, ``personal``): the
    credit office's window for anyone, persons included; the enterprise itself; a credit agency
    the enterprise has authorised by an active consent (授权代理)."""
    if actor.is_admin:
        return True
    if target["personal"]:
        return False  # persons act at the credit office's window
    if actor.org_kind == "ENTERPRISE":
        return bool(actor.org_code == target["subject"])
    if actor.org_kind != "CREDIT_AGENCY":
        return False
    consented = await single(
        tx,
        "MATCH (c:Consent {grantee: $agent})-[:GRANTED_BY]->(:Enterprise {uscc: $subject}) "
        "WHERE c.revokedAt IS NULL AND c.expiresOn >= date($today) RETURN count(c) > 0 AS ok",
        {"agent": actor.org_code, "subject": target["subject"], "today": today.isoformat()},
    )
    return bool(consented and consented["ok"])


_EVENT = (
    "CREATE (ev:Event {id: $eventId, type: $eventType, at: datetime(), on: date($eventOn), "
    "actorKind: $actorKind, actorCode: $actorCode, actorSubject: $actorSubject, "
    "fromState: $fromState, toState: $toState, reason: $reason, detail: $detail}) "
    "WITH ev "
    "UNWIND $targets AS target "
    "CALL (ev, target) { "
    "  OPTIONAL MATCH (x) WHERE elementId(x) = target "
    "  WITH ev, x WHERE x IS NOT NULL "
    "  CREATE (ev)-[:CONCERNS]->(x) "
    "} "
    "RETURN count(*) AS linked"
)


async def add_event(
    tx: neo4j.AsyncManagedTransaction,
    actor: Actor,
    event_type: str,
    targets: list[str],
    *,
    today: date,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> str:
    """Record one state change on the nodes whose element ids are `targets`; return its id.

    Events are the history of everything that is not itself a new version: an objection
    flagging a record, a list entry taking effect, a measure lifted. They are never changed.
    """
    event_id = new_id("EV")
    await tx.run(
        _EVENT,
        {
            "eventId": event_id,
            "eventType": event_type,
            "eventOn": today.isoformat(),
            "actorKind": actor.org_kind,
            "actorCode": actor.org_code,
            "actorSubject": actor.subject,
            "fromState": from_state,
            "toState": to_state,
            "reason": reason,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            "targets": targets,
        },
    )
    return event_id


async def single(
    tx: neo4j.AsyncManagedTransaction, cypher: Any, params: dict[str, Any]
) -> dict[str, Any] | None:
    """The first row of `cypher` as a dict, or None."""
    result = await tx.run(cypher, params)
    record = await result.single()
    return None if record is None else dict(record)


async def rows(
    tx: neo4j.AsyncManagedTransaction, cypher: Any, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every row of `cypher` as dicts."""
    result = await tx.run(cypher, params)
    return [dict(record) async for record in result]


CHINA_TIME = timezone(timedelta(hours=8), "CST")
"""Beijing time (no daylight saving): the one notion of the city's clock."""


def china_today(at: datetime | None = None) -> date:
    """Today in Beijing time (at the moment `at`, default now): deadlines, periods and every
    named predicate of graph/publication.py are judged on the city's day. Readers pass it to
    Cypher as a parameter — the server's ``date()`` is UTC, still yesterday until 08:00."""
    return (at or datetime.now(CHINA_TIME)).astimezone(CHINA_TIME).date()


def text_hash(text: str) -> str:
    """SHA-256 of the text as UTF-8: what proves which words were promised."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Days the law itself makes holidays (全国年节及纪念日放假办法): 元旦, 劳动节 1 May, 国庆节 1–3
# October; since the 2024 revision (in force 2025) 劳动节 is 1–2 May. No notice ever made them
# working days. The lunar holidays and 调休 (weekends made working) need each year's notice.
_FIXED_HOLIDAYS: Final = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})
_FIXED_HOLIDAYS_SINCE_2025: Final = _FIXED_HOLIDAYS | {(5, 2)}


def _surely_not_working(day: date) -> bool:
    """Whether ``day`` is a holiday whatever its year's notice says (a statutory fixed day)."""
    fixed = _FIXED_HOLIDAYS_SINCE_2025 if day.year >= 2025 else _FIXED_HOLIDAYS
    return (day.month, day.day) in fixed


def decision_deadline(start: date, working_days: int) -> tuple[date, bool]:
    """The day a decision is due: `working_days` working days after `start`, and whether that
    is provisional.

    A subject's objection or repair application must be accepted even when the deadline falls
    in a year whose holiday notice is not yet in graph/cn_calendar.toml. A year with a
    provisional (statutory-days-only) table is counted on it and the answer marked provisional.

    Beyond the calendar altogether the count goes on day by day: a day of a covered year counts
    when the calendar says it is a working day; a day of an uncovered year counts unless it is
    a statutory fixed holiday (`_surely_not_working`) — weekends included, since a notice may
    make any weekend day a 调休 working day. Every true working day is therefore counted, so
    the answer is never later than the true deadline (no department is given more time than
    the rules allow; it may be given less), and it is marked provisional. Measured against the
    2019–2026 notices for every start day, the old weekday count was later on 75 start days
    (1 working day), 134 (3) and 195 (7).
    """
    calendar = mainland_calendar()
    try:
        due = calendar.add_working_days(start, working_days)
        return due, calendar.provisional_between(start, due)
    except CalendarNotCovered:
        day, left = start, working_days
        while left:
            day += timedelta(days=1)
            if calendar.covers(day):
                counts = calendar.is_working_day(day)
            else:
                counts = not _surely_not_working(day)
            if counts:
                left -= 1
        return day, True
