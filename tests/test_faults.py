"""Faults (issue 8): Neo4j stopped or killed under traffic and a feed load, and recovering.

The suite's own Neo4j server is stopped cleanly (SIGTERM) and, in a second run, killed outright
(SIGKILL, as a crash or the OOM killer would) while the hub answers requests and `credithub load`
writes a penalty feed in chunks. What must hold:

* during the outage every request is answered, fast, with `503` or the `DATABASE_UNAVAILABLE`
  GraphQL error — no hang, no stack trace, no driver text;
* the interrupted load stops with a clear message that says to run it again (exit 3), and leaves
  whole chunks only;
* once Neo4j is back the hub answers again by itself (the same process, no restart);
* running the same load again leaves exactly what one clean load of that file leaves: the same
  records and links, no duplicate, no partial chunk, no row quarantined twice;
* the audit chain still verifies.

Needs the suite's own server (skipped when NEO4J_URI names another: that one is not ours to stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from authz.audit import verify
from authz.identity import Consumer, OrgKind
from authz.tokens import TokenConfig, mint
from graph.database import Connection, Database
from graph.provision import LocalNeo4j
from hub.app import create_app, shut_down
from hub.settings import Settings
from loaders.pipeline import LoadOptions, load_file
from loaders.sample_feeds import (
    PENALTY_HEADERS,
    SAMR,
    generated_rows,
    sample_enterprise_codes,
    write_csv,
    write_samples,
)
from tests.conftest import ADMIN, ROOT, bearer
from tests.fixtures import PERSON_SECRET, load_fixture_graph
from tests.processes import free_port, hub_env

FEED_ROWS = 6_000
CHUNK = 200  # small chunks for the load that is interrupted, so the fault lands mid-way
WHOLE = 5000  # the default chunk, for the clean load and the rerun
BAD_EVERY = 97  # every 97th row names an enterprise code with a wrong check digit
DOCUMENT_PREFIX = "舞市监罚〔2025〕"
TODAY = datetime.date(2026, 11, 28)
LOAD_INTERRUPTED_EXIT = 3
QUARANTINED_EXIT = 2
ENTERPRISE = "query($u: String!) { enterprise(uscc: $u) { name status } }"
# Audit entries are written by the traffic of each run; they are checked by `verify` instead.
NOT_COMPARED = ("AuditEntry", "AuditChain")


def _bad_code(code: str) -> str:
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A penalty feed of FEED_ROWS rows over the sample enterprises, some of them refusable."""
    directory = tmp_path_factory.mktemp("fault-feed")
    codes = sample_enterprise_codes()
    rows = list(generated_rows("penalty", FEED_ROWS, codes, year=2025))
    for n in range(0, FEED_ROWS, BAD_EVERY):
        rows[n][2] = _bad_code(str(rows[n][2]))
    path = directory / "penalties-2025.csv"
    write_csv(path, PENALTY_HEADERS, rows, "utf-8")
    write_samples(directory)
    return path


