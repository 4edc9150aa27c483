"""协会会员: an association's member roll, kept by the association itself.

A membership is ``(:Enterprise)-[:MEMBER_OF {since, until}]->(:Association)``. It comes from the
association's membership feed (loaders/, kind ``membership``) or from the association's own
mutations (hub/api/associations_api.py), the credit office acting on its behalf. Which kinds of
organisation may manage memberships at all is the sharing catalogue's
``operations.manageMembership``; that an association manages its *own* roll only is decided there
too (``on_behalf``), so the functions below take the association the hub resolved.

**History is kept.** Ending a membership sets ``until`` on the relationship; it is never deleted.
A membership is *current* while ``until`` is absent or later than today (Beijing date): the day
in ``until`` is the first day it no longer counts, so an end dated in the future is an
announced departure. Joining again after an end is a new relationship beside the old one.
Every change is an `Event` concerning the enterprise and the association, in the same
transaction.

`current_membership` and `is_member` are the one statement of "is a member today" that the
sharing policy (authz/enforcement.py), the member roll (hub/api/types.py) and everything else
reading memberships use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    NotFound,
    WrongState,
    add_event,
    required_text,
    rows,
    single,
)
from graph.model import Label, Rel

MEMBERSHIP_ADDED: Final = "MEMBERSHIP_ADDED"
MEMBERSHIP_ENDED: Final = "MEMBERSHIP_ENDED"
"""Event types of this module."""

SOURCE_MUTATION: Final = "MUTATION"
"""`source` of a membership recorded through the hub (the feed writer stamps `batchId`)."""


def current_membership(rel: str, today: str) -> str:
    """Cypher true when the MEMBER_OF relationship `rel` counts on `today` (a Cypher date)."""
    return f"({rel}.until IS NULL OR {rel}.until > {today})"


def is_member(subject: str, association_code: str, today: str) -> str:
    """Cypher true when the enterprise `subject` is a current member of the association whose
    code is the Cypher expression `association_code` (both as Cypher expressions)."""
    return (
        f"EXISTS {{ MATCH ({subject})-[membership_:{Rel.MEMBER_OF}]->(:{Label.ASSOCIATION} "
        f"{{code: {association_code}}}) WHERE {current_membership('membership_', today)} }}"
    )


@dataclass(frozen=True)
class Membership:
    """One membership period of an enterprise in an association."""

    association: str
    association_name: str | None
    enterprise: str
    enterprise_name: str | None
    since: date | None
    until: date | None
    end_reason: str | None
    today: date

    @property
    def current(self) -> bool:
        """Counts today: not ended, or ending on a later day."""
        return self.until is None or self.until > self.today

    @classmethod
    def of(cls, row: dict[str, Any], today: date) -> Membership:
        """From ``{association, associationName, enterprise, enterpriseName, m}``."""
        m = row["m"]
        since, until = m.get("since"), m.get("until")
        return cls(
            association=row["association"],
            association_name=row["associationName"],
            enterprise=row["enterprise"],
            enterprise_name=row["enterpriseName"],
            since=since.to_native() if since is not None else None,
            until=until.to_native() if until is not None else None,
            end_reason=m.get("endReason"),
            today=today,
        )


_PARTIES = (
    f"OPTIONAL MATCH (a:{Label.ASSOCIATION} {{code: $association}}) "
    f"OPTIONAL MATCH (e:{Label.ENTERPRISE} {{uscc: $enterprise}}) "
    "RETURN a IS NOT NULL AS association, e IS NOT NULL AS enterprise"
)

_PERIODS = (
    f"MATCH (e:{Label.ENTERPRISE} {{uscc: $enterprise}})-[m:{Rel.MEMBER_OF}]->"
    f"(a:{Label.ASSOCIATION} {{code: $association}}) "
    "RETURN properties(m) AS m, elementId(m) AS rel, "
    "elementId(e) AS enterpriseNode, elementId(a) AS associationNode, "
    "a.code AS association, a.name AS associationName, e.uscc AS enterprise, "
    "e.name AS enterpriseName "
    "ORDER BY m.since DESC"
)


class AlreadyMember(WrongState):
    """A current membership exists: end it before recording a new period."""

    def __init__(self, enterprise: str) -> None:
        super().__init__(
            f"{enterprise} 已是本会会员 (already a current member; end the membership first)"
        )


class NotAMember(WrongState):
    """Only a current membership can be ended."""

    def __init__(self, enterprise: str) -> None:
        super().__init__(f"{enterprise} 不是本会现有会员 (not a current member of the association)")


async def _parties(tx: neo4j.AsyncManagedTransaction, association: str, enterprise: str) -> None:
    found = await single(tx, _PARTIES, {"association": association, "enterprise": enterprise})
    assert found is not None
    if not found["association"]:
        raise NotFound("行业协会商会", association)
    if not found["enterprise"]:
        raise NotFound("市场主体", enterprise)


async def add_membership(
    db: Database,
    actor: Actor,
    association: str,
    enterprise: str,
    *,
    since: date,
    today: date,
) -> Membership:
    """Record that `enterprise` joined `association` on `since` (not in the future).

    Refused while a current membership exists; after an ended one the new period starts no
    earlier than the old one ended, and the old relationship stays as history.
    """
    code = enterprise.strip().upper()
    if since > today:
        raise InvalidInput(
            "since", "入会日期不能晚于今天 (the joining date cannot be in the future)"
        )

    async def work(tx: neo4j.AsyncManagedTransaction) -> Membership:
        await _parties(tx, association, code)
        periods = await rows(tx, _PERIODS, {"association": association, "enterprise": code})
        for period in periods:
            existing = Membership.of(period, today)
            if existing.current:
                raise AlreadyMember(code)
            if existing.until is not None and since < existing.until:
                raise InvalidInput(
                    "since",
                    f"新的入会日期不能早于上次退会日期 {existing.until.isoformat()} "
                    "(a new period cannot start before the previous one ended)",
                )
        created = await single(
            tx,
            f"MATCH (e:{Label.ENTERPRISE} {{uscc: $enterprise}}), "
            f"(a:{Label.ASSOCIATION} {{code: $association}}) "
            f"CREATE (e)-[m:{Rel.MEMBER_OF} {{since: date($since), source: $source, "
            "addedBy: $by, addedBySubject: $who, addedOn: date($today)}]->(a) "
            "RETURN properties(m) AS m, elementId(e) AS enterpriseNode, "
            "elementId(a) AS associationNode, a.code AS association, "
            "a.name AS associationName, e.uscc AS enterprise, e.name AS enterpriseName",
            {
                "enterprise": code,
                "association": association,
                "since": since.isoformat(),
                "source": SOURCE_MUTATION,
                "by": actor.org_code or actor.org_kind,
                "who": actor.subject,
                "today": today.isoformat(),
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            MEMBERSHIP_ADDED,
            [created["enterpriseNode"], created["associationNode"]],
            today=today,
            to_state="MEMBER",
            detail={"association": association, "enterprise": code, "since": since},
        )
        return Membership.of(created, today)

    return await db.write_transaction(work)


async def end_membership(
    db: Database,
    actor: Actor,
    association: str,
    enterprise: str,
    *,
    until: date,
    reason: str,
    today: date,
) -> Membership:
    """End `enterprise`'s current membership of `association`: it no longer counts from
    `until` (a later day announces the departure; an earlier one records it late, never
    before the membership began). The relationship stays, with `until`, as history."""
    code = enterprise.strip().upper()
    why = required_text("reason", reason, max_length=500)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Membership:
        await _parties(tx, association, code)
        periods = await rows(tx, _PERIODS, {"association": association, "enterprise": code})
        current = [p for p in periods if Membership.of(p, today).current]
        if not current:
            raise NotAMember(code)
        period = current[0]
        since = Membership.of(period, today).since
        if since is not None and until < since:
            raise InvalidInput(
                "until", "退会日期不能早于入会日期 (a membership cannot end before it began)"
            )
        ended = await single(
            tx,
            "MATCH ()-[m]->() WHERE elementId(m) = $rel "
            "SET m.until = date($until), m.endReason = $reason, m.endedBy = $by, "
            "m.endedBySubject = $who, m.endedOn = date($today) "
            "RETURN properties(m) AS m",
            {
                "rel": period["rel"],
                "until": until.isoformat(),
                "reason": why,
                "by": actor.org_code or actor.org_kind,
                "who": actor.subject,
                "today": today.isoformat(),
            },
        )
        assert ended is not None
        await add_event(
            tx,
            actor,
            MEMBERSHIP_ENDED,
            [period["enterpriseNode"], period["associationNode"]],
            today=today,
            from_state="MEMBER",
            to_state="FORMER_MEMBER",
            reason=why,
            detail={"association": association, "enterprise": code, "until": until},
        )
        return Membership.of({**period, "m": ended["m"]}, today)

    return await db.write_transaction(work)
