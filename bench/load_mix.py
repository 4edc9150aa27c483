"""Month-end load: a realistic mix of consumers against the hub with several workers.

    .venv/bin/python -m bench.load_mix [--enterprises 100000] [--duration 180] [--workers 2]

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

The raw side (``--raw``, the default) issues the same seeded mix as the equivalent Cypher on the
async driver — the same rows each consumer sees (published records, or with the bank's consent
or the association's membership the shared ones; a department's shared or supplied ones) — with
the same concurrency, in blocks hub, raw, raw, hub of half the duration each, so drift in the
machine's load falls on both. Each side gets a feed of its own (the second with the next seed, so
its rows become new versions of the first one's), starting with that side's first block; a block
after a feed that has not finished waits for it unmeasured, so no side's feed runs under the
other side's requests (until 2026-12-06 the one feed ran under the hub's first block only, which
counted its CPU against the hub). Before the feed starts, a spot check
requires the hub and the raw queries to return the same counts and ids for three requests per
operation. It reports hub ÷ raw throughput and the p99 over all operations of both sides.
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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, LiteralString

import httpx
import neo4j

from bench.credit_check import (
    BENCH_HOME,
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
from bench.http_client import HttpError, LeanClient
from bench.processes import cpu_seconds, rss_kib, tree
from bench.processes import neo4j_pid as find_neo4j
from graph.database import Connection
from graph.lifecycle.base import china_today
from graph.model import RecordStatus
from graph.publication import OPEN_ENTRY_STATUSES, STANDING_STATUSES
from hub.api.query import lucene_phrase_query
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

# The raw side: each operation as the Cypher a developer would write on the driver, with the
# same rows the hub's consumer sees (catalogue rows.Record: the bank published OR, with
# consent, shared; the association published OR, for a current member, shared; a department
# shared OR supplied by it), so the two sides read the same data.
_PUBLISHED: Final[LiteralString] = (
    "(r.status IN $standing AND r.publishFrom IS NOT NULL AND r.publishUntil IS NOT NULL "
    "AND r.publishFrom <= $today AND $today <= r.publishUntil)"
)
_SHARED: Final[LiteralString] = "NOT r.status IN $unshared"
_BLACK: Final[LiteralString] = (
    "EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(x) WHERE l.status = "
    "'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) }"
)
_CONSENT: Final[LiteralString] = (
    "EXISTS { MATCH (c:Consent {grantee: $org})-[:GRANTED_BY]->(e) WHERE c.revokedAt IS NULL "
    "AND c.expiresAt > datetime() AND 'conditional' IN c.classes AND c.purpose = $purpose }"
)
_MEMBER: Final[LiteralString] = (
    "EXISTS { MATCH (e)-[ms:MEMBER_OF]->(:Association {code: $org}) "
    "WHERE ms.until IS NULL OR ms.until > $today }"
)
_PROVIDED_BY_ME: Final[LiteralString] = (
    "(EXISTS { MATCH (r)-[:PROVIDED_BY]->(:Department {code: $org}) } OR EXISTS { MATCH (r)"
    "-[:SUPERSEDES*0..]->(:Record)-[:DECIDED_BY]->(:Department {code: $org}) })"
)


# A bank's list entries and sanctions: listed / in force today, or any with consent.
_LISTED: Final[LiteralString] = (
    "(l.status IN $open AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) OR "
    + _CONSENT
    + ")"
)
_IN_FORCE: Final[LiteralString] = (
    "(s.status = 'ACTIVE' AND (s.from IS NULL OR s.from <= $today) AND (s.until IS NULL OR "
    "$today <= s.until) AND NOT EXISTS { MATCH (s)-[:UNDER]->(u:ListEntry) WHERE NOT "
    "(u.status = 'ACTIVE' AND (u.effectiveUntil IS NULL OR $today <= u.effectiveUntil)) } OR "
    + _CONSENT
    + ")"
)


def _records(rows: LiteralString, page: int, fields: LiteralString) -> LiteralString:
    """A records connection of enterprise `e`: the count and a page, newest first."""
    return (
        "{ totalCount: COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true AND "
        + rows
        + " }, items: COLLECT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true AND "
        + rows
        + " WITH r ORDER BY r.decisionDate DESC, r.uid LIMIT "
        + ("20" if page == 20 else "10")
        + " RETURN r { "
        + fields
        + " } } }"
    )


RAW_CREDIT_CHECK: Final[LiteralString] = (
    "MATCH (e:Enterprise {uscc: $uscc}) "
    "WITH e, COLLECT { MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person) RETURN p LIMIT 1 }[0] "
    "AS rep RETURN e { .uscc, .name, .status, .registeredCapital, "
    "blackListed: " + _BLACK.replace("(x)", "(e)") + ", "
    "redListed: " + _BLACK.replace("(x)", "(e)").replace("'BLACK'", "'RED'") + ", "
    "legalRepresentative: rep { .key, .nameMasked, enterprises: COLLECT { MATCH (rep)"
    "-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]->(x:Enterprise)"
    " WHERE x <> e WITH DISTINCT x ORDER BY x.name RETURN x { .uscc, .name, .status, "
    "blackListed: " + _BLACK + " } } }, "
    "records: "
    + _records(
        "(" + _PUBLISHED + " OR (" + _SHARED + " AND " + _CONSENT + "))",
        20,
        "id: r.uid, .kind, .title, .documentNumber, .decisionDate, .severity, .status, "
        ".category, .amount, .issuingAuthority, provider: COLLECT { MATCH (r)-[:PROVIDED_BY]->"
        "(d:Department) RETURN d { .name } LIMIT 1 }[0]",
    )
    + ", listEntries: { totalCount: COUNT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e) WHERE "
    + _LISTED
    + " }, items: COLLECT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e) WHERE "
    + _LISTED
    + " WITH l ORDER BY l.decisionDate DESC, l.id LIMIT 20 RETURN l { .id, .listType, "
    ".listName, .status, .decisionDate, sanctions: COLLECT { MATCH (l)<-[:UNDER]-(s:Sanction) "
    "RETURN s { .status, measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure) "
    "RETURN m { .code, .name } LIMIT 1 }[0] } } } } }, "
    "sanctions: { totalCount: COUNT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e) WHERE "
    + _IN_FORCE
    + " }, items: COLLECT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e) WHERE "
    + _IN_FORCE
    + " WITH s ORDER BY s.from DESC, s.id LIMIT 20 RETURN s { .id, .status, .from, .until, "
    "measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure) RETURN m { .code, .name, .business } "
    "LIMIT 1 }[0] } } } } AS data"
)
RAW_SEARCH: Final[LiteralString] = (
    "CALL db.index.fulltext.queryNodes('enterprise_name_fulltext', $phrase) YIELD node, score "
    "WITH node AS n, score ORDER BY score DESC, n.name WITH collect(n) AS hits "
    "RETURN { totalCount: size(hits), items: [n IN hits[..10] | n { .uscc, .name, .status }] } "
    "AS data"
)
RAW_MEMBER: Final[LiteralString] = (
    "MATCH (e:Enterprise {uscc: $uscc}) RETURN e { .uscc, .name, .registeredCapital, records: "
    + _records(
        "(" + _PUBLISHED + " OR (" + _SHARED + " AND " + _MEMBER + "))",
        20,
        ".kind, .title, .decisionDate, .status",
    )
    + " } AS data"
)
RAW_TRAVERSAL: Final[LiteralString] = (
    "MATCH (p:Person {key: $key}) RETURN p { .key, .name, enterprises: COLLECT { MATCH (p)"
    "-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]->(e:Enterprise)"
    " WITH DISTINCT e ORDER BY e.name RETURN e { .uscc, .name, blackListed: "
    + _BLACK.replace("(x)", "(e)")
    + ", records: "
    + _records("(" + _SHARED + " OR " + _PROVIDED_BY_ME + ")", 10, ".kind, .title, .decisionDate")
    + " } } } AS data"
)

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

PURPOSE: Final = "贷前审查"
MIX_SEED: Final = 20261129
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
    raw: bool = True


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after these")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--workers", type=int, default=2, help="hub worker processes (default: one per core)"
    )
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
    parser.add_argument(
        "--raw",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also issue the same mix as Cypher on the driver (blocks hub, raw, raw, hub)",
    )
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
        a.raw,
    )


# --------------------------------------------------------------------------------------
# Memory of the processes under load
# --------------------------------------------------------------------------------------
def memory_mib(hub: HubProcess, neo4j_pid: int | None) -> dict[str, float]:
    """Resident memory now: the hub (server and workers together) and Neo4j, in MiB."""
    return {
        "hub": round(sum(rss_kib(p) for p in tree(hub.process.pid)) / 1024, 1),
        "neo4j": round(rss_kib(neo4j_pid) / 1024, 1) if neo4j_pid else 0.0,
    }


# --------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Latencies and errors per operation."""

    latencies: dict[str, list[float]]
    errors: dict[str, list[str]]


