"""Load throughput: the feed pipeline against a raw UNWIND of the same prepared rows.

For each feed kind (penalty, licence) the benchmark writes a CSV feed of ``--rows`` valid rows
(national Chinese headers, UTF-8) for ``--subjects`` registered enterprises, then, in one run on
one Neo4j:

- **pipeline**: ``load_file`` as ``credithub load`` runs it — decode, parse and check every
  cell, prepare, look up current versions, write new records with their subject and provider
  relationships, record the batch — timed end to end from the file;
- **pipeline again**: the same file a second time (every row unchanged: the idempotence path);
- **raw floor**, before the pipeline and again after it (the ratio takes their mean; one more
  untimed run first warms the server and grows the store, each run deleting its records): the rows
  the pipeline prepared (prepared before timing, held in memory) written with the async driver
  as ``UNWIND $rows CREATE (r:Record) … CREATE (r)-[:HAS_SUBJECT]->(e)
  CREATE (r)-[:PROVIDED_BY]->(d) … CREATE (r)-[:DECIDED_BY]->(o)`` in transactions of the same
  size — no parsing, no checks, no version lookup: what this machine's Neo4j can take at best.

Both sides must leave the same graph (records, subject, provider and decider relationships),
checked after each. (Until 2026-12-06 the raw side wrote no ``DECIDED_BY`` and the check did
not count it: that floor was lighter than the graph the pipeline leaves.) The pipeline
prepares rows in worker processes at these sizes (loaders/preparing.py). The ratio is pipeline
time ÷ raw time. The machine's load average is sampled during each side (every 5 s) and
reported as its range: on a shared 2-core machine a ratio means little without it. It runs
its own Neo4j under ``.credithub/bench`` (Bolt 17689; ``CREDITHUB_BENCH_NEO4J_PORT`` moves
it), or EMPTIES the database ``NEO4J_URI`` names. Results print as Markdown and go to
``bench/results/load_throughput.json``. Nothing here asserts on timings.

    .venv/bin/python -m bench.load_throughput --rows 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import neo4j

from bench.credit_check import BENCH_HOME, RESULTS, bench_environment, empty_graph, log
from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.migrations import migrate
from graph.provision import LocalNeo4j, ProvisionError
from graph.workdays import mainland_calendar
from hub.settings import Settings, SettingsError
from loaders.collection import Supplier, load_collection_catalogue
from loaders.feed_kinds import feed_kind
from loaders.fields import ParseContext
from loaders.parameters import QuietList
from loaders.pipeline import CHINA_TIME, LoadOptions, load_file
from loaders.sample_feeds import LICENCE_HEADERS, PENALTY_HEADERS, SAMR, generated_rows, write_csv
from loaders.sources import open_feed
from loaders.validation import CheckedRow, RowChecker
from loaders.writers import Prepared, Provenance, writer_for

SECRET: Final = b"bench-person-key-secret"
TODAY: Final = date(2026, 11, 28)

RAW_CREATE: Final = """
MATCH (d:Department {code: $provider})
UNWIND $rows AS row
MATCH (e:Enterprise {uscc: row.enterprise})
CREATE (r:Record)
SET r = row.props
SET r.decisionDate = date(row.dates.decisionDate), r.validFrom = date(row.dates.validFrom),
    r.validTo = date(row.dates.validTo), r.publishFrom = date(row.dates.publishFrom),
    r.publishUntil = date(row.dates.publishUntil), r.publishBy = date(row.dates.publishBy),
    r.firstPublishedOn = date(row.dates.firstPublishedOn), r.loadedAt = $loadedAt
