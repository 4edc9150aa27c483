"""查询留痕: the audit log is a hash chain that proves what was asked, by whom, about whom.

Every test starts from an empty chain (and leaves one behind), so the seqs and counts below are
exact; no other test reads audit nodes.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase

from authz import audit
from authz.audit import AuditEntry, AuditEvent, VerifyReport
from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Connection, Database
from tests.fixtures import B1, CA1, E1, E2, E3, NDRC, P1

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BANK = Consumer(subject="officer@b1", org_kind=OrgKind.BANK, org_code=B1, purpose="贷前审查")
AGENCY = Consumer(
    subject="analyst@ca1", org_kind=OrgKind.CREDIT_AGENCY, org_code=CA1, purpose="信用报告"
)
DEPARTMENT = Consumer(
    subject="clerk@ndrc",
    org_kind=OrgKind.DEPARTMENT,
    org_code=NDRC,
    sectors=frozenset({"发展改革"}),
    purpose="联合惩戒",
)
FIELDS = (
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


async def _wipe(db: Database) -> None:
    await db.write("MATCH (n:AuditEntry|AuditChain) DETACH DELETE n")


@pytest.fixture
async def chain(db: Database) -> AsyncIterator[Database]:
    """An empty chain; whatever a test did to it (tampering included) is gone afterwards."""
    await _wipe(db)
    yield db
    await _wipe(db)


def _event(request_id: str, consumer: Consumer = BANK, *subjects: str) -> AuditEvent:
    return AuditEvent(request_id=request_id, consumer=consumer, action="query", subjects=subjects)


async def _append_n(db: Database, n: int, *, prefix: str = "r") -> list[AuditEntry]:
    return [
        await audit.append(db, _event(f"{prefix}-{i}", BANK, E1), now=T0 + timedelta(minutes=i))
        for i in range(n)
    ]


async def _props(db: Database, seq: int) -> dict[str, Any]:
    [row] = await db.read("MATCH (e:AuditEntry {seq: $s}) RETURN properties(e) AS e", {"s": seq})
    props: dict[str, Any] = row["e"]
    return props


async def _delete(db: Database, seq: int) -> dict[str, Any]:
    props = await _props(db, seq)
    await db.write("MATCH (e:AuditEntry {seq: $s}) DETACH DELETE e", {"s": seq})
    return props


async def _restore(db: Database, props: dict[str, Any]) -> None:
    await db.write(
        "CREATE (e:AuditEntry) SET e = $props WITH e "
        "UNWIND e.subjects AS s MATCH (x) WHERE (x:Enterprise AND x.uscc = s) "
        "OR (x:Person AND x.key = s) CREATE (e)-[:ABOUT]->(x)",
        {"props": props},
    )


async def _swap(db: Database, a: int, b: int) -> None:
    await db.write(
        "MATCH (a:AuditEntry {seq: $a}), (b:AuditEntry {seq: $b}) "
        "SET a.seq = -1 SET b.seq = $a SET a.seq = $b",
        {"a": a, "b": b},
    )


def _mentions(report: VerifyReport, text: str) -> bool:
    return any(text in problem for problem in report.problems)


async def test_appended_entries_form_a_hash_chain(chain: Database) -> None:
    first = await audit.append(
        chain,
        AuditEvent(
            request_id="req-1",
            consumer=BANK,
            action="query",
            subjects=(E1, P1),
            released=("Enterprise.name", "Enterprise.uscc"),
            withheld=(("enterprise.legalRepresentative.idNumber", "NOT_SHARED"),),
            operation="CreditCheck",
            detail=None,
        ),
        now=T0,
    )
    second = await audit.append(chain, _event("req-2", DEPARTMENT, E2), now=T0)
    third = await audit.append(chain, _event("req-3", PUBLIC))

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert await audit.verify(chain) == VerifyReport(ok=True, entries=3, problems=())

    # The stored shape, and the hash as documented: sha256 over the canonical JSON of every
    # stored field but the hash (sorted keys, no whitespace, non-ASCII kept).
    stored = await _props(chain, 1)
    assert stored["at"] == "2026-03-01T09:00:00.000000+00:00"
    assert stored["orgCode"] == B1 and stored["orgKind"] == "BANK"
    assert stored["purpose"] == "贷前审查" and stored["subject"] == "officer@b1"
    assert stored["subjects"] == [E1, P1] and stored["operation"] == "CreditCheck"
    assert json.loads(stored["withheld"]) == [
        ["enterprise.legalRepresentative.idNumber", "NOT_SHARED"]
    ]
    assert set(stored) == {*FIELDS, "hash"} - {"detail"}  # null fields are not stored
    canonical = json.dumps(
        {name: stored.get(name) for name in FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert stored["hash"] == hashlib.sha256(canonical.encode()).hexdigest() == first.hash
    assert AuditEntry.from_props(stored) == first
    assert first.withheld == (("enterprise.legalRepresentative.idNumber", "NOT_SHARED"),)

    [head] = await chain.read("MATCH (c:AuditChain {id: 'main'}) RETURN c.seq AS s, c.hash AS h")
    assert (head["s"], head["h"]) == (3, third.hash)
    links = await chain.read(
        "MATCH (:AuditEntry {seq: 1})-[:ABOUT]->(x) RETURN coalesce(x.uscc, x.key) AS k"
    )
    assert sorted(row["k"] for row in links) == sorted([E1, P1])


async def test_an_altered_entry_is_named_and_restoring_it_heals_the_chain(chain: Database) -> None:
    await _append_n(chain, 3)
    original = await _props(chain, 2)

    await chain.write("MATCH (e:AuditEntry {seq: 2}) SET e.purpose = 'x'")
    report = await audit.verify(chain)
    assert not report.ok and report.entries == 3
    assert report.problems == ("entry 2: altered (its hash does not match its content)",)
    await chain.write(
        "MATCH (e:AuditEntry {seq: 2}) SET e.purpose = $p", {"p": original["purpose"]}
    )
    assert (await audit.verify(chain)).ok

    # A property that no entry has is an alteration too, though it changes no hashed field.
    await chain.write("MATCH (e:AuditEntry {seq: 2}) SET e.note = 'reviewed'")
    report = await audit.verify(chain)
    assert report.problems == ("entry 2: altered (properties added: note)",)
    await chain.write("MATCH (e:AuditEntry {seq: 2}) REMOVE e.note")
    assert (await audit.verify(chain)).ok

    # Re-hashing an altered entry does not help: the next entry still names the old hash.
    forged = {**original, "purpose": "x"}
    forged["hash"] = audit.entry_hash(forged)
    await chain.write("MATCH (e:AuditEntry {seq: 2}) SET e = $p", {"p": forged})
    report = await audit.verify(chain)
    assert not report.ok and _mentions(report, "entry 3: prevHash does not match")
    await chain.write("MATCH (e:AuditEntry {seq: 2}) SET e = $p", {"p": original})
    assert (await audit.verify(chain)).ok


async def test_removed_reordered_and_truncated_entries_are_reported(chain: Database) -> None:
    await _append_n(chain, 5)

    middle = await _delete(chain, 3)
    report = await audit.verify(chain)
    assert not report.ok and report.entries == 4
    assert _mentions(report, "entry 3: missing (removed from the chain)")
    assert _mentions(report, "entry 4: prevHash does not match")
    await _restore(chain, middle)
    assert (await audit.verify(chain)).ok

    await _swap(chain, 2, 4)
    report = await audit.verify(chain)
    assert not report.ok
    for seq in (2, 3, 4):  # 2 and 4 carry each other's content; 3 follows the wrong entry
        assert _mentions(report, f"entry {seq}: ")
    assert _mentions(report, "entry 2: altered") and _mentions(report, "entry 4: altered")
    await _swap(chain, 2, 4)
    assert (await audit.verify(chain)).ok

    last = await _delete(chain, 5)
    report = await audit.verify(chain)
    assert report.problems == (
        "chain head: names entry 5 as the last, but the chain ends at entry 4 (entry 5 removed)",
    )
    await _restore(chain, last)
    assert (await audit.verify(chain)).ok

    # Entries removed from the start: the first one left no longer follows the genesis hash.
    one, two = await _delete(chain, 1), await _delete(chain, 2)
    report = await audit.verify(chain)
    assert _mentions(report, "entries 1-2: missing") and _mentions(report, "entry 3: prevHash")
    await _restore(chain, one)
    await _restore(chain, two)
    assert (await audit.verify(chain)).ok

    # The head itself tampered with.
    await chain.write("MATCH (c:AuditChain) SET c.hash = $h", {"h": "f" * 64})
    report = await audit.verify(chain)
    assert report.problems == ("chain head: its hash does not match entry 5",)
    await chain.write("MATCH (c:AuditChain) SET c.hash = $h", {"h": last["hash"]})
    assert (await audit.verify(chain)).ok
    await chain.write("MATCH (c:AuditChain) SET c.seq = 'five'")
    report = await audit.verify(chain)
    assert not report.ok and _mentions(report, "chain head: malformed")
    assert await audit.prune(chain, now=datetime(2100, 1, 1, tzinfo=UTC)) == 0
    await chain.write("MATCH (c:AuditChain) SET c.seq = 5")
    assert (await audit.verify(chain)).ok


async def test_entries_written_around_the_head_are_reported(chain: Database) -> None:
    [*_, last] = await _append_n(chain, 2)
    # A well-formed entry 3, correctly chained, but written without moving the head.
    forged: dict[str, Any] = {
        **(await _props(chain, 2)),
        "seq": 3,
        "requestId": "forged",
        "prevHash": last.hash,
    }
    forged["hash"] = audit.entry_hash(forged)
    await chain.write("CREATE (e:AuditEntry) SET e = $p", {"p": forged})
    report = await audit.verify(chain)
    assert report.problems == (
        "entry 3: newer than the chain head (which names entry 2 as the last)",
    )
    await chain.write("MATCH (e:AuditEntry {seq: 3}) DETACH DELETE e")
    assert (await audit.verify(chain)).ok


async def test_two_hub_processes_append_to_one_chain(
    chain: Database, neo4j_connection: Connection
) -> None:
    async with Database(neo4j_connection) as first, Database(neo4j_connection) as second:
        entries = await asyncio.gather(
            *(
                audit.append(first if n % 2 else second, _event(f"c-{n}", BANK, E1))
                for n in range(30)
            )
        )
    assert sorted(entry.seq for entry in entries) == list(range(1, 31))
    by_seq = sorted(entries, key=lambda entry: entry.seq)
    for before, after in itertools.pairwise(by_seq):
        assert after.prev_hash == before.hash
    assert await audit.verify(chain) == VerifyReport(ok=True, entries=30, problems=())


async def test_who_looked_at_a_subject(chain: Database) -> None:
    await audit.append(chain, _event("bank-e1", BANK, E1), now=T0)
    await audit.append(chain, _event("agency-e2", AGENCY, E2), now=T0 + timedelta(minutes=1))
    await audit.append(
        chain, _event("ndrc-e1-p1", DEPARTMENT, E1, P1), now=T0 + timedelta(minutes=2)
    )
    await audit.append(chain, _event("public-e1", PUBLIC, E1, E1), now=T0 + timedelta(minutes=3))
    # A subject the graph does not hold is recorded, just not linked.
    unknown = "91410481MA0000000X"
    await audit.append(chain, _event("bank-unknown", BANK, unknown), now=T0 + timedelta(minutes=4))

    looked = await audit.accesses_to(chain, E1)
    assert [r.request_id for r in looked] == ["public-e1", "ndrc-e1-p1", "bank-e1"]
    public, ndrc, bank = looked
    assert (bank.org_code, bank.org_kind, bank.org_name) == (B1, "BANK", "中国工商银行舞钢支行")
    assert bank.purpose == "贷前审查" and bank.action == "query"
    assert bank.at == "2026-03-01T09:00:00.000000+00:00"
    assert (ndrc.org_kind, ndrc.org_name) == ("DEPARTMENT", "舞钢市发展和改革委员会")
    assert (public.org_code, public.org_kind, public.org_name) == (None, "PUBLIC", None)

    since = await audit.accesses_to(chain, E1, since=T0 + timedelta(minutes=2))
    assert [r.request_id for r in since] == ["public-e1", "ndrc-e1-p1"]
    assert [r.request_id for r in await audit.accesses_to(chain, E1, limit=1)] == ["public-e1"]
    assert [r.request_id for r in await audit.accesses_to(chain, E2)] == ["agency-e2"]
    assert [r.request_id for r in await audit.accesses_to(chain, P1)] == ["ndrc-e1-p1"]
    assert await audit.accesses_to(chain, E3) == []
    assert await audit.accesses_to(chain, unknown) == []
    [stored] = await audit.recent_entries(chain, limit=1)
    assert stored.subjects == (unknown,)

    assert [e.request_id for e in await audit.recent_entries(chain, limit=2)] == [
        "bank-unknown",
        "public-e1",
    ]
    mine = await audit.recent_entries(chain, org_code=B1)
    assert [e.request_id for e in mine] == ["bank-unknown", "bank-e1"]
    assert all(e.org_code == B1 for e in mine)


async def test_pruning_cuts_the_expired_prefix_and_the_rest_still_verifies(
    chain: Database,
) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    recent = datetime(2024, 6, 1, tzinfo=UTC)
    for n in range(3):
        await audit.append(chain, _event(f"old-{n}", BANK, E1), now=old)
    await audit.append(chain, _event("recent-0", BANK, E1), now=recent)
    # Stamped as old but appended after a retained entry: cutting it would open a gap.
    await audit.append(chain, _event("late-old", BANK, E1), now=old)
    await audit.append(chain, _event("recent-1", BANK, E1), now=recent)
    third = await _props(chain, 3)

    # Five years (of 366 days) before 2029-01-01 is late 2023: the 2020 entries are expired.
    later = datetime(2029, 1, 1, tzinfo=UTC)
    assert await audit.prune(chain, now=later) == 3
    assert await audit.verify(chain) == VerifyReport(ok=True, entries=3, problems=())
    kept = [e.request_id for e in await audit.recent_entries(chain)]
    assert kept == ["recent-1", "late-old", "recent-0"]
    [head] = await chain.read(
        "MATCH (c:AuditChain) RETURN c.anchorSeq AS seq, c.anchorPrevHash AS prev"
    )
    assert (head["seq"], head["prev"]) == (4, third["hash"])
    assert await audit.prune(chain, now=later) == 0
    looked = [r.request_id for r in await audit.accesses_to(chain, E1, limit=10)]
    assert looked == kept

    # The retained part is still tamper-evident, the anchor entry included.
    await chain.write("MATCH (e:AuditEntry {seq: 4}) SET e.purpose = 'x'")
    assert (await audit.verify(chain)).problems == (
        "entry 4: altered (its hash does not match its content)",
    )
    await chain.write("MATCH (e:AuditEntry {seq: 4}) SET e.purpose = '贷前审查'")
    assert (await audit.verify(chain)).ok

    # Far in the future everything has expired; the chain goes on from the anchor.
    assert await audit.prune(chain, now=datetime(2100, 1, 1, tzinfo=UTC)) == 3
    assert await audit.verify(chain) == VerifyReport(ok=True, entries=0, problems=())
    entry = await audit.append(chain, _event("after", BANK, E1))
    assert entry.seq == 7
    assert await audit.verify(chain) == VerifyReport(ok=True, entries=1, problems=())


async def test_the_request_id_is_the_transactions_metadata(
    chain: Database, neo4j_connection: Connection
) -> None:
    """Observed in `SHOW TRANSACTIONS`: while another transaction holds the chain head's lock,
    the waiting append is listed with the request id as its metadata."""
    await audit.append(chain, _event("first"))
    conn = neo4j_connection
    driver = AsyncGraphDatabase.driver(conn.uri, auth=(conn.user, conn.password))
    async with driver, driver.session(database=conn.database) as session:
        blocker = await session.begin_transaction()
        await (
            await blocker.run("MATCH (c:AuditChain {id: 'main'}) SET c.lockedAt = datetime()")
        ).consume()
        pending = asyncio.create_task(audit.append(chain, _event("req-with-metadata")))
        try:
            seen: list[dict[str, Any]] = []
            for _ in range(200):
                rows = await chain.read("SHOW TRANSACTIONS YIELD metaData RETURN metaData")
                seen = [row["metaData"] for row in rows]
                if {"requestId": "req-with-metadata"} in seen:
                    break
                await asyncio.sleep(0.05)
            assert {"requestId": "req-with-metadata"} in seen
            assert not pending.done()  # it really waits for the head's lock
        finally:
            await blocker.rollback()
        entry = await pending
    assert entry.seq == 2 and entry.request_id == "req-with-metadata"
    assert (await audit.verify(chain)).ok