Send = Callable[[str, dict[str, Any]], Awaitable[str | None]]
"""Issue one operation with its variables; the error text, or None when it was answered."""


def choose(rng: random.Random, samples: Mapping[str, Any], operation: str) -> dict[str, Any]:
    """The variables of one operation, drawn from the samples."""
    if operation == "credit_check":
        return {"uscc": rng.choice(samples["checks"])}
    if operation == "public_search":
        return {"q": rng.choice(samples["names"])}
    if operation == "member_fetch":
        return {"uscc": rng.choice(samples["members"])}
    return {"key": rng.choice(samples["persons"])}


async def drive_mix(
    send: Send,
    samples: Mapping[str, Any],
    concurrency: int,
    seconds: float,
    max_requests: int,
    seed: int,
    tally: Tally,
) -> tuple[float, int]:
    """`concurrency` clients issue the seeded mix through `send` until `seconds` pass or
    `max_requests` are sent; (seconds taken, requests sent). Latencies and errors go to
    `tally`. The same seed gives every side the same sequence of operations."""
    rng = random.Random(seed)
    names = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    sent = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal sent
        while time.monotonic() < deadline and sent < max_requests:
            sent += 1
            operation = rng.choices(names, weights)[0]
            variables = choose(rng, samples, operation)
            started = time.perf_counter()
            error = await send(operation, variables)
            if error is None:
                tally.latencies[operation].append((time.perf_counter() - started) * 1000)
            else:
                tally.errors[operation].append(error)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.monotonic() - started, sent


