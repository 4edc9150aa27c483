"""What comes down from the provincial and national systems (issue 17), against the real Neo4j.

A province-issued list file naming the city's subjects loads as list entries and records with
the provenance 省级下发 on the batch and the nodes; a row repeating a decision a city department
already sent (same subject, same 文号/案号) is linked to the city's node, not written again;
bad rows are quarantined with their row, field and reason; a second load changes nothing.
The provincial measures catalogue flags a city measure that is not in it, and “互联网+监管”
results become INSPECTION records (the same file twice changes nothing).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database
from graph.model import ExchangeLevel, Rel
from loaders.batches import list_quarantine
from loaders.exchange.lists import import_list
from loaders.exchange.samples import EXCHANGE_SAMPLES, city_rows
from loaders.exchange.sources import NATIONAL, PROVINCE
from loaders.pipeline import LoadOptions, LoadSummary, load_file, load_rows
from loaders.sample_feeds import BIG_DATA, COURT, SAMR, TAX, sample_enterprise_codes, write_samples
from tests.fixtures import PERSON_SECRET, load_fixture_graph

TODAY = datetime.date(2026, 11, 28)
OPTIONS = LoadOptions(today=TODAY)

_ORGS = [
    {"code": SAMR[1], "name": SAMR[0], "shortName": "市市场监管局", "sector": "市场监管"},
    {"code": COURT[1], "name": COURT[0], "shortName": "市法院", "sector": "司法"},
    {"code": TAX[1], "name": TAX[0], "shortName": "市税务局", "sector": "税务"},
    {"code": BIG_DATA[1], "name": BIG_DATA[0], "shortName": "市政务服务和大数据管理办",
     "sector": "政务服务和大数据"},
    {"code": PROVINCE.code, "name": "河南省发展和改革委员会", "shortName": "信用河南",
     "sector": "上级信用平台"},
    {"code": NATIONAL.code, "name": "国家发展和改革委员会", "shortName": "信用中国",
     "sector": "上级信用平台"},
    {"code": "11410400005700049G", "name": "平顶山市中级人民法院", "shortName": "平顶山中院",
     "sector": "上级机关"},
    {"code": "11410000005700057N", "name": "国家税务总局河南省税务局",
     "shortName": "河南省税务局", "sector": "上级机关"},
]  # fmt: skip


@pytest.fixture(scope="module")
async def samples(db: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """Fresh samples; the city's departments, the upper systems and the sample enterprises
    registered; the city court's and regulator's own decisions sent; fixture graph restored."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await db.write(
        "UNWIND $rows AS row MERGE (d:Department {code: row.code}) SET d += row", {"rows": _ORGS}
    )
    directory = tmp_path_factory.mktemp("exchange")
    write_samples(directory)
    registered = await load_file(
        db, directory / "registration-gbk.csv", SAMR[1], person_secret=PERSON_SECRET,
        options=OPTIONS,
    )  # fmt: skip
    assert registered.new >= 6
    debtor, entry = city_rows()
    court = await load_rows(
        db, [debtor], COURT[1], "enforcement", person_secret=PERSON_SECRET, options=OPTIONS
    )
    listed = await load_rows(
        db, [entry], SAMR[1], "list_decision", person_secret=PERSON_SECRET, options=OPTIONS
    )
    assert (court.new, listed.new, court.quarantined, listed.quarantined) == (1, 1, 0, 0)
    yield directory
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _import(db: Database, source: str, path: Path) -> LoadSummary:
    return await import_list(db, source, path, person_secret=PERSON_SECRET, options=OPTIONS)


async def _problems(db: Database, summary: LoadSummary) -> dict[int, set[tuple[str, str]]]:
    rows = await list_quarantine(db, summary.batch_id)
    return {r.row_number: {(p.field, p.code) for p in r.problems} for r in rows}


async def _shape(db: Database) -> dict[str, Any]:
    """Every node and relationship count by label/type: what 'changes nothing' compares."""
    [row] = await db.read(
        "CALL () { MATCH (n) UNWIND labels(n) AS l RETURN collect(l) AS labels } "
        "CALL () { MATCH ()-[r]->() RETURN collect(type(r)) AS types } "
        "RETURN labels, types"
    )
    count: dict[str, int] = {}
    for name in row["labels"] + row["types"]:
        count[name] = count.get(name, 0) + 1
    return count


