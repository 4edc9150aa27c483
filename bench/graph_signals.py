"""Ownership penetration and the contagion signal: our code versus plain Cypher, side by side.

    .venv/bin/python -m bench.graph_signals [--enterprises 100000] [--no-reuse]
        [--sample 50] [--requests 200] [--scans 5] [--workers 1] [--keep]

(a) **Ownership penetration** of a fixed sample of enterprises with at least two layers of
    ownership above them (holding groups, the demo's cycles included): through the hub
    (``ownershipPenetration`` as GraphQL over HTTP, as the credit office), through
    `graph.ownership.penetrate` in process, and as one plain Cypher query per enterprise on the
    raw driver (every simple path from a holder nobody holds, product of shares, summed). The
    three must agree — the same ultimate holders, effective shares equal to 1e-9 — before
    anything is timed; then sequential latency per side, interleaved.
(b) **The contagion signal** over the whole graph: `graph.risk.contagion.find_contagion` (through
    `graph.database.Database`, paths and scores included) versus one plain Cypher query that asks
    every enterprise whether it shares a person in a configured role with a black-listed or
    banned enterprise. Both must name the same subjects; then each runs ``--scans`` times.
    The full `credithub risk-scan` work (all four signals, alerts stored, notices) is timed once.

The graph: the bench Neo4j (``.credithub/bench``, Bolt 17689) unless NEO4J_URI is set — then that
server, whose database is EMPTIED when a load is needed. With ``--reuse`` (the default) a graph
already holding exactly ``--enterprises`` demo enterprises is used as it is (a 100,000-enterprise
load takes minutes); ``--no-reuse`` always reloads. Results print as Markdown and go to
``bench/results/graph_signals-<size>.json``. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import httpx
import neo4j

from bench.credit_check import (
    RESULTS,
    BenchmarkError,
    credithub,
    load_graph,
    log,
    machine_facts,
    percentile,
    read_rows,
    run_benchmark,
    running_hub,
    wait_healthy,
)
from graph import ownership
from graph.database import Connection, Database
from graph.risk.contagion import REL_OF_ROLE, find_contagion
from graph.risk.scan import run_scan
from graph.risk.thresholds import load_thresholds
from loaders.demo_data import DemoSpec

SAMPLE_SEED = 20261128
WARM_UP = 20
TOLERANCE = 1e-9
DEPTH = 10
TODAY = DemoSpec().today

PENETRATION = """
query($uscc: String!) {
  ownershipPenetration(uscc: $uscc, maxDepth: 10) {
    depthLimitReached
    ultimateHolders { party { code } effectiveShare }
  }
}
"""

# Plain Cypher: every simple path from a holder that nobody holds, its product, summed per holder.
RAW_PENETRATION: LiteralString = """
MATCH (x:Enterprise {uscc: $uscc})
MATCH p = (top)-[:SHAREHOLDER_OF*1..10]->(x)
WHERE NOT EXISTS { ()-[:SHAREHOLDER_OF]->(top) }
  AND all(i IN range(0, length(p) - 1) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..])
WITH top, reduce(s = 1.0, r IN relationships(p) | s * r.share) AS share
RETURN CASE WHEN top:Person THEN top.key ELSE top.uscc END AS code, sum(share) AS effective
"""

# Candidates: at least two layers of ownership above (an enterprise holding a holder).
CANDIDATES: LiteralString = """
MATCH (e:Enterprise)
WHERE EXISTS { (e)<-[:SHAREHOLDER_OF]-(:Enterprise)<-[:SHAREHOLDER_OF]-() }
RETURN e.uscc AS uscc ORDER BY uscc
"""

DEPTH_STATS: LiteralString = """
MATCH (e:Enterprise) WHERE NOT EXISTS { (e)-[:SHAREHOLDER_OF]->() }
  AND EXISTS { (e)<-[:SHAREHOLDER_OF]-(:Enterprise) }
MATCH p = (top)-[:SHAREHOLDER_OF*1..12]->(e) WHERE NOT EXISTS { ()-[:SHAREHOLDER_OF]->(top) }
RETURN max(length(p)) AS deepest, count(DISTINCT e) AS heldByEnterprises
"""

# Plain Cypher: for every enterprise, does it share a person (or controlling holder) in one of
# the roles with an enterprise on an active black list or under a ban in force?
RAW_CONTAGION: LiteralString = """
MATCH (s:Enterprise) WHERE s.status IN $statuses
MATCH (s)<-[r2:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]-(x)
      -[r1:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]->(l:Enterprise)
