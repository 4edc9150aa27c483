"""The feed's write path (graph/records.py `write_record_batch`, issue 18): as lean as a raw
UNWIND, with every guarantee of the one record writer.

A batch's statement looks each deciding authority up once (under any organisation label), not
once per row; it leaves out what no row of the batch carries; and it answers with a count, not
one map per row. Rows of every shape still get exactly their relations, whichever of the two
writers (`write_records`, answering per version; `write_record_batch`) writes them, and a row
whose subject is not in the graph is still created and reported with ``subjects`` 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import neo4j
import pytest

from graph.database import Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.model import Label, RecordKind, RecordStatus, Rel
from graph.records import iso, version_props, write_record_batch, write_records
from loaders import pipeline
from loaders.parameters import quiet_transaction
from loaders.pipeline import LoadOptions, load_file
from loaders.sample_feeds import PENALTY_HEADERS, generated_rows, write_csv
from loaders.sample_feeds import SAMR as SAMPLE_SAMR
from loaders.writers import Prepared, Writer
from loaders.writers import records as records_writer
from loaders.writers.records import RecordWriter
from tests.fixtures import A1, B1, CA1, E1, E2, NDRC, P2, SAMR

PREFIX = "FWTEST|"
NEW_PERSON = "feed-write-test-person"
UNREGISTERED = make_uscc("91", WUGANG_REGION, "FW999999")
DECIDED = date(2026, 5, 6)

RecordsWriter = Callable[..., Awaitable[Any]]


@pytest.fixture
async def cleanup(db: Database) -> AsyncIterator[None]:
    yield
    await db.write(
        f"MATCH (r:{Label.RECORD}) WHERE r.key STARTS WITH $prefix DETACH DELETE r",
        {"prefix": PREFIX},
    )
    await db.write(f"MATCH (p:{Label.PERSON} {{key: $key}}) DETACH DELETE p", {"key": NEW_PERSON})


def _row(name: str, version: int = 1, **relations: Any) -> dict[str, Any]:
    key = f"{PREFIX}{name}"
    props = {
        **version_props(key, version, RecordStatus.EFFECTIVE),
        "kind": RecordKind.PENALTY.value,
        "title": f"测试{name}",
    }
    dates = {"decisionDate": iso(DECIDED), "validTo": None, "firstPublishedOn": iso(DECIDED)}
    return {"props": props, "dates": dates, **relations}


async def _write(
    db: Database, writer: RecordsWriter, rows: list[dict[str, Any]], provider: str
) -> Any:
    async def work(tx: neo4j.AsyncManagedTransaction) -> Any:
        return await writer(tx, rows, provider=provider, loaded_at=datetime.now(UTC))

    return await db.write_transaction(work)


async def _graph(db: Database) -> dict[str, dict[str, Any]]:
    """Every test record's identity, dates and relations, by uid."""
    found = await db.read(
        f"MATCH (r:{Label.RECORD}) WHERE r.key STARTS WITH $prefix "
        "RETURN r.uid AS uid, r.current AS current, r.status AS status, "
        "r.decisionDate AS decided, r.validTo AS validTo, r.loadedAt IS NOT NULL AS stamped, "
        f"[(r)-[:{Rel.HAS_SUBJECT}]->(s) | coalesce(s.uscc, s.key)] AS subjects, "
        f"[(r)-[:{Rel.PROVIDED_BY}]->(o) | o.code] AS providers, "
        f"[(r)-[:{Rel.DECIDED_BY}]->(o) | o.code] AS deciders, "
        f"[(r)-[:{Rel.SUPERSEDES}]->(o) | o.uid] AS supersedes",
        {"prefix": PREFIX},
    )
    return {row["uid"]: {k: v for k, v in row.items() if k != "uid"} for row in found}


