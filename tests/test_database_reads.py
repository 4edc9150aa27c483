"""The driver wrapper's reads (graph/database.py): sessions kept between reads, dates hydrated
once per distinct day — and the values and failures a read gives are the driver's own."""

from __future__ import annotations

import asyncio
from datetime import date

import neo4j
import pytest
from neo4j.time import Date

from graph import database
from graph.database import Database, remember_dates


async def test_reads_reuse_their_sessions_and_a_failed_read_leaves_none_behind(
    db: Database,
) -> None:
    await asyncio.gather(*(db.read("RETURN $n AS n", {"n": n}) for n in range(10)))
    idle = list(db._idle_reads)
    assert 0 < len(idle) <= 10
    assert await db.read("RETURN 1 AS one") == [{"one": 1}]
    assert db._idle_reads[-1] in idle, "a kept session served the next read"

    kept = len(db._idle_reads)
    with pytest.raises(neo4j.exceptions.CypherSyntaxError):
        await db.read("RETURN nonsense(")
    assert len(db._idle_reads) == kept - 1, "the failed read's session was closed, not kept"
    assert await db.read("RETURN 2 AS two") == [{"two": 2}]


async def test_at_most_the_configured_sessions_are_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "IDLE_READ_SESSIONS", 3)
    while db._idle_reads:
        await db._idle_reads.pop().close()
    await asyncio.gather(*(db.read("RETURN $n AS n", {"n": n}) for n in range(12)))
    assert len(db._idle_reads) == 3


async def test_dates_come_back_as_written_one_value_per_day(db: Database) -> None:
    assert remember_dates(), "the driver's date hydrator is where it was"
    days = [date(1949, 10, 1), date(1970, 1, 1), date(2026, 2, 28), date(2028, 2, 29)]
    [row] = await db.read("RETURN $days AS days, $days AS again", {"days": days})
    assert [d.to_native() for d in row["days"]] == days
    assert all(type(d) is Date for d in row["days"])
    # Equal days are the same (immutable) value, within a row and across reads.
    assert all(a is b for a, b in zip(row["days"], row["again"], strict=True))
    [later] = await db.read("RETURN date('2026-02-28') AS day")
    assert later["day"] is row["days"][2]


async def test_closing_lets_the_work_under_way_end_and_keeps_no_session(
    neo4j_connection: database.Connection,
) -> None:
    """A hub stopping (or a test ending) while a read and a write are on their way: both get
    their answers, every session the reads used is closed, and nothing runs after."""
    own = Database(neo4j_connection)
    await own.read("RETURN 1 AS warm")
    slow = "UNWIND range(1, 3000000) AS n RETURN sum(n) AS total"
    reading = asyncio.ensure_future(own.read(slow))
    writing = asyncio.ensure_future(own.write("UNWIND range(1, 2000000) AS n RETURN count(*) AS n"))
    await asyncio.sleep(0.05)  # both sent
    used = list(own._idle_reads)
    await own.close()
    await asyncio.sleep(0)  # the callers wake up
    assert reading.done() and writing.done(), "close waited for the work under way"
    assert await reading == [{"total": 3000000 * 3000001 // 2}]
    assert await writing == [{"n": 2000000}]
    assert own._idle_reads == [], "the read finishing during close parked no session"
    assert all(session.closed() for session in used)
    with pytest.raises(neo4j.exceptions.DriverError):
        await own.read("RETURN 1 AS late")
