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

import httpx
import pytest

from graph.database import Database
from graph.lifecycle.base import Actor
from graph.model import ExchangeLevel, InspectionTaskStatus, RecordKind, Rel
from loaders.batches import list_quarantine
from loaders.demo_data import DEMO_REFERENCE
from loaders.exchange.inspections import import_inspection_results
from loaders.exchange.lists import import_list
from loaders.exchange.measures import ProvincialCatalogueError, import_provincial_measures
from loaders.exchange.sources import NATIONAL, PROVINCE
from loaders.pipeline import LoadOptions, LoadSummary, load_file, load_rows
from loaders.reference.files import read_measure_catalogue, read_organisations
from loaders.reference.organisations import import_organisations
from loaders.sample_exchange import EXCHANGE_SAMPLES, city_rows, write_exchange_samples
from loaders.sample_feeds import BIG_DATA, COURT, SAMR, TAX, sample_enterprise_codes, write_samples
from tests.fixtures import PERSON_SECRET, load_fixture_graph
from tests.graphql import query

TODAY = datetime.date(2026, 11, 28)
UPPER_SYSTEMS = DEMO_REFERENCE / "upper_systems.csv"
OPTIONS = LoadOptions(today=TODAY)

_ORGS = [
    {"code": SAMR[1], "name": SAMR[0], "shortName": "市市场监管局", "sector": "市场监管"},
    {"code": COURT[1], "name": COURT[0], "shortName": "市法院", "sector": "司法"},
    {"code": TAX[1], "name": TAX[0], "shortName": "市税务局", "sector": "税务"},
    {"code": BIG_DATA[1], "name": BIG_DATA[0], "shortName": "市政务服务和大数据管理办",
     "sector": "政务服务和大数据"},
]  # fmt: skip


