"""What the national feeds now know, followed everywhere (issue 15, the follow-ups).

- GraphQL shows a provisional subject (待登记核实) and a record's deciding authority beside its
  supplier;
- the decider, not a relaying supplier, orders rectification (谁认定、谁约谈) and keeps the
  history of a record the supplier relayed (the department row rule);
- an ended membership counts nowhere: not for an association's commitment programme, not for
  grade-change notices; and a membership feed re-sending a member after an end starts a new
  period instead of rewriting the ended one;
- a corrected organisation code is rewritten where properties name the organisation by code.
All against the real Neo4j; the fixture graph is put back afterwards.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest

from authz.identity import Consumer, OrgKind
from graph.database import Database
from graph.evaluation.announcements import GradeChange, announce_changes
from graph.identifiers import make_uscc
from graph.lifecycle.base import Actor
from graph.lifecycle.commitments import NotAMember, make_commitment, save_item
from graph.lifecycle.memberships import end_membership
from graph.lifecycle.rectification import NotTheFindingDepartment, order
from graph.model import CreditGrade, SeverityTier
from loaders.batches import list_quarantine
from loaders.pipeline import LoadOptions, LoadSummary, load_rows
from loaders.reference.organisations import correct_code
from loaders.sample_feeds import NATIONAL_PENALTY_HEADERS
from tests.conftest import ClientFor
from tests.fixtures import A1, E1, E2, PERSON_SECRET, SAMR, TAX, load_fixture_graph
from tests.graphql import query

TODAY = datetime.date(2026, 11, 28)
OPTIONS = LoadOptions(today=TODAY)
BIG_DATA = make_uscc("11", "410481", "00000009")
SUBJECT = make_uscc("91", "410481", "PR000001")
SUBJECT_NAME = "舞钢市待登记建材有限公司"
OFFICE = Actor("ADMIN", None, "test@office")


@pytest.fixture(scope="module")
async def relayed(db: Database) -> AsyncIterator[str]:
    """A penalty decided by 市市场监管局, relayed by the big-data office, about a subject the
    registration feed has not sent; its record key. The fixture graph is restored after."""
    await db.write(
        "MERGE (d:Department {code: $code}) SET d.name = '舞钢市政务服务和大数据管理办公室', "
        "d.shortName = '市大数据局', d.sector = '政务服务和大数据'",
        {"code": BIG_DATA},
    )
    summary = await submit(db, "penalty", [_penalty("舞市监罚〔2026〕901号")], BIG_DATA)
    assert summary.new == 1, summary
    [found] = await db.read(
        "MATCH (r:Record {documentNumber: '舞市监罚〔2026〕901号', current: true}) "
        "RETURN r.key AS key"
    )
    yield str(found["key"])
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def submit(
    db: Database, kind: str, rows: list[dict[str, Any]], supplier: str, name: str = "api"
) -> LoadSummary:
    return await load_rows(
        db, rows, supplier, kind, person_secret=PERSON_SECRET, source_name=name, options=OPTIONS
    )


def _penalty(number: str) -> dict[str, str]:
    row = dict.fromkeys(NATIONAL_PENALTY_HEADERS, "")
    row.update({
        "行政相对人名称": SUBJECT_NAME, "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": SUBJECT, "行政处罚决定书文号": number,
        "违法行为类型": "违反产品质量法", "违法事实": "销售不合格产品",
        "处罚依据": "《产品质量法》",
        "处罚类别": "罚款", "处罚内容": "罚款", "罚款金额（万元）": "1",
        "处罚决定日期": "2026/11/02", "处罚机关": "舞钢市市场监督管理局",
        "处罚机关统一社会信用代码": SAMR, "数据来源单位": "舞钢市政务服务和大数据管理办公室",
        "数据来源单位统一社会信用代码": BIG_DATA,
    })  # fmt: skip
    return row


def _department(code: str, sector: str) -> Consumer:
    return Consumer(
        subject=f"tester@{code}",
        org_kind=OrgKind.DEPARTMENT,
        org_code=code,
        sectors=frozenset({sector}),
        purpose=None,
    )


# -- GraphQL: provisional subjects and the decider ------------------------------------------
async def test_graphql_shows_the_provisional_subject_and_the_decider_beside_the_supplier(
    db: Database, relayed: str, client_for: ClientFor
) -> None:
    document = """
    query ($uscc: String!) { enterprise(uscc: $uscc) { name provisional
      records(first: 5) { edges { node { documentNumber issuingAuthority
        provider { code } decidedBy { code name shortName } } } } } }"""
    async with client_for(_department(TAX, "税务")) as http:
        data = await query(http, document, uscc=SUBJECT)
    enterprise = data["enterprise"]
    assert (enterprise["name"], enterprise["provisional"]) == (SUBJECT_NAME, True)
    [edge] = enterprise["records"]["edges"]
    node = edge["node"]
    assert node["provider"] == {"code": BIG_DATA}, "the relayer is shown as the supplier"
    assert node["decidedBy"] == {
        "code": SAMR,
        "name": "舞钢市市场监督管理局",
        "shortName": "市市场监管局",
    }


async def test_a_registered_subject_is_not_provisional_and_an_old_record_has_no_decider(
    db: Database, relayed: str, client_for: ClientFor
) -> None:
    document = """
    query ($uscc: String!) { enterprise(uscc: $uscc) { provisional
      records(first: 1) { edges { node { provider { code } decidedBy { code } } } } } }"""
    async with client_for(_department(TAX, "税务")) as http:
        data = await query(http, document, uscc=E1)
    assert data["enterprise"]["provisional"] is False
    [edge] = data["enterprise"]["records"]["edges"]
    assert edge["node"]["decidedBy"] is None, "fixture records predate deciders"
    assert edge["node"]["provider"] is not None


# -- 谁认定、谁约谈 ----------------------------------------------------------------------------
async def test_the_decider_orders_rectification_of_a_relayed_finding_not_the_relayer(
    db: Database, relayed: str
) -> None:
    common: dict[str, Any] = {
        "finding": relayed,
        "deadline": TODAY + datetime.timedelta(days=30),
        "requirement": "停止销售不合格产品并召回",
        "severity": SeverityTier.GENERAL,
        "document_number": None,
        "today": TODAY,
    }
    with pytest.raises(NotTheFindingDepartment):
        await order(db, Actor("DEPARTMENT", BIG_DATA, "t@bd"), BIG_DATA, **common)
    made = await order(db, Actor("DEPARTMENT", SAMR, "t@samr"), SAMR, **common)
    assert made.ordered_by == SAMR
    [row] = await db.read(
        "MATCH (r:Rectification {id: $id}) RETURN r.orderedBy AS by", {"id": made.id}
    )
    assert row["by"] == SAMR


# -- the decider keeps the history -------------------------------------------------------------
async def test_the_decider_keeps_a_repaired_relayed_record_other_departments_do_not(
    db: Database, relayed: str, client_for: ClientFor
) -> None:
    await db.write(
        "MATCH (r:Record {key: $key, current: true}) SET r.status = 'REPAIRED'", {"key": relayed}
    )
    document = """
    query ($uscc: String!) { enterprise(uscc: $uscc) {
      records(first: 5, kinds: [PENALTY]) { totalCount edges { node { status } } } } }"""
    seen = {}
    for code, sector in ((SAMR, "市场监管"), (BIG_DATA, "政务服务和大数据"), (TAX, "税务")):
        async with client_for(_department(code, sector)) as http:
            data = await query(http, document, uscc=SUBJECT)
        seen[code] = data["enterprise"]["records"]["totalCount"]
    await db.write(
        "MATCH (r:Record {key: $key, current: true}) SET r.status = 'EFFECTIVE'", {"key": relayed}
    )
    assert seen == {SAMR: 1, BIG_DATA: 1, TAX: 0}, "decider and supplier keep it; no one else"


# -- memberships that ended ------------------------------------------------------------------
async def test_an_ended_member_cannot_join_the_associations_commitment_programme(
    db: Database, relayed: str
) -> None:
    association = Actor("ASSOCIATION", A1, "t@a1")
    template = "本企业承诺遵守行业自律公约，诚信经营，接受协会和社会监督。"
    await save_item(
        db, association, A1, code="A1.PLEDGE", name="行业自律承诺", template=template,
        active=True, today=TODAY,
    )  # fmt: skip
    await end_membership(db, association, A1, E1, until=TODAY, reason="会员退会", today=TODAY)
    with pytest.raises(NotAMember):
        await make_commitment(
            db, Actor("ENTERPRISE", E1, "t@e1"), subject=E1, item_code="A1.PLEDGE",
            accepted_text=template, due_by=None, today=TODAY,
        )  # fmt: skip


async def test_grade_changes_are_announced_to_current_associations_only(
    db: Database, relayed: str
) -> None:
    # E5 is a current member of A1; E2 was one, until yesterday.
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}), (a:Association {code: $a}) "
        "CREATE (e)-[:MEMBER_OF {since: date('2020-01-01'), until: date($until)}]->(a)",
        {"e": E2, "a": A1, "until": (TODAY - datetime.timedelta(days=1)).isoformat()},
    )
    changes = [
        GradeChange(E2, "E2", CreditGrade.B, CreditGrade.C),
    ]

    async def work(tx: Any) -> int:
        return await announce_changes(tx, changes, ref="RUN-TEST-ENDED", today=TODAY)

    sent = await db.write_transaction(work)
    rows = await db.read("MATCH (n:Notice {ref: 'RUN-TEST-ENDED'}) RETURN n.recipient AS to", {})
    assert sent == 0 and rows == [], "an ended member's association is not told its grade"


async def test_a_membership_feed_rejoin_is_a_new_period_and_history_is_kept(
    db: Database, relayed: str
) -> None:
    member = make_uscc("91", "410481", "MB000001")
    other = make_uscc("91", "410481", "MB000002")
    await db.write(
        "UNWIND $codes AS code MERGE (e:Enterprise {uscc: code}) "
        "SET e.name = '会员' + code, e.status = 'ACTIVE'",
        {"codes": [member, other]},
    )
    first = await submit(db, "membership", [{"uscc": member, "since": "2024-01-01"}], A1)
    assert first.new == 1
    association = Actor("ASSOCIATION", A1, "t@a1")
    ended_on = TODAY - datetime.timedelta(days=10)
    await end_membership(db, association, A1, member, until=ended_on, reason="退会", today=TODAY)

    # The old roll again (with another member so it is a new batch): the ended period is
    # the one it names, so nothing changes and the member stays off the roll.
    again = await submit(
        db, "membership",
        [{"uscc": member, "since": "2024-01-01"}, {"uscc": other, "since": "2025-01-01"}], A1,
    )  # fmt: skip
    assert (again.new, again.unchanged) == (1, 1), again
    periods = await _periods(db, member)
    assert periods == [("2024-01-01", ended_on.isoformat())]

    # A date inside the ended period is refused, not written over history.
    inside = await submit(db, "membership", [{"uscc": member, "since": "2025-06-01"}], A1)
    [rejected] = await list_quarantine(db, inside.batch_id)
    assert [p.code for p in rejected.problems] == ["MEMBERSHIP_PERIOD_OVERLAPS"]

    # Rejoining after the end: a new period beside the ended one.
    rejoin = (ended_on + datetime.timedelta(days=3)).isoformat()
    back = await submit(db, "membership", [{"uscc": member, "since": rejoin}], A1)
    assert back.new == 1
    assert await _periods(db, member) == [
        ("2024-01-01", ended_on.isoformat()),
        (rejoin, None),
    ]
    same = await submit(db, "membership", [{"uscc": member, "since": rejoin}], A1, name="api-again")
    assert same.new == 0 and await _periods(db, member) == [
        ("2024-01-01", ended_on.isoformat()),
        (rejoin, None),
    ]


async def _periods(db: Database, member: str) -> list[tuple[str, str | None]]:
    rows = await db.read(
        "MATCH (:Enterprise {uscc: $e})-[m:MEMBER_OF]->(:Association {code: $a}) "
        "RETURN toString(m.since) AS since, toString(m.until) AS until ORDER BY m.since",
        {"e": member, "a": A1},
    )
    return [(r["since"], r["until"]) for r in rows]


# -- a corrected organisation code -----------------------------------------------------------
async def test_a_corrected_code_is_rewritten_where_organisations_are_named_by_code(
    db: Database, relayed: str
) -> None:
    wrong = make_uscc("11", "410481", "00000077")
    right = make_uscc("11", "410481", "00000078")
    await db.write(
        "CREATE (d:Department {code: $wrong, name: '舞钢市城市管理局', shortName: '市城管局', "
        "  sector: '城市管理'}) "
        "CREATE (:Record {uid: 'T-CC|1', key: 'PENALTY|' + $wrong + '|城管罚1', current: true, "
        "  issuingAuthorityCode: $wrong}) "
        "CREATE (:Batch {id: 'T-CC-BATCH', supplier: $wrong, kind: 'penalty', "
        "  firstLoadedAt: datetime()}) "
        "CREATE (:Notice {id: 'T-CC-NOTICE', recipient: $wrong, createdAt: datetime()}) "
        "CREATE (:Objection {id: 'T-CC-OBJ', decider: $wrong, status: 'PENDING'}) "
        "CREATE (:Consent {id: 'T-CC-CONSENT', grantee: $wrong}) "
        "CREATE (:RiskAlert {id: 'T-CC-ALERT', departments: [$other, $wrong]}) "
        "CREATE (:Event {id: 'T-CC-EVENT', actorCode: $wrong})",
        {"wrong": wrong, "other": SAMR},
    )
    await correct_code(db, wrong, right, actor=OFFICE, today=TODAY, reason="登记时录错")
    [found] = await db.read(
        "MATCH (r:Record {uid: 'T-CC|1'}), (b:Batch {id: 'T-CC-BATCH'}), "
        "(n:Notice {id: 'T-CC-NOTICE'}), (o:Objection {id: 'T-CC-OBJ'}), "
        "(a:RiskAlert {id: 'T-CC-ALERT'}), (e:Event {id: 'T-CC-EVENT'}), "
        "(c:Consent {id: 'T-CC-CONSENT'}) "
        "RETURN r.issuingAuthorityCode AS record, r.key AS key, b.supplier AS batch, "
        "n.recipient AS notice, o.decider AS objection, a.departments AS alert, "
        "e.actorCode AS event, c.grantee AS consent"
    )
    assert (found["record"], found["batch"], found["notice"], found["objection"]) == (
        right,
        right,
        right,
        right,
    )
    assert found["alert"] == [SAMR, right]
    assert found["consent"] == right
    # Natural keys and history keep the code they were written with.
    assert found["key"] == f"PENALTY|{wrong}|城管罚1"
    assert found["event"] == wrong
    # What reads by code (batches --department …) finds its batches under the corrected code.
    rows = await db.read("MATCH (b:Batch {supplier: $code}) RETURN b.id AS id", {"code": right})
    assert [r["id"] for r in rows] == ["T-CC-BATCH"]
