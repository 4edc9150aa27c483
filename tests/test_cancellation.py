"""A cancelled request must not leak Neo4j connections (issue 8: reliability under load).

GraphQL cancels a request's sibling resolvers when one of them fails, and a client that hangs
up cancels its whole request. The driver, cancelled while it opens a session or talks to the
server, leaves the socket unclosed; under a month-end load that is a file descriptor lost per
cancellation until the process runs out. graph/database.py lets every unit of work finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import warnings

from graph.database import Connection, Database


async def test_reads_cancelled_at_any_moment_leave_no_socket_behind_and_the_pool_works(
    neo4j_connection: Connection,
) -> None:
    db = Database(neo4j_connection)
    timing = random.Random(20261129)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(60):
            reads = [
                asyncio.ensure_future(db.read("UNWIND range(1, 20000) AS x RETURN count(x) AS n"))
                for _ in range(3)
            ]
            await asyncio.sleep(timing.random() * 0.01)
            for read in reads[1:]:
                read.cancel()
            done = await asyncio.gather(*reads, return_exceptions=True)
            assert done[0] == [{"n": 20000}], "the read nobody cancelled still answers"
        assert await db.read("RETURN 1 AS ok") == [{"ok": 1}]
        await db.close()
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


async def test_a_cancelled_write_is_never_cut_in_half_and_completes(db: Database) -> None:
    """The caller stops waiting; the transaction runs to its end, all of it."""
    write = asyncio.ensure_future(
        db.write("UNWIND range(1, 200) AS i CREATE (:CancelProbe {i: i})")
    )
    await asyncio.sleep(0)
    write.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await write
    seen = []
    for _ in range(100):
        rows = await db.read("MATCH (p:CancelProbe) RETURN count(p) AS n")
        seen.append(rows[0]["n"])
        if seen[-1] == 200:
            break
        await asyncio.sleep(0.05)
    await db.write("MATCH (p:CancelProbe) DELETE p")
    assert set(seen) <= {0, 200}, f"a half-written batch was visible: {seen}"
    assert seen[-1] == 200, "the unit of work finished after its caller left"