WHERE l <> s AND type(r1) IN $rels AND type(r2) IN $rels
  AND (type(r1) <> 'SHAREHOLDER_OF' OR r1.share > $controlling)
  AND (type(r2) <> 'SHAREHOLDER_OF' OR r2.share > $controlling)
  AND (EXISTS { MATCH (:ListEntry {listType: 'BLACK', status: 'ACTIVE'})-[:HAS_SUBJECT]->(l) }
    OR ($includeBans AND EXISTS { MATCH (b:Ban {status: 'ACTIVE'})-[:HAS_SUBJECT]->(l)
      WHERE b.`from` <= date($today) AND date($today) <= b.until }))
RETURN DISTINCT s.uscc AS subject
"""


@dataclass(frozen=True)
class Options:
    """The command line."""

    enterprises: int
    reuse: bool
    sample: int
    requests: int
    scans: int
    workers: int
    keep: bool


Call = Callable[[str], Awaitable[dict[str, float]]]


def hub_call(client: httpx.AsyncClient) -> Call:
    """Penetration through the hub: ultimate holders → effective share."""

    async def call(uscc: str) -> dict[str, float]:
        response = await client.post(
            "/graphql", json={"query": PENETRATION, "variables": {"uscc": uscc}}
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise BenchmarkError(f"hub answered {response.status_code} for {uscc}: {body}")
        result = body["data"]["ownershipPenetration"]
        if result["depthLimitReached"]:
            raise BenchmarkError(f"{uscc}: deeper than {DEPTH} layers; the sides would differ")
        return {h["party"]["code"]: h["effectiveShare"] for h in result["ultimateHolders"]}

    return call


def module_call(db: Database) -> Call:
    """Penetration by `graph.ownership` in process (no HTTP, no GraphQL, no audit)."""

    async def call(uscc: str) -> dict[str, float]:
        result = await ownership.penetrate(db, uscc, max_depth=DEPTH)
        if result is None:
            raise BenchmarkError(f"module found no enterprise {uscc}")
        return {h.party.code: h.effective_share for h in result.ultimate_holders}

    return call


def raw_call(driver: neo4j.AsyncDriver, database: str) -> Call:
    """Penetration as one plain Cypher query on the raw driver."""

    async def call(uscc: str) -> dict[str, float]:
        result = await driver.execute_query(
            RAW_PENETRATION, {"uscc": uscc}, database_=database, routing_=neo4j.RoutingControl.READ
        )
        return {str(r["code"]): float(r["effective"]) for r in result.records}

    return call


async def verify_penetration(usccs: Sequence[str], sides: Mapping[str, Call]) -> dict[str, int]:
    """All sides name the same ultimate holders with the same effective shares (1e-9)."""
    holders = 0
    for uscc in usccs:
        answers = {name: await call(uscc) for name, call in sides.items()}
        reference_name, reference = next(iter(answers.items()))
        for name, answer in answers.items():
            if set(answer) != set(reference) or any(
                abs(answer[code] - reference[code]) > TOLERANCE for code in reference
            ):
                raise BenchmarkError(
                    f"{name} and {reference_name} disagree for {uscc}:\n"
                    f"  {name}: {sorted(answer.items())}\n"
                    f"  {reference_name}: {sorted(reference.items())}"
                )
        holders += len(reference)
    return {"enterprises": len(usccs), "ultimate_holders_compared": holders}


async def _timed(call: Call, uscc: str) -> float:
    started = time.perf_counter()
    await call(uscc)
    return (time.perf_counter() - started) * 1000.0


async def sequential(
    sides: Sequence[Call], usccs: Sequence[str], requests: int
) -> list[list[float]]:
    """Latencies (ms) per side; request n goes to every side in turn, order alternating."""
    latencies: list[list[float]] = [[] for _ in sides]
    order = list(range(len(sides)))
    for n in range(requests):
        uscc = usccs[n % len(usccs)]
        for index in order if n % 2 == 0 else order[::-1]:
            latencies[index].append(await _timed(sides[index], uscc))
    return latencies


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p99, mean and max of latencies or durations."""
    return {
        "p50": percentile(values, 0.5),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
        "max": max(values),
    }


