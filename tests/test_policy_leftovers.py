"""The leftovers of issues 15 and 16, each a rule with its test against the real Neo4j.

- `orgs merge` rewrites the properties naming the merged organisation by code to the
  survivor's code, as a code correction does (CODE_REFERENCES).
- `grantConsent(grantee:)` takes the bank's or agency's code, full name or short name through
  the organisation register's resolver; a name two organisations share is refused naming them.
- graph/lifecycle/rectification.py finds current records and judges a withdrawn finding through
  graph/publication.py's named predicates, not its own copies.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from authz.identity import Consumer, OrgKind
from graph.database import Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.lifecycle.base import Actor
from loaders.reference import merge_organisation
from tests.conftest import ClientFor
from tests.fixtures import B1, CA1, CONSENT_PURPOSE, E2
from tests.graphql import errors, query

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
