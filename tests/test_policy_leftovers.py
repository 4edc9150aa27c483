"""The leftovers of issues 15 and 16, each a rule with its test against the real Neo4j.

- `orgs merge` rewrites the properties naming the merged organisation by code to the
  survivor's code, as a code correction does (CODE_REFERENCES).
- `grantConsent(grantee:)` takes the bank's or agency's code, full name or short name through
  the organisation register's resolver; a name two organisations share is refused naming them.
- A department's duty has one source: the organisation file's 职责 (what a clerk edits) says
  which department has it, carried into its token by `credithub token`; the catalogue's
  `consumers.DEPARTMENT.duty` says which classes a duty may grant at all. The sector decides
  nothing.
- graph/lifecycle/rectification.py finds current records and judges a withdrawn finding through
  graph/publication.py's named predicates, not its own copies.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from authz.catalogue import Reason, default_catalogue
from authz.identity import Consumer, OrgKind
from authz.tokens import TokenVerifier
from graph.database import Connection, Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.lifecycle.base import Actor
from hub.cli import main
from hub.settings import Settings
from loaders.reference import merge_organisation
from tests.conftest import ClientFor
from tests.fixtures import B1, CA1, CONSENT_PURPOSE, E2
from tests.graphql import errors, query
from tests.processes import hub_env

TODAY = date(2026, 11, 28)
CLERK = Actor("ADMIN", None, "clerk")


# -- orgs merge: properties naming the merged organisation by code ----------------------------
async def test_a_merge_rewrites_what_names_the_merged_organisation_by_code(db: Database) -> None:
    merged = make_uscc("11", WUGANG_REGION, "MB5M3R01")
    survivor = make_uscc("11", WUGANG_REGION, "MB5M3R02")
    await db.write(
        "CREATE (:Department {code: $merged, name: '舞钢市城市管理局(合并测试)', "
        "  sector: '城市管理'}) "
        "CREATE (:Department {code: $survivor, name: '舞钢市城市管理和综合执法局(合并测试)', "
        "  sector: '城市管理'}) "
        "CREATE (:Record {uid: 'T-MG|1', key: 'PENALTY|' + $merged + '|城管罚9', "
        "  issuingAuthorityCode: $merged}) "
        "CREATE (:Batch {id: 'T-MG-BATCH', supplier: $merged, kind: 'penalty'}) "
        "CREATE (:Consent {id: 'T-MG-CONSENT', grantee: $merged}) "
        "CREATE (:Notice {id: 'T-MG-NOTICE', recipient: $merged}) "
        "CREATE (:Objection {id: 'T-MG-OBJ', decider: $merged}) "
        "CREATE (:RiskAlert {id: 'T-MG-ALERT', departments: ['X', $merged]})",
        {"merged": merged, "survivor": survivor},
    )
    try:
        await merge_organisation(db, merged, survivor, actor=CLERK, today=TODAY, reason="机构改革")
        [found] = await db.read(
            "MATCH (r:Record {uid: 'T-MG|1'}), (b:Batch {id: 'T-MG-BATCH'}), "
            "(c:Consent {id: 'T-MG-CONSENT'}), (n:Notice {id: 'T-MG-NOTICE'}), "
            "(o:Objection {id: 'T-MG-OBJ'}), (a:RiskAlert {id: 'T-MG-ALERT'}) "
            "RETURN [r.issuingAuthorityCode, b.supplier, c.grantee, n.recipient, o.decider] "
            "AS named, a.departments AS alert, r.key AS key"
        )
        assert found["named"] == [survivor] * 5
        assert found["alert"] == ["X", survivor]
        assert found["key"] == f"PENALTY|{merged}|城管罚9", "natural keys keep their code"
        [event] = await db.read(
            "MATCH (e:Event {type: 'ORGANISATION_MERGED'}) WHERE e.fromState = $merged "
            "RETURN e.detail AS detail",
            {"merged": merged},
        )
        assert json.loads(event["detail"])["rewritten"]["Consent.grantee"] == 1
    finally:
        await db.write(
            "MATCH (e:Event)-[:CONCERNS]->(o) WHERE o.code IN [$merged, $survivor] DETACH DELETE e",
            {"merged": merged, "survivor": survivor},
        )
        await db.write(
            "MATCH (n) WHERE n.id STARTS WITH 'T-MG' OR n.uid STARTS WITH 'T-MG' "
            "OR n.code IN [$merged, $survivor] "
            "OPTIONAL MATCH (n)-[:PREVIOUS_REVISION*]->(rev) "
            "DETACH DELETE rev, n",
            {"merged": merged, "survivor": survivor},
        )


# -- grantConsent: the grantee by code, full name or short name ------------------------------
UNTIL = (date.today() + timedelta(days=30)).isoformat()
GRANT = (
    "mutation($grantee: String!) { grantConsent(grantee: $grantee, "
    f'classes: ["conditional"], purpose: "{CONSENT_PURPOSE}", expiresOn: "{UNTIL}") '
    "{ id grantee granteeKind } }"
)
E2_ITSELF = Consumer(subject="e2-staff", org_kind=OrgKind.ENTERPRISE, org_code=E2)


async def test_consent_names_its_grantee_by_code_full_name_or_short_name(
    db: Database, client_for: ClientFor
) -> None:
    twin = make_uscc("91", WUGANG_REGION, "MA5CN701")
    started = datetime.now(UTC)
    await db.write(
        "MATCH (b:Bank {code: $b1}), (a:CreditAgency {code: $ca}) "
        "SET b.shortName = '工行舞钢支行', b.shortNames = ['工行舞钢支行'], "
        "  b.aliases = ['工行舞钢支行', '工商银行'] "
        "CREATE (:Bank {code: $twin, name: '中国工商银行舞钢矿区分理处', shortName: '工商银行', "
        "  shortNames: ['工商银行'], aliases: ['工商银行']})",
        {"b1": B1, "ca": CA1, "twin": twin},
    )
    try:
        async with client_for(E2_ITSELF) as http:
            by_short = (await query(http, GRANT, grantee="工行舞钢支行"))["grantConsent"]
            by_full = (await query(http, GRANT, grantee="河南信联征信有限公司"))["grantConsent"]
            by_code = (await query(http, GRANT, grantee=B1.lower()))["grantConsent"]
            ambiguous = await errors(http, GRANT, grantee="工商银行")
            unknown = await errors(http, GRANT, grantee="舞钢市不存在银行")
        assert (by_short["grantee"], by_short["granteeKind"]) == (B1, "BANK")
        assert (by_full["grantee"], by_full["granteeKind"]) == (CA1, "CREDIT_AGENCY")
        assert by_code["grantee"] == B1
        [refusal] = ambiguous
        assert "对应2个机构" in refusal["message"] and B1 in refusal["message"]
        assert twin in refusal["message"]
        [not_found] = unknown
        assert "不是本网络的金融机构或信用服务机构" in not_found["message"]
    finally:
        await db.write(
            "MATCH (c:Consent)-[:GRANTED_BY]->(:Enterprise {uscc: $e2}) "
            "WHERE c.grantedAt >= $started DETACH DELETE c "
            "WITH count(*) AS done "
            "MATCH (b:Bank {code: $b1}) REMOVE b.shortName, b.shortNames, b.aliases "
            "WITH count(*) AS done2 "
            "MATCH (t:Bank {code: $twin}) DETACH DELETE t",
            {"e2": E2, "b1": B1, "twin": twin, "started": started},
        )


# -- rectification: the named predicates, not copies -------------------------------------------
def test_rectification_states_no_current_version_or_withdrawn_status_of_its_own() -> None:
    source = (
        Path(__file__).resolve().parent.parent / "graph/lifecycle/rectification.py"
    ).read_text(encoding="utf-8")
    assert "current: true" not in source, "use graph.publication.current_record"
    assert not re.search(r"RecordStatus\.(REPAIRED|REVOKED)", source), (
        "a repaired or revoked finding is graph.publication.record_shared's rule"
    )


# -- a department's duty: the organisation file says who has it, the catalogue what it grants --
def _department(sector: str, duty: frozenset[str] = frozenset()) -> Consumer:
    return Consumer(
        subject="duty@test",
        org_kind=OrgKind.DEPARTMENT,
        org_code=make_uscc("11", WUGANG_REGION, "MB0D7701"),
        sectors=frozenset({sector}),
        duty=duty,
    )


def test_the_registered_duty_not_the_sector_decides_full_id_numbers() -> None:
    catalogue = default_catalogue()
    # 发展改革 was a sector of the catalogue's old duty list: the sector alone grants nothing.
    by_sector = catalogue.field(_department("发展改革"), "Person", "idNumber")
    assert (by_sector.allowed, by_sector.reason) == (False, Reason.OUTSIDE_DUTY)
    assert "registered duty (职责) does not" in by_sector.citation
    # A housing department whose registered duty lists 身份证件号码 sees them.
    by_duty = catalogue.field(
        _department("住房城乡建设", frozenset({"personal_id"})), "Person", "idNumber"
    )
    assert by_duty.allowed and "consumers.DEPARTMENT.duty ∋ personal_id" in by_duty.citation
    # Classes every department has stay independent of duty.
    assert catalogue.field(_department("住房城乡建设"), "Person", "name").allowed


def test_a_duty_grants_only_what_the_catalogue_lets_a_duty_grant() -> None:
    catalogue = default_catalogue()
    granted = catalogue.duty_classes(OrgKind.DEPARTMENT, ["个人信息", "身份证件号码"])
    assert granted == frozenset({"personal_id"}), "个人信息 every department has already"
    assert catalogue.duty_classes(OrgKind.DEPARTMENT, ["personal_id"]) == {"personal_id"}
    assert catalogue.duty_classes(OrgKind.DEPARTMENT, []) == frozenset()
    with pytest.raises(ValueError, match="不是共享目录中的共享类别"):
        catalogue.duty_classes(OrgKind.DEPARTMENT, ["身份证号"])
    with pytest.raises(ValueError, match=r"consumers\.BANK\.duty = \[\]"):
        catalogue.duty_classes(OrgKind.BANK, ["身份证件号码"])


def _cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


DUTY_ORG_SHORT = "市医保局(职责测试)"


async def _token(env: dict[str, str], org: str) -> Consumer:
    result = await asyncio.to_thread(_cli, env, "token", org)
    assert result.exit_code == 0, result.output
    # The clerk sees what the token grants.
    assert ("duty personal_id" in result.stderr) == (org == DUTY_ORG_SHORT), result.stderr
    return TokenVerifier(Settings.from_env(env).token_config()).verify(result.stdout.strip())


async def test_a_clerk_edits_the_duty_in_the_organisation_file_and_the_next_token_follows(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path / "home")
    code = make_uscc("11", WUGANG_REGION, "MB0D7702")
    header = (
        "统一社会信用代码,名称,简称/别名,类别,行业领域,职责/可查看个人信息,决定类型,决定文号前缀"
    )

    def organisations(duty: str) -> str:
        path = tmp_path / "机构名录.csv"
        name = "舞钢市医疗保障局(职责测试),市医保局(职责测试)"
        row = f"{code},{name},部门,医疗保障,{duty},行政处罚,舞医保"
        path.write_text(f"{header}\n{row}\n", encoding="utf-8")
        return str(path)

    try:
        # 医疗保障 is in no sector list: the file's duty alone grants full ID numbers.
        loaded = await asyncio.to_thread(
            _cli, env, "orgs", "import", organisations("个人信息、身份证件号码")
        )
        assert loaded.exit_code == 0, loaded.output
        with_id = await _token(env, DUTY_ORG_SHORT)
        assert with_id.duty == frozenset({"personal_id"})
        assert default_catalogue().field(with_id, "Person", "idNumber").allowed

        edited = await asyncio.to_thread(_cli, env, "orgs", "import", organisations("个人信息"))
        assert edited.exit_code == 0, edited.output
        without = await _token(env, code)
        assert without.duty == frozenset()
        assert not default_catalogue().field(without, "Person", "idNumber").allowed

        # A duty that is no class of the catalogue is refused, not ignored.
        typo = await asyncio.to_thread(_cli, env, "orgs", "import", organisations("身份证号"))
        assert typo.exit_code == 0, typo.output
        refused = await asyncio.to_thread(_cli, env, "token", code)
        assert refused.exit_code != 0 and "身份证号" in refused.output
    finally:
        await db.write(
            "MATCH (o:Department {code: $code}) "
            "OPTIONAL MATCH (o)-[:PREVIOUS_REVISION*]->(rev) "
            "OPTIONAL MATCH (e:Event)-[:CONCERNS]->(o) "
            "DETACH DELETE rev, e, o",
            {"code": code},
        )
