"""A small credit graph whose every value the tests know.

P1 张伟   legal representative of E1, E2, E3; actual controller and 60 % shareholder of E1;
          linked person of E1's black-list entry; subject of a judgment
P2 李娜   principal (总经理) of E1
P3 欧阳明 legal representative and sole shareholder of E4
P4 王小红 legal representative of E5
E4 holds 40 % of E1 (a shareholding chain P3 → E4 → E1)
E1 on an active black list with two measures; E2 on a removed one (measure lifted);
E5 on the red list and a member of association A1 (E1 too); E5 has 25 licences (paging)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from graph.database import Database
from graph.identifiers import (
    make_resident_id,
    make_uscc,
    mask_id_number,
    mask_name,
    person_key,
    resident_id_gender,
)

PERSON_SECRET = b"test-person-key-secret"


def _uscc(category: str, body: str) -> str:
    return make_uscc(category, "410481", body)


SAMR = _uscc("11", "00000001")
TAX = _uscc("11", "00000002")
NDRC = _uscc("11", "00000003")
COURT = _uscc("11", "00000004")
A1 = _uscc("51", "00000005")
HOUSING = _uscc("11", "00000006")
B1 = _uscc("91", "BK000001")
B2 = _uscc("91", "BK000002")
CA1 = _uscc("91", "CA000001")
CONSENT_PURPOSE = "贷前审查"

E1 = _uscc("91", "FX000001")
E2 = _uscc("91", "FX000002")
E3 = _uscc("91", "FX000003")
E4 = _uscc("91", "FX000004")
E5 = _uscc("91", "FX000005")

P1_ID = make_resident_id("410481", date(1970, 5, 17), 31)
P2_ID = make_resident_id("410481", date(1985, 9, 3), 42)
P3_ID = make_resident_id("410402", date(1962, 1, 30), 15)
P4_ID = make_resident_id("410481", date(1990, 12, 1), 88)
P1 = person_key(P1_ID, PERSON_SECRET)
P2 = person_key(P2_ID, PERSON_SECRET)
P3 = person_key(P3_ID, PERSON_SECRET)
P4 = person_key(P4_ID, PERSON_SECRET)


def _person(key: str, id_number: str, name: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "nameMasked": mask_name(name),
        "idNumber": id_number,
        "idMasked": mask_id_number(id_number),
        "gender": resident_id_gender(id_number),
        "birthYear": int(id_number[6:10]),
    }


DEPARTMENTS = [
    {
        "code": SAMR,
        "name": "舞钢市市场监督管理局",
        "shortName": "市市场监管局",
        "sector": "市场监管",
    },
    {"code": TAX, "name": "国家税务总局舞钢市税务局", "shortName": "市税务局", "sector": "税务"},
    {"code": NDRC, "name": "舞钢市发展和改革委员会", "shortName": "市发改委", "sector": "发展改革"},
    {"code": COURT, "name": "舞钢市人民法院", "shortName": "市法院", "sector": "司法"},
    {
        "code": HOUSING,
        "name": "舞钢市住房和城乡建设局",
        "shortName": "市住建局",
        "sector": "住房城乡建设",
    },
]

ENTERPRISES = [
    {
        "uscc": E1,
        "name": "舞钢市鑫源钢铁有限公司",
        "status": "ACTIVE",
        "industry": "制造业",
        "entityType": "有限责任公司(自然人投资或控股)",
        "registeredCapital": 5000.0,
        "foundedOn": date(2008, 4, 12),
        "address": "舞钢市垭口街道建设路18号",
        "businessScope": "钢材冶炼、轧制及销售",
    },
    {
        "uscc": E2,
        "name": "舞钢市宏达建材有限公司",
        "status": "ACTIVE",
        "industry": "制造业",
        "entityType": "有限责任公司(自然人独资)",
        "registeredCapital": 800.0,
        "foundedOn": date(2012, 7, 1),
        "address": "舞钢市寺坡街道湖滨大道6号",
        "businessScope": "建筑材料生产销售",
    },
    {
        "uscc": E3,
        "name": "舞钢市中原物流有限公司",
        "status": "CANCELLED",
        "industry": "交通运输业",
        "entityType": "有限责任公司(自然人投资或控股)",
        "registeredCapital": 300.0,
        "foundedOn": date(2015, 3, 9),
        "address": "舞钢市院岭街道朱兰路2号",
        "businessScope": "普通货运",
    },
    {
        "uscc": E4,
        "name": "舞钢市华钢控股有限公司",
        "status": "ACTIVE",
        "industry": "租赁和商务服务业",
        "entityType": "有限责任公司(自然人独资)",
        "registeredCapital": 10000.0,
        "foundedOn": date(2005, 10, 20),
        "address": "舞钢市矿建街道人民路99号",
        "businessScope": "企业投资管理",
    },
    {
        "uscc": E5,
        "name": "舞钢市石漫滩旅游开发有限公司",
        "status": "ACTIVE",
        "industry": "住宿和餐饮业",
        "entityType": "有限责任公司(国有独资)",
        "registeredCapital": 2000.0,
        "foundedOn": date(2010, 6, 6),
        "address": "舞钢市八台镇石漫滩路1号",
        "businessScope": "旅游景区开发与经营",
    },
]

PERSONS = [
    _person(P1, P1_ID, "张伟"),
    _person(P2, P2_ID, "李娜"),
    _person(P3, P3_ID, "欧阳明"),
    _person(P4, P4_ID, "王小红"),
]

ROLES = [  # (person, rel, enterprise, props)
    (P1, "LEGAL_REPRESENTATIVE_OF", E1, {}),
    (P1, "LEGAL_REPRESENTATIVE_OF", E2, {}),
    (P1, "LEGAL_REPRESENTATIVE_OF", E3, {}),
    (P1, "ACTUAL_CONTROLLER_OF", E1, {}),
    (P1, "SHAREHOLDER_OF", E1, {"share": 0.6}),
    (P2, "PRINCIPAL_OF", E1, {"title": "总经理"}),
    (P3, "LEGAL_REPRESENTATIVE_OF", E4, {}),
    (P3, "SHAREHOLDER_OF", E4, {"share": 1.0}),
    (P4, "LEGAL_REPRESENTATIVE_OF", E5, {}),
]


def _record(
    key_suffix: str,
    kind: str,
    subject: str,
    provider: str,
    decided: date,
    *,
    version: int = 1,
    current: bool = True,
    status: str = "EFFECTIVE",
    severity: str | None = None,
    publish: tuple[date | None, date | None] = (None, None),
    title: str = "",
    amount: float | None = None,
) -> dict[str, Any]:
    key = f"{kind}|{provider}|{key_suffix}"
    return {
        "uid": f"{key}#v{version}",
        "key": key,
        "version": version,
        "current": current,
        "kind": kind,
        "title": title or key_suffix,
        "documentNumber": key_suffix,
        "decisionDate": decided,
        "issuingAuthority": next(d["name"] for d in DEPARTMENTS if d["code"] == provider),
        "issuingAuthorityCode": provider,
        "severity": severity,
        "category": "罚款" if kind == "PENALTY" else "普通",
        "content": f"{title or key_suffix}的内容",
        "amount": amount,
        "validFrom": decided,
        "validTo": None,
        "publishFrom": publish[0],
        "publishUntil": publish[1],
        "status": status,
        "subject": subject,
        "provider": provider,
    }


R1 = _record(
    "舞市监罚字〔2026〕第0031号",
    "PENALTY",
    E1,
    SAMR,
    date(2026, 3, 10),
    severity="GENERAL",
    publish=(date(2026, 3, 10), date(2027, 3, 10)),
    title="超标排放",
    amount=12.5,
)
R2 = _record(
    "舞市监罚字〔2025〕第0102号",
    "PENALTY",
    E1,
    SAMR,
    date(2025, 5, 1),
    severity="SERIOUS",
    publish=(date(2025, 5, 1), date(2028, 5, 1)),
    status="REPAIRED",
    title="无证经营",
)
R3 = _record(
    "舞发改许〔2024〕45号",
    "LICENSE",
    E1,
    NDRC,
    date(2024, 6, 1),
    publish=(date(2024, 6, 1), date(2029, 5, 31)),
    title="固定资产投资项目核准",
)
R4 = _record(
    "舞税罚〔2021〕7号",
    "PENALTY",
    E1,
    TAX,
    date(2021, 2, 1),
    severity="GENERAL",
    publish=(date(2021, 2, 1), date(2022, 2, 1)),
    title="逾期申报",
)
R5_V1 = _record(
    "舞市监许〔2023〕88号",
    "LICENSE",
    E1,
    SAMR,
    date(2023, 8, 8),
    current=False,
    status="SUPERSEDED",
    publish=(date(2023, 8, 8), date(2026, 8, 8)),
    title="食品经营许可",
)
R5_V2 = _record(
    "舞市监许〔2023〕88号",
    "LICENSE",
    E1,
    SAMR,
    date(2023, 8, 8),
    version=2,
    publish=(date(2023, 8, 8), date(2026, 8, 8)),
    title="食品经营许可(更正)",
)
R6 = _record(
    "(2025)豫0481民初123号",
    "JUDGMENT",
    P1,
    COURT,
    date(2025, 11, 20),
    severity="GENERAL",
    publish=(date(2025, 11, 20), date(2028, 11, 20)),
    title="买卖合同纠纷",
)
E5_LICENCES = [
    _record(
        f"舞文旅许〔2025〕{i:03d}号",
        "LICENSE",
        E5,
        SAMR,
        date(2025, 1, 1 + i),
        publish=(date(2025, 1, 1 + i), date(2028, 1, 1)),
        title=f"经营许可{i:02d}",
    )
    for i in range(25)
]
RECORDS = [R1, R2, R3, R4, R5_V1, R5_V2, R6, *E5_LICENCES]

MEASURES = [
    {
        "code": "M01",
        "name": "限制参与政府采购",
        "category": "ADMINISTRATIVE",
        "basis": "国办发〔2020〕49号",
        "business": "政府采购",
    },
    {
        "code": "M02",
        "name": "限制参与招标投标",
        "category": "ADMINISTRATIVE",
        "basis": "国办发〔2020〕49号",
        "business": "招投标",
    },
]

LIST_ENTRIES = [
    {
        "id": "LE-1",
        "listType": "BLACK",
        "listName": "严重失信主体名单",
        "subject": E1,
        "decidedBy": NDRC,
        "status": "ACTIVE",
        "decisionDate": date(2026, 4, 1),
        "basis": "《河南省社会信用条例》",
        "decisionNumber": "舞发改信〔2026〕3号",
        "removalConditions": "履行处罚决定并完成信用修复",
        "removedOn": None,
    },
    {
        "id": "LE-2",
        "listType": "RED",
        "listName": "A级纳税人",
        "subject": E5,
        "decidedBy": TAX,
        "status": "ACTIVE",
        "decisionDate": date(2026, 5, 1),
        "basis": "纳税信用管理办法",
        "decisionNumber": "舞税信〔2026〕1号",
        "removalConditions": None,
        "removedOn": None,
    },
    {
        "id": "LE-3",
        "listType": "BLACK",
        "listName": "严重失信主体名单",
        "subject": E2,
        "decidedBy": NDRC,
        "status": "REMOVED",
        "decisionDate": date(2024, 1, 10),
        "basis": "《河南省社会信用条例》",
        "decisionNumber": "舞发改信〔2024〕1号",
        "removalConditions": "履行义务",
        "removedOn": date(2025, 1, 10),
    },
]

SANCTIONS = [
    {
        "id": "SN-1",
        "entry": "LE-1",
        "measure": "M01",
        "subject": E1,
        "by": NDRC,
        "from": date(2026, 4, 1),
        "until": date(2029, 4, 1),
        "status": "ACTIVE",
    },
    {
        "id": "SN-2",
        "entry": "LE-1",
        "measure": "M02",
        "subject": E1,
        "by": NDRC,
        "from": date(2026, 4, 1),
        "until": date(2029, 4, 1),
        "status": "ACTIVE",
    },
    {
        "id": "SN-3",
        "entry": "LE-3",
        "measure": "M01",
        "subject": E2,
        "by": NDRC,
        "from": date(2024, 1, 10),
        "until": date(2025, 1, 10),
        "status": "LIFTED",
    },
]


async def load_fixture_graph(db: Database) -> None:
    """Write the fixture graph (into an empty, migrated database)."""
    await db.write(
        "CREATE (:Bank {code: $b1, name: '中国工商银行舞钢支行'}), "
        "(:Bank {code: $b2, name: '中原银行舞钢支行'}), "
        "(:CreditAgency {code: $ca, name: '河南信联征信有限公司'})",
        {"b1": B1, "b2": B2, "ca": CA1},
    )
    await db.write("UNWIND $rows AS row CREATE (d:Department) SET d = row", {"rows": DEPARTMENTS})
    await db.write(
        "CREATE (:Association {code: $code, name: '舞钢市钢铁行业协会', sector: '冶金'})",
        {"code": A1},
    )
    await db.write(
        "UNWIND $rows AS row CREATE (e:Enterprise) SET e = row, "
        "e.category = left(row.uscc, 2), e.region = substring(row.uscc, 2, 6)",
        {"rows": ENTERPRISES},
    )
    await db.write("UNWIND $rows AS row CREATE (p:Person) SET p = row", {"rows": PERSONS})
    for person, rel, enterprise, props in ROLES:
        await db.write(
            "MATCH (p:Person {key: $p}), (e:Enterprise {uscc: $e}) "
            f"CREATE (p)-[r:{rel}]->(e) SET r = $props",
            {"p": person, "e": enterprise, "props": props},
        )
    await db.write(
        "MATCH (h:Enterprise {uscc: $holder}), (e:Enterprise {uscc: $held}) "
        "CREATE (h)-[:SHAREHOLDER_OF {share: 0.4}]->(e)",
        {"holder": E4, "held": E1},
    )
    await db.write(
        "MATCH (a:Association {code: $a}) UNWIND $members AS m "
        "MATCH (e:Enterprise {uscc: m}) CREATE (e)-[:MEMBER_OF {since: date('2020-01-01')}]->(a)",
        {"a": A1, "members": [E1, E5]},
    )
    rows = [
        {k: v for k, v in r.items() if k not in ("subject", "provider")}
        | {"_subject": r["subject"], "_provider": r["provider"]}
        for r in RECORDS
    ]
    await db.write(
        "UNWIND $rows AS row CREATE (r:Record) SET r = row "
        "REMOVE r._subject, r._provider "
        "WITH r, row MATCH (d:Department {code: row._provider}) CREATE (r)-[:PROVIDED_BY]->(d) "
        "WITH r, row MATCH (s) WHERE (s:Enterprise AND s.uscc = row._subject) "
        "OR (s:Person AND s.key = row._subject) CREATE (r)-[:HAS_SUBJECT]->(s)",
        {"rows": rows},
    )
    await db.write(
        "MATCH (new:Record {uid: $new}), (old:Record {uid: $old}) "
        "CREATE (new)-[:SUPERSEDES]->(old)",
        {"new": R5_V2["uid"], "old": R5_V1["uid"]},
    )
    await db.write("UNWIND $rows AS row CREATE (m:Measure) SET m = row", {"rows": MEASURES})
    entries = [
        {k: v for k, v in e.items() if k not in ("subject", "decidedBy")}
        | {"_subject": e["subject"], "_by": e["decidedBy"]}
        for e in LIST_ENTRIES
    ]
    await db.write(
        "UNWIND $rows AS row CREATE (l:ListEntry) SET l = row REMOVE l._subject, l._by "
        "WITH l, row MATCH (e:Enterprise {uscc: row._subject}) CREATE (l)-[:HAS_SUBJECT]->(e) "
        "WITH l, row MATCH (d:Department {code: row._by}) CREATE (l)-[:DECIDED_BY]->(d)",
        {"rows": entries},
    )
    await db.write(
        "MATCH (l:ListEntry {id: 'LE-1'}), (p:Person {key: $p}) "
        "CREATE (l)-[:LINKED_PERSON {role: 'LEGAL_REPRESENTATIVE'}]->(p)",
        {"p": P1},
    )
    await db.write(
        "UNWIND $rows AS row CREATE (s:Sanction {id: row.id, from: row.from, until: row.until, "
        "status: row.status}) "
        "WITH s, row MATCH (l:ListEntry {id: row.entry}) CREATE (s)-[:UNDER]->(l) "
        "WITH s, row MATCH (m:Measure {code: row.measure}) CREATE (s)-[:APPLIES]->(m) "
        "WITH s, row MATCH (e:Enterprise {uscc: row.subject}) CREATE (s)-[:HAS_SUBJECT]->(e) "
        "WITH s, row MATCH (d:Department {code: row.by}) CREATE (s)-[:IMPOSED_BY]->(d)",
        {"rows": SANCTIONS},
    )
    await db.write(
        "MATCH (e:Enterprise {uscc: $e1}) "
        "CREATE (:Consent {id: 'CONSENT-1', grantee: $b1, granteeKind: 'BANK', "
        "classes: ['conditional'], purpose: $purpose, grantedAt: datetime(), "
        "expiresOn: date() + duration('P90D'), "
        "expiresAt: datetime() + duration('P90D')})-[:GRANTED_BY]->(e)",
        {"e1": E1, "b1": B1, "purpose": CONSENT_PURPOSE},
    )
