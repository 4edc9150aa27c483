"""Exports up to the connected systems (issue 17): what goes up, in which headers and formats,
incrementally by the target's cursor, withdrawals for what stopped being public, and the
manifest's hashes. Real Neo4j; penalties are loaded through the feed pipeline and changed
through graph/lifecycle. The fixture graph is restored afterwards.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from graph.lifecycle.base import Actor, china_today
from graph.lifecycle.lists import remove_list_entry
from graph.lifecycle.objections import decide_objection, file_objection
from graph.lifecycle.repair import apply_for_repair, decide_repair
from graph.lifecycle.rules import LifecycleRules
from graph.lifecycle.versions import revoke_record
from graph.model import ObjectionGround, ObjectionOutcome
from hub.cli import main
from hub.exchange.export import export, read_manifest
from hub.exchange.targets import TargetsError, load_targets
from loaders.feed_kinds import FEED_KINDS
from loaders.pipeline import load_rows
from loaders.sample_feeds import SAMR
from tests.fixtures import PERSON_SECRET, load_fixture_graph
from tests.processes import hub_env

TODAY = china_today()
DECIDED = TODAY - timedelta(days=120)  # past a general-tier finding's 3-month minimum
OFFICE = make_uscc("11", WUGANG_REGION, "00570999")
E1 = make_uscc("91", WUGANG_REGION, "MA4E1X01")
E2 = make_uscc("91", WUGANG_REGION, "MA4E1X02")
E3 = make_uscc("91", WUGANG_REGION, "MA4E1X03")
PERSON_ID = make_resident_id(WUGANG_REGION, date(1980, 5, 6), 123)
NATIONAL_PENALTY = [c.label for c in FEED_KINDS["penalty"].columns]
STATE = ["数据状态", "撤销日期", "版本号", "信息标识"]


def _penalty(number: str, name: str, code: str | None, **cells: str) -> dict[str, str]:
    row = {
        "行政相对人名称": name,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": code or "",
        "行政处罚决定书文号": number,
        "违法行为类型": "违反产品质量法",
        "违法事实": "销售不合格产品",
        "处罚依据": "《产品质量法》第四十九条",
        "处罚类别": "罚款",
        "处罚内容": "罚款人民币一万元",
        "罚款金额(万元)": "1",
        "处罚决定日期": DECIDED.isoformat(),
        "失信程度": "一般",
        "处罚机关": SAMR[0],
        "处罚机关统一社会信用代码": SAMR[1],
    }
    row.update(cells)
    return row


ROWS = [
    _penalty("舞市监罚〔2026〕E01号", "舞钢市甲公司", E1),
    _penalty("舞市监罚〔2026〕E02号", "舞钢市乙公司", E2),
    _penalty("舞市监罚〔2026〕E03号", "舞钢市丙公司", E3, 处罚内容="责令改正，罚款5000元"),
    # A minor finding is never published (Order 36): it never goes up.
    _penalty("舞市监罚〔2026〕E04号", "舞钢市丙公司", E3, 失信程度="轻微"),
    # A person: the name goes up masked, the ID number never.
    _penalty(
        "舞市监罚〔2026〕E05号",
        "张三丰",
        None,
        行政相对人类别="自然人",
        证件类型="身份证",
        证件号码=PERSON_ID,
    ),
]


def _key(number: str) -> str:
    return f"PENALTY|{SAMR[1]}|{number}"


@pytest.fixture(scope="module")
async def penalties(db: Database) -> AsyncIterator[None]:
    """The credit office, SAMR and five penalties loaded through the feed pipeline."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await db.write(
        "CREATE (:CreditOffice {code: $office, name: '舞钢市社会信用体系建设领导小组办公室'}), "
        "(:Department {code: $samr, name: $name, sector: '市场监管'})",
        {"office": OFFICE, "samr": SAMR[1], "name": SAMR[0]},
    )
    summary = await load_rows(
        db, ROWS, SAMR[1], "penalty", person_secret=PERSON_SECRET, source_name="exchange-test"
    )
    assert summary.new == len(ROWS), summary
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv(path: Path, encoding: str = "gb18030") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def _by_number(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    records = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    return {r["行政处罚决定书文号"]: r for r in records}


def _check_manifest(directory: Path) -> dict[str, Any]:
    manifest = read_manifest(directory)
    assert manifest["format"] == "credithub.exchange.v1"
    assert manifest["hub"] == {"name": "舞钢市信用信息共享平台", "code": OFFICE}
    assert manifest["exportId"] == directory.name
    for entry in manifest["files"]:
        assert _sha(directory / entry["name"]) == entry["sha256"], entry["name"]
    return manifest


def test_full_export_writes_the_published_penalties_with_every_national_header(
    db: Database, penalties: None, neo4j_connection: Connection, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["exchange", "export", "xinyong-henan", "--full", "--out", str(out)],
        env=hub_env(neo4j_connection, tmp_path / "home"),
    )
    assert result.exit_code == 0, result.output
    directory = Path(result.output.strip().splitlines()[-1])
    assert directory.parent == out / "xinyong-henan"
    manifest = _check_manifest(directory)
    assert manifest["full"] is True and manifest["cursor"]["from"] is None
    files = {f["kind"]: f for f in manifest["files"]}
    assert "CREDIT_GRADE" not in files and {"PENALTY", "LICENSE", "BLACK_LIST"} <= set(files)
    assert files["PENALTY"]["rows"] == 4 and files["PENALTY"]["withdrawals"] == 0

    rows = _csv(directory / "penalty.csv")  # xinyong-henan takes GB18030
    assert rows[0] == NATIONAL_PENALTY + STATE
    found = _by_number(rows)
    assert set(found) == {"舞市监罚〔2026〕E01号", "舞市监罚〔2026〕E02号",
                          "舞市监罚〔2026〕E03号", "舞市监罚〔2026〕E05号"}  # fmt: skip
    first = found["舞市监罚〔2026〕E01号"]
    assert first["统一社会信用代码"] == E1 and first["行政相对人类别"] == "法人及非法人组织"
    assert first["处罚决定日期"] == DECIDED.isoformat() and first["罚款金额(万元)"] == "1"
    assert first["处罚机关统一社会信用代码"] == SAMR[1] and first["数据状态"] == "正常"
    assert first["失信程度"] == "一般" and first["信息标识"] == _key("舞市监罚〔2026〕E01号")
    person = found["舞市监罚〔2026〕E05号"]
    assert person["证件号码"] == "" and person["统一社会信用代码"] == ""
    assert "张三丰" not in directory.joinpath("penalty.csv").read_text("gb18030")
    assert PERSON_ID not in directory.joinpath("penalty.csv").read_text("gb18030")
    assert found["舞市监罚〔2026〕E03号"]["处罚内容"] == "责令改正，罚款5000元"
    unknown = CliRunner().invoke(
        main,
        ["exchange", "export", "xinyong-beijing", "--out", str(out)],
        env=hub_env(neo4j_connection, tmp_path / "home"),
    )
    assert unknown.exit_code != 0 and "unknown exchange target 'xinyong-beijing'" in unknown.output


async def test_an_incremental_export_right_after_writes_no_data_rows(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    await export(db, "xinyong-henan", full=True, out=tmp_path)
    directory = await export(db, "xinyong-henan", out=tmp_path)
    manifest = _check_manifest(directory)
    assert manifest["full"] is False and manifest["cursor"]["from"] is not None
    assert all(f["rows"] == 0 for f in manifest["files"]), manifest["files"]
    assert _csv(directory / "penalty.csv") == [NATIONAL_PENALTY + STATE]


async def _no_regrade(*_: object) -> None:
    return None


async def test_revocation_and_repair_go_up_as_withdrawal_rows(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    await export(db, "xinyong-henan", full=True, out=tmp_path)
    department = Actor("DEPARTMENT", SAMR[1], "exchange-test")
    await revoke_record(
        db, department, SAMR[1], _key("舞市监罚〔2026〕E01号"), "行政复议撤销", today=TODAY
    )
    applied = await apply_for_repair(
        db,
        Actor("ENTERPRISE", E2, "exchange-test"),
        record_key=_key("舞市监罚〔2026〕E02号"),
        list_entry_id=None,
        proof="已缴纳罚款并整改",
        commitment="本企业承诺今后依法诚信经营",
        training_certificate=None,
        credit_report=None,
        rules=LifecycleRules(),
        today=TODAY,
    )
    await decide_repair(
        db, department, applied.id, approve=True, reason="符合修复条件", today=TODAY,
        reevaluate=_no_regrade,
    )  # fmt: skip

    # A correction (the same 文号 sent again with another amount) goes up as its new version.
    corrected = _penalty("舞市监罚〔2026〕E03号", "舞钢市丙公司", E3, **{"罚款金额(万元)": "2"})
    corrected["处罚内容"] = "责令改正，罚款5000元"
    summary = await load_rows(
        db, [corrected], SAMR[1], "penalty", person_secret=PERSON_SECRET, source_name="fix"
    )
    assert summary.new_versions == 1, summary

    directory = await export(db, "xinyong-henan", out=tmp_path)
    manifest = _check_manifest(directory)
    files = {f["kind"]: f for f in manifest["files"]}
    assert files["PENALTY"]["rows"] == 3 and files["PENALTY"]["withdrawals"] == 2
    found = _by_number(_csv(directory / "penalty.csv"))
    revoked = found["舞市监罚〔2026〕E01号"]
    repaired = found["舞市监罚〔2026〕E02号"]
    assert (revoked["数据状态"], revoked["撤销日期"]) == ("撤销", TODAY.isoformat())
    assert (repaired["数据状态"], repaired["撤销日期"]) == ("修复", TODAY.isoformat())
    # A withdrawal names what to stop showing, never its content: not a published row.
    for row in (revoked, repaired):
        assert row["处罚机关统一社会信用代码"] == SAMR[1] and row["处罚内容"] == ""
        assert row["违法事实"] == "" and row["罚款金额(万元)"] == ""
    assert revoked["版本号"] == "2"
    correction = found["舞市监罚〔2026〕E03号"]
    assert (correction["数据状态"], correction["版本号"]) == ("更正", "2")
    assert correction["罚款金额(万元)"] == "2" and correction["撤销日期"] == ""
    repairs = _csv(directory / "repair.csv")
    assert (
        len(repairs) == 2
        and repairs[1][repairs[0].index("原决定文书号")] == "舞市监罚〔2026〕E02号"
    )

    again = read_manifest(await export(db, "xinyong-henan", out=tmp_path))
    assert all(f["rows"] == 0 for f in again["files"])
    full = await export(db, "xinyong-henan", full=True, out=tmp_path)
    shown = _by_number(_csv(full / "penalty.csv"))
    assert "舞市监罚〔2026〕E01号" not in shown and "舞市监罚〔2026〕E02号" not in shown


async def test_an_objection_upheld_goes_up_as_a_withdrawal_row(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    key = _key("舞市监罚〔2026〕E05号")
    await export(db, "xinyong-henan", full=True, out=tmp_path)
    objection = await file_objection(
        db,
        Actor("ADMIN", None, "exchange-test"),
        grounds=ObjectionGround.WRONG_DATA,
        statement="处罚对象认定错误",
        evidence=None,
        record_key=key,
        list_entry_id=None,
        rules=LifecycleRules(),
        today=TODAY,
    )
    under = read_manifest(await export(db, "xinyong-henan", out=tmp_path))
    # Under objection a record is still shown: it goes up again as it stands.
    assert {f["kind"]: f["withdrawals"] for f in under["files"] if "withdrawals" in f}[
        "PENALTY"
    ] == 0
    await decide_objection(
        db,
        Actor("DEPARTMENT", SAMR[1], "exchange-test"),
        objection.id,
        outcome=ObjectionOutcome.STOP_PUBLICATION,
        reason="异议成立，停止公示",
        today=TODAY,
    )
    directory = await export(db, "xinyong-henan", out=tmp_path)
    found = _by_number(_csv(directory / "penalty.csv"))
    stopped = found["舞市监罚〔2026〕E05号"]
    assert (stopped["数据状态"], stopped["撤销日期"]) == ("撤销", TODAY.isoformat())
    assert stopped["处罚内容"] == ""


async def test_a_black_list_entry_goes_up_and_its_removal_as_a_withdrawal(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    entry = {
        "行政相对人名称": "舞钢市丙公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": E3,
        "名单类型": "黑名单",
        "名单名称": "严重违法失信名单",
        "认定依据": "《市场监督管理严重违法失信名单管理办法》第九条",
        "认定文书号": "舞市监认〔2026〕E1号",
        "认定日期": DECIDED.isoformat(),
        "告知日期": (DECIDED - timedelta(days=10)).isoformat(),
        "生效日期": DECIDED.isoformat(),
        "移出条件": "信用修复后移出",
        "认定部门": SAMR[0],
        "认定部门统一社会信用代码": SAMR[1],
    }
    summary = await load_rows(
        db, [entry], SAMR[1], "list_decision", person_secret=PERSON_SECRET, source_name="list"
    )
    assert summary.new == 1, summary
    entry_id = f"BLACK|{SAMR[1]}|舞市监认〔2026〕E1号"
    listed = await export(db, "xinyong-henan", full=True, out=tmp_path)
    header = [c.label for c in FEED_KINDS["list_decision"].columns] + STATE
    rows = _csv(listed / "black_list.csv")
    assert rows[0] == header and len(rows) == 2
    shown = dict(zip(header, rows[1], strict=True))
    assert shown["认定文书号"] == "舞市监认〔2026〕E1号" and shown["名单类型"] == "黑名单"
    assert shown["移出条件"] == "信用修复后移出" and shown["数据状态"] == "正常"
    assert _csv(listed / "red_list.csv") == [header]

    await remove_list_entry(
        db, Actor("DEPARTMENT", SAMR[1], "t"), SAMR[1], entry_id, "已完成信用修复", today=TODAY
    )
    directory = await export(db, "xinyong-henan", out=tmp_path)
    [_, row] = _csv(directory / "black_list.csv")
    removed = dict(zip(header, row, strict=True))
    assert (removed["数据状态"], removed["撤销日期"]) == ("移出", TODAY.isoformat())
    assert removed["认定依据"] == "" and removed["信息标识"] == entry_id
    full = await export(db, "xinyong-henan", full=True, out=tmp_path)
    assert _csv(full / "black_list.csv") == [header]


def _formats_file(tmp_path: Path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(
        "".join(
            f'[targets.{code}]\nname = "{code}"\nkind = "publication"\n'
            f'receives = ["PENALTY"]\nformat = "{fmt}"\n'
            f'[targets.{code}.delivery]\ntype = "directory"\n'
            for code, fmt in (("as-gb", "csv-gb18030"), ("as-xlsx", "xlsx"), ("as-json", "json"))
        ),
        encoding="utf-8",
    )
    return path


async def test_the_same_range_gives_the_same_export_in_every_format(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    targets = load_targets(_formats_file(tmp_path))
    since = datetime.now(UTC) - timedelta(days=1)
    until = datetime.now(UTC) + timedelta(seconds=1)
    for code, name in (("as-gb", "penalty.csv"), ("as-xlsx", "penalty.xlsx"),
                       ("as-json", "penalty.json")):  # fmt: skip
        first = await export(
            db, code, since=since, until=until, out=tmp_path / "a", targets=targets
        )
        second = await export(
            db, code, since=since, until=until, out=tmp_path / "b", targets=targets
        )
        assert first.name == second.name
        assert (first / name).read_bytes() == (second / name).read_bytes(), code
        assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()
        assert read_manifest(first)["files"][0]["rows"] >= 3
        _check_manifest(first)

    xlsx = next((tmp_path / "a" / "as-xlsx").iterdir()) / "penalty.xlsx"
    sheet = load_workbook(xlsx, read_only=True).worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == NATIONAL_PENALTY + STATE
    contents = {r[NATIONAL_PENALTY.index("处罚内容")] for r in table[1:]}
    assert "责令改正，罚款5000元" in contents
    document = json.loads(
        (next((tmp_path / "a" / "as-json").iterdir()) / "penalty.json").read_text("utf-8")
    )
    assert document["kind"] == "PENALTY" and document["columns"] == NATIONAL_PENALTY + STATE
    numbers = {r["行政处罚决定书文号"] for r in document["rows"]}
    assert "舞市监罚〔2026〕E03号" in numbers and "舞市监罚〔2026〕E04号" not in numbers


def test_a_bad_targets_file_is_refused_naming_target_and_field(tmp_path: Path) -> None:
    cases = {
        'kind = "publication"\nreceives = ["PENALTY", "CREDIT_GRADE"]\nformat = "json"\n'
        '[targets.t.delivery]\ntype = "directory"\n': r"target t: field receives: .*CREDIT_GRADE",
        'kind = "publication"\nreceives = ["PENALTY"]\nformat = "pdf"\n'
        '[targets.t.delivery]\ntype = "directory"\n': r"target t: field format",
        'kind = "publication"\nreceives = ["PENALTY"]\nformat = "json"\n'
        '[targets.t.delivery]\ntype = "http"\nurl = "https://x.example/in"\n': r"target t: "
        r"field delivery\.http\.token_env",
        'kind = "joint-punishment"\nreceives = ["PENALTY"]\nformat = "json"\n'
        '[targets.t.delivery]\ntype = "directory"\n': r"target t: field receives",
    }
    for body, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(f'[targets.t]\nname = "T"\n{body}', encoding="utf-8")
        with pytest.raises(TargetsError, match=message) as refused:
            load_targets(path)
        assert str(path) in str(refused.value)
    targets = load_targets()
    assert {t.code for t in targets.targets.values()} == {
        "xinyong-henan", "xinyong-pingdingshan", "gsxt-henan", "henan-joint-punishment",
        "internet-supervision",
    }  # fmt: skip
    for target in targets.targets.values():
        assert target.public == (target.kind.value == "publication")
        assert not (target.public and "CREDIT_GRADE" in target.receives)
        outbox = target.outbox(tmp_path)
        assert outbox == tmp_path / "exchange" / target.code / "outbox"


_SUPERVISION = """
MATCH (e1:Enterprise {uscc: $e1}), (e3:Enterprise {uscc: $e3}), (d:Department {code: $samr})
CREATE (m:Measure {code: 'EXM01', name: '限制参与政府采购', category: 'ADMINISTRATIVE'})
CREATE (l:ListEntry {id: 'EX-LE1', listType: 'BLACK', listName: '严重失信主体名单',
        decisionNumber: '舞市监认〔2026〕1号', status: 'ACTIVE', subjectCode: $e1})
CREATE (s:Sanction {id: 'EX-S1', status: 'ACTIVE'})-[:APPLIES]->(m)
CREATE (s)-[:UNDER]->(l)
CREATE (a:MeasureApplication {id: 'MA-EX1', sanctionId: 'EX-S1', measureCode: 'EXM01',
        measureName: '限制参与政府采购', subjectCode: $e1, matterReference: '政府采购项目WG-7',
        appliedOn: date($today), outcome: '已取消其投标资格', reporter: $samr,
        reporterKind: 'DEPARTMENT', reportedAt: datetime()})
CREATE (a)-[:TO]->(e1), (a)-[:REPORTED_BY]->(d), (a)-[:UNDER]->(s), (a)-[:APPLIED]->(m)
CREATE (t:InspectionTask {id: 'EX-T1', title: '产品质量双随机抽查', department: $samr,
        sectors: ['C'], year: 2026, status: 'DRAWN', objectCount: 1, resultCount: 1})
CREATE (o:InspectionObject {id: 'EX-T1-1', taskId: 'EX-T1', position: 1, uscc: $e3,
        stratum: 'C', outcome: 'NO_PROBLEM', inspectedOn: date($today)})
CREATE (o)-[:PART_OF]->(t), (o)-[:HAS_SUBJECT]->(e3)
CREATE (i:Inspector {id: 'EX-I1'})-[:INSPECTS {order: 1}]->(o)
CREATE (:Evaluation {id: 'EX-R/' + $e3, runId: 'EX-R', uscc: $e3, score: 61.5, grade: 'C',
        current: true, evaluatedOn: date($today), createdAt: datetime(), modelVersion: 'v1'})
"""


async def test_feedback_and_internet_supervision_exports(
    db: Database, penalties: None, tmp_path: Path
) -> None:
    await db.write(_SUPERVISION, {"e1": E1, "e3": E3, "samr": SAMR[1], "today": TODAY.isoformat()})
    feedback = await export(db, "henan-joint-punishment", full=True, out=tmp_path)
    manifest = _check_manifest(feedback)
    assert [f["kind"] for f in manifest["files"]] == ["MEASURE_APPLICATION"]
    [header, row] = _csv(feedback / "measure_application.csv", "utf-8")
    applied = dict(zip(header, row, strict=True))
    assert applied["反馈编号"] == "MA-EX1" and applied["统一社会信用代码"] == E1
    assert applied["惩戒措施编码"] == "EXM01" and applied["惩戒措施类别"] == "行政性惩戒"
    assert applied["实施单位"] == SAMR[0] and applied["实施日期"] == TODAY.isoformat()
    assert (
        applied["实施结果"] == "已取消其投标资格" and applied["惩戒依据名单"] == "严重失信主体名单"
    )
    later = read_manifest(await export(db, "henan-joint-punishment", out=tmp_path))
    assert later["files"][0]["rows"] == 0

    supervision = await export(db, "internet-supervision", full=True, out=tmp_path)
    manifest = _check_manifest(supervision)
    rows = {f["kind"]: f["rows"] for f in manifest["files"]}
    assert rows == {"INSPECTION_TASK": 1, "INSPECTION_OBJECT": 1, "CREDIT_GRADE": 1}
    grades = json.loads((supervision / "credit_grade.json").read_text("utf-8"))["rows"]
    assert grades == [{
        "统一社会信用代码": E3, "市场主体名称": "舞钢市丙公司", "信用等级": "C",
        "等级名称": "中", "评价得分": "61.5", "评价日期": TODAY.isoformat(),
        "评价模型版本": "v1", "评价批次": "EX-R",
    }]  # fmt: skip
    objects = json.loads((supervision / "inspection_object.json").read_text("utf-8"))["rows"]
    assert objects[0]["检查结果"] == "未发现问题" and objects[0]["检查人员编号"] == "EX-I1"
    # Grades are for departments: no publication target carries them.
    for code in ("xinyong-henan", "xinyong-pingdingshan", "gsxt-henan"):
        public = read_manifest(await export(db, code, full=True, out=tmp_path))
        assert "CREDIT_GRADE" not in {f["kind"] for f in public["files"]}
        assert not any((tmp_path / code).glob("*/credit_grade.*"))
