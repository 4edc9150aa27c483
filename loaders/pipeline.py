"""The load pipeline: a feed in, checked rows written, refused rows quarantined, a summary out.

One entry point per source — `load_file` for files, `load_rows` for rows submitted through the
API — and one pipeline behind both:

1. the supplier must be listed in the collection catalogue for the feed kind (else nothing is
   read) and the header must have the kind's required columns (else nothing is read);
2. rows are checked and prepared in chunks on a worker thread while the previous chunk is being
   written, so parsing overlaps the database;
3. each chunk is one transaction holding its good rows *and* its quarantined rows: an
   interrupted load leaves whole chunks, and running the same command again completes it
   without duplicates (unchanged rows are skipped, quarantine is keyed by batch and row);
4. the batch node gets the summary: rows read, new, new versions, unchanged, quarantined by
   reason.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import itertools
import json
import logging
import pickle
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import CHINA_TIME  # the one notion of Beijing time (re-exported)
from graph.workdays import WorkdayCalendar, mainland_calendar
from loaders.batches import FINISH, START, batch_id, write_quarantine
from loaders.collection import (
    CollectionCatalogue,
    NotInCatalogue,
    Supplier,
    UnknownSupplier,
    find_supplier,
    load_collection_catalogue,
    load_uscc_overrides,
)
from loaders.feed_kinds import (
    FEED_KINDS,
    FeedKind,
    Problem,
    SeverityBasis,
    UnknownFeedKind,
    feed_kind,
    normalise_header,
)
from loaders.fields import ParseContext
from loaders.parameters import quiet_transaction
from loaders.preparing import (
    DEFAULT_POOL_THRESHOLD,
    Answer,
    PreparingFailed,
    Recipe,
    Verdicts,
    default_workers,
    landed,
    prepare_rows,
    prepare_shipped,
    ship,
    start_pool,
    warm_pool,
)
from loaders.sources import FeedFileError, SourceRow, open_feed
from loaders.validation import (
    MissingColumns,
    RejectedRow,
    RowChecker,
    load_organisations,
)
from loaders.writers import Outcome, Prepared, Provenance, writer_for
from loaders.writers.base import LOADER_VERSION, Writer

log = logging.getLogger("credithub.loaders")

__all__ = [
    "CHINA_TIME",
    "LOAD_REFUSALS",
    "AmbiguousFeedKind",
    "LoadOptions",
    "LoadSummary",
    "PreparingFailed",
    "detect_kind",
    "load_file",
    "load_rows",
]


class AmbiguousFeedKind(ValueError):
    """The header does not say which feed kind this is; the sender must name it."""


LOAD_REFUSALS: Final = (
    FeedFileError,
    MissingColumns,
    AmbiguousFeedKind,
    UnknownFeedKind,
    NotInCatalogue,
    UnknownSupplier,
)
"""What refuses a feed as a whole, before any row is written; each message says why."""


@dataclass(frozen=True)
class LoadOptions:
    """How a load runs; every field has the production default."""

    batch_size: int = 5000
    today: datetime.date | None = None
    catalogue: CollectionCatalogue | None = None
    calendar: WorkdayCalendar | None = None
    uscc_overrides: frozenset[str] | None = None
    """Reviewed codes accepted despite failing the checks (default: loaders/uscc_overrides.toml)."""
    wrap_writer: Callable[[Writer], Writer] | None = None
    """Wraps the kind's writer: an import from an upper system (loaders/exchange/) stamps its
    provenance on the nodes and links a decision the city already holds instead of rewriting it."""
    batch_properties: Mapping[str, Any] = field(default_factory=dict)
    """Extra provenance stored on the Batch node (the upper system and level of an import)."""
    pool_threshold: int = DEFAULT_POOL_THRESHOLD
    """Rows from which rows are prepared in worker processes (loaders/preparing.py)."""
    pool_workers: int | None = None
    """Worker processes of that pool (default: half the cores)."""


@dataclass
class LoadSummary:
    """What a load did, for the sender and for scripts (non-zero exit when rows were refused)."""

    batch_id: str
    file_name: str
    kind: str
    supplier: str
    supplier_name: str
    rows_read: int = 0
    new: int = 0
    new_versions: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    ignored_headers: list[str] = field(default_factory=list)
    severity_basis: Counter[str] = field(default_factory=Counter)
    """How the severity tier of the accepted rows was set (`SeverityBasis` → rows)."""
    seconds: float = 0.0
    linked: int = 0
    """Rows naming a decision the graph already held from another sender: linked, not copied."""
    batch_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        """Rows that changed the graph: new records plus new versions."""
        return self.new + self.new_versions

    def as_properties(self) -> dict[str, Any]:
        """The summary as Batch node properties."""
        return {
            "rowsRead": self.rows_read,
            "new": self.new,
            "newVersions": self.new_versions,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "quarantinedByReason": json.dumps(dict(self.quarantined_by_reason), sort_keys=True),
            "severityBasis": json.dumps(dict(self.severity_basis), sort_keys=True),
            "linked": self.linked,
            **self.batch_properties,
        }

    def render(self) -> str:
        """The summary as a person reads it at the end of a load."""
        kind = FEED_KINDS[self.kind]
        lines = [
            f"批次 (batch)        {self.batch_id}",
            f"文件 (file)         {self.file_name}",
            f"报送单位 (supplier) {self.supplier_name} {self.supplier}",
            f"信息类别 (kind)     {kind.label} ({kind.code})",
            f"读取 (rows read)    {self.rows_read}",
            f"新增 (new)          {self.new}",
            f"新版本 (versions)   {self.new_versions}",
            f"未变化 (unchanged)  {self.unchanged}",
            f"隔离 (quarantined)  {self.quarantined}",
        ]
        if self.linked:
            lines.insert(
                -1,
                f"已关联 (linked)     {self.linked}  同一主体同一文号的决定已有，关联而不重复写入 "
                "(linked, not duplicated)",
            )
        for code, count in sorted(self.quarantined_by_reason.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {code:<28} {count}")
        if self.ignored_headers:
            lines.append("未识别的列 (ignored columns): " + "、".join(self.ignored_headers))
        lines.extend(_SEVERITY_NOTES[b].format(n=n) for b, n in sorted(self.severity_basis.items()))
        if self.seconds:
            rate = self.rows_read / self.seconds if self.seconds else 0
            lines.append(f"用时 (time)         {self.seconds:.1f} s ({rate:,.0f} rows/s)")
        return "\n".join(lines)


_SEVERITY_NOTES: Final = {
    SeverityBasis.SUPPLIED.value: "失信程度 (severity): {n} 条按报送的失信程度",
    SeverityBasis.DERIVED.value: (
        "失信程度 (severity): {n} 条未报送，因处罚类别含吊销许可证件、责令停产停业、责令关闭、"
        "限制从业、限制开展生产经营活动或行政拘留，推定为严重 (derived: serious category)"
    ),
    SeverityBasis.DEFAULT.value: (
        "失信程度 (severity): {n} 条未报送，无规则可推定，按默认“一般”处理、公示期最长1年 "
        "(not given: the documented default, general)"
    ),
}


def detect_kind(headers: Sequence[str]) -> FeedKind:
    """The feed kind of a header, scored against every kind's signature (its required columns).

    A kind is a candidate when the header has its whole signature; candidates are ranked by how
    much of the header they recognise (the kind that would ignore the fewest columns wins), and
    the winner must recognise at least half of it. One shared column (统一社会信用代码 is in
    nearly every kind) decides nothing. A tie, or a header that fits no signature well, is
    refused naming the candidate or nearest kinds and ``--kind``.
    """
    keys = [normalise_header(h) for h in headers if str(h).strip()]
    scored: list[tuple[int, int, FeedKind]] = []  # (recognised, columns, kind)
    nearest: list[tuple[float, FeedKind, list[str]]] = []
    for kind in FEED_KINDS.values():
        recognised = [k for k in keys if k in kind.by_header]
        present = {kind.by_header[k].name for k in recognised}
        missing = [c.label for c in kind.signature if c.name not in present]
        if not missing:
            scored.append((len(recognised), len(kind.columns), kind))
        else:
            covered = 1 - len(missing) / max(len(kind.signature), 1)
            nearest.append((covered, kind, missing))
    if not scored:
        nearest.sort(key=lambda n: -n[0])
        hints = "; ".join(
            f"{kind.code}({kind.label}) 缺 {'、'.join(missing)}"
            for covered, kind, missing in nearest[:3]
            if covered > 0
        )
        raise AmbiguousFeedKind(
            "无法根据表头判断信息类别，请用 --kind 指定 (the header matches no feed kind's "
            f"required columns; pass --kind). 最接近 (nearest): {hints or '无'}"
        )
    scored.sort(key=lambda s: -s[0])
    best = scored[0]
    if best[0] * 2 < len(keys):
        # The header has the signature of a small kind (membership: one USCC column) but most
        # of it means nothing to that kind: it is some other file, missing its own signature.
        nearest.sort(key=lambda n: -n[0])
        hints = "; ".join(
            f"{kind.code}({kind.label}) 缺 {'、'.join(missing)}"
            for covered, kind, missing in nearest[:3]
            if covered > 0
        )
        raise AmbiguousFeedKind(
            f"表头仅有{best[0]}/{len(keys)}列属于“{best[2].label}”，无法判断信息类别，"
            f"请用 --kind 指定 (only {best[0]} of {len(keys)} columns fit {best[2].code}; "
            f"pass --kind). 最接近 (nearest): {hints or '无'}"
        )
    tied = [k for n, _, k in scored if n == best[0]]
    if len(tied) > 1:
        names = "、".join(f"{k.code}({k.label})" for k in tied)
        raise AmbiguousFeedKind(
            f"表头同时符合 {names}，请用 --kind 指定 (the header fits several kinds: {names}; "
            "pass --kind)"
        )
    return best[2]


@dataclass
class _Chunk:
    prepared: list[Prepared]
    rejected: list[RejectedRow]
    duplicates: int
    rows: int
    cells: dict[int, Mapping[str, Any]]
    looked_ahead: bool = False
    """The writer read this chunk's lookups before its transaction (`Writer.look_ahead`)."""


