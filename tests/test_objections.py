"""异议 (四(五)): a subject objects; the record shows 异议中 at once; the providing department
decides within 3 working days (7 with verification); each outcome is a new version or an event.

Rules from DOMAIN.md "Objections". The fixture graph is restored after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

from graph.database import Database
from graph.lifecycle.base import china_today, decision_deadline
from graph.workdays import mainland_calendar
from tests.conftest import ClientFor
from tests.fixtures import CA1, E1, E5, E5_LICENCES, R1, R3, R5_V2, R6, load_fixture_graph
from tests.graphql import query
from tests.lifecycle import (
    AGENCY,
    BANK_B1,
    DEVELOPMENT,
    ENTERPRISE_E1,
    ENTERPRISE_E5,
    MARKET,
    OFFICE,
    TAXATION,
    ask,
    move_into_past,
    notices_of,
    refused,
)

FILE = """mutation($key: String, $entry: String, $grounds: ObjectionGround!, $statement: String!) {
  fileObjection(recordKey: $key, listEntryId: $entry, grounds: $grounds,
                statement: $statement, evidence: "缴款凭证") {
    id status grounds subject filedOn dueBy overdue recordKey listEntryId decider } }"""

DECIDE = """mutation($id: ID!, $outcome: ObjectionOutcome!, $reason: String!,
                    $corrections: JSON, $supplement: String) {
  decideObjection(id: $id, outcome: $outcome, reason: $reason, corrections: $corrections,
                  supplement: $supplement) {
    id status outcome decisionReason decidedOn decidedLate resultVersionId } }"""

EXTEND = """mutation($id: ID!) {
  extendObjectionForVerification(id: $id, reason: "需向执法大队核实") {
    dueBy needsVerification } }"""

RECORDS = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 50) { edges { node { id key version status inPublicationWindow amount
                                            remarks publishUntil } } } } }"""

