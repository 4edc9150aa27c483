"""Sharing defects of issue 16, each stated as the rule of DOMAIN.md it breaks.

1. Repair stops sharing with every third party (六(六)): a bank or credit agency holding the
   subject's consent and the subject's association no longer get a repaired record; only the
   finding department and the credit office keep the history.
2. A list entry ends on its ``effectiveUntil`` like any removal: no reader treats it as in
   force the day after, and the expiry job marks it 已到期 with an event, releases its measures
   and tells whom a removal tells.
3. The personal LIABILITY records a black-list entry made (六(五)) end with the entry.
5. A correction or revocation is withdrawn from every organisation that was served the record
   (双公示: within 3 working days, every recipient told): through a feed, and through the
   deciding department's `revokeRecord`.
6. A 失信被执行人 whose obligation is 全部履行 is no longer published: the record and the list
   entry resting on it end on the day the court says so.

The fixture graph is restored afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import neo4j
import pytest
from click.testing import CliRunner

from authz.identity import PUBLIC, OrgKind
from graph.database import Connection, Database
from graph.lifecycle.base import china_today
from graph.model import ListEntryStatus, RecordStatus
from hub.cli import main
from loaders.pipeline import LoadOptions, load_rows
from tests.conftest import ClientFor
from tests.fixtures import (
    A1,
    B1,
    CA1,
    CONSENT_PURPOSE,
    COURT,
    E1,
    E2,
    E4,
    NDRC,
    P1,
    PERSON_SECRET,
    R1,
    R2,
    R4,
    SAMR,
    load_fixture_graph,
)
from tests.lifecycle import (
    DEVELOPMENT,
    MARKET,
    OFFICE,
    TAXATION,
    ask,
    notices_of,
    org,
    refused,
)
from tests.processes import hub_env

TODAY = china_today()
YESTERDAY = TODAY - timedelta(days=1)

BANK_WITH_CONSENT = org(OrgKind.BANK, B1, purpose=CONSENT_PURPOSE)
AGENCY_WITH_CONSENT = org(OrgKind.CREDIT_AGENCY, CA1, purpose=CONSENT_PURPOSE)
ASSOCIATION = org(OrgKind.ASSOCIATION, A1)
COURT_DEPARTMENT = org(OrgKind.DEPARTMENT, COURT, sector="司法")

RECORD_IDS = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 50) { edges { node { id key status } } } } }"""

LISTED = """query($uscc: String!) { enterprise(uscc: $uscc) { blackListed redListed
  listEntries(first: 10) { edges { node { id status } } } } }"""

EXPIRED_BLACK = "LE-EXPIRED"
EXPIRING_TODAY = "LE-TODAY"
EXPIRED_RED = "LE-EXPIRED-RED"


def _ids(data: dict[str, Any]) -> set[str]:
    return {e["node"]["id"] for e in data["enterprise"]["records"]["edges"]}


def _entries(data: dict[str, Any]) -> set[str]:
    return {e["node"]["id"] for e in data["enterprise"]["listEntries"]["edges"]}


