"""The whole-graph evaluation as it runs at scale (issue 18): in batches, read set-based, scored
while the server reads the next batch and writes the previous one.

Rules (DOMAIN.md "Evaluation and graded supervision", README "Public credit comprehensive
evaluation"): however a run is cut into batches, every enterprise gets the grade, score and
explanation the single-subject path (`credithub evaluate --uscc`, a repair's re-evaluation)
gives it; runs are versioned, earlier evaluations stay as history and exactly one evaluation
per enterprise is current; an explanation keeps at most `max_sources` sources per indicator,
newest first, with how many more there are, and only what counts is counted. The fixture graph
is restored after the module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any, Final

import pytest

from graph.database import Database
from graph.evaluation.facts import Source
from graph.evaluation.model import default_model
from graph.evaluation.run import EvaluationSettings, RunSummary, evaluate_all, evaluate_subject
from graph.evaluation.scoring import FamilyResult, IndicatorResult, RuleHit, Scored
from graph.lifecycle.base import china_today
from graph.model import CreditGrade
from tests.fixtures import E1, E2, E3, E4, E5, load_fixture_graph

SMALL: Final = EvaluationSettings(batch_size=2)  # five fixture enterprises: three batches
BUSY: Final = "91410481MA9BATCH0X"  # an enterprise with more sources than an explanation keeps
FIXTURE: Final = [E1, E2, E3, E4, E5]


@pytest.fixture(scope="module", autouse=True)
async def busy_enterprise(db: Database) -> AsyncIterator[None]:
    """The fixture graph plus BUSY: seven licences in force and one expired, a department's
    voluntary record and a verified voluntary item, a red-list entry in force and one whose
    period has ended."""
    today = china_today()
    await db.write(
        "CREATE (e:Enterprise {uscc: $u, name: '舞钢市批次测试有限公司', status: 'ACTIVE', "
        "foundedOn: date('2015-03-01'), registeredCapital: 800}) "
        "WITH e UNWIND range(1, 7) AS i "
        "CREATE (:Record {uid: 'BATCH-LIC-' + i + '#v1', key: 'BATCH-LIC-' + i, version: 1, "
        "current: true, kind: 'LICENSE', title: '许可' + i, status: 'EFFECTIVE', "
        "decisionDate: date('2026-01-0' + i), publishFrom: $today - duration('P30D'), "
        "publishUntil: $today + duration('P1Y')})-[:HAS_SUBJECT]->(e)",
        {"u": BUSY, "today": today},
    )
    await db.write(
        "MATCH (e:Enterprise {uscc: $u}) "
        "CREATE (:Record {uid: 'BATCH-LIC-OLD#v1', key: 'BATCH-LIC-OLD', version: 1, "
        "current: true, kind: 'LICENSE', title: '已过公示期的许可', status: 'EFFECTIVE', "
        "decisionDate: date('2026-01-09'), publishFrom: $today - duration('P2Y'), "
        "publishUntil: $today - duration('P1D')})-[:HAS_SUBJECT]->(e) "
        "CREATE (:Record {uid: 'BATCH-VOL#v1', key: 'BATCH-VOL', version: 1, current: true, "
        "kind: 'VOLUNTARY', title: '部门登记的自愿信息', status: 'EFFECTIVE', "
        "decisionDate: date('2026-01-01'), publishFrom: $today - duration('P30D'), "
        "publishUntil: $today + duration('P1Y')})-[:HAS_SUBJECT]->(e) "
        "CREATE (:VoluntaryItem {id: 'BATCH-ITEM#v1', key: 'BATCH-ITEM', version: 1, "
        "current: true, title: '质量管理体系认证', verification: 'VERIFIED', "
        "registeredOn: date('2026-03-01')})-[:HAS_SUBJECT]->(e) "
        "CREATE (:ListEntry {id: 'BATCH-RED-1', listType: 'RED', listName: '守信激励对象名单', "
        "status: 'ACTIVE', decisionDate: date('2026-02-01'), "
        "effectiveUntil: $today + duration('P1Y')})-[:HAS_SUBJECT]->(e) "
        "CREATE (:ListEntry {id: 'BATCH-RED-0', listType: 'RED', listName: '守信激励对象名单', "
        "status: 'ACTIVE', decisionDate: date('2025-02-01'), "
        "effectiveUntil: $today - duration('P1D')})-[:HAS_SUBJECT]->(e)",
        {"u": BUSY, "today": today},
    )
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _current(db: Database) -> dict[str, dict[str, Any]]:
    found = await db.read(
        "MATCH (v:Evaluation {current: true})-[:EVALUATES]->(e:Enterprise) "
        "RETURN e.uscc AS uscc, v.runId AS runId, v.score AS score, v.grade AS grade, "
        "v.explanation AS explanation"
    )
    return {row["uscc"]: row for row in found}


def _indicator(explanation: str, code: str) -> dict[str, Any]:
    found = [i for i in json.loads(explanation)["indicators"] if i["code"] == code]
    assert len(found) == 1, f"{code} should apply once"
    indicator: dict[str, Any] = found[0]
    return indicator


async def _run(db: Database, today: date) -> RunSummary:
    return await evaluate_all(db, today=today, settings=SMALL)


async def test_a_run_in_small_batches_gives_what_the_single_subject_path_gives(
    db: Database,
) -> None:
    today = china_today()
    summary = await _run(db, today)
    assert summary.enterprises == len(FIXTURE) + 1
    stored = await _current(db)
    assert set(stored) == {*FIXTURE, BUSY}
    assert all(row["runId"] == summary.run_id for row in stored.values())
    for uscc in [*FIXTURE, BUSY]:
        single = await evaluate_subject(db, uscc, today=today, reason="批次核对")
        assert single is not None
        # The whole run reads related enterprises once from the black-listed end; the single
        # path walks from the subject: the same explanation, word for word.
        assert (stored[uscc]["grade"], stored[uscc]["score"]) == (single.grade.value, single.score)
        assert stored[uscc]["explanation"] == single.explanation(), uscc
    assert sum(summary.grade_counts.values()) == summary.enterprises
    # E2 shares its legal representative with the black-listed E1 (tests/fixtures.py).
    related = _indicator(stored[E2]["explanation"], "R01")
    assert related["value"] == 1 and [s["id"] for s in related["sources"]] == ["LE-1"]


async def test_sources_are_capped_newest_first_and_only_what_counts_is_counted(
    db: Database,
) -> None:
    await _run(db, china_today())
    explanation = (await _current(db))[BUSY]["explanation"]
    max_sources = default_model().max_sources
    licences = _indicator(explanation, "L01")
    assert licences["value"] == 7, "the licence past its publication window does not count"
    assert [s["id"] for s in licences["sources"]] == [
        f"BATCH-LIC-{i}#v1" for i in range(7, 7 - max_sources, -1)
    ]
    assert licences["moreSources"] == 7 - max_sources
    assert {s["kind"] for s in licences["sources"]} == {"行政许可"}
    voluntary = _indicator(explanation, "V01")
    # The department's voluntary record and the verified item both count; records come first.
    assert voluntary["value"] == 2
    assert [s["id"] for s in voluntary["sources"]] == ["BATCH-VOL#v1", "BATCH-ITEM#v1"]
    red = _indicator(explanation, "H01")
    assert red["value"] == 1 and [s["id"] for s in red["sources"]] == ["BATCH-RED-1"]
    reports = _indicator(explanation, "A03")
    assert reports["value"] == len(reports["sources"]) and reports["sources"][0]["id"].startswith(
        f"{BUSY}#AR"
    ), "no annual report filed: each due year is missing, newest first"
    years = [int(s["id"].rsplit("#AR", 1)[1]) for s in reports["sources"]]
    assert years == sorted(years, reverse=True)


async def test_batched_runs_keep_history_and_one_current_evaluation_per_enterprise(
    db: Database,
) -> None:
    today = china_today()
    first = await _run(db, today)
    second = await _run(db, today + timedelta(days=1))
    per_enterprise = await db.read(
        "MATCH (e:Enterprise) "
        "OPTIONAL MATCH (v:Evaluation)-[:EVALUATES]->(e) "
        "RETURN e.uscc AS uscc, "
        "sum(CASE WHEN v.current THEN 1 ELSE 0 END) AS current, "
        "collect(DISTINCT v.runId) AS runs"
    )
    assert {row["uscc"] for row in per_enterprise} == {*FIXTURE, BUSY}
    for row in per_enterprise:
        assert row["current"] == 1, row
        assert {first.run_id, second.run_id} <= set(row["runs"]), "history kept"
    current = await _current(db)
    assert {row["runId"] for row in current.values()} == {second.run_id}
    linked = await db.read(
        "MATCH (run:EvaluationRun) WHERE run.id IN $ids "
        "OPTIONAL MATCH (v:Evaluation)-[:IN_RUN]->(run) "
        "RETURN run.id AS id, run.current AS current, run.enterprises AS enterprises, "
        "count(v) AS evaluations",
        {"ids": [first.run_id, second.run_id]},
    )
    by_id = {row["id"]: row for row in linked}
    assert by_id[first.run_id]["current"] is False and by_id[second.run_id]["current"] is True
    for run_id in (first.run_id, second.run_id):
        assert by_id[run_id]["evaluations"] == by_id[run_id]["enterprises"] == len(FIXTURE) + 1
    assert second.changed == 0 and second.first_evaluated == 0


def test_the_stored_explanation_is_exactly_the_json_of_its_parts() -> None:
    # Quotes, backslashes, control characters and Chinese must come out as json.dumps writes
    # them: the explanation is put together from pieces, and a reader parses it as JSON.
    awkward = 'say "hi" \\ back\tslash\n换行 \u2028 end'
    scored = Scored(
        uscc=BUSY,
        score=61.5,
        grade=CreditGrade.C,
        grade_by_score=CreditGrade.B,
        indicators=(
            IndicatorResult(
                "COMPLIANCE",
                "合规经营",
                "C01",
                awkward,
                3.0,
                -12.5,
                (Source("R-1#v1", "行政处罚", awkward), Source("R-2#v1", "行政处罚", "")),
                4,
            ),
            IndicatorResult("BASIC", "基础属性", "B01", "成立年限（年）", 11.0, 30.0, (), 0),
        ),
        families=(FamilyResult("COMPLIANCE", "合规经营", -12.5, -12.5),),
        rules=(RuleHit("X04", "存在严重失信行为", CreditGrade.C),),
    )
    expected = json.dumps(scored.explanation_data(), ensure_ascii=False, separators=(",", ":"))
    assert scored.explanation() == expected
    assert json.loads(scored.explanation())["indicators"][0]["sources"][0]["title"] == awkward