async def _fresh_graph(db: Database, feed: Path) -> None:
    """The fixture graph, the market regulator as a sender, the sample enterprises registered."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)
    await db.write(
        "MERGE (d:Department {code: $code}) SET d.name = $name, d.shortName = '市市场监管局', "
        "d.sector = '市场监管'",
        {"code": SAMR[1], "name": SAMR[0]},
    )
    await load_file(
        db,
        feed.parent / "registration-gbk.csv",
        SAMR[1],
        person_secret=PERSON_SECRET,
        options=LoadOptions(today=TODAY),
    )


@dataclass(frozen=True)
class LoadRun:
    returncode: int
    stdout: str
    stderr: str


def _cli_env(connection: Connection, home: Path) -> dict[str, str]:
    return hub_env(connection, home, CREDITHUB_PERSON_KEY_SECRET=PERSON_SECRET.decode())


async def _start_load(
    env: dict[str, str], feed: Path, chunk: int = WHOLE
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "load", str(feed), "--department", SAMR[1],
        "--batch-size", str(chunk), "--today", TODAY.isoformat(),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _finish(process: asyncio.subprocess.Process, timeout: float = 120) -> LoadRun:
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return LoadRun(process.returncode, out.decode(), err.decode())


async def _snapshot(db: Database) -> dict[str, Any]:
    """What a load leaves, without timestamps: node and link counts, the feed's records and
    their links, and the quarantined rows with their reasons."""
    labels = await db.read(
        "MATCH (n) WHERE NOT any(l IN labels(n) WHERE l IN $skip) "
        "RETURN reduce(s = '', l IN labels(n) | s + ':' + l) AS label, count(*) AS n",
        {"skip": list(NOT_COMPARED)},
    )
    links = await db.read(
        "MATCH (a)-[r]->(b) WHERE NOT any(l IN labels(a) + labels(b) WHERE l IN $skip) "
        "RETURN type(r) AS type, count(*) AS n",
        {"skip": list(NOT_COMPARED)},
    )
    records = await db.read(
        "MATCH (r:Record) WHERE r.documentNumber STARTS WITH $prefix "
        "RETURN r.documentNumber AS doc, r.status AS status, r.batchId AS batch, "
        "r.rowNumber AS row, "
        "[(r)-[x]-(o) | type(x) + '>' + coalesce(o.uscc, o.code, o.id, '')] AS links "
        "ORDER BY doc",
        {"prefix": DOCUMENT_PREFIX},
    )
    quarantined = await db.read(
        "MATCH (q:QuarantinedRow) RETURN q.batchId AS batch, q.rowNumber AS row, "
        "q.problems AS problems ORDER BY batch, row"
    )
    batches = await db.read(
        "MATCH (b:Batch) RETURN b.id AS id, b.status AS status, b.rowsRead AS rowsRead, "
        "b.quarantined AS quarantined ORDER BY id"
    )
    return {
        "labels": sorted((row["label"], row["n"]) for row in labels),
        "links": sorted((row["type"], row["n"]) for row in links),
        "records": [{**row, "links": sorted(row["links"])} for row in records],
        "quarantined": quarantined,
        "batches": batches,
    }


@pytest.fixture(scope="module")
async def clean_load(
    db: Database, feed: Path, neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """What one uninterrupted `credithub load` of the feed leaves; the fixture graph after."""
    await _fresh_graph(db, feed)
    env = _cli_env(neo4j_connection, tmp_path_factory.mktemp("clean-load"))
    started = time.monotonic()
    run = await _finish(await _start_load(env, feed))
    assert run.returncode == QUARANTINED_EXIT, run.stderr
    snapshot = await _snapshot(db)
    snapshot["seconds"] = time.monotonic() - started
    yield snapshot
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@dataclass
class Answer:
    started: float
    seconds: float
    status: int
    body: str


async def _traffic(
    http: httpx.AsyncClient, public: httpx.AsyncClient, until: asyncio.Event, out: list[Answer]
) -> None:
    """Requests one after another, as a bank and as the public, until told to stop."""
    codes = sample_enterprise_codes()
    n = 0
    while not until.is_set():
        n += 1
        client = http if n % 2 else public
        started = time.monotonic()
        if n % 5 == 0:
            response = await client.get("/healthz")
        else:
            response = await client.post(
                "/graphql", json={"query": ENTERPRISE, "variables": {"u": codes[n % len(codes)]}}
            )
        out.append(Answer(started, time.monotonic() - started, response.status_code, response.text))
        await asyncio.sleep(0.05)


def _fails_clearly(answer: Answer) -> bool:
    """An outage answer: 503 from /healthz, or the GraphQL error that says to retry."""
    if answer.status == 503:
        return True
    return '"DATABASE_UNAVAILABLE"' in answer.body


def _acceptable(answer: Answer) -> bool:
    """Health says ok or 503; GraphQL answers with data, or with no error but the retryable one."""
    body = json.loads(answer.body)
    if "status" in body:
        return (answer.status, body["status"]) in ((200, "ok"), (503, "unavailable"))
    errors = body.get("errors") or []
    return all(e.get("extensions", {}).get("code") == "DATABASE_UNAVAILABLE" for e in errors) and (
        bool(errors) or body["data"]["enterprise"] is not None
    )


FORBIDDEN_TEXT = ("Traceback", "neo4j.exceptions", "bolt://", "ServiceUnavailable(", 'File "')


@pytest.mark.parametrize("fault", ["stopped", "killed"])
async def test_neo4j_down_under_traffic_and_a_load_then_back_leaves_one_clean_load(
    fault: str,
    db: Database,
    feed: Path,
    clean_load: dict[str, Any],
    suite_server: LocalNeo4j | None,
    settings: Settings,
    neo4j_connection: Connection,
    tmp_path: Path,
) -> None:
    if suite_server is None:
        pytest.skip("NEO4J_URI names a server this suite did not start; it is not ours to stop")
    await _fresh_graph(db, feed)
    app = create_app(replace(settings, neo4j_uri=neo4j_connection.uri), run_migrations=False)
    transport = httpx.ASGITransport(app=app)
    answers: list[Answer] = []
    stop_traffic = asyncio.Event()
    env = _cli_env(neo4j_connection, tmp_path)
    async with (
        httpx.AsyncClient(
            transport=transport, base_url="http://hub.test", headers=bearer(settings, ADMIN),
            timeout=60,
        ) as http,
        httpx.AsyncClient(transport=transport, base_url="http://hub.test", timeout=60) as public,
    ):  # fmt: skip
        traffic = asyncio.create_task(_traffic(http, public, stop_traffic, answers))
        load = await _start_load(env, feed, CHUNK)
        # Let a few chunks land, then take the server away under the load.
        deadline = time.monotonic() + 60
        while (await _loaded(db)) < 3 * CHUNK:
            assert load.returncode is None, "the load ended before the fault"
            assert time.monotonic() < deadline, "the load wrote nothing within 60 s"
            await asyncio.sleep(0.05)
        pid = suite_server.pid()
        assert pid is not None
        if fault == "killed":
            os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(suite_server.stop)
        down_at = time.monotonic()  # the server process is gone from here on
        interrupted = await _finish(load)
        # Requests keep coming while the server is down: wait for a few made after it went
        # (one made just before may take the driver's retry time to fail).
        deadline = time.monotonic() + 60
        while sum(a.started >= down_at for a in answers) < 3:
            assert time.monotonic() < deadline, "no request was answered during the outage"
            await asyncio.sleep(0.1)
        down_until = time.monotonic()
        await asyncio.to_thread(suite_server.start)

        # The same hub, untouched, answers again once Neo4j is back.
        recovered = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = await http.get("/healthz")
            if health.status_code == 200:
                recovered = True
                break
            await asyncio.sleep(0.2)
        assert recovered, "the hub did not recover by itself within 30 s of Neo4j answering"
        codes = sample_enterprise_codes()
        body = (
            await http.post("/graphql", json={"query": ENTERPRISE, "variables": {"u": codes[0]}})
        ).json()
        assert "errors" not in body and body["data"]["enterprise"]["name"]
        stop_traffic.set()
        await traffic
    await shut_down(app)

    assert interrupted.returncode == LOAD_INTERRUPTED_EXIT, (
        f"the load should stop on the outage (exit {LOAD_INTERRUPTED_EXIT}), got "
        f"{interrupted.returncode}: {interrupted.stderr[-2000:]}"
    )
    assert "Traceback" not in interrupted.stderr
    assert "重新运行" in interrupted.stderr, interrupted.stderr
    loaded_before_rerun = await _loaded(db)
    assert 0 < loaded_before_rerun < FEED_ROWS
    [cut] = await db.read(
        "MATCH (b:Batch {fileName: $name}) RETURN b.status AS status", {"name": feed.name}
    )
    assert cut["status"] == "RUNNING", "an interrupted load is not shown as finished"

    # Asked while the server was gone, every request fails clearly (during a graceful stop some
    # are still answered, which the checks below allow).
    down = [a for a in answers if down_at <= a.started and a.started + a.seconds <= down_until]
    assert down and all(_fails_clearly(a) for a in down), down
    for answer in answers:
        assert answer.seconds < 30, f"a request hung {answer.seconds:.1f} s during the outage"
        assert not any(text in answer.body for text in FORBIDDEN_TEXT), answer.body
        assert _acceptable(answer), answer

    rerun = await _finish(await _start_load(env, feed))
    assert rerun.returncode == QUARANTINED_EXIT, rerun.stderr
    after = await _snapshot(db)
    assert after["records"] == clean_load["records"]
    assert after["quarantined"] == clean_load["quarantined"]
    assert after["labels"] == clean_load["labels"]
    assert after["links"] == clean_load["links"]
    assert after["batches"] == clean_load["batches"]
    assert [b["status"] for b in after["batches"]] == ["COMPLETED", "COMPLETED"]

    report = await verify(db)
    assert report.ok, report.problems


async def _loaded(db: Database) -> int:
    rows = await db.read(
        "MATCH (r:Record) WHERE r.documentNumber STARTS WITH $prefix RETURN count(r) AS n",
        {"prefix": DOCUMENT_PREFIX},
    )
    return int(rows[0]["n"])


# -- a hub worker killed mid-request ------------------------------------------------------------

SECRET = "faults-test-secret-of-at-least-32-bytes!!"
MARKET = Consumer(subject="feeds-clerk", org_kind=OrgKind.DEPARTMENT, org_code=SAMR[1])
SUBMIT = """mutation Submit($file: Upload!) {
  submitFeed(file: $file, fileName: "penalties-2025.csv") { batch { id status new quarantined } }
}"""
UPLOAD_CHUNK = 5000  # the pipeline's default chunk, which a submission uses


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes under the supervisor `pid` (spawned Python processes)."""
    return [
        child
        for child in _children(pid)
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


async def _submit(url: str, feed: Path) -> httpx.Response:
    token = mint(TokenConfig(hs256_secret=SECRET.encode()), MARKET, ttl=datetime.timedelta(hours=1))
    operations = {"query": SUBMIT, "operationName": "Submit", "variables": {"file": None}}
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as http:
        return await http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (feed.name, feed.read_bytes(), "text/csv")},
            headers={"X-Credithub-Request": "1"},
        )


