"""信用承诺 (三(一)): items with template texts, commitments on them, and kept or breached.

A department manages the items it offers; an association runs a programme for its members only.
An applicant accepts the template word for word; the commitment is a COMMITMENT credit record.
The offering organisation decides once whether it was kept; a breach is an adverse record of
kind COMMITMENT_BREACH, published for its tier, and the subject's watchers are told.
The fixture graph is restored after the module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from authz.identity import OrgKind
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.publication import add_months
from tests.conftest import ClientFor
from tests.fixtures import A1, E1, E2, E5, HOUSING, SAMR, load_fixture_graph
from tests.graphql import errors, query
from tests.lifecycle import (
    AGENCY,
    BANK_B1,
    ENTERPRISE_E1,
    ENTERPRISE_E2,
    ENTERPRISE_E5,
    MARKET,
    OFFICE,
    ask,
    notices_of,
    org,
    refused,
)

ASSOCIATION = org(OrgKind.ASSOCIATION, A1)
BUILDING = org(OrgKind.DEPARTMENT, HOUSING, sector="住房城乡建设")

FOOD = "SAMR-FOOD-01"
FOOD_TEMPLATE = (
    "本企业承诺：已知晓食品经营许可的全部条件和要求，所提交材料真实有效，"
    "并将在承诺期限内补齐全部材料；如有违反，愿意承担相应法律责任并接受信用惩戒。"
)
STEEL = "A1-STEEL-01"
STEEL_TEMPLATE = "本会员承诺：严格执行行业自律公约，不以低于成本的价格倾销钢材，接受协会监督。"

SAVE_ITEM = """mutation($code: String!, $name: String!, $template: String!,
                      $active: Boolean! = true, $by: String) {
  saveCommitmentItem(code: $code, name: $name, template: $template, active: $active,
                     offeredBy: $by) {
    code name template templateHash offeredBy offeredByName offeredByKind active revision } }"""

ITEMS = """query($by: String, $all: Boolean! = false) {
  commitmentItems(offeredBy: $by, includeWithdrawn: $all) {
    code name template templateHash offeredBy offeredByKind active } }"""

COMMIT = """mutation($item: String!, $text: String!, $subject: String, $due: Date) {
  makeCommitment(item: $item, acceptedText: $text, subject: $subject, dueBy: $due) {
    id status statusLabel madeOn dueBy text textHash subject madeBy madeByKind recordKey
    item { code offeredBy } } }"""

DECIDE = """mutation($id: ID!, $outcome: CommitmentStatus!, $note: String!,
                    $severity: SeverityTier) {
  decideCommitment(id: $id, outcome: $outcome, note: $note, severity: $severity) {
    id status statusLabel decidedOn decidedBy decisionNote breachSeverity breachRecordKey } }"""

COMMITMENTS = """query($subject: String, $status: CommitmentStatus) {
  commitments(subject: $subject, status: $status) { id status subject item { code } } }"""

RECORDS = """query($uscc: String!) { enterprise(uscc: $uscc) {
  records(first: 100, kinds: [COMMITMENT, COMMITMENT_BREACH]) { edges { node {
    id key version kind severity content issuingAuthorityCode publishFrom publishUntil validTo
    provider { code } } } } } }"""

WATCH = """mutation($uscc: String!) { watchEnterprise(uscc: $uscc, purpose: "贷后监测") { id } }"""


@pytest.fixture(scope="module", autouse=True)
async def catalogue(db: Database, client_for: ClientFor) -> AsyncIterator[None]:
    """The market regulator's food item and the steel association's programme; the fixture
    graph is restored after the module."""
    await ask(
        client_for,
        MARKET,
        SAVE_ITEM,
        code=FOOD,
        name="食品经营许可告知承诺",
        template=FOOD_TEMPLATE,
    )
    await ask(
        client_for,
        ASSOCIATION,
        SAVE_ITEM,
        code=STEEL,
        name="钢铁行业自律承诺",
        template=STEEL_TEMPLATE,
    )
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _commit(
    client_for: ClientFor, who: Any, item: str, text: str, **more: Any
) -> dict[str, Any]:
    data = await ask(client_for, who, COMMIT, item=item, text=text, **more)
    result: dict[str, Any] = data["makeCommitment"]
    return result


async def _records(client_for: ClientFor, uscc: str) -> dict[str, dict[str, Any]]:
    data = await ask(client_for, OFFICE, RECORDS, uscc=uscc)
    return {e["node"]["key"]: e["node"] for e in data["enterprise"]["records"]["edges"]}


async def test_a_department_offers_an_item_and_anyone_reads_its_template(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    data = await query(anon, ITEMS, by=SAMR)
    [item] = [i for i in data["commitmentItems"] if i["code"] == FOOD]
    assert item["template"] == FOOD_TEMPLATE
    assert item["templateHash"] == hashlib.sha256(FOOD_TEMPLATE.encode()).hexdigest()
    assert (item["offeredBy"], item["offeredByKind"], item["active"]) == (
        SAMR,
        "DEPARTMENT",
        True,
    )
    everything = await query(anon, ITEMS)
    kinds = {i["code"]: i["offeredByKind"] for i in everything["commitmentItems"]}
    assert kinds[STEEL] == "ASSOCIATION"


async def test_only_the_offering_department_changes_its_item_and_the_old_text_is_kept(
    client_for: ClientFor, db: Database
) -> None:
    error = await refused(
        client_for, BUILDING, SAVE_ITEM, code=FOOD, name="改名", template="另一份承诺书"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "只有提供单位" in error["message"]

    code = "SAMR-TMP-01"
    first = await ask(client_for, MARKET, SAVE_ITEM, code=code, name="临时事项", template="旧文本")
    assert first["saveCommitmentItem"]["revision"] == 1
    changed = await ask(
        client_for, MARKET, SAVE_ITEM, code=code, name="临时事项", template="新文本"
    )
    assert changed["saveCommitmentItem"]["revision"] == 2
    assert changed["saveCommitmentItem"]["template"] == "新文本"
    rows = await db.read(
        "MATCH (e:Event {type: 'COMMITMENT_ITEM_CHANGED'})-[:CONCERNS]->"
        "(:CommitmentItem {code: $code}) RETURN e.detail AS detail",
        {"code": code},
    )
    [row] = rows
    assert json.loads(row["detail"])["previousTemplate"] == "旧文本"


async def test_a_bank_may_not_offer_commitment_items(client_for: ClientFor) -> None:
    error = await refused(client_for, BANK_B1, SAVE_ITEM, code="BANK-01", name="x", template="y")
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_an_enterprise_commits_by_accepting_the_exact_template_and_it_becomes_a_record(
    client_for: ClientFor, db: Database
) -> None:
    today = china_today()
    due = today + timedelta(days=90)
    made = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE, due=due.isoformat())
    assert (made["status"], made["statusLabel"]) == ("PENDING", "履约中")
    assert made["text"] == FOOD_TEMPLATE
    assert made["textHash"] == hashlib.sha256(FOOD_TEMPLATE.encode()).hexdigest()
    assert (made["subject"], made["madeBy"], made["madeByKind"]) == (E1, E1, "ENTERPRISE")
    assert (made["madeOn"], made["dueBy"]) == (today.isoformat(), due.isoformat())

    record = (await _records(client_for, E1))[made["recordKey"]]
    assert made["recordKey"] == f"COMMITMENT|{SAMR}|{made['id']}"
    assert (record["kind"], record["version"], record["content"]) == (
        "COMMITMENT",
        1,
        FOOD_TEMPLATE,
    )
    assert record["provider"] == {"code": SAMR}
    assert (record["publishFrom"], record["publishUntil"]) == (today.isoformat(), due.isoformat())

    [audit] = await db.read(
        "MATCH (a:AuditEntry {action: 'make_commitment', detail: $id}) "
        "RETURN a.orgCode AS org, a.subjects AS subjects",
        {"id": made["id"]},
    )
    assert (audit["org"], audit["subjects"]) == (E1, [E1])


async def test_a_commitment_on_altered_text_is_refused(client_for: ClientFor) -> None:
    error = await refused(
        client_for, ENTERPRISE_E1, COMMIT, item=FOOD, text=FOOD_TEMPLATE + "（部分条款除外）"
    )
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "承诺书文本" in error["message"]


async def test_the_offering_window_commits_for_an_enterprise_but_another_department_may_not(
    client_for: ClientFor,
) -> None:
    made = await _commit(client_for, MARKET, FOOD, FOOD_TEMPLATE, subject=E2)
    assert (made["subject"], made["madeBy"], made["madeByKind"]) == (E2, SAMR, "DEPARTMENT")
    error = await refused(client_for, BUILDING, COMMIT, item=FOOD, text=FOOD_TEMPLATE, subject=E2)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "代为作出承诺" in error["message"]


async def test_an_enterprise_commits_only_for_itself(client_for: ClientFor) -> None:
    error = await refused(
        client_for, ENTERPRISE_E1, COMMIT, item=FOOD, text=FOOD_TEMPLATE, subject=E2
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_an_association_programme_takes_its_members_only(
    client_for: ClientFor, db: Database
) -> None:
    error = await refused(client_for, ENTERPRISE_E2, COMMIT, item=STEEL, text=STEEL_TEMPLATE)
    assert error["extensions"]["code"] == "FORBIDDEN" and "会员" in error["message"]
    error = await refused(
        client_for, ASSOCIATION, COMMIT, item=STEEL, text=STEEL_TEMPLATE, subject=E2
    )
    assert error["extensions"]["code"] == "FORBIDDEN" and "会员" in error["message"]

    member = await _commit(client_for, ENTERPRISE_E5, STEEL, STEEL_TEMPLATE)
    assert member["item"] == {"code": STEEL, "offeredBy": A1}
    window = await _commit(client_for, ASSOCIATION, STEEL, STEEL_TEMPLATE, subject=E1)
    assert (window["madeBy"], window["madeByKind"]) == (A1, "ASSOCIATION")

    # An association has no Department node: its record names it and points to it.
    record = (await _records(client_for, E5))[member["recordKey"]]
    assert (record["issuingAuthorityCode"], record["provider"]) == (A1, None)
    [row] = await db.read(
        "MATCH (:Record {key: $key})-[:PROVIDED_BY]->(a:Association) RETURN a.code AS code",
        {"key": member["recordKey"]},
    )
    assert row["code"] == A1


async def test_a_breach_is_an_adverse_record_published_for_its_tier_and_watchers_are_told(
    client_for: ClientFor, db: Database
) -> None:
    await ask(client_for, BANK_B1, WATCH, uscc=E1)
    made = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE)
    data = await ask(
        client_for,
        MARKET,
        DECIDE,
        id=made["id"],
        outcome="BREACHED",
        note="承诺期满未补齐材料",
        severity="SERIOUS",
    )
    decided = data["decideCommitment"]
    today = china_today()
    assert (decided["status"], decided["statusLabel"]) == ("BREACHED", "已违诺")
    assert (decided["decidedBy"], decided["decidedOn"]) == (SAMR, today.isoformat())
    assert decided["breachSeverity"] == "SERIOUS"
    assert decided["breachRecordKey"] == f"COMMITMENT_BREACH|{SAMR}|{made['id']}"

    records = await _records(client_for, E1)
    breach = records[decided["breachRecordKey"]]
    assert (breach["kind"], breach["severity"], breach["provider"]) == (
        "COMMITMENT_BREACH",
        "SERIOUS",
        {"code": SAMR},
    )
    assert breach["publishFrom"] == today.isoformat()
    assert breach["publishUntil"] == add_months(today, 36).isoformat()
    assert records[made["recordKey"]]["version"] == 2, "the commitment record says it was broken"

    [row] = await db.read(
        "MATCH (c:Commitment {id: $id})-[:RESULTED_IN]->(r:Record) "
        "MATCH (k:Record {key: $key, current: true}) "
        "RETURN r.key AS breach, k.fulfilment AS fulfilment",
        {"id": made["id"], "key": made["recordKey"]},
    )
    assert (row["breach"], row["fulfilment"]) == (decided["breachRecordKey"], "已违诺")

    uid = breach["id"]
    bank = [n for n in await notices_of(client_for, BANK_B1) if n["ref"] == uid]
    assert [(n["kind"], n["subject"]) for n in bank] == [("NEW_ADVERSE_RECORD", E1)]
    own = [n for n in await notices_of(client_for, ENTERPRISE_E1) if n["ref"] == uid]
    assert len(own) == 1


async def test_a_decided_commitment_cannot_be_decided_again(client_for: ClientFor) -> None:
    made = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE)
    await ask(client_for, MARKET, DECIDE, id=made["id"], outcome="KEPT", note="按期补齐材料")
    error = await refused(
        client_for,
        MARKET,
        DECIDE,
        id=made["id"],
        outcome="BREACHED",
        note="改判",
        severity="GENERAL",
    )
    assert error["extensions"]["code"] == "WRONG_STATE"
    assert "不能再次核查" in error["message"]


async def test_only_the_offering_organisation_or_the_credit_office_decides(
    client_for: ClientFor, db: Database
) -> None:
    made = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE)
    error = await refused(client_for, BUILDING, DECIDE, id=made["id"], outcome="KEPT", note="x")
    assert error["extensions"]["code"] == "FORBIDDEN" and "只有提供单位" in error["message"]
    error = await refused(
        client_for, ENTERPRISE_E1, DECIDE, id=made["id"], outcome="KEPT", note="x"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"

    data = await ask(client_for, OFFICE, DECIDE, id=made["id"], outcome="KEPT", note="已履约")
    kept = data["decideCommitment"]
    assert (kept["status"], kept["decidedBy"], kept["breachRecordKey"]) == ("KEPT", "ADMIN", None)
    [row] = await db.read(
        "MATCH (k:Record {key: $key, current: true}) RETURN k.fulfilment AS f, k.version AS v",
        {"key": made["recordKey"]},
    )
    assert (row["f"], row["v"]) == ("已履约", 2)


async def test_a_breach_needs_a_severity_and_keeping_takes_none(client_for: ClientFor) -> None:
    made = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE)
    error = await refused(
        client_for, MARKET, DECIDE, id=made["id"], outcome="BREACHED", note="未履约"
    )
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    error = await refused(
        client_for, MARKET, DECIDE, id=made["id"], outcome="KEPT", note="x", severity="MINOR"
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    error = await refused(client_for, MARKET, DECIDE, id=made["id"], outcome="PENDING", note="x")
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_an_association_decides_its_programme_and_the_breach_names_the_association(
    client_for: ClientFor,
) -> None:
    made = await _commit(client_for, ENTERPRISE_E5, STEEL, STEEL_TEMPLATE)
    data = await ask(
        client_for,
        ASSOCIATION,
        DECIDE,
        id=made["id"],
        outcome="BREACHED",
        note="低价倾销，经协会核实",
        severity="GENERAL",
    )
    breach_key = data["decideCommitment"]["breachRecordKey"]
    assert breach_key == f"COMMITMENT_BREACH|{A1}|{made['id']}"
    breach = (await _records(client_for, E5))[breach_key]
    assert (breach["issuingAuthorityCode"], breach["provider"], breach["severity"]) == (
        A1,
        None,
        "GENERAL",
    )
    assert breach["publishUntil"] == add_months(china_today(), 12).isoformat()


async def test_commitments_are_shown_to_the_enterprise_departments_and_the_offering_association(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    food = await _commit(client_for, ENTERPRISE_E1, FOOD, FOOD_TEMPLATE)
    steel = await _commit(client_for, ASSOCIATION, STEEL, STEEL_TEMPLATE, subject=E1)

    own = await ask(client_for, ENTERPRISE_E1, COMMITMENTS)
    ids = {c["id"] for c in own["commitments"]}
    assert {food["id"], steel["id"]} <= ids
    department = await ask(client_for, BUILDING, COMMITMENTS, subject=E1)
    assert {c["id"] for c in department["commitments"]} == ids
    association = await ask(client_for, ASSOCIATION, COMMITMENTS, subject=E1)
    assert {c["item"]["code"] for c in association["commitments"]} == {STEEL}
    pending = await ask(client_for, ENTERPRISE_E1, COMMITMENTS, status="PENDING")
    assert {c["status"] for c in pending["commitments"]} == {"PENDING"}
    assert food["id"] in {c["id"] for c in pending["commitments"]}

    for who in (ENTERPRISE_E2, BANK_B1, AGENCY):
        error = await refused(client_for, who, COMMITMENTS, subject=E1)
        assert error["extensions"]["code"] == "FORBIDDEN", who
    [error] = await errors(anon, COMMITMENTS, subject=E1)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_withdrawn_item_takes_no_commitments(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    code = "SAMR-OLD-01"
    await ask(client_for, MARKET, SAVE_ITEM, code=code, name="停办事项", template="承诺书")
    await ask(
        client_for, MARKET, SAVE_ITEM, code=code, name="停办事项", template="承诺书", active=False
    )
    error = await refused(client_for, ENTERPRISE_E1, COMMIT, item=code, text="承诺书")
    assert error["extensions"]["code"] == "WRONG_STATE"
    listed = await query(anon, ITEMS, by=SAMR)
    assert code not in {i["code"] for i in listed["commitmentItems"]}
    withdrawn = await query(anon, ITEMS, by=SAMR, all=True)
    assert code in {i["code"] for i in withdrawn["commitmentItems"]}
