"""Notices (通知): each organisation's outbox, and the watch lists (贷后监测) that feed it.

A notice is a node ``(:Notice {recipient})`` written in the same transaction as the change it
reports, so an organisation is told exactly when the change commits. Recipients are
organisations by 统一社会信用代码 (the credit office as ``ADMIN``). The hub pushes new notices to a
GraphQL subscription by reading this outbox, so any number of hub processes serve one network.

Who is told what:
- a withdrawal (repair, correction — by objection or by a new version sent through a feed —,
  revocation, stop of publication) goes to every organisation that was served the subject's
  records since the record was first published — a ``(:Recipient)`` of the subject, noted when
  the audit entry of that request was written (authz/audit.py) — and to everyone watching the
  subject (graph/lifecycle/versions.py `tell_earlier_recipients`);
- a new adverse record, list entry or sanction goes to the subject's watchers;
- objection and repair steps go to the subject and the deciding department.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    WrongState,
    add_event,
    new_id,
    required_text,
    rows,
    single,
)
from graph.model import Label, NoticeKind, Rel

T = TypeVar("T")

ADMIN_RECIPIENT = "ADMIN"
MAX_WATCHES_PER_BANK = 100_000


@dataclass(frozen=True)
class Notice:
    """One entry of an organisation's outbox."""

    id: str
    recipient: str
    kind: NoticeKind
    title: str
    body: str | None
    subject_code: str | None
    ref: str | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, props: dict[str, Any]) -> Notice:
        """From the node's properties."""
        return cls(
            id=props["id"],
            recipient=props["recipient"],
            kind=NoticeKind.of(props["kind"]),
            title=props["title"],
            body=props.get("body"),
            subject_code=props.get("subjectCode"),
            ref=props.get("ref"),
            created_at=props["createdAt"].to_native(),
            read_at=props["readAt"].to_native() if props.get("readAt") else None,
        )


@dataclass(frozen=True)
class Watch:
    """A bank's watch on a borrower (贷后监测)."""

    id: str
    watcher: str
    subject: str
    subject_name: str | None
    purpose: str
    since: date
    active: bool


_NOTIFY = (
    "UNWIND $recipients AS recipient "
    "WITH DISTINCT recipient WHERE recipient IS NOT NULL "
    "CREATE (n:Notice {id: $prefix + '-' + randomUUID(), recipient: recipient, kind: $kind, "
    "title: $title, body: $body, subjectCode: $subject, ref: $ref, createdAt: datetime()}) "
    "RETURN count(n) AS sent"
)


async def notify(
    tx: neo4j.AsyncManagedTransaction,
    recipients: list[str | None],
    kind: NoticeKind,
    title: str,
    *,
    subject: str | None = None,
    ref: str | None = None,
    body: str | None = None,
) -> int:
    """Put one notice in each recipient's outbox (duplicates and None skipped); return how many."""
    row = await single(
        tx,
        _NOTIFY,
        {
            "recipients": recipients,
            "prefix": "NT",
            "kind": kind.value,
            "title": title,
            "body": body,
            "subject": subject,
            "ref": ref,
        },
    )
    return int(row["sent"]) if row else 0


async def watchers_of(tx: neo4j.AsyncManagedTransaction, subjects: list[str]) -> list[str]:
    """Organisations with an active watch on any of `subjects`."""
    found = await rows(
        tx,
        "UNWIND $subjects AS s MATCH (w:Watch {subject: s, active: true}) "
        "RETURN DISTINCT w.watcher AS watcher",
        {"subjects": subjects},
    )
    return [row["watcher"] for row in found]


