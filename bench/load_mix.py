"""Month-end load: a realistic mix of consumers against the hub with several workers.

    .venv/bin/python -m bench.load_mix [--enterprises 100000] [--duration 180] [--workers 3]

A separate process on loopback drives, for ``--duration`` seconds or ``--max-requests`` requests
(whichever ends first), ``--concurrency`` clients that each pick an operation by weight:

* a bank's credit check before a loan (the README's credit check, by USCC);
* a public search on the disclosure site's API (a name fragment);
* an association fetching a member's records;
* a department traversing a person to all their enterprises and those enterprises' records;

while ``credithub load`` writes a penalty feed in the background, as a department's nightly
batch would. It reports throughput, p50/p99 latency per operation, every error (a non-200 answer
or a GraphQL error; the target is none), and the resident memory of the hub's processes and of
Neo4j sampled every few seconds, to show whether memory grows. Rate limits are off (one bench
process stands in for many organisations). Uses the bench Neo4j like the other benchmarks and
reuses a loaded demo graph of the same size. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, LiteralString

import httpx

from bench.credit_check import (
    CREDIT_CHECK,
    RESULTS,
    ROOT,
    BenchmarkError,
    HubProcess,
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
from bench.graph_signals import graph_ready
from graph.database import Connection
from loaders.sample_feeds import PENALTY_HEADERS, SAMR, generated_rows, write_csv

SEARCH = """query Search($q: String!) {
  searchEnterprises(query: $q, first: 10) { totalCount edges { node { uscc name status } } }
}"""
MEMBER = """query Member($uscc: String!) {
  enterprise(uscc: $uscc) { uscc name registeredCapital
    records(first: 20) { totalCount edges { node { kind title decisionDate status } } } }
}"""
TRAVERSAL = """query Traverse($key: ID!) {
  person(key: $key) { key name enterprises { uscc name blackListed
    records(first: 10) { totalCount edges { node { kind title decisionDate } } } } }
}"""

SAMPLES: Final[LiteralString] = """
CALL () { MATCH (e:Enterprise)<-[:LEGAL_REPRESENTATIVE_OF]-(:Person)
  RETURN collect(e.uscc)[..2000] AS checks }
CALL () { MATCH (e:Enterprise)-[:MEMBER_OF]->(a:Association)
  WITH a, collect(e.uscc)[..500] AS members ORDER BY size(members) DESC LIMIT 1
  RETURN a.code AS association, members }
CALL () { MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF]->(e:Enterprise)
  WITH p, count(e) AS n WHERE n >= 2 RETURN collect(p.key)[..1000] AS persons }
CALL () { MATCH (b:Bank) RETURN b.code AS bank ORDER BY bank LIMIT 1 }
CALL () { MATCH (d:Department {sector: '市场监管'}) RETURN d.code AS market, d.name AS marketName
  LIMIT 1 }
CALL () { MATCH (d:Department) WHERE d.sector <> '市场监管' RETURN d.code AS department
  ORDER BY department LIMIT 1 }
RETURN checks, association, members, persons, bank, market, marketName, department
"""

WEIGHTS: Final = {"credit_check": 40, "public_search": 30, "member_fetch": 15, "traversal": 15}
MEMORY_EVERY = 5.0


@dataclass(frozen=True)
class Options:
    """Command-line options."""

    enterprises: int
    duration: float
    max_requests: int
    concurrency: int
    workers: int
    feed_rows: int
    feed_seed: int
    reuse: bool
    keep: bool


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after these")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=3, help="hub worker processes")
    parser.add_argument("--feed-rows", type=int, default=20_000, help="background feed size")
    parser.add_argument(
        "--feed-seed",
        type=int,
        default=None,
        help="seed of the feed's content (default: a fresh one, so that a run on a reused graph "
        "writes new versions instead of finding the last run's rows unchanged)",
    )
    parser.add_argument("--reuse", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    a = parser.parse_args(argv)
    return Options(
        a.enterprises,
        a.duration,
        a.max_requests,
        a.concurrency,
        a.workers,
        a.feed_rows,
        random.randrange(1_000_000) if a.feed_seed is None else a.feed_seed,
        a.reuse,
        a.keep,
    )


# --------------------------------------------------------------------------------------
# Memory of the processes under load
# --------------------------------------------------------------------------------------
def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:  # field 4 of /proc/<pid>/stat: the parent
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def _neo4j_pid() -> int | None:
    """The bench Neo4j's JVM (its command line names the bench home)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if "CommunityEntryPoint" in text and "bench" in text:
            return int(cmdline.parent.name)
    return None