@pytest.mark.parametrize("writer", [write_records, write_record_batch], ids=["per-row", "batch"])
async def test_rows_of_every_shape_get_exactly_their_relations(
    db: Database, cleanup: None, writer: RecordsWriter
) -> None:
    await _write(db, writer, [_row("old", enterprise=E1, decider=B1)], NDRC)
    rows = [
        # Deciders under each organisation label, one unknown, one not given.
        _row("department", enterprise=E1, decider=SAMR),
        _row("bank", enterprise=E1, decider=B1),
        _row("association", enterprise=E2, decider=A1),
        _row("agency", enterprise=E2, decider=CA1),
        _row("unknown-decider", enterprise=E2, decider="NO-SUCH-ORGANISATION"),
        _row("no-decider", enterprise=E2),
        # A person is created when new; a lifecycle subject must exist (enterprise or person).
        _row("person", person={"key": NEW_PERSON, "props": {"name": "测试人"}}, decider=SAMR),
        _row("subject-enterprise", subject=E1, decider=SAMR),
        _row("subject-person", subject=P2, decider=SAMR),
        # Not in the graph: the version is still made, without a subject.
        _row("unregistered", enterprise=UNREGISTERED, decider=SAMR),
        _row("missing-subject", subject=UNREGISTERED, decider=SAMR),
        # A new version naming no relations keeps the old one's.
        _row("old", 2, previous=f"{PREFIX}old#v1"),
    ]
    answer = await _write(db, writer, rows, NDRC)

    if writer is write_record_batch:
        assert answer == len(rows)
    else:
        assert sorted(made["uid"] for made in answer) == sorted(row["props"]["uid"] for row in rows)
        subjects = {made["uid"]: made["subjects"] for made in answer}
        assert subjects[f"{PREFIX}missing-subject#v1"] == 0
        assert subjects[f"{PREFIX}unregistered#v1"] == 0
        assert all(
            n == 1 for uid, n in subjects.items() if "missing" not in uid and "unreg" not in uid
        )
    graph = await _graph(db)

    def relations(name: str, version: int = 1) -> tuple[list[str], list[str], list[str]]:
        found = graph[f"{PREFIX}{name}#v{version}"]
        return found["subjects"], found["providers"], found["deciders"]

    assert relations("department") == ([E1], [NDRC], [SAMR])
    assert relations("bank") == ([E1], [NDRC], [B1])
    assert relations("association") == ([E2], [NDRC], [A1])
    assert relations("agency") == ([E2], [NDRC], [CA1])
    assert relations("unknown-decider") == ([E2], [NDRC], [])
    assert relations("no-decider") == ([E2], [NDRC], [])
    assert relations("person") == ([NEW_PERSON], [NDRC], [SAMR])
    assert relations("subject-enterprise") == ([E1], [NDRC], [SAMR])
    assert relations("subject-person") == ([P2], [NDRC], [SAMR])
    assert relations("unregistered") == ([], [NDRC], [SAMR])
    assert relations("missing-subject") == ([], [NDRC], [SAMR])
    assert relations("old", 2) == ([E1], [NDRC], [B1])
    old, new = graph[f"{PREFIX}old#v1"], graph[f"{PREFIX}old#v2"]
    assert (old["current"], old["status"]) == (False, RecordStatus.SUPERSEDED.value)
    assert (new["current"], new["supersedes"]) == (True, [f"{PREFIX}old#v1"])
    for uid, found in graph.items():
        assert found["decided"].to_native() == DECIDED, uid
        assert found["validTo"] is None and found["stamped"], uid
    [person] = await db.read(
        f"MATCH (p:{Label.PERSON} {{key: $key}}) RETURN p.name AS name, "
        f"COUNT {{ (:{Label.RECORD})-[:{Rel.HAS_SUBJECT}]->(p) }} AS records",
        {"key": NEW_PERSON},
    )
    assert person == {"name": "测试人", "records": 1}


@pytest.mark.parametrize("writer", [write_records, write_record_batch], ids=["per-row", "batch"])
async def test_a_provider_not_in_the_graph_writes_nothing(
    db: Database, cleanup: None, writer: RecordsWriter
) -> None:
    rows = [_row("orphan", enterprise=E1, decider=SAMR)]
    answer = await _write(db, writer, rows, "NO-SUCH-PROVIDER")
    assert answer == (0 if writer is write_record_batch else [])
    assert await _graph(db) == {}


class _Profiled:
    """A transaction whose statements run under PROFILE; the database hits are summed."""

    def __init__(self, tx: neo4j.AsyncManagedTransaction) -> None:
        self.tx = tx
        self.hits = 0

    async def run(self, query: str, parameters: dict[str, Any] | None = None) -> _Result:
        return _Result(self, await self.tx.run(f"PROFILE {query}", parameters))


