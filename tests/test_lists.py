"""Red and black lists through the API (六(一)) and the personal liability a black list carries
(六(五)): what a decision needs, the red list's announcement, removal by the deciding department.

Dates are counted from the real today (the hub's city date), so a decision is dated today with
its prior notice three weeks before. The fixture graph is put back after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from authz.identity import Consumer, OrgKind
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.lifecycle.lists import liability_key
from graph.publication import add_months
from graph.workdays import mainland_calendar
from tests.conftest import ClientFor
from tests.consumers import ADMIN, ASKERS
from tests.fixtures import (
    A1,
    B1,
    COURT,
    E1,
    E2,
    E4,
    E5,
    NDRC,
    P1,
    P2,
    P3,
    P4,
    R1,
    R6,
    SAMR,
    load_fixture_graph,
)
from tests.graphql import errors, query

DEVELOPMENT = next(a.consumer for a in ASKERS if a.name == "department (duty)")  # 市发改委
MARKET = next(a.consumer for a in ASKERS if a.name == "department (market)")  # 市市场监管局
BANK = next(a.consumer for a in ASKERS if a.name == "bank with consent")
ENTERPRISE = next(a.consumer for a in ASKERS if a.name == "enterprise itself")
TODAY = china_today()
SUPERVISOR = "11410481MB0000001X"

ENTRY_FIELDS = """id listType listName basis decisionNumber decisionDate noticeDate
  effectiveFrom effectiveUntil removalConditions status announcedOn announcementEnds
  announcementEndsProvisional removedOn
  removalReason subject { code isPerson name nameMasked } decidedBy { code name }
  supervisingUnit { name code } linkedPersons { key name nameMasked role }
  basedOn liabilityRecords sanctions liftedSanctions"""

DECIDE = f"""mutation($decision: ListDecisionInput!, $department: String) {{
  decideList(decision: $decision, department: $department) {{ {ENTRY_FIELDS} }} }}"""

ACTIVATE = f"""mutation($id: ID!, $department: String) {{
  activateListEntry(id: $id, department: $department) {{ {ENTRY_FIELDS} }} }}"""

REMOVE = f"""mutation($id: ID!, $reason: String!, $department: String) {{
  removeListEntry(id: $id, reason: $reason, department: $department) {{ {ENTRY_FIELDS} }} }}"""

_numbers = iter(range(1, 1000))


def decision(subject: str, list_type: str = "BLACK", **overrides: Any) -> dict[str, Any]:
    """A complete list decision about `subject` (a USCC, or a person key starting with P),
    dated today with prior notice three weeks earlier; `overrides` set or (None) drop items."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "listType": list_type,
        "basis": "《河南省社会信用条例》第三十二条",
        "decisionNumber": f"舞认定〔{TODAY.year}〕{number}号",
        "decisionDate": TODAY.isoformat(),
        "noticeDate": (TODAY - timedelta(days=21)).isoformat(),
        "removalConditions": "履行行政处罚决定并完成信用修复",
        "effectiveUntil": add_months(TODAY, 36).isoformat(),
    }
    if list_type == "RED":
        values["noticeDate"] = None
        values["removalConditions"] = None
    values["personKey" if subject.startswith("P") else "uscc"] = subject
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def decide(client: httpx.AsyncClient, subject: str, **overrides: Any) -> dict[str, Any]:
    """Decide a list entry; return it."""
    data = await query(client, DECIDE, decision=decision(subject, **overrides))
    entry: dict[str, Any] = data["decideList"]
    return entry


async def refusal(client: httpx.AsyncClient, document: str, **variables: Any) -> dict[str, Any]:
    """The one error a request was refused with."""
    [error] = await errors(client, document, **variables)
    return error


async def audited(db: Database, action: str, detail: str) -> bool:
    """Whether the audit chain recorded a mutation with this action and detail."""
    found = await db.read(
        "MATCH (a:AuditEntry {action: $action, detail: $detail}) RETURN count(a) AS n",
        {"action": action, "detail": detail},
    )
    return bool(found[0]["n"])


async def events(db: Database, node_id: str, label: str = "ListEntry") -> list[str]:
    """The event types recorded on a node, oldest first."""
    found = await db.read(
        "MATCH (e:Event)-[:CONCERNS]->(n) WHERE $label IN labels(n) AND n.id = $id "
        "RETURN e.type AS type ORDER BY e.at",
        {"label": label, "id": node_id},
    )
    return [r["type"] for r in found]


