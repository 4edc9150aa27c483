"""Named locks: whole-graph jobs that must not run side by side, serialised in Neo4j.

Two hub processes (or a CLI run and a hub) may start the same job at the same moment: two risk
scans would each see no alert for a subject and both create one; two inspection draws would both
see an A-grade enterprise as not yet inspected this year and both draw it, against the frequency
limit. Each such job takes its lock as the first statement of its write transaction: the second
one waits until the first has committed, and only then reads, so it sees the first one's writes.
The lock lives in the graph (not in a process), so it holds across processes and machines, and
it is released by the commit or rollback itself — a process killed mid-job leaves no stale lock.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, LiteralString

import neo4j

__all__ = ["Job", "hold"]


class Job(StrEnum):
    """The jobs that take a lock; the value is the lock's name."""

    RISK_SCAN = "risk-scan"
    INSPECTION_DRAW = "inspection-draw"


# MERGE on the unique name (migration 0011) creates the node once; the SET takes its write lock,
# which Neo4j holds until the transaction ends.
_HOLD: Final[LiteralString] = (
    "MERGE (l:JobLock {name: $name}) SET l.heldAt = datetime(), l.holds = coalesce(l.holds, 0) + 1"
)


async def hold(tx: neo4j.AsyncManagedTransaction | neo4j.AsyncTransaction, job: Job) -> None:
    """Take `job`'s lock for the rest of the transaction (waiting while another holds it)."""
    result = await tx.run(_HOLD, name=job.value)
    await result.consume()
