"""Every feed in its national format, accepted as sent (issue 15) — and defect 4 of issue 16.

A department's 双公示 system exports penalties with the national headers, in GB18030, without
our 失信程度 column, about subjects the registration feed has not sent yet; the file loads as
sent, its kind found from the whole header. The deciding authority (处罚机关) is checked against
the registered organisations and is who objections, repair, lateness and the 警告 rule follow,
while a relaying department (大数据局) stays the supplier. Every further feed kind has a sample
with deliberate bad rows. All against the real Neo4j; the fixture graph is put back afterwards.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database
from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from graph.lifecycle.base import Actor
from graph.lifecycle.objections import file_objection
from graph.lifecycle.repair import apply_for_repair
from graph.lifecycle.rules import LifecycleRules
from graph.model import ObjectionGround, RecordKind, SeverityTier
from graph.publication import ADVERSE_KINDS, publication_window
from loaders.batches import list_quarantine
from loaders.feed_kinds import FEED_KINDS, normalise_header
from loaders.pipeline import AmbiguousFeedKind, LoadOptions, LoadSummary, detect_kind, load_file
from loaders.pipeline import load_rows as pipeline_load_rows
from loaders.sample_feeds import (
    BIG_DATA,
    COURT,
    HUMAN_RESOURCES,
    NATIONAL_PENALTY_HEADERS,
    NEW_KIND_SAMPLES,
    SAMR,
    TAX,
    national_penalty_subjects,
    write_samples,
)
from loaders.sources import open_feed
from loaders.timeliness import publication_timeliness
from loaders.uscc_report import uscc_report
from tests.fixtures import PERSON_SECRET, load_fixture_graph

TODAY = datetime.date(2026, 11, 28)
OPTIONS = LoadOptions(today=TODAY)
NATIONAL = "penalties-national-gb18030.csv"
SUBJECTS = national_penalty_subjects()

_DEPARTMENTS = [
    {"code": SAMR[1], "name": SAMR[0], "shortName": "市市场监管局", "sector": "市场监管",
     "aliases": ["舞钢市市场监管局"]},
    {"code": COURT[1], "name": COURT[0], "shortName": "市法院", "sector": "司法"},
    {"code": TAX[1], "name": TAX[0], "shortName": "市税务局", "sector": "税务"},
    {"code": HUMAN_RESOURCES[1], "name": HUMAN_RESOURCES[0], "shortName": "市人社局",
     "sector": "人力资源社会保障"},
    {"code": BIG_DATA[1], "name": BIG_DATA[0], "shortName": "市政务服务和大数据管理办",
     "sector": "政务服务和大数据"},
]  # fmt: skip

# Who sends each further sample: the department whose decisions it holds.
_SENDERS = {"levy": TAX[1], "tax_grade": TAX[1], "false_litigation": COURT[1],
            "benefit": HUMAN_RESOURCES[1]}  # fmt: skip


@pytest.fixture(scope="module")
async def feeds(db: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """The samples written fresh, their senders registered; the fixture graph restored after."""
    await db.write(
        "UNWIND $rows AS row MERGE (d:Department {code: row.code}) SET d += row",
        {"rows": _DEPARTMENTS},
    )
    directory = tmp_path_factory.mktemp("national")
    write_samples(directory)
    yield directory
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def load(db: Database, path: Path, supplier: str = SAMR[1], **kw: Any) -> LoadSummary:
    return await load_file(db, path, supplier, person_secret=PERSON_SECRET, options=OPTIONS, **kw)


async def submit(
    db: Database, kind: str, rows: list[dict[str, Any]], supplier: str, name: str = "api"
) -> LoadSummary:
    return await pipeline_load_rows(
        db, rows, supplier, kind, person_secret=PERSON_SECRET, source_name=name, options=OPTIONS
    )


async def problems(db: Database, summary: LoadSummary) -> dict[int, list[tuple[str, str, str]]]:
    rows = await list_quarantine(db, summary.batch_id)
    return {r.row_number: [(p.field, p.code, p.reason) for p in r.problems] for r in rows}


async def counts(db: Database) -> dict[str, int]:
    rows = await db.read(
        "MATCH (n) WHERE n:Record OR n:Enterprise OR n:Person OR n:QuarantinedRow "
        "RETURN labels(n)[0] AS label, count(*) AS n"
    )
    return {row["label"]: row["n"] for row in rows}


def _penalty(number: str, **cells: str) -> dict[str, str]:
    """One national-format penalty row about the first national subject, decided by SAMR."""
    name, code = SUBJECTS[0]
    row = dict.fromkeys(NATIONAL_PENALTY_HEADERS, "")
    row.update({
        "行政相对人名称": name, "行政相对人类别": "法人及非法人组织", "统一社会信用代码": code,
        "行政处罚决定书文号": number, "违法行为类型": "违反产品质量法", "违法事实": "不合格",
        "处罚依据": "《产品质量法》", "处罚类别": "罚款", "处罚内容": "罚款",
        "罚款金额（万元）": "1", "处罚决定日期": "2026/11/02", "处罚机关": SAMR[0],
        "处罚机关统一社会信用代码": SAMR[1], "数据来源单位": BIG_DATA[0],
        "数据来源单位统一社会信用代码": BIG_DATA[1],
    })  # fmt: skip
    row.update(cells)
    return row


# -- the national penalty file, as sent -------------------------------------------------------


async def test_the_national_gb18030_penalty_file_loads_as_sent_without_kind(
    db: Database, feeds: Path
) -> None:
    opened = open_feed(feeds / NATIONAL)
    assert opened.encoding == "gb18030"
    assert list(opened.headers) == list(NATIONAL_PENALTY_HEADERS)
    summary = await load(db, feeds / NATIONAL)
    assert summary.kind == "penalty", "detected from the whole header, no --kind"
    assert summary.ignored_headers == [], "every national column is understood"
    assert (summary.rows_read, summary.new, summary.quarantined) == (8, 4, 4)


async def test_the_bad_rows_are_quarantined_with_row_field_and_reason(
    db: Database, feeds: Path
) -> None:
    summary = await load(db, feeds / NATIONAL)
    found = await problems(db, summary)
    assert {n: [(f, c) for f, c, _ in p] for n, p in found.items()} == {
        6: [("subjectUscc", "USCC_CHECK_CHAR")],
        7: [("decisionDate", "DATE_IN_FUTURE")],
        8: [("documentNumber", "REQUIRED")],
        9: [("issuingAuthority", "DECIDER_NAME_MISMATCH")],
    }, "rows are numbered as a clerk sees them in a spreadsheet: the header is row 1"
    assert "校验" in found[6][0][2]
    assert "晚于今天" in found[7][0][2]
    assert "行政处罚决定书文号" in found[8][0][2]
    assert "舞钢市市场监管局稽查大队" in found[9][0][2] and SAMR[0] in found[9][0][2]


async def test_the_same_national_file_again_changes_nothing(db: Database, feeds: Path) -> None:
    await load(db, feeds / NATIONAL)
    before = await counts(db)
    again = await load(db, feeds / NATIONAL)
    assert (again.new, again.new_versions, again.unchanged, again.quarantined) == (0, 0, 4, 4)
    assert await counts(db) == before, "no record, subject or quarantined row added"


async def test_a_missing_severity_is_derived_or_defaulted_and_the_summary_says_how(
    db: Database, feeds: Path
) -> None:
    summary = await load(db, feeds / NATIONAL)
    rows = await db.read(
        "MATCH (r:Record {kind: 'PENALTY'}) WHERE r.documentNumber IN $numbers AND r.current "
        "RETURN r.documentNumber AS number, r.severity AS severity, r.severityBasis AS basis, "
        "r.publishFrom IS NOT NULL AS published, r.publishBy IS NOT NULL AS tracked",
        {"numbers": ["舞市监罚〔2026〕501号", "舞市监罚〔2026〕502号", "舞市监罚〔2026〕503号"]},
    )
    by_number = {r["number"]: r for r in rows}
    assert by_number["舞市监罚〔2026〕501号"] == {
        "number": "舞市监罚〔2026〕501号", "severity": "GENERAL", "basis": "DEFAULT",
        "published": True, "tracked": True,
    }  # fmt: skip
    assert by_number["舞市监罚〔2026〕502号"]["severity"] == "SERIOUS", "吊销许可证件 is 严重"
    assert by_number["舞市监罚〔2026〕502号"]["basis"] == "DERIVED"
    # Market regulation's own 警告-only penalty is not published (双公示 rule).
    assert by_number["舞市监罚〔2026〕503号"]["published"] is False
    text = summary.render()
    assert "推定为严重" in text and "按默认“一般”" in text


# -- subjects ---------------------------------------------------------------------------------


async def test_unregistered_subjects_are_provisional_and_persons_are_personal_data(
    db: Database, feeds: Path
) -> None:
    summary = await load(db, feeds / NATIONAL)
    rows = await db.read(
        "MATCH (e:Enterprise) WHERE e.uscc IN $codes "
        "RETURN e.uscc AS code, e.name AS name, e.provisional AS provisional, "
        "e.provisionalBatch AS batch, e.provisionalSupplier AS supplier ORDER BY code",
        {"codes": [code for _, code in SUBJECTS]},
    )
    first = await db.read(
        "MATCH (b:Batch) WHERE b.kind = 'penalty' AND b.fileName = $f "
        "RETURN b.id AS id ORDER BY b.startedAt LIMIT 1",
        {"f": NATIONAL},
    )
    assert len(rows) == 3
    for row in rows:
        assert row["provisional"] is True and row["supplier"] == SAMR[1]
        assert row["batch"] in {summary.batch_id, *(f["id"] for f in first)}
    assert {r["name"] for r in rows} == {name for name, _ in SUBJECTS}
    [person] = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监罚〔2026〕504号'})-[:HAS_SUBJECT]->(p:Person) "
        "RETURN p.key AS key, p.nameMasked AS masked, r.subjectCode AS code, "
        "r.subjectName AS onRecord, [k IN keys(r) WHERE toString(r[k]) CONTAINS p.idNumber] "
        "AS idOnRecord"
    )
    assert person["key"].startswith("P") and person["code"] is None
    assert person["masked"].endswith("*")
    assert person["onRecord"] == person["masked"], "the record keeps the masked name only"
    assert person["idOnRecord"] == [], "the ID number is on the Person node, never the record"


async def test_a_registration_completes_provisional_subjects_and_a_different_name_is_reported(
    db: Database, feeds: Path
) -> None:
    await load(db, feeds / NATIONAL)
    (name1, code1), (name2, code2), (_, code3) = SUBJECTS
    registered = await submit(
        db,
        "registration",
        [
            {"统一社会信用代码": code1, "企业名称": name1, "登记状态": "存续"},
            {
                "统一社会信用代码": code2,
                "企业名称": "舞钢市石漫滩旅游开发有限公司",
                "登记状态": "存续",
            },
        ],
        SAMR[1],
        "registration-national",
    )
    assert registered.quarantined == 0
    rows = await db.read(
        "MATCH (e:Enterprise) WHERE e.uscc IN $codes "
        "RETURN e.uscc AS code, e.provisional AS provisional, e.status AS status, "
        "e.provisionalName AS fedName, "
        "EXISTS { (e)-[:PREVIOUS_REVISION]->() } AS revised",
        {"codes": [code1, code2, code3]},
    )
    state = {r["code"]: r for r in rows}
    assert state[code1]["provisional"] is None and state[code1]["status"] == "ACTIVE"
    assert state[code2]["fedName"] == name2, "the name the decision gave is kept"
    assert not state[code1]["revised"], "a provisional state is not a registration to revise"
    assert state[code3]["provisional"] is True, "not registered yet: still 待登记核实"
    report = await uscc_report(db)
    flagged = {p.code for p in report.problems if p.kind == "DUPLICATE"}
    assert code2 in flagged and code1 not in flagged
    assert any(p.code == code2 and "待登记核实" in p.reason for p in report.problems)
    assert report.awaiting_registration >= 1, code3


async def test_an_out_of_city_corporate_shareholder_becomes_an_external_subject(
    db: Database, feeds: Path
) -> None:
    await load(db, feeds / "registration-gbk.csv")
    registered = await db.read(
        "MATCH (e:Enterprise) WHERE e.provisional IS NULL AND e.uscc STARTS WITH '91' "
        "RETURN e.uscc AS code LIMIT 1"
    )
    holder = make_uscc("91", "410102", "MA7EXT01")  # 郑州市中原区: not 舞钢
    summary = await submit(
        db,
        "shareholding",
        [{"统一社会信用代码": registered[0]["code"], "股东名称": "郑州某某投资有限公司",
          "股东类型": "企业法人", "股东统一社会信用代码": holder, "持股比例": "51%"}],
        SAMR[1],
    )  # fmt: skip
    assert (summary.new, summary.quarantined) == (1, 0)
    [row] = await db.read(
        "MATCH (h:Enterprise {uscc: $h})-[s:SHAREHOLDER_OF]->() "
        "RETURN h.name AS name, h.provisional AS provisional, h.external AS external, "
        "h.provisionalBatch AS batch, s.share AS share",
        {"h": holder},
    )
    assert row == {"name": "郑州某某投资有限公司", "provisional": True, "external": True,
                   "batch": summary.batch_id, "share": 0.51}  # fmt: skip


# -- kind detection ---------------------------------------------------------------------------

NATIONAL_LICENCE_HEADERS = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称",
    "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期",
    "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
    "数据来源单位统一社会信用代码", "备注",
)  # fmt: skip
"""DOMAIN.md's 双公示 行政许可 header, in its order."""