CREATE (r)-[:HAS_SUBJECT]->(e)
CREATE (r)-[:PROVIDED_BY]->(d)
WITH r, row
MATCH (o:Department {code: row.decider})
CREATE (r)-[:DECIDED_BY]->(o)
"""

DELETE_RECORDS: Final = """
MATCH (n) WHERE n:Record OR n:Batch OR n:QuarantinedRow
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 2000 ROWS
"""

COUNTS: Final = """
MATCH (r:Record)
RETURN count(r) AS records, count { MATCH (:Record)-[:HAS_SUBJECT]->() } AS subjects,
       count { MATCH (:Record)-[:PROVIDED_BY]->() } AS providers,
       count { MATCH (:Record)-[:DECIDED_BY]->() } AS deciders
"""


class LoadSampler:
    """The 1-minute load average, sampled every few seconds on a thread while in use."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    @property
    def span(self) -> str:
        """``min–max`` of the samples."""
        return f"{min(self.samples):.1f}–{max(self.samples):.1f}"


@dataclass(frozen=True)
class Options:
    """Command-line options."""

    rows: int
    subjects: int
    kinds: tuple[str, ...]
    batch_size: int
    keep: bool


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--kinds", default="penalty,license")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    return Options(
        args.rows, args.subjects, tuple(args.kinds.split(",")), args.batch_size, args.keep
    )


def _auto_commit(connection: Connection, cypher: str) -> None:
    # CALL … IN TRANSACTIONS needs an implicit (auto-commit) transaction.
    with (
        neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver,
        driver.session(database=connection.database) as session,
    ):
        session.run(cypher).consume()


async def seed(db: Database, subjects: int) -> list[str]:
    """The market regulator and ``subjects`` registered enterprises; returns their USCCs."""
    name, code = SAMR
    await db.write(
        "MERGE (d:Department {code: $code}) SET d.name = $name, d.sector = '市场监管'",
        {"code": code, "name": name},
    )
    codes = [make_uscc("91", WUGANG_REGION, f"MB{n:06d}") for n in range(subjects)]
    rows = [{"uscc": c, "name": f"舞钢市基准测试企业{n}有限公司"} for n, c in enumerate(codes)]
    await db.write_batches(
        "UNWIND $rows AS row CREATE (e:Enterprise) SET e = row, e.status = 'ACTIVE'",
        rows,
        batch_size=10_000,
    )
    return codes


def prepared_rows(path: Path, kind_code: str, batch_size: int) -> list[list[dict[str, Any]]]:
    """The pipeline's own check and prepare over the file, as raw write batches (untimed)."""
    kind = feed_kind(kind_code)
    name, code = SAMR
    supplier = Supplier(code, "DEPARTMENT", name, "市场监管")
    permit = load_collection_catalogue().permit(supplier, kind)
    feed = open_feed(path)
    checker = RowChecker(kind, supplier, permit, ParseContext(TODAY), feed.headers)
    now = datetime.now(CHINA_TIME)
    provenance = Provenance("raw", supplier, kind, now, SECRET, mainland_calendar())
    writer = writer_for(kind.target)(provenance)
    batches: list[list[dict[str, Any]]] = [[]]
    for source in feed.rows():
        checked = checker.check(source)
        assert isinstance(checked, CheckedRow), "the generated feed has no bad rows"
        ready = writer.prepare(checked)
        assert isinstance(ready, Prepared)
        if len(batches[-1]) == batch_size:
            batches.append([])
        batches[-1].append(
            {
                # Prepared as version 1, first published on the load's day, as the pipeline
                # writes a new record.
                "props": ready.data["props"],
                "dates": ready.data["dates"],
                "enterprise": ready.data["enterprise"],
                "decider": ready.data["decider"],
            }
        )
    return batches


