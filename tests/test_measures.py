"""Joint punishment through the API (六(三)): catalogue measures under black-list entries, which
measures apply to a subject now, the departments' feedback on each application, statistics.

The fixture's E1 is on black list LE-1 (市发改委) with M01 限制参与政府采购 and M02 限制参与招标投标
in force; E2's entry LE-3 was removed and its measure SN-3 lifted. Dates are counted from the real
today. The fixture graph is put back after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from authz.identity import Consumer, OrgKind
from graph.database import Database
from tests.conftest import ClientFor
from tests.consumers import ADMIN, ASKERS
from tests.fixtures import A1, B1, E1, E2, E3, E4, HOUSING, NDRC, SAMR, load_fixture_graph
from tests.graphql import errors, query
from tests.test_lists import DECIDE, TODAY, audited, decision, events, refusal

DEVELOPMENT = next(a.consumer for a in ASKERS if a.name == "department (duty)")
MARKET = next(a.consumer for a in ASKERS if a.name == "department (market)")
BUILDING = next(a.consumer for a in ASKERS if a.name == "department (no ID duty)")  # 住建局
BANK = next(a.consumer for a in ASKERS if a.name == "bank with consent")
ASSOCIATION = Consumer(subject="tester@association", org_kind=OrgKind.ASSOCIATION, org_code=A1)

SANCTION_FIELDS = """id ban status startsOn endsOn name legalBasis scope industry decisionNumber
  liftedReason measure { code name category basis business }
  listEntry { id listName status decidedBy { code name } } imposedBy { code name }
  subject { code isPerson name nameMasked }"""

IMPOSE = f"""mutation($entry: ID!, $measure: String!, $startsOn: Date, $endsOn: Date,
                     $department: String) {{
  imposeMeasure(listEntryId: $entry, measureCode: $measure, startsOn: $startsOn,
                endsOn: $endsOn, department: $department) {{ {SANCTION_FIELDS} }} }}"""

APPLICABLE = f"""query($uscc: String, $personKey: ID, $business: String) {{
  applicableMeasures(uscc: $uscc, personKey: $personKey, business: $business) {{
    sanction {{ {SANCTION_FIELDS} }} representativeBan
    viaRepresentative {{ key name nameMasked roles }} }} }}"""

REPORT = f"""mutation($report: MeasureApplicationInput!, $reporter: String) {{
  reportMeasureApplication(report: $report, reporter: $reporter) {{
    id sanction {{ {SANCTION_FIELDS} }} subject {{ code isPerson name nameMasked }}
    matterReference appliedOn outcome reporter {{ code name }} }} }}"""

STATISTICS = """query($from: Date!, $to: Date!, $organisation: String) {
  measureStatistics(appliedFrom: $from, appliedTo: $to, organisation: $organisation) {
    organisation organisationName organisationKind total
    measures { measureCode measureName applications } } }"""


def report(subject: str, **values: Any) -> dict[str, Any]:
    """A report of a measure applied to the enterprise `subject` in a bidding matter."""
    return {"uscc": subject, "matterReference": "舞招标〔2026〕15号", "outcome": "取消投标资格"} | {
        k: v for k, v in values.items() if v is not None
    }


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


@pytest.fixture(scope="module")
async def building(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The housing and construction bureau's client (it runs 招投标)."""
    async with client_for(BUILDING) as http:
        yield http


@pytest.fixture(scope="module")
async def e2_entry(development: httpx.AsyncClient) -> dict[str, Any]:
    """A new black-list entry on E2, decided by the development and reform commission."""
    data = await query(development, DECIDE, decision=decision(E2))
    entry: dict[str, Any] = data["decideList"]
    return entry