NATIONAL_COURT_HEADERS = (
    "被执行人姓名/名称", "证件号码/统一社会信用代码", "法定代表人或者负责人姓名", "执行法院",
    "省份", "执行依据文号", "立案时间", "案号", "做出执行依据单位", "生效法律文书确定的义务",
    "被执行人的履行情况", "失信被执行人行为具体情形", "发布时间", "已履行部分", "未履行部分",
)  # fmt: skip
"""DOMAIN.md's court 失信被执行人 public fields."""


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (NATIONAL_PENALTY_HEADERS, "penalty"),
        (NATIONAL_LICENCE_HEADERS, "license"),
        (NATIONAL_COURT_HEADERS, "enforcement"),
    ],
)
def test_every_national_column_is_understood(headers: tuple[str, ...], kind: str) -> None:
    feed = detect_kind(headers)
    assert feed.code == kind
    assert [h for h in headers if normalise_header(h) not in feed.by_header] == []


async def test_a_court_file_with_the_national_fields_only_finds_the_court_by_name(
    db: Database, feeds: Path
) -> None:
    person, person_id = "孙丽", make_resident_id(WUGANG_REGION, datetime.date(1980, 5, 6), 41)
    row = {
        "被执行人姓名/名称": person, "证件号码/统一社会信用代码": person_id, "执行法院": "市法院",
        "省份": "河南", "执行依据文号": "(2025)豫0481民初88号", "立案时间": "2026/01/05",
        "案号": "(2026)豫0481执12号", "做出执行依据单位": COURT[0],
        "生效法律文书确定的义务": "偿还借款十万元", "被执行人的履行情况": "全部未履行",
        "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        "发布时间": "2026/03/01", "已履行部分": "0", "未履行部分": "十万元",
    }  # fmt: skip
    nobody = {**row, "执行法院": "某某法院", "案号": "(2026)豫0481执13号"}
    summary = await submit(db, "enforcement", [row, nobody], COURT[1])
    assert summary.new == 1
    [(field, code, _)] = (await problems(db, summary))[2]
    assert (field, code) == ("issuingAuthority", "DECIDER_NOT_REGISTERED")
    [record] = await db.read(
        "MATCH (r:Record {documentNumber: '(2026)豫0481执12号'})-[:HAS_SUBJECT]->(p:Person) "
        "MATCH (r)-[:DECIDED_BY]->(d) "
        "RETURN r.issuingAuthorityCode AS code, d.code AS decider, r.province AS province"
    )
    assert record == {"code": COURT[1], "decider": COURT[1], "province": "河南"}


