"""The one way the code talks to Neo4j.

A single-statement read runs as an auto-commit query in a read session, retried here on the
driver's retryable errors the way the driver retries managed transactions; writes and
multi-statement work run in managed transactions retried by the driver. Read sessions route a
`neo4j://` URI's reads to secondaries and writes to the primary of a cluster. Every query names
its database (saves a round trip) and takes parameters (plan cache).

Why reads are not managed transactions: a managed read sends BEGIN, waits, runs, then sends
COMMIT and waits again; one statement needs none of that. Measured on the 300-enterprise bench
graph, one small read cost 1.15 ms of this process's CPU and 2.2 ms p50 as a managed
transaction against 0.51 ms and 0.9 ms as an auto-commit query (500 calls each, uvloop).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import AsyncGraphDatabase

Row = dict[str, Any]
WRITE_TRANSACTION = "<write transaction>"
T = TypeVar("T")

_query_counter: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "credithub_query_counter", default=None
)


class QueryLog:
    """Collects the Cypher run inside a `with` block, for tests and benchmarks.

    A request's N+1 behaviour is a property worth proving, so the database counts its own
    queries instead of trusting the code that calls it.
    """

    def __init__(self) -> None:
        self.queries: list[str] = []
        self._token: contextvars.Token[list[str] | None] | None = None

    def __enter__(self) -> QueryLog:
        self._token = _query_counter.set(self.queries)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _query_counter.reset(self._token)

    @property
    def count(self) -> int:
        """Number of queries run so far."""
        return len(self.queries)

    @property
    def reads(self) -> int:
        """Number of those that were single-statement reads or writes (not transactions)."""
        return sum(1 for q in self.queries if q != WRITE_TRANSACTION)


@dataclass(frozen=True)
class Connection:
    """Where the graph lives and how to log in."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"


READ_RETRY_SECONDS = 5.0
"""How long a read is retried after its first failure (the driver's `max_transaction_retry_time`
for managed transactions, set below to the same)."""
READ_RETRY_FIRST, READ_RETRY_FACTOR, READ_RETRY_JITTER = 1.0, 2.0, 0.2
"""The driver's own retry delays: 1 s, doubling, ±20 % so clients do not retry in step."""
IDLE_READ_SESSIONS = 64
"""Read sessions kept between reads, at most (one per read running at the same time)."""
CLOSE_WAIT = 15.0
"""How long `Database.close` waits for units of work under way (reads and writes retry for
`READ_RETRY_SECONDS`; a closing server's last requests should get their answers)."""


REMEMBERED_DATES = 65_536
"""Distinct dates whose driver values are kept (about 180 years of days)."""


def remember_dates() -> bool:
    """Hydrate each distinct date the server sends once per process; True if in place.

    The driver builds a `neo4j.time.Date` for every date of every row in pure Python (its day
    arithmetic): 8.5 % of the hub's CPU for an association's member page, whose hundred records
    each carry dates. The dates are few (records' decision and publication days) and the values
    immutable, so one value per day can be shared. The hook is the driver's own module-level
    hydrator, looked up when a connection is made; a driver that moves it leaves dates as they
    were (tests/test_database_reads.py says so).
    """
    try:
        from neo4j._codec.hydration.bolt.v1 import temporal
    except ImportError:  # pragma: no cover — a driver without that module
        return False
    hydrate = getattr(temporal, "hydrate_date", None)
    if hydrate is None:  # pragma: no cover
        return False
    if not hasattr(hydrate, "cache_info"):
        temporal.hydrate_date = functools.lru_cache(maxsize=REMEMBERED_DATES)(hydrate)
    return True


remember_dates()