@pytest.fixture(scope="module")
async def development(db: Database, client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The development and reform commission's client; the fixture graph is restored after."""
    async with client_for(DEVELOPMENT) as http:
        yield http
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@pytest.fixture(scope="module")
async def market(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The market regulator's client."""
    async with client_for(MARKET) as http:
        yield http


# -- black list -------------------------------------------------------------------------------
async def test_a_department_black_lists_an_enterprise_naming_the_persons_behind_it(
    development: httpx.AsyncClient, db: Database
) -> None:
    entry = await decide(development, E1, recordKeys=[R1["key"]])
    assert entry["id"].startswith("LE-")
    assert (entry["listType"], entry["status"]) == ("BLACK", "ACTIVE")
    assert entry["listName"] == "严重失信主体名单"
    assert entry["effectiveFrom"] == TODAY.isoformat(), "in force from the decision"
    assert entry["noticeDate"] == (TODAY - timedelta(days=21)).isoformat()
    assert entry["subject"] == {
        "code": E1,
        "isPerson": False,
        "name": "舞钢市鑫源钢铁有限公司",
        "nameMasked": None,
    }
    assert entry["decidedBy"]["code"] == NDRC
    assert {(p["key"], p["role"], p["name"]) for p in entry["linkedPersons"]} == {
        (P1, "LEGAL_REPRESENTATIVE", "张伟"),
        (P1, "ACTUAL_CONTROLLER", "张伟"),
        (P2, "PRINCIPAL", "李娜"),
    }, "the registered legal representative, principal and actual controller, from the graph"
    assert entry["basedOn"] == [R1["key"]]
    based_on = await db.read(
        "MATCH (:ListEntry {id: $id})-[:BASED_ON]->(r:Record) RETURN r.uid AS uid",
        {"id": entry["id"]},
    )
    assert [r["uid"] for r in based_on] == [R1["uid"]]
    assert await events(db, entry["id"]) == ["LIST_ENTRY_DECIDED", *["LIABILITY_RECORDED"] * 2]
    assert await audited(db, "decide_list", entry["id"])
    shown = await query(
        development,
        f'{{ enterprise(uscc: "{E1}") {{ blackListed listEntries(listType: BLACK) '
        "{ edges { node { id } } } } }",
    )
    assert entry["id"] in [e["node"]["id"] for e in shown["enterprise"]["listEntries"]["edges"]]


async def test_black_listing_an_organisation_makes_a_liability_record_for_each_person_behind_it(
    development: httpx.AsyncClient, db: Database, client: httpx.AsyncClient
) -> None:
    entry = await decide(development, E1)
    number = entry["decisionNumber"]
    expected = sorted(liability_key(NDRC, number, p) for p in (P1, P2))
    assert entry["liabilityRecords"] == expected, "one record per person, whatever their roles"
    found = await db.read(
        "MATCH (r:Record {key: $key})-[:HAS_SUBJECT]->(p:Person), "
        "(r)-[:PROVIDED_BY]->(d:Department) "
        "RETURN properties(r) AS r, p.key AS person, d.code AS provider",
        {"key": liability_key(NDRC, number, P1)},
    )
    [row] = found
    record = row["r"]
    assert (row["person"], row["provider"]) == (P1, NDRC)
    assert (record["kind"], record["severity"], record["status"]) == (
        "LIABILITY",
        "SERIOUS",
        "EFFECTIVE",
    )
    assert record["uid"] == f"{record['key']}#v1" and record["current"]
    assert record["documentNumber"] == number
    assert record["roles"] == ["ACTUAL_CONTROLLER", "LEGAL_REPRESENTATIVE"]
    assert record["publishFrom"].to_native() == TODAY
    assert record["publishUntil"].to_native() == add_months(TODAY, 36), "serious: 3 years"
    recorded = await db.read(
        "MATCH (e:Event {type: 'LIABILITY_RECORDED'})-[:CONCERNS]->(r:Record {key: $key}) "
        "RETURN count(e) AS n",
        {"key": liability_key(NDRC, number, P2)},
    )
    assert recorded[0]["n"] == 1
    personal = await query(
        client,
        f'{{ person(key: "{P2}") {{ records(kinds: [LIABILITY]) {{ edges {{ node {{ key '
        "severity inPublicationWindow provider { code } } } } } }",
    )
    nodes = [e["node"] for e in personal["person"]["records"]["edges"]]
    assert {
        "key": liability_key(NDRC, number, P2),
        "severity": "SERIOUS",
        "inPublicationWindow": True,
        "provider": {"code": NDRC},
    } in nodes


async def test_a_person_on_the_black_list_is_the_subject_and_names_no_one_else(
    development: httpx.AsyncClient,
) -> None:
    entry = await decide(development, P3)
    assert entry["subject"]["isPerson"] and entry["subject"]["code"] == P3
    assert entry["subject"]["name"] == "欧阳明", "a department sees the full name"
    assert (entry["linkedPersons"], entry["liabilityRecords"]) == ([], [])


async def test_a_black_list_needs_prior_notice_to_the_subject(
    development: httpx.AsyncClient,
) -> None:
    error = await refusal(development, DECIDE, decision=decision(E2, noticeDate=None))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "`noticeDate`" in error["message"] and "事先告知" in error["message"]


async def test_prior_notice_must_come_before_the_decision(development: httpx.AsyncClient) -> None:
    error = await refusal(development, DECIDE, decision=decision(E2, noticeDate=TODAY.isoformat()))
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "noticeDate" in error["message"]


async def test_a_black_list_decision_waits_for_the_subjects_time_to_state_its_case(
    development: httpx.AsyncClient,
) -> None:
    notice = TODAY - timedelta(days=1)
    error = await refusal(development, DECIDE, decision=decision(E2, noticeDate=notice.isoformat()))
    assert error["extensions"]["code"] == "TOO_EARLY"
    earliest = mainland_calendar().add_working_days(notice, 5)
    assert "`decisionDate`" in error["message"] and earliest.isoformat() in error["message"]


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("basis", "认定依据"),
        ("decisionNumber", "认定文书号"),
        ("decisionDate", "认定日期"),
        ("removalConditions", "移出条件"),
        ("effectiveUntil", "有效期"),
    ],
)
async def test_a_decision_missing_an_item_is_refused_naming_the_field(
    development: httpx.AsyncClient, field: str, words: str
) -> None:
    dropped: dict[str, Any] = {field: None}
    error = await refusal(development, DECIDE, decision=decision(E2, **dropped))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert f"`{field}`" in error["message"] and words in error["message"]