async def raw_load(
    connection: Connection, batches: list[list[dict[str, Any]]], provider: str
) -> float:
    """Write the prepared batches with the plain async driver; seconds taken.

    Dates travel as ISO text and become dates in Cypher, and the rows as a `QuietList` (the
    driver does not format them for its debug log), exactly as the pipeline sends them: the
    floor is the fastest way this machine's driver and server write these rows.
    """
    loaded_at = datetime.now(CHINA_TIME)
    driver = neo4j.AsyncGraphDatabase.driver(
        connection.uri, auth=(connection.user, connection.password)
    )
    try:
        started = time.perf_counter()
        async with driver.session(database=connection.database) as session:
            for batch in batches:

                async def work(tx: neo4j.AsyncManagedTransaction, rows: Any = batch) -> None:
                    result = await tx.run(
                        RAW_CREATE,
                        {"rows": QuietList(rows), "provider": provider, "loadedAt": loaded_at},
                    )
                    await result.consume()

                await session.execute_write(work)
        return time.perf_counter() - started
    finally:
        await driver.close()


async def measure(
    db: Database, connection: Connection, kind: str, options: Options
) -> dict[str, Any]:
    """One kind: pipeline, pipeline again, raw floor; counts checked equal."""
    log(f"[{kind}] resetting the graph and registering {options.subjects} enterprises …")
    # Records first in small transactions: a million of them at once exhausts a 1 GB heap.
    _auto_commit(connection, DELETE_RECORDS)
    empty_graph(connection)
    await migrate(db)
    subjects = await seed(db, options.subjects)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"feed-{kind}-{options.rows}.csv"
    headers = PENALTY_HEADERS if kind == "penalty" else LICENCE_HEADERS
    started = time.perf_counter()
    write_csv(path, headers, list(generated_rows(kind, options.rows, subjects)), "utf-8")
    log(f"[{kind}] wrote {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s")  # fmt: skip

    # The raw floor runs before the pipeline and again after it, each on a graph whose records
    # were just deleted, and the pipeline is compared with their mean: whichever side goes
    # first meets a colder server (query plans, page cache, the JIT); until 2026-12-06 the raw
    # side only ran last. One untimed raw run comes first; the pipeline's statements are not
    # warmed. The raw rows are prepared afresh each time, outside the timing, and dropped
    # before the pipeline runs (a million rows held would cost this process's garbage
    # collector during the pipeline's time).
    raw_before = await raw_floor(db, connection, path, kind, options, "before", warm=True)
    load_options = LoadOptions(batch_size=options.batch_size, today=TODAY)
    log(f"[{kind}] pipeline load …")
    with LoadSampler() as pipeline_load:
        started = time.perf_counter()
        first = await load_file(db, path, SAMR[1], person_secret=SECRET, options=load_options)
        pipeline_s = time.perf_counter() - started
    assert first.new == options.rows and first.quarantined == 0, first.render()
    [pipeline_counts] = await db.read(COUNTS)
    log(f"[{kind}] pipeline: {pipeline_s:.1f} s; again (unchanged) …")
    started = time.perf_counter()
    again = await load_file(db, path, SAMR[1], person_secret=SECRET, options=load_options)
    again_s = time.perf_counter() - started
    assert again.unchanged == options.rows, again.render()
    _auto_commit(connection, DELETE_RECORDS)
    raw_after = await raw_floor(db, connection, path, kind, options, "after")
    for raw in (raw_before, raw_after):
        if raw.counts != pipeline_counts:
            raise RuntimeError(f"the sides differ: pipeline {pipeline_counts}, raw {raw.counts}")
    path.unlink()
    raw_s = (raw_before.seconds + raw_after.seconds) / 2
    return {
        "kind": kind,
        "rows": options.rows,
        "batch_size": options.batch_size,
        "pipeline_s": round(pipeline_s, 2),
        "pipeline_rows_per_s": round(options.rows / pipeline_s),
        "again_s": round(again_s, 2),
        "again_rows_per_s": round(options.rows / again_s),
        "raw_before_s": round(raw_before.seconds, 2),
        "raw_after_s": round(raw_after.seconds, 2),
        "raw_s": round(raw_s, 2),
        "raw_rows_per_s": round(options.rows / raw_s),
        "ratio": round(pipeline_s / raw_s, 2),
        "load_average_pipeline": pipeline_load.span,
        "load_average_raw": f"{raw_before.load_average} / {raw_after.load_average}",
        "graph": pipeline_counts,
    }