@pytest.mark.parametrize("kind", sorted({k.record_kind for k in FEED_KINDS.values()
                                        if k.record_kind is not None}, key=str))  # fmt: skip
def test_every_fed_record_kind_has_a_publication_rule(kind: RecordKind) -> None:
    decided = datetime.date(2026, 3, 10)
    severity = SeverityTier.GENERAL if kind in ADVERSE_KINDS else None
    start, until = publication_window(kind, severity, decided, None)
    assert start == decided and until is not None and until > decided


def test_kind_detection_scores_the_whole_header() -> None:
    assert detect_kind(NATIONAL_PENALTY_HEADERS).code == "penalty"
    with pytest.raises(AmbiguousFeedKind, match="--kind"):
        detect_kind(["统一社会信用代码", "处罚类别", "处罚内容"])  # one alias decides nothing
    both = [
        "行政相对人名称", "行政强制决定书文号", "行政强制内容", "行政强制决定日期", "实施机关",
        "实施机关统一社会信用代码", "行政确认文书号", "确认内容", "确认决定日期", "确认机关",
        "确认机关统一社会信用代码",
    ]  # fmt: skip
    with pytest.raises(AmbiguousFeedKind) as raised:
        detect_kind(both)
    assert "coercion" in str(raised.value) and "confirmation" in str(raised.value)
    assert "--kind" in str(raised.value)