async def notify_watchers(
    tx: neo4j.AsyncManagedTransaction,
    subjects: list[str],
    kind: NoticeKind,
    title: str,
    *,
    ref: str | None = None,
    body: str | None = None,
) -> int:
    """Tell every watcher of each subject; one notice per (watcher, subject)."""
    row = await single(
        tx,
        "UNWIND $subjects AS s MATCH (w:Watch {subject: s, active: true}) "
        "CREATE (n:Notice {id: 'NT-' + randomUUID(), recipient: w.watcher, kind: $kind, "
        "title: $title, body: $body, subjectCode: s, ref: $ref, createdAt: datetime()}) "
        "RETURN count(n) AS sent",
        {"subjects": subjects, "kind": kind.value, "title": title, "body": body, "ref": ref},
    )
    return int(row["sent"]) if row else 0


async def notify_watchers_of_records(
    tx: neo4j.AsyncManagedTransaction,
    kind: NoticeKind,
    items: Sequence[tuple[str, T]],
    notice: Callable[[T], Mapping[str, str]],
) -> int:
    """One notice per watcher of each item's subject; items are ``(subject, item)`` and
    ``notice(item)`` gives its ``{title, ref}``.

    Feed loads call this for every chunk, so it is one indexed statement whatever the size.
    """
    if not items:
        return 0
    # Most loads touch no watched subject: ask with the distinct codes only, and make and send
    # the notices' texts only for the few that are watched (a chunk is thousands of rows).
    found = await single(
        tx,
        "UNWIND $subjects AS s MATCH (w:Watch {subject: s, active: true}) "
        "RETURN collect(DISTINCT s) AS watched",
        {"subjects": sorted({subject for subject, _ in items})},
    )
    watched = set(found["watched"]) if found else set()
    if not watched:
        return 0
    row = await single(
        tx,
        "UNWIND $items AS i MATCH (w:Watch {subject: i.subject, active: true}) "
        "CREATE (n:Notice {id: 'NT-' + randomUUID(), recipient: w.watcher, kind: $kind, "
        "title: i.title, subjectCode: i.subject, ref: i.ref, createdAt: datetime()}) "
        "RETURN count(n) AS sent",
        {
            "items": [
                {**notice(item), "subject": subject}
                for subject, item in items
                if subject in watched
            ],
            "kind": kind.value,
        },
    )
    return int(row["sent"]) if row else 0


def _subject_node(code: str) -> str:
    """A subquery body returning `s`, the subject whose code (an enterprise's USCC or a
    person's key) is the Cypher expression `code`, found by the unique indexes."""
    return (
        f"MATCH (s:{Label.ENTERPRISE} {{uscc: {code}}}) RETURN s "
        f"UNION MATCH (s:{Label.PERSON} {{key: {code}}}) RETURN s"
    )


async def earlier_recipients(
    tx: neo4j.AsyncManagedTransaction, subject: str, since: date | None
) -> list[str]:
    """Organisations that were served records of `subject` since `since` (its recipients),
    plus its watchers: who must hear that a record was withdrawn (六(六), 双公示 3-day rule).

    The public has no address, so anonymous requests are not counted; the disclosure site
    stops showing the record at once instead.
    """
    served = await rows(
        tx,
        f"CALL () {{ {_subject_node('$subject')} }} "
        f"MATCH (v:{Label.RECIPIENT})-[:{Rel.RECEIVED_RECORDS_OF}]->(s) "
        "WHERE v.lastAt >= $since RETURN DISTINCT v.org AS org",
        {"subject": subject, "since": (since or date(1970, 1, 1)).isoformat()},
    )
    recipients = {row["org"] for row in served}
    recipients.update(await watchers_of(tx, [subject]))
    return sorted(recipients)


_WITHDRAW_ALL = (
    "UNWIND $items AS i "
    f"CALL (i) {{ {_subject_node('i.subject')} }} "
    "CALL (i, s) { "
    f"  MATCH (v:{Label.RECIPIENT})-[:{Rel.RECEIVED_RECORDS_OF}]->(s) WHERE v.lastAt >= i.since "
    "  RETURN v.org AS recipient "
    "  UNION MATCH (w:Watch {subject: i.subject, active: true}) RETURN w.watcher AS recipient } "
    "WITH DISTINCT i, recipient WHERE recipient <> coalesce(i.sender, '') "
    "CREATE (n:Notice {id: 'NT-' + randomUUID(), recipient: recipient, kind: $kind, "
    "title: i.title, body: i.body, subjectCode: i.subject, ref: i.ref, createdAt: datetime()}) "
    "RETURN count(n) AS sent"
)


