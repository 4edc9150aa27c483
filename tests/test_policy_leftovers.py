"""The leftovers of issues 15 and 16, each a rule with its test against the real Neo4j.

- `orgs merge` rewrites the properties naming the merged organisation by code to the
  survivor's code, as a code correction does (CODE_REFERENCES).
"""

from __future__ import annotations

import json
from datetime import date

from graph.database import Database
from graph.identifiers import WUGANG_REGION, make_uscc
from graph.lifecycle.base import Actor
from loaders.reference import merge_organisation

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
