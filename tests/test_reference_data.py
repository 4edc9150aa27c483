"""Reference data: organisations and catalogues come from files a clerk edits, load idempotently,
keep their history, and every command and the credit office's API name organisations alike."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from authz.identity import Consumer, OrgKind
from authz.tokens import TokenVerifier
from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.lifecycle.base import Actor
from graph.model import OrganisationKind
from hub.cli import main
from hub.settings import Settings
from loaders.demo_data import DEMO_ORGANISATIONS, load_reference_data
from loaders.reference import (
    AmbiguousOrganisation,
    OrganisationClosed,
    OrganisationNotFound,
    ReferenceFileError,
    close_organisation,
    correct_code,
    events,
    find_organisations,
    import_measures,
    import_organisations,
    merge_organisation,
    read_measure_catalogue,
    read_organisations,
    rename_organisation,
    resolve_organisation,
    revisions,
)
from tests.conftest import ClientFor
from tests.fixtures import load_fixture_graph
from tests.graphql import errors, query
from tests.processes import hub_env

TODAY = date(2026, 11, 28)
CLERK = Actor("ADMIN", None, "clerk")
ICBC = make_uscc("91", WUGANG_REGION, "X1770100")  # the demo's 工行舞钢支行 (unchanged code)
COUNT_ALL = (
    "MATCH (n) WHERE NOT n:Migration WITH count(n) AS nodes "
    "CALL () { MATCH ()-[r]->() RETURN count(r) AS rels } RETURN nodes, rels"
)
ADMIN = Consumer(subject="office", org_kind=OrgKind.ADMIN)

# Real-format codes (not the demo's numbering) for organisations a clerk registers.
TRANSPORT = make_uscc("11", WUGANG_REGION, "MB1C3581")
EDU = make_uscc("11", WUGANG_REGION, "MB0P2746")
CCB = make_uscc("91", WUGANG_REGION, "MA45NK2R")
GUILD = make_uscc("51", WUGANG_REGION, "MJY86035")
AGENCY = make_uscc("91", "410402", "MA9UQD7L")


@pytest.fixture(scope="module")
async def demo_orgs(db: Database) -> AsyncIterator[None]:
    """The demo city's organisations and measures (imported from their reference files) in an
    otherwise empty graph; the fixture graph is put back afterwards."""
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_reference_data(db, today=TODAY)
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@pytest.fixture
def cli_env(neo4j_connection: Connection, tmp_path: Path) -> dict[str, str]:
    """The environment of a `credithub` run against the test server."""
    return hub_env(neo4j_connection, tmp_path / "home")


def _cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


async def _run_cli(env: dict[str, str], *args: str) -> Result:
    # The CLI runs its own event loop (asyncio.run), so it runs off this test's loop.
    return await asyncio.to_thread(_cli, env, *args)


async def _counts(db: Database) -> dict[str, Any]:
    [row] = await db.read(COUNT_ALL)
    return row


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    header = (
        "统一社会信用代码,名称,简称/别名,类别,行业领域,职责/可查看个人信息,决定类型,决定文号前缀"
    )
    text = "\n".join([header, *(",".join(r) for r in rows)]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


# -- files ------------------------------------------------------------------------------------


def test_a_bad_file_is_refused_naming_file_row_and_field(tmp_path: Path) -> None:
    wrong_check = TRANSPORT[:17] + ("0" if TRANSPORT[17] != "0" else "1")
    bad = _csv(
        tmp_path / "机构名录.csv",
        [
            [EDU, "舞钢市教育局", "市教育局", "部门", "教育", "", "", ""],
            [wrong_check, "舞钢市交通运输局", "市交通局", "部门", "交通运输", "", "", ""],
            [CCB, "中国建设银行股份有限公司舞钢支行", "", "储蓄所", "", "", "", ""],
            [GUILD, "舞钢市机电行业协会", "", "部门", "", "", "", ""],
            [EDU, "舞钢市教育局", "", "部门", "教育", "", "", ""],
        ],
    )
    with pytest.raises(ReferenceFileError) as refused:
        read_organisations(bad)
    where = {(p.file, p.row, p.field) for p in refused.value.problems}
    assert ("机构名录.csv", 3, "统一社会信用代码") in where  # check character
    assert ("机构名录.csv", 4, "类别") in where  # not a kind
    assert ("机构名录.csv", 5, None) in where  # a department without its sector
    assert ("机构名录.csv", 6, "统一社会信用代码") in where  # the same code twice
    text = str(refused.value)
    assert "机构名录.csv, 第3行 (row 3), 字段 统一社会信用代码" in text and "校验码" in text
    assert "nothing imported" in text

    unknown = tmp_path / "extra.csv"
    unknown.write_text("统一社会信用代码,名称,类别,负责人\n", encoding="utf-8")
    with pytest.raises(ReferenceFileError) as column:
        read_organisations(unknown)
    assert [(p.row, p.field) for p in column.value.problems] == [(1, "负责人")]

    toml = tmp_path / "orgs.toml"
    toml.write_text(
        f'[[organisation]]\ncode = "{CCB}"\nname = "行"\nkind = "银行"\n'
        f'[[organisation]]\ncode = "{GUILD}"\nkind = "行业协会"\nsector = "机电"\n',
        encoding="utf-8",
    )
    with pytest.raises(ReferenceFileError) as entry:
        read_organisations(toml)
    assert {(p.row, p.field) for p in entry.value.problems} == {(1, "name"), (2, "name")}
    assert "必填" in str(entry.value) and "内容过短" in str(entry.value)


async def test_the_cli_refuses_a_bad_file_and_writes_nothing(
    db: Database, demo_orgs: None, cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = await _counts(db)
    bad = _csv(tmp_path / "bad.csv", [[EDU, "舞钢市教育局", "", "部门", "", "", "", ""]])
    result = await _run_cli(cli_env, "orgs", "import", str(bad))
    assert result.exit_code == 1
    assert "bad.csv, 第2行 (row 2)" in result.output and "行业领域" in result.output
    assert await _counts(db) == before


async def test_gbk_csv_and_toml_load_and_loading_twice_changes_nothing(
    db: Database, demo_orgs: None, tmp_path: Path
) -> None:
    gbk = _csv(
        tmp_path / "gbk.csv",
        [
            [TRANSPORT, "舞钢市交通运输管理所", "交通所；运管所", "部门", "交通运输", "个人信息",
             "行政处罚", "舞运"],
            [CCB, "中国建设银行股份有限公司舞钢支行", "建行舞钢支行、中国建设银行舞钢支行",
             "银行", "", "", "", ""],
        ],
        encoding="gbk",
    )  # fmt: skip
    toml = tmp_path / "orgs.toml"
    toml.write_text(
        f'[[organisation]]\ncode = "{GUILD}"\nname = "舞钢市机电行业协会"\nkind = "association"\n'
        'sector = "机电"\nshort_names = ["机电协会"]\n\n'
        f'[[organisation]]\ncode = "{AGENCY}"\nname = "平顶山市鹰城信用服务有限公司"\n'
        'kind = "信用服务机构"\nservices = "信用报告、信用修复培训"\nclosed_on = 2026-10-31\n',
        encoding="utf-8",
    )
    first = await import_organisations(db, read_organisations(gbk), actor=CLERK, today=TODAY)
    second = await import_organisations(db, read_organisations(toml), actor=CLERK, today=TODAY)
    assert (first.created, second.created) == (2, 2)
    [bank] = await find_organisations(db, "建行舞钢支行")
    assert (bank.code, bank.kind, bank.short_names) == (
        CCB,
        OrganisationKind.BANK,
        ("建行舞钢支行", "中国建设银行舞钢支行"),
    )
    [transport] = await find_organisations(db, "运管所")
    assert transport.sector == "交通运输" and transport.document_prefixes == ("舞运",)
    [node] = await db.read(
        "MATCH (d:Department {code: $c}) RETURN d.shortName AS short, d.aliases AS aliases",
        {"c": TRANSPORT},
    )
    assert node == {"short": "交通所", "aliases": ["交通所", "运管所"]}
    assert [e["type"] for e in await events(db, GUILD)] == ["ORGANISATION_REGISTERED"]

    before = await _counts(db)
    again = await import_organisations(db, read_organisations(gbk), actor=CLERK, today=TODAY)
    again_toml = await import_organisations(db, read_organisations(toml), actor=CLERK, today=TODAY)
    demo = await import_organisations(
        db, read_organisations(DEMO_ORGANISATIONS), actor=CLERK, today=TODAY
    )
    assert (again.unchanged, again_toml.unchanged, demo.created + demo.updated) == (2, 2, 0)
    assert await _counts(db) == before, "importing the same files again must change nothing"


# -- changes keep their history ---------------------------------------------------------------


async def test_rename_code_correction_merge_and_closure_keep_history_and_write_events(
    db: Database, demo_orgs: None, tmp_path: Path
) -> None:
    old_code = make_uscc("11", WUGANG_REGION, "MB77K2D5")  # as first (wrongly) registered
    right_code = make_uscc("11", WUGANG_REGION, "MB77K2D6")
    other = make_uscc("11", WUGANG_REGION, "MB88H3E1")
    file = _csv(
        tmp_path / "two.csv",
        [
            [old_code, "舞钢市文化广电和旅游局", "市文广旅局", "部门", "文化旅游", "", "", ""],
            [other, "舞钢市文物保护中心", "市文物中心", "部门", "文化旅游", "", "", ""],
        ],
    )
    await import_organisations(db, read_organisations(file), actor=CLERK, today=TODAY)

    renamed = await rename_organisation(
        db, old_code, "舞钢市文化和旅游局", short_names=["市文旅局"], actor=CLERK, today=TODAY,
        reason="机构改革",
    )  # fmt: skip
    assert renamed.name == "舞钢市文化和旅游局"
    assert set(renamed.aliases) == {"市文旅局", "舞钢市文化广电和旅游局"}
    [by_old_name] = await find_organisations(db, "舞钢市文化广电和旅游局")
    assert by_old_name.code == old_code

    corrected = await correct_code(db, old_code, right_code, actor=CLERK, today=TODAY)
    assert corrected.code == right_code and corrected.former_codes == (old_code,)
    assert (await resolve_organisation(db, old_code)).code == right_code

    # The other organisation has a record and an inspector; the merge moves both.
    await db.write(
        "MATCH (d:Department {code: $other}) "
        "CREATE (:Record {uid: 'TMP-MERGE#v1', key: 'TMP-MERGE'})-[:PROVIDED_BY]->(d), "
        "(:Inspector {id: 'TMP-INSPECTOR'})-[:SERVES_IN]->(d)",
        {"other": other},
    )
    merged = await merge_organisation(db, other, right_code, actor=CLERK, today=TODAY)
    assert "舞钢市文物保护中心" in merged.aliases
    moved = await db.read(
        "MATCH (x)-[r]->(d:Department {code: $code}) WHERE x:Record OR x:Inspector "
        "RETURN type(r) AS type ORDER BY type",
        {"code": right_code},
    )
    assert [m["type"] for m in moved] == ["PROVIDED_BY", "SERVES_IN"]
    [gone] = await db.read(
        "MATCH (d:Department {code: $other})-[:MERGED_INTO]->(t) "
        "RETURN d.closedOn AS closed, d.mergedInto AS into, t.code AS target, "
        "COUNT { (d)<-[:PROVIDED_BY|SERVES_IN]-() } AS left",
        {"other": other},
    )
    assert gone["into"] == gone["target"] == right_code and gone["left"] == 0
    with pytest.raises(OrganisationClosed, match="merged into"):
        await resolve_organisation(db, "市文物中心")

    await close_organisation(db, right_code, on=TODAY, actor=CLERK, today=TODAY, reason="撤并")
    with pytest.raises(OrganisationClosed):
        await resolve_organisation(db, "市文旅局")

    history = await revisions(db, right_code)
    assert [r["change"] for r in history] == ["CLOSED", "ABSORBED", "CODE_CORRECTED", "RENAMED"]
    assert history[-1]["name"] == "舞钢市文化广电和旅游局" and history[-1]["code"] == old_code
    kinds = [e["type"] for e in await events(db, right_code)]
    assert kinds == [
        "ORGANISATION_REGISTERED",
        "ORGANISATION_RENAMED",
        "ORGANISATION_CODE_CORRECTED",
        "ORGANISATION_MERGED",
        "ORGANISATION_CLOSED",
    ]
    renamed_event = (await events(db, right_code))[1]
    assert (renamed_event["fromState"], renamed_event["toState"]) == (
        "舞钢市文化广电和旅游局",
        "舞钢市文化和旅游局",
    )
    assert renamed_event["reason"] == "机构改革" and renamed_event["actorKind"] == "ADMIN"

    # The first file again (older than the correction, the merge and the closure) changes
    # nothing: the corrected code's row is stale, and a file never reopens.
    before = await _counts(db)
    again = await import_organisations(db, read_organisations(file), actor=CLERK, today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert "code corrected since" in again.render()
    assert await _counts(db) == before
    await db.write(
        "MATCH (n) WHERE n.uid = 'TMP-MERGE#v1' OR n.id = 'TMP-INSPECTOR' DETACH DELETE n"
    )


# -- the CLI and the resolver -----------------------------------------------------------------


async def test_orgs_list_kind_bank_lists_the_demo_banks(
    demo_orgs: None, cli_env: dict[str, str]
) -> None:
    result = await _run_cli(cli_env, "orgs", "list", "--kind", "bank")
    assert result.exit_code == 0, result.output
    listed = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    demo_banks = {o.code for o in read_organisations(DEMO_ORGANISATIONS) if o.kind.value == "BANK"}
    assert len(demo_banks) == 5 and demo_banks <= set(listed)
    assert "中国工商银行股份有限公司舞钢支行" in listed[ICBC] and "工行舞钢支行" in listed[ICBC]
    assert all(" 银行 " in line for line in listed.values())
    assert "舞钢市市场监督管理局" not in result.stdout
    everyone = await _run_cli(cli_env, "orgs", "list")
    assert len(everyone.stdout.splitlines()) >= 1 + 30
    assert "舞钢市社会信用体系建设领导小组办公室" in everyone.stdout


def _verified(env: dict[str, str], result: Result) -> Consumer:
    assert result.exit_code == 0, result.output
    return TokenVerifier(Settings.from_env(env).token_config()).verify(result.stdout.strip())


async def test_a_token_by_short_name_and_an_ambiguous_name_refused(
    db: Database, demo_orgs: None, cli_env: dict[str, str]
) -> None:
    bank = _verified(cli_env, await _run_cli(cli_env, "token", "工行舞钢支行"))
    assert (bank.org_kind, bank.org_code) == (OrgKind.BANK, ICBC)
    assert bank.org_name == "中国工商银行股份有限公司舞钢支行"
    readme = _verified(cli_env, await _run_cli(cli_env, "token", "中国工商银行舞钢支行"))
    assert readme.org_code == ICBC
    office = _verified(cli_env, await _run_cli(cli_env, "token", "市信用办"))
    assert office.org_kind is OrgKind.ADMIN

    twins = [make_uscc("91", WUGANG_REGION, "MA0TW1N1"), make_uscc("91", WUGANG_REGION, "MA0TW1N2")]
    await db.write(
        "UNWIND $codes AS code CREATE (:Bank {code: code, name: '舞钢村镇银行' + code, "
        "shortName: '村镇银行', aliases: ['村镇银行']})",
        {"codes": twins},
    )
    try:
        ambiguous = await _run_cli(cli_env, "token", "村镇银行")
        assert ambiguous.exit_code == 1 and not ambiguous.stdout.strip()
        assert (
            "names 2 organisations" in ambiguous.stderr and "统一社会信用代码" in ambiguous.stderr
        )
        assert all(code in ambiguous.stderr for code in twins)
        with pytest.raises(AmbiguousOrganisation) as refused:
            await resolve_organisation(db, "村镇银行")
        assert {c.code for c in refused.value.candidates} == set(twins)
        assert _verified(cli_env, await _run_cli(cli_env, "token", twins[1])).org_code == twins[1]
    finally:
        await db.write("MATCH (b:Bank) WHERE b.code IN $codes DETACH DELETE b", {"codes": twins})
    with pytest.raises(OrganisationNotFound, match="in the graph"):
        await resolve_organisation(db, "不存在的单位")


async def test_a_newly_imported_department_gets_a_token_and_supplies_a_feed(
    db: Database,
    demo_orgs: None,
    cli_env: dict[str, str],
    neo4j_connection: Connection,
    tmp_path: Path,
) -> None:
    mine = make_uscc("11", WUGANG_REGION, "MB3Q7W20")
    orgs = _csv(
        tmp_path / "新增部门.csv",
        [
            [
                mine,
                "舞钢市城市管理局",
                "市城管局",
                "部门",
                "城市管理",
                "个人信息",
                "行政处罚",
                "舞城管",
            ]
        ],
    )
    added = await _run_cli(cli_env, "orgs", "import", str(orgs))
    assert added.exit_code == 0 and "created 1" in added.output
    token = _verified(cli_env, await _run_cli(cli_env, "token", "市城管局"))
    assert (token.org_kind, token.org_code, token.sectors) == (
        OrgKind.DEPARTMENT,
        mine,
        frozenset({"城市管理"}),
    )

    subject = make_uscc("91", WUGANG_REGION, "MA7CG001")
    await db.write(
        "CREATE (:Enterprise {uscc: $u, name: '舞钢市城东建材商行有限公司', status: 'ACTIVE'})",
        {"u": subject},
    )
    header = (
        "行政相对人名称,相对人类别,统一社会信用代码,法定代表人,证件号码,行政处罚决定书文号,"
        "违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额(万元),处罚决定日期,"
        "处罚有效期,失信程度,处罚机关,处罚机关统一社会信用代码,数据来源单位,"
        "数据来源单位统一社会信用代码,备注"
    )
    row = (
        f"舞钢市城东建材商行有限公司,法人及非法人组织,{subject},李四,,舞城管罚〔2026〕7号,"
        "违反城市市容和环境卫生管理条例,占道堆放建筑材料,《城市市容和环境卫生管理条例》第三十六条,"
        f"罚款,罚款五千元,0.5,2026-11-02,,一般,舞钢市城市管理局,{mine},舞钢市城市管理局,{mine},"
    )
    feed = tmp_path / "penalties.csv"
    feed.write_text(f"{header}\n{row}\n", encoding="utf-8")
    env = hub_env(neo4j_connection, tmp_path / "load-home", CREDITHUB_PERSON_KEY_SECRET="x" * 32)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "load", str(feed), "--department", "市城管局",
        "--kind", "penalty", "--today", TODAY.isoformat(),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, (out.decode(), err.decode())
    [record] = await db.read(
        "MATCH (r:Record {documentNumber: '舞城管罚〔2026〕7号'})-[:PROVIDED_BY]->(d:Department) "
        "MATCH (r)-[:HAS_SUBJECT]->(e:Enterprise) RETURN d.code AS by, e.uscc AS subject"
    )
    assert record == {"by": mine, "subject": subject}

    closed = await _run_cli(cli_env, "orgs", "close", mine, "--reason", "测试")
    assert closed.exit_code == 0, closed.output
    refused = await _run_cli(cli_env, "token", "市城管局")
    assert refused.exit_code == 1 and "closed on" in refused.stderr
    again = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "load", str(feed), "--department", mine,
        "--kind", "penalty", "--today", TODAY.isoformat(),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await again.communicate()
    assert again.returncode == 1 and "no open department or association" in err.decode()


async def test_measures_import_is_idempotent_and_a_bad_catalogue_names_the_row(
    db: Database, demo_orgs: None, tmp_path: Path
) -> None:
    catalogue = tmp_path / "measures.toml"
    catalogue.write_text(
        'title = "舞钢市失信联合惩戒措施清单"\nversion = "2027.1"\n'
        '[[basis_document]]\nreference = "国办发〔2020〕49号"\ntitle = "指导意见"\n'
        '[[measure]]\ncode = "M01"\nname = "限制参与招标投标活动"\ncategory = "行政性惩戒"\n'
        'basis = "国办发〔2020〕49号"\nbusiness = "招投标"\nimplemented_by = "市发改委"\n',
        encoding="utf-8",
    )
    head, measures = read_measure_catalogue(catalogue)
    first = await import_measures(db, head, measures, actor=CLERK, today=TODAY)
    assert first.updated == 1  # the demo's M01, now in catalogue version 2027.1
    [m01] = await db.read(
        "MATCH (m:Measure {code: 'M01'}) RETURN m.catalogueVersion AS version, "
        "m.implementedBy AS by, m.basisDocuments AS documents"
    )
    assert m01["version"] == "2027.1" and m01["documents"] == ["国办发〔2020〕49号：指导意见"]
    before = await _counts(db)
    again = await import_measures(db, head, measures, actor=CLERK, today=TODAY)
    assert again.unchanged == 1 and await _counts(db) == before

    catalogue.write_text(
        catalogue.read_text(encoding="utf-8").replace("行政性惩戒", "罚款"), encoding="utf-8"
    )
    with pytest.raises(ReferenceFileError) as refused:
        read_measure_catalogue(catalogue)
    assert [(p.row, p.field) for p in refused.value.problems] == [(1, "category")]


# -- GraphQL for the credit office ------------------------------------------------------------

REGISTER = """
mutation($o: OrganisationInput!) {
  registerOrganisation(organisation: $o, reason: "新设机构") { code name kind aliases revision }
}"""


async def test_the_credit_office_lists_registers_and_updates_and_a_bank_may_not(
    db: Database, demo_orgs: None, client_for: ClientFor
) -> None:
    code = make_uscc("11", WUGANG_REGION, "MB5XY901")
    async with client_for(ADMIN) as office:
        banks = await query(office, "{ organisations(kind: BANK) { code name shortNames } }")
        icbc = {
            "code": ICBC,
            "name": "中国工商银行股份有限公司舞钢支行",
            "shortNames": ["工行舞钢支行", "中国工商银行舞钢支行"],
        }
        assert len(banks["organisations"]) >= 5 and icbc in banks["organisations"]
        o = {"code": code, "name": "舞钢市医疗保障局", "kind": "DEPARTMENT",
             "shortNames": ["市医保局"], "sector": "医疗保障"}  # fmt: skip
        registered = (await query(office, REGISTER, o=o))["registerOrganisation"]
        assert registered == {"code": code, "name": "舞钢市医疗保障局", "kind": "DEPARTMENT",
                              "aliases": ["市医保局"], "revision": 1}  # fmt: skip
        again = await errors(office, REGISTER, o=o)
        assert "already registered" in again[0]["message"]
        bad = await errors(office, REGISTER, o={**o, "code": code[:17] + "0", "sector": None})
        assert bad[0]["extensions"]["code"] == "INVALID_ARGUMENT"
        updated = await query(
            office,
            'mutation { updateOrganisation(organisation: "市医保局", name: "舞钢市医疗保障中心", '
            'reason: "更名") { name aliases revision } }',
        )
        assert updated["updateOrganisation"] == {
            "name": "舞钢市医疗保障中心",
            "aliases": ["市医保局", "舞钢市医疗保障局"],
            "revision": 2,
        }
    audited = await db.read(
        "MATCH (a:AuditEntry) WHERE a.action IN ['register_organisation', 'update_organisation'] "
        "RETURN a.action AS action"
    )
    assert {a["action"] for a in audited} >= {"register_organisation", "update_organisation"}

    bank = Consumer(subject="officer", org_kind=OrgKind.BANK, org_code=ICBC)
    async with client_for(bank) as http:
        refused = await errors(
            http, REGISTER, o={**o, "code": make_uscc("11", "410481", "MB5XY902")}
        )
        assert refused[0]["extensions"]["code"] == "FORBIDDEN"
        assert "registerOrganisation" in refused[0]["message"]
        listing = await errors(http, "{ organisations { code } }")
        assert listing[0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_orgs_commands_add_rename_correct_merge_and_close_by_name(
    db: Database, demo_orgs: None, cli_env: dict[str, str]
) -> None:
    first = make_uscc("51", WUGANG_REGION, "MJ4C7101")
    second = make_uscc("51", WUGANG_REGION, "MJ4C7102")
    fixed = make_uscc("51", WUGANG_REGION, "MJ4C7103")
    for code, name, short in ((first, "舞钢市汽车维修行业协会", "汽修协会"),
                              (second, "舞钢市机动车检测协会", "机动车协会")):  # fmt: skip
        added = await _run_cli(
            cli_env, "orgs", "add", "--kind", "association", "--code", code, "--name", name,
            "--short", short, "--sector", "交通运输",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        assert code in added.stdout and short in added.stdout
    twice = await _run_cli(
        cli_env, "orgs", "add", "--kind", "association", "--code", first, "--name", "重复登记"
    )
    assert twice.exit_code == 1 and "already registered" in twice.stderr
    bad = await _run_cli(
        cli_env, "orgs", "add", "--kind", "department", "--code", EDU, "--name", "舞钢市教育局"
    )
    assert bad.exit_code == 1 and "行业领域" in bad.stderr

    renamed = await _run_cli(cli_env, "orgs", "rename", "汽修协会", "舞钢市机动车维修协会")
    assert renamed.exit_code == 0 and "舞钢市汽车维修行业协会" in renamed.stdout  # now an alias
    corrected = await _run_cli(cli_env, "orgs", "correct-code", "机动车协会", fixed)
    assert corrected.exit_code == 0 and fixed in corrected.stdout
    merged = await _run_cli(cli_env, "orgs", "merge", second, "--into", "舞钢市机动车维修协会")
    assert merged.exit_code == 0, merged.output
    assert "舞钢市机动车检测协会" in merged.stdout  # the merged name is an alias of the successor
    listed = await _run_cli(cli_env, "orgs", "list", "--kind", "association", "--all")
    assert "已撤销 closed" in listed.stdout and fixed in listed.stdout
    open_only = await _run_cli(cli_env, "orgs", "list", "--kind", "association")
    assert fixed not in open_only.stdout
    [event] = await db.read(
        "MATCH (ev:Event {type: 'ORGANISATION_MERGED'})-[:CONCERNS]->(:Association {code: $c}) "
        "RETURN ev.actorKind AS kind, ev.actorSubject AS who",
        {"c": fixed},
    )
    assert event["kind"] == "ADMIN" and event["who"].startswith("cli:")