@pytest.fixture(scope="module", autouse=True)
async def cases(db: Database) -> AsyncIterator[None]:
    """The credit agency's consent from E1; on E4 a black-list entry whose period ended
    yesterday (with a measure) and one ending today; on E2 a red-list entry that ended
    yesterday."""
    await db.write(
        "MATCH (e:Enterprise {uscc: $e1}) "
        "CREATE (:Consent {id: 'CONSENT-CA', grantee: $ca, granteeKind: 'CREDIT_AGENCY', "
        "classes: ['conditional'], purpose: $purpose, grantedAt: datetime(), "
        "expiresOn: date() + duration('P90D'), "
        "expiresAt: datetime() + duration('P90D')})-[:GRANTED_BY]->(e)",
        {"e1": E1, "ca": CA1, "purpose": CONSENT_PURPOSE},
    )
    await db.write(
        "MATCH (e4:Enterprise {uscc: $e4}), (e2:Enterprise {uscc: $e2}), "
        "(ndrc:Department {code: $ndrc}), (m:Measure {code: 'M01'}) "
        "CREATE (old:ListEntry {id: $old, listType: 'BLACK', listName: '严重失信主体名单', "
        "  status: 'ACTIVE', decisionDate: date($start), effectiveFrom: date($start), "
        "  effectiveUntil: date($yesterday), basis: '《河南省社会信用条例》', "
        "  decisionNumber: '舞发改信〔2023〕7号', removalConditions: '期满自动移出'}) "
        "CREATE (old)-[:HAS_SUBJECT]->(e4), (old)-[:DECIDED_BY]->(ndrc) "
        "CREATE (s:Sanction {id: 'SN-EXPIRED', from: date($start), status: 'ACTIVE'}) "
        "CREATE (s)-[:UNDER]->(old), (s)-[:APPLIES]->(m), (s)-[:HAS_SUBJECT]->(e4), "
        "  (s)-[:IMPOSED_BY]->(ndrc) "
        "CREATE (now:ListEntry {id: $now, listType: 'BLACK', listName: '严重失信主体名单', "
        "  status: 'ACTIVE', decisionDate: date($start), effectiveFrom: date($start), "
        "  effectiveUntil: date($today), basis: '《河南省社会信用条例》', "
        "  decisionNumber: '舞发改信〔2023〕8号', removalConditions: '期满自动移出'}) "
        "CREATE (now)-[:HAS_SUBJECT]->(e4), (now)-[:DECIDED_BY]->(ndrc) "
        "CREATE (red:ListEntry {id: $red, listType: 'RED', listName: '守信激励对象名单', "
        "  status: 'ACTIVE', decisionDate: date($start), effectiveFrom: date($start), "
        "  effectiveUntil: date($yesterday), basis: '纳税信用管理办法', "
        "  decisionNumber: '舞发改信〔2023〕9号'}) "
        "CREATE (red)-[:HAS_SUBJECT]->(e2), (red)-[:DECIDED_BY]->(ndrc)",
        {
            "e4": E4,
            "e2": E2,
            "ndrc": NDRC,
            "old": EXPIRED_BLACK,
            "now": EXPIRING_TODAY,
            "red": EXPIRED_RED,
            "start": (TODAY - timedelta(days=800)).isoformat(),
            "yesterday": YESTERDAY.isoformat(),
            "today": TODAY.isoformat(),
        },
    )
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


# -- 1. repair stops sharing with every third party ----------------------------------------------
@pytest.mark.parametrize(
    "who",
    [
        BANK_WITH_CONSENT,
        AGENCY_WITH_CONSENT,
        ASSOCIATION,
    ],
    ids=["bank-with-consent", "agency-with-consent", "association-of-member"],
)
async def test_a_repaired_record_is_not_shared_with_third_parties_even_with_consent(
    client_for: ClientFor, who: Any
) -> None:
    shown = _ids(await ask(client_for, who, RECORD_IDS, uscc=E1))
    # The grant still opens what is merely unpublished (R4's period has ended) …
    assert R4["uid"] in shown
    # … but not what repair withdrew.
    assert R2["uid"] not in shown


async def test_only_the_finding_department_and_the_credit_office_keep_a_repaired_record(
    client_for: ClientFor,
) -> None:
    assert R2["uid"] in _ids(await ask(client_for, MARKET, RECORD_IDS, uscc=E1))
    assert R2["uid"] in _ids(await ask(client_for, OFFICE, RECORD_IDS, uscc=E1))
    assert R2["uid"] not in _ids(await ask(client_for, TAXATION, RECORD_IDS, uscc=E1))