def hub_sender(http: LeanClient, tokens: Mapping[str, str]) -> Send:
    """Each operation as the consumer's GraphQL request to the hub."""
    documents = {
        "credit_check": ("bank", CREDIT_CHECK),
        "public_search": ("public", SEARCH),
        "member_fetch": ("association", MEMBER),
        "traversal": ("department", TRAVERSAL),
    }

    async def send(operation: str, variables: dict[str, Any]) -> str | None:
        who, document = documents[operation]
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
        try:
            response = await http.post_json(
                "/graphql", {"query": document, "variables": variables}, headers
            )
            payload = response.json()
        except (HttpError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        if response.status != 200 or payload.get("errors"):
            return f"{response.status} {str(payload)[:200]}"
        return None

    return send


def raw_sender(
    driver: neo4j.AsyncDriver, database: str, samples: Mapping[str, Any], purpose: str
) -> Send:
    """Each operation as its one Cypher query on the async driver, with the consumer's rows."""
    today = china_today()
    common = {
        "today": today,
        "standing": list(STANDING_STATUSES),
        "unshared": [RecordStatus.REPAIRED.value, RecordStatus.REVOKED.value],
        "open": list(OPEN_ENTRY_STATUSES),
    }
    queries: dict[str, tuple[LiteralString, dict[str, Any]]] = {
        "credit_check": (RAW_CREDIT_CHECK, {"org": samples["bank"], "purpose": purpose}),
        "public_search": (RAW_SEARCH, {}),
        "member_fetch": (RAW_MEMBER, {"org": samples["association"]}),
        "traversal": (RAW_TRAVERSAL, {"org": samples["department"]}),
    }

    async def send(operation: str, variables: dict[str, Any]) -> str | None:
        cypher, params = queries[operation]
        capture = variables.pop("_capture", None)  # spot_check reads the answer
        if "q" in variables:
            variables = {"phrase": lucene_phrase_query(variables["q"])}
        try:
            result = await driver.execute_query(
                cypher,
                {**common, **params, **variables},
                database_=database,
                routing_=neo4j.RoutingControl.READ,
            )
        except neo4j.exceptions.Neo4jError as error:
            return f"{type(error).__name__}: {str(error)[:200]}"
        if not result.records or result.records[0]["data"] is None:
            return "no row"
        if capture is not None:
            capture.append(result.records[0]["data"])
        return None

    return send


def _counts(operation: str, data: Mapping[str, Any]) -> list[Any]:
    """The counts and ids an operation's answer must share between the hub and raw."""
    if operation == "public_search":
        hits = data["edges"] if "edges" in data else data["items"]
        return [data["totalCount"], [(h.get("node") or h)["uscc"] for h in hits]]

    def records(holder: Mapping[str, Any]) -> int:
        return int(holder["records"]["totalCount"])

    if operation == "traversal":
        return [(e["uscc"], records(e)) for e in data["enterprises"]]
    counts: list[Any] = [records(data)]
    if operation == "credit_check":
        counts += [data["listEntries"]["totalCount"], data["sanctions"]["totalCount"]]
    return counts


async def spot_check(
    via_hub: httpx.AsyncClient, tokens: Mapping[str, str], via_raw: Send, samples: Mapping[str, Any]
) -> int:
    """Before the mix: for a few subjects per operation, the hub and the raw Cypher return the
    same counts and ids (so the raw side reads the same rows); `BenchmarkError` otherwise."""
    documents = {
        "credit_check": ("bank", CREDIT_CHECK, "enterprise"),
        "public_search": ("public", SEARCH, "searchEnterprises"),
        "member_fetch": ("association", MEMBER, "enterprise"),
        "traversal": ("department", TRAVERSAL, "person"),
    }
    rng = random.Random(MIX_SEED)
    checked = 0
    for operation, (who, document, root) in documents.items():
        for _ in range(3):
            variables = choose(rng, samples, operation)
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            response = await via_hub.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise BenchmarkError(f"hub {operation} {variables}: {str(body)[:300]}")
            captured: list[Any] = []
            raw_error = await via_raw(operation, {**variables, "_capture": captured})
            if raw_error is not None:
                raise BenchmarkError(f"raw {operation} {variables}: {raw_error}")
            hub_counts = _counts(operation, body["data"][root])
            raw_counts = _counts(operation, captured[0])
            if hub_counts != raw_counts:
                raise BenchmarkError(
                    f"{operation} {variables}: hub {hub_counts} but raw {raw_counts} — the raw "
                    "side would not read the same rows"
                )
            checked += 1
    return checked


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
        "bank": credithub(env, "token", found["bank"], "--purpose", PURPOSE, "--ttl", "2h"),
        "association": credithub(env, "token", found["association"], "--ttl", "2h"),
        "department": credithub(env, "token", found["department"], "--ttl", "2h"),
    }
    token_text = {who: result.stdout.strip() for who, result in tokens.items()}
    feed_dir = Path(tempfile.mkdtemp(prefix="credithub-load-mix-"))
    # With a raw side, each side gets a feed of its own, loading while its first block runs;
    # the second (another seed) turns the first one's rows into new versions.
    feeds = [feed_dir / f"penalties-{n}.csv" for n in range(2 if options.raw else 1)]
    for n, feed in enumerate(feeds):
        write_feed(
            feed,
            options.feed_rows,
            options.feed_seed + n,
            found["checks"],
            (found["marketName"], found["market"]),
        )
    log_path = RESULTS / f"hub-load-mix-{size}.log"
    memory: list[dict[str, float]] = []
    with running_hub(env, options.workers, log_path) as hub:
        async with httpx.AsyncClient(base_url=hub.url) as probe:
            await wait_healthy(hub, probe)
        neo4j_pid = find_neo4j(BENCH_HOME / "neo4j")
        hub_pids = tree(hub.process.pid)
        cpu_used: dict[str, dict[str, float]] = {"hub": {}, "raw": {}}

        def cpu() -> dict[str, float]:
            return {
                "hub": cpu_seconds(hub_pids),
                "neo4j": cpu_seconds([neo4j_pid] if neo4j_pid else []),
                "client": time.process_time(),
            }

        log(
            f"[{size}] hub with {options.workers} workers at {hub.url}; "
            f"{options.concurrency} clients for {options.duration:.0f} s; feed of "
            f"{options.feed_rows:,} penalties (seed {options.feed_seed}) loading in the background"
        )
        stop = asyncio.Event()
        waited: dict[int, float] = {}
        tally, raw_tally = Tally(defaultdict(list), defaultdict(list)), None
        seconds = raw_seconds = 0.0
        sent = raw_sent = 0
        limits = httpx.Limits(max_connections=options.concurrency)
        driver = neo4j.AsyncGraphDatabase.driver(
            connection.uri,
            auth=(connection.user, connection.password),
            max_connection_pool_size=max(options.concurrency, 10),
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        )
        # Timed requests go through the lean client (bench/http_client.py), which spends a
        # tenth of httpx's CPU per request on the cores the hub and Neo4j share.
        lean = LeanClient(hub.url, timeout=60.0)
        try:
            async with httpx.AsyncClient(base_url=hub.url, timeout=60.0, limits=limits) as http:
                via_hub = hub_sender(lean, token_text)
                via_raw = raw_sender(driver, connection.database, samples, PURPOSE)
                if options.raw:
                    # Before the feed starts writing, so both sides see the same graph.
                    checked = await spot_check(http, token_text, via_raw, samples)
                    log(f"[{size}] hub and raw agree on counts and ids for {checked} requests")

                def start_loading(feed: Path) -> subprocess.Popen[str]:
                    return subprocess.Popen(
                        [sys.executable, "-m", "hub.cli", "load", str(feed), "--department",
                         found["market"], "--kind", "penalty"],
                        cwd=ROOT, env=dict(env), stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True,
                    )  # fmt: skip

                def finish(loader: subprocess.Popen[str]) -> str:
                    # Reading while waiting: a loader blocked on a full pipe never ends.
                    out, _ = loader.communicate(timeout=1800)
                    return out

                loaders = [start_loading(feeds[0])]
                outputs: dict[int, str] = {}
                sampler = asyncio.create_task(sample_memory(hub, neo4j_pid, stop, memory))
                if not options.raw:
                    seconds, sent = await drive_mix(
                        via_hub, samples, options.concurrency, options.duration,
                        options.max_requests, MIX_SEED, tally,
                    )  # fmt: skip
                else:
                    # Hub, raw, raw, hub: each side gets the whole duration in two halves with
                    # the same operations, so drift in the machine's load falls on both alike.
                    raw_tally = Tally(defaultdict(list), defaultdict(list))
                    half, budget = options.duration / 2, max(1, options.max_requests // 2)
                    for block, is_hub in enumerate((True, False, False, True)):
                        seed = MIX_SEED + (0 if block in (0, 1) else 1)
                        if block in (1, 2):
                            # A feed outlasting its side's block waits here, unmeasured,
                            # instead of running under the other side's block.
                            started = time.perf_counter()
                            last = len(loaders) - 1
                            outputs[last] = await asyncio.to_thread(finish, loaders[last])
                            waited[block] = round(time.perf_counter() - started, 1)
                        if block == 1:
                            loaders.append(start_loading(feeds[1]))
                        before = cpu()
                        took, count = await drive_mix(
                            via_hub if is_hub else via_raw, samples, options.concurrency,
                            half, budget, seed, tally if is_hub else raw_tally,
                        )  # fmt: skip
                        side_cpu = cpu_used["hub" if is_hub else "raw"]
                        for process, spent in cpu().items():
                            side_cpu[process] = side_cpu.get(process, 0.0) + spent - before[process]
                        side_cpu["requests"] = side_cpu.get("requests", 0.0) + count
                        if is_hub:
                            seconds, sent = seconds + took, sent + count
                        else:
                            raw_seconds, raw_sent = raw_seconds + took, raw_sent + count
                        log(f"[{size}] {'hub' if is_hub else 'raw'} block: {count} in {took:.0f} s")
        finally:
            await lean.aclose()
            await driver.close()
        stop.set()
        await sampler
        feed_summaries = [
            (outputs[n] if n in outputs else finish(loader)).strip().splitlines()[-3:]
            for n, loader in enumerate(loaders)
        ]
        end_memory = memory_mib(hub, neo4j_pid)
    per_operation = {op: _figures(tally, op) for op in WEIGHTS}
    ok = sum(int(v["ok"] or 0) for v in per_operation.values())
    third = max(1, len(memory) // 3)
    raw: dict[str, Any] | None = None
    if raw_tally is not None:
        raw_operations = {op: _figures(raw_tally, op) for op in WEIGHTS}
        raw_ok = sum(int(v["ok"] or 0) for v in raw_operations.values())
        raw_rps = raw_ok / raw_seconds if raw_seconds else 0.0
        hub_all = [t for times in tally.latencies.values() for t in times]
        raw_all = [t for times in raw_tally.latencies.values() for t in times]
        hub_p99 = percentile(hub_all, 0.99) if hub_all else 0.0
        raw_p99 = percentile(raw_all, 0.99) if raw_all else 0.0
        raw = {
            "seconds": round(raw_seconds, 1),
            "requests": raw_sent,
            "ok": raw_ok,
            "errors": sum(int(v["errors"] or 0) for v in raw_operations.values()),
            "error_samples": {op: errs[:5] for op, errs in raw_tally.errors.items() if errs},
            "throughput_rps": round(raw_rps, 1),
            "p99_ms": round(raw_p99, 1),
            "hub_p99_ms": round(hub_p99, 1),
            "operations": raw_operations,
            "hub_over_raw_throughput": round((ok / seconds) / raw_rps, 3)
            if seconds and raw_rps
            else None,
            "hub_over_raw_p99": round(hub_p99 / raw_p99, 2) if raw_p99 else None,
            "cpu_ms_per_request": {
                side: {
                    k: round(1000 * v / used["requests"], 3)
                    for k, v in used.items()
                    if k != "requests"
                }
                for side, used in cpu_used.items()
                if used.get("requests")
            },
        }
    return {
        "raw": raw,
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
            "exit": max(abs(loader.returncode or 0) for loader in loaders),
            "summary": feed_summaries[0],
            # Per side (hub, raw) when there is a raw side: each side's feed and how long the
            # next block waited for it to finish.
            "summaries": feed_summaries,
            "waited_s": waited,
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
        f"{facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']} (page cache "
        f"{facts.get('neo4j_memory', {}).get('pagecache', '?')}); hub with "
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
        *(
            f"Feed{'' if len(result['feed']['summaries']) == 1 else f' ({side})'}: "
            + " / ".join(summary)
            for side, summary in zip(("hub", "raw"), result["feed"]["summaries"], strict=False)
        ),
        *(
            [f"Blocks that waited for a feed to finish (s): {result['feed']['waited_s']}"]
            if any(result["feed"]["waited_s"].values())
            else []
        ),
    ]
    raw = result.get("raw")
    if raw:
        lines += [
            "",
            f"**Raw side** (the same seeded mix as Cypher on the async driver, same "
            f"concurrency, blocks hub → raw → raw → hub): {raw['ok']:,} answered in "
            f"{raw['seconds']} s, **{raw['throughput_rps']} req/s**, {raw['errors']} errors. "
            f"Hub ÷ raw throughput **{raw['hub_over_raw_throughput']}**; p99 over all "
            f"operations hub {raw['hub_p99_ms']} ms ÷ raw {raw['p99_ms']} ms = "
            f"**{raw['hub_over_raw_p99']}**.",
            "",
            "| operation (raw) | answered | errors | p50 ms | p99 ms | mean ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for op, v in raw["operations"].items():
            lines.append(
                f"| {op} | {v['ok']:,} | {v['errors']} | {v['p50_ms']} | {v['p99_ms']} | "
                f"{v['mean_ms']} |"
            )
        used = raw.get("cpu_ms_per_request", {})
        if used:
            lines += [
                "",
                "CPU per request while each side ran, ms (each side with its own feed loading):",
                "",
                "| side | hub | Neo4j | client |",
                "| --- | ---: | ---: | ---: |",
                *(
                    f"| {side} | {u['hub']} | {u['neo4j']} | {u['client']} |"
                    for side, u in used.items()
                ),
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