@pytest.fixture(scope="module")
async def samples(db: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """Fresh samples; the city's departments, the upper systems and the sample enterprises
    registered; the city court's and regulator's own decisions sent; fixture graph restored."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await db.write(
        "UNWIND $rows AS row MERGE (d:Department {code: row.code}) SET d += row", {"rows": _ORGS}
    )
    # The upper systems and the authorities above the city, from their reference file.
    upper = await import_organisations(
        db, read_organisations(UPPER_SYSTEMS), actor=Actor("ADMIN", None, "test"), today=TODAY
    )
    assert upper.created == 5
    directory = tmp_path_factory.mktemp("exchange")
    write_samples(directory)
    write_exchange_samples(directory)
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
    # Rows 2-3 (the header is row 1) are new; row 4 is the regulator's own decision.
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


async def _city_measures(db: Database) -> None:
    """The city's catalogue as Measure nodes (codes and names of the demo catalogue)."""
    _, measures = read_measure_catalogue(DEMO_REFERENCE / "measures.toml")
    await db.write(
        "UNWIND $rows AS row MERGE (m:Measure {code: row.code}) SET m.name = row.name",
        {"rows": [{"code": m.code, "name": m.name} for m in measures]},
    )


async def test_the_provincial_catalogue_flags_city_measures_not_in_it(
    db: Database, samples: Path, client: httpx.AsyncClient
) -> None:
    await _city_measures(db)
    path = samples / EXCHANGE_SAMPLES["measures"]
    summary = await import_provincial_measures(db, path, today=TODAY)
    assert (summary.version, summary.status, summary.measures) == ("2026.2", "NEW", 13)
    assert [(n, f) for n, f, _ in summary.refused] == [(14, "name"), (15, "category")]
    assert [code for code, _ in summary.not_in_province] == ["M12", "M13"]
    assert "⚠ M12" in summary.render()
    flags = {
        r["code"]: (r["listed"], r["version"])
        for r in await db.read(
            "MATCH (m:Measure) RETURN m.code AS code, m.inProvincialCatalogue AS listed, "
            "m.provincialCatalogueVersion AS version"
        )
    }
    assert flags["M12"] == (False, "2026.2") and flags["M01"] == (True, "2026.2")
    assert sum(1 for listed, _ in flags.values() if not listed) == 2
    # The credit office sees the flag on the measures it manages.
    data = await query(
        client, "{ measures { code inProvincialCatalogue provincialCatalogueVersion } }"
    )
    shown = {m["code"]: m["inProvincialCatalogue"] for m in data["measures"]}
    assert shown["M12"] is False and shown["M01"] is True
    assert {m["provincialCatalogueVersion"] for m in data["measures"]} == {"2026.2"}

    before = await _shape(db)
    again = await import_provincial_measures(db, path, today=TODAY)
    assert (again.status, again.flags_changed) == ("UNCHANGED", 0)
    assert await _shape(db) == before

    # The same version with other content is refused; a new version supersedes the old.
    changed = samples / "province-measures-changed.toml"
    text = path.read_text(encoding="utf-8")
    changed.write_text(text.replace('name = "取消参加评优评先资格"', 'name = "取消评优"'), "utf-8")
    with pytest.raises(ProvincialCatalogueError):
        await import_provincial_measures(db, changed, today=TODAY)
    newer = samples / "province-measures-2027.toml"
    newer.write_text(
        text.replace('version = "2026.2"', 'version = "2027.1"')
        + '\n[[measure]]\ncode = "HA-30"\nname = "通过“信用舞钢”网站向社会公开曝光"\n'
        'category = "社会性惩戒"\n',
        "utf-8",
    )
    third = await import_provincial_measures(db, newer, today=TODAY)
    # M13 is now listed under the province's own code (matched by name).
    assert [code for code, _ in third.not_in_province] == ["M12"]
    [m13] = await db.read(
        "MATCH (m:Measure {code: 'M13'}) RETURN m.provincialCode AS code, "
        "m.provincialCatalogueVersion AS version"
    )
    assert m13 == {"code": "HA-30", "version": "2027.1"}
    [versions] = await db.read(
        "MATCH (c:ProvincialMeasureCatalogue) RETURN collect([c.version, c.current]) AS v"
    )
    assert sorted(versions["v"]) == [["2026.2", False], ["2027.1", True]]


async def test_internet_supervision_results_become_inspection_records(
    db: Database, samples: Path
) -> None:
    codes = sample_enterprise_codes()
    # The city's draw: SAMR's drawn task names the first sample enterprise (the graph shape
    # graph/supervision/tasks.py leaves after a draw), with no result yet.
    await db.write(
        "MATCH (e:Enterprise {uscc: $uscc}) "
        "CREATE (t:InspectionTask {id: 'SJ-2026-EX', department: $dept, status: $drawn, "
        "        title: '产品质量抽查', resultCount: 0, objectCount: 1}) "
        "CREATE (o:InspectionObject {taskId: 'SJ-2026-EX', uscc: $uscc, position: 1}) "
        "CREATE (o)-[:HAS_SUBJECT]->(e)",
        {"uscc": codes[0], "dept": SAMR[1], "drawn": InspectionTaskStatus.DRAWN.value},
    )
    path = samples / EXCHANGE_SAMPLES["inspections"]
    summary = await import_inspection_results(db, path, today=TODAY)
    assert (summary.rows_read, summary.new, summary.in_draws, summary.quarantined) == (6, 2, 1, 4)
    rows = await list_quarantine(db, summary.batch_id)
    problems = {r.row_number: {(p.field, p.code) for p in r.problems} for r in rows}
    assert problems == {
        3: {("outcome", "INVALID_CHOICE")},
        4: {("department", "DECIDER_NOT_REGISTERED")},
        5: {("inspectedOn", "FUTURE_DATE")},
        6: {("uscc", "REQUIRED")},
    }
    records = await db.read(
        "MATCH (r:Record {kind: $kind})-[:HAS_SUBJECT]->(e:Enterprise) "
        "MATCH (r)-[:PROVIDED_BY]->(d) "
        "OPTIONAL MATCH (o:InspectionObject)-[:RESULTED_IN]->(r) "
        "RETURN e.uscc AS uscc, d.code AS provider, r.provenance AS provenance, "
        "r.externalId AS external, r.outcome AS outcome, o.taskId AS task ORDER BY uscc",
        {"kind": RecordKind.INSPECTION.value},
    )
    assert [(r["uscc"], r["provider"], r["task"], r["outcome"]) for r in records] == sorted(
        [
            (codes[0], SAMR[1], "SJ-2026-EX", "NO_PROBLEM"),
            (codes[1], TAX[1], None, "RECTIFICATION_ORDERED"),
        ]
    )
    assert {(r["provenance"], r["external"][:9]) for r in records} == {
        (ExchangeLevel.PROVINCE.value, "HNJG-2026")
    }
    [task] = await db.read(
        "MATCH (t:InspectionTask {id: 'SJ-2026-EX'}) "
        "MATCH (o:InspectionObject {taskId: t.id}) "
        "RETURN t.status AS status, t.resultCount AS count, o.outcome AS outcome"
    )
    assert task == {
        "status": InspectionTaskStatus.COMPLETED.value, "count": 1, "outcome": "NO_PROBLEM"
    }  # fmt: skip

    before = await _shape(db)
    again = await import_inspection_results(db, path, today=TODAY)
    assert (again.new, again.linked, again.unchanged, again.quarantined) == (0, 0, 2, 4)
    assert await _shape(db) == before