class _Result:
    def __init__(self, profiled: _Profiled, result: neo4j.AsyncResult) -> None:
        self.profiled = profiled
        self.result = result

    async def single(self) -> neo4j.Record | None:
        record = await self.result.single()
        summary = await self.result.consume()
        self.profiled.hits += _hits(summary.profile or {})
        return record


def _hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_hits(child) for child in plan.get("children", []))


class _RolledBack(Exception):
    """Ends a measuring transaction without committing it."""


# The floor of bench/load_throughput.py: each row's subject and decider looked up by index.
_RAW: str = (
    f"MATCH (d:{Label.DEPARTMENT} {{code: $provider}}) "
    "UNWIND $rows AS row "
    f"MATCH (e:{Label.ENTERPRISE} {{uscc: row.enterprise}}) "
    f"CREATE (r:{Label.RECORD}) SET r = row.props "
    "SET r.decisionDate = date(row.dates.decisionDate), "
    "r.firstPublishedOn = date(row.dates.firstPublishedOn), r.loadedAt = $loadedAt "
    f"CREATE (r)-[:{Rel.HAS_SUBJECT}]->(e) CREATE (r)-[:{Rel.PROVIDED_BY}]->(d) "
    "WITH r, row "
    f"MATCH (o:{Label.DEPARTMENT} {{code: row.decider}}) CREATE (r)-[:{Rel.DECIDED_BY}]->(o)"
)


async def test_a_feed_chunk_costs_the_server_no_more_than_the_raw_unwind(db: Database) -> None:
    # A chunk as a feed sends it: every row with its enterprise and decider, nothing else.
    rows = [
        _row(f"chunk-{n}", enterprise=(E1, E2)[n % 2], decider=SAMR, person=None, previous=None)
        for n in range(300)
    ]
    measured: dict[str, int] = {}

    async def ours(tx: neo4j.AsyncManagedTransaction) -> None:
        profiled = _Profiled(tx)
        created = await write_record_batch(
            profiled,  # type: ignore[arg-type]
            rows,
            provider=SAMR,
            loaded_at=datetime.now(UTC),
        )
        assert created == len(rows)
        measured["ours"] = profiled.hits
        raise _RolledBack

    async def raw(tx: neo4j.AsyncManagedTransaction) -> None:
        profiled = _Profiled(tx)
        parameters = {"rows": rows, "provider": SAMR, "loadedAt": datetime.now(UTC)}
        await (await profiled.run(_RAW, parameters)).single()
        measured["raw"] = profiled.hits
        raise _RolledBack

    for work in (ours, raw):
        with pytest.raises(_RolledBack):
            await db.write_transaction(work)
    # Looking each row's decider up among four labels cost 10 hits a row more than the floor.
    assert measured["ours"] <= measured["raw"], measured
    assert await _graph(db) == {}, "measured in transactions that were rolled back"


FEED_SUBJECT = make_uscc("91", WUGANG_REGION, "FW888888")


@pytest.fixture
async def sender(db: Database) -> AsyncIterator[str]:
    """The sample feeds' market regulator as a department; its loads removed afterwards."""
    name, code = SAMPLE_SAMR
    await db.write(
        f"MERGE (d:{Label.DEPARTMENT} {{code: $code}}) SET d.name = $name, d.sector = '市场监管'",
        {"code": code, "name": name},
    )
    yield code
    await db.write(
        f"MATCH (r:{Label.RECORD}) WHERE r.issuingAuthorityCode = $sender "
        f"OR r.sourceUnitCode = $sender DETACH DELETE r",
        {"sender": code},
    )
    await db.write(
        f"MATCH (e:{Label.ENTERPRISE} {{uscc: $code}}) DETACH DELETE e", {"code": FEED_SUBJECT}
    )
    await db.write(
        f"MATCH (b:{Label.BATCH}) WHERE b.supplier = $sender DETACH DELETE b", {"sender": code}
    )