async def _wait_healthy(url: str, process: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return
            assert process.returncode is None, "the hub exited"
            assert time.monotonic() < deadline, f"the hub was not healthy within {timeout:.0f} s"
            await asyncio.sleep(0.3)


async def test_a_hub_worker_killed_mid_request_leaves_whole_chunks_and_an_unfinished_entry(
    db: Database,
    feed: Path,
    clean_load: dict[str, Any],
    neo4j_connection: Connection,
    tmp_path: Path,
) -> None:
    await _fresh_graph(db, feed)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **_cli_env(neo4j_connection, tmp_path),
        "CREDITHUB_JWT_SECRET": SECRET,
        "CREDITHUB_RATE_ORG_PER_MINUTE": "0",
        "CREDITHUB_RATE_PUBLIC_PER_MINUTE": "0",
    }
    hub = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "serve", "--port", str(port), "--workers", "2",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await _wait_healthy(url, hub, 90)
        workers = _workers(hub.pid)
        assert len(workers) == 2, workers
        submission = asyncio.create_task(_submit(url, feed))
        deadline = time.monotonic() + 60
        while (await _loaded(db)) == 0:
            assert not submission.done(), "the submission ended before the workers were killed"
            assert time.monotonic() < deadline, "the submission wrote nothing within 60 s"
            await asyncio.sleep(0.02)
        for worker in workers:  # whichever of them is serving it
            os.kill(worker, signal.SIGKILL)
        with pytest.raises(httpx.TransportError):
            await submission

        # What the killed request left: whole chunks, each record whole, the batch not finished.
        loaded = await _loaded(db)
        refused = await db.read(
            "MATCH (b:Batch {fileName: $name}) "
            "RETURN COUNT { MATCH (q:QuarantinedRow {batchId: b.id}) } AS n",
            {"name": feed.name},
        )
        assert 0 < loaded < FEED_ROWS - FEED_ROWS // BAD_EVERY
        assert (loaded + refused[0]["n"]) % UPLOAD_CHUNK == 0, "a chunk was written in part"
        torn = await db.read(
            "MATCH (r:Record) WHERE r.documentNumber STARTS WITH $prefix "
            "AND (NOT (r)-[:HAS_SUBJECT]->() OR NOT (r)-[:PROVIDED_BY]->() OR r.batchId IS NULL) "
            "RETURN count(r) AS n",
            {"prefix": DOCUMENT_PREFIX},
        )
        assert torn == [{"n": 0}]
        [batch] = await db.read(
            "MATCH (b:Batch {fileName: $name}) RETURN b.status AS status", {"name": feed.name}
        )
        assert batch["status"] == "RUNNING"

        # The change has its entry, written before it: the chain verifies and names the request.
        report = await verify(db)
        assert report.ok, report.problems
        [unfinished] = report.unfinished
        assert "Submit" in unfinished and "DEPARTMENT" in unfinished

        # The supervisor replaces the workers; the same submission then completes the batch.
        await _wait_healthy(url, hub, 90)
        response = await _submit(url, feed)
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["submitFeed"]["batch"]["status"] == "COMPLETED"
    finally:
        hub.terminate()
        await asyncio.wait_for(hub.wait(), 30)
    after = await _snapshot(db)
    for part in ("records", "quarantined", "labels", "links", "batches"):
        assert after[part] == clean_load[part], part
    report = await verify(db)
    assert report.ok, report.problems
    assert len(report.unfinished) == 1, "the completed submission has both of its entries"
