"""信用修复 (六(六), NDRC Order 36): apply after the minimum period with proof and a commitment;
the department that made the finding decides; repair withdraws the record everywhere, ends the
list entries resting on it with their measures, tells earlier recipients — and keeps the record.

Rules from DOMAIN.md "Publication periods and repair". The fixture graph is restored afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest

from graph.database import Database
from graph.lifecycle.base import china_today
from graph.publication import add_months
from graph.workdays import mainland_calendar
from tests.conftest import ClientFor
from tests.fixtures import E1, E2, NDRC, R1, R4, SAMR, load_fixture_graph
from tests.graphql import query
from tests.lifecycle import (
    BANK_B1,
    DEVELOPMENT,
    ENTERPRISE_E1,
    ENTERPRISE_E2,
    MARKET,
    OFFICE,
    TAXATION,
    ask,
    notices_of,
    refused,
)

RECENT = f"PENALTY|{SAMR}|舞市监罚字〔2026〕第0901号"
SUSPENSION = f"PENALTY|{SAMR}|舞市监罚字〔2025〕第0902号"
SERIOUS = f"PENALTY|{NDRC}|舞发改罚〔2024〕9号"

APPLY = """mutation($key: String, $entry: String, $proof: String!, $training: String,
                   $report: String) {
  applyForRepair(recordKey: $key, listEntryId: $entry, proof: $proof,
                 commitment: "本企业承诺今后依法诚信经营，如有违反愿承担相应责任",
                 trainingCertificate: $training, creditReport: $report) {
    id status subject appliedOn dueBy decider } }"""

DECIDE = """mutation($id: ID!, $approve: Boolean!) {
  decideRepair(id: $id, approve: $approve, reason: "材料齐全，符合修复条件") {
    id status decidedOn decidedLate endedListEntries withdrawalNotices } }"""

RECORD_KEYS = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 50) { edges { node { key status } } } } }"""


def _keys(data: dict[str, object]) -> dict[str, str]:
    enterprise = data["enterprise"]
    assert isinstance(enterprise, dict)
    return {e["node"]["key"]: e["node"]["status"] for e in enterprise["records"]["edges"]}