# -- the deciding authority ---------------------------------------------------------------------


async def test_the_decider_must_be_registered_and_named_by_its_name_short_name_or_alias(
    db: Database, feeds: Path
) -> None:
    unknown = "11410481MB0000000X"
    rows = [
        _penalty("舞市监罚〔2026〕801号", 处罚机关="市市场监管局"),  # short name
        _penalty("舞市监罚〔2026〕802号", 处罚机关="舞钢市市场监管局"),  # an alias
        _penalty("舞市监罚〔2026〕803号", 处罚机关统一社会信用代码=unknown),
        _penalty("舞市监罚〔2026〕804号", 处罚机关=TAX[0]),  # another authority's name
    ]
    summary = await submit(db, "penalty", rows, BIG_DATA[1])
    found = await problems(db, summary)
    assert summary.new == 2
    codes = {n: [c for _, c, _ in p] for n, p in found.items()}
    # An unknown code fails its check character or is not registered; either names the code.
    assert codes[3] in (["USCC_CHECK_CHAR"], ["DECIDER_NOT_REGISTERED"])
    assert codes[4] == ["DECIDER_NAME_MISMATCH"]


async def test_an_unregistered_decider_code_is_quarantined(db: Database, feeds: Path) -> None:
    unknown = make_uscc("11", WUGANG_REGION, "00999999")
    summary = await submit(
        db, "penalty", [_penalty("舞市监罚〔2026〕805号", 处罚机关统一社会信用代码=unknown)],
        BIG_DATA[1],
    )  # fmt: skip
    [(field, code, reason)] = (await problems(db, summary))[1]
    assert (field, code) == ("issuingAuthorityCode", "DECIDER_NOT_REGISTERED")
    assert unknown in reason


