"""The bank's credit check through the hub over HTTP versus one raw Cypher query, side by side.

    .venv/bin/python -m bench.credit_check [--sizes 300,50000] [--requests 500]
        [--concurrency 8] [--workers 1] [--keep]

The credit check is one GraphQL request: an enterprise by its USCC with its current credit
records, red/black list entries, joint-punishment sanctions, its legal representative and that
person's other enterprises. For every size the benchmark

1. empties the graph, runs ``credithub migrate`` and ``credithub demo-data --enterprises N``
   (timed: the load time),
2. starts ``credithub serve`` in a subprocess on a free loopback port and waits for /healthz,
3. picks ~100 USCCs deterministically (enterprises with one legal representative who
   represents at least two enterprises, and with at least one current record),
4. checks that the hub and the hand-written query return the same data for every sampled
   USCC (and stops loudly if they do not: comparing different work would be worthless),
5. measures both sides: sequential latency (p50/p99/mean, after a warm-up) and throughput with
   ``--concurrency`` concurrent clients, for ``--requests`` requests each.

The hub is called as the credit office (an admin token from ``credithub token --admin``), the
consumer the sharing catalogue withholds nothing from, so both sides return the same rows;
enforcement and the audit entry every hub request commits are part of what the hub side costs.

It runs its own Neo4j under ``.credithub/bench`` (Bolt port 17689), never the developer's or the
tests'; with NEO4J_URI set it uses that server instead and EMPTIES its database. The bench Neo4j
is stopped at the end unless ``--keep``; the hub is always stopped. Only loopback traffic.

Results print as Markdown and go to ``bench/results/credit_check-<size>.json`` (git-ignored),
next to the hub's log (``hub-<size>.log``). Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import httpx
import neo4j

from graph.database import Connection
from graph.provision import LocalNeo4j, ProvisionError
from hub.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# CREDITHUB_BENCH_NEO4J_PORT moves the bench Neo4j (and its home) so two benchmarks can run at
# once without emptying each other's graph; 17689 and .credithub/bench by default.
BENCH_NEO4J_PORT = int(os.environ.get("CREDITHUB_BENCH_NEO4J_PORT", "17689"))
BENCH_HOME = (
    ROOT / ".credithub" / ("bench" if BENCH_NEO4J_PORT == 17689 else f"bench-{BENCH_NEO4J_PORT}")
)

SAMPLE_SIZE = 100
SAMPLE_SEED = 20261128
WARM_UP = 50
PAGE = 20  # the page size the credit check asks for (first: 20)
LOAD_TIMEOUT = 3600.0
HUB_START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0

CREDIT_CHECK = """\
query CreditCheck($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name status registeredCapital blackListed redListed
    legalRepresentative { key nameMasked enterprises(excludeUscc: $uscc) { uscc name status blackListed } }
    records(first: 20) { totalCount edges { node { id kind title documentNumber decisionDate severity status category amount issuingAuthority provider { name } } } pageInfo { hasNextPage endCursor } }
    listEntries(first: 20) { totalCount edges { node { id listType listName status decisionDate sanctions { status measure { code name } } } } }
    sanctions(first: 20) { totalCount edges { node { id status startsOn endsOn measure { code name business } } } }
  }
}
"""  # noqa: E501  (the document exactly as the bank sends it)

# The same credit check by hand: one query, the same semantics as the hub's schema —
# current record versions newest first (decisionDate, then uid), list entries by decisionDate
# (then id), sanctions by `from` (then id), the legal representative's other enterprises (any
# role) by name, blackListed/redListed as an active BLACK/RED list entry about the subject.
RAW_CREDIT_CHECK: LiteralString = """
MATCH (e:Enterprise {uscc: $uscc})
WITH e,
  COLLECT { MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person) RETURN p LIMIT 1 }[0] AS rep,
  COLLECT {
    MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true
    WITH r ORDER BY r.decisionDate DESC, r.uid LIMIT 21
    RETURN r { id: r.uid, .kind, .title, .documentNumber, .decisionDate, .severity, .status,
      .category, .amount, .issuingAuthority,
      provider: COLLECT { MATCH (r)-[:PROVIDED_BY]->(d:Department) RETURN d { .name } LIMIT 1 }[0]
    }
  } AS records