# -- 2. list entries end on their effectiveUntil ------------------------------------------------
async def test_an_entry_past_its_period_is_in_force_for_no_reader(
    client_for: ClientFor,
) -> None:
    public = await ask(client_for, PUBLIC, LISTED, uscc=E4)
    assert EXPIRED_BLACK not in _entries(public), "the public sees no ended entry"
    assert EXPIRING_TODAY in _entries(public), "effectiveUntil is the last day in force"
    sanctions = await ask(
        client_for,
        PUBLIC,
        "query($uscc: String!) { enterprise(uscc: $uscc) { sanctions { edges { node { id } } } } }",
        uscc=E4,
    )
    shown = {e["node"]["id"] for e in sanctions["enterprise"]["sanctions"]["edges"]}
    assert "SN-EXPIRED" not in shown, "a measure under an ended entry is not in force"
    red = await ask(client_for, PUBLIC, LISTED, uscc=E2)
    assert red["enterprise"]["redListed"] is False
    assert EXPIRED_RED not in _entries(red)


async def test_blacklisted_follows_the_date_not_the_stored_status(
    client_for: ClientFor, db: Database
) -> None:
    # Only the entry ending today keeps E4 black-listed; once it too is past, E4 is not.
    assert (await ask(client_for, PUBLIC, LISTED, uscc=E4))["enterprise"]["blackListed"] is True
    office = await ask(client_for, OFFICE, LISTED, uscc=E4)
    edges = office["enterprise"]["listEntries"]["edges"]
    statuses = {e["node"]["id"]: e["node"]["status"] for e in edges}
    assert statuses[EXPIRED_BLACK] == "EXPIRED", "shown as 已到期 before the expiry job runs"
    assert statuses[EXPIRING_TODAY] == "ACTIVE"
    await db.write(
        "MATCH (l:ListEntry {id: $id}) SET l.effectiveUntil = date($yesterday)",
        {"id": EXPIRING_TODAY, "yesterday": YESTERDAY.isoformat()},
    )
    try:
        listed = await ask(client_for, OFFICE, LISTED, uscc=E4)
        assert listed["enterprise"]["blackListed"] is False
    finally:
        await db.write(
            "MATCH (l:ListEntry {id: $id}) SET l.effectiveUntil = date($today)",
            {"id": EXPIRING_TODAY, "today": TODAY.isoformat()},
        )


async def test_the_report_labels_no_one_for_an_ended_entry(
    client_for: ClientFor, db: Database
) -> None:
    from hub.reports.content import labels

    issue = """mutation($uscc: String!) { issueCreditReport(uscc: $uscc) { number } }"""
    number = (await ask(client_for, OFFICE, issue, uscc=E2))["issueCreditReport"]["number"]
    [row] = await db.read(
        "MATCH (r:CreditReport {number: $n}) RETURN r.content AS content", {"n": number}
    )
    import json

    content = json.loads(row["content"])
    assert "守信激励对象" not in content["labels"]
    assert labels({"redListed": False}) == []
    assert "舞发改信〔2023〕9号" not in json.dumps(content, ensure_ascii=False)


async def test_a_measure_under_an_ended_entry_no_longer_applies(db: Database) -> None:
    from graph.lifecycle.measures import applicable_measures

    # Before the expiry job has run: the entry's date alone releases its measure.
    found = await applicable_measures(db, E4, business=None, today=TODAY)
    assert "SN-EXPIRED" not in {a.sanction.id for a in found}


async def test_the_expiry_job_ends_entries_on_their_day_with_events_and_notices(
    db: Database, client_for: ClientFor
) -> None:
    await db.write(
        "MERGE (w:Watch {id: 'WATCH-E4', watcher: $bank, subject: $e4, active: true})",
        {"bank": CA1, "e4": E4},
    )
    from graph.lifecycle.list_removal import expire_list_entries

    expired = await expire_list_entries(db, today=TODAY)
    assert EXPIRED_BLACK in expired and EXPIRED_RED in expired
    assert EXPIRING_TODAY not in expired, "in force through its last day"
    [row] = await db.read(
        "MATCH (l:ListEntry {id: $id}) "
        "RETURN l.status AS status, l.removedOn AS on, "
        "COLLECT { MATCH (l)<-[:UNDER]-(s:Sanction) RETURN s.status } AS sanctions, "
        "COLLECT { MATCH (e:Event)-[:CONCERNS]->(l) RETURN e.type } AS events",
        {"id": EXPIRED_BLACK},
    )
    assert row["status"] == ListEntryStatus.EXPIRED.value
    assert row["on"].to_native() == TODAY
    assert row["sanctions"] == ["LIFTED"], "expiry releases the measures like a removal"
    assert "LIST_ENTRY_EXPIRED" in row["events"]
    told = await notices_of(client_for, DEVELOPMENT)
    assert any(n["kind"] == "SANCTION" and n["ref"] == EXPIRED_BLACK for n in told)
    watcher = await db.read(
        "MATCH (n:Notice {recipient: $ca, ref: $id}) RETURN n.kind AS kind",
        {"ca": CA1, "id": EXPIRED_BLACK},
    )
    assert [n["kind"] for n in watcher] == ["LIST_ENTRY"]
    assert await expire_list_entries(db, today=TODAY) == [], "a second run changes nothing"