class _Assembler:
    """Turns a chunk's verdicts into a chunk to write; keeps the keys seen so far in this load.

    Runs in file order whichever way the verdicts were reached, so the first row of a key wins
    and a later row with other content is refused, as if the whole file were one chunk.
    """

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, int]] = {}
        self.severity_basis: Counter[str] = Counter()

    def assemble(self, sources: Sequence[SourceRow], verdicts: Verdicts) -> _Chunk:
        prepared: list[Prepared] = []
        rejected: list[RejectedRow] = []
        cells: dict[int, Mapping[str, Any]] = {}
        duplicates = 0
        self.severity_basis.update(verdicts.severity_basis)
        for source, ready in zip(sources, verdicts.rows, strict=True):
            if not isinstance(ready, Prepared):
                rejected.append(RejectedRow(source.number, ready, dict(source.cells), source.raw))
                continue
            first = self.seen.get(ready.key)
            if first is None:
                self.seen[ready.key] = (ready.hash, ready.number)
                prepared.append(ready)
                cells[ready.number] = source.cells
            elif first[0] == ready.hash:
                duplicates += 1  # the same row twice in one feed: nothing to do
            else:
                rejected.append(
                    RejectedRow(
                        source.number,
                        (
                            Problem(
                                "",
                                "DUPLICATE_KEY",
                                f"与第{first[1]}行为同一决定(文号相同)但内容不同，"
                                "无法确定以哪行为准 "
                                f"(same natural key as row {first[1]}, "
                                "different content)",
                            ),
                        ),
                        dict(source.cells),
                        source.raw,
                    )
                )
        return _Chunk(prepared, rejected, duplicates, len(sources), cells)