@dataclass(frozen=True)
class RawRun:
    """One run of the raw floor."""

    seconds: float
    counts: dict[str, Any]
    """What it wrote (`COUNTS`)."""
    load_average: str


async def raw_floor(
    db: Database,
    connection: Connection,
    path: Path,
    kind: str,
    options: Options,
    when: str,
    *,
    warm: bool = False,
) -> RawRun:
    """One raw UNWIND of the file's prepared rows into a graph without records (`when`: before
    or after the pipeline, for the log), then those records deleted again; with `warm`, one
    untimed run of the same first."""
    log(f"[{kind}] preparing the raw rows (untimed) …")
    batches = prepared_rows(path, kind, options.batch_size)
    if warm:
        # Untimed, once: the raw statement planned and compiled, and the store grown to hold
        # the rows (later writes reuse the deleted records' ids), so that no timed run pays a
        # new server's or a new store's start-up (at 20,000 rows the first raw run took 39 s,
        # the one after the pipeline 12 s).
        log(f"[{kind}] raw UNWIND once, untimed (warming the server and the store) …")
        await raw_load(connection, batches, SAMR[1])
        _auto_commit(connection, DELETE_RECORDS)
    log(f"[{kind}] raw UNWIND ({when} the pipeline) …")
    with LoadSampler() as raw_load_average:
        raw_s = await raw_load(connection, batches, SAMR[1])
    del batches
    [counts] = await db.read(COUNTS)
    log(f"[{kind}] raw {when}: {raw_s:.1f} s")
    _auto_commit(connection, DELETE_RECORDS)
    return RawRun(raw_s, counts, raw_load_average.span)


def report(results: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    """Markdown table of the run."""
    lines = [
        f"Load throughput, {facts['cpus']} CPUs, Python {facts['python']}, Neo4j {facts['neo4j']}",
        "",
        "| kind | rows | pipeline rows/s | again (unchanged) rows/s | raw UNWIND rows/s "
        "(before / after the pipeline) | pipeline ÷ raw time | load average (pipeline; raw) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['rows']:,} | {r['pipeline_rows_per_s']:,} "
            f"({r['pipeline_s']} s) | {r['again_rows_per_s']:,} ({r['again_s']} s) | "
            f"{r['raw_rows_per_s']:,} ({r['raw_before_s']} / {r['raw_after_s']} s) | "
            f"{r['ratio']} | "
            f"{r['load_average_pipeline']}; {r['load_average_raw']} |"
        )
    return "\n".join(lines)


async def run(options: Options, connection: Connection) -> list[dict[str, Any]]:
    """Every kind in turn."""
    results = []
    async with Database(connection) as db:
        for kind in options.kinds:
            result = await measure(db, connection, kind, options)
            # Each kind is reported as soon as it is measured: a later failure keeps it.
            log(json.dumps(result, default=str))
            results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, measure, report; the exit status."""
    options = parse_options(argv)
    env = bench_environment(os.environ)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        log(f"error: {error}")
        return 2
    server: LocalNeo4j | None = None
    try:
        if settings.uses_local_server:
            server = settings.local_server()
            log(f"Starting the bench Neo4j ({BENCH_HOME}, Bolt {server.uri}) …")
            server.start()
        connection = settings.connection()
        results = asyncio.run(run(options, connection))
        with neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver:
            version = driver.get_server_info().agent
        facts = {"cpus": os.cpu_count(), "python": platform.python_version(), "neo4j": version}
        print(report(results, facts))
        (RESULTS / "load_throughput.json").write_text(
            json.dumps({"facts": facts, "results": results}, indent=2, default=str),
            encoding="utf-8",
        )
    except (ProvisionError, RuntimeError, AssertionError) as error:
        log(f"error: {error}")
        return 1
    finally:
        if server is not None:
            if options.keep:
                server.detach()
            else:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
