"""限期整改、约谈 (六(二)): the finding's department orders rectification by a deadline; a missed
deadline leads to a warning interview that becomes part of the credit record.

谁认定、谁约谈: only the department that made the finding orders, completes and interviews. No
interview before the deadline (TOO_EARLY), no completion after it (DEADLINE_PASSED) or after an
interview (WRONG_STATE). Time passing is simulated by moving an order's stored deadline into the
past with Cypher (`move_into_past`). The fixture graph is restored after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from authz.identity import OrgKind
from graph.database import Database
from graph.identifiers import mask_name
from graph.lifecycle.base import china_today
from graph.publication import add_months
from tests.conftest import ClientFor
from tests.fixtures import (
    COURT,
    E1,
    E5,
    E5_LICENCES,
    P1,
    R1,
    R2,
    R4,
    R5_V2,
    R6,
    SAMR,
    TAX,
    load_fixture_graph,
)
from tests.graphql import errors
from tests.lifecycle import (
    BANK_B1,
    ENTERPRISE_E1,
    ENTERPRISE_E2,
    ENTERPRISE_E5,
    MARKET,
    OFFICE,
    TAXATION,
    ask,
    move_into_past,
    notices_of,
    org,
    refused,
)

JUDICIARY = org(OrgKind.DEPARTMENT, COURT, sector="司法")

ORDER = """mutation($finding: String!, $deadline: Date!, $severity: SeverityTier,
                   $department: String, $number: String) {
  orderRectification(finding: $finding, deadline: $deadline, severity: $severity,
                     requirement: "停止违法行为并提交整改报告", department: $department,
                     documentNumber: $number) {
    id status statusLabel overdue orderedOn deadline requirement severity orderedBy
    orderedByName subject subjectName findingKey findingTitle recordKey } }"""

COMPLETE = """mutation($id: ID!, $department: String) {
  completeRectification(id: $id, note: "已提交整改报告，现场复查合格", department: $department) {
    id status statusLabel completedOn completionNote } }"""

INTERVIEW = """mutation($id: ID!, $severity: SeverityTier, $department: String) {
  recordInterview(id: $id, summary: "约谈法定代表人，告知逾期未整改的后果",
                  severity: $severity, department: $department) {
    id status statusLabel overdue interviewedOn interviewSummary interviewRecordKey } }"""

OVERDUE = """query($department: String) {
  overdueRectifications(department: $department) { id subject overdue deadline orderedBy } }"""

ORDERS = """query($subject: String, $status: RectificationStatus) {
  rectifications(subject: $subject, status: $status) { id status subject } }"""

RECORDS = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 100, kinds: [RECTIFICATION, INTERVIEW]) { edges { node {
    id key version kind severity content validTo publishFrom publishUntil
    provider { code } } } } } }"""


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Orders add records, events and notices; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _in(days: int) -> str:
    return (china_today() + timedelta(days=days)).isoformat()


async def _order(client_for: ClientFor, who: Any, finding: str, **more: Any) -> dict[str, Any]:
    data = await ask(client_for, who, ORDER, finding=finding, deadline=_in(10), **more)
    result: dict[str, Any] = data["orderRectification"]
    return result


async def _records(client_for: ClientFor, uscc: str) -> dict[str, dict[str, Any]]:
    data = await ask(client_for, OFFICE, RECORDS, uscc=uscc)
    return {e["node"]["key"]: e["node"] for e in data["enterprise"]["records"]["edges"]}


async def _deadline_passed(db: Database, rectification_id: str) -> None:
    await move_into_past(
        db, "Rectification", "id", rectification_id, deadline=_in(-1), orderedOn=_in(-11)
    )


async def test_the_finding_department_orders_rectification_and_it_becomes_a_record(
    client_for: ClientFor, db: Database
) -> None:
    ordered = await _order(client_for, MARKET, R1["key"])
    today = china_today()
    assert (ordered["status"], ordered["statusLabel"], ordered["overdue"]) == (
        "ORDERED",
        "整改中",
        False,
    )
    assert (ordered["orderedOn"], ordered["deadline"]) == (today.isoformat(), _in(10))
    assert (ordered["orderedBy"], ordered["orderedByName"]) == (SAMR, "舞钢市市场监督管理局")
    assert (ordered["subject"], ordered["findingKey"], ordered["findingTitle"]) == (
        E1,
        R1["key"],
        "超标排放",
    )
    assert ordered["severity"] == "GENERAL", "the finding's tier when none is given"

    record = (await _records(client_for, E1))[ordered["recordKey"]]
    assert ordered["recordKey"] == f"RECTIFICATION|{SAMR}|{ordered['id']}"
    assert (record["kind"], record["severity"], record["provider"]) == (
        "RECTIFICATION",
        "GENERAL",
        {"code": SAMR},
    )
    assert (record["validTo"], record["publishFrom"], record["publishUntil"]) == (
        _in(10),
        today.isoformat(),
        add_months(today, 12).isoformat(),
    )
    [row] = await db.read(
        "MATCH (r:Rectification {id: $id})-[:FOLLOWS]->(f:Record) RETURN f.key AS finding",
        {"id": ordered["id"]},
    )
    assert row["finding"] == R1["key"]
    [audit] = await db.read(
        "MATCH (a:AuditEntry {action: 'order_rectification', detail: $id}) RETURN a.orgCode AS org",
        {"id": ordered["id"]},
    )
    assert audit["org"] == SAMR
    own = await ask(client_for, ENTERPRISE_E1, ORDERS)
    assert ordered["id"] in {r["id"] for r in own["rectifications"]}


