"""One way to write a record and its new versions (graph/records.py).

A first version carries its publication stamps, subject, supplier and deciding authority; a new
version — whether a feed's correction or a lifecycle decision's copy — supersedes the current
one, which is kept as SUPERSEDED history, and keeps its subject, supplier and decider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import neo4j
import pytest

from graph.database import Database
from graph.model import RecordKind, RecordStatus, SeverityTier
from graph.records import iso, new_version, publication_stamps, version_props, write_records
from graph.workdays import mainland_calendar
from tests.fixtures import E1, NDRC, SAMR

KEY = f"{RecordKind.PENALTY.value}|{SAMR}|测试记录写入〔2026〕1号"
DECIDED = date(2026, 3, 2)


@pytest.fixture
async def cleanup(db: Database) -> AsyncIterator[None]:
    yield
    await db.write("MATCH (r:Record {key: $key}) DETACH DELETE r", {"key": KEY})


def _first_row() -> dict[str, Any]:
    stamps = publication_stamps(
        RecordKind.PENALTY, SeverityTier.GENERAL, DECIDED, None, calendar=mainland_calendar()
    )
    props = {
        **version_props(KEY, 1, RecordStatus.EFFECTIVE),
        "kind": RecordKind.PENALTY.value,
        "title": "测试处罚",
        "severity": SeverityTier.GENERAL.value,
        "issuingAuthorityCode": SAMR,
    }
    dates = {name: iso(value) for name, value in stamps.items()}
    dates |= {"decisionDate": iso(DECIDED), "firstPublishedOn": iso(DECIDED)}
    # Sent by the big-data office (NDRC), decided by market regulation.
    return {"props": props, "dates": dates, "enterprise": E1, "decider": SAMR}


async def _version(db: Database, version: int) -> dict[str, Any]:
    [found] = await db.read(
        "MATCH (r:Record {uid: $uid}) "
        "RETURN properties(r) AS r, "
        "[(r)-[:HAS_SUBJECT]->(s) | s.uscc] AS subjects, "
        "[(r)-[:PROVIDED_BY]->(d) | d.code] AS providers, "
        "[(r)-[:DECIDED_BY]->(d) | d.code] AS deciders, "
        "[(r)-[:SUPERSEDES]->(o) | o.uid] AS supersedes",
        {"uid": f"{KEY}#v{version}"},
    )
    return found


async def test_one_writer_stamps_links_and_versions_a_record(db: Database, cleanup: None) -> None:
    async def first(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
        return await write_records(tx, [_first_row()], provider=NDRC, loaded_at=datetime.now(UTC))

    [made] = await db.write_transaction(first)
    assert made["uid"] == f"{KEY}#v1" and made["subjects"] == 1
    v1 = await _version(db, 1)
    assert v1["r"]["publishFrom"].to_native() == DECIDED
    assert v1["r"]["publishUntil"].to_native() == date(2027, 3, 2)
    assert v1["r"]["publishBy"] is not None, "a 双公示 kind is due within 7 working days"
    assert v1["r"]["firstPublishedOn"].to_native() == DECIDED
    assert (v1["subjects"], v1["providers"], v1["deciders"]) == ([E1], [NDRC], [SAMR])

    # A lifecycle decision's version copies the record and keeps all three relations.
    async def change(tx: neo4j.AsyncManagedTransaction) -> dict[str, str] | None:
        return await new_version(
            tx,
            KEY,
            {"status": RecordStatus.REVOKED.value},
            changed_by=SAMR,
            reason="撤销",
            today=date(2026, 4, 1),
        )

    assert await db.write_transaction(change) is not None
    v1, v2 = await _version(db, 1), await _version(db, 2)
    assert v1["r"]["current"] is False and v1["r"]["status"] == RecordStatus.SUPERSEDED.value
    assert v2["r"]["current"] is True and v2["r"]["status"] == RecordStatus.REVOKED.value
    assert (v2["subjects"], v2["providers"], v2["deciders"]) == ([E1], [NDRC], [SAMR])
    assert v2["supersedes"] == [f"{KEY}#v1"]
    assert v2["r"]["firstPublishedOn"].to_native() == DECIDED

    # A feed's version names its own relations; what it does not name it keeps.
    row = _first_row()
    row["props"] |= version_props(KEY, 3, RecordStatus.EFFECTIVE)
    row["previous"] = f"{KEY}#v2"
    del row["decider"]

    async def correct(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
        return await write_records(tx, [row], provider=NDRC, loaded_at=datetime.now(UTC))

    await db.write_transaction(correct)
    v2, v3 = await _version(db, 2), await _version(db, 3)
    assert v2["r"]["current"] is False and v2["r"]["status"] == RecordStatus.SUPERSEDED.value
    assert (v3["subjects"], v3["providers"], v3["deciders"]) == ([E1], [NDRC], [SAMR])
    assert v3["supersedes"] == [f"{KEY}#v2"]


async def test_a_new_version_of_no_record_is_none(db: Database) -> None:
    async def change(tx: neo4j.AsyncManagedTransaction) -> dict[str, str] | None:
        return await new_version(
            tx, "NO|SUCH|KEY", {}, changed_by=SAMR, reason="—", today=date(2026, 4, 1)
        )

    assert await db.write_transaction(change) is None
