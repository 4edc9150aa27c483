"""The audit write-ahead log (authz/audit_wal.py): no response leaves before its entry is durable,
and an entry durable on the hub's disk reaches the chain in Neo4j exactly once — even when the
hub process is killed between the two.

The processes here are real `credithub serve` processes with ``CREDITHUB_AUDIT_WAL=on``, killed
with SIGKILL. Like tests/test_audit.py, every test starts from an empty chain and leaves one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authz import audit, audit_wal
from authz.audit import AuditEvent, WalMark
from authz.audit_wal import AuditWal, read_wal, ship_file
from authz.identity import PUBLIC
from graph.database import Connection, Database
from tests.fixtures import E1, E2
from tests.processes import free_port, hub_env, served_process

ROOT = Path(__file__).resolve().parent.parent
HOUR_MS = "3600000"  # a batch window nothing ships within: only a flush, shutdown or restart


async def _wipe(db: Database) -> None:
    await db.write("MATCH (n:AuditEntry|AuditChain|AuditWal) DETACH DELETE n")


@pytest.fixture
async def chain(db: Database) -> AsyncIterator[Database]:
    await _wipe(db)
    yield db
    await _wipe(db)


async def _entries(db: Database, request_id: str) -> int:
    rows = await db.read(
        "MATCH (e:AuditEntry {requestId: $r}) RETURN count(e) AS n", {"r": request_id}
    )
    return int(rows[0]["n"])


def _event(request_id: str) -> AuditEvent:
    return AuditEvent(request_id=request_id, consumer=PUBLIC, action="query", subjects=(E1,))


# -- in process: the log, its shipping and its replay --------------------------------------------


async def test_submit_returns_once_the_line_is_fsynced_and_shipping_appends_in_order(
    chain: Database, tmp_path: Path
) -> None:
    wal = AuditWal(chain, tmp_path, batch_window=3600)
    await asyncio.gather(*(wal.submit(_event(f"w-{n}")) for n in range(12)))
    entries, problems = read_wal(wal.path)
    assert problems == []
    assert [entry.fields["requestId"] for _, entry in entries] == [f"w-{n}" for n in range(12)]
    assert [n for n, _ in entries] == list(range(1, 13))
    # Durable here, not yet in the chain: the batch window holds the shipper back.
    assert await chain.read("MATCH (e:AuditEntry) RETURN count(e) AS n") == [{"n": 0}]
    await wal.shipped()
    rows = await chain.read("MATCH (e:AuditEntry) RETURN e.requestId AS r ORDER BY e.seq")
    assert [row["r"] for row in rows] == [f"w-{n}" for n in range(12)]
    assert await audit.verify(chain) == audit.VerifyReport(ok=True, entries=12, problems=())
    await wal.close()
    assert not wal.path.exists(), "a log shipped whole is deleted at shutdown"
    assert await chain.read("MATCH (m:AuditWal) RETURN count(m) AS n") == [{"n": 0}]


async def test_a_log_shipped_again_appends_nothing_twice_and_a_torn_line_is_dropped(
    chain: Database, tmp_path: Path
) -> None:
    wal = AuditWal(chain, tmp_path, batch_window=3600)
    for n in range(5):
        await wal.submit(_event(f"t-{n}"))
    # What a crash leaves: the lines, and half of a line whose fsync never returned.
    left = tmp_path / "left" / wal.path.name
    left.parent.mkdir()
    left.write_bytes(wal.path.read_bytes() + b'{"n":6,"at":"2026-')
    # The process shipped part of its log before it died.
    entries, _ = read_wal(left)
    await audit.append_pending(
        chain, [entry for _, entry in entries[:3]], mark=WalMark(left.stem, 1)
    )
    assert await ship_file(chain, left) == 2
    assert await ship_file(chain, left) == 0, "the mark moved with the entries"
    rows = await chain.read("MATCH (e:AuditEntry) RETURN e.requestId AS r ORDER BY e.seq")
    assert [row["r"] for row in rows] == [f"t-{n}" for n in range(5)]
    assert (await audit.verify(chain)).ok
    await wal.close()  # its own copy of the lines: all marked as shipped already
    assert await chain.read("MATCH (e:AuditEntry) RETURN count(e) AS n") == [{"n": 5}]


async def test_a_fast_disk_is_synced_on_the_loop_and_a_slow_one_in_a_thread(
    chain: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wal = AuditWal(chain, tmp_path, batch_window=3600)
    await wal.start()
    synced_on: list[bool] = []
    write = AuditWal._write

    def watched(self: AuditWal, data: bytes, delay: float = 0.0) -> None:
        synced_on.append(threading.current_thread() is threading.main_thread())
        time.sleep(delay)
        write(self, data)

    # Limits far from what this disk takes, so that a busy machine cannot blur them: first a
    # disk faster than the limit, then one turning slower.
    monkeypatch.setattr(AuditWal, "_write", watched)
    monkeypatch.setattr(audit_wal, "INLINE_SYNC_LIMIT", 1.0)
    await wal.submit(_event("fast-1"))
    await wal.submit(_event("fast-2"))
    assert synced_on == [True, True], "a sync faster than a thread hop stays on the loop"
    assert 0 < wal.sync_seconds < 1.0

    # After the first slow sync (on the loop: the average was low) the others leave the loop,
    # which keeps serving while they run.
    monkeypatch.setattr(audit_wal, "INLINE_SYNC_LIMIT", 0.03)
    monkeypatch.setattr(AuditWal, "_write", lambda self, data: watched(self, data, 0.2))
    synced_on.clear()
    await wal.submit(_event("slow-1"))
    assert wal.sync_seconds > 0.03
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(ticking())
    await wal.submit(_event("slow-2"))
    ticker.cancel()
    assert synced_on == [True, False]
    assert ticks > 1, "the loop ran other work while the slow sync was in its thread"
    entries, problems = read_wal(wal.path)
    assert problems == []
    assert [e.fields["requestId"] for _, e in entries] == ["fast-1", "fast-2", "slow-1", "slow-2"]
    await wal.close()


async def test_steady_traffic_is_shipped_in_one_batch_per_window(
    chain: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each batch is a write transaction holding the chain head's lock: under steady traffic
    # the entries that arrive while one batch ships wait for the next window.
    batches: list[int] = []
    append = audit.append_pending

    async def counted(db: Database, pending: Any, **kwargs: Any) -> Any:
        batches.append(len(pending))
        return await append(db, pending, **kwargs)

    monkeypatch.setattr("authz.audit_wal.append_pending", counted)
    wal = AuditWal(chain, tmp_path, batch_window=0.25)
    started = time.monotonic()
    for n in range(150):
        await wal.submit(_event(f"s-{n}"))
        await asyncio.sleep(0.005)
    await wal.shipped()
    windows = (time.monotonic() - started) / 0.25
    assert sum(batches) == 150
    assert len(batches) <= windows + 2, (len(batches), windows, batches)
    rows = await chain.read("MATCH (e:AuditEntry) RETURN e.requestId AS r ORDER BY e.seq")
    assert [row["r"] for row in rows] == [f"s-{n}" for n in range(150)]
    await wal.close()


async def test_a_damaged_line_is_reported(tmp_path: Path, chain: Database) -> None:
    wal = AuditWal(chain, tmp_path, batch_window=3600)
    for n in range(3):
        await wal.submit(_event(f"d-{n}"))
    lines = wal.path.read_bytes().splitlines()
    record = json.loads(lines[1])
    record["fields"]["requestId"] = "forged"
    lines[1] = json.dumps(record, ensure_ascii=False).encode()
    wal.path.write_bytes(b"\n".join(lines) + b"\n")
    _, problems = read_wal(wal.path)
    assert problems == [f"{wal.path.name} line 2: altered (its hash does not match)"]
    await wal.close()


# -- real processes, killed ----------------------------------------------------------------------


def _wal_env(connection: Connection, home: Path, batch_ms: str) -> dict[str, str]:
    return hub_env(
        connection,
        home,
        CREDITHUB_AUDIT_WAL="on",
        CREDITHUB_AUDIT_WAL_BATCH_MS=batch_ms,
        CREDITHUB_RATE_PUBLIC_PER_MINUTE="0",
        CREDITHUB_RATE_ORG_PER_MINUTE="0",
        CREDITHUB_PERSON_KEY_SECRET="durability-test-person-secret",
        CREDITHUB_JWT_SECRET="durability-test-jwt-secret-of-at-least-32-bytes",
    )


QUERY = {"query": f'{{ enterprise(uscc: "{E2}") {{ name }} }}'}


async def test_a_hub_killed_after_answering_ships_the_entry_when_it_starts_again(
    chain: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    port = free_port()
    with served_process(
        port, _wal_env(neo4j_connection, tmp_path, HOUR_MS), ROOT, up_within=90
    ) as hub:
        response = httpx.post(f"http://127.0.0.1:{port}/graphql", json=QUERY, timeout=30)
        assert response.status_code == 200 and "errors" not in response.json()
        request_id = response.headers["x-request-id"]
        # Between the two steps: on the hub's disk, not in Neo4j.
        [log_file] = (tmp_path / "audit-wal").glob("*.wal")
        assert request_id in log_file.read_text(encoding="utf-8")
        assert await _entries(chain, request_id) == 0
        os.kill(hub.pid, signal.SIGKILL)
        hub.wait(timeout=30)
    assert await _entries(chain, request_id) == 0
    assert log_file.exists()

    # The restarted hub ships what the dead one left, before it serves.
    with served_process(port, _wal_env(neo4j_connection, tmp_path, "0"), ROOT, up_within=90):
        assert await _entries(chain, request_id) == 1
        assert not log_file.exists()
        again = httpx.post(f"http://127.0.0.1:{port}/graphql", json=QUERY, timeout=30)
        assert again.status_code == 200
    # Stopped cleanly: its own entry shipped, its log deleted.
    assert await _entries(chain, again.headers["x-request-id"]) == 1
    assert list((tmp_path / "audit-wal").glob("*.wal")) == []
    report = await audit.verify(chain)
    assert report.ok and report.entries == 2, report.problems


async def test_two_processes_with_logs_keep_one_chain(
    chain: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    homes = [tmp_path / "a", tmp_path / "b"]
    env = [_wal_env(neo4j_connection, home, "5") for home in homes]
    with (
        served_process(ports[0], env[0], ROOT, up_within=90),
        served_process(ports[1], env[1], ROOT, up_within=90),
    ):

        async def one(k: int) -> str:
            async with httpx.AsyncClient(timeout=30) as http:
                response = await http.post(f"http://127.0.0.1:{ports[k % 2]}/graphql", json=QUERY)
                assert response.status_code == 200 and "errors" not in response.json()
                return response.headers["x-request-id"]

        ids = await asyncio.gather(*(one(k) for k in range(40)))
        deadline = time.monotonic() + 30
        while (await chain.read("MATCH (e:AuditEntry) RETURN count(e) AS n"))[0]["n"] < 40:
            assert time.monotonic() < deadline, "the entries did not reach the chain in 30 s"
            await asyncio.sleep(0.1)
    rows = await chain.read("MATCH (e:AuditEntry) RETURN e.requestId AS r")
    assert sorted(row["r"] for row in rows) == sorted(ids), "each request once, from either"
    report = await audit.verify(chain)
    assert report.ok and report.entries == 40, report.problems
