"""Market and industry entry bans through the API (禁入, 六(四)): on enterprises and on the persons
behind them, flagged on every enterprise a banned person represents, lifted early only by the
department that imposed them.

In the fixture 张伟 (P1) is legal representative of E1, E2 and E3 and actual controller of E1,
and is named by E1's black-list entry LE-1; 李娜 (P2) is E1's principal. Dates are counted from
the real today. The fixture graph is put back after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from graph.database import Database
from graph.publication import add_months
from tests.conftest import ClientFor
from tests.consumers import ASKERS
from tests.fixtures import B1, E1, E2, E3, E4, P1, P2, P3, SAMR, load_fixture_graph
from tests.graphql import query
from tests.test_lists import REMOVE, TODAY, audited, events, refusal
from tests.test_measures import APPLICABLE, REPORT, SANCTION_FIELDS, report

DEVELOPMENT = next(a.consumer for a in ASKERS if a.name == "department (duty)")
MARKET = next(a.consumer for a in ASKERS if a.name == "department (market)")
BUILDING = next(a.consumer for a in ASKERS if a.name == "department (no ID duty)")
BANK = next(a.consumer for a in ASKERS if a.name == "bank with consent")

BAN = f"""mutation($ban: BanInput!, $department: String) {{
  imposeBan(ban: $ban, department: $department) {{ {SANCTION_FIELDS} }} }}"""

LIFT = f"""mutation($id: ID!, $reason: String!, $department: String) {{
  liftBan(id: $id, reason: $reason, department: $department) {{ {SANCTION_FIELDS} }} }}"""

REPRESENTATIVES = """query($uscc: String!) {
  bannedRepresentatives(uscc: $uscc) {
    sanction { id subject { code } } representativeBan
    viaRepresentative { key name nameMasked roles } } }"""

_numbers = iter(range(1, 1000))


def ban(subject: str, scope: str = "MARKET", **overrides: Any) -> dict[str, Any]:
    """A complete ban of `subject` (a USCC, or a person key starting with P) for three years from
    today; `overrides` set or (None) drop items."""
    values: dict[str, Any] = {
        "scope": scope,
        "endsOn": add_months(TODAY, 36).isoformat(),
        "basis": "《中华人民共和国食品安全法》第一百三十五条",
        "decisionNumber": f"舞市监禁〔{TODAY.year}〕{next(_numbers)}号",
    }
    values["personKey" if subject.startswith("P") else "uscc"] = subject
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture(scope="module")
async def market(db: Database, client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The market regulator's client; the fixture graph is restored after the module."""
    async with client_for(MARKET) as http:
        yield http
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@pytest.fixture(scope="module")
async def development(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The development and reform commission's client."""
    async with client_for(DEVELOPMENT) as http:
        yield http


@pytest.fixture(scope="module")
async def watched_e2(market: httpx.AsyncClient, db: Database) -> str:
    """A bank watches E2, which 张伟 represents."""
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}) CREATE (:Watch {id: 'WATCH-bans', watcher: $bank, "
        "watcherKind: 'BANK', subject: $e, purpose: '贷后管理', since: date(), active: true})"
        "-[:WATCHES]->(e)",
        {"e": E2, "bank": B1},
    )
    return E2


@pytest.fixture(scope="module")
async def p1_ban(market: httpx.AsyncClient, watched_e2: str) -> dict[str, Any]:
    """A market ban on 张伟, following E1's black-list entry that names him."""
    data = await query(market, BAN, ban=ban(P1, listEntryId="LE-1"))
    imposed: dict[str, Any] = data["imposeBan"]
    return imposed


async def test_a_department_bans_a_responsible_person_from_the_market(
    p1_ban: dict[str, Any], db: Database
) -> None:
    assert p1_ban["id"].startswith("SN-") and p1_ban["ban"]
    assert (p1_ban["scope"], p1_ban["industry"], p1_ban["name"]) == ("MARKET", None, "市场禁入")
    assert (p1_ban["status"], p1_ban["startsOn"]) == ("ACTIVE", TODAY.isoformat())
    assert p1_ban["endsOn"] == add_months(TODAY, 36).isoformat()
    assert p1_ban["legalBasis"] == "《中华人民共和国食品安全法》第一百三十五条"
    assert p1_ban["decisionNumber"].startswith("舞市监禁")
    assert p1_ban["subject"] == {"code": P1, "isPerson": True, "name": "张伟", "nameMasked": "张*"}
    assert p1_ban["listEntry"]["id"] == "LE-1" and p1_ban["imposedBy"]["code"] == SAMR
    assert p1_ban["measure"] is None
    linked = await db.read(
        "MATCH (x:Sanction {id: $id}) RETURN labels(x) AS labels, "
        "[(x)-[:HAS_SUBJECT]->(p:Person) | p.key] AS subject, "
        "[(x)-[:IMPOSED_BY]->(d) | d.code] AS by, [(x)-[:UNDER]->(l) | l.id] AS entry",
        {"id": p1_ban["id"]},
    )
    [row] = linked
    assert sorted(row["labels"]) == ["Ban", "Sanction"]
    assert (row["subject"], row["by"], row["entry"]) == ([P1], [SAMR], ["LE-1"])
    assert await events(db, p1_ban["id"], "Sanction") == ["BAN_IMPOSED"]
    assert await audited(db, "impose_ban", p1_ban["id"])
    told = await db.read(
        "MATCH (n:Notice {recipient: $bank, kind: 'SANCTION', ref: $ref}) "
        "RETURN n.subjectCode AS subject, n.title AS title",
        {"bank": B1, "ref": p1_ban["id"]},
    )
    assert [t["subject"] for t in told] == [E2], "the watcher of an enterprise he represents"
    assert "张*" in told[0]["title"] and "张伟" not in told[0]["title"]


async def test_a_banned_person_is_flagged_on_every_enterprise_they_represent(
    p1_ban: dict[str, Any], development: httpx.AsyncClient
) -> None:
    for enterprise, roles in (
        (E1, ["LEGAL_REPRESENTATIVE", "ACTUAL_CONTROLLER"]),
        (E2, ["LEGAL_REPRESENTATIVE"]),
        (E3, ["LEGAL_REPRESENTATIVE"]),
    ):
        data = await query(development, REPRESENTATIVES, uscc=enterprise)
        assert data["bannedRepresentatives"] == [
            {
                "sanction": {"id": p1_ban["id"], "subject": {"code": P1}},
                "representativeBan": True,
                "viaRepresentative": {
                    "key": P1,
                    "name": "张伟",
                    "nameMasked": "张*",
                    "roles": sorted(roles),
                },
            }
        ], enterprise
    applies = await query(development, APPLICABLE, uscc=E2)
    assert [
        (a["sanction"]["id"], a["representativeBan"]) for a in applies["applicableMeasures"]
    ] == [(p1_ban["id"], True)]
    own = await query(development, APPLICABLE, personKey=P1)
    assert [(a["sanction"]["id"], a["representativeBan"]) for a in own["applicableMeasures"]] == [
        (p1_ban["id"], False)
    ]
    elsewhere = await query(development, REPRESENTATIVES, uscc=E4)
    assert elsewhere["bannedRepresentatives"] == [], "P3 stands behind E4 and is not banned"


async def test_the_public_sees_the_flag_on_each_enterprise_the_banned_person_represents(
    p1_ban: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    flags = """query($uscc: String!) { enterprise(uscc: $uscc) { banned representativeBanned } }"""
    for enterprise in (E1, E2, E3):
        data = await query(anon, flags, uscc=enterprise)
        assert data["enterprise"] == {"banned": False, "representativeBanned": True}, enterprise
    assert (await query(anon, flags, uscc=E4))["enterprise"]["representativeBanned"] is False


async def test_a_ban_answers_whatever_the_business_asked_about(
    p1_ban: dict[str, Any], development: httpx.AsyncClient
) -> None:
    data = await query(development, APPLICABLE, uscc=E1, business="招投标")
    found = {a["sanction"]["id"]: a["representativeBan"] for a in data["applicableMeasures"]}
    assert found == {"SN-2": False, p1_ban["id"]: True}, "M02 for bidding, and the ban"


async def test_banks_see_banned_persons_by_masked_name_only(
    p1_ban: dict[str, Any], client_for: ClientFor
) -> None:
    async with client_for(BANK) as bank:
        data = await query(bank, APPLICABLE, uscc=E2)
    [found] = data["applicableMeasures"]
    assert found["viaRepresentative"] == {
        "key": P1,
        "name": None,
        "nameMasked": "张*",
        "roles": ["LEGAL_REPRESENTATIVE"],
    }
    assert found["sanction"]["subject"] == {
        "code": P1,
        "isPerson": True,
        "name": None,
        "nameMasked": "张*",
    }


async def test_a_department_bans_an_enterprise_from_an_industry(
    market: httpx.AsyncClient, development: httpx.AsyncClient
) -> None:
    data = await query(market, BAN, ban=ban(E4, "INDUSTRY", industry="建筑业"))
    imposed = data["imposeBan"]
    assert (imposed["scope"], imposed["industry"], imposed["name"]) == (
        "INDUSTRY",
        "建筑业",
        "行业禁入（建筑业）",
    )
    assert imposed["subject"]["code"] == E4 and imposed["listEntry"] is None
    applies = await query(development, APPLICABLE, uscc=E4, business="政府采购")
    assert [a["sanction"]["id"] for a in applies["applicableMeasures"]] == [imposed["id"]]
    flags = await query(development, "query($u: String!) { enterprise(uscc: $u) { banned } }", u=E4)
    assert flags["enterprise"]["banned"] is True


async def test_an_industry_ban_names_its_industry_and_a_market_ban_none(
    market: httpx.AsyncClient,
) -> None:
    error = await refusal(market, BAN, ban=ban(E4, "INDUSTRY"))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT" and "`industry`" in error["message"]
    error = await refusal(market, BAN, ban=ban(E4, "MARKET", industry="建筑业"))
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "industry" in error["message"]


async def test_a_ban_ends_after_it_starts(market: httpx.AsyncClient) -> None:
    same_day = ban(E4, startsOn=TODAY.isoformat(), endsOn=TODAY.isoformat())
    error = await refusal(market, BAN, ban=same_day)
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "endsOn" in error["message"]
    error = await refusal(market, BAN, ban=ban(E4, endsOn=None))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT" and "`endsOn`" in error["message"]


@pytest.mark.parametrize("field", ["basis", "decisionNumber"])
async def test_a_ban_needs_its_basis_and_written_decision(
    market: httpx.AsyncClient, field: str
) -> None:
    dropped: dict[str, Any] = {field: None}
    error = await refusal(market, BAN, ban=ban(E4, **dropped))
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert f"`{field}`" in error["message"]


async def test_a_ban_under_a_list_entry_concerns_its_subject_or_a_person_it_names(
    market: httpx.AsyncClient,
) -> None:
    error = await refusal(market, BAN, ban=ban(P3, listEntryId="LE-1"))
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "listEntryId" in error["message"]
    error = await refusal(market, BAN, ban=ban(E2, listEntryId="LE-3"))
    assert error["extensions"]["code"] == "WRONG_STATE", "LE-3 was removed"


async def test_a_ban_carries_out_catalogue_measures_only(market: httpx.AsyncClient) -> None:
    error = await refusal(market, BAN, ban=ban(E4, measureCode="M99"))
    assert error["extensions"]["code"] == "NOT_IN_CATALOGUE" and "M99" in error["message"]


async def test_banks_do_not_impose_bans(client_for: ClientFor) -> None:
    async with client_for(BANK) as bank:
        error = await refusal(bank, BAN, ban=ban(E4))
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_only_the_imposing_department_lifts_a_ban_early(
    p1_ban: dict[str, Any], development: httpx.AsyncClient
) -> None:
    error = await refusal(development, LIFT, id=p1_ban["id"], reason="已整改")
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_lifting_a_ban_early_is_an_event_and_the_ban_no_longer_applies(
    market: httpx.AsyncClient, development: httpx.AsyncClient, db: Database
) -> None:
    imposed = (await query(market, BAN, ban=ban(P2)))["imposeBan"]
    flagged = await query(development, REPRESENTATIVES, uscc=E1)
    assert imposed["id"] in [b["sanction"]["id"] for b in flagged["bannedRepresentatives"]]

    lifted = (await query(market, LIFT, id=imposed["id"], reason="行政复议撤销"))["liftBan"]
    assert (lifted["status"], lifted["endsOn"], lifted["liftedReason"]) == (
        "LIFTED",
        TODAY.isoformat(),
        "行政复议撤销",
    )
    assert await events(db, imposed["id"], "Sanction") == ["BAN_IMPOSED", "BAN_LIFTED"]
    assert await audited(db, "lift_ban", imposed["id"])
    original = await db.read(
        "MATCH (x:Ban {id: $id}) RETURN x.originalUntil AS until", {"id": imposed["id"]}
    )
    assert original[0]["until"].to_native() == add_months(TODAY, 36), "the decided end is kept"
    after = await query(development, REPRESENTATIVES, uscc=E1)
    assert imposed["id"] not in [b["sanction"]["id"] for b in after["bannedRepresentatives"]]
    again = await refusal(market, LIFT, id=imposed["id"], reason="再次解除")
    assert again["extensions"]["code"] == "WRONG_STATE"


async def test_only_bans_are_lifted_this_way(market: httpx.AsyncClient) -> None:
    error = await refusal(market, LIFT, id="SN-1", reason="x")
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_a_department_reports_applying_a_representatives_ban_to_the_enterprise(
    p1_ban: dict[str, Any], client_for: ClientFor, db: Database
) -> None:
    async with client_for(BUILDING) as building:
        data = await query(building, REPORT, report=report(E2, sanctionId=p1_ban["id"]))
    applied = data["reportMeasureApplication"]
    assert applied["sanction"]["id"] == p1_ban["id"] and applied["subject"]["code"] == E2
    stored = await db.read(
        "MATCH (a:MeasureApplication {id: $id}) RETURN a.measureName AS name, "
        "a.measureCode AS code, [(a)-[:TO]->(s) | s.uscc] AS subject",
        {"id": applied["id"]},
    )
    assert stored == [{"name": "市场禁入", "code": None, "subject": [E2]}]


async def test_removing_the_list_entry_lifts_the_bans_that_followed_it(
    p1_ban: dict[str, Any], development: httpx.AsyncClient
) -> None:
    removed = (await query(development, REMOVE, id="LE-1", reason="信用修复完成"))[
        "removeListEntry"
    ]
    assert p1_ban["id"] in removed["liftedSanctions"]
    after = await query(development, APPLICABLE, personKey=P1)
    assert after["applicableMeasures"] == []