@pytest.fixture(scope="module", autouse=True)
async def repair_cases(db: Database) -> AsyncIterator[None]:
    """Three more penalties: one decided ten days ago, one ordering 停产停业, and a serious one
    on E2 with the black-list entry LE-9 resting on it and a measure under that entry."""
    today = china_today()
    cases = [
        (RECENT, E1, SAMR, today - timedelta(days=10), "GENERAL", "罚款", 1),
        (SUSPENSION, E1, SAMR, date(2025, 6, 1), "GENERAL", "责令停产停业", 0),
        (SERIOUS, E2, NDRC, date(2024, 6, 1), "SERIOUS", "罚款", 0),
    ]
    for key, subject, provider, decided, severity, category, _ in cases:
        await db.write(
            "MATCH (e:Enterprise {uscc: $subject}), (d:Department {code: $provider}) "
            "CREATE (r:Record {uid: $key + '#v1', key: $key, version: 1, current: true, "
            "kind: 'PENALTY', title: $category, documentNumber: split($key, '|')[2], "
            "decisionDate: date($decided), severity: $severity, category: $category, "
            "status: 'EFFECTIVE', subjectCode: $subject, publishFrom: date($decided), "
            "publishUntil: date($decided) + duration('P3Y')}) "
            "CREATE (r)-[:HAS_SUBJECT]->(e), (r)-[:PROVIDED_BY]->(d)",
            {
                "key": key,
                "subject": subject,
                "provider": provider,
                "decided": decided.isoformat(),
                "severity": severity,
                "category": category,
            },
        )
    await db.write(
        "MATCH (e:Enterprise {uscc: $e2}), (d:Department {code: $ndrc}), "
        "(r:Record {key: $serious}), (m:Measure {code: 'M02'}) "
        "CREATE (l:ListEntry {id: 'LE-9', listType: 'BLACK', listName: '严重失信主体名单', "
        "status: 'ACTIVE', decisionDate: date('2024-07-01'), effectiveFrom: date('2024-07-01'), "
        "basis: '《河南省社会信用条例》', decisionNumber: '舞发改信〔2024〕9号', "
        "removalConditions: '履行处罚决定并完成信用修复'}) "
        "CREATE (l)-[:HAS_SUBJECT]->(e), (l)-[:DECIDED_BY]->(d), (l)-[:BASED_ON]->(r) "
        "CREATE (s:Sanction {id: 'SN-9', from: date('2024-07-01'), until: date('2027-07-01'), "
        "status: 'ACTIVE'}) "
        "CREATE (s)-[:UNDER]->(l), (s)-[:APPLIES]->(m), (s)-[:HAS_SUBJECT]->(e), "
        "(s)-[:IMPOSED_BY]->(d)",
        {"e2": E2, "ndrc": NDRC, "serious": SERIOUS},
    )
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def test_a_general_penalty_is_repaired_after_three_months_and_withdrawn_everywhere(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    # The bank and a department were served E1's records while R1 was published.
    await ask(client_for, BANK_B1, RECORD_KEYS, uscc=E1)
    assert R1["key"] in _keys(await ask(client_for, DEVELOPMENT, RECORD_KEYS, uscc=E1))

    no_proof = await refused(client_for, ENTERPRISE_E1, APPLY, key=R1["key"], proof=" ")
    assert no_proof["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "proof" in no_proof["message"]
    applied = (
        await ask(client_for, ENTERPRISE_E1, APPLY, key=R1["key"], proof="罚款缴纳凭证(已缴清)")
    )["applyForRepair"]
    assert (applied["status"], applied["decider"]) == ("PENDING", SAMR)
    applied_on = date.fromisoformat(applied["appliedOn"])
    assert applied["dueBy"] == mainland_calendar().add_working_days(applied_on, 1).isoformat()
    assert any(n["kind"] == "REPAIR_FILED" for n in await notices_of(client_for, MARKET))

    wrong = await refused(client_for, TAXATION, DECIDE, id=applied["id"], approve=True)
    assert wrong["extensions"]["code"] == "FORBIDDEN"
    assert "谁认定、谁修复" in wrong["message"]

    decided = (await ask(client_for, MARKET, DECIDE, id=applied["id"], approve=True))[
        "decideRepair"
    ]
    assert decided["status"] == "APPROVED" and decided["withdrawalNotices"] >= 2

    # Gone from the disclosure site and from departments; kept, as 已修复, in the history.
    assert R1["key"] not in _keys(await query(anon, RECORD_KEYS, uscc=E1))
    assert R1["key"] not in _keys(await ask(client_for, DEVELOPMENT, RECORD_KEYS, uscc=E1))
    assert _keys(await ask(client_for, OFFICE, RECORD_KEYS, uscc=E1))[R1["key"]] == "REPAIRED"
    for recipient in (BANK_B1, DEVELOPMENT):
        told = await notices_of(client_for, recipient)
        assert any(n["kind"] == "WITHDRAWAL" and n["subject"] == E1 for n in told)
    assert any(n["kind"] == "REPAIR_DECIDED" for n in await notices_of(client_for, ENTERPRISE_E1))

    twice = await refused(client_for, MARKET, DECIDE, id=applied["id"], approve=True)
    assert twice["extensions"]["code"] == "WRONG_STATE"


async def test_repair_before_the_minimum_period_is_refused_with_the_first_possible_day(
    client_for: ClientFor,
) -> None:
    early = await refused(client_for, ENTERPRISE_E1, APPLY, key=RECENT, proof="已缴清罚款")
    assert early["extensions"]["code"] == "TOO_EARLY"
    first_day = add_months(china_today() - timedelta(days=10), 3) + timedelta(days=1)
    assert "最短公示期未满" in early["message"] and first_day.isoformat() in early["message"]
    # A black-list entry may be repaired once it has been in force a year: LE-1 is recent.
    entry = await refused(
        client_for, ENTERPRISE_E1, APPLY, entry="LE-1", proof="已履行", training="培训证明",
        report="信用报告",
    )  # fmt: skip
    assert entry["extensions"]["code"] == "TOO_EARLY"


async def test_production_suspension_cannot_be_repaired_early(client_for: ClientFor) -> None:
    error = await refused(client_for, ENTERPRISE_E1, APPLY, key=SUSPENSION, proof="已整改")
    assert error["extensions"]["code"] == "NOT_REPAIRABLE"
    assert "停产停业" in error["message"]


async def test_a_serious_record_needs_training_and_a_report_and_its_repair_ends_the_list_entry(
    client_for: ClientFor,
) -> None:
    missing = await refused(client_for, ENTERPRISE_E2, APPLY, key=SERIOUS, proof="已缴清罚款")
    assert missing["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "trainingCertificate" in missing["message"] and "creditReport" in missing["message"]
    applied = (
        await ask(
            client_for,
            ENTERPRISE_E2,
            APPLY,
            key=SERIOUS,
            proof="已缴清罚款",
            training="信用修复培训结业证明(2026-10)",
            report="信用报告 CR-2026-001",
        )
    )["applyForRepair"]
    decided = (await ask(client_for, DEVELOPMENT, DECIDE, id=applied["id"], approve=True))[
        "decideRepair"
    ]
    assert decided["endedListEntries"] == ["LE-9"]
    shown = await ask(
        client_for,
        OFFICE,
        """query($uscc: String!) { enterprise(uscc: $uscc) { blackListed
             listEntries(first: 10) { edges { node { id status sanctions { id status } } } } } }""",
        uscc=E2,
    )
    entries = {e["node"]["id"]: e["node"] for e in shown["enterprise"]["listEntries"]["edges"]}
    assert entries["LE-9"]["status"] == "REMOVED"
    assert entries["LE-9"]["sanctions"] == [{"id": "SN-9", "status": "LIFTED"}]
    assert shown["enterprise"]["blackListed"] is False
    told = await notices_of(client_for, DEVELOPMENT)
    assert any(n["kind"] == "SANCTION" and n["ref"] == "LE-9" for n in told)


async def test_a_refused_application_leaves_the_record_as_it_was(client_for: ClientFor) -> None:
    applied = (await ask(client_for, ENTERPRISE_E1, APPLY, key=R4["key"], proof="已补充申报"))[
        "applyForRepair"
    ]
    refusal = (await ask(client_for, TAXATION, DECIDE, id=applied["id"], approve=False))[
        "decideRepair"
    ]
    assert refusal["status"] == "REFUSED" and refusal["endedListEntries"] == []
    assert _keys(await ask(client_for, OFFICE, RECORD_KEYS, uscc=E1))[R4["key"]] == "EFFECTIVE"
    listed = await ask(client_for, ENTERPRISE_E1, "{ repairApplications { id status } }")
    assert {"id": applied["id"], "status": "REFUSED"} in listed["repairApplications"]


async def test_only_the_subject_applies_and_banks_cannot_at_all(client_for: ClientFor) -> None:
    other = await refused(client_for, ENTERPRISE_E2, APPLY, key=R4["key"], proof="x")
    assert other["extensions"]["code"] == "FORBIDDEN"
    bank = await refused(client_for, BANK_B1, APPLY, key=R4["key"], proof="x")
    assert bank["extensions"]["code"] == "FORBIDDEN"
    assert "operations.applyRepair" in bank["message"]