RETURN e {
  .uscc, .name, .status, .registeredCapital,
  blackListed: EXISTS {
    MATCH (:ListEntry {listType: 'BLACK', status: 'ACTIVE'})-[:HAS_SUBJECT]->(e) },
  redListed: EXISTS {
    MATCH (:ListEntry {listType: 'RED', status: 'ACTIVE'})-[:HAS_SUBJECT]->(e) },
  legalRepresentative: rep { .key, .nameMasked,
    enterprises: COLLECT {
      MATCH (rep)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]
        ->(o:Enterprise)
      WHERE o <> e
      WITH DISTINCT o ORDER BY o.name
      RETURN o { .uscc, .name, .status,
        blackListed: EXISTS {
          MATCH (:ListEntry {listType: 'BLACK', status: 'ACTIVE'})-[:HAS_SUBJECT]->(o) } }
    }
  },
  records: {
    totalCount: COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true },
    items: records[..20],
    hasNextPage: size(records) > 20
  },
  listEntries: {
    totalCount: COUNT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e) },
    items: COLLECT {
      MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e)
      WITH l ORDER BY l.decisionDate DESC, l.id LIMIT 20
      RETURN l { .id, .listType, .listName, .status, .decisionDate,
        sanctions: COLLECT {
          MATCH (l)<-[:UNDER]-(s:Sanction)
          WITH s ORDER BY s.id
          RETURN s { .status,
            measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure) RETURN m { .code, .name }
              LIMIT 1 }[0] }
        }
      }
    }
  },
  sanctions: {
    totalCount: COUNT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e) },
    items: COLLECT {
      MATCH (s:Sanction)-[:HAS_SUBJECT]->(e)
      WITH s ORDER BY s.from DESC, s.id LIMIT 20
      RETURN s { .id, .status, startsOn: s.from, endsOn: s.until,
        measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure) RETURN m { .code, .name, .business }
          LIMIT 1 }[0] }
    }
  }
} AS data
"""

# Candidates for the sample: exactly one legal representative (so "the" representative is
# well defined on both sides), who represents at least two enterprises; at least one current
# record. Python then draws a seeded sample from the sorted candidates.
SAMPLE_CANDIDATES: LiteralString = """
MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e:Enterprise)
WITH p, collect(e) AS represented WHERE size(represented) >= 2
UNWIND represented AS e
WITH DISTINCT e
WHERE COUNT { (e)<-[:LEGAL_REPRESENTATIVE_OF]-(:Person) } = 1
  AND EXISTS { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true }
RETURN e.uscc AS uscc ORDER BY uscc
"""

# Beyond the sample, the equality check also covers the enterprises with the most list entries,
# sanctions and current records (where ordering and paging show), which the sample may lack.
VERIFY_EXTRAS: LiteralString = """
CALL () {
  MATCH (e:Enterprise)
  WITH e, COUNT { (:ListEntry)-[:HAS_SUBJECT]->(e) } AS n WHERE n > 0
  RETURN e.uscc AS uscc ORDER BY n DESC, uscc LIMIT 20
  UNION
  MATCH (e:Enterprise)
  WITH e, COUNT { (:Sanction)-[:HAS_SUBJECT]->(e) } AS n WHERE n > 0
  RETURN e.uscc AS uscc ORDER BY n DESC, uscc LIMIT 20
  UNION
  MATCH (e:Enterprise)
  WITH e, COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true } AS n
  RETURN e.uscc AS uscc ORDER BY n DESC, uscc LIMIT 10
}
RETURN uscc ORDER BY uscc
"""

# Relationships first, then nodes: a node with a hundred thousand relationships (a department
# that provided every record, an evaluation run) cannot be detached in one transaction on the
# bench server's 1 GB heap, but its relationships go in batches like any others.
EMPTY_RELATIONSHIPS: LiteralString = (
    "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
)
EMPTY_NODES: LiteralString = "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS"

GRAPH_COUNTS: LiteralString = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
CALL () { MATCH (n:Enterprise) RETURN count(n) AS enterprises }
CALL () { MATCH (n:Person) RETURN count(n) AS persons }
CALL () { MATCH (n:Record) WHERE n.current = true RETURN count(n) AS currentRecords }
CALL () { MATCH (n:ListEntry) RETURN count(n) AS listEntries }
CALL () { MATCH (n:Sanction) RETURN count(n) AS sanctions }
RETURN nodes, relationships, enterprises, persons, currentRecords, listEntries, sanctions
"""