async def withdraw_from_earlier_recipients(
    tx: neo4j.AsyncManagedTransaction, items: list[dict[str, Any]]
) -> int:
    """`earlier_recipients` and their withdrawal notices for many records in one statement
    (a feed chunk's corrections); items are ``{subject, since (date or None), sender, title,
    ref, body}``; the sender of each change is not told of it. Return the notices sent."""
    if not items:
        return 0
    params = [
        {**item, "since": (item.get("since") or date(1970, 1, 1)).isoformat()} for item in items
    ]
    row = await single(tx, _WITHDRAW_ALL, {"items": params, "kind": NoticeKind.WITHDRAWAL.value})
    return int(row["sent"]) if row else 0


# -- reading and acknowledging ---------------------------------------------------------------
async def notices_for(
    db: Database,
    recipient: str,
    *,
    unread_only: bool = False,
    after: datetime | None = None,
    limit: int = 50,
) -> list[Notice]:
    """The recipient's notices, newest first (or, with `after`, those created since, oldest
    first, as a subscription delivers them)."""
    if after is not None:
        found = await db.read(
            "MATCH (n:Notice {recipient: $recipient}) WHERE n.createdAt > $after "
            "RETURN properties(n) AS n ORDER BY n.createdAt LIMIT $limit",
            {"recipient": recipient, "after": after, "limit": limit},
        )
    else:
        found = await db.read(
            "MATCH (n:Notice {recipient: $recipient}) "
            "WHERE NOT $unread OR n.readAt IS NULL "
            "RETURN properties(n) AS n ORDER BY n.createdAt DESC LIMIT $limit",
            {"recipient": recipient, "unread": unread_only, "limit": limit},
        )
    return [Notice.of(row["n"]) for row in found]


async def notices_since(
    db: Database, recipients: list[str], after: datetime, limit: int
) -> list[Notice]:
    """The notices of any of `recipients` created after `after`, oldest first: one read for
    every subscription a hub process serves (hub/api/notices_api.py `NoticeFeed`)."""
    found = await db.read(
        "MATCH (n:Notice) WHERE n.recipient IN $recipients AND n.createdAt > $after "
        "RETURN properties(n) AS n ORDER BY n.createdAt LIMIT $limit",
        {"recipients": recipients, "after": after, "limit": limit},
    )
    return [Notice.of(row["n"]) for row in found]


async def mark_read(db: Database, recipient: str, ids: list[str]) -> int:
    """Mark the recipient's notices read (others' ids are ignored); return how many changed."""
    found = await db.write(
        "UNWIND $ids AS id MATCH (n:Notice {id: id, recipient: $recipient}) "
        "WHERE n.readAt IS NULL SET n.readAt = datetime() RETURN count(n) AS changed",
        {"ids": ids, "recipient": recipient},
    )
    return int(found[0]["changed"]) if found else 0