def graph_ready(connection: Connection, size: int) -> bool:
    """The graph already holds the demo network of `size` enterprises."""
    rows = read_rows(
        connection,
        "CALL () { MATCH (e:Enterprise) RETURN count(e) AS enterprises } "
        "CALL () { MATCH (d:Department) RETURN count(d) AS departments } "
        "RETURN enterprises, departments",
    )
    return bool(rows) and rows[0]["enterprises"] == size and rows[0]["departments"] > 0


async def measure(
    options: Options, connection: Connection, env: Mapping[str, str], token: str
) -> dict[str, Any]:
    """Load or reuse the graph, check agreement, time both parts."""
    size = options.enterprises
    loaded: dict[str, Any] = {"reused": False}
    if options.reuse and graph_ready(connection, size):
        log(f"[{size}] reusing the loaded graph of {size:,} enterprises (--no-reuse reloads)")
        credithub(env, "migrate")
        loaded["reused"] = True
    else:
        log(f"[{size}] emptying the graph, migrating, loading {size:,} enterprises …")
        loaded.update(load_graph(size, connection, env))
        log(f"[{size}] loaded in {loaded['load_seconds']} s")
    depth = read_rows(connection, DEPTH_STATS)[0]
    candidates = [str(r["uscc"]) for r in read_rows(connection, CANDIDATES)]
    if not candidates:
        raise BenchmarkError("no enterprise has two layers of ownership above it")
    usccs = random.Random(SAMPLE_SEED).sample(candidates, min(options.sample, len(candidates)))
    log(f"[{size}] sample: {len(usccs)} of {len(candidates)} multi-layer enterprises")

    thresholds = load_thresholds()
    contagion = thresholds.contagion
    raw_params = {
        "statuses": list(thresholds.scan.subject_statuses),
        "rels": [REL_OF_ROLE[role] for role in contagion.roles],
        "controlling": contagion.controlling_share,
        "includeBans": contagion.include_bans,
        "today": TODAY.isoformat(),
    }
    driver = neo4j.AsyncGraphDatabase.driver(
        connection.uri,
        auth=(connection.user, connection.password),
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
    )
    db = Database(connection)
    try:
        with running_hub(env, options.workers, RESULTS / f"hub-graph-signals-{size}.log") as hub:
            async with httpx.AsyncClient(
                base_url=hub.url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60.0,
                trust_env=False,
            ) as client:
                await wait_healthy(hub, client)
                sides = {
                    "hub": hub_call(client),
                    "module": module_call(db),
                    "raw": raw_call(driver, connection.database),
                }
                agreement = await verify_penetration(usccs, sides)
                log(f"[{size}] penetration: all three sides agree on {len(usccs)} enterprises")
                await sequential(list(sides.values()), usccs, WARM_UP)
                timed = await sequential(list(sides.values()), usccs, options.requests)
        penetration = {name: summary(values) for name, values in zip(sides, timed, strict=True)}

        ours = {f.subject for f in await find_contagion(db, thresholds, TODAY)}
        raw_result = await driver.execute_query(
            RAW_CONTAGION, raw_params, database_=connection.database
        )
        plain = {str(r["subject"]) for r in raw_result.records}
        if ours != plain:
            raise BenchmarkError(
                f"contagion subjects differ: only ours {sorted(ours - plain)[:10]}, "
                f"only plain {sorted(plain - ours)[:10]}"
            )
        log(f"[{size}] contagion: both name the same {len(ours)} subjects")
        module_seconds: list[float] = []
        raw_seconds: list[float] = []
        for n in range(options.scans):
            for side in ("module", "raw") if n % 2 == 0 else ("raw", "module"):
                started = time.perf_counter()
                if side == "module":
                    await find_contagion(db, thresholds, TODAY)
                    module_seconds.append(time.perf_counter() - started)
                else:
                    await driver.execute_query(
                        RAW_CONTAGION, raw_params, database_=connection.database
                    )
                    raw_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        scan = await run_scan(db, thresholds=thresholds, today=TODAY)
        full_scan_seconds = time.perf_counter() - started
    finally:
        await db.close()
        await driver.close()

    return {
        "size": size,
        **loaded,
        "ownership_depth": depth,
        "penetration": {
            "sample": len(usccs),
            "candidates": len(candidates),
            "seed": SAMPLE_SEED,
            "agreement": agreement,
            "requests": options.requests,
            "warm_up": WARM_UP,
            "latency_ms": penetration,
            "ratio_p50_hub_to_raw": penetration["hub"]["p50"] / penetration["raw"]["p50"],
            "ratio_p50_module_to_raw": penetration["module"]["p50"] / penetration["raw"]["p50"],
        },
        "contagion": {
            "subjects": len(ours),
            "runs": options.scans,
            "module_seconds": summary(module_seconds),
            "raw_seconds": summary(raw_seconds),
            "ratio_median_module_to_raw": statistics.median(module_seconds)
            / statistics.median(raw_seconds),
        },
        "full_scan": {
            "seconds": full_scan_seconds,
            "found": {s.value: n for s, n in scan.found.items()},
            "signal_seconds": {s.value: t for s, t in scan.seconds.items()},
            "new": scan.new,
            "persisting": scan.persisting,
            "resolved": scan.resolved,
            "notices": scan.notices,
        },
    }


