"""Notices (通知) and watch lists (贷后监测): the outbox as a query and as a subscription.

The subscription reads the shared outbox in Neo4j rather than an in-process queue, so a notice
written by any hub process (or by a feed load) reaches a subscriber connected to any other.
It is served over HTTP with the GraphQL multipart subscription protocol (``Accept:
multipart/mixed;subscriptionSpec="1.0"``), which passes the same authentication and limits as
every other request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import weakref
from collections.abc import AsyncGenerator

import strawberry
from neo4j.exceptions import DriverError, Neo4jError

from graph.database import Database
from graph.lifecycle import notices
from graph.model import NoticeKind
from hub.api.lifecycle_support import acting_for, require
from hub.api.query import GraphInfo
from hub.errors import ClientError, InvalidArgument

log = logging.getLogger("credithub")

COMPUTED_TYPES = ("Notice", "Watch")

POLL_SECONDS = 1.0
"""How often the process's feed looks at the outbox: a notice arrives within about this long."""

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
        stream = _stream(info.context.db, _recipient(info), stop_after, timeout_seconds)
        # Closed with this generator, so its queue leaves the feed at once, not when collected.
        async with contextlib.aclosing(stream):
            async for notice in stream:
                yield notice


async def _stream(
    db: Database, recipient: str, stop_after: int | None, timeout_seconds: int
) -> AsyncGenerator[Notice, None]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + timeout_seconds
    since = datetime.datetime.now(datetime.UTC)
    delivered = 0
    feed = feed_of(db)
    queue = feed.subscribe(recipient)
    try:
        while (remaining := ends - loop.time()) > 0:
            try:
                notice = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                return
            if notice is None:
                raise StreamOverflow
            if notice.created_at < since:
                continue
            yield Notice.of(notice)
            delivered += 1
            if stop_after is not None and delivered >= stop_after:
                return
    finally:
        feed.unsubscribe(recipient, queue)


class StreamOverflow(ClientError):
    """The subscriber read its notices more slowly than they came; they wait in `notices`."""

    code = "STREAM_OVERFLOW"

    def __init__(self) -> None:
        super().__init__(
            f"订阅读取过慢，已有 {QUEUE_SIZE} 条通知未读，订阅已结束，请以 notices 查询读取 "
            "(the stream fell too far behind and has ended; read the rest with `notices`)"
        )


QUEUE_SIZE = 1000
"""Notices waiting for one stream before it is ended (its reader is too slow)."""
BATCH = 1000
"""Notices read by one poll; more wait for the next."""

Outbox = asyncio.Queue[notices.Notice | None]
"""One stream's notices in order; `None` ends it (it fell more than QUEUE_SIZE behind)."""


class NoticeFeed:
    """One poll of the outbox per hub process, fanned out to every open stream.

    Each `noticeAdded` stream used to read Neo4j once a second, so 1,000 open streams were
    1,000 reads a second (issue 20). Here a stream is a queue: while any is open one task reads
    the notices of every recipient with a stream, once per `POLL_SECONDS`, and puts each on its
    recipient's queues; with none open it stops. An idle stream costs a queue and a suspended
    generator, and no reads of its own. A failed read is logged and retried on the next tick
    (the notices stay in the outbox; the window below catches up).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.loop = asyncio.get_running_loop()
        self.streams: dict[str, set[Outbox]] = {}
        self.polls = 0
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, recipient: str) -> Outbox:
        """A queue of `recipient`'s notices from now on; the poll runs while any is open."""
        queue: Outbox = asyncio.Queue(maxsize=QUEUE_SIZE + 1)
        self.streams.setdefault(recipient, set()).add(queue)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._poll())
        return queue

    def unsubscribe(self, recipient: str, queue: Outbox) -> None:
        """Stop filling `queue` (its stream has ended)."""
        queues = self.streams.get(recipient)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.streams[recipient]

    def snapshot(self) -> dict[str, int]:
        """What `/healthz` shows: streams fed, recipients polled for, polls made."""
        return {
            "streams": sum(len(q) for q in self.streams.values()),
            "recipients": len(self.streams),
            "polls": self.polls,
        }

    async def _poll(self) -> None:
        since = datetime.datetime.now(datetime.UTC)
        seen: dict[str, datetime.datetime] = {}
        while self.streams:
            await asyncio.sleep(POLL_SECONDS)
            if not self.streams:
                break
            started = datetime.datetime.now(datetime.UTC)
            try:
                fresh = await notices.notices_since(
                    self.db, sorted(self.streams), since - OVERLAP, BATCH
                )
            except (DriverError, Neo4jError, OSError) as error:
                log.warning("notice poll failed: %s", type(error).__name__)
                continue
            self.polls += 1
            for notice in fresh:
                if notice.id in seen:
                    continue
                seen[notice.id] = notice.created_at
                for queue in list(self.streams.get(notice.recipient, ())):
                    _offer(queue, notice)
            # A full batch: continue from its last notice, the rest come on the next tick.
            since = fresh[-1].created_at if len(fresh) == BATCH else started
            horizon = since - OVERLAP
            seen = {id_: at for id_, at in seen.items() if at > horizon}


def _offer(queue: Outbox, notice: notices.Notice) -> None:
    if queue.qsize() >= QUEUE_SIZE:
        if queue.qsize() == QUEUE_SIZE:
            queue.put_nowait(None)  # the one extra place: tells the stream it fell behind
        return
    queue.put_nowait(notice)


_FEEDS: weakref.WeakKeyDictionary[Database, NoticeFeed] = weakref.WeakKeyDictionary()


def feed_of(db: Database) -> NoticeFeed:
    """The process's one feed for `db` (made on first use, in a running event loop; a test
    suite running several loops in turn gets one per loop)."""
    feed = _FEEDS.get(db)
    if feed is None or feed.loop is not asyncio.get_running_loop():
        feed = _FEEDS[db] = NoticeFeed(db)
    return feed