class Database:
    """An async Neo4j driver bound to one database."""

    def __init__(self, connection: Connection, *, max_pool_size: int = 50) -> None:
        self.connection = connection
        self._driver = AsyncGraphDatabase.driver(
            connection.uri,
            auth=(connection.user, connection.password),
            max_connection_pool_size=max_pool_size,
            connection_acquisition_timeout=10.0,
            # A dead server should fail a request fast instead of hanging it.
            connection_timeout=5.0,
            max_transaction_retry_time=READ_RETRY_SECONDS,
            # Schema notices (e.g. "label does not exist" before the first load) are not
            # problems of ours; real failures still raise.
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            # Otherwise the driver sends Neo4j a TELEMETRY message (which API ran the query)
            # before every query: one more Bolt message for both sides to handle per query.
            telemetry_disabled=True,
        )
        # One bookmark manager for every session of this process: on a cluster a read routed
        # to a secondary waits until that member has this process's earlier writes, so a
        # request never misses what the same hub just wrote (causal consistency).
        self._bookmarks = AsyncGraphDatabase.bookmark_manager()
        # Read sessions between reads (each holds no connection then): see `_read_retried`.
        self._idle_reads: list[neo4j.AsyncSession] = []
        # Units of work under way (`_uncancellable`); `close` lets them end first.
        self._running: set[asyncio.Future[Any]] = set()
        self._closing = False

    async def close(self) -> None:
        """Let the units of work under way end (for up to `CLOSE_WAIT` seconds), then close
        every session and pooled connection.

        A unit still under way when the driver closed would keep its session, and the socket
        under it, until the collector found them."""
        self._closing = True
        if self._running:
            await asyncio.wait(set(self._running), timeout=CLOSE_WAIT)
        idle, self._idle_reads = self._idle_reads, []
        for session in idle:
            await _discard(session)
        await self._driver.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(
        self,
        cypher: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> list[Row]:
        """Run one query in a read transaction and return its rows as dicts."""
        return await self._run(neo4j.READ_ACCESS, cypher, params, metadata, timeout)

    async def write(
        self,
        cypher: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> list[Row]:
        """Run one query in a write transaction and return its rows as dicts."""
        return await self._run(neo4j.WRITE_ACCESS, cypher, params, metadata, timeout)

    async def stream(
        self, cypher: LiteralString, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[neo4j.Record]:
        """Run one read query and yield its records as the server sends them.

        For exports of millions of rows: nothing is held in memory. Not retried (rows already
        yielded cannot be taken back), so a failure part-way raises to the caller.
        """
        log = _query_counter.get()
        if log is not None:
            log.append(cypher)
        async with self._opened(neo4j.READ_ACCESS) as session:
            result = await session.run(cypher, dict(params or {}))
            async for record in result:
                yield record

    async def write_batches(
        self,
        cypher: LiteralString,
        rows: Sequence[Mapping[str, Any]],
        *,
        batch_size: int = 5000,
        extra: Mapping[str, Any] | None = None,
    ) -> int:
        """Run `cypher` (which reads `$rows`) once per batch, each in its own transaction.

        A batch is all-or-nothing, so an interrupted load leaves whole batches only and
        re-running an idempotent (MERGE-based) statement completes it.
        """
        written = 0
        for start in range(0, len(rows), batch_size):
            batch = list(rows[start : start + batch_size])
            await self.write(cypher, {**(extra or {}), "rows": batch})
            written += len(batch)
        return written

    async def write_transaction(
        self,
        work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> T:
        """Run `work` (several statements, Python in between) in one write transaction.

        The driver retries the whole function on transient failures, so `work` must not
        have effects outside the transaction.
        """
        log = _query_counter.get()
        if log is not None:
            log.append(WRITE_TRANSACTION)
        unit = neo4j.unit_of_work(metadata=dict(metadata) if metadata else None)(work)

        async def run() -> T:
            async with self._opened(neo4j.WRITE_ACCESS) as session:
                return await session.execute_write(unit)

        return await self._uncancellable(run())

    async def ping(self, timeout: float = 3.0) -> None:
        """Prove the database answers a real query (not just that Bolt is listening).

        Unlike `read`, no retries: a health probe must answer at once, not ride out an outage.
        """
        async with self._opened(neo4j.READ_ACCESS) as session:
            result = await session.run(neo4j.Query("RETURN 1 AS ok", timeout=timeout))
            await result.consume()

    async def bookmarks(self) -> list[str]:
        """The bookmarks of this process's latest transactions (what its reads wait for)."""
        return sorted(await self._bookmarks.get_bookmarks())

    @contextlib.asynccontextmanager
    async def _opened(self, mode: str) -> AsyncIterator[neo4j.AsyncSession]:
        """A session for one unit of work, closed after it even when closing fails."""
        session = self._session(mode)
        try:
            yield session
        finally:
            await _discard(session)

    def _session(self, mode: str) -> neo4j.AsyncSession:
        return self._driver.session(
            database=self.connection.database,
            default_access_mode=mode,
            bookmark_manager=self._bookmarks,
        )

    async def _run(
        self,
        mode: str,
        cypher: LiteralString,
        params: Mapping[str, Any] | None,
        metadata: Mapping[str, Any] | None,
        timeout: float | None,
    ) -> list[Row]:
        log = _query_counter.get()
        if log is not None:
            log.append(cypher)

        if mode == neo4j.READ_ACCESS:
            query = neo4j.Query(
                cypher, metadata=dict(metadata) if metadata else None, timeout=timeout
            )
            return await self._uncancellable(self._read_retried(query, dict(params or {})))

        @neo4j.unit_of_work(metadata=dict(metadata) if metadata else None, timeout=timeout)
        async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
            result = await tx.run(cypher, dict(params or {}))
            return [dict(record) async for record in result]

        async def run() -> list[Row]:
            async with self._opened(mode) as session:
                return await session.execute_write(work)

        return await self._uncancellable(run())

    async def _uncancellable(self, work: Coroutine[Any, Any, T]) -> T:
        """Await `work` in a task of its own that the caller's cancellation does not reach.

        GraphQL cancels a request's sibling resolvers when one of them fails, and a client that
        hangs up cancels its request. A driver session cancelled while it opens or talks to the
        server leaves its socket unclosed (a file descriptor leaked per cancellation, measured:
        153 of 400 cancelled reads). So the unit of work runs to its end — bounded by the query
        and transaction timeouts — and returns its connection to the pool; only the caller stops
        waiting. Its outcome is then retrieved, so a failure after the caller left is not logged
        as an exception nobody retrieved. The task is held until it ends (the loop keeps only a
        weak reference) and `close` waits for it.
        """
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_retrieve)
            raise

    async def _read_retried(self, query: neo4j.Query, params: dict[str, Any]) -> list[Row]:
        # A read has no effects, so running it again after a retryable failure (a restarting
        # server, a leader switch, a transient lock) is always safe.
        delay = READ_RETRY_FIRST
        deadline: float | None = None
        while True:
            session = self._idle_reads.pop() if self._idle_reads else None
            try:
                session = session or self._session(neo4j.READ_ACCESS)
                result = await session.run(query, params)
                rows = [dict(record) async for record in result]
            except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError) as error:
                await _discard(session)
                if not error.is_retryable():
                    raise
                now = asyncio.get_running_loop().time()
                deadline = now + READ_RETRY_SECONDS if deadline is None else deadline
                if now >= deadline:
                    raise
            except BaseException:
                await _discard(session)
                raise
            else:
                # The result is consumed, so the session holds no connection: it is kept for
                # the next read (a new session per read cost 0.06–0.1 ms of CPU more).
                if not self._closing and len(self._idle_reads) < IDLE_READ_SESSIONS:
                    self._idle_reads.append(session)
                else:
                    await _discard(session)
                return rows
            jitter = random.uniform(1 - READ_RETRY_JITTER, 1 + READ_RETRY_JITTER)
            await asyncio.sleep(delay * jitter)
            delay *= READ_RETRY_FACTOR


async def _discard(session: neo4j.AsyncSession | None) -> None:
    """Close a session that failed (or is no longer wanted); its own failure to close is moot.

    The driver (6.4) marks a session closed only after it has released its connection, and a
    server going away can fail that release (the rollback or the final exchange on a broken
    connection). Such a session would stay open, holding its socket, until the collector
    found both and warned. Its connection is killed instead, and the session closed without it.
    """
    if session is None:
        return
    try:
        await session.close()
    except Exception:
        session.cancel()  # drops the connection from the pool and closes its socket
        with contextlib.suppress(Exception):
            await session.close()  # without a connection: only marks it closed


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