async def test_a_decision_names_one_subject_that_exists(development: httpx.AsyncClient) -> None:
    both = decision(E2) | {"personKey": P3}
    error = await refusal(development, DECIDE, decision=both)
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "subject" in error["message"]
    unknown = await refusal(development, DECIDE, decision=decision("91410481MA00000000"))
    assert unknown["extensions"]["code"] == "NOT_FOUND"


async def test_the_records_an_entry_rests_on_must_be_the_subjects_own(
    development: httpx.AsyncClient,
) -> None:
    error = await refusal(development, DECIDE, decision=decision(E1, recordKeys=[R6["key"]]))
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "recordKeys" in error["message"] and R6["key"] in error["message"]


async def test_one_decision_document_makes_one_entry(development: httpx.AsyncClient) -> None:
    first = decision(E2)
    await query(development, DECIDE, decision=first)
    error = await refusal(development, DECIDE, decision=first)
    assert error["extensions"]["code"] == "WRONG_STATE"
    assert "decisionNumber" in error["message"]


async def test_a_state_owned_enterprise_on_the_black_list_is_reported_to_its_supervisor(
    development: httpx.AsyncClient, db: Database
) -> None:
    # E5 is 有限责任公司(国有独资).
    error = await refusal(development, DECIDE, decision=decision(E5))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "`supervisingUnit`" in error["message"]

    unit = {"name": "舞钢市国有资产监督管理委员会", "code": SUPERVISOR}
    entry = await decide(development, E5, supervisingUnit=unit)
    assert entry["supervisingUnit"] == unit
    assert entry["liabilityRecords"] == [liability_key(NDRC, entry["decisionNumber"], P4)]
    assert "SUPERVISOR_NOTIFIED" in await events(db, entry["id"])
    notices = await db.read(
        "MATCH (n:Notice {recipient: $unit, kind: 'SUPERVISOR'}) RETURN n.ref AS ref, "
        "n.subjectCode AS subject",
        {"unit": SUPERVISOR},
    )
    assert {"ref": entry["id"], "subject": E5} in notices


