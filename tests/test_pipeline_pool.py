"""Large loads prepare rows in worker processes: the same graph, the same quarantine, no hang.

Each test forces the pool with a threshold of one row and small chunks, so a handful of sample
rows crosses several chunks (duplicates and corrections across chunk boundaries), and compares
what it left in the real Neo4j with what the worker-thread path leaves from the same files.
"""

from __future__ import annotations

import asyncio
import datetime
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from graph.database import Database
from loaders import pipeline
from loaders.batches import get_batch, list_quarantine
from loaders.pipeline import LoadOptions, LoadSummary, PreparingFailed, load_file
from loaders.preparing import start_pool, warm_pool
from loaders.sample_feeds import (
    COURT,
    LICENCE_HEADERS,
    PENALTY_HEADERS,
    SAMR,
    generated_rows,
    sample_enterprise_codes,
    write_csv,
    write_samples,
)
from loaders.sources import open_feed
from loaders.validation import CheckedRow, RejectedRow
from loaders.writers import Prepared, Writer, Written
from tests.fixtures import PERSON_SECRET, load_fixture_graph

TODAY = datetime.date(2026, 11, 28)
THREAD = LoadOptions(today=TODAY, batch_size=3)
POOL = LoadOptions(today=TODAY, batch_size=3, pool_threshold=1, pool_workers=2)
SAMR_CODE = SAMR[1]
COURT_CODE = COURT[1]
MARKET = {"sector": "市场监管"}

# (file, sender, kind): every source format, both encodings, rows refused for many reasons.
SAMPLES = (
    ("registration-gbk.csv", SAMR_CODE, None),
    ("penalties-gbk.csv", SAMR_CODE, None),
    ("licences.xlsx", SAMR_CODE, None),
    ("judgments.jsonl", COURT_CODE, "judgment"),
    ("penalties-national-gb18030.csv", SAMR_CODE, None),
    ("repeats.csv", SAMR_CODE, None),
    ("corrected.csv", SAMR_CODE, None),
)


async def _senders(db: Database) -> None:
    await db.write(
        "UNWIND $rows AS row MERGE (d:Department {code: row.code}) SET d += row",
        {
            "rows": [
                {"code": SAMR_CODE, "name": SAMR[0], "shortName": "市市场监管局", **MARKET},
                {"code": COURT_CODE, "name": COURT[0], "shortName": "市法院", "sector": "司法"},
            ]
        },
    )


async def _fresh(db: Database) -> None:
    """The fixture graph and the two senders, nothing loaded."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)
    await _senders(db)


@pytest.fixture(scope="module")
async def feeds(db: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """The sample feeds, plus one with repeated keys and one correcting it; graph restored."""
    directory = tmp_path_factory.mktemp("pool-feeds")
    write_samples(directory)
    codes = sample_enterprise_codes()
    rows = [list(r) for r in generated_rows("penalty", 10, codes[:3])]
    number = PENALTY_HEADERS.index("行政处罚决定书文号")
    content = PENALTY_HEADERS.index("处罚内容")
    changed = list(rows[1])
    changed[content] = "罚款并没收违法所得"
    # Row 2 again as it was (unchanged) and with other content (DUPLICATE_KEY), in later chunks.
    write_csv(directory / "repeats.csv", PENALTY_HEADERS, [*rows, rows[1], changed], "utf-8")
    corrected = [list(r) for r in rows]
    corrected[4][content] = "警告并罚款"
    corrected[7][number] = corrected[7][number].replace("号", "-1号")
    write_csv(directory / "corrected.csv", PENALTY_HEADERS, corrected, "utf-8")
    yield directory
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


async def _graph(db: Database) -> tuple[list[str], list[str]]:
    """Every node and relationship but the moment they were written (load time differs)."""
    nodes = await db.read(
        "MATCH (n) WHERE NOT n:Migration RETURN labels(n) AS labels, properties(n) AS props"
    )
    links = await db.read(
        "MATCH (a)-[r]->(b) WHERE NOT a:Migration "
        "RETURN type(r) AS type, properties(r) AS props, properties(a) AS a, properties(b) AS b"
    )

    def stable(props: dict[str, Any]) -> str:
        kept = {k: _plain(v) for k, v in props.items() if not isinstance(v, neo4j.time.DateTime)}
        return repr(sorted(kept.items()))

    return (
        sorted(f"{sorted(n['labels'])} {stable(n['props'])}" for n in nodes),
        sorted(
            f"{stable(r['a'])} -{r['type']} {stable(r['props'])}-> {stable(r['b'])}" for r in links
        ),
    )


async def _load_all(db: Database, feeds: Path, options: LoadOptions) -> list[Any]:
    """Every sample in turn; what each summary and quarantine said."""
    said: list[Any] = []
    for name, sender, kind in SAMPLES:
        summary = await load_file(
            db, feeds / name, sender, person_secret=PERSON_SECRET, kind=kind, options=options
        )
        quarantine = await list_quarantine(db, summary.batch_id)
        said.append(
            (
                summary.as_properties(),
                summary.rows_read,
                sorted((q.row_number, q.problems) for q in quarantine),
            )
        )
    return said


async def test_a_pooled_load_leaves_the_same_graph_and_quarantine_as_the_thread(
    db: Database, feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    def counted(recipe: Any, workers: int) -> Any:
        started.append(workers)
        return start_pool(recipe, workers)

    monkeypatch.setattr(pipeline, "start_pool", counted)
    await _fresh(db)
    on_thread = await _load_all(db, feeds, THREAD)
    thread_graph = await _graph(db)
    assert started == [], "small loads prepare on the thread"

    await _fresh(db)
    pooled = await _load_all(db, feeds, POOL)
    pool_graph = await _graph(db)
    assert started == [2] * len(SAMPLES), "every load of the second round used the pool"
    assert multiprocessing.active_children() == [], "each load shut its pool down"

    assert pooled == on_thread
    assert pool_graph == thread_graph
    repeats, corrected = pooled[-2], pooled[-1]
    assert (repeats[0]["new"], repeats[0]["unchanged"], repeats[0]["quarantined"]) == (10, 1, 1)
    assert [p.code for _, problems in repeats[2] for p in problems] == ["DUPLICATE_KEY"]
    assert repeats[2][0][0] == 13, "the refused repeat keeps its own row number"
    assert (corrected[0]["newVersions"], corrected[0]["new"], corrected[0]["unchanged"]) == (
        1,
        1,
        8,
    )
    refused = {code for said in pooled for _, problems in said[2] for code in problems}
    assert len(refused) >= 8, "the samples exercise many reasons, all kept with field and text"


class DiesAtRow:
    """A picklable writer wrapper whose worker process dies preparing row ``number``."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __call__(self, inner: Writer) -> Writer:
        return _Dying(inner, self.number)


