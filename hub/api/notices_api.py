"""Notices (通知) and watch lists (贷后监测): the outbox as a query and as a subscription.

The subscription reads the shared outbox in Neo4j rather than an in-process queue, so a notice
written by any hub process (or by a feed load) reaches a subscriber connected to any other.
It is served over HTTP with the GraphQL multipart subscription protocol (``Accept:
multipart/mixed;subscriptionSpec="1.0"``), which passes the same authentication and limits as
every other request.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncGenerator

import strawberry

from graph.database import Database
from graph.lifecycle import notices
from graph.model import NoticeKind
from hub.api.lifecycle_support import acting_for, require
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument

COMPUTED_TYPES = ("Notice", "Watch")

POLL_SECONDS = 1.0
"""How often a subscription looks at the outbox: a notice arrives within about this long."""

MAX_SUBSCRIPTION_SECONDS = 3600
OVERLAP = datetime.timedelta(seconds=10)
"""Look back this far on every poll: a transaction that began earlier may commit later."""


@strawberry.type(description="One notice in your organisation's outbox")
class Notice:
    id: strawberry.ID
    kind: NoticeKind
    title: str
    body: str | None
    subject: str | None = strawberry.field(description="The enterprise (USCC) or person key")
    ref: str | None = strawberry.field(description="The record, entry or application concerned")
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    @classmethod
    def of(cls, n: notices.Notice) -> Notice:
        """From the stored notice."""
        return cls(
            id=strawberry.ID(n.id),
            kind=n.kind,
            title=n.title,
            body=n.body,
            subject=n.subject_code,
            ref=n.ref,
            created_at=n.created_at,
            read_at=n.read_at,
        )


@strawberry.type(description="A watched borrower (贷后监测)")
class Watch:
    id: strawberry.ID
    subject: str
    subject_name: str | None
    purpose: str
    since: datetime.date
    active: bool

    @classmethod
    def of(cls, w: notices.Watch) -> Watch:
        """From the stored watch."""
        return cls(
            id=strawberry.ID(w.id),
            subject=w.subject,
            subject_name=w.subject_name,
            purpose=w.purpose,
            since=w.since,
            active=w.active,
        )


def _recipient(info: GraphInfo) -> str:
    actor = require(info, "readNotices")
    return actor.org_code or notices.ADMIN_RECIPIENT


@strawberry.type
class NoticesQuery:
    @strawberry.field(description="Your organisation's notices, newest first")
    async def notices(
        self, info: GraphInfo, unread_only: bool = False, first: int = 50
    ) -> list[Notice]:
        if not 1 <= first <= 500:
            raise InvalidArgument("first", "must be between 1 and 500")
        found = await notices.notices_for(
            info.context.db, _recipient(info), unread_only=unread_only, limit=first
        )
        return [Notice.of(n) for n in found]

    @strawberry.field(description="As a bank: the borrowers you watch (贷后监测)")
    async def watches(self, info: GraphInfo) -> list[Watch]:
        watcher = acting_for(info, "watchSubjects", None, "watcher")
        return [Watch.of(w) for w in await notices.watches_of(info.context.db, watcher)]


@strawberry.type
class NoticesMutation:
    @strawberry.mutation(description="Mark notices of yours as read; returns how many changed")
    async def mark_notices_read(self, info: GraphInfo, ids: list[strawberry.ID]) -> int:
        if len(ids) > 500:
            raise InvalidArgument("ids", "at most 500 at a time")
        changed = await notices.mark_read(info.context.db, _recipient(info), [str(i) for i in ids])
        info.context.audit_action("mark_notices_read", subjects=set(), detail=str(changed))
        return changed

    @strawberry.mutation(
        description="As a bank: watch a borrower that has granted you consent; new adverse "
        "records, list entries and sanctions on it come to your notices"
    )
    async def watch_enterprise(self, info: GraphInfo, uscc: str, purpose: str) -> Watch:
        context = info.context
        actor = require(info, "watchSubjects")
        started = await notices.watch(context.db, actor, uscc, purpose, context.today())
        context.audit_action("watch", subjects={started.subject}, detail=started.id)
        return Watch.of(started)

    @strawberry.mutation(description="As a bank: stop watching (the watch is kept, inactive)")
    async def unwatch_enterprise(self, info: GraphInfo, id: strawberry.ID) -> Watch:
        context = info.context
        actor = require(info, "watchSubjects")
        stopped = await notices.unwatch(context.db, actor, str(id), context.today())
        context.audit_action("unwatch", subjects={stopped.subject}, detail=stopped.id)
        return Watch.of(stopped)


@strawberry.type(name="Subscription")
class NoticesSubscription:
    @strawberry.subscription(
        description="Your organisation's new notices as they are written (pushed; ends after "
        "`stopAfter` notices or `timeoutSeconds`)"
    )
    async def notice_added(
        self, info: GraphInfo, stop_after: int | None = None, timeout_seconds: int = 600
    ) -> AsyncGenerator[Notice, None]:
        if not 1 <= timeout_seconds <= MAX_SUBSCRIPTION_SECONDS:
            raise InvalidArgument(
                "timeoutSeconds", f"must be between 1 and {MAX_SUBSCRIPTION_SECONDS}"
            )
        if stop_after is not None and stop_after < 1:
            raise InvalidArgument("stopAfter", "must be at least 1")
        async for notice in _stream(info.context.db, _recipient(info), stop_after, timeout_seconds):
            yield notice


async def _stream(
    db: Database, recipient: str, stop_after: int | None, timeout_seconds: int
) -> AsyncGenerator[Notice, None]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + timeout_seconds
    since = datetime.datetime.now(datetime.UTC)
    seen: set[str] = set()
    delivered = 0
    while loop.time() < ends:
        fresh = await notices.notices_for(db, recipient, after=since - OVERLAP, limit=200)
        for notice in fresh:
            if notice.id in seen or notice.created_at < since:
                continue
            seen.add(notice.id)
            yield Notice.of(notice)
            delivered += 1
            if stop_after is not None and delivered >= stop_after:
                return
        await asyncio.sleep(POLL_SECONDS)
