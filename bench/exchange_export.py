"""Exchange export throughput: `export()` against a plain query and a csv writer (the floor).

A full export of ``--records`` published penalty records (双公示 行政处罚, the national headers,
GB18030 CSV as 信用河南 takes them) through ``hub.exchange.export.export`` — what
``credithub exchange export TARGET --full`` runs: the catalogue's PUBLIC row rule compiled to
Cypher, every current version streamed in key order, each row's columns, display labels and
publication state, the file, its sha256, the manifest, the cursor and the export node — and,
side by side in the same run, the floor: one plain Cypher query returning the same columns of
the same rows in the same order, streamed by the async driver into ``csv.writer`` (same encoding,
same header). Both must write the same number of rows.

The records are made in the database with ``UNWIND range(…)`` from 1,000 templates the feed
pipeline prepared (not the demo generator, which would take far longer), each with its subject
and provider relationships. The bench runs its own Neo4j under ``.credithub/bench-exchange``
(Bolt 17744), never the tests' nor the other benchmarks'; with ``NEO4J_URI`` set it EMPTIES that
database instead. Markdown on stdout, JSON in ``bench/results/exchange_export-<records>.json``.

    .venv/bin/python -m bench.exchange_export --records 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, LiteralString

import neo4j

from bench.credit_check import (
    RESULTS,
    ROOT,
    BenchmarkError,
    bench_environment,
    bench_neo4j,
    empty_graph,
    log,
)
from bench.load_throughput import prepared_rows
from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.migrations import migrate
from graph.model import Label, Rel
from graph.provision import ProvisionError
from hub.exchange.export import export, read_manifest, sheet_for
from hub.exchange.targets import load_targets
from hub.settings import Settings, SettingsError
from loaders.sample_feeds import PENALTY_HEADERS, SAMR, generated_rows, write_csv

BENCH_HOME: Final = ROOT / ".credithub" / "bench-exchange"
BENCH_PORT: Final = 17744
TARGET: Final = "bench-xinyong-henan"
OFFICE: Final = "11410481MB1234567Y"
TEMPLATES: Final = 1000
# Where a national column's value is stored when not under its own name (as the export reads).
STORED: Final = {"subjectUscc": "subjectCode", "subjectIdentifier": "subjectCode"}

TARGETS_TOML: Final = f"""[targets.{TARGET}]
name = "信用河南（基准测试）"
kind = "publication"
receives = ["PENALTY"]
format = "csv-gb18030"