async def test_a_relayed_decision_belongs_to_its_decider_and_the_relayer_stays_supplier(
    db: Database, feeds: Path
) -> None:
    number = "舞市监罚〔2026〕811号"
    summary = await submit(db, "penalty", [_penalty(number, 失信程度="一般")], BIG_DATA[1])
    assert summary.new == 1
    [links] = await db.read(
        "MATCH (r:Record {documentNumber: $n, current: true}) "
        "MATCH (r)-[:PROVIDED_BY]->(p) MATCH (r)-[:DECIDED_BY]->(d) "
        "RETURN r.key AS key, p.code AS supplier, d.code AS decider",
        {"n": number},
    )
    assert (links["supplier"], links["decider"]) == (BIG_DATA[1], SAMR[1])
    subject = Actor("ENTERPRISE", SUBJECTS[0][1], "test")
    objection = await file_objection(
        db, subject, grounds=ObjectionGround.WRONG_DATA, statement="金额有误", evidence=None,
        record_key=links["key"], list_entry_id=None, rules=LifecycleRules(), today=TODAY,
    )  # fmt: skip
    assert objection.decider == SAMR[1], "谁认定、谁处理: the decider, not the relayer"
    report = await publication_timeliness(
        db, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    )
    authorities = {d.code for d in report}
    assert SAMR[1] in authorities and BIG_DATA[1] not in authorities


async def test_repair_goes_to_the_decider_and_falls_back_to_the_supplier(
    db: Database, feeds: Path
) -> None:
    rows = [
        _penalty("舞市监罚〔2026〕821号", 失信程度="一般", 处罚决定日期="2026/01/05"),
        _penalty("舞市监罚〔2026〕822号", 失信程度="一般", 处罚决定日期="2026/01/06"),
    ]
    await submit(db, "penalty", rows, BIG_DATA[1])
    keys = {
        r["n"]: r["key"]
        for r in await db.read(
            "MATCH (r:Record {current: true}) WHERE r.documentNumber IN $n "
            "RETURN r.documentNumber AS n, r.key AS key",
            {"n": ["舞市监罚〔2026〕821号", "舞市监罚〔2026〕822号"]},
        )
    }
    # A record written before deciders were recorded: no DECIDED_BY, so its supplier decides.
    await db.write(
        "MATCH (:Record {key: $k})-[d:DECIDED_BY]->() DELETE d",
        {"k": keys["舞市监罚〔2026〕822号"]},
    )
    subject = Actor("ENTERPRISE", SUBJECTS[0][1], "test")
    deciders = []
    for number in ("舞市监罚〔2026〕821号", "舞市监罚〔2026〕822号"):
        application = await apply_for_repair(
            db, subject, record_key=keys[number], list_entry_id=None, proof="已缴纳罚款",
            commitment="信用修复承诺书", training_certificate=None, credit_report=None,
            rules=LifecycleRules(), today=TODAY,
        )  # fmt: skip
        deciders.append(application.decider)
    assert deciders == [SAMR[1], BIG_DATA[1]]


