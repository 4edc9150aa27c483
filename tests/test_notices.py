"""Notices: each organisation's outbox, banks' watch lists (贷后监测) and the pushed subscription.

A bank watches a borrower that has consented and hears of every new adverse record, list entry
or sanction on it — including one that arrives in a department's feed. The fixture graph is
restored after the module.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from graph.database import Database
from tests.conftest import ClientFor
from tests.fixtures import E1, E2, SAMR, load_fixture_graph
from tests.lifecycle import (
    BANK_B1,
    BANK_B2,
    DEVELOPMENT,
    ENTERPRISE_E1,
    MARKET,
    ask,
    notices_of,
    refused,
)

WATCH = """mutation($uscc: String!) {
  watchEnterprise(uscc: $uscc, purpose: "贷后管理：流动资金贷款") {
    id subject subjectName active } }"""

PENALTY_ROW = {
    "行政相对人名称": "舞钢市鑫源钢铁有限公司",
    "相对人类别": "法人及非法人组织",
    "统一社会信用代码": E1,
    "行政处罚决定书文号": "舞市监罚字〔2026〕第0777号",
    "违法行为类型": "超标排放",
    "处罚类别": "罚款",
    "处罚内容": "罚款人民币五万元",
    "罚款金额(万元)": "5",
    "处罚决定日期": "2026-11-02",
    "失信程度": "一般",
    "处罚机关": "舞钢市市场监督管理局",
    "处罚机关统一社会信用代码": SAMR,
}


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Watches, notices and a fed penalty are added; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def test_a_bank_watches_a_consenting_borrower_and_hears_of_a_penalty_fed_in(
    client_for: ClientFor,
) -> None:
    watch = (await ask(client_for, BANK_B1, WATCH, uscc=E1))["watchEnterprise"]
    assert (watch["subject"], watch["active"]) == (E1, True)
    # Watching again is the same watch, not a second one.
    again = (await ask(client_for, BANK_B1, WATCH, uscc=E1))["watchEnterprise"]
    assert again["id"] == watch["id"]

    fed = await ask(
        client_for,
        MARKET,
        """mutation($row: JSON!) { submitRecord(kind: "penalty", row: $row) {
             batch { new quarantined } refused { problems { field code } } } }""",
        row=PENALTY_ROW,
    )
    assert fed["submitRecord"]["batch"] == {"new": 1, "quarantined": 0}, fed
    [notice] = [n for n in await notices_of(client_for, BANK_B1) if n["subject"] == E1]
    assert notice["kind"] == "NEW_ADVERSE_RECORD"
    assert notice["ref"].endswith("舞市监罚字〔2026〕第0777号#v1")
    # Sending the same row again is unchanged: nobody is told twice.
    await ask(
        client_for,
        MARKET,
        """mutation($row: JSON!) { submitRecord(kind: "penalty", row: $row) { batch { new } } }""",
        row=PENALTY_ROW,
    )
    assert len([n for n in await notices_of(client_for, BANK_B1) if n["subject"] == E1]) == 1


async def test_watching_needs_the_borrowers_consent_and_is_for_banks_only(
    client_for: ClientFor,
) -> None:
    no_consent = await refused(client_for, BANK_B2, WATCH, uscc=E1)
    assert no_consent["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "授权" in no_consent["message"]
    department = await refused(client_for, DEVELOPMENT, WATCH, uscc=E2)
    assert department["extensions"]["code"] == "FORBIDDEN"
    assert "operations.watchSubjects" in department["message"]


async def test_notices_are_marked_read_and_a_watch_can_be_stopped(client_for: ClientFor) -> None:
    unread = await notices_of(client_for, BANK_B1)
    assert unread
    marked = await ask(
        client_for,
        BANK_B1,
        "mutation($ids: [ID!]!) { markNoticesRead(ids: $ids) }",
        ids=[n["id"] for n in unread],
    )
    assert marked["markNoticesRead"] == len(unread)
    assert await notices_of(client_for, BANK_B1) == []
    assert len(await notices_of(client_for, BANK_B1, unread=False)) == len(unread)
    # Another organisation cannot mark them.
    other = await ask(
        client_for,
        BANK_B2,
        "mutation($ids: [ID!]!) { markNoticesRead(ids: $ids) }",
        ids=[n["id"] for n in unread],
    )
    assert other["markNoticesRead"] == 0

    watches = (await ask(client_for, BANK_B1, "{ watches { id subject } }"))["watches"]
    [watch] = [w for w in watches if w["subject"] == E1]
    stopped = await ask(
        client_for,
        BANK_B1,
        "mutation($id: ID!) { unwatchEnterprise(id: $id) { active } }",
        id=watch["id"],
    )
    assert stopped["unwatchEnterprise"] == {"active": False}
    assert (await ask(client_for, BANK_B1, "{ watches { id } }"))["watches"] == []


async def test_a_new_notice_is_pushed_to_a_subscriber(client_for: ClientFor) -> None:
    subscription = """subscription { noticeAdded(stopAfter: 1, timeoutSeconds: 20) {
      kind title subject ref } }"""

    async def subscribe() -> str:
        async with client_for(MARKET) as http:
            response = await http.post(
                "/graphql",
                json={"query": subscription},
                headers={"Accept": 'multipart/mixed;subscriptionSpec="1.0",application/json'},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            return response.text

    # The objection is to a licence of the market regulator's, which it must hear of.
    body, _ = await asyncio.gather(subscribe(), _file_against_samr(client_for))
    # Each part of the multipart stream: headers, a blank line, then one JSON message
    # (heartbeats are empty objects; events carry a payload).
    payloads = [
        json.loads(part.split("\r\n\r\n", 1)[1])
        for part in body.split("--graphql")
        if "\r\n\r\n" in part and part.split("\r\n\r\n", 1)[1].strip().startswith("{")
    ]
    pushed = [p["payload"]["data"]["noticeAdded"] for p in payloads if "payload" in p]
    assert [p["kind"] for p in pushed] == ["OBJECTION_FILED"]
    assert pushed[0]["subject"] == E1


async def _file_against_samr(client_for: ClientFor) -> None:
    await asyncio.sleep(1.5)  # let the subscriber start listening first
    await ask(
        client_for,
        ENTERPRISE_E1,
        """mutation($key: String!) { fileObjection(recordKey: $key, grounds: WRONG_DATA,
             statement: "许可事项有误") { id } }""",
        key=f"LICENSE|{SAMR}|舞市监许〔2023〕88号",
    )


async def test_a_subscription_without_a_streaming_accept_header_is_told_how(
    client_for: ClientFor,
) -> None:
    error = await refused(client_for, MARKET, "subscription { noticeAdded { kind } }")
    assert error["extensions"]["code"] == "SUBSCRIPTION_NEEDS_STREAM"
    assert "multipart/mixed" in error["message"]