# -- 3. liability records end with the entry ----------------------------------------------------
DECIDE = """mutation($decision: ListDecisionInput!) {
  decideList(decision: $decision) { id liabilityRecords } }"""
REMOVE = """mutation($id: ID!) { removeListEntry(id: $id, reason: "已履行义务，符合移出条件") {
  id status } }"""


def _black_decision(number: str) -> dict[str, Any]:
    return {
        "listType": "BLACK",
        "uscc": E2,
        "basis": "《河南省社会信用条例》第三十二条",
        "decisionNumber": number,
        "decisionDate": TODAY.isoformat(),
        "noticeDate": (TODAY - timedelta(days=21)).isoformat(),
        "removalConditions": "履行行政处罚决定并完成信用修复",
        "effectiveUntil": (TODAY + timedelta(days=700)).isoformat(),
    }


async def _liability(db: Database, key: str) -> dict[str, Any]:
    [row] = await db.read(
        "MATCH (r:Record {key: $key, current: true}) "
        "RETURN r.status AS status, r.publishUntil AS until, "
        "COLLECT { MATCH (e:Event)-[:CONCERNS]->(r) RETURN e.type } AS events",
        {"key": key},
    )
    return dict(row)


async def test_liability_records_end_when_the_entry_is_removed(
    client_for: ClientFor, db: Database
) -> None:
    made = (
        await ask(client_for, DEVELOPMENT, DECIDE, decision=_black_decision("舞认定〔2026〕901号"))
    )["decideList"]
    [key] = made["liabilityRecords"]
    assert (await _liability(db, key))["until"].to_native() > TODAY

    await ask(client_for, DEVELOPMENT, REMOVE, id=made["id"])
    ended = await _liability(db, key)
    assert ended["until"].to_native() < TODAY
    assert "LIABILITY_ENDED" in ended["events"]


async def test_liability_records_are_repaired_with_the_entry(
    client_for: ClientFor, db: Database
) -> None:
    from graph.lifecycle.base import Actor
    from graph.lifecycle.list_removal import end_list_entry

    made = (
        await ask(client_for, DEVELOPMENT, DECIDE, decision=_black_decision("舞认定〔2026〕902号"))
    )["decideList"]
    [key] = made["liabilityRecords"]

    async def repair(tx: Any) -> None:
        await end_list_entry(
            tx,
            made["id"],
            actor=Actor(org_kind="DEPARTMENT", org_code=NDRC, subject="officer"),
            today=TODAY,
            reason="信用修复：已完成",
            cause="REPAIR",
        )

    await db.write_transaction(repair)
    ended = await _liability(db, key)
    assert ended["status"] == RecordStatus.REPAIRED.value
    assert key not in {
        e["node"]["key"]
        for e in (
            await ask(
                client_for,
                TAXATION,
                f'{{ person(key: "{P1}") {{ records(kinds: [LIABILITY]) '
                "{ edges { node { key } } } } }",
            )
        )["person"]["records"]["edges"]
    }


# -- 5. withdrawal after a correction or revocation ---------------------------------------------
PENALTY_NUMBER = "舞市监罚〔2026〕7701号"