def memory_mib(hub: HubProcess, neo4j_pid: int | None) -> dict[str, float]:
    """Resident memory now: the hub (server and workers together) and Neo4j, in MiB."""
    hub_pids = [hub.process.pid, *_children(hub.process.pid)]
    return {
        "hub": round(sum(_rss_kib(p) for p in hub_pids) / 1024, 1),
        "neo4j": round(_rss_kib(neo4j_pid) / 1024, 1) if neo4j_pid else 0.0,
    }


# --------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Latencies and errors per operation."""

    latencies: dict[str, list[float]]
    errors: dict[str, list[str]]


async def drive(
    hub_url: str, tokens: Mapping[str, str], samples: Mapping[str, Any], options: Options
) -> tuple[Tally, float, int]:
    """Run the mix until the duration or the request budget is spent; (tally, seconds, sent)."""
    tally = Tally(defaultdict(list), defaultdict(list))
    rng = random.Random(20261129)
    names = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    sent = 0
    deadline = time.monotonic() + options.duration

    def request(operation: str) -> tuple[str, dict[str, Any]]:
        if operation == "credit_check":
            return "bank", {
                "query": CREDIT_CHECK,
                "variables": {"uscc": rng.choice(samples["checks"])},
            }
        if operation == "public_search":
            fragment = rng.choice(samples["names"])
            return "public", {"query": SEARCH, "variables": {"q": fragment}}
        if operation == "member_fetch":
            return "association", {
                "query": MEMBER,
                "variables": {"uscc": rng.choice(samples["members"])},
            }
        return "department", {
            "query": TRAVERSAL,
            "variables": {"key": rng.choice(samples["persons"])},
        }

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal sent
        while time.monotonic() < deadline and sent < options.max_requests:
            sent += 1
            operation = rng.choices(names, weights)[0]
            who, body = request(operation)
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            started = time.perf_counter()
            try:
                response = await http.post("/graphql", json=body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                payload = response.json()
                if response.status_code != 200 or payload.get("errors"):
                    tally.errors[operation].append(f"{response.status_code} {str(payload)[:200]}")
                else:
                    tally.latencies[operation].append(elapsed)
            except (httpx.HTTPError, ValueError) as error:
                tally.errors[operation].append(f"{type(error).__name__}: {error}")

    started = time.monotonic()
    limits = httpx.Limits(max_connections=options.concurrency)
    async with httpx.AsyncClient(base_url=hub_url, timeout=60.0, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(options.concurrency)))
    return tally, time.monotonic() - started, sent


async def sample_memory(
    hub: HubProcess, neo4j_pid: int | None, stop: asyncio.Event, into: list[dict[str, float]]
) -> None:
    """Resident memory every few seconds until `stop`."""
    started = time.monotonic()
    while not stop.is_set():
        into.append({"t": round(time.monotonic() - started, 1), **memory_mib(hub, neo4j_pid)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), MEMORY_EVERY)


def write_feed(
    path: Path, rows: int, seed: int, subjects: Sequence[str], market: tuple[str, str]
) -> None:
    """A penalty feed of the demo's market regulator about registered demo enterprises.

    The document numbers are the same for every seed; the content (dates, fines) is not, so
    on a graph that holds an earlier run's feed the rows become new versions of its records.
    """
    name, code = market
    sample_name, sample_code = SAMR
    generated = (
        [name if v == sample_name else code if v == sample_code else v for v in row]
        for row in generated_rows("penalty", rows, subjects, seed=seed, year=2025)
    )
    write_csv(path, PENALTY_HEADERS, list(generated), "utf-8")


