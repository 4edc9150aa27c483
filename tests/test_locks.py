"""Whole-graph jobs take turns (graph/locks.py): a second scan or draw waits for the first.

Each test holds a job's lock in a transaction of its own, starts the job, and sees in Neo4j's
own transaction list that the job's transaction is blocked on it; once the holder commits, the
job goes on and completes. Two hub processes, or a hub and a scheduled command, therefore never
interleave the same job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import date
from typing import Any

import neo4j
import pytest

from graph.database import Connection, Database
from graph.lifecycle.base import Actor, NotFound
from graph.locks import Job, hold
from graph.risk.scan import run_scan
from graph.risk.thresholds import load_thresholds
from graph.supervision.tasks import draw_task
from tests.fixtures import SAMR


@pytest.fixture
async def holder(neo4j_connection: Connection) -> AsyncIterator[neo4j.AsyncSession]:
    """A session of its own, to hold a lock in an explicit transaction."""
    driver = neo4j.AsyncGraphDatabase.driver(
        neo4j_connection.uri, auth=(neo4j_connection.user, neo4j_connection.password)
    )
    async with driver, driver.session(database=neo4j_connection.database) as session:
        yield session


async def _blocked(db: Database) -> list[dict[str, Any]]:
    rows = await db.read(
        "SHOW TRANSACTIONS YIELD transactionId, status, currentQuery "
        "WHERE status STARTS WITH 'Blocked' RETURN transactionId, status, currentQuery"
    )
    return rows


async def _waits_for_lock(db: Database, job: Awaitable[Any], fragment: str) -> Any:
    """Start `job`; return once Neo4j shows it blocked on a lock (its query has `fragment`)."""
    started = asyncio.ensure_future(job)
    for _ in range(600):
        assert not started.done(), "the job finished while another transaction held its lock"
        if any(fragment in (row["currentQuery"] or "") for row in await _blocked(db)):
            return started
        await asyncio.sleep(0.05)
    started.cancel()
    raise AssertionError("the job never waited for the lock")


async def test_a_risk_scan_waits_while_another_holds_the_scan_lock(
    db: Database, holder: neo4j.AsyncSession
) -> None:
    tx = await holder.begin_transaction()
    await hold(tx, Job.RISK_SCAN)
    scan = await _waits_for_lock(
        db, run_scan(db, today=date(2026, 11, 28), thresholds=load_thresholds()), "JobLock"
    )
    await tx.commit()
    summary = await asyncio.wait_for(scan, 60)
    assert summary.scan_id
    [lock] = await db.read("MATCH (l:JobLock {name: 'risk-scan'}) RETURN l.holds AS holds")
    assert lock["holds"] >= 2


async def test_an_inspection_draw_waits_while_another_draw_holds_the_lock(
    db: Database, holder: neo4j.AsyncSession
) -> None:
    tx = await holder.begin_transaction()
    await hold(tx, Job.INSPECTION_DRAW)
    market = Actor(org_kind="DEPARTMENT", org_code=SAMR, subject="clerk")
    draw = await _waits_for_lock(
        db,
        draw_task(db, market, SAMR, "no-such-task", seed=1, today=date(2026, 11, 28)),
        "JobLock",
    )
    await tx.commit()
    # Only after the holder is done does the draw look at its task (here: there is none).
    with pytest.raises(NotFound):
        await asyncio.wait_for(draw, 60)


async def test_another_job_does_not_wait_for_the_scan_lock(
    db: Database, holder: neo4j.AsyncSession
) -> None:
    tx = await holder.begin_transaction()
    await hold(tx, Job.RISK_SCAN)
    try:
        other = await asyncio.wait_for(_hold_alone(db, Job.INSPECTION_DRAW), 10)
    finally:
        await tx.rollback()
    assert other == "inspection-draw"


async def _hold_alone(db: Database, job: Job) -> str:
    async def work(tx: neo4j.AsyncManagedTransaction) -> str:
        await hold(tx, job)
        return job.value

    return await db.write_transaction(work)
