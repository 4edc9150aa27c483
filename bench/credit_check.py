"""The bank's credit check: the hub over HTTP versus the raw Neo4j driver, side by side.

    .venv/bin/python -m bench.credit_check [--sizes 300,50000] [--requests 300]
        [--concurrency 8] [--workers 1] [--keep]

For each size it loads the demo graph into its own Neo4j (``.credithub/bench``, Bolt port 17689;
or the server NEO4J_URI names — which it empties), starts ``credithub serve`` as a separate
process, and measures on loopback:

* **hub vs raw** — the credit check (enterprise by USCC with its records, list entries,
  sanctions, legal representative and that person's other enterprises) as the credit office
  over HTTP, and the same data fetched by one hand-written Cypher query with the async driver:
  sequential latency (p50/p99) and throughput at a concurrency, and their ratios. The two are
  checked to return the same records, entries and companies before anything is timed.
* **enforcement on vs off** — the same check as a bank, compiled with the sharing catalogue and
  without it, executed in-process (no HTTP) so the difference is enforcement alone.

Results go to stdout as Markdown and to ``bench/results/credit_check-<size>.json``. Bounded in
requests and time; nothing but loopback traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j

from authz.identity import Consumer, OrgKind
from authz.tokens import mint
from graph.database import Connection, Database
from graph.migrations import migrate
from graph.provision import LocalNeo4j, ServerConfig, neo4j_version
from hub.api.query import RequestContext
from hub.api.schema import build_schema
from hub.settings import Settings
from loaders.demo_data import DemoSpec, load_demo_data

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_HOME = ROOT / ".credithub" / "bench"
BENCH_PORT = 17689
PURPOSE = "贷前审查"

CREDIT_CHECK = """
query CreditCheck($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name status registeredCapital blackListed redListed
    legalRepresentative { key nameMasked
      enterprises(excludeUscc: $uscc) { uscc name status blackListed } }
    records(first: 20) { totalCount edges { node { id kind title documentNumber decisionDate
      severity status category amount issuingAuthority provider { name } } }
      pageInfo { hasNextPage endCursor } }
    listEntries(first: 20) { totalCount edges { node { id listType listName status
      decisionDate sanctions { status measure { code name } } } } }
    sanctions(first: 20) { totalCount edges { node { id status startsOn endsOn
      measure { code name business } } } }
  }
}
"""

RAW = """
MATCH (e:Enterprise {uscc: $uscc})
RETURN e {
  .uscc, .name, .status, .registeredCapital,
  blackListed: EXISTS { MATCH (:ListEntry {listType: 'BLACK', status: 'ACTIVE'})
    -[:HAS_SUBJECT]->(e) },
  redListed: EXISTS { MATCH (:ListEntry {listType: 'RED', status: 'ACTIVE'})-[:HAS_SUBJECT]->(e) },
  legalRepresentative: COLLECT { MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person)
    RETURN p { .key, .nameMasked,
      enterprises: COLLECT { MATCH (p)-[r]->(o:Enterprise)
        WHERE type(r) IN ['LEGAL_REPRESENTATIVE_OF', 'PRINCIPAL_OF', 'ACTUAL_CONTROLLER_OF',
                          'SHAREHOLDER_OF'] AND o.uscc <> $uscc
        WITH DISTINCT o ORDER BY o.name
        RETURN o { .uscc, .name, .status, blackListed: EXISTS { MATCH (:ListEntry
          {listType: 'BLACK', status: 'ACTIVE'})-[:HAS_SUBJECT]->(o) } } } } LIMIT 1 }[0],
  records: {
    totalCount: COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true },
    items: COLLECT { MATCH (r:Record)-[:HAS_SUBJECT]->(e) WHERE r.current = true
      WITH r ORDER BY r.decisionDate DESC, r.uid LIMIT 21
      RETURN r { id: r.uid, .kind, .title, .documentNumber, .decisionDate, .severity, .status,
        .category, .amount, .issuingAuthority,
        provider: COLLECT { MATCH (r)-[:PROVIDED_BY]->(d:Department) RETURN d { .name }
          LIMIT 1 }[0] } } },
  listEntries: {
    totalCount: COUNT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e) },
    items: COLLECT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e)
      WITH l ORDER BY l.decisionDate DESC, l.id LIMIT 21
      RETURN l { .id, .listType, .listName, .status, .decisionDate,
        sanctions: COLLECT { MATCH (l)<-[:UNDER]-(s:Sanction) WITH s ORDER BY s.id
          RETURN s { .status, measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure)
            RETURN m { .code, .name } LIMIT 1 }[0] } } } } },
  sanctions: {
    totalCount: COUNT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e) },
    items: COLLECT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e)
      WITH s ORDER BY s.from DESC, s.id LIMIT 21
      RETURN s { .id, .status, startsOn: s.from, endsOn: s.until,
        measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure)
          RETURN m { .code, .name, .business } LIMIT 1 }[0] } } }
} AS data
"""

SAMPLE = """
MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e:Enterprise)
WITH p, collect(e) AS companies WHERE size(companies) >= 2
UNWIND companies AS e
WITH DISTINCT e WHERE EXISTS { MATCH (:Record)-[:HAS_SUBJECT]->(e) }
RETURN e.uscc AS uscc ORDER BY uscc LIMIT $n
"""


@dataclass(frozen=True)
class Measured:
    """Latency and throughput of one side."""

    p50_ms: float
    p99_ms: float
    mean_ms: float
    throughput: float

    def row(self) -> list[str]:
        """Table cells."""
        return [
            f"{self.p50_ms:.2f}",
            f"{self.p99_ms:.2f}",
            f"{self.mean_ms:.2f}",
            f"{self.throughput:.0f}",
        ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    call: Callable[[str], Awaitable[Any]], usccs: list[str], requests: int, concurrency: int
) -> Measured:
    """Warm up, then time `requests` sequential calls and `requests` calls `concurrency` wide."""
    for n in range(min(200, requests)):
        await call(usccs[n % len(usccs)])
    latencies = []
    for n in range(requests):
        started = time.perf_counter()
        await call(usccs[n % len(usccs)])
        latencies.append((time.perf_counter() - started) * 1000)
    queue = iter(range(requests))

    async def worker() -> None:
        for n in queue:
            await call(usccs[n % len(usccs)])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Measured(
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        mean_ms=statistics.fmean(latencies),
        throughput=requests / elapsed,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _empty(connection: Connection) -> None:
    # CALL … IN TRANSACTIONS needs an auto-commit transaction: a plain session.run.
    with (
        neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver,
        driver.session(database=connection.database) as session,
    ):
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS").consume()


def _same(hub: dict[str, Any], raw: dict[str, Any]) -> bool:
    def ids(data: dict[str, Any], key: str, field: str) -> list[Any]:
        connection = data[key]
        items = connection["edges"] if "edges" in connection else connection["items"][:20]
        return [(i.get("node", i))[field] for i in items]

    rep_h, rep_r = hub["legalRepresentative"], raw["legalRepresentative"]
    return (
        ids(hub, "records", "id") == ids(raw, "records", "id")
        and hub["records"]["totalCount"] == raw["records"]["totalCount"]
        and ids(hub, "listEntries", "id") == ids(raw, "listEntries", "id")
        and ids(hub, "sanctions", "id") == ids(raw, "sanctions", "id")
        and hub["blackListed"] == raw["blackListed"]
        and (rep_h is None) == (rep_r is None)
        and (
            rep_h is None
            or [o["uscc"] for o in rep_h["enterprises"]]
            == [o["uscc"] for o in rep_r["enterprises"]]
        )
    )


async def run_size(
    size: int, connection: Connection, settings: Settings, args: argparse.Namespace
) -> dict[str, Any]:
    """Load `size` enterprises, then measure both comparisons."""
    _empty(connection)
    async with Database(connection) as db:
        await migrate(db)
        started = time.perf_counter()
        await load_demo_data(db, DemoSpec(enterprises=size), settings.person_secret())
        load_seconds = time.perf_counter() - started
        usccs = [row["uscc"] for row in await db.read(SAMPLE, {"n": 100})]
    print(
        f"  size {size}: demo loaded in {load_seconds:.1f} s; {len(usccs)} sample USCCs",
        file=sys.stderr,
    )

    port = _free_port()
    env = {
        **os.environ,
        "NEO4J_URI": connection.uri,
        "NEO4J_USER": connection.user,
        "NEO4J_PASSWORD": connection.password,
        "NEO4J_DATABASE": connection.database,
        "CREDITHUB_HOME": str(settings.home),
    }
    hub = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    admin = Consumer(subject="bench", org_kind=OrgKind.ADMIN)
    token = mint(settings.token_config(), admin, ttl=timedelta(hours=2))
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=args.concurrency * 2),
            timeout=30,
        ) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or hub.poll() is not None:
                    raise RuntimeError("the hub did not come up")
                await asyncio.sleep(0.3)

            driver = neo4j.AsyncGraphDatabase.driver(
                connection.uri,
                auth=(connection.user, connection.password),
                max_connection_pool_size=args.concurrency * 2,
            )

            async def via_hub(uscc: str) -> dict[str, Any]:
                response = await http.post(
                    "/graphql", json={"query": CREDIT_CHECK, "variables": {"uscc": uscc}}
                )
                body = response.json()
                if "errors" in body:
                    raise RuntimeError(body["errors"])
                data: dict[str, Any] = body["data"]["enterprise"]
                return data

            async def via_driver(uscc: str) -> dict[str, Any]:
                result = await driver.execute_query(
                    RAW,
                    {"uscc": uscc},
                    database_=connection.database,
                    routing_=neo4j.RoutingControl.READ,
                )
                data: dict[str, Any] = result.records[0]["data"]
                return data

            for uscc in usccs[:20]:
                if not _same(await via_hub(uscc), await via_driver(uscc)):
                    raise RuntimeError(f"hub and raw driver disagree for {uscc}")
            hub_side = await measure(via_hub, usccs, args.requests, args.concurrency)
            raw_side = await measure(via_driver, usccs, args.requests, args.concurrency)
            await driver.close()
    finally:
        hub.terminate()
        hub.wait(timeout=30)

    enforced, unenforced = await enforcement_overhead(connection, settings, usccs, args)
    return {
        "size": size,
        "load_seconds": round(load_seconds, 1),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "hub_workers": args.workers,
        "hub": hub_side.__dict__,
        "raw_driver": raw_side.__dict__,
        "ratio_p50": hub_side.p50_ms / raw_side.p50_ms,
        "ratio_p99": hub_side.p99_ms / raw_side.p99_ms,
        "ratio_throughput": raw_side.throughput / hub_side.throughput,
        "bank_enforced": enforced.__dict__,
        "bank_unenforced": unenforced.__dict__,
        "enforcement_ratio_p50": enforced.p50_ms / unenforced.p50_ms,
        "enforcement_ratio_throughput": unenforced.throughput / enforced.throughput,
    }


async def enforcement_overhead(
    connection: Connection, settings: Settings, usccs: list[str], args: argparse.Namespace
) -> tuple[Measured, Measured]:
    """The bank's check in-process, with the catalogue compiled in and without it."""
    schema = build_schema()
    bank = Consumer(subject="bench", org_kind=OrgKind.BANK, org_code="bench-bank", purpose=PURPOSE)
    async with Database(connection) as db:
        base = RequestContext(db=db, person_secret=settings.person_secret(), consumer=bank)

        def check(enforce: bool) -> Callable[[str], Awaitable[Any]]:
            async def run(uscc: str) -> Any:
                context = replace(
                    base,
                    enforce=enforce,
                    released=set(),
                    withheld_fields=set(),
                    withheld=[],
                    filtered={},
                    subjects=set(),
                )
                result = await schema.execute(
                    CREDIT_CHECK, variable_values={"uscc": uscc}, context_value=context
                )
                if result.errors:
                    raise RuntimeError(result.errors)
                return result.data

            return run

        enforced = await measure(check(True), usccs, args.requests, args.concurrency)
        unenforced = await measure(check(False), usccs, args.requests, args.concurrency)
    return enforced, unenforced