async def measure(
    options: Options, connection: Connection, env: Mapping[str, str]
) -> dict[str, Any]:
    """Load or reuse the graph, start the hub and the feed, drive the mix, collect figures."""
    size = options.enterprises
    loaded: dict[str, Any] = {"reused": True}
    if not (options.reuse and graph_ready(connection, size)):
        log(f"[{size}] emptying the graph, migrating, loading {size:,} enterprises …")
        loaded = {"reused": False, **load_graph(size, connection, env)}
    else:
        log(f"[{size}] reusing the loaded graph ({size:,} enterprises)")
        credithub(env, "migrate")
    found = read_rows(connection, SAMPLES)[0]
    names = [
        str(r["name"])[:6]
        for r in read_rows(connection, "MATCH (e:Enterprise) RETURN e.name AS name LIMIT 2000")
    ]
    samples = {**found, "names": names}
    if not (found["checks"] and found["members"] and found["persons"] and found["bank"]):
        raise BenchmarkError(f"the graph lacks samples: {json.dumps(found)[:300]}")
    tokens = {
        "bank": credithub(env, "token", found["bank"], "--purpose", "贷前审查", "--ttl", "2h"),
        "association": credithub(env, "token", found["association"], "--ttl", "2h"),
        "department": credithub(env, "token", found["department"], "--ttl", "2h"),
    }
    token_text = {who: result.stdout.strip() for who, result in tokens.items()}
    feed_dir = Path(tempfile.mkdtemp(prefix="credithub-load-mix-"))
    feed = feed_dir / "penalties.csv"
    write_feed(
        feed,
        options.feed_rows,
        options.feed_seed,
        found["checks"],
        (found["marketName"], found["market"]),
    )
    log_path = RESULTS / f"hub-load-mix-{size}.log"
    memory: list[dict[str, float]] = []
    with running_hub(env, options.workers, log_path) as hub:
        async with httpx.AsyncClient(base_url=hub.url) as probe:
            await wait_healthy(hub, probe)
        neo4j_pid = _neo4j_pid()
        log(
            f"[{size}] hub with {options.workers} workers at {hub.url}; "
            f"{options.concurrency} clients for {options.duration:.0f} s; feed of "
            f"{options.feed_rows:,} penalties (seed {options.feed_seed}) loading in the background"
        )
        loader = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "load", str(feed), "--department", found["market"],
             "--kind", "penalty"],
            cwd=ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(hub, neo4j_pid, stop, memory))
        tally, seconds, sent = await drive(hub.url, token_text, samples, options)
        stop.set()
        await sampler
        loader_out, _ = loader.communicate(timeout=1800)
        feed_summary = loader_out.strip().splitlines()[-3:]
        end_memory = memory_mib(hub, neo4j_pid)
    per_operation = {op: _figures(tally, op) for op in WEIGHTS}
    ok = sum(int(v["ok"] or 0) for v in per_operation.values())
    third = max(1, len(memory) // 3)
    return {
        "size": size,
        **loaded,
        "workers": options.workers,
        "concurrency": options.concurrency,
        "seconds": round(seconds, 1),
        "requests": sent,
        "ok": ok,
        "errors": sum(int(v["errors"] or 0) for v in per_operation.values()),
        "error_samples": {op: errs[:5] for op, errs in tally.errors.items() if errs},
        "throughput_rps": round(ok / seconds, 1) if seconds else 0.0,
        "operations": per_operation,
        "feed": {
            "rows": options.feed_rows,
            "seed": options.feed_seed,
            "exit": loader.returncode,
            "summary": feed_summary,
        },
        "memory_mib": {
            "samples": memory,
            "end": end_memory,
            "hub_first_third": round(statistics.fmean(m["hub"] for m in memory[:third]), 1),
            "hub_last_third": round(statistics.fmean(m["hub"] for m in memory[-third:]), 1),
            "neo4j_first_third": round(statistics.fmean(m["neo4j"] for m in memory[:third]), 1),
            "neo4j_last_third": round(statistics.fmean(m["neo4j"] for m in memory[-third:]), 1),
        },
    }


def _figures(tally: Tally, operation: str) -> dict[str, float | int | None]:
    times = tally.latencies[operation]
    return {
        "ok": len(times),
        "errors": len(tally.errors[operation]),
        "p50_ms": round(percentile(times, 0.50), 1) if times else None,
        "p99_ms": round(percentile(times, 0.99), 1) if times else None,
        "mean_ms": round(statistics.fmean(times), 1) if times else None,
    }


def report(result: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """The figures as Markdown."""
    mem = result["memory_mib"]
    lines = [
        f"### Load mix, {result['size']:,} enterprises",
        "",
        f"{facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']}; hub with "
        f"{result['workers']} workers; {result['concurrency']} clients for {result['seconds']} s "
        f"(client, hub and Neo4j on one machine); a {result['feed']['rows']:,}-row penalty feed "
        f"loading meanwhile (exit {result['feed']['exit']}).",
        "",
        f"{result['ok']:,} answered of {result['requests']:,} sent: "
        f"**{result['throughput_rps']} req/s**, **{result['errors']} errors**.",
        "",
        "| operation | answered | errors | p50 ms | p99 ms | mean ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op, v in result["operations"].items():
        lines.append(
            f"| {op} | {v['ok']:,} | {v['errors']} | {v['p50_ms']} | {v['p99_ms']} | "
            f"{v['mean_ms']} |"
        )
    lines += [
        "",
        f"Resident memory (MiB), first third → last third of the run: hub "
        f"{mem['hub_first_third']} → {mem['hub_last_third']}, Neo4j {mem['neo4j_first_third']} → "
        f"{mem['neo4j_last_third']}; at the end hub {mem['end']['hub']}, Neo4j "
        f"{mem['end']['neo4j']}.",
        f"Feed: {' / '.join(result['feed']['summary'])}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, measure, report; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        facts = machine_facts(connection, options.workers)
        return {**asyncio.run(measure(options, connection, env)), "machine": facts}

    return run_benchmark(
        work,
        keep=options.keep,
        save_as=f"load_mix-{options.enterprises}",
        render=lambda result: report(result, result["machine"]),
    )


if __name__ == "__main__":
    sys.exit(main())
