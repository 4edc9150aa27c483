"""Department feeds: validated, quarantined, idempotent, versioned (归集共享, 应归尽归).

Every test here loads real files into the real Neo4j. The module adds the demo city's market
regulator and court (the senders of the sample feeds) to the fixture graph and puts the fixture
graph back afterwards, so the other modules never see what was loaded here.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from graph.workdays import mainland_calendar, publish_by
from loaders.batches import export_quarantine_csv, get_batch, list_quarantine
from loaders.collection import NotInCatalogue, load_collection_catalogue, load_uscc_overrides
from loaders.pipeline import LoadOptions, LoadSummary, load_file, load_rows
from loaders.sample_feeds import (
    COURT,
    LICENCE_HEADERS,
    PENALTY_HEADERS,
    SAMPLE_ENTERPRISES,
    SAMR,
    sample_enterprise_codes,
    write_csv,
    write_samples,
)
from loaders.sources import FeedFileError, open_feed
from loaders.timeliness import publication_timeliness
from loaders.timeliness import render as render_timeliness
from loaders.uscc_report import render as render_uscc_report
from loaders.uscc_report import uscc_report
from loaders.validation import MissingColumns
from loaders.writers.records import RecordWriter
from tests.fixtures import A1, PERSON_SECRET, TAX, load_fixture_graph
from tests.processes import hub_env

TODAY = datetime.date(2026, 11, 28)
OPTIONS = LoadOptions(today=TODAY)
SAMR_CODE = SAMR[1]
COURT_CODE = COURT[1]
CODES = sample_enterprise_codes()
CALENDAR = mainland_calendar()
SAMPLE_NAMES = [name for name, *_ in SAMPLE_ENTERPRISES]


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
    assert (summary.new, summary.quarantined) == (6, 5)
    codes = await quarantine_codes(db, summary)
    assert codes == {
        7: ["DATE_IN_FUTURE"],
        8: ["REQUIRED"],
        9: ["NOT_IN_LIST"],
        11: ["FORMULA"],
        12: ["DUPLICATE_KEY"],
    }
    assert summary.quarantined_by_reason["DATE_IN_FUTURE"] == 1
    # 应归尽归: a valid code the registry has not sent yet is a provisional subject (待登记核实).
    [subject] = await db.read(
        "MATCH (:Record {documentNumber: '舞市监罚〔2026〕133号'})-[:HAS_SUBJECT]->(e:Enterprise) "
        "RETURN e.provisional AS provisional, e.name AS name"
    )
    assert subject == {"provisional": True, "name": "舞钢市未登记示例有限公司"}


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


# -- governance reports -----------------------------------------------------------------------


async def test_the_uscc_report_finds_erroneous_and_duplicate_codes(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    other_name = dict(zip(LICENCE_HEADERS, _licence_row("舞市监许〔2026〕951号"), strict=True))
    other_name["行政相对人名称"] = "舞钢市另一家公司"  # the registered name of CODES[0] differs
    await load_rows(
        db, [other_name], SAMR_CODE, "license", person_secret=PERSON_SECRET, options=OPTIONS
    )
    individual = make_uscc("91", WUGANG_REGION, "MA7TMP50")
    await load_rows(
        db,
        [{"统一社会信用代码": individual, "企业名称": "舞钢市某某烧烤店",
          "市场主体类型": "个体工商户", "登记状态": "存续"}],
        SAMR_CODE, "registration", person_secret=PERSON_SECRET, options=OPTIONS,
    )  # fmt: skip
    report = await uscc_report(db)
    kinds = {(p.code, p.kind) for p in report.problems}
    bad_check = CODES[0][:17] + ("0" if CODES[0][17] != "0" else "1")
    assert (bad_check, "ERRONEOUS") in kinds, "refused at the gate, counted from quarantine"
    assert (CODES[0], "DUPLICATE") in kinds, "one code, two entity names"
    assert (individual, "ERRONEOUS") in kinds, "个体工商户 must carry category 92"
    assert report.rate == report.problem_codes / report.codes_seen
    assert not report.meets_target and "未达标" in render_uscc_report(report)


async def test_the_timeliness_report_counts_working_days_per_department(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    await load(db, feeds / "penalties-gbk.csv")  # decided in March-May, loaded 2026-11-28
    on_time = dict(zip(LICENCE_HEADERS, _licence_row("舞市监许〔2026〕961号"), strict=True))
    on_time.update({"许可决定日期": "2026-11-20", "有效期自": "2026-11-20"})
    await load_rows(
        db, [on_time], SAMR_CODE, "license", person_secret=PERSON_SECRET, options=OPTIONS
    )
    [market] = await publication_timeliness(
        db, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), department=SAMR_CODE
    )
    late = {item.document_number: item for item in market.late}
    assert "舞市监许〔2026〕961号" not in late, "2026-11-20 + 7 working days is 2026-12-01"
    march = late["舞市监罚〔2026〕101号"]
    assert march.publish_by == datetime.date(2026, 3, 19)
    assert march.working_days_late == CALENDAR.working_days_between(march.publish_by, TODAY)
    assert market.on_time >= 1 and 0 < market.on_time_share < 1
    assert "逾期" in render_timeliness([market], datetime.date(2026, 1, 1), TODAY)


async def test_a_reviewed_override_is_accepted_and_still_reported(
    db: Database, feeds: Path, tmp_path: Path
) -> None:
    good = make_uscc("91", WUGANG_REGION, "MA7TMP60")
    old_code = good[:17] + ("0" if good[17] != "0" else "1")
    overrides = tmp_path / "overrides.toml"
    overrides.write_text(
        f'[[override]]\ncode = "{old_code}"\nreason = "营业执照原件已核对"\n'
        'reviewed_by = "市发改委信用科"\nreviewed_on = 2026-11-01\n',
        encoding="utf-8",
    )
    options = LoadOptions(today=TODAY, uscc_overrides=load_uscc_overrides(overrides))
    row = {"统一社会信用代码": old_code, "企业名称": "舞钢市老码示例有限公司", "登记状态": "存续"}
    summary = await load_rows(
        db, [row], SAMR_CODE, "registration", person_secret=PERSON_SECRET, options=options
    )
    assert (summary.new, summary.quarantined) == (1, 0)
    report = await uscc_report(db)
    assert (old_code, "ERRONEOUS") in {(p.code, p.kind) for p in report.problems}
    overrides.write_text(f'[[override]]\ncode = "{old_code}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="reason"):
        load_uscc_overrides(overrides)


async def test_the_load_command_summarises_and_exits_2_when_rows_were_quarantined(
    db: Database, feeds: Path, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path, CREDITHUB_PERSON_KEY_SECRET=PERSON_SECRET.decode())
    command = [sys.executable, "-m", "hub.cli", "load", str(feeds / "registration-gbk.csv")]
    process = await asyncio.create_subprocess_exec(
        *command, "--department", SAMR_CODE, "--today", "2026-11-28",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 2, err.decode()
    text = out.decode()
    assert "隔离 (quarantined)  4" in text and "USCC_CHECK_CHAR" in text
    assert "credithub quarantine export registration-" in err.decode()


# -- relations and list decisions -------------------------------------------------------------


async def submit(
    db: Database, kind: str, rows: list[dict[str, Any]], supplier: str = SAMR_CODE
) -> LoadSummary:
    return await load_rows(db, rows, supplier, kind, person_secret=PERSON_SECRET, options=OPTIONS)


async def test_principals_are_keyed_by_person_and_role_and_keep_earlier_titles(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    name, id_number = "周八", make_resident_id(WUGANG_REGION, datetime.date(1980, 5, 6), 21)
    row = {"统一社会信用代码": CODES[0], "姓名": name, "证件号码": id_number,
           "人员类别": "主要负责人", "职务": "总经理"}  # fmt: skip
    first = await submit(db, "principal", [row])
    again = await submit(db, "principal", [row])
    promoted = await submit(db, "principal", [{**row, "职务": "董事长"}])
    assert (first.new, again.unchanged, promoted.new_versions) == (1, 1, 1)
    [rel] = await db.read(
        "MATCH (p:Person)-[r:PRINCIPAL_OF]->(:Enterprise {uscc: $u}) WHERE p.name = $n "
        "RETURN r.title AS title, r.titleHistory AS history",
        {"u": CODES[0], "n": name},
    )
    assert rel == {"title": "董事长", "history": ["总经理"]}


async def test_shareholdings_keep_earlier_shares_and_make_unknown_holders_provisional(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    holder = {"统一社会信用代码": CODES[0], "股东名称": SAMPLE_NAMES[1], "股东类型": "企业法人",
              "股东统一社会信用代码": CODES[1], "持股比例": "40%"}  # fmt: skip
    unknown = {**holder, "股东统一社会信用代码": make_uscc("91", WUGANG_REGION, "MA7TMP70")}
    itself = {**holder, "股东统一社会信用代码": CODES[0]}
    person = {"统一社会信用代码": CODES[0], "股东名称": "吴九", "股东类型": "自然人",
              "股东证件号码": make_resident_id(WUGANG_REGION, datetime.date(1975, 1, 2), 33),
              "持股比例": "0.6"}  # fmt: skip
    summary = await submit(db, "shareholding", [holder, unknown, itself, person])
    assert summary.new == 3, "an unknown corporate holder becomes a provisional subject"
    assert await quarantine_codes(db, summary) == {3: ["SELF_HOLDING"]}
    [provisional] = await db.read(
        "MATCH (h:Enterprise {uscc: $h})-[:SHAREHOLDER_OF]->(:Enterprise {uscc: $e}) "
        "RETURN h.provisional AS provisional, h.external AS external",
        {"h": unknown["股东统一社会信用代码"], "e": CODES[0]},
    )
    assert provisional == {"provisional": True, "external": False}
    changed = await submit(db, "shareholding", [{**holder, "持股比例": "35"}])
    assert changed.new_versions == 1
    [share] = await db.read(
        "MATCH (:Enterprise {uscc: $h})-[s:SHAREHOLDER_OF]->(:Enterprise {uscc: $e}) "
        "RETURN s.share AS share, s.previousShares AS before",
        {"h": CODES[1], "e": CODES[0]},
    )
    assert share == {"share": 0.35, "before": [0.4]}


async def test_an_association_sends_its_own_members_only(db: Database, feeds: Path) -> None:
    await registered(db, feeds)
    summary = await submit(
        db, "membership", [{"会员统一社会信用代码": CODES[2], "入会日期": "2024-03-01"}], A1
    )
    assert summary.new == 1
    [member] = await db.read(
        "MATCH (:Enterprise {uscc: $e})-[m:MEMBER_OF]->(a:Association) "
        "RETURN a.code AS association, m.since AS since",
        {"e": CODES[2]},
    )
    assert member["association"] == A1 and member["since"].to_native() == datetime.date(2024, 3, 1)
    with pytest.raises(NotInCatalogue):
        await submit(db, "membership", [{"会员统一社会信用代码": CODES[2]}], SAMR_CODE)


BLACK_LIST = {
    "行政相对人名称": SAMPLE_NAMES[0],
    "相对人类别": "法人及非法人组织",
    "统一社会信用代码": "",
    "名单类型": "黑名单",
    "名单名称": "严重违法失信名单",
    "认定依据": "《市场监督管理严重违法失信名单管理办法》第二条",
    "认定文书号": "舞市监信〔2026〕1号",
    "认定日期": "2026-06-01",
    "告知日期": "2026-05-15",
    "移出条件": "列入名单满一年且已履行行政处罚义务",
    "认定部门": SAMR[0],
    "认定部门统一社会信用代码": SAMR_CODE,
}


async def test_a_black_list_decision_links_the_registered_legal_representative(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    entry = {**BLACK_LIST, "统一社会信用代码": CODES[0]}
    no_notice = {**entry, "认定文书号": "舞市监信〔2026〕2号", "告知日期": ""}
    summary = await submit(db, "list_decision", [entry, no_notice])
    assert summary.new == 1
    assert await quarantine_codes(db, summary) == {2: ["REQUIRED"]}
    [listed] = await db.read(
        "MATCH (l:ListEntry {decisionNumber: '舞市监信〔2026〕1号'})-[:HAS_SUBJECT]->(e) "
        "MATCH (l)-[link:LINKED_PERSON]->(p:Person) MATCH (l)-[:DECIDED_BY]->(d) "
        "RETURN l.status AS status, l.listType AS type, e.uscc AS subject, "
        "link.role AS role, p.name AS person, d.code AS decidedBy"
    )
    assert listed == {
        "status": "ACTIVE",
        "type": "BLACK",
        "subject": CODES[0],
        "role": "LEGAL_REPRESENTATIVE",
        "person": "王建国",
        "decidedBy": SAMR_CODE,
    }


async def test_a_red_list_candidate_is_announced_before_it_takes_effect(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    red = {**BLACK_LIST, "统一社会信用代码": CODES[1], "名单类型": "红名单",
           "名单名称": "守信激励对象名单", "认定文书号": "舞市监信〔2026〕9号",
           "认定日期": "2026-11-20", "生效日期": "2026-12-20", "告知日期": "",
           "移出条件": ""}  # fmt: skip
    summary = await submit(db, "list_decision", [red])
    assert summary.new == 1
    [entry] = await db.read(
        "MATCH (l:ListEntry {decisionNumber: '舞市监信〔2026〕9号'}) RETURN l.status AS status"
    )
    assert entry["status"] == "ANNOUNCED"


async def test_court_enforcement_and_commitment_feeds_load_as_records(
    db: Database, feeds: Path
) -> None:
    await registered(db, feeds)
    court, court_code = COURT
    debtor = {"被执行人名称": SAMPLE_NAMES[2], "统一社会信用代码": CODES[2],
              "案号": "(2026)豫0481执100号", "失信被执行人行为具体情形": "有履行能力而拒不履行",
              "生效法律文书确定的义务": "支付货款50万元", "被执行人的履行情况": "全部未履行",
              "发布时间": "2026-07-01", "执行法院": court,
              "执行法院统一社会信用代码": court_code}  # fmt: skip
    promise = {"承诺主体名称": SAMPLE_NAMES[3], "统一社会信用代码": CODES[3],
               "承诺书编号": "舞市监诺〔2026〕1号", "承诺事项": "食品经营许可告知承诺",
               "承诺内容": "承诺符合食品经营条件", "承诺日期": "2026-08-01",
               "受理部门": SAMR[0], "受理部门统一社会信用代码": SAMR_CODE}  # fmt: skip
    assert (await submit(db, "enforcement", [debtor], court_code)).new == 1
    assert (await submit(db, "commitment", [promise])).new == 1
    kinds = await db.read(
        "MATCH (r:Record) WHERE r.documentNumber IN ['(2026)豫0481执100号', '舞市监诺〔2026〕1号'] "
        "RETURN r.kind AS kind, r.publishUntil IS NOT NULL AS published ORDER BY kind"
    )
    assert kinds == [
        {"kind": "COMMITMENT", "published": True},
        {"kind": "ENFORCEMENT", "published": True},
    ]


async def test_oversized_cells_and_control_characters_are_refused_per_row(
    db: Database, feeds: Path, tmp_path: Path
) -> None:
    await registered(db, feeds)
    huge = _licence_row("舞市监许〔2026〕971号")
    huge[LICENCE_HEADERS.index("许可内容")] = "食" * 5000
    control = _licence_row("舞市监许〔2026〕972号")
    control[LICENCE_HEADERS.index("许可内容")] = "预包装\x07食品"
    path = tmp_path / "odd.csv"
    write_csv(
        path, LICENCE_HEADERS, [huge, control, _licence_row("舞市监许〔2026〕973号")], "utf-8"
    )
    summary = await load(db, path)
    assert summary.new == 1
    assert await quarantine_codes(db, summary) == {2: ["TOO_LONG"], 3: ["CONTROL_CHARACTER"]}


async def test_a_damaged_workbook_is_refused_before_anything_loads(
    db: Database, feeds: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes((feeds / "licences.xlsx").read_bytes()[:2000])
    with pytest.raises(FeedFileError, match="XLSX"):
        await load(db, cut)


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    """A row whose cells are all empty or whitespace (spreadsheets export them, full-width
    spaces included) is not a row: it is neither counted nor checked, and the rows after it
    keep the numbers the department sees in its own file. A row with one non-blank cell is a
    row."""
    path = tmp_path / "feed.csv"
    path.write_text(
        "统一社会信用代码,企业名称\r\nA,甲\r\n,\r\n ,\u3000\t\r\n,乙\r\n",
        encoding="utf-8",
    )
    feed = open_feed(path)
    assert feed.row_count == 2
    assert [(row.number, row.cells) for row in feed.rows()] == [
        (2, {"统一社会信用代码": "A", "企业名称": "甲"}),
        (5, {"统一社会信用代码": "", "企业名称": "乙"}),
    ]