[targets.{TARGET}.delivery]
type = "directory"
"""

# Records cloned from the templates: a fresh document number, key and subject per row; every
# one published now (publishFrom in the past, publishUntil in 2029).
GENERATE: Final = f"""
UNWIND range(0, $n - 1) AS i
CALL (i) {{
  WITH i, $templates[i % size($templates)] AS t, $subjects[i % size($subjects)] AS uscc
  MATCH (e:{Label.ENTERPRISE} {{uscc: uscc}})
  MATCH (d:{Label.DEPARTMENT} {{code: $provider}})
  WITH i, t, e, d, '舞市监罚〔基准〕' + toString(i) + '号' AS number
  CREATE (r:{Label.RECORD})
  SET r = t.props, r.documentNumber = number, r.key = 'PENALTY|' + $provider + '|' + number,
      r.uid = r.key + '#v1', r.subjectCode = e.uscc, r.subjectName = e.name, r.sourceRow = i,
      r.decisionDate = date(t.dates.decisionDate), r.validFrom = date(t.dates.validFrom),
      r.publishFrom = date(t.dates.publishFrom), r.publishUntil = date('2029-12-31'),
      r.publishBy = date(t.dates.publishBy), r.firstPublishedOn = date(t.dates.firstPublishedOn),
      r.loadedAt = $loadedAt
  CREATE (r)-[:{Rel.HAS_SUBJECT}]->(e)
  CREATE (r)-[:{Rel.PROVIDED_BY}]->(d)
}} IN TRANSACTIONS OF 10000 ROWS
"""

DELETE_RECORDS: Final = f"""
MATCH (n) WHERE n:{Label.RECORD}
CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 5000 ROWS
"""


@dataclass(frozen=True)
class Options:
    """Command-line options."""

    records: int
    subjects: int
    repeat: int
    reuse: bool
    keep: bool


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of ours-then-floor")
    parser.add_argument(
        "--no-reuse",
        dest="reuse",
        action="store_false",
        help="regenerate the records even when the graph already holds exactly --records",
    )
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    if args.records < 1 or args.subjects < 1 or args.repeat < 1:
        parser.error("--records, --subjects and --repeat must be positive")
    return Options(args.records, args.subjects, args.repeat, args.reuse, args.keep)


def _auto_commit(connection: Connection, cypher: LiteralString, **params: Any) -> None:
    # CALL … IN TRANSACTIONS runs only in an implicit (auto-commit) transaction.
    with (
        neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver,
        driver.session(database=connection.database) as session,
    ):
        session.run(cypher, params).consume()


async def _published(db: Database) -> int:
    rows = await db.read(
        f"MATCH (r:{Label.RECORD}) WHERE r.key STARTS WITH 'PENALTY|' RETURN count(r) AS n"
    )
    return int(rows[0]["n"])


async def generate(db: Database, connection: Connection, options: Options) -> float:
    """Empty the graph and make the records; seconds the records took."""
    log("emptying the graph …")
    _auto_commit(connection, DELETE_RECORDS)
    empty_graph(connection)
    await migrate(db)
    name, code = SAMR
    await db.write(
        f"CREATE (:{Label.CREDIT_OFFICE} {{code: $office, name: $officeName}}), "
        f"(:{Label.DEPARTMENT} {{code: $code, name: $name, sector: '市场监管'}})",
        {
            "office": OFFICE,
            "officeName": "舞钢市社会信用体系建设领导小组办公室",
            "code": code,
            "name": name,
        },
    )
    subjects = [make_uscc("91", WUGANG_REGION, f"MX{n:06d}") for n in range(options.subjects)]
    await db.write_batches(
        f"UNWIND $rows AS row CREATE (e:{Label.ENTERPRISE}) SET e = row, e.status = 'ACTIVE'",
        [{"uscc": c, "name": f"舞钢市导出基准企业{n}有限公司"} for n, c in enumerate(subjects)],
        batch_size=10_000,
    )
    with tempfile.TemporaryDirectory() as scratch:
        feed = Path(scratch) / "templates.csv"
        write_csv(
            feed, PENALTY_HEADERS, list(generated_rows("penalty", TEMPLATES, subjects)), "utf-8"
        )
        templates = [
            {
                # Key and uid are unique (constraints): each clone gets its own below.
                "props": {k: v for k, v in row["props"].items() if k not in ("key", "uid")},
                "dates": row["dates"],
            }
            for batch in prepared_rows(feed, "penalty", TEMPLATES)
            for row in batch
            # Only decisions the rules publish (a simple-procedure one has no window).
            if row["dates"]["publishFrom"] is not None
        ]
    log(f"generating {options.records:,} published records with UNWIND …")
    started = time.perf_counter()
    _auto_commit(
        connection,
        GENERATE,
        n=options.records,
        templates=templates,
        subjects=subjects,
        provider=code,
        loadedAt=datetime.now(UTC),
    )
    seconds = time.perf_counter() - started
    found = await _published(db)
    if found != options.records:
        raise BenchmarkError(f"generated {found} records, not {options.records}")
    log(f"generated in {seconds:.0f} s")
    return seconds


def _floor_query() -> tuple[LiteralString, list[str]]:
    """The plain query: the sheet's columns of every published current penalty, by key."""
    sheet = sheet_for("PENALTY")
    returns: list[str] = []
    for n, column in enumerate(sheet.columns):
        if column.name.startswith("_"):
            continue  # the export's state columns: empty in the floor
        returns.append(f"r.{STORED.get(column.name, column.name)} AS c{n}")
    cypher = (
        f"MATCH (r:{Label.RECORD}) WHERE r.key STARTS WITH 'PENALTY|' AND r.current = true "
        "AND r.status IN ['EFFECTIVE', 'UNDER_OBJECTION'] AND r.publishFrom <= $today "
        "AND $today <= r.publishUntil "
        f"RETURN {', '.join(returns)} ORDER BY r.key"
    )
    return cypher, [c.label for c in sheet.columns]