async def test_a_load_remembers_registered_subjects_but_not_one_it_just_made_provisional(
    db: Database, tmp_path: Path, sender: str
) -> None:
    # Chunks of two rows: E1 and E2 (registered) twice, then the unregistered code alone.
    path = tmp_path / "penalties.csv"
    rows = list(generated_rows("penalty", 5, [E1, E2, E1, E2, FEED_SUBJECT], year=2024))
    write_csv(path, PENALTY_HEADERS, rows, "utf-8")
    writers: list[Writer] = []

    def keep(writer: Writer) -> Writer:
        writers.append(writer)
        return writer

    options = LoadOptions(today=date(2026, 11, 28), batch_size=2, wrap_writer=keep)
    summary = await load_file(db, path, sender, person_secret=b"s", options=options)
    assert (summary.new, summary.quarantined) == (5, 0), summary.render()
    [writer] = writers
    assert isinstance(writer, RecordWriter)
    # Found registered in the first chunk and not asked about again; the subject made
    # provisional in the last chunk's transaction is not remembered (it could roll back).
    assert writer.registered == {E1, E2}
    found = await db.read(
        f"MATCH (r:{Label.RECORD} {{batchId: $batch}})-[:{Rel.HAS_SUBJECT}]->(e) "
        "RETURN e.uscc AS code, count(r) AS records, "
        "collect(DISTINCT e.provisionalRow) AS rows",
        {"batch": summary.batch_id},
    )
    by_code = {row["code"]: (row["records"], row["rows"]) for row in found}
    # The provisional subject's provenance is the row naming it (line 6, after the header).
    assert by_code == {E1: (2, []), E2: (2, []), FEED_SUBJECT: (1, [6])}


async def test_a_chunks_versions_are_read_before_its_transaction_and_again_if_another_load_won(
    db: Database, tmp_path: Path, sender: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk's lookups run while the chunk before is written, not inside its own
    transaction. If another load writes one of its keys in between, the chunk's write is
    refused by the version's uniqueness and runs again with its reads inside: the key gets a
    new version, nothing is lost and the load completes."""
    path = tmp_path / "penalties.csv"
    write_csv(
        path, PENALTY_HEADERS, list(generated_rows("penalty", 4, [E1, E2], year=2024)), "utf-8"
    )
    attempts: list[list[str]] = []  # the statements of each write transaction, in order

    def recording(tx: neo4j.AsyncManagedTransaction) -> neo4j.AsyncManagedTransaction:
        statements: list[str] = []
        attempts.append(statements)
        inner = quiet_transaction(tx)

        class Recording:
            async def run(self, query: Any, parameters: Any = None, **kw: Any) -> Any:
                statements.append(str(query))
                return await inner.run(query, parameters, **kw)

            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

        return Recording()  # type: ignore[return-value]

    monkeypatch.setattr(pipeline, "quiet_transaction", recording)
    read_ahead = RecordWriter.look_ahead
    intruder: list[str] = []

    async def look_ahead_then_another_load_writes(
        self: RecordWriter, db: Database, batch: list[Prepared]
    ) -> bool:
        looked = await read_ahead(self, db, batch)
        if not intruder:  # the first chunk's first key, as version 1 with other content
            first = batch[0].data
            props = {**first["props"], "contentHash": "another-load", "title": "另一次报送"}
            await _write(db, write_record_batch, [{**first, "props": props}], provider=sender)
            intruder.append(first["props"]["key"])
        return looked

    monkeypatch.setattr(RecordWriter, "look_ahead", look_ahead_then_another_load_writes)
    options = LoadOptions(today=date(2026, 11, 28), batch_size=2)
    summary = await load_file(db, path, sender, person_secret=b"s", options=options)

    assert (summary.new, summary.new_versions, summary.quarantined) == (3, 1, 0), summary.render()
    looks_up = [records_writer._CURRENT in t for t in attempts]
    # Chunk 1 refused (read ahead), chunk 1 again (reads inside), chunk 2 (read ahead).
    assert looks_up == [False, True, False], attempts
    [key] = intruder
    versions = await db.read(
        f"MATCH (r:{Label.RECORD} {{key: $key}}) "
        "RETURN r.version AS version, r.current AS current, r.title AS title "
        "ORDER BY version",
        {"key": key},
    )
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert versions[0]["title"] == "另一次报送"