# -- watch lists (贷后监测) ------------------------------------------------------------------
class NoConsentToWatch(MissingRequirement):
    """Post-loan monitoring needs the borrower's consent to this bank."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"{subject} 未向本机构授权 (the enterprise has not granted your organisation "
            "consent; post-loan monitoring 贷后监测 needs the borrower's authorisation)"
        )


async def watch(db: Database, actor: Actor, subject: str, purpose: str, today: date) -> Watch:
    """Start watching a borrower: new adverse records, list entries and sanctions on it will be
    put in the actor's outbox. Needs an active consent of the enterprise to the actor."""
    code = subject.strip().upper()
    text = required_text("purpose", purpose, max_length=200)
    if actor.org_code is None:
        raise InvalidInput("subject", "only an organisation can watch (actor has no code)")

    async def work(tx: neo4j.AsyncManagedTransaction) -> Watch:
        found = await single(
            tx,
            "OPTIONAL MATCH (e:Enterprise {uscc: $subject}) "
            "RETURN e.name AS name, e IS NOT NULL AS exists, EXISTS { "
            "  MATCH (c:Consent {grantee: $watcher})-[:GRANTED_BY]->(e) "
            "  WHERE c.revokedAt IS NULL AND c.expiresOn >= date($today) } AS consented",
            {"subject": code, "watcher": actor.org_code, "today": today.isoformat()},
        )
        if not found or not found["exists"]:
            raise NotFound("市场主体", code)
        if not found["consented"]:
            raise NoConsentToWatch(code)
        existing = await single(
            tx,
            "MATCH (w:Watch {watcher: $watcher, subject: $subject, active: true}) "
            "RETURN w.id AS id, w.purpose AS purpose, w.since AS since",
            {"watcher": actor.org_code, "subject": code},
        )
        if existing:
            return Watch(
                existing["id"],
                actor.org_code or "",
                code,
                found["name"],
                existing["purpose"],
                existing["since"].to_native(),
                True,
            )
        watch_id = new_id("WATCH")
        await tx.run(
            "MATCH (e:Enterprise {uscc: $subject}) "
            "CREATE (w:Watch {id: $id, watcher: $watcher, watcherKind: $kind, subject: $subject, "
            "purpose: $purpose, since: date($today), active: true})-[:WATCHES]->(e)",
            {
                "id": watch_id,
                "watcher": actor.org_code,
                "kind": actor.org_kind,
                "subject": code,
                "purpose": text,
                "today": today.isoformat(),
            },
        )
        element = await single(
            tx, "MATCH (w:Watch {id: $id}) RETURN elementId(w) AS e", {"id": watch_id}
        )
        assert element is not None
        await add_event(tx, actor, "WATCH_STARTED", [element["e"]], today=today, reason=text)
        return Watch(watch_id, actor.org_code or "", code, found["name"], text, today, True)

    return await db.write_transaction(work)


async def unwatch(db: Database, actor: Actor, watch_id: str, today: date) -> Watch:
    """Stop a watch of the actor's (kept, inactive, with the event)."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> Watch:
        found = await single(
            tx,
            "MATCH (w:Watch {id: $id, watcher: $watcher}) "
            "OPTIONAL MATCH (w)-[:WATCHES]->(e:Enterprise) "
            "RETURN properties(w) AS w, elementId(w) AS element, e.name AS name",
            {"id": watch_id, "watcher": actor.org_code},
        )
        if not found:
            raise NotFound("监测", watch_id)
        props = found["w"]
        if not props["active"]:
            raise WrongState("该监测已停止 (this watch has already been stopped)")
        await tx.run(
            "MATCH (w:Watch {id: $id}) SET w.active = false, w.until = date($today)",
            {"id": watch_id, "today": today.isoformat()},
        )
        await add_event(tx, actor, "WATCH_STOPPED", [found["element"]], today=today)
        return Watch(
            watch_id,
            props["watcher"],
            props["subject"],
            found["name"],
            props["purpose"],
            props["since"].to_native(),
            False,
        )

    return await db.write_transaction(work)


async def watches_of(db: Database, watcher: str) -> list[Watch]:
    """The watcher's active watches."""
    found = await db.read(
        "MATCH (w:Watch {watcher: $watcher, active: true}) "
        "OPTIONAL MATCH (w)-[:WATCHES]->(e:Enterprise) "
        "RETURN properties(w) AS w, e.name AS name ORDER BY w.since DESC, w.subject",
        {"watcher": watcher},
    )
    return [
        Watch(
            r["w"]["id"],
            r["w"]["watcher"],
            r["w"]["subject"],
            r["name"],
            r["w"]["purpose"],
            r["w"]["since"].to_native(),
            True,
        )
        for r in found
    ]