class _ThreadPreparer:
    """Reads, checks and prepares one chunk at a time on a worker thread (small loads)."""

    def __init__(
        self, rows: Iterator[SourceRow], checker: RowChecker, writer: Writer, size: int
    ) -> None:
        self.rows = rows
        self.checker = checker
        self.writer = writer
        self.size = size
        self.assembler = _Assembler()

    def _next(self) -> _Chunk | None:
        sources = list(itertools.islice(self.rows, self.size))
        if not sources:
            return None
        return self.assembler.assemble(sources, prepare_rows(self.checker, self.writer, sources))

    async def next_chunk(self) -> _Chunk | None:
        return await asyncio.to_thread(self._next)

    def close(self) -> None:
        pass


class _PoolPreparer:
    """Reads rows here, checks and prepares them in a process pool, a few chunks ahead.

    At most ``depth`` chunks are out at the workers (and their source rows held here, for the
    quarantine), so memory stays bounded however long the file.
    """

    def __init__(
        self, rows: Iterator[SourceRow], pool: ProcessPoolExecutor, size: int, depth: int
    ) -> None:
        self.rows = rows
        self.pool = pool
        self.size = size
        self.depth = depth
        self.assembler = _Assembler()
        self.out: deque[tuple[list[SourceRow], asyncio.Future[Answer]]] = deque()
        self.exhausted = False

    def _read(self) -> list[SourceRow]:
        return list(itertools.islice(self.rows, self.size))

    async def next_chunk(self) -> _Chunk | None:
        try:
            answer = await self._next_answer()
        except BrokenProcessPool as error:
            raise PreparingFailed(
                "预处理进程意外退出，本次报送未完成；已写入的整块数据保留，重新执行同一命令可补全 "
                "(a worker process preparing rows died; the load stopped. Whole chunks written "
                "so far are kept: run the same load again to complete it)"
            ) from error
        if answer is None:
            return None
        sources, verdicts = answer
        return self.assembler.assemble(sources, landed(verdicts))

    async def _next_answer(self) -> tuple[list[SourceRow], Answer] | None:
        loop = asyncio.get_running_loop()
        while not self.exhausted and len(self.out) < self.depth:
            # Reading off the loop: the loop is meanwhile receiving the write's answer.
            sources = await asyncio.to_thread(self._read)
            if not sources:
                self.exhausted = True
                break
            future = loop.run_in_executor(self.pool, prepare_shipped, ship(sources))
            self.out.append((sources, future))
        if not self.out:
            return None
        sources, future = self.out.popleft()
        return sources, await future

    def close(self) -> None:
        for _, future in self.out:
            future.cancel()
        # Waits for at most the chunk a worker is busy with; leaves no process behind.
        self.pool.shutdown(wait=True, cancel_futures=True)