# -- imposing ---------------------------------------------------------------------------------
async def test_a_department_applies_a_catalogue_measure_under_a_black_list_entry(
    market: httpx.AsyncClient, e2_entry: dict[str, Any], db: Database
) -> None:
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}) CREATE (:Watch {id: 'WATCH-measures', watcher: $bank, "
        "watcherKind: 'BANK', subject: $e, purpose: '贷后管理', since: date(), active: true})"
        "-[:WATCHES]->(e)",
        {"e": E2, "bank": B1},
    )
    data = await query(market, IMPOSE, entry=e2_entry["id"], measure="m02")
    sanction = data["imposeMeasure"]
    assert sanction["id"].startswith("SN-") and not sanction["ban"]
    assert sanction["status"] == "ACTIVE"
    assert sanction["startsOn"] == e2_entry["decisionDate"], "from today by default"
    assert sanction["endsOn"] == e2_entry["effectiveUntil"], "until the entry ends by default"
    assert sanction["measure"] == {
        "code": "M02",
        "name": "限制参与招标投标",
        "category": "ADMINISTRATIVE",
        "basis": "国办发〔2020〕49号",
        "business": "招投标",
    }
    assert sanction["legalBasis"] == "国办发〔2020〕49号"
    assert sanction["listEntry"]["id"] == e2_entry["id"]
    assert sanction["listEntry"]["decidedBy"]["code"] == NDRC
    assert sanction["imposedBy"]["code"] == SAMR
    assert sanction["subject"]["code"] == E2
    linked = await db.read(
        "MATCH (x:Sanction {id: $id}) "
        "RETURN [(x)-[:APPLIES]->(m) | m.code] AS measure, [(x)-[:UNDER]->(l) | l.id] AS entry, "
        "[(x)-[:HAS_SUBJECT]->(s) | s.uscc] AS subject, [(x)-[:IMPOSED_BY]->(d) | d.code] AS by",
        {"id": sanction["id"]},
    )
    assert linked == [
        {"measure": ["M02"], "entry": [e2_entry["id"]], "subject": [E2], "by": [SAMR]}
    ]
    assert await events(db, sanction["id"], "Sanction") == ["SANCTION_IMPOSED"]
    assert await audited(db, "impose_measure", sanction["id"])
    told = await db.read(
        "MATCH (n:Notice {recipient: $bank, kind: 'SANCTION', ref: $ref}) RETURN n.title AS t",
        {"bank": B1, "ref": sanction["id"]},
    )
    assert len(told) == 1 and "限制参与招标投标" in told[0]["t"]


async def test_only_measures_of_the_published_catalogue_can_be_applied(
    market: httpx.AsyncClient,
) -> None:
    error = await refusal(market, IMPOSE, entry="LE-1", measure="M99")
    assert error["extensions"]["code"] == "NOT_IN_CATALOGUE"
    assert "M99" in error["message"] and "measureCode" in error["message"]


async def test_a_measure_is_not_applied_twice_under_one_entry(market: httpx.AsyncClient) -> None:
    error = await refusal(market, IMPOSE, entry="LE-1", measure="M01")
    assert error["extensions"]["code"] == "WRONG_STATE"


@pytest.mark.parametrize("entry", ["LE-2", "LE-3"], ids=["red list", "removed entry"])
async def test_measures_follow_black_list_entries_in_force_only(
    market: httpx.AsyncClient, entry: str
) -> None:
    error = await refusal(market, IMPOSE, entry=entry, measure="M01")
    assert error["extensions"]["code"] == "WRONG_STATE"


async def test_a_measure_cannot_outlast_the_entry_it_rests_on(
    market: httpx.AsyncClient, e2_entry: dict[str, Any]
) -> None:
    after = date.fromisoformat(e2_entry["effectiveUntil"]) + timedelta(days=1)
    error = await refusal(
        market, IMPOSE, entry=e2_entry["id"], measure="M01", endsOn=after.isoformat()
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "endsOn" in error["message"]
    backwards = await refusal(
        market,
        IMPOSE,
        entry=e2_entry["id"],
        measure="M01",
        endsOn=e2_entry["decisionDate"],
    )
    assert backwards["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_only_departments_and_the_credit_office_impose_measures(
    client_for: ClientFor,
) -> None:
    async with client_for(BANK) as bank:
        error = await refusal(bank, IMPOSE, entry="LE-1", measure="M01")
    assert error["extensions"]["code"] == "FORBIDDEN"


# -- which measures apply ---------------------------------------------------------------------
async def test_a_department_asks_which_measures_apply_to_an_enterprise_for_its_business(
    building: httpx.AsyncClient,
) -> None:
    data = await query(building, APPLICABLE, uscc=E1, business="招投标")
    [found] = data["applicableMeasures"]
    sanction = found["sanction"]
    assert (sanction["id"], sanction["measure"]["code"]) == ("SN-2", "M02")
    assert sanction["legalBasis"] == "国办发〔2020〕49号"
    assert sanction["listEntry"] == {
        "id": "LE-1",
        "listName": "严重失信主体名单",
        "status": "ACTIVE",
        "decidedBy": {"code": NDRC, "name": "舞钢市发展和改革委员会"},
    }
    assert (found["representativeBan"], found["viaRepresentative"]) == (False, None)
    everything = await query(building, APPLICABLE, uscc=E1)
    assert [a["sanction"]["id"] for a in everything["applicableMeasures"]] == ["SN-1", "SN-2"]


async def test_a_lifted_measure_under_a_removed_entry_no_longer_applies(
    building: httpx.AsyncClient,
) -> None:
    data = await query(building, APPLICABLE, uscc=E4)
    assert data["applicableMeasures"] == []
    e2 = await query(building, APPLICABLE, uscc=E2, business="政府采购")
    assert "SN-3" not in [a["sanction"]["id"] for a in e2["applicableMeasures"]]


async def test_a_measure_applies_only_within_its_period(
    development: httpx.AsyncClient, market: httpx.AsyncClient, db: Database
) -> None:
    entry = (await query(development, DECIDE, decision=decision(E3)))["decideList"]
    sanction = (await query(market, IMPOSE, entry=entry["id"], measure="M01"))["imposeMeasure"]
    applies = await query(market, APPLICABLE, uscc=E3, business="政府采购")
    assert [a["sanction"]["id"] for a in applies["applicableMeasures"]] == [sanction["id"]]
    # Time passes: the measure's period ended yesterday.
    await db.write(
        "MATCH (x:Sanction {id: $id}) SET x.until = $yesterday",
        {"id": sanction["id"], "yesterday": TODAY - timedelta(days=1)},
    )
    ended = await query(market, APPLICABLE, uscc=E3, business="政府采购")
    assert ended["applicableMeasures"] == []


async def test_removing_the_entry_ends_the_measures_that_applied_under_it(
    development: httpx.AsyncClient, market: httpx.AsyncClient
) -> None:
    entry = (await query(development, DECIDE, decision=decision(E4)))["decideList"]
    await query(market, IMPOSE, entry=entry["id"], measure="M02")
    before = await query(market, APPLICABLE, uscc=E4, business="招投标")
    assert len(before["applicableMeasures"]) == 1
    await query(
        development,
        "mutation($id: ID!, $reason: String!) { removeListEntry(id: $id, reason: $reason) "
        "{ status } }",
        id=entry["id"],
        reason="完成信用修复",
    )
    after = await query(market, APPLICABLE, uscc=E4, business="招投标")
    assert after["applicableMeasures"] == []


async def test_banks_ask_too_but_not_the_public(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    async with client_for(BANK) as bank:
        data = await query(bank, APPLICABLE, uscc=E1, business="政府采购")
    assert [a["sanction"]["id"] for a in data["applicableMeasures"]] == ["SN-1"]
    [error] = await errors(anon, APPLICABLE, uscc=E1)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_the_question_names_one_subject_that_exists(building: httpx.AsyncClient) -> None:
    [neither] = await errors(building, APPLICABLE)
    assert neither["extensions"]["code"] == "INVALID_ARGUMENT"
    [unknown] = await errors(building, APPLICABLE, uscc="91410481MA00000000")
    assert unknown["extensions"]["code"] == "NOT_FOUND"


# -- feedback ---------------------------------------------------------------------------------
async def test_a_department_reports_applying_a_measure_in_a_business_matter(
    building: httpx.AsyncClient, db: Database
) -> None:
    data = await query(building, REPORT, report=report(E1, measureCode="M02"))
    applied = data["reportMeasureApplication"]
    assert applied["id"].startswith("MA-")
    assert applied["sanction"]["id"] == "SN-2"
    assert applied["subject"]["code"] == E1 and applied["reporter"]["code"] == HOUSING
    assert (applied["matterReference"], applied["outcome"]) == (
        "舞招标〔2026〕15号",
        "取消投标资格",
    )
    linked = await db.read(
        "MATCH (a:MeasureApplication {id: $id}) "
        "RETURN [(a)-[:APPLIED]->(m:Measure) | m.code] AS measure, "
        "[(a)-[:TO]->(s) | s.uscc] AS subject, [(a)-[:REPORTED_BY]->(o) | o.code] AS reporter, "
        "[(a)-[:UNDER]->(x) | x.id] AS sanction",
        {"id": applied["id"]},
    )
    assert linked == [
        {"measure": ["M02"], "subject": [E1], "reporter": [HOUSING], "sanction": ["SN-2"]}
    ]
    assert await events(db, applied["id"], "MeasureApplication") == ["MEASURE_APPLIED"]
    assert await audited(db, "report_measure_application", applied["id"])


async def test_a_report_may_name_the_sanction_instead_of_the_measure(
    market: httpx.AsyncClient,
) -> None:
    data = await query(market, REPORT, report=report(E1, sanctionId="SN-1"))
    assert data["reportMeasureApplication"]["sanction"]["measure"]["code"] == "M01"


async def test_reporting_a_measure_that_does_not_apply_to_the_subject_is_refused(
    building: httpx.AsyncClient,
) -> None:
    for refused in (
        report(E2, sanctionId="SN-3"),  # lifted with its removed entry
        report(E2, measureCode="M01"),  # no M01 on E2
        report(E4, measureCode="M02"),
        report(E1, sanctionId="SN-1", measureCode="M02"),  # SN-1 is M01
    ):
        error = await refusal(building, REPORT, report=refused)
        assert error["extensions"]["code"] == "NOT_APPLICABLE", refused


async def test_reporting_an_unknown_measure_is_refused(building: httpx.AsyncClient) -> None:
    error = await refusal(building, REPORT, report=report(E1, measureCode="M99"))
    assert error["extensions"]["code"] == "NOT_IN_CATALOGUE" and "M99" in error["message"]


async def test_a_report_names_its_matter_its_outcome_and_a_day_within_the_measure(
    building: httpx.AsyncClient,
) -> None:
    no_matter = report(E1, measureCode="M02") | {"matterReference": " "}
    error = await refusal(building, REPORT, report=no_matter)
    assert (
        error["extensions"]["code"] == "INVALID_ARGUMENT" and "matterReference" in error["message"]
    )
    before = report(E1, measureCode="M02", appliedOn="2026-03-01")  # SN-2 runs from 2026-04-01
    error = await refusal(building, REPORT, report=before)
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "appliedOn" in error["message"]
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    error = await refusal(
        building, REPORT, report=report(E1, measureCode="M02", appliedOn=tomorrow)
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "appliedOn" in error["message"]


async def test_an_association_reports_applying_a_measure(
    client_for: ClientFor, db: Database
) -> None:
    async with client_for(ASSOCIATION) as association:
        data = await query(association, REPORT, report=report(E1, measureCode="M01"))
    applied = data["reportMeasureApplication"]
    assert applied["reporter"] == {"code": A1, "name": "舞钢市钢铁行业协会"}
    kind = await db.read(
        "MATCH (a:MeasureApplication {id: $id}) RETURN a.reporterKind AS kind",
        {"id": applied["id"]},
    )
    assert kind == [{"kind": "ASSOCIATION"}]


async def test_banks_do_not_report_measure_applications(client_for: ClientFor) -> None:
    async with client_for(BANK) as bank:
        error = await refusal(bank, REPORT, report=report(E1, measureCode="M01"))
    assert error["extensions"]["code"] == "FORBIDDEN"


# -- statistics -------------------------------------------------------------------------------
async def test_feedback_statistics_count_applications_per_organisation_and_measure(
    building: httpx.AsyncClient, market: httpx.AsyncClient, client_for: ClientFor
) -> None:
    # A June of reports: the measures under LE-1 ran from 2026-04-01.
    for day, measure in (("06-01", "M02"), ("06-15", "M02"), ("06-20", "M01")):
        await query(
            building, REPORT, report=report(E1, measureCode=measure, appliedOn=f"2026-{day}")
        )
    await query(market, REPORT, report=report(E1, measureCode="M01", appliedOn="2026-06-10"))
    june = {"from": "2026-06-01", "to": "2026-06-30"}

    own = (await query(building, STATISTICS, **june))["measureStatistics"]
    assert own == [
        {
            "organisation": HOUSING,
            "organisationName": "舞钢市住房和城乡建设局",
            "organisationKind": "DEPARTMENT",
            "total": 3,
            "measures": [
                {"measureCode": "M01", "measureName": "限制参与政府采购", "applications": 1},
                {"measureCode": "M02", "measureName": "限制参与招标投标", "applications": 2},
            ],
        }
    ], "a department sees its own feedback"

    async with client_for(ADMIN) as office:
        everyone = (await query(office, STATISTICS, **june))["measureStatistics"]
        assert [(s["organisation"], s["total"]) for s in everyone] == [(HOUSING, 3), (SAMR, 1)]
        one = (await query(office, STATISTICS, organisation=SAMR, **june))["measureStatistics"]
        assert [(s["organisation"], s["total"]) for s in one] == [(SAMR, 1)]
        backwards = await refusal(office, STATISTICS, **{"from": "2026-06-30", "to": "2026-06-01"})
        assert backwards["extensions"]["code"] == "INVALID_ARGUMENT"

    others = await refusal(building, STATISTICS, organisation=SAMR, **june)
    assert others["extensions"]["code"] == "FORBIDDEN"
    async with client_for(BANK) as bank:
        error = await refusal(bank, STATISTICS, **june)
    assert error["extensions"]["code"] == "FORBIDDEN"
