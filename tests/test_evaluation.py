"""公共信用综合评价 (五(一), C10): the graded, explainable evaluation and who may read it.

Rules from DOMAIN.md "Evaluation and graded supervision" and "Personal information": every
enterprise is graded A/B/C/D by a configurable model, every grade is explainable down to the
source records, only facts that should count do (current, unrepaired, inside the publication
window; lists in force; verified voluntary items), and the grade is not public. The fixture
graph is restored after the module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from authz.identity import PUBLIC, OrgKind
from graph.database import Connection, Database
from graph.evaluation.model import MODEL_FILE, IndicatorModelError, load_model
from graph.evaluation.run import evaluate_all
from graph.lifecycle.base import china_today
from hub.cli import main
from tests.conftest import ClientFor
from tests.fixtures import (
    A1,
    B1,
    CONSENT_PURPOSE,
    E1,
    E2,
    E3,
    E4,
    E5,
    R1,
    R2,
    R4,
    SAMR,
    load_fixture_graph,
)
from tests.lifecycle import (
    BANK_B1,
    BANK_B2,
    DEVELOPMENT,
    ENTERPRISE_E1,
    ENTERPRISE_E5,
    MARKET,
    OFFICE,
    ask,
    notices_of,
    org,
    refused,
)
from tests.processes import hub_env

EVALUATION = """query($uscc: String!) { creditEvaluation(uscc: $uscc) {
  id uscc enterpriseName grade gradeLabel gradeByScore score evaluatedOn runId modelVersion
  current reason previousGrade
  indicators { family familyName code name value points sources { id kind title } moreSources }
  families { code name points }
  rules { code name maxGrade } } }"""

HISTORY = """query($uscc: String!) { creditEvaluationHistory(uscc: $uscc) {
  id runId grade score current reason } }"""

RUNS = """query { evaluationRuns(includeRefreshes: true) {
  id scope reason subject enterprises current changed grades { grade label count } } }"""

DISTRIBUTION = "query { gradeDistribution { grade label count } }"

# The bank asks for the purpose its consent was granted for (tests/fixtures.py).
BANK_B1_WITH_CONSENT = org(OrgKind.BANK, B1, purpose=CONSENT_PURPOSE)
STEEL_ASSOCIATION = org(OrgKind.ASSOCIATION, A1)

# 年报公示 of the fixture enterprises (the fixture graph has none): years filed and when.
ANNUAL_REPORTS = {
    E1: ([2023, 2024, 2025], [date(2024, 5, 6), date(2025, 4, 2), date(2026, 6, 1)]),
    E2: ([2023, 2024, 2025], [date(2024, 3, 1), date(2025, 3, 1), date(2026, 9, 15)]),
    E4: ([2023, 2024, 2025], [date(2024, 6, 1), date(2025, 6, 1), date(2026, 6, 1)]),
    E5: ([2023, 2025], [date(2024, 4, 1), date(2026, 4, 1)]),
}


@pytest.fixture(scope="module", autouse=True)
async def evaluated(db: Database) -> AsyncIterator[None]:
    """The fixture graph with annual reports, evaluated once."""
    await db.write(
        "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.uscc}) "
        "SET e.annualReportYears = row.years, e.annualReportFiledOn = row.filed",
        {
            "rows": [
                {"uscc": uscc, "years": years, "filed": filed}
                for uscc, (years, filed) in ANNUAL_REPORTS.items()
            ]
        },
    )
    await evaluate_all(db, today=china_today())
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _evaluation(client_for: ClientFor, uscc: str) -> dict[str, Any]:
    data = await ask(client_for, DEVELOPMENT, EVALUATION, uscc=uscc)
    evaluation: dict[str, Any] = data["creditEvaluation"]
    return evaluation


def _indicator(evaluation: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((i for i in evaluation["indicators"] if i["code"] == code), None)


def _source_ids(evaluation: dict[str, Any]) -> set[str]:
    return {s["id"] for i in evaluation["indicators"] for s in i["sources"]}


# -- what counts ---------------------------------------------------------------------------
async def test_an_enterprise_on_an_active_black_list_is_graded_d_and_the_explanation_names_it(
    client_for: ClientFor,
) -> None:
    e1 = await _evaluation(client_for, E1)
    assert (e1["grade"], e1["gradeLabel"], e1["current"]) == ("D", "差", True)
    black = _indicator(e1, "C03")
    assert black is not None and black["value"] == 1 and black["points"] < 0
    assert black["familyName"] == "合规信息"
    assert [s["id"] for s in black["sources"]] == ["LE-1"]
    assert black["sources"][0]["kind"] == "黑名单"
    assert {
        "code": "X01",
        "name": "列入严重失信主体名单的，评价等级不高于D级",
        "maxGrade": "D",
    } in (e1["rules"])
    assert e1["modelVersion"] == load_model().version


async def test_an_expired_or_repaired_penalty_does_not_count_and_an_effective_one_does(
    client_for: ClientFor,
) -> None:
    e1 = await _evaluation(client_for, E1)
    general = _indicator(e1, "C01")
    assert general is not None
    assert [s["id"] for s in general["sources"]] == [R1["uid"]]
    assert (general["value"], general["points"]) == (1, -40)
    assert general["sources"][0] == {"id": R1["uid"], "kind": "行政处罚", "title": "超标排放"}
    ids = _source_ids(e1)
    assert R4["uid"] not in ids, "expired in 2022: outside its publication window"
    assert R2["uid"] not in ids, "repaired: no longer counts"
    assert _indicator(e1, "C02") is None


async def test_annual_reports_count_on_time_late_and_missing(client_for: ClientFor) -> None:
    e4 = await _evaluation(client_for, E4)
    on_time = _indicator(e4, "A01")
    assert on_time is not None and on_time["value"] == 3 and on_time["points"] == 30
    e2 = await _evaluation(client_for, E2)
    late = _indicator(e2, "A02")
    assert late is not None and late["value"] == 1
    assert late["sources"][0]["title"] == "2025年度年报于2026-09-15逾期报送"
    e5 = await _evaluation(client_for, E5)
    missing = _indicator(e5, "A03")
    assert missing is not None and missing["value"] == 1 and missing["points"] == -40
    assert missing["sources"][0]["id"] == f"{E5}#AR2024"


async def test_a_red_list_entry_in_force_counts_as_an_incentive(client_for: ClientFor) -> None:
    e5 = await _evaluation(client_for, E5)
    red = _indicator(e5, "H01")
    assert red is not None and red["sources"][0]["id"] == "LE-2" and red["points"] > 0
    e2 = await _evaluation(client_for, E2)
    assert "LE-3" not in _source_ids(e2), "a removed black-list entry no longer counts"


async def test_a_related_black_listed_enterprise_counts_without_naming_any_person(
    client_for: ClientFor,
) -> None:
    # E2 shares its legal representative 张伟 with the black-listed E1.
    e2 = await _evaluation(client_for, E2)
    related = _indicator(e2, "R01")
    assert related is not None and related["value"] == 1
    assert related["sources"][0]["title"] == "舞钢市鑫源钢铁有限公司：严重失信主体名单"
    text = json.dumps(e2, ensure_ascii=False)
    assert "张" not in text and "P1" not in text


# -- who may read it -------------------------------------------------------------------------
async def test_the_public_is_refused_because_the_grade_is_not_public(
    client_for: ClientFor,
) -> None:
    error = await refused(client_for, PUBLIC, EVALUATION, uscc=E1)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "operations.readEvaluation.kinds" in error["message"]


async def test_a_bank_without_consent_is_refused_and_with_consent_answered(
    client_for: ClientFor,
) -> None:
    b2 = await refused(client_for, BANK_B2, EVALUATION, uscc=E1)
    assert b2["extensions"]["code"] == "NO_CONSENT"
    assert "operations.readEvaluation.subject.BANK = ['consent']" in b2["message"]
    # A consent is bound to its purpose: asking for another purpose is refused too.
    other_purpose = await refused(client_for, BANK_B1, EVALUATION, uscc=E1)
    assert other_purpose["extensions"]["code"] == "NO_CONSENT"
    answered = await ask(client_for, BANK_B1_WITH_CONSENT, EVALUATION, uscc=E1)
    assert answered["creditEvaluation"]["grade"] == "D"
    refused_e5 = await refused(client_for, BANK_B1_WITH_CONSENT, EVALUATION, uscc=E5)
    assert refused_e5["extensions"]["code"] == "NO_CONSENT"


async def test_an_association_sees_its_members_only(client_for: ClientFor) -> None:
    member = await ask(client_for, STEEL_ASSOCIATION, EVALUATION, uscc=E5)
    assert member["creditEvaluation"]["uscc"] == E5
    outsider = await refused(client_for, STEEL_ASSOCIATION, EVALUATION, uscc=E4)
    assert outsider["extensions"]["code"] == "NOT_A_MEMBER"


async def test_the_enterprise_sees_its_own_explanation_and_nobody_elses(
    client_for: ClientFor,
) -> None:
    own = (await ask(client_for, ENTERPRISE_E1, EVALUATION, uscc=E1))["creditEvaluation"]
    assert own["grade"] == "D" and _indicator(own, "C03") is not None
    other = await refused(client_for, ENTERPRISE_E5, EVALUATION, uscc=E1)
    assert other["extensions"]["code"] == "NOT_OWN_SUBJECT"


async def test_every_read_of_an_evaluation_is_an_audit_entry_about_the_subject(
    client_for: ClientFor, db: Database
) -> None:
    before = await db.read(
        "MATCH (a:AuditEntry {action: 'read_evaluation'})-[:ABOUT]->(:Enterprise {uscc: $e}) "
        "RETURN count(a) AS n",
        {"e": E5},
    )
    await ask(client_for, ENTERPRISE_E5, EVALUATION, uscc=E5)
    after = await db.read(
        "MATCH (a:AuditEntry {action: 'read_evaluation'})-[:ABOUT]->(:Enterprise {uscc: $e}) "
        "RETURN count(a) AS n, collect(a.orgCode) AS orgs",
        {"e": E5},
    )
    assert after[0]["n"] == before[0]["n"] + 1
    assert E5 in after[0]["orgs"]


async def test_runs_and_the_grade_distribution_are_for_departments_only(
    client_for: ClientFor,
) -> None:
    counts = (await ask(client_for, DEVELOPMENT, DISTRIBUTION))["gradeDistribution"]
    assert sum(c["count"] for c in counts) == 5
    assert [c["label"] for c in counts] == ["优", "良", "中", "差"]
    error = await refused(client_for, ENTERPRISE_E1, DISTRIBUTION)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_only_the_credit_office_may_start_a_run(client_for: ClientFor) -> None:
    error = await refused(client_for, DEVELOPMENT, "mutation { runEvaluation { id } }")
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "operations.runEvaluation" in error["message"]


# -- the model -------------------------------------------------------------------------------
def test_a_model_with_a_bad_cut_off_is_rejected_with_a_clear_message(tmp_path: Path) -> None:
    text = MODEL_FILE.read_text(encoding="utf-8").replace("B = 700", "B = 790")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(IndicatorModelError) as raised:
        load_model(bad)
    message = str(raised.value)
    assert "bad.toml" in message and "grades.A = 780" in message and "grades.B = 790" in message
    assert "A > B > C" in message


def test_a_model_naming_an_unknown_fact_is_rejected(tmp_path: Path) -> None:
    text = MODEL_FILE.read_text(encoding="utf-8").replace('fact = "LICENCES"', 'fact = "LICENSES"')
    bad = tmp_path / "typo.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(IndicatorModelError, match=r"indicator L01\.fact = 'LICENSES'"):
        load_model(bad)


# -- the command -----------------------------------------------------------------------------
@pytest.fixture
def cli_env(db: Database, neo4j_connection: Connection, tmp_path: Path) -> dict[str, str]:
    """The environment of a `credithub` run against the test graph."""
    return hub_env(neo4j_connection, tmp_path / "home")


def test_credithub_evaluate_runs_the_whole_graph_and_one_subject(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    whole = CliRunner().invoke(main, ["evaluate"], env=cli_env)
    assert whole.exit_code == 0, whole.output
    assert "评价主体 5 户" in whole.output and "D级（差）" in whole.output
    assert "等级变化 0 户" in whole.output, "nothing changed since the module's run"
    one = CliRunner().invoke(main, ["evaluate", "--uscc", E1], env=cli_env)
    assert one.exit_code == 0, one.output
    assert f"{E1}：D级（差）" in one.output and "LE-1" in one.output
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 'x'\n", encoding="utf-8")
    refused_model = CliRunner().invoke(main, ["evaluate", "--model", str(bad)], env=cli_env)
    assert refused_model.exit_code != 0 and "base_score" in refused_model.output


# -- changes over time (these change the graph) ----------------------------------------------
async def test_a_run_keeps_the_previous_runs_evaluations_as_history(
    client_for: ClientFor, db: Database
) -> None:
    await evaluate_all(db, today=china_today())
    history = (await ask(client_for, DEVELOPMENT, HISTORY, uscc=E4))["creditEvaluationHistory"]
    assert len(history) >= 2 and len({h["runId"] for h in history}) == len(history)
    assert [h["current"] for h in history] == [True] + [False] * (len(history) - 1)
    current = await db.read(
        "MATCH (v:Evaluation {current: true}) RETURN v.uscc AS uscc, count(*) AS n"
    )
    assert sorted(row["uscc"] for row in current) == sorted([E1, E2, E3, E4, E5])
    assert all(row["n"] == 1 for row in current), "one current evaluation per enterprise"
    runs = (await ask(client_for, DEVELOPMENT, RUNS))["evaluationRuns"]
    whole = [r for r in runs if r["scope"] == "ALL"]
    assert [r["current"] for r in whole][:2] == [True, False]


async def test_a_verified_voluntary_item_counts_and_an_unverified_one_does_not(
    client_for: ClientFor, db: Database
) -> None:
    register = """mutation($title: String!, $statement: String!) { registerVoluntary(
      kind: CERTIFICATE, title: $title, detail: "质量管理体系认证", truthful: true,
      statement: $statement) { id } }"""
    statement = "本企业承诺所填报信息真实、准确、完整，如有虚假，愿承担相应法律责任并接受信用惩戒。"
    verify = """mutation($id: ID!, $verifier: String!) { verifyVoluntary(id: $id, outcome: VERIFIED,
      note: "与发证机关核对一致", verifier: $verifier) { id verification } }"""
    verified = (
        await ask(client_for, ENTERPRISE_E5, register, title="ISO 9001 认证", statement=statement)
    )["registerVoluntary"]["id"]
    unverified = (
        await ask(client_for, ENTERPRISE_E5, register, title="ISO 14001 认证", statement=statement)
    )["registerVoluntary"]["id"]
    await ask(client_for, MARKET, verify, id=verified, verifier=SAMR)
    await evaluate_all(db, today=china_today())
    e5 = await _evaluation(client_for, E5)
    voluntary = _indicator(e5, "V01")
    assert voluntary is not None and voluntary["value"] == 1
    assert [s["id"] for s in voluntary["sources"]] == [verified]
    assert unverified not in _source_ids(e5)


async def test_the_grade_changes_when_a_penalty_arrives_and_the_next_run_notifies_the_bank(
    client_for: ClientFor, db: Database
) -> None:
    await db.write(
        "MATCH (e:Enterprise {uscc: $e4}) "
        "CREATE (:Consent {id: 'CONSENT-EVAL', grantee: $b1, granteeKind: 'BANK', "
        "classes: ['conditional'], purpose: $purpose, grantedAt: datetime(), "
        "expiresOn: date() + duration('P90D'), expiresAt: datetime() + duration('P90D')})"
        "-[:GRANTED_BY]->(e)",
        {"e4": E4, "b1": B1, "purpose": CONSENT_PURPOSE},
    )
    await ask(
        client_for,
        BANK_B1,
        'mutation($u: String!) { watchEnterprise(uscc: $u, purpose: "贷后管理") { id } }',
        u=E4,
    )
    before = await _evaluation(client_for, E4)
    assert before["grade"] in ("A", "B")
    today = china_today()
    await db.write(
        "MATCH (e:Enterprise {uscc: $e4}), (d:Department {code: $samr}) "
        "CREATE (r:Record {uid: $key + '#v1', key: $key, version: 1, current: true, "
        "kind: 'PENALTY', title: '未经许可擅自经营', documentNumber: '舞市监罚字〔2026〕第0999号', "
        "decisionDate: $today, severity: 'SERIOUS', category: '罚款', status: 'EFFECTIVE', "
        "publishFrom: $today, publishUntil: $today + duration('P3Y')}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e), (r)-[:PROVIDED_BY]->(d)",
        {"e4": E4, "samr": SAMR, "today": today, "key": f"PENALTY|{SAMR}|EVAL-0999"},
    )
    summary = await evaluate_all(db, today=today)
    after = await _evaluation(client_for, E4)
    assert after["grade"] == "C" and after["previousGrade"] == before["grade"]
    serious = _indicator(after, "C02")
    assert serious is not None and serious["sources"][0]["title"] == "未经许可擅自经营"
    assert any(r["code"] == "X04" for r in after["rules"])
    assert E4 in {c.uscc for c in summary.changes}
    told = [n for n in await notices_of(client_for, BANK_B1) if n["kind"] == "GRADE_CHANGED"]
    assert [n["subject"] for n in told] == [E4]
    assert f"由{before['grade']}级" in told[0]["title"] and "变为C级（中）" in told[0]["title"]
    assert not [n for n in await notices_of(client_for, BANK_B2) if n["kind"] == "GRADE_CHANGED"]
    summaries = [n for n in await notices_of(client_for, DEVELOPMENT) if n["ref"] == summary.run_id]
    assert [n["kind"] for n in summaries] == ["EVALUATION_RESULTS"]


async def test_a_repaired_penalty_stops_counting_as_soon_as_the_repair_is_approved(
    client_for: ClientFor,
) -> None:
    before = await _evaluation(client_for, E1)
    assert R1["uid"] in _source_ids(before)
    applied = await ask(
        client_for,
        ENTERPRISE_E1,
        """mutation($key: String!) { applyForRepair(recordKey: $key, proof: "罚款缴纳凭证",
           commitment: "本企业承诺今后依法诚信经营，如有违反愿承担相应责任") { id } }""",
        key=R1["key"],
    )
    await ask(
        client_for,
        MARKET,
        """mutation($id: ID!) { decideRepair(id: $id, approve: true,
           reason: "材料齐全，符合修复条件") { status } }""",
        id=applied["applyForRepair"]["id"],
    )
    after = await _evaluation(client_for, E1)
    assert R1["uid"] not in _source_ids(after)
    assert after["reason"] == "信用修复后重新评价" and after["id"] != before["id"]
    assert after["score"] == before["score"] + 40
    history = (await ask(client_for, OFFICE, HISTORY, uscc=E1))["creditEvaluationHistory"]
    assert history[0]["reason"] == "信用修复后重新评价" and not history[1]["current"]


async def test_a_breached_commitment_lowers_the_score(client_for: ClientFor, db: Database) -> None:
    before = await _evaluation(client_for, E4)
    template = "本企业承诺依法经营。"
    await ask(
        client_for,
        MARKET,
        """mutation($t: String!) { saveCommitmentItem(code: "CI-EVAL", name: "评价测试承诺",
           template: $t) { code } }""",
        t=template,
    )
    made = await ask(
        client_for,
        MARKET,
        """mutation($t: String!, $s: String!) { makeCommitment(item: "CI-EVAL",
           acceptedText: $t, subject: $s) { id } }""",
        t=template,
        s=E4,
    )
    await ask(
        client_for,
        MARKET,
        """mutation($id: ID!) { decideCommitment(id: $id, outcome: BREACHED,
           note: "未按承诺补交材料", severity: GENERAL) { id status } }""",
        id=made["makeCommitment"]["id"],
    )
    await evaluate_all(db, today=china_today())
    after = await _evaluation(client_for, E4)
    breach = _indicator(after, "P02")
    assert breach is not None and breach["points"] == -80
    assert breach["sources"][0]["kind"] == "违反信用承诺"
    assert after["score"] == before["score"] - 80
