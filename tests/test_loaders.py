"""Department feeds: validated, quarantined, idempotent, versioned (归集共享, 应归尽归).

Every test here loads real files into the real Neo4j. The module adds the demo city's market
regulator and court (the senders of the sample feeds) to the fixture graph and puts the fixture
graph back afterwards, so the other modules never see what was loaded here.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database
from graph.workdays import mainland_calendar, publish_by
from loaders.batches import export_quarantine_csv, get_batch, list_quarantine
from loaders.collection import NotInCatalogue, load_collection_catalogue
from loaders.pipeline import LoadOptions, LoadSummary, load_file, load_rows
from loaders.sample_feeds import (
    COURT,
    LICENCE_HEADERS,
    PENALTY_HEADERS,
    SAMR,
    sample_enterprise_codes,
    write_csv,
    write_samples,
)
from loaders.sources import FeedFileError
from loaders.validation import MissingColumns
from loaders.writers.records import RecordWriter
from tests.fixtures import PERSON_SECRET, TAX, load_fixture_graph

TODAY = datetime.date(2026, 11, 28)
OPTIONS = LoadOptions(today=TODAY)
SAMR_CODE = SAMR[1]
COURT_CODE = COURT[1]
CODES = sample_enterprise_codes()


@pytest.fixture(scope="module")
async def feeds(db: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """The sample feeds written fresh, their senders in the graph; the fixture graph restored."""
    await db.write(
        "UNWIND $rows AS row MERGE (d:Department {code: row.code}) SET d += row",
        {
            "rows": [
                {
                    "code": SAMR_CODE,
                    "name": SAMR[0],
                    "shortName": "市市场监管局",
                    "sector": "市场监管",
                },
                {"code": COURT_CODE, "name": COURT[0], "shortName": "市法院", "sector": "司法"},
            ]
        },
    )
    directory = tmp_path_factory.mktemp("feeds")
    write_samples(directory)
    yield directory
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def load(db: Database, path: Path, supplier: str = SAMR_CODE, **kw: Any) -> LoadSummary:
    return await load_file(db, path, supplier, person_secret=PERSON_SECRET, options=OPTIONS, **kw)


async def registered(db: Database, feeds: Path) -> None:
    await load(db, feeds / "registration-gbk.csv")


async def quarantine_codes(db: Database, summary: LoadSummary) -> dict[int, list[str]]:
    rows = await list_quarantine(db, summary.batch_id)
    return {row.row_number: [p.code for p in row.problems] for row in rows}


async def graph_counts(db: Database) -> dict[str, int]:
    rows = await db.read(
        "MATCH (n) WHERE n:Record OR n:Enterprise OR n:Person OR n:QuarantinedRow "
        "OR n:EnterpriseRevision RETURN labels(n)[0] AS label, count(*) AS n"
    )
    return {row["label"]: row["n"] for row in rows}


# -- formats, encodings and the quarantine ----------------------------------------------------


async def test_a_gbk_registration_feed_with_chinese_headers_loads_and_quarantines_bad_rows(
    db: Database, feeds: Path
) -> None:
    summary = await load(db, feeds / "registration-gbk.csv")
    assert (summary.kind, summary.rows_read, summary.new, summary.quarantined) == (
        "registration",
        10,
        6,
        4,
    )
    codes = await quarantine_codes(db, summary)
    assert codes == {
        8: ["USCC_CHECK_CHAR"],
        9: ["REQUIRED"],
        10: ["REQUIRED"],
        11: ["DATE_INVALID"],
    }
    [rep] = await db.read(
        "MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e:Enterprise {uscc: $u}) "
        "RETURN p.name AS name, e.name AS enterprise, e.version AS version",
        {"u": CODES[0]},
    )
    assert rep == {"name": "王建国", "enterprise": "舞钢市豫兴特钢制品有限公司", "version": 1}


async def test_every_problem_of_a_row_is_reported_with_row_field_and_reason(
    db: Database, feeds: Path
) -> None:
    summary = await load(db, feeds / "registration-gbk.csv")
    rows = {row.row_number: row for row in await list_quarantine(db, summary.batch_id)}
    [problem] = rows[10].problems
    assert problem.field == "legalRepresentativeId"
    assert "证件号码" in problem.reason
    assert rows[8].cells["企业名称"] == "舞钢市错码示例有限公司", "cells are kept as sent"


async def test_loading_the_same_file_twice_changes_nothing(db: Database, feeds: Path) -> None:
    await registered(db, feeds)
    before = await graph_counts(db)
    again = await load(db, feeds / "registration-gbk.csv")
    assert (again.new, again.new_versions, again.unchanged) == (0, 0, 6)
    assert again.quarantined == 4, "the summary still reports the refused rows"
    assert await graph_counts(db) == before, "no node is added, quarantine included"


async def test_penalties_check_dates_enumerations_amounts_and_subjects(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    summary = await load(db, feeds / "penalties-gbk.csv")
    assert (summary.new, summary.quarantined) == (5, 6)
    codes = await quarantine_codes(db, summary)
    assert codes == {
        7: ["DATE_IN_FUTURE"],
        8: ["REQUIRED"],
        9: ["NOT_IN_LIST"],
        10: ["SUBJECT_NOT_REGISTERED"],
        11: ["FORMULA"],
        12: ["DUPLICATE_KEY"],
    }
    assert summary.quarantined_by_reason["DATE_IN_FUTURE"] == 1


async def test_a_person_subject_is_keyed_by_the_hash_of_the_id_never_the_id(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    await load(db, feeds / "penalties-gbk.csv")
    [row] = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监罚〔2026〕120号'})-[:HAS_SUBJECT]->(p:Person) "
        "RETURN p.key AS key, r.subjectCode AS code, p.nameMasked AS masked"
    )
    assert row["key"].startswith("P") and row["code"] is None
    assert row["masked"].endswith("*")


async def test_xlsx_licences_refuse_formulas_and_unordered_validity(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    summary = await load(db, feeds / "licences.xlsx")
    assert (summary.kind, summary.new) == ("license", 6)
    assert await quarantine_codes(db, summary) == {
        8: ["DATE_ORDER"],
        9: ["NOT_IN_LIST"],
        10: ["FORMULA"],
    }


async def test_json_lines_with_english_names_from_the_court(db: Database, feeds: Path) -> None:
    await registered(db, feeds)
    summary = await load(db, feeds / "judgments.jsonl", COURT_CODE, kind="judgment")
    assert summary.new == 3
    codes = await quarantine_codes(db, summary)
    assert codes[4] == ["ROW_SHAPE"], "a broken JSON line is kept, not dropped"
    assert sorted(codes[5]) == ["REQUIRED", "REQUIRED"], "no content, no document number"


async def test_a_wrongly_declared_encoding_is_refused_before_anything_loads(
    db: Database, feeds: Path
) -> None:
    with pytest.raises(FeedFileError, match="utf-8") as raised:
        await load(db, feeds / "penalties-gbk.csv", encoding="utf-8")
    assert "第1行" in str(raised.value), "the message names where the file stops decoding"


async def test_gb18030_is_detected_without_being_told(
    tmp_path: Path, db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    path = tmp_path / "gb18030.csv"
    write_csv(path, LICENCE_HEADERS, [_licence_row("舞市监许〔2026〕901号")], "gb18030")
    summary = await load(db, path)
    assert (summary.new, summary.quarantined) == (1, 0)
    info = await get_batch(db, summary.batch_id)
    assert info is not None and info.file_name == "gb18030.csv"


async def test_a_header_without_required_columns_refuses_the_file(
    tmp_path: Path, db: Database
) -> None:
    path = tmp_path / "short.csv"
    write_csv(path, ["统一社会信用代码", "企业名称"], [[CODES[0], "x"]], "utf-8")
    with pytest.raises(MissingColumns, match="登记状态"):
        await load(db, path, kind="registration")


async def test_a_truncated_file_loads_the_whole_rows_and_quarantines_the_cut_one(
    tmp_path: Path, db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    path = tmp_path / "cut.csv"
    write_csv(
        path,
        LICENCE_HEADERS,
        [_licence_row("舞市监许〔2026〕911号"), _licence_row("舞市监许〔2026〕912号")],
        "utf-8",
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) - 60], encoding="utf-8")
    summary = await load(db, path)
    assert (summary.new, summary.quarantined) == (1, 1)
    assert await quarantine_codes(db, summary) == {3: ["ROW_SHAPE"]}


async def test_the_quarantine_exports_for_excel_without_running_formulas(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    summary = await load(db, feeds / "penalties-gbk.csv")
    info = await get_batch(db, summary.batch_id)
    assert info is not None
    exported = export_quarantine_csv(info, await list_quarantine(db, summary.batch_id))
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][:4] == ["行号", "问题字段", "原因代码", "原因"]
    formula = next(r for r in rows if r[2] == "FORMULA")
    assert formula[0] == "11" and formula[1] == "违法事实"
    assert any(cell.startswith("'=HYPERLINK") for cell in formula), "escaped, kept, not run"


# -- the collection catalogue -----------------------------------------------------------------


async def test_a_department_not_listed_for_a_feed_kind_is_refused(
    db: Database, feeds: Path
) -> None:
    batches_before = await db.read("MATCH (b:Batch) RETURN count(b) AS n")
    with pytest.raises(NotInCatalogue, match="市场主体登记"):
        await load(db, feeds / "registration-gbk.csv", COURT_CODE)
    assert await db.read("MATCH (b:Batch) RETURN count(b) AS n") == batches_before


async def test_a_department_sends_only_its_own_decisions(db: Database, feeds: Path) -> None:
    await registered(db, feeds)
    row = _licence_row("舞市监许〔2026〕921号", authority=("国家税务总局舞钢市税务局", TAX))
    summary = await load_rows(
        db, [dict(zip(LICENCE_HEADERS, row, strict=True))], SAMR_CODE, "license",
        person_secret=PERSON_SECRET, options=OPTIONS,
    )  # fmt: skip
    assert await quarantine_codes(db, summary) == {1: ["NOT_OWN_DECISION"]}


async def test_catalogue_field_lists_limit_the_columns_a_supplier_fills(
    tmp_path: Path, db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    narrow = tmp_path / "catalogue.toml"
    narrow.write_text(
        '[[supply]]\nkind = "license"\nfrom = ["DEPARTMENT:市场监管"]\n'
        'fields = ["licenceNumber"]\n',
        encoding="utf-8",
    )
    options = LoadOptions(today=TODAY, catalogue=load_collection_catalogue(narrow))
    row = dict(zip(LICENCE_HEADERS, _licence_row("舞市监许〔2026〕931号"), strict=True))
    summary = await load_rows(
        db, [row], SAMR_CODE, "license", person_secret=PERSON_SECRET, options=options
    )
    codes = await quarantine_codes(db, summary)
    assert "FIELD_NOT_IN_CATALOGUE" in codes[1]


# -- versions, provenance, publication --------------------------------------------------------


async def test_a_changed_row_is_a_new_version_and_the_old_one_is_kept(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    first = _licence_row("舞市监许〔2026〕941号")
    changed = list(first)
    changed[LICENCE_HEADERS.index("许可内容")] = "预包装食品销售(含冷藏冷冻食品)"

    def as_row(row: list[Any]) -> dict[str, Any]:
        return dict(zip(LICENCE_HEADERS, row, strict=True))

    one = await load_rows(
        db, [as_row(first)], SAMR_CODE, "license", person_secret=PERSON_SECRET, options=OPTIONS
    )
    two = await load_rows(
        db, [as_row(changed)], SAMR_CODE, "license", person_secret=PERSON_SECRET, options=OPTIONS
    )
    assert (one.new, two.new_versions) == (1, 1)
    versions = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监许〔2026〕941号'}) "
        "OPTIONAL MATCH (r)-[:SUPERSEDES]->(old) "
        "RETURN r.version AS v, r.current AS current, r.status AS status, r.content AS content, "
        "old.version AS supersedes, r.batchId AS batch, r.firstPublishedOn AS first "
        "ORDER BY v"
    )
    assert [(v["v"], v["current"], v["status"], v["supersedes"]) for v in versions] == [
        (1, False, "SUPERSEDED", None),
        (2, True, "EFFECTIVE", 1),
    ]
    assert versions[0]["content"] == "预包装食品销售", "the old content is kept as it was"
    assert [v["batch"] for v in versions] == [one.batch_id, two.batch_id], "provenance per version"
    assert versions[0]["first"] == versions[1]["first"], "first publication survives corrections"


async def test_every_record_traces_back_to_its_batch(db: Database, feeds: Path) -> None:
    await registered(db, feeds)
    summary = await load(db, feeds / "licences.xlsx")
    [row] = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监许〔2026〕201号', current: true}) "
        "MATCH (b:Batch {id: r.batchId}) "
        "RETURN r.sourceRow AS row, b.fileName AS file, b.contentHash AS hash, "
        "b.supplier AS supplier, b.loaderVersion AS loader, b.status AS status"
    )
    assert row["row"] == 2 and row["file"] == "licences.xlsx" and row["supplier"] == SAMR_CODE
    assert len(row["hash"]) == 64 and row["loader"] and row["status"] == "COMPLETED"
    assert summary.batch_id.startswith("license-")


async def test_publish_by_is_seven_working_days_after_the_decision(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    await load(db, feeds / "penalties-gbk.csv")
    [row] = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监罚〔2026〕101号', current: true}) "
        "RETURN r.decisionDate AS decided, r.publishBy AS by, r.publishUntil AS until"
    )
    decided = row["decided"].to_native()
    assert decided == datetime.date(2026, 3, 10)  # a Tuesday in a month without holidays
    assert row["by"].to_native() == datetime.date(2026, 3, 19)
    assert row["by"].to_native() == publish_by(decided, mainland_calendar())
    assert row["until"].to_native() == datetime.date(2027, 3, 10), "一般: one year"


async def test_a_registration_change_keeps_the_previous_registration(
    db: Database, feeds: Path, tmp_path: Path
) -> None:
    await registered(db, feeds)
    source = (feeds / "registration-gbk.csv").read_text(encoding="gbk")
    renamed = source.replace("舞钢市豫兴特钢制品有限公司", "舞钢市豫兴特钢集团有限公司")
    path = tmp_path / "registration-change.csv"
    path.write_text(renamed, encoding="gbk")
    summary = await load(db, path)
    assert (summary.new_versions, summary.unchanged) == (1, 5)
    [row] = await db.read(
        "MATCH (e:Enterprise {uscc: $u})-[:PREVIOUS_REVISION]->(rev) "
        "RETURN e.name AS name, e.version AS version, rev.name AS before, rev.version AS was",
        {"u": CODES[0]},
    )
    assert row == {
        "name": "舞钢市豫兴特钢集团有限公司",
        "version": 2,
        "before": "舞钢市豫兴特钢制品有限公司",
        "was": 1,
    }


# -- interrupted loads ------------------------------------------------------------------------


async def test_an_interrupted_load_leaves_whole_chunks_and_a_rerun_completes_it(
    db: Database, feeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await registered(db, feeds)
    rows = [_licence_row(f"舞市监许〔2026〕{1000 + n}号") for n in range(7)]
    path = tmp_path / "interrupted.csv"
    write_csv(path, LICENCE_HEADERS, rows, "utf-8")
    original = RecordWriter.write
    calls = 0

    async def failing(self: RecordWriter, tx: Any, batch: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            # Written inside the transaction, then the connection "drops": nothing may remain.
            await original(self, tx, batch)
            raise ConnectionResetError("Neo4j went away mid-load")
        return await original(self, tx, batch)

    monkeypatch.setattr(RecordWriter, "write", failing)
    options = LoadOptions(today=TODAY, batch_size=3)
    with pytest.raises(ConnectionResetError):
        await load_file(db, path, SAMR_CODE, person_secret=PERSON_SECRET, options=options)
    loaded = await db.read(
        "MATCH (r:Record) WHERE r.documentNumber STARTS WITH '舞市监许〔2026〕10' "
        "RETURN count(r) AS n"
    )
    assert loaded == [{"n": 3}], "the first chunk only: the failed one left nothing"
    monkeypatch.setattr(RecordWriter, "write", original)
    rerun = await load_file(db, path, SAMR_CODE, person_secret=PERSON_SECRET, options=options)
    assert (rerun.new, rerun.unchanged) == (4, 3)
    again = await db.read(
        "MATCH (r:Record) WHERE r.documentNumber STARTS WITH '舞市监许〔2026〕10' "
        "RETURN count(r) AS n"
    )
    assert again == [{"n": 7}]
    info = await get_batch(db, rerun.batch_id)
    assert info is not None and info.status == "COMPLETED"


def _licence_row(number: str, authority: tuple[str, str] = SAMR) -> list[Any]:
    name, code = authority
    return [
        "舞钢市豫兴特钢制品有限公司", "法人及非法人组织", CODES[0], "王建国", "食品经营许可决定书",
        number, "普通", "食品经营许可证", "JY0001", "预包装食品销售", "2026-03-10", "2026-03-10",
        "2031-03-09", "有效", name, code, name, code,
    ]  # fmt: skip


def test_penalty_headers_are_the_national_format() -> None:
    assert "行政处罚决定书文号" in PENALTY_HEADERS and "罚款金额(万元)" in PENALTY_HEADERS