async def floor(connection: Connection, path: Path) -> tuple[float, int]:
    """The plain query streamed into csv.writer; seconds and rows."""
    cypher, header = _floor_query()
    width = len(header)
    today = datetime.now(UTC).date()
    driver = neo4j.AsyncGraphDatabase.driver(
        connection.uri,
        auth=(connection.user, connection.password),
        # Columns a penalty never fills are unknown property keys: no warning for each.
        notifications_min_severity="OFF",
    )
    rows = 0
    try:
        started = time.perf_counter()
        async with driver.session(
            database=connection.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            result = await session.run(cypher, {"today": today})
            with path.open("w", encoding="gb18030", newline="") as handle:
                out = csv.writer(handle, lineterminator="\r\n")
                out.writerow(header)
                async for record in result:
                    values = ["" if v is None else str(v) for v in record.values()]
                    out.writerow(values + [""] * (width - len(values)))
                    rows += 1
        return time.perf_counter() - started, rows
    finally:
        await driver.close()


async def ours(db: Database, out: Path, targets_file: Path) -> tuple[float, int, Path]:
    """`export()` in full; seconds, rows and the export directory."""
    targets = load_targets(targets_file)
    started = time.perf_counter()
    directory = await export(db, TARGET, full=True, out=out, targets=targets)
    seconds = time.perf_counter() - started
    rows = sum(int(f["rows"]) for f in read_manifest(directory)["files"])
    return seconds, rows, directory


async def measure(connection: Connection, options: Options) -> dict[str, Any]:
    """Generate (unless reusable), then `repeat` rounds of ours-then-floor."""
    async with Database(connection) as db:
        await migrate(db)
        generated_s: float | None = None
        if options.reuse and await _published(db) == options.records:
            log(f"reusing the {options.records:,} records already in the graph")
        else:
            generated_s = await generate(db, connection, options)
        RESULTS.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="exchange-bench-", dir=RESULTS))
        try:
            targets_file = work / "targets.toml"
            targets_file.write_text(TARGETS_TOML, encoding="utf-8")
            runs: list[dict[str, Any]] = []
            for round_ in range(1, options.repeat + 1):
                log(f"round {round_}: export() …")
                ours_s, ours_rows, directory = await ours(db, work / "out", targets_file)
                size = sum(p.stat().st_size for p in directory.iterdir())
                shutil.rmtree(directory)
                log(f"round {round_}: export() {ours_s:.1f} s; floor …")
                floor_s, floor_rows = await floor(connection, work / "floor.csv")
                floor_size = (work / "floor.csv").stat().st_size
                log(f"round {round_}: floor {floor_s:.1f} s")
                if ours_rows != floor_rows or ours_rows != options.records:
                    raise BenchmarkError(
                        f"the sides differ: export() {ours_rows} rows, floor {floor_rows}, "
                        f"published {options.records}"
                    )
                runs.append(
                    {
                        "ours_s": round(ours_s, 2),
                        "floor_s": round(floor_s, 2),
                        "ours_bytes": size,
                        "floor_bytes": floor_size,
                    }
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        await db.write(
            f"MATCH (n) WHERE n:{Label.EXCHANGE_EXPORT} OR n:{Label.EXCHANGE_CURSOR} "
            "DETACH DELETE n"
        )
    best_ours = min(r["ours_s"] for r in runs)
    best_floor = min(r["floor_s"] for r in runs)
    with neo4j.GraphDatabase.driver(
        connection.uri, auth=(connection.user, connection.password)
    ) as driver:
        version = driver.get_server_info().agent
    return {
        "records": options.records,
        "subjects": options.subjects,
        "generated_s": round(generated_s, 1) if generated_s is not None else None,
        "runs": runs,
        "ours_s": best_ours,
        "ours_rows_per_s": round(options.records / best_ours),
        "floor_s": best_floor,
        "floor_rows_per_s": round(options.records / best_floor),
        "ratio": round(best_ours / best_floor, 2),
        "facts": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "neo4j": version,
            "load": os.getloadavg()[0],
        },
    }


def report(result: dict[str, Any]) -> str:
    """The run as Markdown."""
    facts = result["facts"]
    generated = result["generated_s"]
    return "\n".join(
        [
            f"Exchange export, {result['records']:,} published penalties (CSV GB18030), "
            f"{facts['cpus']} CPUs, Python {facts['python']}, Neo4j {facts['neo4j']}, "
            f"load {facts['load']:.1f}"
            + (f"; generated in {generated} s" if generated is not None else ""),
            "",
            "| side | best time | rows/s | file |",
            "|---|---|---|---|",
            f"| `export()` (credithub exchange export --full) | {result['ours_s']} s | "
            f"{result['ours_rows_per_s']:,} | {result['runs'][0]['ours_bytes'] / 1e6:.0f} MB |",
            f"| plain query + csv.writer (floor) | {result['floor_s']} s | "
            f"{result['floor_rows_per_s']:,} | {result['runs'][0]['floor_bytes'] / 1e6:.0f} MB |",
            "",
            f"export() ÷ floor time: **{result['ratio']}** (best of {len(result['runs'])})",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, measure, report; the exit status."""
    options = parse_options(argv)
    env = bench_environment(os.environ)
    # A Neo4j of its own: the other benchmarks' graph (.credithub/bench) stays as it is.
    env["CREDITHUB_HOME"] = str(BENCH_HOME)
    env["CREDITHUB_NEO4J_PORT"] = str(BENCH_PORT)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        log(f"error: {error}")
        return 2
    try:
        with bench_neo4j(settings, keep=options.keep) as connection:
            started = time.perf_counter()
            result = asyncio.run(measure(connection, options))
            result["total_s"] = round(time.perf_counter() - started, 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"exchange_export-{options.records}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(report(result), flush=True)
        log(f"wrote {path.relative_to(ROOT)}")
    except (BenchmarkError, ProvisionError, SettingsError) as error:
        log(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