def _penalty_row(amount: str) -> dict[str, Any]:
    return {
        "subjectName": "舞钢市宏达建材有限公司",
        "subjectType": "法人及非法人组织",
        "subjectUscc": E2,
        "documentNumber": PENALTY_NUMBER,
        "violationType": "未按规定公示年度报告",
        "category": "罚款",
        "content": "罚款",
        "amount": amount,
        "decisionDate": (TODAY - timedelta(days=5)).isoformat(),
        "severity": "GENERAL",
        "issuingAuthority": "舞钢市市场监督管理局",
        "issuingAuthorityCode": SAMR,
    }


async def test_a_correction_through_a_feed_tells_every_earlier_recipient(
    client_for: ClientFor, db: Database
) -> None:
    options = LoadOptions(today=TODAY)
    await load_rows(
        db, [_penalty_row("1.5")], SAMR, "penalty", person_secret=PERSON_SECRET, options=options
    )
    key = f"PENALTY|{SAMR}|{PENALTY_NUMBER}"
    # The development department is served E2's records, the new penalty among them.
    keys = {
        e["node"]["key"]
        for e in (await ask(client_for, DEVELOPMENT, RECORD_IDS, uscc=E2))["enterprise"]["records"][
            "edges"
        ]
    }
    assert key in keys
    await load_rows(
        db, [_penalty_row("2.5")], SAMR, "penalty", person_secret=PERSON_SECRET, options=options
    )
    told = await notices_of(client_for, DEVELOPMENT)
    assert any(n["kind"] == "WITHDRAWAL" and key in (n["ref"] or "") for n in told), told
    assert not any(
        n["kind"] == "WITHDRAWAL" and key in (n["ref"] or "")
        for n in await notices_of(client_for, MARKET)
    ), "the sender itself is not told of its own correction"


REVOKE = """mutation($key: String!, $reason: String!) {
  revokeRecord(recordKey: $key, reason: $reason) { key status withdrawalNotices } }"""


async def test_the_deciding_department_revokes_a_record_and_recipients_are_told(
    client_for: ClientFor, db: Database
) -> None:
    # Taxation reads E1's records while R1 is published.
    await ask(client_for, TAXATION, RECORD_IDS, uscc=E1)
    other = await refused(client_for, DEVELOPMENT, REVOKE, key=R1["key"], reason="x")
    assert other["extensions"]["code"] == "FORBIDDEN"
    public = await refused(client_for, PUBLIC, REVOKE, key=R1["key"], reason="x")
    assert public["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")

    revoked = (
        await ask(client_for, MARKET, REVOKE, key=R1["key"], reason="行政复议撤销原处罚决定")
    )["revokeRecord"]
    assert revoked["status"] == "REVOKED" and revoked["withdrawalNotices"] >= 1
    told = await notices_of(client_for, TAXATION)
    assert any(n["kind"] == "WITHDRAWAL" and n["subject"] == E1 for n in told)
    assert R1["uid"] not in _ids(await ask(client_for, PUBLIC, RECORD_IDS, uscc=E1))
    [audit] = await db.read(
        "MATCH (a:AuditEntry) WHERE a.action = 'revoke_record' RETURN count(a) AS n"
    )
    assert audit["n"] == 1
    again = await refused(client_for, MARKET, REVOKE, key=R1["key"], reason="x")
    assert again["extensions"]["code"] == "WRONG_STATE"


# -- 6. 失信被执行人 ends on performance ---------------------------------------------------------
CASE_NUMBER = "(2026)豫0481执恢77号"


def _enforcement_row(performance: str) -> dict[str, Any]:
    return {
        "subjectName": "舞钢市宏达建材有限公司",
        "subjectType": "法人及非法人组织",
        "subjectUscc": E2,
        "documentNumber": CASE_NUMBER,
        "title": "有履行能力而拒不履行生效法律文书确定义务",
        "content": "支付货款人民币30万元",
        "performance": performance,
        "decisionDate": (TODAY - timedelta(days=60)).isoformat(),
        "severity": "SERIOUS",
        "issuingAuthority": "舞钢市人民法院",
        "issuingAuthorityCode": COURT,
    }


