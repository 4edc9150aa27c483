"""A hub process's audit write-ahead log: each entry durable on the hub's disk before the
response leaves, shipped to the chain in Neo4j in batches (one head lock per batch).

`AuditWriter` (authz/audit.py) commits every group of concurrent requests to Neo4j before they
answer: a write transaction with the chain head's lock per group, which costs Neo4j more than
the read it audits and adds a commit to every response. `AuditWal` gives the same guarantee a
cheaper way:

1. ``submit`` appends the entry as one line to this process's log file
   (``<home>/audit-wal/<id>.wal``) and returns once the line is synced to disk. Concurrent requests
   share one fsync. So no response leaves before its entry is durable.
2. A shipper appends what was fsynced to the Neo4j chain in order, in batches, with
   `authz.audit.append_pending`: one transaction per batch locks the head, writes the entries
   and moves the log's mark ``(:AuditWal {id, shipped})`` — the number of its last line in the
   chain — so a line is appended exactly once however often the log is shipped again. Several
   hub processes (and workers) each have their own log and append to one chain.
3. A process that dies leaves its log behind. Each process holds an exclusive ``flock`` on its
   own log while it lives; any hub starting on the same home (a restarted process, a worker the
   supervisor replaces) and every running hub every `SWEEP_SECONDS` take over a log no process
   holds, ship the lines past its mark, and delete it.

Entries keep the moment they were logged as their ``at`` (not the moment they were shipped),
so ``at`` says when the data left even for an entry shipped after a crash; across processes
``at`` is therefore not strictly increasing with ``seq``. A mutation's ``mutation_begun`` entry
waits until it is in the chain, so its change never reaches Neo4j before its entry does. If the
log cannot be written (a full disk), entries are shipped before answering instead, as
`AuditWriter` does. If Neo4j cannot be reached, entries wait on disk and shipping is retried;
once `max_backlog` entries wait, requests wait too (and fail after `BACKLOG_WAIT` seconds), so
the chain in Neo4j is never far behind the responses.

Each line is JSON: ``n`` (1, 2, 3 … in this log), ``at``, the entry's ``fields`` and ``links``,
``prev`` (the previous line's ``hash``) and ``hash`` (sha256 of the line's other members as
canonical JSON). The file is zeroed ahead of the lines (`SEGMENT`), so an append needs only an
``fdatasync``. A line cut short by the crash (never acknowledged: its sync did not return) is
dropped when the log is shipped; one that fails its hash is reported in the hub's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from authz.audit import (
    GENESIS,
    MUTATION_BEGUN,
    AuditEvent,
    PendingEntry,
    WalMark,
    append_pending,
    forget_wal,
    utc_iso,
)
from graph.database import Database

log = logging.getLogger("credithub.audit")

SUFFIX = ".wal"
SWEEP_SECONDS = 10.0
"""How often a running hub looks for logs left by processes that died."""
BACKLOG_WAIT = 30.0
"""How long a request waits for room when `max_backlog` entries are not yet shipped."""
SEGMENT = 4 * 1024 * 1024
"""The log file is written ahead with zeros in steps of this many bytes, so appending a line
changes no file metadata and `os.fdatasync` need not commit the file system's journal (on ext4
about half the time of an fsync of a growing file). A log whose every line is shipped starts
again from its beginning once this much was written."""
RETRY_FIRST, RETRY_MAX = 0.05, 5.0
INLINE_SYNC_LIMIT = 0.001
"""A group is synced on the event loop itself while syncs take less than this on average
(seconds): handing a fast sync to a thread costs more than it blocks (the hop and taking the
GIL back were 0.2–0.5 ms, an ``fdatasync`` here 0.1–0.3 ms). A slow disk's syncs go to a
thread, so they never stall the requests being computed meanwhile; so does a group that needs
the file extended first (`SEGMENT` of zeros and an ``fsync``)."""


class AuditBacklogFull(OSError):
    """Too many entries wait for Neo4j: the request is refused rather than answered unaudited
    for long."""


def _line_hash(record: dict[str, Any]) -> str:
    body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def read_wal(path: Path) -> tuple[list[tuple[int, PendingEntry]], list[str]]:
    """The entries of a log file in order, and the problems found (damaged lines).

    A last line without its newline was cut short by a crash before its fsync returned (its
    request never answered): it is dropped silently.
    """
    data = path.read_bytes().rstrip(b"\0")  # the zeros written ahead of the lines
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        lines.pop()  # torn tail
    entries: list[tuple[int, PendingEntry]] = []
    problems: list[str] = []
    previous: str | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip(b"\0"):
            continue  # zeros written ahead
        try:
            record = json.loads(raw)
            stored = record.pop("hash")
            n, at, fields, links = record["n"], record["at"], record["fields"], record["links"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"{path.name} line {number}: unreadable")
            continue
        if _line_hash(record) != stored:
            problems.append(f"{path.name} line {number}: altered (its hash does not match)")
        elif previous is not None and record.get("prev") != previous:
            problems.append(f"{path.name} line {number}: does not follow the line before it")
        previous = stored
        entries.append((int(n), PendingEntry(dict(fields), tuple(links), str(at))))
    return entries, problems


def pending_logs(directory: Path) -> Iterator[Path]:
    """The log files under `directory` (of running processes and of dead ones)."""
    if directory.is_dir():
        yield from sorted(directory.glob(f"*{SUFFIX}"))


class AuditWal:
    """The audit sink of one hub process: a local write-ahead log shipped to the chain."""

    def __init__(
        self,
        db: Database,
        directory: Path,
        *,
        batch_window: float = 0.0,
        max_batch: int = 500,
        max_backlog: int = 20_000,
    ) -> None:
        self.db = db
        self.directory = directory
        self.batch_window = batch_window
        """Seconds the shipper waits after the first unshipped entry, to gather a batch."""
        self.max_batch = max_batch
        self.max_backlog = max_backlog
        self.id = uuid.uuid4().hex
        self.path = directory / f"{self.id}{SUFFIX}"
        self._fd: int | None = None
        self._n = 0
        self._prev = GENESIS
        self._size = 0  # bytes of lines written
        self._allocated = 0  # bytes of the file (lines, then zeros)
        self._starting: asyncio.Task[None] | None = None
        self._closing = False
        # Lines to write, with the futures of the requests waiting for their fsync.
        self._buffer: list[tuple[bytes, int, PendingEntry, asyncio.Future[None]]] = []
        self._syncing: asyncio.Task[None] | None = None
        self.sync_seconds = 0.0
        """A moving average of how long a group's write and sync took (0 until the first)."""
        # Entries durable here (or not writable here), in log order, not yet in the chain.
        self._unshipped: list[tuple[int, PendingEntry]] = []
        self._shipped = 0
        self._ship_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._room = asyncio.Event()
        self._shipper: asyncio.Task[None] | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Open this process's log (taking its lock), ship the logs dead processes left, and
        start the shipper. Called at start-up; `submit` calls it too if nobody did."""
        if self._starting is None:
            self._starting = asyncio.create_task(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd = fd
        await asyncio.to_thread(self._extend, 0)
        try:
            await self.recover()
        except (DriverError, Neo4jError, OSError) as error:
            # Serve anyway: the sweep tries again, and nothing is lost while the files stay.
            log.warning("could not ship the audit logs left behind yet: %s", error)
        self._shipper = asyncio.create_task(self._ship_forever())

    async def close(self) -> None:
        """Ship everything submitted, then delete this log and its mark (at shutdown). If Neo4j
        cannot be reached the log stays, and the next hub to start ships it."""
        if self._starting is None:
            return
        await self.start()
        self._closing = True
        if self._syncing is not None:
            await asyncio.gather(self._syncing, return_exceptions=True)
        self._urgent.set()
        self._wake.set()
        if self._shipper is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._shipper), timeout=10)
            self._shipper.cancel()
        if self._fd is not None:
            done = not self._unshipped and not self._buffer
            if done:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)  # releases the lock
            self._fd = None
            if done:
                with contextlib.suppress(DriverError, Neo4jError, OSError):
                    await forget_wal(self.db, self.id)

    # -- submitting ---------------------------------------------------------------------------
    async def submit(self, event: AuditEvent) -> None:
        """Log `event` and return once its line is fsynced (a mutation's begun entry: once it
        is in the chain)."""
        await self.start()
        if self._closing:
            raise AuditBacklogFull("the hub is shutting down")
        await self._wait_for_room()
        self._n += 1
        n = self._n
        entry = PendingEntry.of(event, utc_iso(datetime.now(UTC)))
        record: dict[str, Any] = {
            "n": n,
            "at": entry.at,
            "fields": entry.fields,
            "links": list(entry.links),
            "prev": self._prev,
        }
        record["hash"] = self._prev = _line_hash(record)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer.append((line, n, entry, durable))
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.create_task(self._sync())
        await durable
        if event.action == MUTATION_BEGUN:
            await self.shipped(n)

    async def shipped(self, n: int | None = None) -> None:
        """Wait until this log's entries up to `n` (default: all submitted) are in the chain."""
        upto = self._n if n is None else n
        if self._shipped >= upto:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ship_waiters.append((upto, waiter))
        self._urgent.set()
        self._wake.set()
        await waiter

    async def _wait_for_room(self) -> None:
        if len(self._unshipped) < self.max_backlog:
            return
        try:
            async with asyncio.timeout(BACKLOG_WAIT):
                while len(self._unshipped) >= self.max_backlog:
                    self._room.clear()
                    await self._room.wait()
        except TimeoutError:
            raise AuditBacklogFull(
                f"{len(self._unshipped)} audit entries wait for Neo4j; refusing for now"
            ) from None

    async def _sync(self) -> None:
        # One write and one fsync for every line gathered meanwhile; the next group gathers
        # while this one is on its way to the disk.
        while self._buffer:
            group, self._buffer = self._buffer, []
            data = b"".join(line for line, _, _, _ in group)
            try:
                if self.sync_seconds < INLINE_SYNC_LIMIT and self._fits(len(data)):
                    self._timed_write(data)
                else:
                    await asyncio.to_thread(self._timed_write, data)
            except OSError as error:
                log.error(
                    "audit log %s not writable (%s): shipping before answering", self.path, error
                )
                self._unshipped.extend((n, entry) for _, n, entry, _ in group)
                self._wake.set()
                for _, n, _, future in group:
                    waiting = asyncio.ensure_future(self.shipped(n))
                    waiting.add_done_callback(functools.partial(_settle, future))
                continue
            self._size += len(data)
            self._unshipped.extend((n, entry) for _, n, entry, _ in group)
            self._wake.set()
            for _, _, _, future in group:
                if not future.done():
                    future.set_result(None)

    def _timed_write(self, data: bytes) -> None:
        started = time.perf_counter()
        self._write(data)
        took = time.perf_counter() - started
        # Weighted so that a disk turning slow moves its syncs off the loop within a few groups.
        self.sync_seconds = took if not self.sync_seconds else 0.7 * self.sync_seconds + 0.3 * took

    def _fits(self, size: int) -> bool:
        """Whether `size` more bytes fit in the zeros written ahead (no extending first)."""
        return self._size + size <= self._allocated

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        if not self._fits(len(data)):
            self._extend(self._size + len(data))
        view, at = memoryview(data), self._size
        while view:
            written = os.pwrite(self._fd, view, at)
            view, at = view[written:], at + written
        os.fdatasync(self._fd)

    def _extend(self, needed: int) -> None:
        """Write zeros ahead (whole segments, at least to `needed` bytes) and make the file's
        new size durable, so the lines written into them need only their data synced."""
        assert self._fd is not None
        size = max(self._allocated + SEGMENT, -(-needed // SEGMENT) * SEGMENT)
        zeros = bytes(SEGMENT)
        at = self._allocated
        while at < size:
            at += os.pwrite(self._fd, zeros[: size - at], at)
        os.fsync(self._fd)
        self._allocated = size

    # -- shipping -----------------------------------------------------------------------------
    async def _ship_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + SWEEP_SECONDS
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=SWEEP_SECONDS)
            self._wake.clear()
            hurried = self._urgent.is_set() or self._closing
            if self._unshipped and self.batch_window > 0 and not hurried:
                # Gather a batch, unless someone waits for the chain (a mutation, shutdown).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), timeout=self.batch_window)
            self._urgent.clear()
            await self._ship_backlog()
            if self._closing and not self._unshipped and not self._buffer:
                return
            if loop.time() >= next_sweep:
                next_sweep = loop.time() + SWEEP_SECONDS
                with contextlib.suppress(DriverError, Neo4jError, OSError):
                    await self.recover()

    async def _ship_backlog(self) -> None:
        # What is unshipped now; entries made durable meanwhile wait for the next window (each
        # sets `_wake`). Shipping on until none were left sent batches of two or three under
        # steady traffic, a transaction with the head's lock each: 61–111 batches for 300
        # sequential requests instead of 3–4.
        left = len(self._unshipped)
        delay = RETRY_FIRST
        while left > 0 and self._unshipped:
            batch = self._unshipped[: min(self.max_batch, left)]
            try:
                await append_pending(
                    self.db, [entry for _, entry in batch], mark=WalMark(self.id, batch[0][0])
                )
            except (DriverError, Neo4jError, OSError) as error:
                log.warning("audit entries wait for Neo4j (%s); retrying", type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            left -= len(batch)
            del self._unshipped[: len(batch)]
            self._shipped = batch[-1][0]
            self._room.set()
            waiting = []
            for upto, future in self._ship_waiters:
                if upto <= self._shipped:
                    if not future.done():
                        future.set_result(None)
                else:
                    waiting.append((upto, future))
            self._ship_waiters = waiting
        if self._ship_waiters:
            self._urgent.set()  # waiting for lines still on their way to the disk
        self._truncate_if_shipped()

    def _truncate_if_shipped(self) -> None:
        # Lines are numbered on: the mark keeps the numbers already shipped, so an emptied log
        # that grows again is still shipped from the right line.
        idle = self._syncing is None or self._syncing.done()
        shipped = not self._buffer and not self._unshipped
        if self._fd is not None and idle and shipped and self._size >= SEGMENT:
            # Zeros over the shipped lines first (so no old line follows a new one), then
            # write from the start again; the fsync makes the wipe durable before any new line.
            os.pwrite(self._fd, bytes(self._size), 0)
            os.fsync(self._fd)
            self._size = 0

    async def recover(self) -> int:
        """Ship the logs under the directory that no living process holds, then delete them
        and their marks. Returns how many entries were appended."""
        appended = 0
        for path in pending_logs(self.directory):
            if path == self.path:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # shipped and deleted by another process meanwhile
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive (or another one is shipping it)
                if not path.exists():
                    continue
                appended += await ship_file(self.db, path)
                path.unlink(missing_ok=True)
                await forget_wal(self.db, path.stem)
            finally:
                os.close(fd)
        return appended


def _settle(future: asyncio.Future[None], done: asyncio.Future[None]) -> None:
    if future.done():
        return
    error = done.exception()
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


async def ship_file(db: Database, path: Path, *, max_batch: int = 500) -> int:
    """Append the lines of a left-behind log that its mark says are not in the chain yet;
    return how many were appended."""
    entries, problems = read_wal(path)
    for problem in problems:
        log.error("audit log damaged: %s", problem)
    appended = 0
    # Runs of consecutive numbers: a mark moves over a run, never over a gap.
    start = 0
    while start < len(entries):
        end = start + 1
        while (
            end < len(entries)
            and end - start < max_batch
            and entries[end][0] == entries[end - 1][0] + 1
        ):
            end += 1
        batch = entries[start:end]
        written = await append_pending(
            db, [entry for _, entry in batch], mark=WalMark(path.stem, batch[0][0])
        )
        appended += len(written)
        start = end
    if appended:
        log.warning("shipped %d audit entries left in %s", appended, path.name)
    return appended