class _Dying(Writer):
    def __init__(self, inner: Writer, number: int) -> None:
        super().__init__(inner.provenance)
        self.inner = inner
        self.number = number

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        # Only ever in a worker: the test process itself must survive to see the error.
        if row.number == self.number and multiprocessing.parent_process() is not None:
            os._exit(9)
        return self.inner.prepare(row)

    async def write(self, tx: Any, batch: list[Prepared]) -> Written:
        return await self.inner.write(tx, batch)


async def test_a_dying_worker_fails_the_load_clearly_and_a_rerun_completes_it(
    db: Database, feeds: Path, tmp_path: Path
) -> None:
    await _fresh(db)
    rows = list(generated_rows("license", 12, sample_enterprise_codes()[:2]))
    path = tmp_path / "dies.csv"
    write_csv(path, LICENCE_HEADERS, rows, "utf-8")
    options = LoadOptions(
        today=TODAY, batch_size=3, pool_threshold=1, pool_workers=1, wrap_writer=DiesAtRow(9)
    )
    with pytest.raises(PreparingFailed, match="worker process preparing rows died"):
        # The rows of the third chunk (rows 8-10) kill the worker; it must not hang.
        await asyncio.wait_for(
            load_file(db, path, SAMR_CODE, person_secret=PERSON_SECRET, options=options), 120
        )
    assert multiprocessing.active_children() == []
    [batch] = await db.read("MATCH (b:Batch) RETURN b.id AS id, b.status AS status")
    assert batch["status"] == "FAILED"
    [written] = await db.read("MATCH (r:Record {batchId: $id}) RETURN count(r) AS n", batch)
    assert written["n"] == 6, "the two whole chunks before the dead one, nothing of it"

    rerun: LoadSummary = await load_file(
        db, path, SAMR_CODE, person_secret=PERSON_SECRET, options=POOL
    )
    assert (rerun.new, rerun.unchanged, rerun.quarantined) == (6, 6, 0)
    info = await get_batch(db, rerun.batch_id)
    assert info is not None and info.status == "COMPLETED"


async def test_the_first_pass_reads_off_the_loop_while_the_pool_starts(
    db: Database, feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's first pass (every row read, counted and hashed before anything is written)
    runs off the event loop, so a hub serving requests while a department uploads a large file
    keeps answering; and a file large enough for the preparing pool starts the pool's fork
    server meanwhile, on another thread, instead of after the pass."""
    await _fresh(db)
    ticks = 0
    seen: dict[str, Any] = {}

    def slow_open(*args: Any, **kwargs: Any) -> Any:
        before = ticks
        time.sleep(0.5)  # as long as reading a large file takes
        seen["ticks during the pass"] = ticks - before
        return open_feed(*args, **kwargs)

    def warm() -> None:
        seen["warmed off the loop"] = threading.current_thread() is not threading.main_thread()
        warm_pool()

    monkeypatch.setattr(pipeline, "open_feed", slow_open)
    monkeypatch.setattr(pipeline, "warm_pool", warm)

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        summary = await load_file(
            db, feeds / "repeats.csv", SAMR_CODE, person_secret=PERSON_SECRET, options=POOL
        )
    finally:
        ticker.cancel()
    assert summary.new == 10
    assert seen["ticks during the pass"] >= 10, seen
    assert seen["warmed off the loop"] is True