async def _resolve(
    db: Database, supplier_code: str, kind: FeedKind, options: LoadOptions
) -> tuple[Supplier, CollectionCatalogue]:
    supplier = await find_supplier(db, supplier_code)
    catalogue = options.catalogue or load_collection_catalogue()
    catalogue.permit(supplier, kind)  # raises NotInCatalogue before anything is read
    return supplier, catalogue


async def _run(
    db: Database,
    *,
    rows: Iterator[SourceRow],
    expected_rows: int,
    headers: Sequence[str],
    kind: FeedKind,
    supplier: Supplier,
    catalogue: CollectionCatalogue,
    content_hash: str,
    file_name: str,
    file_format: str,
    encoding: str | None,
    person_secret: bytes,
    options: LoadOptions,
    progress: Callable[[int], None] | None,
) -> LoadSummary:
    started = asyncio.get_running_loop().time()
    now = datetime.datetime.now(CHINA_TIME)
    today = options.today or now.date()
    loaded_at = now if options.today is None else datetime.datetime.combine(today, now.timetz())
    permit = catalogue.permit(supplier, kind)
    checker = RowChecker(
        kind,
        supplier,
        permit,
        ParseContext(
            today,
            load_uscc_overrides() if options.uscc_overrides is None else options.uscc_overrides,
        ),
        headers,
        await load_organisations(db),
    )
    batch = batch_id(supplier.code, kind.code, content_hash)
    provenance = Provenance(
        batch, supplier, kind, loaded_at, person_secret, options.calendar or mainland_calendar()
    )
    writer = writer_for(kind.target)(provenance)
    if options.wrap_writer is not None:
        writer = options.wrap_writer(writer)
    summary = LoadSummary(
        batch,
        file_name,
        kind.code,
        supplier.code,
        supplier.name,
        ignored_headers=checker.ignored_headers,
        batch_properties=dict(options.batch_properties),
    )
    await db.write(
        START,
        {
            "id": batch,
            "at": loaded_at,
            "kind": kind.code,
            "supplier": supplier.code,
            "supplierName": supplier.name,
            "contentHash": content_hash,
            "fileName": file_name,
            "format": file_format,
            "encoding": encoding,
            "loaderVersion": LOADER_VERSION,
        },
    )
    preparer = _preparer(rows, expected_rows, checker, writer, provenance, headers, options)
    pending: asyncio.Task[_Chunk | None] | None = None
    status: str | None = "FAILED"
    try:
        pending = asyncio.create_task(_next_chunk(db, preparer, writer))
        while True:
            chunk = await pending
            if chunk is None:
                break
            # Prepare the next chunk, and read what its write will look up, while this one is
            # written: the CPU and Neo4j both work, and those reads leave the chain.
            pending = asyncio.create_task(_next_chunk(db, preparer, writer))
            await _write_chunk(db, writer, chunk, batch, loaded_at, summary)
            if progress is not None:
                progress(chunk.rows)
        summary.severity_basis = Counter(preparer.assembler.severity_basis)
        status = "COMPLETED"
    except _UNREACHABLE:
        # Neo4j is gone: recording FAILED would only wait out the driver's retries again. The
        # batch stays RUNNING, which is what it is until the same load is run again.
        status = None
        raise
    finally:
        if pending is not None:
            # Its failure too (the next chunk's reads ahead meet the same outage) is retrieved
            # here, or asyncio would print it as a traceback nobody retrieved.
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        preparer.close()
        summary.seconds = asyncio.get_running_loop().time() - started
        if status is not None:
            await _finish(db, batch, summary, status, loaded_at)
    return summary