async def test_a_public_body_is_reported_to_its_supervisor_too(
    development: httpx.AsyncClient, db: Database
) -> None:
    # USCC category 11 is 机关: register one as an enterprise-like subject for the test.
    body = "11410481MB0000002X"
    await db.write(
        "CREATE (:Enterprise {uscc: $code, name: '舞钢市某事业单位', category: '11', "
        "entityType: '机关'})",
        {"code": body},
    )
    error = await refusal(development, DECIDE, decision=decision(body))
    assert "`supervisingUnit`" in error["message"]
    entry = await decide(development, body, supervisingUnit={"name": "舞钢市人民政府"})
    assert entry["supervisingUnit"] == {"name": "舞钢市人民政府", "code": None}


async def test_a_private_enterprise_is_not_reported_to_a_supervising_unit(
    development: httpx.AsyncClient,
) -> None:
    error = await refusal(
        development, DECIDE, decision=decision(E2, supervisingUnit={"name": "某主管单位"})
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "supervisingUnit" in error["message"]


async def test_the_subjects_watchers_are_told_of_a_new_list_entry(
    development: httpx.AsyncClient, db: Database
) -> None:
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}) CREATE (:Watch {id: 'WATCH-lists', watcher: $bank, "
        "watcherKind: 'BANK', subject: $e, purpose: '贷后管理', since: date(), active: true})"
        "-[:WATCHES]->(e)",
        {"e": E4, "bank": B1},
    )
    entry = await decide(development, E4)
    told = await db.read(
        "MATCH (n:Notice {recipient: $bank, kind: 'LIST_ENTRY', ref: $ref}) "
        "RETURN n.subjectCode AS subject",
        {"bank": B1, "ref": entry["id"]},
    )
    assert told == [{"subject": E4}]


# -- red list ---------------------------------------------------------------------------------
async def test_a_red_list_candidate_is_announced_and_cannot_take_effect_before_the_period_ends(
    development: httpx.AsyncClient, db: Database
) -> None:
    entry = await decide(development, E4, list_type="RED", listName="诚信示范企业")
    assert (entry["listType"], entry["status"]) == ("RED", "ANNOUNCED")
    ends = mainland_calendar().add_working_days(TODAY, 7)
    assert (entry["announcedOn"], entry["announcementEnds"]) == (
        TODAY.isoformat(),
        ends.isoformat(),
    )
    # Counted through a year the State Council's notice has not reached yet, it says so.
    provisional = mainland_calendar().provisional_between(TODAY, ends)
    assert entry["announcementEndsProvisional"] is provisional
    assert entry["effectiveFrom"] is None and entry["liabilityRecords"] == []
    error = await refusal(development, ACTIVATE, id=entry["id"])
    assert error["extensions"]["code"] == "TOO_EARLY"
    assert ends.isoformat() in error["message"]
    shown = await query(development, f'{{ enterprise(uscc: "{E4}") {{ redListed }} }}')
    assert shown["enterprise"]["redListed"] is False, "not in force while announced"


async def test_a_red_list_entry_takes_effect_once_its_announcement_period_has_passed(
    development: httpx.AsyncClient, db: Database
) -> None:
    entry = await decide(development, E4, list_type="RED", listName="守信激励对象名单")
    # Time passes: the announcement period ended yesterday.
    await db.write(
        "MATCH (l:ListEntry {id: $id}) SET l.announcementEnds = $yesterday",
        {"id": entry["id"], "yesterday": TODAY - timedelta(days=1)},
    )
    active = (await query(development, ACTIVATE, id=entry["id"]))["activateListEntry"]
    assert (active["status"], active["effectiveFrom"]) == ("ACTIVE", TODAY.isoformat())
    assert await events(db, entry["id"]) == ["LIST_ENTRY_DECIDED", "LIST_ENTRY_ACTIVATED"]
    assert await audited(db, "activate_list_entry", entry["id"])
    shown = await query(development, f'{{ enterprise(uscc: "{E4}") {{ redListed }} }}')
    assert shown["enterprise"]["redListed"] is True
    again = await refusal(development, ACTIVATE, id=entry["id"])
    assert again["extensions"]["code"] == "WRONG_STATE"


async def test_a_red_list_decision_needs_no_prior_notice_and_takes_no_start_date(
    development: httpx.AsyncClient,
) -> None:
    error = await refusal(
        development,
        DECIDE,
        decision=decision(E4, list_type="RED", effectiveFrom=TODAY.isoformat()),
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "effectiveFrom" in error["message"]


async def test_only_the_deciding_department_activates_a_red_list_candidate(
    development: httpx.AsyncClient, market: httpx.AsyncClient
) -> None:
    entry = await decide(development, E4, list_type="RED", listName="绿色通道名单")
    error = await refusal(market, ACTIVATE, id=entry["id"])
    assert error["extensions"]["code"] == "FORBIDDEN" and "谁认定" in error["message"]


async def test_a_black_list_entry_is_not_activated_it_is_in_force_from_the_decision(
    development: httpx.AsyncClient,
) -> None:
    error = await refusal(development, ACTIVATE, id="LE-1")
    assert error["extensions"]["code"] == "WRONG_STATE"


# -- removal ----------------------------------------------------------------------------------
async def test_only_the_deciding_department_removes_an_entry(
    market: httpx.AsyncClient, db: Database
) -> None:
    error = await refusal(market, REMOVE, id="LE-1", reason="已履行")
    assert error["extensions"]["code"] == "FORBIDDEN"
    still = await db.read("MATCH (l:ListEntry {id: 'LE-1'}) RETURN l.status AS s")
    assert still == [{"s": "ACTIVE"}]


async def test_the_deciding_department_removes_an_entry_and_its_measures_are_lifted(
    development: httpx.AsyncClient, db: Database
) -> None:
    data = await query(development, REMOVE, id="LE-1", reason="已履行处罚决定并完成信用修复")
    removed = data["removeListEntry"]
    assert (removed["status"], removed["removedOn"]) == ("REMOVED", TODAY.isoformat())
    assert removed["removalReason"] == "已履行处罚决定并完成信用修复"
    assert sorted(removed["liftedSanctions"]) == ["SN-1", "SN-2"]
    lifted = await db.read(
        "MATCH (s:Sanction)-[:UNDER]->(:ListEntry {id: 'LE-1'}) RETURN collect(s.status) AS s"
    )
    assert lifted[0]["s"] == ["LIFTED", "LIFTED"]
    assert "LIST_ENTRY_REMOVED" in await events(db, "LE-1")
    assert await audited(db, "remove_list_entry", "LE-1")
    again = await refusal(development, REMOVE, id="LE-1", reason="再次移出")
    assert again["extensions"]["code"] == "WRONG_STATE"


async def test_a_removal_states_its_reason(development: httpx.AsyncClient) -> None:
    error = await refusal(development, REMOVE, id="LE-3", reason=" ")
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "reason" in error["message"]


# -- who may decide ---------------------------------------------------------------------------
async def test_the_credit_office_decides_only_in_a_named_departments_name(
    client_for: ClientFor, db: Database
) -> None:
    async with client_for(ADMIN) as office:
        error = await refusal(office, DECIDE, decision=decision(E2))
        assert error["extensions"]["code"] == "FORBIDDEN", "it acts on behalf, never as itself"
        data = await query(office, DECIDE, decision=decision(E2), department=COURT)
    entry = data["decideList"]
    assert entry["decidedBy"]["code"] == COURT
    actor = await db.read(
        "MATCH (e:Event {type: 'LIST_ENTRY_DECIDED'})-[:CONCERNS]->(:ListEntry {id: $id}) "
        "RETURN e.actorKind AS kind",
        {"id": entry["id"]},
    )
    assert actor == [{"kind": "ADMIN"}], "the event says who really acted"


async def test_a_department_decides_in_its_own_name_only(development: httpx.AsyncClient) -> None:
    error = await refusal(development, DECIDE, decision=decision(E2), department=SAMR)
    assert error["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "consumer",
    [BANK, ENTERPRISE, Consumer(subject="x", org_kind=OrgKind.ASSOCIATION, org_code=A1)],
    ids=["bank", "enterprise", "association"],
)
async def test_only_departments_and_the_credit_office_decide_lists(
    client_for: ClientFor, consumer: Consumer
) -> None:
    async with client_for(consumer) as http:
        error = await refusal(http, DECIDE, decision=decision(E2))
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_decision_cannot_be_dated_in_the_future(development: httpx.AsyncClient) -> None:
    tomorrow = TODAY + timedelta(days=1)
    error = await refusal(
        development, DECIDE, decision=decision(E2, decisionDate=tomorrow.isoformat())
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "decisionDate" in error["message"]
