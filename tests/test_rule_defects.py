"""Specifications of rules issue 16 found broken: each test failed on the code before its fix."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from graphql import GraphQLError

from authz import audit
from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Connection, Database
from graph.identifiers import make_uscc
from graph.lifecycle import base, measures
from graph.lifecycle.base import china_today
from graph.lifecycle.rules import LifecycleRules
from graph.publication import add_years
from graph.supervision.draw import plan_draw
from graph.supervision.policy import sampling_policy
from graph.workdays import WorkdayCalendar, mainland_calendar
from hub.api.schema import Errors
from hub.cli import main
from tests.conftest import ClientFor
from tests.fixtures import B1, B2, CONSENT_PURPOSE, E1, E2, SAMR
from tests.graphql import errors, query
from tests.processes import hub_env
from tests.test_lists import DECIDE as LISTS_DECIDE
from tests.test_lists import DEVELOPMENT as LISTS_DEVELOPMENT
from tests.test_lists import decision

# --- 7. Access logs are kept at least five years (DOMAIN.md) ----------------------------------


def test_the_legal_minimum_retention_covers_any_five_years() -> None:
    # From every day of 2000-2039, the minimum reaches five calendar years later (29 February
    # counts as 1 March), and no day less would.
    day, longest = date(2000, 1, 1), 0
    while day.year < 2040:
        later = date(day.year + 5, 3, 1) if (day.month, day.day) == (2, 29) else None
        later = later or day.replace(year=day.year + 5)
        longest = max(longest, (later - day).days)
        day += timedelta(days=1)
    assert audit.MIN_RETENTION.days == longest
    assert audit.RETENTION >= audit.MIN_RETENTION


async def test_prune_refuses_a_retention_below_five_years(db: Database) -> None:
    four_years_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    await audit.append(db, audit.AuditEvent("kept-4y", PUBLIC, "query"), now=four_years_ago)
    with pytest.raises(audit.RetentionTooShort, match="5"):
        await audit.prune(db, retain=timedelta(days=365))
    rows = await db.read("MATCH (e:AuditEntry {requestId: 'kept-4y'}) RETURN count(e) AS n")
    assert rows[0]["n"] == 1
    assert (await audit.verify(db)).ok


def test_credithub_audit_prune_refuses_fewer_days_than_five_years(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path)
    result = CliRunner().invoke(main, ["audit", "prune", "--days", "365"], env=env)
    assert result.exit_code != 0
    assert "1827" in result.output and "5" in result.output
    assert "Deleted" not in result.output


# --- 10. The audit entry lists as released exactly what left -----------------------------------

RELEASE_PROBE = """query AuditReleaseProbe($uscc: String!) {
  enterprise(uscc: $uscc) {
    name
    records(first: 50, includeHistory: true) {
      edges { node { key title batchId history { key title } } }
    }
  }
}"""


async def _entry_of(db: Database, operation: str, org: str) -> audit.AuditEntry:
    rows = await db.read(
        "MATCH (e:AuditEntry {operation: $op, orgCode: $org}) "
        "RETURN properties(e) AS props ORDER BY e.seq DESC LIMIT 1",
        {"op": operation, "org": org},
    )
    assert rows, "the request wrote no audit entry"
    return audit.AuditEntry.from_props(rows[0]["props"])


async def test_audit_entry_does_not_list_withheld_fields_as_released(
    db: Database, client_for: ClientFor
) -> None:
    # A bank without E2's consent: Record.history and batchId are conditional for it, and E2
    # granted nothing, so every value is withheld.
    bank = Consumer(subject="audit-probe", org_kind=OrgKind.BANK, org_code=B2, purpose="贷前审查")
    async with client_for(bank) as http:
        response = await http.post(
            "/graphql", json={"query": RELEASE_PROBE, "variables": {"uscc": E1}}
        )
    body = response.json()
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["enterprise"]["records"]["edges"]]
    assert nodes and all(n["history"] is None and n["batchId"] is None for n in nodes)
    withheld_fields = {w["field"] for w in body["extensions"]["access"]["withheld"]}
    assert {"Record.history", "Record.batchId"} <= withheld_fields

    entry = await _entry_of(db, "AuditReleaseProbe", B2)
    assert "Record.history" not in entry.released
    assert "Record.batchId" not in entry.released
    # What did leave is listed; the withheld fields are listed as withheld.
    assert {"Enterprise.name", "Record.key", "Record.title"} <= set(entry.released)
    withheld = {field.rsplit(".", 1)[-1] for field, _ in entry.withheld}
    assert {"history", "batchId"} <= withheld


async def test_audit_entry_lists_a_conditional_field_that_left(
    db: Database, client_for: ClientFor
) -> None:
    # The bank E1 consented to: the conditional fields left, so they are released.
    bank = Consumer(
        subject="audit-probe", org_kind=OrgKind.BANK, org_code=B1, purpose=CONSENT_PURPOSE
    )
    async with client_for(bank) as http:
        response = await http.post(
            "/graphql", json={"query": RELEASE_PROBE, "variables": {"uscc": E1}}
        )
    body = response.json()
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["enterprise"]["records"]["edges"]]
    assert any(n["history"] for n in nodes)
    entry = await _entry_of(db, "AuditReleaseProbe", B1)
    assert {"Record.history", "Record.batchId"} <= set(entry.released)


# --- 11. Government procurement: no serious violation in the previous 3 years ----------------

PROCUREMENT_SUBJECT = make_uscc("91", "410481", "PR000001")
PROCUREMENT_QUERY = """query($uscc: String, $business: String) {
  applicableMeasures(uscc: $uscc, business: $business) {
    sanction { id ban status startsOn endsOn name legalBasis measure { code business } }
    sourceRecord { id kind documentNumber decisionDate severity issuingAuthority { code name } }
  }
}"""


async def _serious_record(db: Database, suffix: str, decided: date, status: str) -> str:
    uid = f"PENALTY|{SAMR}|舞市监罚字〔采购〕{suffix}#v1"
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}), (d:Department {code: $samr}) "
        "CREATE (r:Record {uid: $uid, key: $key, version: 1, current: true, kind: 'PENALTY', "
        "  title: '严重违法', documentNumber: $number, decisionDate: $decided, "
        "  issuingAuthority: d.name, issuingAuthorityCode: d.code, severity: 'SERIOUS', "
        "  status: $status, publishFrom: $decided, publishUntil: $decided + duration('P1Y')}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e), (r)-[:PROVIDED_BY]->(d)",
        {
            "e": PROCUREMENT_SUBJECT,
            "samr": SAMR,
            "uid": uid,
            "key": uid.removesuffix("#v1"),
            "number": f"舞市监罚字〔采购〕{suffix}",
            "decided": decided,
            "status": status,
        },
    )
    return uid


@pytest.fixture
async def procurement_subject(db: Database) -> AsyncIterator[str]:
    """A fresh enterprise with no list entry and no sanction; removed afterwards."""
    await db.write(
        "CREATE (:Enterprise {uscc: $e, name: '舞钢市采购测试有限公司', status: 'ACTIVE'})",
        {"e": PROCUREMENT_SUBJECT},
    )
    yield PROCUREMENT_SUBJECT
    await db.write(
        "MATCH (e:Enterprise {uscc: $e}) OPTIONAL MATCH (r:Record)-[:HAS_SUBJECT]->(e) "
        "DETACH DELETE r, e",
        {"e": PROCUREMENT_SUBJECT},
    )


async def test_a_serious_violation_bars_government_procurement_for_three_years(
    db: Database, client: httpx.AsyncClient, procurement_subject: str
) -> None:
    today = china_today()
    decided = add_years(today, -2)
    uid = await _serious_record(db, "1", decided, "EFFECTIVE")
    # Older than the look-back, repaired, revoked: none of these bars.
    await _serious_record(db, "2", add_years(today, -3), "EFFECTIVE")
    await _serious_record(db, "3", add_years(today, -1), "REPAIRED")
    await _serious_record(db, "4", add_years(today, -1), "REVOKED")

    data = await query(client, PROCUREMENT_QUERY, uscc=procurement_subject, business="政府采购")
    [found] = data["applicableMeasures"]
    sanction = found["sanction"]
    assert sanction["ban"] is False and sanction["status"] == "ACTIVE"
    assert sanction["startsOn"] == decided.isoformat()
    assert sanction["endsOn"] == (add_years(decided, 3) - timedelta(days=1)).isoformat()
    assert "政府采购" in sanction["name"] and "第二十二条" in sanction["legalBasis"]
    assert sanction["measure"] == {"code": "M01", "business": "政府采购"}
    # The source record is cited.
    assert found["sourceRecord"] == {
        "id": uid,
        "kind": "PENALTY",
        "documentNumber": "舞市监罚字〔采购〕1",
        "decisionDate": decided.isoformat(),
        "severity": "SERIOUS",
        "issuingAuthority": {"code": SAMR, "name": "舞钢市市场监督管理局"},
    }
    # Asked about everything, it answers too; asked about another business, it does not.
    everything = await query(client, PROCUREMENT_QUERY, uscc=procurement_subject)
    assert [a["sourceRecord"]["id"] for a in everything["applicableMeasures"]] == [uid]
    bidding = await query(client, PROCUREMENT_QUERY, uscc=procurement_subject, business="招投标")
    assert bidding["applicableMeasures"] == []


async def test_the_procurement_look_back_is_configurable(
    db: Database, procurement_subject: str
) -> None:
    today = china_today()
    await _serious_record(db, "5", add_years(today, -2), "EFFECTIVE")
    three = await measures.applicable_measures(
        db, procurement_subject, business="政府采购", today=today
    )
    assert len(three) == 1
    one = await measures.applicable_measures(
        db, procurement_subject, business="政府采购", today=today, procurement_years=1
    )
    assert one == []
    assert LifecycleRules().procurement_lookback_years == 3  # Henan
    assert LifecycleRules.from_env({"CREDITHUB_PROCUREMENT_LOOKBACK_YEARS": "5"}) == (
        LifecycleRules(procurement_lookback_years=5)
    )


# --- 12. 双随机: the rounding respects the band over a year ------------------------------------


def _lone_a_drawn(seed: int) -> bool:
    policy = sampling_policy()
    population = {"A": ["A-ONLY"], "D": [f"D-{k}" for k in range(3)]}
    plan = plan_draw(
        population, population, ["I1", "I2"], policy.ratios(None) | {"A": 0.05}, 2, seed
    )
    return any(o.uscc == "A-ONLY" for o in plan.objects)


def test_a_lone_a_grade_enterprise_is_drawn_as_often_as_its_band_says() -> None:
    # A year of daily draws: drawn in about 5 % of them, not in every one.
    year = sum(_lone_a_drawn(seed) for seed in range(365))
    assert 0.02 * 365 <= year <= 0.08 * 365, year
    # Over many draws the frequency is the ratio.
    many = sum(_lone_a_drawn(seed) for seed in range(10_000))
    assert abs(many / 10_000 - 0.05) < 0.01, many  # 4.5 standard deviations


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 19, 40])
@pytest.mark.parametrize("grade", ["A", "B", "C", "D"])
def test_each_stratum_draws_its_ratio_on_average_and_never_strays_by_a_whole_object(
    size: int, grade: str
) -> None:
    policy = sampling_policy()
    ratio = policy.rule(grade).default
    population = {grade: [f"{grade}-{k:02d}" for k in range(size)]}
    sizes = []
    for seed in range(2000):
        plan = plan_draw(population, population, ["I1", "I2"], policy.ratios(None), 2, seed)
        [stratum] = [s for s in plan.strata if s.stratum == grade]
        assert stratum.planned == stratum.drawn == len(plan.objects)
        sizes.append(stratum.planned)
    exact = size * ratio
    assert set(sizes) <= {math.floor(exact), math.ceil(exact)}
    assert abs(sum(sizes) / len(sizes) - exact) < 0.05 + 0.03 * exact, (sizes, exact)


# --- 13. A deadline counted beyond the calendar is never later than the true one -------------

NOTICE_YEARS = range(2019, 2027)  # years whose State Council notice is in cn_calendar.toml


def _every_day(years: range) -> list[date]:
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@pytest.mark.parametrize("working_days", [1, 3, 7, 20])
def test_the_fallback_deadline_is_never_later_than_the_true_one(
    monkeypatch: pytest.MonkeyPatch, working_days: int
) -> None:
    truth = mainland_calendar()
    # As if no year had its notice: every deadline is counted by the fallback.
    monkeypatch.setattr(
        base,
        "mainland_calendar",
        lambda: WorkdayCalendar(
            holidays=frozenset(), extra_working_days=frozenset(), years=frozenset({1990})
        ),
    )
    later = []
    for start in _every_day(NOTICE_YEARS):
        real = truth.add_working_days(start, working_days)
        if real.year not in NOTICE_YEARS:
            continue
        due, provisional = base.decision_deadline(start, working_days)
        assert provisional
        if due > real:
            later.append((start, due, real))
    assert later == [], f"{len(later)} start days, e.g. {later[:3]}"


def test_a_fallback_deadline_uses_the_calendar_as_far_as_it_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    truth = mainland_calendar()
    # Only 2025 has its notice: counts from December 2025 run on into an unknown 2026.
    only_2025 = WorkdayCalendar(
        holidays=truth.holidays,
        extra_working_days=truth.extra_working_days,
        years=frozenset({2025}),
    )
    monkeypatch.setattr(base, "mainland_calendar", lambda: only_2025)
    for start in _every_day(range(2025, 2026)):
        for n in (1, 3, 7):
            real = truth.add_working_days(start, n)
            due, provisional = base.decision_deadline(start, n)
            assert due <= real, (start, n)
            assert provisional == (real.year > 2025) or due.year > 2025, (start, n)
            if real.year == 2025:
                assert (due, provisional) == (real, False), (start, n)


# --- 14. Every error carries extensions.code, with a Chinese message ---------------------------

ERROR_CASES = {
    "unknown field": (
        {"query": "{ departments { code nosuchfield } }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "syntax error": ({"query": "{ departments { code "}, "GRAPHQL_PARSE_FAILED"),
    "wrong variable type": (
        {
            "query": f'query($n: Int) {{ enterprise(uscc: "{E1}") {{ records(first: $n) '
            "{ totalCount } } }",
            "variables": {"n": "many"},
        },
        "BAD_USER_INPUT",
    ),
    "missing variable": (
        {"query": "query($u: String!) { enterprise(uscc: $u) { name } }", "variables": {}},
        "BAD_USER_INPUT",
    ),
    "bad cursor": (
        {
            "query": f'{{ enterprise(uscc: "{E1}") {{ records(first: 2, after: "bm9wZQ") '
            "{ totalCount } } }"
        },
        "INVALID_CURSOR",
    ),
}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
async def test_every_error_has_a_code_and_a_chinese_message(
    client: httpx.AsyncClient, case: str
) -> None:
    body, code = ERROR_CASES[case]
    response = await client.post("/graphql", json=body)
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert (error.get("extensions") or {}).get("code") == code, error
        assert _has_chinese(error["message"]), error
    assert "Traceback" not in response.text


async def test_a_one_element_batch_is_refused_like_any_batch(client: httpx.AsyncClient) -> None:
    operation = {"query": "{ departments { code } }"}
    one = await client.post("/graphql", json=[operation])
    two = await client.post("/graphql", json=[operation, operation])
    assert one.status_code == two.status_code == 400
    assert one.json()["error"]["code"] == two.json()["error"]["code"] == "TOO_MANY_OPERATIONS"
    assert _has_chinese(one.json()["error"]["message"])
    # The same operation as a JSON object is answered.
    single = await client.post("/graphql", json=operation)
    assert single.status_code == 200 and single.json()["data"]["departments"]


def test_too_early_names_the_first_possible_day() -> None:
    error = GraphQLError(
        "early", original_error=base.TooEarly("尚未届满", earliest=date(2027, 3, 1))
    )
    [processed] = Errors()._process_errors([error])
    assert processed.extensions == {"code": "TOO_EARLY", "earliest": "2027-03-01"}


async def test_too_early_over_http_carries_the_first_possible_day(client_for: ClientFor) -> None:
    # A black-list decision made before the subject's time to state its case ran out.
    notice = china_today() - timedelta(days=1)
    async with client_for(LISTS_DEVELOPMENT) as development:
        [error] = await errors(
            development, LISTS_DECIDE, decision=decision(E2, noticeDate=notice.isoformat())
        )
    earliest = mainland_calendar().add_working_days(notice, LifecycleRules().black_list_notice_days)
    assert error["extensions"] == {"code": "TOO_EARLY", "earliest": earliest.isoformat()}