async def test_a_judgment_debtor_who_performed_in_full_is_no_longer_published(
    client_for: ClientFor, db: Database
) -> None:
    options = LoadOptions(today=TODAY)
    await load_rows(
        db,
        [_enforcement_row("全部未履行")],
        COURT,
        "enforcement",
        person_secret=PERSON_SECRET,
        options=options,
    )
    key = f"ENFORCEMENT|{COURT}|{CASE_NUMBER}"
    await db.write(
        "MATCH (e:Enterprise {uscc: $e2}), (c:Department {code: $court}), "
        "(r:Record {key: $key, current: true}) "
        "CREATE (l:ListEntry {id: 'LE-DEBTOR', listType: 'BLACK', listName: '失信被执行人名单', "
        "status: 'ACTIVE', decisionDate: r.decisionDate, effectiveFrom: r.decisionDate, "
        "effectiveUntil: r.decisionDate + duration('P3Y'), basis: '《民事诉讼法》',"
        "decisionNumber: $number, removalConditions: '全部履行'}) "
        "CREATE (l)-[:HAS_SUBJECT]->(e), (l)-[:DECIDED_BY]->(c), (l)-[:BASED_ON]->(r)",
        {"e2": E2, "court": COURT, "key": key, "number": CASE_NUMBER},
    )
    public_keys = {
        e["node"]["key"]
        for e in (await ask(client_for, PUBLIC, RECORD_IDS, uscc=E2))["enterprise"]["records"][
            "edges"
        ]
    }
    assert key in public_keys
    await load_rows(
        db,
        [_enforcement_row("全部履行")],
        COURT,
        "enforcement",
        person_secret=PERSON_SECRET,
        options=options,
    )
    public = await ask(client_for, PUBLIC, RECORD_IDS, uscc=E2)
    assert key not in {e["node"]["key"] for e in public["enterprise"]["records"]["edges"]}
    listed = await ask(client_for, PUBLIC, LISTED, uscc=E2)
    assert "LE-DEBTOR" not in _entries(listed)
    [row] = await db.read(
        "MATCH (r:Record {key: $key, current: true}) "
        "OPTIONAL MATCH (l:ListEntry {id: 'LE-DEBTOR'}) "
        "RETURN r.publishUntil AS until, r.performedOn AS performed, l.status AS entry, "
        "COLLECT { MATCH (e:Event)-[:CONCERNS]->(r) RETURN e.type } AS events",
        {"key": key},
    )
    assert row["performed"].to_native() == TODAY
    assert row["until"].to_native() < TODAY
    assert row["entry"] in (ListEntryStatus.REMOVED.value, ListEntryStatus.EXPIRED.value)
    assert "RECORD_PERFORMED" in row["events"]


def test_credithub_expire_lists_is_the_daily_job(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    with neo4j.GraphDatabase.driver(
        neo4j_connection.uri, auth=(neo4j_connection.user, neo4j_connection.password)
    ) as driver:
        driver.execute_query(
            "MATCH (e:Enterprise {uscc: $e4}), (d:Department {code: $ndrc}) "
            "CREATE (l:ListEntry {id: 'LE-CLI', listType: 'BLACK', listName: '严重失信主体名单', "
            "status: 'ACTIVE', effectiveUntil: date($until), "
            "decisionNumber: '舞发改信〔2022〕1号'}) "
            "CREATE (l)-[:HAS_SUBJECT]->(e), (l)-[:DECIDED_BY]->(d)",
            {"e4": E4, "ndrc": NDRC, "until": (TODAY - timedelta(days=3)).isoformat()},
            database_=neo4j_connection.database,
        )
        result = CliRunner().invoke(main, ["expire-lists"], env=hub_env(neo4j_connection, tmp_path))
        assert result.exit_code == 0, result.output
        assert "LE-CLI" in result.output
        records, _, _ = driver.execute_query(
            "MATCH (l:ListEntry {id: 'LE-CLI'}) RETURN l.status AS status",
            database_=neo4j_connection.database,
        )
    assert records[0]["status"] == ListEntryStatus.EXPIRED.value