class BenchmarkError(RuntimeError):
    """The benchmark cannot produce a meaningful result; the message says why."""


# --------------------------------------------------------------------------------------
# Environment, processes, the graph
# --------------------------------------------------------------------------------------
def bench_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment every `credithub` subprocess of the benchmark runs with."""
    env = dict(base)
    env["CREDITHUB_HOME"] = str(BENCH_HOME)
    env["CREDITHUB_NEO4J_PORT"] = str(BENCH_NEO4J_PORT)
    env["PYTHONUNBUFFERED"] = "1"
    # One organisation sends every timed request: a benchmark measures the work, not the limit.
    env["CREDITHUB_RATE_ORG_PER_MINUTE"] = "0"
    env["CREDITHUB_RATE_PUBLIC_PER_MINUTE"] = "0"
    # Audit entries through the local write-ahead log (authz/audit_wal.py) unless the caller's
    # environment says otherwise (CREDITHUB_AUDIT_WAL=off: each group committed to Neo4j).
    env.setdefault("CREDITHUB_AUDIT_WAL", "on")
    # The store of 100,000 demo enterprises is about 0.8 GB: the demo's 512 MB page cache
    # would leave reads of the large graphs going to the file system (Neo4j sizes the page
    # cache to the store). Takes effect when the bench Neo4j (re)starts.
    env.setdefault("CREDITHUB_NEO4J_PAGECACHE", "1500m")
    return env


def credithub(
    env: Mapping[str, str], *args: str, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run one `credithub` command to completion; `BenchmarkError` with its output if it fails."""
    command = [sys.executable, "-m", "hub.cli", *args]
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"`credithub {' '.join(args)}` took over {timeout:.0f} s") from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise BenchmarkError(f"`credithub {' '.join(args)}` failed ({result.returncode}):\n{tail}")
    return result


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def bench_neo4j(settings: Settings, *, keep: bool) -> Iterator[Connection]:
    """The bench Neo4j, started here unless NEO4J_URI names another server, and its connection;
    stopped afterwards unless `keep`. Shared by every benchmark's `main`."""
    server: LocalNeo4j | None = None
    if settings.uses_local_server:
        server = settings.local_server()
        log(f"Starting the bench Neo4j ({server.home}, Bolt {server.uri}) …")
        server.start()
    else:
        log(
            f"WARNING: NEO4J_URI is set: benchmarking against {settings.neo4j_uri}, whose "
            f"database {settings.neo4j_database!r} is EMPTIED when a graph must be loaded."
        )
    try:
        yield settings.connection()
    finally:
        if server is not None:
            if keep:
                server.detach()
                log(f"--keep: the bench Neo4j keeps running at {server.uri}.")
            elif server.stop():
                log("Stopped the bench Neo4j.")


BenchWork = Callable[[Connection, dict[str, str]], dict[str, Any] | None]
"""A benchmark's measurement: on the bench Neo4j, with the bench environment; its result."""