def _preparer(
    rows: Iterator[SourceRow],
    expected_rows: int,
    checker: RowChecker,
    writer: Writer,
    provenance: Provenance,
    headers: Sequence[str],
    options: LoadOptions,
) -> _ThreadPreparer | _PoolPreparer:
    """A process pool for a large load whose recipe can travel; the thread otherwise."""
    if expected_rows < options.pool_threshold:
        return _ThreadPreparer(rows, checker, writer, options.batch_size)
    recipe = Recipe.of(checker, provenance, headers, options.wrap_writer)
    try:
        pickle.dumps(recipe)
    except (pickle.PicklingError, TypeError, AttributeError):
        # A writer wrapped by a closure (an upper system's import) prepares on the thread.
        return _ThreadPreparer(rows, checker, writer, options.batch_size)
    workers = options.pool_workers or default_workers()
    return _PoolPreparer(rows, start_pool(recipe, workers), options.batch_size, workers + 1)


async def _next_chunk(
    db: Database, preparer: _ThreadPreparer | _PoolPreparer, writer: Writer
) -> _Chunk | None:
    chunk = await preparer.next_chunk()
    if chunk is not None and chunk.prepared:
        chunk.looked_ahead = await writer.look_ahead(db, chunk.prepared)
    return chunk


_UNREACHABLE = (
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
    neo4j.exceptions.DatabaseUnavailable,
)


async def _write_chunk(
    db: Database,
    writer: Writer,
    chunk: _Chunk,
    batch: str,
    loaded_at: datetime.datetime,
    summary: LoadSummary,
) -> None:
    async def work(
        tx: neo4j.AsyncManagedTransaction,
    ) -> tuple[list[tuple[int, Outcome]], list[RejectedRow]]:
        # The writers' rows go as quiet lists: the driver would format them all for its log.
        tx = quiet_transaction(tx)
        written = await writer.write(tx, chunk.prepared) if chunk.prepared else None
        rejected = list(chunk.rejected)
        if written is not None:
            for number, problem in written.rejected:
                rejected.append(RejectedRow(number, (problem,), chunk.cells[number]))
        await write_quarantine(tx, batch, rejected, loaded_at)
        return (written.outcomes if written else []), rejected

    try:
        outcomes, rejected = await db.write_transaction(work, metadata={"app": "credithub-loader"})
    except neo4j.exceptions.ConstraintError:
        if not chunk.looked_ahead:
            raise
        # Another load wrote one of these keys after the look-ahead read it: the write made a
        # version that now exists and was refused whole. Again, reading inside the transaction.
        outcomes, rejected = await db.write_transaction(work, metadata={"app": "credithub-loader"})
    summary.rows_read += chunk.rows
    summary.unchanged += chunk.duplicates
    for _, outcome in outcomes:
        if outcome is Outcome.NEW:
            summary.new += 1
        elif outcome is Outcome.LINKED:
            summary.linked += 1
        elif outcome is Outcome.NEW_VERSION:
            summary.new_versions += 1
        else:
            summary.unchanged += 1
    summary.quarantined += len(rejected)
    for row in rejected:
        for code in dict.fromkeys(p.code for p in row.problems):
            summary.quarantined_by_reason[code] += 1