async def test_another_department_may_not_order_on_a_finding_it_did_not_make(
    client_for: ClientFor,
) -> None:
    error = await refused(client_for, TAXATION, ORDER, finding=R1["key"], deadline=_in(10))
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "谁认定、谁约谈" in error["message"]


async def test_the_deadline_must_lie_ahead(client_for: ClientFor) -> None:
    for deadline in (_in(0), _in(-3)):
        error = await refused(client_for, MARKET, ORDER, finding=R5_V2["key"], deadline=deadline)
        assert error["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_a_repaired_finding_takes_no_order(client_for: ClientFor) -> None:
    error = await refused(client_for, MARKET, ORDER, finding=R2["key"], deadline=_in(10))
    assert error["extensions"]["code"] == "WRONG_STATE"


async def test_a_finding_without_a_tier_needs_one(client_for: ClientFor) -> None:
    licence = E5_LICENCES[0]["key"]
    error = await refused(client_for, MARKET, ORDER, finding=licence, deadline=_in(10))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    ordered = await _order(client_for, MARKET, licence, severity="MINOR")
    record = (await _records(client_for, E5))[ordered["recordKey"]]
    assert (record["severity"], record["publishFrom"]) == ("MINOR", None), "轻微: not published"
    error = await refused(client_for, MARKET, ORDER, finding=licence, deadline=_in(10))
    assert error["extensions"]["code"] == "WRONG_STATE", "one open order per finding"


async def test_an_interview_before_the_deadline_is_too_early(client_for: ClientFor) -> None:
    ordered = await _order(client_for, MARKET, E5_LICENCES[2]["key"], severity="GENERAL")
    error = await refused(client_for, MARKET, INTERVIEW, id=ordered["id"])
    assert error["extensions"]["code"] == "TOO_EARLY"
    assert "尚未届满" in error["message"]


async def test_a_completion_on_time_closes_the_order_and_no_interview_follows(
    client_for: ClientFor, db: Database
) -> None:
    ordered = await _order(client_for, MARKET, E5_LICENCES[1]["key"], severity="GENERAL")
    error = await refused(client_for, TAXATION, COMPLETE, id=ordered["id"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    data = await ask(client_for, MARKET, COMPLETE, id=ordered["id"])
    done = data["completeRectification"]
    assert (done["status"], done["statusLabel"], done["completedOn"]) == (
        "COMPLETED",
        "已整改",
        china_today().isoformat(),
    )
    [row] = await db.read(
        "MATCH (r:Record {key: $key, current: true}) RETURN r.version AS v, r.fulfilment AS f",
        {"key": ordered["recordKey"]},
    )
    assert (row["v"], row["f"]) == (2, "已整改")

    await _deadline_passed(db, ordered["id"])
    error = await refused(client_for, MARKET, INTERVIEW, id=ordered["id"])
    assert error["extensions"]["code"] == "WRONG_STATE"
    error = await refused(client_for, MARKET, COMPLETE, id=ordered["id"])
    assert error["extensions"]["code"] == "WRONG_STATE", "completed once"


async def test_after_a_missed_deadline_only_the_finding_department_interviews_and_it_is_recorded(
    client_for: ClientFor, db: Database
) -> None:
    await ask(
        client_for,
        BANK_B1,
        'mutation($uscc: String!) { watchEnterprise(uscc: $uscc, purpose: "贷后监测") { id } }',
        uscc=E1,
    )
    ordered = await _order(client_for, TAXATION, R4["key"])
    await _deadline_passed(db, ordered["id"])

    mine = await ask(client_for, TAXATION, OVERDUE)
    [listed] = [r for r in mine["overdueRectifications"] if r["id"] == ordered["id"]]
    assert (listed["overdue"], listed["orderedBy"], listed["subject"]) == (True, TAX, E1)
    others = await ask(client_for, MARKET, OVERDUE)
    assert ordered["id"] not in {r["id"] for r in others["overdueRectifications"]}

    error = await refused(client_for, MARKET, INTERVIEW, id=ordered["id"])
    assert error["extensions"]["code"] == "FORBIDDEN" and "谁认定、谁约谈" in error["message"]
    error = await refused(client_for, TAXATION, COMPLETE, id=ordered["id"])
    assert error["extensions"]["code"] == "DEADLINE_PASSED"

    data = await ask(client_for, TAXATION, INTERVIEW, id=ordered["id"])
    held = data["recordInterview"]
    assert (held["status"], held["statusLabel"], held["overdue"]) == (
        "OVERDUE",
        "逾期未整改，已约谈",
        False,
    )
    assert held["interviewedOn"] == china_today().isoformat()
    record = (await _records(client_for, E1))[held["interviewRecordKey"]]
    assert (record["kind"], record["severity"], record["provider"]) == (
        "INTERVIEW",
        "GENERAL",
        {"code": TAX},
    )
    [row] = await db.read(
        "MATCH (:Rectification {id: $id})-[:RESULTED_IN]->(r:Record) RETURN r.uid AS uid",
        {"id": ordered["id"]},
    )
    assert row["uid"] == record["id"]

    bank = [n for n in await notices_of(client_for, BANK_B1) if n["ref"] == record["id"]]
    assert [(n["kind"], n["subject"]) for n in bank] == [("RECTIFICATION_OVERDUE", E1)]
    own = [n for n in await notices_of(client_for, ENTERPRISE_E1) if n["ref"] == ordered["id"]]
    assert sorted(n["kind"] for n in own) == ["NEW_ADVERSE_RECORD", "RECTIFICATION_OVERDUE"]

    after = await ask(client_for, TAXATION, OVERDUE)
    assert ordered["id"] not in {r["id"] for r in after["overdueRectifications"]}
    for document in (COMPLETE, INTERVIEW):
        error = await refused(client_for, TAXATION, document, id=ordered["id"])
        assert error["extensions"]["code"] == "WRONG_STATE", document


async def test_the_credit_office_acts_by_naming_the_finding_department(
    client_for: ClientFor, db: Database
) -> None:
    finding = R5_V2["key"]
    error = await refused(client_for, OFFICE, ORDER, finding=finding, deadline=_in(10))
    assert error["extensions"]["code"] == "FORBIDDEN", "the office names a department"
    error = await refused(
        client_for, OFFICE, ORDER, finding=finding, deadline=_in(10), department=TAX
    )
    assert error["extensions"]["code"] == "FORBIDDEN", "…the one that made the finding"
    error = await refused(
        client_for, TAXATION, ORDER, finding=finding, deadline=_in(10), department=SAMR
    )
    assert error["extensions"]["code"] == "FORBIDDEN", "a department acts for itself only"
    ordered = await _order(client_for, OFFICE, finding, severity="GENERAL", department=SAMR)
    assert ordered["orderedBy"] == SAMR
    await _deadline_passed(db, ordered["id"])
    everyone = await ask(client_for, OFFICE, OVERDUE)
    assert ordered["id"] in {r["id"] for r in everyone["overdueRectifications"]}


async def test_a_person_finding_is_ordered_and_the_person_is_named_de_identified(
    client_for: ClientFor,
) -> None:
    ordered = await _order(client_for, JUDICIARY, R6["key"])
    assert (ordered["subject"], ordered["subjectName"]) == (P1, mask_name("张伟"))
    listed = await ask(client_for, JUDICIARY, ORDERS, subject=P1)
    assert [r["id"] for r in listed["rectifications"]] == [ordered["id"]]


async def test_orders_are_shown_to_the_subject_departments_and_the_credit_office(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    ordered = await _order(client_for, MARKET, E5_LICENCES[3]["key"], severity="GENERAL")
    own = await ask(client_for, ENTERPRISE_E5, ORDERS, status="ORDERED")
    assert ordered["id"] in {r["id"] for r in own["rectifications"]}
    department = await ask(client_for, TAXATION, ORDERS, subject=E5)
    assert ordered["id"] in {r["id"] for r in department["rectifications"]}
    for who in (ENTERPRISE_E2, BANK_B1):
        error = await refused(client_for, who, ORDERS, subject=E5)
        assert error["extensions"]["code"] == "FORBIDDEN"
    [error] = await errors(anon, ORDERS, subject=E5)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(client_for, ENTERPRISE_E5, OVERDUE)
    assert error["extensions"]["code"] == "FORBIDDEN"