def report(result: dict[str, Any]) -> str:
    """A Markdown table of one size's figures."""
    hub, raw = result["hub"], result["raw_driver"]
    lines = [
        f"### {result['size']} enterprises (demo load {result['load_seconds']} s; "
        f"{result['requests']} requests, concurrency {result['concurrency']}, "
        f"{result['hub_workers']} hub worker(s))",
        "",
        "| credit check | p50 ms | p99 ms | mean ms | req/s |",
        "| --- | --- | --- | --- | --- |",
        "| hub over HTTP (as credit office) | " + " | ".join(Measured(**hub).row()) + " |",
        "| raw driver, one Cypher query | " + " | ".join(Measured(**raw).row()) + " |",
        f"| **ratio hub / raw** | {result['ratio_p50']:.2f} | {result['ratio_p99']:.2f} | "
        f"| {result['ratio_throughput']:.2f} |",
        "| bank, catalogue enforced (in-process) | "
        + " | ".join(Measured(**result["bank_enforced"]).row())
        + " |",
        "| bank, enforcement off (in-process) | "
        + " | ".join(Measured(**result["bank_unenforced"]).row())
        + " |",
        f"| **ratio enforced / off** | {result['enforcement_ratio_p50']:.2f} | | | "
        f"{result['enforcement_ratio_throughput']:.2f} |",
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    """Parse arguments, provision, run every size, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300,50000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args()

    server: LocalNeo4j | None = None
    settings = Settings(home=BENCH_HOME / "hub")
    if os.environ.get("NEO4J_URI"):
        print("Using NEO4J_URI — its database will be emptied.", file=sys.stderr)
        env_settings = Settings.from_env()
        connection = env_settings.connection()
    else:
        server = LocalNeo4j(ServerConfig(home=BENCH_HOME / "neo4j", bolt_port=BENCH_PORT))
        server.start()
        connection = Connection(server.uri, "neo4j", server.password())
    try:
        print(
            f"Neo4j {neo4j_version()} · {os.cpu_count()} cores · Python "
            f"{platform.python_version()}\n"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            result = await run_size(size, connection, settings, args)
            (RESULTS / f"credit_check-{size}.json").write_text(json.dumps(result, indent=2))
            print(report(result), flush=True)
    finally:
        if server is not None and not args.keep:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