def report(result: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """The figures as Markdown."""
    p = result["penetration"]
    c = result["contagion"]
    s = result["full_scan"]
    lat = p["latency_ms"]
    lines = [
        f"### Ownership penetration and contagion, {result['size']:,} enterprises",
        "",
        f"{facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']}; graph "
        f"{'reused' if result['reused'] else 'loaded'}; deepest ownership chain "
        f"{result['ownership_depth']['deepest']} layers.",
        f"Penetration sample: {p['sample']} of {p['candidates']} enterprises with two or more "
        f"layers above them; all sides agreed on {p['agreement']['ultimate_holders_compared']} "
        f"ultimate holders (shares to 1e-9). {p['requests']} requests per side after "
        f"{p['warm_up']} warm-up, interleaved.",
        "",
        "| penetration latency (ms) | hub (GraphQL/HTTP) | graph.ownership | raw Cypher |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key in ("p50", "p99", "mean"):
        lines.append(
            f"| {key} | {lat['hub'][key]:.2f} | {lat['module'][key]:.2f} | {lat['raw'][key]:.2f} |"
        )
    lines += [
        "",
        f"Ratios (p50): hub ÷ raw {p['ratio_p50_hub_to_raw']:.2f}, "
        f"module ÷ raw {p['ratio_p50_module_to_raw']:.2f}.",
        "",
        f"Contagion over the whole graph: {c['subjects']} subjects, {c['runs']} runs per side.",
        "",
        "| contagion (s) | graph.risk.contagion | plain Cypher |",
        "| --- | ---: | ---: |",
        f"| median | {c['module_seconds']['p50']:.3f} | {c['raw_seconds']['p50']:.3f} |",
        f"| max | {c['module_seconds']['max']:.3f} | {c['raw_seconds']['max']:.3f} |",
        "",
        f"Ratio (median) module ÷ plain: {c['ratio_median_module_to_raw']:.2f}. Full risk scan "
        f"(four signals, alerts stored, notices): {s['seconds']:.2f} s, found {s['found']}.",
    ]
    return "\n".join([*lines, ""])


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.graph_signals",
        description="Ownership penetration and the contagion signal vs plain Cypher.",
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument(
        "--reuse",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="use a graph already holding that many demo enterprises (default)",
    )
    parser.add_argument("--sample", type=int, default=50, help="enterprises to penetrate")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per side")
    parser.add_argument("--scans", type=int, default=5, help="contagion runs per side")
    parser.add_argument("--workers", type=int, default=1, help="hub worker processes")
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    for name in ("enterprises", "sample", "requests", "scans", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(
        args.enterprises,
        args.reuse,
        args.sample,
        args.requests,
        args.scans,
        args.workers,
        args.keep,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, measure, report; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        token = credithub(env, "token", "--admin", "--subject", "bench", "--ttl", "8h")
        facts = machine_facts(connection, options.workers)
        result = asyncio.run(measure(options, connection, env, token.stdout.strip()))
        return {**result, "machine": facts}

    return run_benchmark(
        work,
        keep=options.keep,
        save_as=f"graph_signals-{options.enterprises}",
        render=lambda result: report(result, result["machine"]),
    )


if __name__ == "__main__":
    sys.exit(main())