def run_benchmark(
    work: BenchWork,
    *,
    keep: bool,
    save_as: str | None = None,
    render: Callable[[dict[str, Any]], str] | None = None,
) -> int:
    """Every benchmark's `main` after its options: settings from the environment, `work` on the
    bench Neo4j (`bench_neo4j`), its result kept as bench/results/<save_as>.json and printed
    with `render`, errors logged. The exit status: 2 for bad settings, 1 for a failed run."""
    env = bench_environment(os.environ)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        log(f"error: {error}")
        return 2
    try:
        with bench_neo4j(settings, keep=keep) as connection:
            result = work(connection, env)
        if result is not None and save_as is not None:
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"{save_as}.json"
            path.write_text(
                json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            if render is not None:
                print(render(result), flush=True)
            log(f"wrote {path.relative_to(ROOT)}")
    except (BenchmarkError, ProvisionError, SettingsError) as error:
        log(f"error: {error}")
        return 1
    return 0


def empty_graph(connection: Connection) -> None:
    """Delete every node and relationship (the schema stays).

    ``CALL … IN TRANSACTIONS`` only runs in an auto-commit transaction, so this is a plain
    ``session.run`` of the sync driver, not a managed (execute_write) transaction.
    """
    with (
        neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver,
        driver.session(database=connection.database) as session,
    ):
        session.run(EMPTY_RELATIONSHIPS).consume()
        session.run(EMPTY_NODES).consume()


def read_rows(
    connection: Connection, cypher: LiteralString, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Run one read query with the sync driver (set-up only, never timed)."""
    with neo4j.GraphDatabase.driver(
        connection.uri, auth=(connection.user, connection.password)
    ) as driver:
        records, _, _ = driver.execute_query(
            cypher,
            params or {},
            database_=connection.database,
            routing_=neo4j.RoutingControl.READ,
        )
    return [dict(record) for record in records]


def neo4j_server_version(connection: Connection) -> str:
    """The version and edition the server reports."""
    rows = read_rows(
        connection,
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN versions[0] AS version, edition",
    )
    return f"{rows[0]['version']} {rows[0]['edition']}" if rows else "unknown"


def sample_usccs(connection: Connection) -> tuple[list[str], int]:
    """~100 USCCs drawn with a fixed seed from the candidates, and the number of candidates."""
    candidates = [str(row["uscc"]) for row in read_rows(connection, SAMPLE_CANDIDATES)]
    if not candidates:
        raise BenchmarkError(
            "no enterprise has a legal representative of two or more enterprises and a "
            "current record: the demo graph is too small or was not loaded"
        )
    chosen = random.Random(SAMPLE_SEED).sample(candidates, min(SAMPLE_SIZE, len(candidates)))
    return chosen, len(candidates)


@contextmanager
def running_hub(env: Mapping[str, str], workers: int, log_path: Path) -> Iterator[HubProcess]:
    """`credithub serve` on a free loopback port, stopped (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # A profile of the hub under the bench's own load, when asked for (py-spy is a developer's
    # tool, not a dependency: `pip install py-spy` first).
    profile = os.environ.get("CREDITHUB_BENCH_PYSPY")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    spy = (
        subprocess.Popen(
            [
                *("py-spy", "record", "--pid", str(process.pid), "--rate", "100"),
                *("--subprocesses", "--format", "raw", "--output", profile),
            ],
            stdin=subprocess.DEVNULL,
        )
        if profile
        else None
    )
    try:
        yield HubProcess(process, f"http://127.0.0.1:{port}", log_path)
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its profile on an interrupt
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stop_process(spy, timeout=5)
        stop_process(process, timeout=30)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Ask a server the bench started to stop (SIGTERM), and kill it after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class HubProcess:
    """A running hub: its process, base URL and log file."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, lines: int = 20) -> str:
        """The end of the hub's log, for error messages."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


async def wait_healthy(hub: HubProcess, client: httpx.AsyncClient) -> float:
    """Poll GET /healthz until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < HUB_START_TIMEOUT:
        if hub.process.poll() is not None:
            raise BenchmarkError(f"the hub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            if (await client.get("/healthz", timeout=5.0)).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise BenchmarkError(f"/healthz not 200 within {HUB_START_TIMEOUT:.0f} s:\n{hub.log_tail()}")


# --------------------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------------------
Call = Callable[[str], Awaitable[dict[str, Any]]]


def hub_call(client: httpx.AsyncClient) -> Call:
    """The credit check through the hub: POST /graphql, parse the JSON, fail on any error."""

    async def call(uscc: str) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": CREDIT_CHECK, "variables": {"uscc": uscc}}
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise BenchmarkError(f"hub answered {response.status_code} for {uscc}: {body}")
        enterprise = body["data"]["enterprise"]
        if enterprise is None:
            raise BenchmarkError(f"hub found no enterprise {uscc}")
        data: dict[str, Any] = enterprise
        return data

    return call


def raw_call(driver: neo4j.AsyncDriver, database: str) -> Call:
    """The credit check as one hand-written Cypher query on the async driver."""

    async def call(uscc: str) -> dict[str, Any]:
        result = await driver.execute_query(
            RAW_CREDIT_CHECK,
            {"uscc": uscc},
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        )
        if not result.records:
            raise BenchmarkError(f"raw query found no enterprise {uscc}")
        data: dict[str, Any] = result.records[0]["data"]
        return data

    return call


def _iso(value: Any) -> Any:
    """Dates as ISO text, whether they came as JSON (hub) or as neo4j.time.Date (raw)."""
    if value is None or isinstance(value, str):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)


def _measure(measure: Mapping[str, Any] | None) -> str | None:
    return None if measure is None else str(measure["code"])


def essentials(data: Mapping[str, Any], *, hub: bool) -> dict[str, Any]:
    """The values both sides must agree on, in one shape (hub: edges/node; raw: items)."""

    def nodes(connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        if hub:
            return [edge["node"] for edge in connection["edges"]]
        items: list[Mapping[str, Any]] = connection["items"]
        return items

    rep = data["legalRepresentative"]
    records, entries, sanctions = data["records"], data["listEntries"], data["sanctions"]
    return {
        "uscc": data["uscc"],
        "name": data["name"],
        "status": data["status"],
        "registeredCapital": data["registeredCapital"],
        "blackListed": data["blackListed"],
        "redListed": data["redListed"],
        "legalRepresentative": None
        if rep is None
        else {
            "key": rep["key"],
            "nameMasked": rep["nameMasked"],
            "otherEnterprises": [(o["uscc"], o["blackListed"]) for o in rep["enterprises"]],
        },
        "records.totalCount": records["totalCount"],
        "records.hasNextPage": records["pageInfo"]["hasNextPage"]
        if hub
        else records["hasNextPage"],
        "records": [
            (r["id"], _iso(r["decisionDate"]), r["status"], (r["provider"] or {}).get("name"))
            for r in nodes(records)
        ],
        "listEntries.totalCount": entries["totalCount"],
        "listEntries": [
            (
                entry["id"],
                entry["status"],
                _iso(entry["decisionDate"]),
                [(s["status"], _measure(s["measure"])) for s in entry["sanctions"]],
            )
            for entry in nodes(entries)
        ],
        "sanctions.totalCount": sanctions["totalCount"],
        "sanctions": [
            (s["id"], s["status"], _iso(s["startsOn"]), _measure(s["measure"]))
            for s in nodes(sanctions)
        ],
    }


@dataclass(frozen=True)
class Agreement:
    """What the equality check covered (so a vacuous check shows)."""

    checked: int
    with_other_enterprises: int
    with_list_entries: int
    with_sanctions: int
    with_more_than_a_page_of_records: int
    records_compared: int


async def verify_same(usccs: Sequence[str], via_hub: Call, via_raw: Call) -> Agreement:
    """Both sides must return the same essentials for every USCC; `BenchmarkError` otherwise."""
    others = entries = sanctions = paged = records = 0
    for uscc in usccs:
        hub = essentials(await via_hub(uscc), hub=True)
        raw = essentials(await via_raw(uscc), hub=False)
        if hub != raw:
            differing = [key for key in hub if hub[key] != raw.get(key)]
            details = "\n".join(
                f"  {key}:\n    hub: {hub[key]!r}\n    raw: {raw.get(key)!r}" for key in differing
            )
            raise BenchmarkError(
                f"hub and raw driver disagree for {uscc} — the benchmark would compare "
                f"different work:\n{details}"
            )
        rep = hub["legalRepresentative"]
        others += bool(rep and rep["otherEnterprises"])
        entries += bool(hub["listEntries"])
        sanctions += bool(hub["sanctions"])
        paged += bool(hub["records.hasNextPage"])
        records += len(hub["records"])
    return Agreement(len(usccs), others, entries, sanctions, paged, records)


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Side:
    """One side's figures (milliseconds; requests per second)."""

    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    throughput_rps: float
    concurrent_p50_ms: float
    concurrent_p99_ms: float


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 < q < 1) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _timed(call: Call, uscc: str) -> float:
    started = time.perf_counter()
    await call(uscc)
    return (time.perf_counter() - started) * 1000.0


async def sequential(
    sides: Sequence[Call], usccs: Sequence[str], requests: int
) -> list[list[float]]:
    """Latencies (ms) of `requests` one-at-a-time calls per side, interleaved.

    Request n goes to every side in turn (the order reversed on odd n), so a change in
    background load on the machine hits both sides alike.
    """
    latencies: list[list[float]] = [[] for _ in sides]
    order = list(range(len(sides)))
    for n in range(requests):
        uscc = usccs[n % len(usccs)]
        for index in order if n % 2 == 0 else order[::-1]:
            latencies[index].append(await _timed(sides[index], uscc))
    return latencies


async def concurrent(
    call: Call, usccs: Sequence[str], requests: int, concurrency: int
) -> tuple[float, list[float]]:
    """`requests` calls by `concurrency` clients at once: (requests per second, latencies)."""
    counter = itertools.count()
    latencies: list[float] = []

    async def client() -> None:
        while (n := next(counter)) < requests:
            latencies.append(await _timed(call, usccs[n % len(usccs)]))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started), latencies


def side(sequential_ms: Sequence[float], throughput: float, concurrent_ms: Sequence[float]) -> Side:
    """Summarise one side's measurements."""
    return Side(
        p50_ms=percentile(sequential_ms, 0.50),
        p99_ms=percentile(sequential_ms, 0.99),
        mean_ms=statistics.fmean(sequential_ms),
        max_ms=max(sequential_ms),
        throughput_rps=throughput,
        concurrent_p50_ms=percentile(concurrent_ms, 0.50),
        concurrent_p99_ms=percentile(concurrent_ms, 0.99),
    )


# --------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The command line."""

    sizes: list[int]
    requests: int
    concurrency: int
    workers: int
    keep: bool


def graph_of_size(
    size: int, connection: Connection, env: Mapping[str, str]
) -> dict[str, Any] | None:
    """Reuse the bench graph when it holds exactly `size` demo enterprises, else load it; the
    load's figures, or None when reused."""
    [count] = read_rows(connection, "MATCH (e:Enterprise) RETURN count(e) AS n")
    if count["n"] == size:
        return None
    log(f"loading {size:,} demo enterprises …")
    return load_graph(size, connection, env)


def load_graph(size: int, connection: Connection, env: Mapping[str, str]) -> dict[str, Any]:
    """Empty the graph, migrate, load the demo data at `size`; timings and counts."""
    started = time.monotonic()
    empty_graph(connection)
    empty_seconds = time.monotonic() - started
    started = time.monotonic()
    credithub(env, "migrate")
    migrate_seconds = time.monotonic() - started
    started = time.monotonic()
    loaded = credithub(env, "demo-data", "--enterprises", str(size), timeout=LOAD_TIMEOUT)
    load_seconds = time.monotonic() - started
    lines = loaded.stdout.strip().splitlines()
    return {
        "empty_seconds": round(empty_seconds, 1),
        "migrate_seconds": round(migrate_seconds, 1),
        "load_seconds": round(load_seconds, 1),
        "demo_data_output": lines[-1] if lines else "",
        "graph": read_rows(connection, GRAPH_COUNTS)[0],
    }


async def measure_size(
    size: int, connection: Connection, env: Mapping[str, str], options: Options, token: str
) -> dict[str, Any]:
    """Load the graph at `size`, start the hub, check both sides agree, measure both."""
    log(f"[{size}] emptying the graph, migrating, loading {size:,} enterprises …")
    loaded = load_graph(size, connection, env)
    log(f"[{size}] loaded in {loaded['load_seconds']} s: {loaded['demo_data_output']}")
    usccs, candidates = sample_usccs(connection)
    extras = [str(row["uscc"]) for row in read_rows(connection, VERIFY_EXTRAS)]
    to_verify = [*usccs, *(uscc for uscc in extras if uscc not in set(usccs))]
    log(f"[{size}] sample: {len(usccs)} USCCs of {candidates} candidates")

    # 1/5/15-minute load average before timing (it includes the demo load just run).
    load_average = [round(x, 2) for x in os.getloadavg()]
    budget = 120.0 + 2.0 * options.requests  # a safety stop, never a pass/fail criterion
    with running_hub(env, options.workers, RESULTS / f"hub-{size}.log") as hub:
        async with httpx.AsyncClient(
            base_url=hub.url,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(
                max_connections=options.concurrency,
                max_keepalive_connections=options.concurrency,
            ),
            timeout=REQUEST_TIMEOUT,
            trust_env=False,  # loopback only: never through a proxy from the environment
        ) as client:
            started_in = await wait_healthy(hub, client)
            log(f"[{size}] hub up at {hub.url} in {started_in:.1f} s")
            driver = neo4j.AsyncGraphDatabase.driver(
                connection.uri,
                auth=(connection.user, connection.password),
                max_connection_pool_size=max(options.concurrency, 10),
                # As the hub's Database: notifications off, so neither side pays for them.
                notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            )
            try:
                via_hub, via_raw = hub_call(client), raw_call(driver, connection.database)
                agreement = await verify_same(to_verify, via_hub, via_raw)
                log(f"[{size}] hub and raw agree on all {agreement.checked} USCCs checked")
                async with asyncio.timeout(budget):
                    await sequential([via_hub, via_raw], usccs, WARM_UP)
                    log(f"[{size}] warmed up; {options.requests} sequential requests per side …")
                    hub_seq, raw_seq = await sequential([via_hub, via_raw], usccs, options.requests)
                async with asyncio.timeout(budget):
                    log(f"[{size}] {options.requests} requests, {options.concurrency} at once …")
                    hub_rps, hub_conc = await concurrent(
                        via_hub, usccs, options.requests, options.concurrency
                    )
                    raw_rps, raw_conc = await concurrent(
                        via_raw, usccs, options.requests, options.concurrency
                    )
            finally:
                await driver.close()

    hub_side = side(hub_seq, hub_rps, hub_conc)
    raw_side = side(raw_seq, raw_rps, raw_conc)
    return {
        "size": size,
        **loaded,
        "sample": {"usccs": len(usccs), "candidates": candidates, "seed": SAMPLE_SEED},
        "agreement": asdict(agreement),
        "load_average_before_measuring": load_average,
        "requests": options.requests,
        "warm_up": WARM_UP,
        "concurrency": options.concurrency,
        "hub_workers": options.workers,
        "hub": asdict(hub_side),
        "raw_driver": asdict(raw_side),
        "ratio_p50": hub_side.p50_ms / raw_side.p50_ms,
        "ratio_p99": hub_side.p99_ms / raw_side.p99_ms,
        "ratio_mean": hub_side.mean_ms / raw_side.mean_ms,
        "ratio_throughput": raw_side.throughput_rps / hub_side.throughput_rps,
        "ratio_concurrent_p50": hub_side.concurrent_p50_ms / raw_side.concurrent_p50_ms,
        "ratio_concurrent_p99": hub_side.concurrent_p99_ms / raw_side.concurrent_p99_ms,
    }


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------
def log(message: str) -> None:
    """Progress, on stderr (stdout carries the report)."""
    print(message, file=sys.stderr, flush=True)


def machine_facts(connection: Connection, workers: int) -> dict[str, Any]:
    """Where the figures were measured."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "neo4j": neo4j_server_version(connection),
        "neo4j_uri": connection.uri,
        "python": platform.python_version(),
        "neo4j_driver": neo4j.__version__,
        "httpx": httpx.__version__,
        "hub_workers": workers,
        "hub_audit_wal": bench_environment(os.environ)["CREDITHUB_AUDIT_WAL"],
        "neo4j_memory": neo4j_memory(connection),
        "platform": platform.platform(),
    }


def neo4j_memory(connection: Connection) -> dict[str, str]:
    """The heap and page cache the server runs with (a kept server keeps the sizes it was
    started with, whatever the environment says now)."""
    rows = read_rows(
        connection,
        "SHOW SETTINGS YIELD name, value WHERE name IN "
        "['server.memory.pagecache.size', 'server.memory.heap.max_size'] "
        "RETURN name, value",
    )
    return {str(row["name"]).rsplit(".", 2)[-2]: str(row["value"]) for row in rows}


def report(result: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """One size's figures as a Markdown table with the facts behind them."""
    hub, raw = result["hub"], result["raw_driver"]
    c = result["concurrency"]
    agree = result["agreement"]
    graph = result["graph"]
    rows = [
        ("p50 latency, sequential (ms)", "p50_ms", "ratio_p50", "hub ÷ raw"),
        ("p99 latency, sequential (ms)", "p99_ms", "ratio_p99", "hub ÷ raw"),
        ("mean latency, sequential (ms)", "mean_ms", "ratio_mean", "hub ÷ raw"),
        (f"throughput, {c} concurrent (req/s)", "throughput_rps", "ratio_throughput", "raw ÷ hub"),
        (
            f"p50 latency, {c} concurrent (ms)",
            "concurrent_p50_ms",
            "ratio_concurrent_p50",
            "hub ÷ raw",
        ),
        (
            f"p99 latency, {c} concurrent (ms)",
            "concurrent_p99_ms",
            "ratio_concurrent_p99",
            "hub ÷ raw",
        ),
    ]
    lines = [
        f"### Credit check, {result['size']:,} enterprises",
        "",
        f"Graph: {graph['nodes']:,} nodes, {graph['relationships']:,} relationships "
        f"({graph['enterprises']:,} enterprises, {graph['persons']:,} persons, "
        f"{graph['currentRecords']:,} current records, {graph['listEntries']:,} list entries, "
        f"{graph['sanctions']:,} sanctions). Demo load {result['load_seconds']} s "
        f"(`credithub demo-data`; migrate {result['migrate_seconds']} s, "
        f"emptying {result['empty_seconds']} s).",
        f"Sample: {result['sample']['usccs']} USCCs of {result['sample']['candidates']} "
        f"candidates. Hub and raw agreed on all {agree['checked']} USCCs checked (the sample "
        f"plus the enterprises with the most list entries, sanctions and records): "
        f"{agree['records_compared']} records compared, {agree['with_other_enterprises']} "
        f"with other enterprises, {agree['with_list_entries']} with list entries, "
        f"{agree['with_sanctions']} with sanctions, {agree['with_more_than_a_page_of_records']} "
        f"with a second page of records.",
        f"{result['requests']} requests per side after {result['warm_up']} warm-up; "
        f"{facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']}, "
        f"{result['hub_workers']} hub worker(s), audit write-ahead log "
        f"{facts.get('hub_audit_wal', 'on')}, load average before measuring "
        f"{' / '.join(str(x) for x in result['load_average_before_measuring'])}.",
        "",
        "| metric | hub (GraphQL over HTTP) | raw driver (one Cypher query) | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, key, ratio, how in rows:
        digits = 0 if key == "throughput_rps" else 2
        lines.append(
            f"| {label} | {hub[key]:.{digits}f} | {raw[key]:.{digits}f} | "
            f"{result[ratio]:.2f} ({how}) |"
        )
    return "\n".join([*lines, ""])


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------
def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.credit_check",
        description="The bank's credit check: the hub over HTTP versus one raw Cypher query.",
    )
    parser.add_argument("--sizes", default="300,50000", help="enterprises per run (comma list)")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per side")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="hub worker processes")
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes must be whole numbers separated by commas, e.g. 300,50000")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes must name at least one positive size")
    for name in ("requests", "concurrency", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(sizes, args.requests, args.concurrency, args.workers, args.keep)


async def run(options: Options, connection: Connection, env: Mapping[str, str], token: str) -> None:
    """Every size in turn: measure, print, write JSON."""
    facts = machine_facts(connection, options.workers)
    log(
        f"{facts['nproc']} CPUs, Neo4j {facts['neo4j']} at {connection.uri}, "
        f"{options.workers} hub worker(s)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    for size in options.sizes:
        result = await measure_size(size, connection, env, options, token)
        result["machine"] = facts
        path = RESULTS / f"credit_check-{size}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(report(result, facts), flush=True)
        log(f"[{size}] wrote {path.relative_to(ROOT)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, run every size, clean up; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> None:
        token = credithub(env, "token", "--admin", "--subject", "bench", "--ttl", "8h")
        asyncio.run(run(options, connection, env, token.stdout.strip()))

    return run_benchmark(work, keep=options.keep)


if __name__ == "__main__":
    sys.exit(main())