async def _finish(
    db: Database, batch: str, summary: LoadSummary, status: str, at: datetime.datetime
) -> None:
    try:
        await db.write(
            FINISH, {"id": batch, "summary": summary.as_properties(), "status": status, "at": at}
        )
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
        if status == "COMPLETED":
            raise
        # The load already failed (often because Neo4j went away); keep that error, not this.


async def load_file(
    db: Database,
    path: Path,
    supplier_code: str,
    *,
    person_secret: bytes,
    kind: str | None = None,
    encoding: str | None = None,
    options: LoadOptions | None = None,
    progress: Callable[[int], None] | None = None,
    on_opened: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Load one feed file from ``supplier_code`` (a department's or association's USCC).

    Raises `FeedFileError` (unreadable file), `AmbiguousFeedKind`, `UnknownFeedKind`,
    `NotInCatalogue`, `UnknownSupplier` or `MissingColumns` before any row is written.
    ``on_opened`` gets the row count once the file has been checked (for a progress bar).
    """
    options = options or LoadOptions()
    if path.stat().st_size >= options.pool_threshold * _SMALLEST_ROW_BYTES:
        # Perhaps enough rows for the preparing pool: its fork server starts meanwhile.
        # (The executor holds the call until it is done; nothing waits for it.)
        asyncio.get_running_loop().run_in_executor(None, warm_pool).add_done_callback(_warmed)
    # The first pass reads the whole file: off the loop, which may be serving requests.
    feed = await asyncio.to_thread(open_feed, path, encoding=encoding)
    headers: Sequence[str] = feed.headers
    if feed.format == "jsonl":
        headers = _jsonl_headers(feed.rows())
    chosen = feed_kind(kind) if kind else detect_kind(headers)
    supplier, catalogue = await _resolve(db, supplier_code, chosen, options)
    if on_opened is not None:
        on_opened(feed.row_count)
    return await _run(
        db,
        rows=feed.rows(),
        expected_rows=feed.row_count,
        headers=headers if feed.format != "jsonl" else (),
        kind=chosen,
        supplier=supplier,
        catalogue=catalogue,
        content_hash=feed.content_hash,
        file_name=path.name,
        file_format=feed.format,
        encoding=feed.encoding,
        person_secret=person_secret,
        options=options,
        progress=progress,
    )


_SMALLEST_ROW_BYTES: Final = 100
"""Fewer bytes than a feed row of any kind takes in a file (a penalty row of the national
format is about 300): a file smaller than the pool's threshold times this holds too few rows
for the pool."""


def _warmed(done: asyncio.Future[None]) -> None:
    # Only a head start: if the fork server cannot start now, the pool reports it when it must.
    if not done.cancelled() and done.exception() is not None:
        log.warning("the preparing pool's fork server did not start early: %s", done.exception())


def _jsonl_headers(rows: Iterable[SourceRow]) -> list[str]:
    for row in rows:
        if row.cells:
            return list(row.cells)
    raise FeedFileError("JSON Lines 文件中没有数据行 (no data rows)")


async def load_rows(
    db: Database,
    rows: Sequence[Mapping[str, Any]],
    supplier_code: str,
    kind: str,
    *,
    person_secret: bytes,
    source_name: str = "api",
    options: LoadOptions | None = None,
) -> LoadSummary:
    """Load rows submitted through the API (one record is a list of one) like a file.

    Row numbers count from 1. The batch's content hash is computed over the rows, so
    submitting the same rows again is the same batch and changes nothing.
    """
    options = options or LoadOptions()
    chosen = feed_kind(kind)
    supplier, catalogue = await _resolve(db, supplier_code, chosen, options)
    canonical = json.dumps(list(rows), ensure_ascii=False, sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    source = (SourceRow(n, dict(row)) for n, row in enumerate(rows, start=1))
    return await _run(
        db,
        rows=source,
        expected_rows=len(rows),
        headers=(),
        kind=chosen,
        supplier=supplier,
        catalogue=catalogue,
        content_hash=digest,
        file_name=source_name,
        file_format="api",
        encoding=None,
        person_secret=person_secret,
        options=options,
        progress=None,
    )