async def test_province_list_file_loads_as_list_entries_with_provenance(
    db: Database, samples: Path
) -> None:
    summary = await _import(db, "province", samples / EXCHANGE_SAMPLES["lists"])
    # Rows 2-3 (重大税收违法失信主体, 红名单; the header is row 1) are new, row 4 is the regulator's own decision.
    assert (summary.rows_read, summary.new, summary.linked) == (6, 2, 1)
    assert summary.quarantined == 3
    problems = await _problems(db, summary)
    assert problems[5] == {("subjectUscc", "SUBJECT_NOT_REGISTERED")}  # outside the city
    assert ("removalConditions", "REQUIRED") in problems[6]
    assert ("documentNumber", "REQUIRED") in problems[7]
    assert "已关联 (linked)     1" in summary.render()

    entries = await db.read(
        "MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e:Enterprise) WHERE l.provenance IS NOT NULL "
        "RETURN l.listName AS name, l.provenance AS provenance, l.exchangeSource AS source, "
        "l.batchId AS batch, e.uscc AS uscc ORDER BY name"
    )
    codes = sample_enterprise_codes()
    assert [(e["name"], e["uscc"]) for e in entries] == [
        ("河南省诚信示范企业", codes[3]),
        ("重大税收违法失信主体", codes[0]),
    ]
    assert {(e["provenance"], e["source"], e["batch"]) for e in entries} == {
        (ExchangeLevel.PROVINCE.value, "province", summary.batch_id)
    }
    [batch] = await db.read(
        "MATCH (b:Batch {id: $id}) RETURN b.provenance AS level, b.exchangeSource AS source, "
        "b.supplier AS supplier, b.linked AS linked",
        {"id": summary.batch_id},
    )
    assert batch == {
        "level": ExchangeLevel.PROVINCE.value, "source": "province",
        "supplier": PROVINCE.code, "linked": 1,
    }  # fmt: skip


async def test_a_row_repeating_a_city_decision_is_linked_not_duplicated(
    db: Database, samples: Path
) -> None:
    await _import(db, "province", samples / EXCHANGE_SAMPLES["lists"])
    _, entry = city_rows()
    rows = await db.read(
        "MATCH (l:ListEntry {decisionNumber: $number}) "
        f"OPTIONAL MATCH (l)-[r:{Rel.ALSO_SENT_BY}]->(o) "
        "RETURN l.provenance AS provenance, l.batchId AS batch, l.version AS version, "
        "collect(o.code) AS systems, collect(r.provenance) AS levels",
        {"number": entry["认定文书号"]},
    )
    # One entry, still the regulator's own (its batch, no provenance, version 1), linked once.
    assert len(rows) == 1
    [row] = rows
    assert row["provenance"] is None and row["version"] == 1
    assert not str(row["batch"]).startswith("list_decision-" + PROVINCE.code)
    assert row["systems"] == [PROVINCE.code] and row["levels"] == [ExchangeLevel.PROVINCE.value]


async def test_second_load_of_the_same_list_file_changes_nothing(
    db: Database, samples: Path
) -> None:
    path = samples / EXCHANGE_SAMPLES["lists"]
    first = await _import(db, "province", path)
    before = await _shape(db)
    again = await _import(db, "province", path)
    assert again.batch_id == first.batch_id
    assert (again.new, again.new_versions, again.linked) == (0, 0, 0)
    assert again.unchanged == 3 and again.quarantined == 3
    assert await _shape(db) == before


async def test_debtors_relayed_by_the_province_become_records_linked_to_the_court(
    db: Database, samples: Path
) -> None:
    path = samples / EXCHANGE_SAMPLES["debtors"]
    summary = await _import(db, "province", path)
    assert (summary.rows_read, summary.new, summary.linked, summary.quarantined) == (7, 2, 1, 4)
    problems = await _problems(db, summary)
    assert {f for f, _ in problems[5]} == {"subjectIdentifier"}  # mistyped check character
    assert ("issuingAuthority", "DECIDER_NOT_REGISTERED") in problems[6]  # court not registered
    assert ("documentNumber", "REQUIRED") in problems[7]
    assert {f for f, _ in problems[8]} == {"decisionDate"}  # published in the future
    records = await db.read(
        "MATCH (r:Record {kind: 'ENFORCEMENT', current: true})-[:DECIDED_BY]->(d) "
        f"OPTIONAL MATCH (r)-[:{Rel.ALSO_SENT_BY}]->(o) "
        "RETURN r.documentNumber AS number, r.provenance AS provenance, d.code AS decider, "
        "collect(o.code) AS linked ORDER BY number"
    )
    debtor, _ = city_rows()
    by_number = {r["number"]: r for r in records}
    assert len(records) == 3  # the court's own and the two relayed ones
    assert by_number[debtor["案号"]]["provenance"] is None
    assert by_number[debtor["案号"]]["linked"] == [PROVINCE.code]
    relayed = [r for r in records if r["number"] != debtor["案号"]]
    assert {(r["provenance"], r["decider"]) for r in relayed} == {
        (ExchangeLevel.PROVINCE.value, "11410400005700049G")
    }
    before = await _shape(db)
    again = await _import(db, "province", path)
    assert (again.new, again.new_versions, again.linked, again.unchanged) == (0, 0, 0, 3)
    assert await _shape(db) == before


async def test_the_national_copy_of_a_provincial_decision_is_linked_too(
    db: Database, samples: Path
) -> None:
    path = samples / EXCHANGE_SAMPLES["lists"]
    await _import(db, "province", path)
    national = await _import(db, "national", path)
    # The same decisions again from the national platform: all linked, nothing new.
    assert (national.new, national.linked, national.quarantined) == (0, 3, 3)
    [row] = await db.read(
        f"MATCH (l:ListEntry {{listName: '重大税收违法失信主体'}})-[:{Rel.ALSO_SENT_BY}]->(o) "
        "RETURN l.provenance AS provenance, collect(o.code) AS systems"
    )
    assert row == {"provenance": ExchangeLevel.PROVINCE.value, "systems": [NATIONAL.code]}