HISTORY = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 50, includeHistory: true) {
    edges { node { id key version current status amount } } } } }"""


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Objections change records and lists; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    enterprise = data["enterprise"]
    assert isinstance(enterprise, dict)
    return [e["node"] for e in enterprise["listEntries"]["edges"]]


def _by_key(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    enterprise = data["enterprise"]
    assert isinstance(enterprise, dict)
    return [e["node"] for e in enterprise["records"]["edges"] if e["node"]["key"] == key]


async def test_an_objection_flags_the_record_at_once_and_the_department_corrects_it(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    # A bank was served E1's records before: it must hear that the old version is withdrawn.
    await ask(client_for, BANK_B1, RECORDS, uscc=E1)
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E1,
            FILE,
            key=R1["key"],
            grounds="WRONG_DATA",
            statement="罚款金额应为10万元，决定书送达稿有误",
        )
    )["fileObjection"]
    assert filed["status"] == "PENDING" and filed["decider"] is not None
    filed_on = date.fromisoformat(filed["filedOn"])
    assert filed["dueBy"] == mainland_calendar().add_working_days(filed_on, 3).isoformat()

    # 异议中 everywhere it is shown: the public sees the flag, still inside its window.
    public = await query(
        anon,
        """query($uscc: String!) { enterprise(uscc: $uscc) {
             records(first: 50) { edges { node { key status inPublicationWindow } } } } }""",
        uscc=E1,
    )
    shown = _by_key(public, R1["key"])
    assert [(r["status"], r["inPublicationWindow"]) for r in shown] == [("UNDER_OBJECTION", True)]
    assert any(n["kind"] == "OBJECTION_FILED" for n in await notices_of(client_for, MARKET))

    decided = (
        await ask(
            client_for,
            MARKET,
            DECIDE,
            id=filed["id"],
            outcome="CORRECT",
            reason="经核实，罚款金额录入错误",
            corrections={"amount": 10.0},
        )
    )["decideObjection"]
    assert (decided["status"], decided["outcome"], decided["decidedLate"]) == (
        "DECIDED",
        "CORRECT",
        False,
    )
    assert decided["resultVersionId"] == f"{R1['key']}#v2"

    async with client_for(OFFICE) as admin:
        versions = _by_key(await query(admin, HISTORY, uscc=E1), R1["key"])
    assert sorted((v["version"], v["current"], v["status"], v["amount"]) for v in versions) == [
        (1, False, "SUPERSEDED", 12.5),
        (2, True, "EFFECTIVE", 10.0),
    ]
    told = await notices_of(client_for, ENTERPRISE_E1)
    assert any(n["kind"] == "OBJECTION_DECIDED" and n["ref"] == filed["id"] for n in told)
    withdrawn = await notices_of(client_for, BANK_B1)
    assert any(n["kind"] == "WITHDRAWAL" and n["ref"] == f"{R1['key']}#v2" for n in withdrawn)

    # The whole story is in the record's change history, for the subject and the department.
    history = """query($key: String!) { changeHistory(recordKey: $key) {
      type actorCode fromState toState concerns } }"""
    changes = (await ask(client_for, ENTERPRISE_E1, history, key=R1["key"]))["changeHistory"]
    assert [(c["type"], c["fromState"], c["toState"]) for c in changes] == [
        ("OBJECTION_FILED", "EFFECTIVE", "UNDER_OBJECTION"),
        ("RECORD_CORRECT", "UNDER_OBJECTION", "EFFECTIVE"),
    ]
    assert changes[1]["actorCode"] == MARKET.org_code
    stranger = await refused(client_for, ENTERPRISE_E5, history, key=R1["key"])
    assert stranger["extensions"]["code"] == "FORBIDDEN"


async def test_only_the_subject_or_its_authorised_agent_may_object(
    client_for: ClientFor,
) -> None:
    licence = E5_LICENCES[0]["key"]
    other = await refused(
        client_for,
        ENTERPRISE_E1,
        FILE,
        key=licence,
        grounds="WRONG_DATA",
        statement="不是本企业的许可",
    )
    assert other["extensions"]["code"] == "FORBIDDEN"
    # A credit agency without the subject's consent is refused; with it, it files for E5.
    agent = await refused(
        client_for, AGENCY, FILE, key=licence, grounds="WRONG_DATA", statement="代理提出"
    )
    assert agent["extensions"]["code"] == "FORBIDDEN"
    await ask(
        client_for,
        ENTERPRISE_E5,
        """mutation($ca: String!) { grantConsent(grantee: $ca, classes: ["conditional"],
             purpose: "信用修复代理", expiresOn: "2027-06-30") { id } }""",
        ca=CA1,
    )
    filed = await ask(
        client_for, AGENCY, FILE, key=licence, grounds="WRONG_DATA", statement="许可内容有误"
    )
    assert filed["fileObjection"]["subject"] == E5
    # Banks and the public have no objection operation at all.
    bank = await refused(
        client_for, BANK_B1, FILE, key=R3["key"], grounds="WRONG_DATA", statement="x"
    )
    assert bank["extensions"]["code"] == "FORBIDDEN"
    assert "operations.fileObjection" in bank["message"]
    # A person's record is objected to at the credit office's window, not by an enterprise.
    personal = await refused(
        client_for, ENTERPRISE_E1, FILE, key=R6["key"], grounds="WRONG_DATA", statement="x"
    )
    assert personal["extensions"]["code"] == "FORBIDDEN"


async def test_the_providing_department_decides_and_one_objection_is_pending_at_a_time(
    client_for: ClientFor,
) -> None:
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E1,
            FILE,
            key=R5_V2["key"],
            grounds="MISSING_DATA",
            statement="缺少许可范围的补充说明",
        )
    )["fileObjection"]
    again = await refused(
        client_for, ENTERPRISE_E1, FILE, key=R5_V2["key"], grounds="WRONG_DATA", statement="再次"
    )
    assert again["extensions"]["code"] == "WRONG_STATE"
    wrong = await refused(
        client_for, TAXATION, DECIDE, id=filed["id"], outcome="REJECT", reason="不是本局"
    )
    assert wrong["extensions"]["code"] == "FORBIDDEN"
    missing = await refused(
        client_for, MARKET, DECIDE, id=filed["id"], outcome="SUPPLEMENT", reason="补充说明"
    )
    assert missing["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "supplement" in missing["message"]
    decided = (
        await ask(
            client_for,
            MARKET,
            DECIDE,
            id=filed["id"],
            outcome="SUPPLEMENT",
            reason="补充许可范围",
            supplement="许可范围含冷藏冷冻食品",
        )
    )["decideObjection"]
    assert decided["outcome"] == "SUPPLEMENT"
    async with client_for(OFFICE) as admin:
        [current] = _by_key(await query(admin, RECORDS, uscc=E1), R5_V2["key"])
    assert (current["version"], current["remarks"]) == (3, "许可范围含冷藏冷冻食品")
    twice = await refused(
        client_for, MARKET, DECIDE, id=filed["id"], outcome="REJECT", reason="再办一次"
    )
    assert twice["extensions"]["code"] == "WRONG_STATE"


async def test_stopping_publication_takes_the_record_off_the_disclosure_site(
    client_for: ClientFor,
) -> None:
    licence = E5_LICENCES[1]["key"]
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E5,
            FILE,
            key=licence,
            grounds="PAST_PERIOD",
            statement="该许可已注销，不应继续公示",
        )
    )["fileObjection"]
    await ask(
        client_for,
        MARKET,
        DECIDE,
        id=filed["id"],
        outcome="STOP_PUBLICATION",
        reason="许可已注销，停止公示",
    )
    async with client_for(OFFICE) as admin:
        [current] = _by_key(await query(admin, RECORDS, uscc=E5), licence)
    assert current["version"] == 2 and current["inPublicationWindow"] is False
    assert date.fromisoformat(current["publishUntil"]) < china_today()


async def test_verification_extends_the_deadline_only_before_it_has_passed_and_late_decisions_are_reported(  # noqa: E501
    client_for: ClientFor, db: Database
) -> None:
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E1,
            FILE,
            key=R3["key"],
            grounds="WRONG_DATA",
            statement="核准文号有误",
        )
    )["fileObjection"]
    # Time passes: the objection was filed in early November and its 3 days have run out.
    await move_into_past(
        db, "Objection", "id", filed["id"], filedOn="2026-11-02", dueBy="2026-11-05"
    )
    late = await refused(client_for, DEVELOPMENT, EXTEND, id=filed["id"])
    assert late["extensions"]["code"] == "DEADLINE_PASSED"

    overdue = await ask(client_for, DEVELOPMENT, "{ objections(overdueOnly: true) { id overdue } }")
    assert {"id": filed["id"], "overdue": True} in overdue["objections"]
    report = """{ lifecycleDeadlines { department process received pendingOverdue decidedLate
                                     decidedOnTime } }"""
    rows = (await ask(client_for, OFFICE, report))["lifecycleDeadlines"]
    [ndrc] = [r for r in rows if r["department"] == DEVELOPMENT.org_code]
    assert (ndrc["process"], ndrc["pendingOverdue"]) == ("OBJECTION", 1)
    # A department sees its own figures only.
    own = (await ask(client_for, MARKET, report))["lifecycleDeadlines"]
    assert {r["department"] for r in own} <= {MARKET.org_code}

    decided = (
        await ask(
            client_for, DEVELOPMENT, DECIDE, id=filed["id"], outcome="REJECT", reason="文号无误"
        )
    )["decideObjection"]
    assert decided["decidedLate"] is True
    rows = (await ask(client_for, DEVELOPMENT, report))["lifecycleDeadlines"]
    assert [(r["pendingOverdue"], r["decidedLate"]) for r in rows] == [(0, 1)]
    async with client_for(OFFICE) as admin:
        [current] = _by_key(await query(admin, RECORDS, uscc=E1), R3["key"])
    assert (current["version"], current["status"]) == (1, "EFFECTIVE")


async def test_a_timely_verification_moves_the_deadline_to_seven_working_days(
    client_for: ClientFor,
) -> None:
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E5,
            FILE,
            key=E5_LICENCES[2]["key"],
            grounds="WRONG_DATA",
            statement="许可有效期有误",
        )
    )["fileObjection"]
    extended = (await ask(client_for, MARKET, EXTEND, id=filed["id"]))[
        "extendObjectionForVerification"
    ]
    filed_on = date.fromisoformat(filed["filedOn"])
    assert extended == {
        "needsVerification": True,
        "dueBy": mainland_calendar().add_working_days(filed_on, 7).isoformat(),
    }


async def test_an_upheld_objection_to_a_list_entry_removes_it_and_lifts_its_measures(
    client_for: ClientFor,
) -> None:
    wrong_grounds = await refused(
        client_for, ENTERPRISE_E1, FILE, entry="LE-1", grounds="WRONG_DATA", statement="x"
    )
    assert wrong_grounds["extensions"]["code"] == "INVALID_ARGUMENT"
    filed = (
        await ask(
            client_for,
            ENTERPRISE_E1,
            FILE,
            entry="LE-1",
            grounds="WRONGLY_LISTED",
            statement="处罚已履行，不符合严重失信认定标准",
        )
    )["fileObjection"]
    entries = """query($uscc: String!) { enterprise(uscc: $uscc) { blackListed
      listEntries(first: 10) { edges { node { id status underObjection
                                              sanctions { id status } } } } } }"""
    shown = await ask(client_for, OFFICE, entries, uscc=E1)
    [entry] = [e for e in _entries(shown) if e["id"] == "LE-1"]
    assert entry["underObjection"] is True

    not_a_record = await refused(
        client_for, DEVELOPMENT, DECIDE, id=filed["id"], outcome="CORRECT", reason="x",
        corrections={"title": "y"},
    )  # fmt: skip
    assert not_a_record["extensions"]["code"] == "INVALID_ARGUMENT"
    await ask(
        client_for,
        DEVELOPMENT,
        DECIDE,
        id=filed["id"],
        outcome="REMOVE_FROM_LIST",
        reason="经复核，认定依据不足，移出名单",
    )
    shown = await ask(client_for, OFFICE, entries, uscc=E1)
    [entry] = [e for e in _entries(shown) if e["id"] == "LE-1"]
    assert (entry["status"], entry["underObjection"]) == ("REMOVED", False)
    assert {s["status"] for s in entry["sanctions"]} == {"LIFTED"}
    assert shown["enterprise"]["blackListed"] is False


def test_a_deadline_in_a_year_without_a_holiday_notice_is_provisional_and_never_late() -> None:
    # Inside the calendar: the State Council's days (2026-11-27 is a Friday).
    assert decision_deadline(date(2026, 11, 27), 3) == (date(2026, 12, 2), False)
    # Reaching 2027, whose notice is not yet out: its provisional (statutory-days) table.
    assert decision_deadline(date(2026, 12, 30), 3) == (date(2027, 1, 5), True)
    # Beyond the calendar altogether: every day but the fixed statutory holidays (元旦), since
    # a notice may make a weekend day a working day — never later than the true deadline.
    assert decision_deadline(date(2027, 12, 30), 3) == (date(2028, 1, 3), True)
