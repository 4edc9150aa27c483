"""查询留痕: an append-only, tamper-evident log of who asked about whom, kept in Neo4j.

Each entry stores its predecessor's hash and its own hash over every stored field, so altering,
removing or reordering an entry breaks the chain, which `verify` detects. Appends lock the chain
head ``(:AuditChain {id: 'main'})`` inside their write transaction, so entries from several hub
processes serialize into one chain. Entries link ``-[:ABOUT]->`` to the enterprises and persons
they concern, which makes "who looked at my data" an index lookup. Retention pruning records an
anchor (the first retained entry's seq and prevHash) so the rest still verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j

from authz.identity import Consumer
from graph.database import Database, Row

GENESIS = "0" * 64
RETENTION = timedelta(days=5 * 366)
VERIFY_PAGE = 2000

HASHED_FIELDS = (
    "seq",
    "at",
    "requestId",
    "subject",
    "orgCode",
    "orgKind",
    "purpose",
    "action",
    "subjects",
    "released",
    "withheld",
    "operation",
    "detail",
    "prevHash",
)


@dataclass(frozen=True)
class AuditEvent:
    """What one request did, as the hub saw it."""

    request_id: str
    consumer: Consumer
    action: str
    subjects: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    withheld: tuple[tuple[str, str], ...] = ()
    operation: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One stored entry of the chain."""

    seq: int
    at: str
    request_id: str
    org_code: str | None
    org_kind: str
    purpose: str | None
    action: str
    subjects: tuple[str, ...]
    hash: str

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> AuditEntry:
        """From the node's properties."""
        return cls(
            seq=props["seq"],
            at=props["at"],
            request_id=props["requestId"],
            org_code=props.get("orgCode"),
            org_kind=props["orgKind"],
            purpose=props.get("purpose"),
            action=props["action"],
            subjects=tuple(props.get("subjects") or ()),
            hash=props["hash"],
        )


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking the whole chain."""

    ok: bool
    entries: int
    problems: tuple[str, ...]


def entry_hash(props: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry's hashed fields."""
    canonical = json.dumps(
        {name: props.get(name) for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(event: AuditEvent, at: datetime) -> dict[str, Any]:
    consumer = event.consumer
    return {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "requestId": event.request_id,
        "subject": consumer.subject,
        "orgCode": consumer.org_code,
        "orgKind": consumer.org_kind.value,
        "purpose": consumer.purpose,
        "action": event.action,
        "subjects": list(event.subjects),
        "released": list(event.released),
        "withheld": json.dumps([list(pair) for pair in event.withheld], ensure_ascii=False),
        "operation": event.operation,
        "detail": event.detail,
    }


async def append(db: Database, event: AuditEvent, *, now: datetime | None = None) -> AuditEntry:
    """Append one entry; the request id also goes into the transaction's metadata."""
    return (await append_many(db, [event], now=now))[0]


async def append_many(
    db: Database, events: Sequence[AuditEvent], *, now: datetime | None = None
) -> list[AuditEntry]:
    """Append entries in order, in one write transaction (one commit for the whole batch)."""
    stamp = now or datetime.now(UTC)
    fields = [_fields(event, stamp) for event in events]

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
        # Writing the head first takes its lock; reading it afterwards in the same statement
        # sees the latest committed entry, so concurrent appenders queue up behind us.
        head = await (
            await tx.run(
                "MERGE (c:AuditChain {id: 'main'}) ON CREATE SET c.seq = 0, c.hash = $genesis "
                "SET c.lockedAt = datetime() RETURN c.seq AS seq, c.hash AS hash",
                genesis=GENESIS,
            )
        ).single(strict=True)
        seq, previous = head["seq"], head["hash"]
        entries = []
        for entry_fields in fields:
            seq += 1
            props = {**entry_fields, "seq": seq, "prevHash": previous}
            props["hash"] = previous = entry_hash(props)
            entries.append(props)
        await tx.run(
            "UNWIND $entries AS props CREATE (e:AuditEntry) SET e = props "
            "WITH e, props CALL (e, props) { "
            "UNWIND props.subjects AS s "
            "OPTIONAL MATCH (x:Enterprise {uscc: s}) OPTIONAL MATCH (p:Person {key: s}) "
            "WITH coalesce(x, p) AS about WHERE about IS NOT NULL "
            "CREATE (e)-[:ABOUT]->(about) }",
            entries=entries,
        )
        await tx.run(
            "MATCH (c:AuditChain {id: 'main'}) SET c.seq = $seq, c.hash = $hash",
            seq=seq,
            hash=previous,
        )
        return entries

    request_ids = ",".join(event.request_id for event in events)
    written = await db.write_transaction(work, metadata={"requestId": request_ids[:1000]})
    return [AuditEntry.from_props(props) for props in written]


class AuditWriter:
    """Group commit for one hub process: concurrent requests share one audit transaction.

    `submit` returns only once the entry is committed, so no response leaves before its audit
    entry is durable; while one batch commits, the next one gathers. Sequential requests see
    no extra latency, concurrent ones stop queueing on the chain head one commit at a time.
    """

    def __init__(self, db: Database, *, max_batch: int = 200) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: list[tuple[AuditEvent, asyncio.Future[AuditEntry]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, event: AuditEvent) -> AuditEntry:
        """Queue `event` and wait until it is committed."""
        future: asyncio.Future[AuditEntry] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                entries = await append_many(self.db, [event for event, _ in batch])
            except Exception as error:  # every waiting request must learn it failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), entry in zip(batch, entries, strict=True):
                if not future.done():
                    future.set_result(entry)


async def verify(db: Database) -> VerifyReport:
    """Check every retained entry against its hash and its predecessor, page by page."""
    problems: list[str] = []
    heads = await db.read(
        "MATCH (c:AuditChain {id: 'main'}) "
        "RETURN c.seq AS seq, c.hash AS hash, c.anchorSeq AS anchorSeq, "
        "c.anchorPrevHash AS anchorPrevHash"
    )
    if not heads:
        count = await db.read("MATCH (e:AuditEntry) RETURN count(e) AS n")
        n = count[0]["n"]
        return VerifyReport(n == 0, n, () if n == 0 else ("entries exist without a chain head",))
    head = heads[0]
    expected_seq = head["anchorSeq"] or 1
    previous = head["anchorPrevHash"] or GENESIS
    checked = 0
    after = expected_seq - 1
    while True:
        page = await db.read(
            "MATCH (e:AuditEntry) WHERE e.seq > $after RETURN properties(e) AS e "
            "ORDER BY e.seq LIMIT $limit",
            {"after": after, "limit": VERIFY_PAGE},
        )
        for row in page:
            props: dict[str, Any] = row["e"]
            seq = props["seq"]
            if seq != expected_seq:
                problems.append(f"entry {expected_seq}: missing (next present is {seq})")
            if props.get("prevHash") != previous:
                problems.append(f"entry {seq}: prevHash does not match the entry before it")
            if entry_hash(props) != props.get("hash"):
                problems.append(f"entry {seq}: altered (hash does not match its content)")
            previous = props.get("hash", "")
            expected_seq = seq + 1
            after = seq
            checked += 1
        if len(page) < VERIFY_PAGE:
            break
    if after != head["seq"] or (checked and previous != head["hash"]):
        problems.append(
            f"chain head says entry {head['seq']} is last, the log ends at entry {after}"
        )
    return VerifyReport(not problems, checked, tuple(problems))


@dataclass(frozen=True)
class AccessRecord:
    """One look at a subject's data."""

    at: str
    org_code: str | None
    org_kind: str
    purpose: str | None
    action: str
    request_id: str


async def accesses_to(db: Database, subject: str, *, limit: int = 100) -> list[AccessRecord]:
    """Who looked at an enterprise (USCC) or person (key), newest first."""
    rows = await db.read(
        "MATCH (e:AuditEntry)-[:ABOUT]->(x) WHERE x.uscc = $s OR x.key = $s "
        "RETURN properties(e) AS e ORDER BY e.seq DESC LIMIT $limit",
        {"s": subject, "limit": limit},
    )
    return [_access(row) for row in rows]


def _access(row: Row) -> AccessRecord:
    e: dict[str, Any] = row["e"]
    return AccessRecord(
        at=e["at"],
        org_code=e.get("orgCode"),
        org_kind=e["orgKind"],
        purpose=e.get("purpose"),
        action=e["action"],
        request_id=e["requestId"],
    )


async def recent_entries(db: Database, *, limit: int = 100) -> list[AuditEntry]:
    """The newest entries (for the credit office)."""
    rows = await db.read(
        "MATCH (e:AuditEntry) RETURN properties(e) AS e ORDER BY e.seq DESC LIMIT $limit",
        {"limit": limit},
    )
    return [AuditEntry.from_props(row["e"]) for row in rows]


async def prune(db: Database, *, retain: timedelta = RETENTION, now: datetime | None = None) -> int:
    """Delete entries older than `retain`, keeping the chain verifiable from an anchor."""
    cutoff = (
        ((now or datetime.now(UTC)) - retain).astimezone(UTC).isoformat(timespec="microseconds")
    )
    rows = await db.read(
        "MATCH (e:AuditEntry) WHERE e.at >= $cutoff "
        "RETURN e.seq AS seq, e.prevHash AS prevHash ORDER BY e.seq LIMIT 1",
        {"cutoff": cutoff},
    )
    deleted = 0
    while True:
        batch = await db.write(
            "MATCH (e:AuditEntry) WHERE e.at < $cutoff WITH e LIMIT 5000 "
            "DETACH DELETE e RETURN count(*) AS n",
            {"cutoff": cutoff},
        )
        deleted += batch[0]["n"] if batch else 0
        if not batch or batch[0]["n"] == 0:
            break
    if deleted:
        if rows:
            anchor = {"seq": rows[0]["seq"], "prevHash": rows[0]["prevHash"]}
        else:
            head = await db.read(
                "MATCH (c:AuditChain {id: 'main'}) RETURN c.seq AS seq, c.hash AS h"
            )
            anchor = {"seq": head[0]["seq"] + 1, "prevHash": head[0]["h"]}
        await db.write(
            "MATCH (c:AuditChain {id: 'main'}) "
            "SET c.anchorSeq = $seq, c.anchorPrevHash = $prevHash",
            anchor,
        )
    return deleted