# -- issue 16, defect 4 -------------------------------------------------------------------------


async def test_a_warning_only_penalty_decided_by_market_regulation_is_unpublished_when_relayed(
    db: Database, feeds: Path
) -> None:
    warning = {"处罚类别": "警告", "处罚内容": "警告", "罚款金额（万元）": "", "失信程度": "一般"}
    rows = [
        _penalty("舞市监罚〔2026〕831号", **warning),  # market regulation decided, relayed
        _penalty("舞钢税罚〔2026〕832号", **warning, 处罚机关=TAX[0],
                 处罚机关统一社会信用代码=TAX[1]),  # the tax office's own warning
    ]  # fmt: skip
    summary = await submit(db, "penalty", rows, BIG_DATA[1])
    assert summary.new == 2
    published = {
        r["n"]: r["published"]
        for r in await db.read(
            "MATCH (r:Record {current: true}) WHERE r.documentNumber IN $n "
            "RETURN r.documentNumber AS n, r.publishFrom IS NOT NULL AS published",
            {"n": ["舞市监罚〔2026〕831号", "舞钢税罚〔2026〕832号"]},
        )
    }
    assert published == {"舞市监罚〔2026〕831号": False, "舞钢税罚〔2026〕832号": True}


# -- the further kinds --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NEW_KIND_SAMPLES))
async def test_each_new_kind_sample_loads_as_sent_and_quarantines_its_bad_rows(
    db: Database, feeds: Path, kind: str
) -> None:
    await load(db, feeds / "registration-gbk.csv")
    path = feeds / NEW_KIND_SAMPLES[kind]
    summary = await load(db, path, _SENDERS.get(kind, SAMR[1]))
    assert (summary.kind, summary.ignored_headers) == (kind, [])
    found = await problems(db, summary)
    last = summary.rows_read + 1  # data rows are numbered from 2 (the header is row 1)
    assert sorted(found) == [last - 2, last - 1, last], "exactly the three deliberate mistakes"
    assert next(c for _, c, _ in found[last - 2]).startswith("USCC_")
    assert [c for _, c, _ in found[last - 1]] == ["DATE_IN_FUTURE"]
    assert [c for _, c, _ in found[last]] == ["REQUIRED"]
    assert summary.new == summary.rows_read - 3
    again = await load(db, path, _SENDERS.get(kind, SAMR[1]))
    assert (again.new, again.new_versions) == (0, 0)
    feed = FEED_KINDS[kind]
    if feed.record_kind is not None:
        tracked = await db.read(
            "MATCH (r:Record {kind: $k, current: true})-[:DECIDED_BY]->(d) "
            "RETURN count(r) AS n, count(r.publishBy) AS tracked",
            {"k": feed.record_kind.value},
        )
        assert tracked[0]["n"] >= summary.new
        assert (tracked[0]["tracked"] > 0) == feed.disclosed, "7 working days for 四(三) acts"


async def test_annual_reports_and_tax_grades_are_written_as_the_evaluation_reads_them(
    db: Database, feeds: Path
) -> None:
    await load(db, feeds / "registration-gbk.csv")
    await load(db, feeds / NEW_KIND_SAMPLES["annual_report"])
    await load(db, feeds / NEW_KIND_SAMPLES["tax_grade"], TAX[1])
    rows = await db.read(
        "MATCH (e:Enterprise) WHERE e.annualReportYears IS NOT NULL AND e.uscc STARTS WITH '91' "
        "RETURN e.annualReportYears AS years, [d IN e.annualReportFiledOn | toString(d)] AS filed"
    )
    assert len(rows) == 3 and all(r["years"] == [2025] for r in rows)
    grades = await db.read(
        "MATCH (r:Record {kind: 'TAX_GRADE', current: true}) "
        "RETURN r.category AS grade, r.title AS title ORDER BY grade"
    )
    assert [g["grade"] for g in grades] == ["A", "B", "D"]
    assert grades[0]["title"] == "2025年度纳税信用等级评价结果"
