"""Graded supervision with 双随机一公开 (五(二)), through the hub against the real graph.

The module adds 40 wholesale and retail enterprises (门类 F) with current evaluations as the
shared contract stores them — 10 A, 10 B, 10 C, 5 D and 5 without one (未评价) — and a roster
for 市场监管局 (four inspectors in post, one not) and 税务局 (two). Tasks are scoped to F, so
each stratum's size is known. The fixture graph is restored after the module.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from authz.identity import PUBLIC, OrgKind
from graph.database import Database
from graph.identifiers import make_uscc
from graph.lifecycle.base import china_today
from graph.publication import add_months
from graph.supervision.draw import plan_draw
from graph.supervision.policy import sampling_policy
from graph.supervision.roster import save_inspectors
from tests.conftest import ClientFor
from tests.fixtures import HOUSING, SAMR, TAX, load_fixture_graph
from tests.graphql import query
from tests.lifecycle import BANK_B1, MARKET, OFFICE, TAXATION, ask, notices_of, org, refused

GRADES = {"A": 10, "B": 10, "C": 10, "D": 5, "UNRATED": 5}
ENTERPRISES = {
    make_uscc("91", "410481", f"XP{grade[0]}{n:05d}"): grade
    for grade, count in GRADES.items()
    for n in range(count)
}
MARKET_ROSTER = [
    ("赵建国", "41048102T0001", True),
    ("钱丽", "41048102T0002", True),
    ("孙志红", "41048102T0003", True),
    ("李明", "41048102T0004", True),
    ("周退休", "41048102T0009", False),
]
TAX_ROSTER = [("吴税", "41048103T0001", True), ("郑务", "41048103T0002", True)]
ACTIVE_MARKET = {number for _, number, active in MARKET_ROSTER if active}
YEAR = china_today().year
SEED = 20261129

CREATE = """mutation($title: String!, $sectors: [String!], $year: Int,
                     $ratios: [SamplingRatioInput!], $department: String) {
  createInspectionTask(title: $title, sectors: $sectors, year: $year, ratios: $ratios,
                       department: $department) {
    id status ratios { grade ratio } } }"""
DRAW = """mutation($id: ID!, $seed: Int) {
  drawInspectionTask(taskId: $id, seed: $seed) {
    id status seed objectCount strata { grade population eligible planned drawn } } }"""
TASK = """query($id: ID!) {
  inspectionTask(id: $id) {
    id title status seed objectCount resultCount
    strata { grade population eligible planned drawn }
    objects(first: 100) { position uscc name inspectors { nameMasked certificateNumber }
                          outcome outcomeLabel findings inspectedOn recordKey } } }"""
RECORD = """mutation($id: ID!, $uscc: String!, $outcome: InspectionOutcome!, $on: Date!,
                     $inspectors: [String!]!, $findings: String, $deadline: Date,
                     $severity: SeverityTier) {
  recordInspectionResult(taskId: $id, uscc: $uscc, outcome: $outcome, inspectedOn: $on,
                         inspectors: $inspectors, findings: $findings,
                         rectificationDeadline: $deadline, rectificationSeverity: $severity) {
    recordKey publishFrom publishUntil outcomeLabel taskCompleted rectificationId } }"""
REPLAY = """query($id: ID!, $seed: Int) {
  replayInspectionDraw(taskId: $id, seed: $seed) {
    seed inputsUnchanged matchesRecorded objects { position uscc inspectors } } }"""

RATIOS: list[dict[str, Any]] = [
    {"grade": "A", "ratio": 0.05},
    {"grade": "B", "ratio": 0.1},
    {"grade": "C", "ratio": 0.21},
    {"grade": "D", "ratio": 0.61},
    {"grade": "UNRATED", "ratio": 0.05},
]


@pytest.fixture(scope="module")
async def city(db: Database) -> AsyncIterator[None]:
    """The F enterprises with their evaluations and the two rosters; restored afterwards."""
    await db.write(
        "CREATE (:EvaluationRun {id: 'RUN-SUP-TEST', startedAt: datetime(), "
        "finishedAt: datetime(), modelVersion: 'test', enterprises: $n, current: true})",
        {"n": len(ENTERPRISES)},
    )
    await db.write(
        "UNWIND $rows AS row "
        "CREATE (e:Enterprise {uscc: row.uscc, name: row.name, status: 'ACTIVE', "
        "industry: '批发和零售业'}) "
        "WITH e, row WHERE row.grade <> 'UNRATED' "
        "MATCH (run:EvaluationRun {id: 'RUN-SUP-TEST'}) "
        "CREATE (v:Evaluation {id: 'EV-' + row.uscc, runId: run.id, uscc: row.uscc, "
        "score: row.score, grade: row.grade, evaluatedOn: date(), current: true}) "
        "CREATE (v)-[:EVALUATES]->(e) CREATE (v)-[:IN_RUN]->(run)",
        {
            "rows": [
                {
                    "uscc": uscc,
                    "name": f"舞钢市抽查商贸{i:02d}有限公司",
                    "grade": grade,
                    "score": 90.0 - 10 * i / len(ENTERPRISES),
                }
                for i, (uscc, grade) in enumerate(ENTERPRISES.items())
            ]
        },
    )
    assert await save_inspectors(db, SAMR, MARKET_ROSTER) == len(MARKET_ROSTER)
    assert await save_inspectors(db, TAX, TAX_ROSTER) == len(TAX_ROSTER)
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _create(client_for: ClientFor, title: str, **variables: Any) -> str:
    data = await ask(
        client_for,
        MARKET,
        CREATE,
        title=title,
        sectors=variables.pop("sectors", ["F"]),
        year=YEAR,
        ratios=variables.pop("ratios", RATIOS),
        **variables,
    )
    return str(data["createInspectionTask"]["id"])


@pytest.fixture(scope="module")
async def first_task(city: None, client_for: ClientFor) -> dict[str, Any]:
    """市场监管局's first task of the year over F, drawn from SEED."""
    task_id = await _create(client_for, "批发零售经营主体登记事项抽查")
    drawn = await ask(client_for, MARKET, DRAW, id=task_id, seed=SEED)
    return dict(drawn["drawInspectionTask"])


@pytest.fixture(scope="module")
async def second_task(first_task: dict[str, Any], client_for: ClientFor) -> dict[str, Any]:
    """A second task over the same scope later in the year, with another seed."""
    task_id = await _create(client_for, "批发零售食品安全抽查")
    drawn = await ask(client_for, MARKET, DRAW, id=task_id, seed=SEED + 1)
    return dict(drawn["drawInspectionTask"])


async def _objects(client_for: ClientFor, task_id: str, who: Any = MARKET) -> list[Any]:
    data = await ask(client_for, who, TASK, id=task_id)
    return list(data["inspectionTask"]["objects"])


# -- the ratios -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grade", "ratio"),
    [("A", 0.06), ("B", 0.04), ("B", 0.25), ("C", 0.2), ("C", 0.61), ("D", 0.6), ("D", 0.0)],
)
async def test_a_ratio_outside_its_grades_band_is_refused(
    city: None, client_for: ClientFor, grade: str, ratio: float
) -> None:
    error = await refused(
        client_for,
        MARKET,
        CREATE,
        title="越界比例",
        sectors=["F"],
        year=YEAR,
        ratios=[{"grade": grade, "ratio": ratio}],
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert f"ratios.{grade}" in error["message"]


async def test_a_zero_ratio_is_refused_because_no_grade_is_exempt(
    city: None, client_for: ClientFor
) -> None:
    error = await refused(
        client_for, MARKET, CREATE, title="免检", year=YEAR, ratios=[{"grade": "A", "ratio": 0}]
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "不免检" in error["message"]


async def test_ratios_at_the_edges_of_the_bands_are_accepted_and_defaults_fill_the_rest(
    city: None, client_for: ClientFor
) -> None:
    data = await ask(
        client_for,
        MARKET,
        CREATE,
        title="边界比例",
        sectors=["F"],
        year=YEAR,
        ratios=[{"grade": "B", "ratio": 0.05}, {"grade": "D", "ratio": 1.0}],
    )
    ratios = {r["grade"]: r["ratio"] for r in data["createInspectionTask"]["ratios"]}
    assert ratios == {"A": 0.03, "B": 0.05, "C": 0.3, "D": 1.0, "UNRATED": 0.1}


# -- the draw ---------------------------------------------------------------------------------
async def test_every_grade_stratum_is_sampled_with_its_ratio_the_fraction_drawn_at_random(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    # ⌊n·r⌋ and one more with probability n·r − ⌊n·r⌋ (graph/supervision/draw.py): the
    # expected frequency is the band's, never rounded up to "at least one" (issue 16, 12).
    strata = {s["grade"]: s for s in first_task["strata"]}
    ratios = {r["grade"]: r["ratio"] for r in RATIOS}
    for grade, size in GRADES.items():
        exact = round(size * ratios[grade], 9)
        assert strata[grade]["population"] == size
        assert strata[grade]["planned"] in {math.floor(exact), math.ceil(exact)}, grade
        assert strata[grade]["drawn"] == strata[grade]["planned"], grade
    drawn = [ENTERPRISES[o["uscc"]] for o in await _objects(client_for, first_task["id"])]
    assert {g: drawn.count(g) for g in GRADES} == {g: strata[g]["planned"] for g in GRADES}
    assert first_task["objectCount"] == len(drawn) and first_task["seed"] == SEED


async def test_an_a_or_b_enterprise_drawn_this_year_is_not_drawn_again_this_year(
    first_task: dict[str, Any], second_task: dict[str, Any], client_for: ClientFor
) -> None:
    first = {o["uscc"] for o in await _objects(client_for, first_task["id"])}
    second = {o["uscc"] for o in await _objects(client_for, second_task["id"])}
    strata = {s["grade"]: s for s in second_task["strata"]}
    assert strata["A"]["eligible"] == 9 and strata["B"]["eligible"] == 9
    assert strata["C"]["eligible"] == 10 and strata["D"]["eligible"] == 5
    for grade in ("A", "B"):
        again = {u for u in first & second if ENTERPRISES[u] == grade}
        assert again == set(), grade


async def test_the_recorded_seed_replays_the_same_objects_and_inspectors(
    first_task: dict[str, Any], second_task: dict[str, Any], client_for: ClientFor
) -> None:
    recorded = await _objects(client_for, first_task["id"])
    data = await ask(client_for, OFFICE, REPLAY, id=first_task["id"])
    replay = data["replayInspectionDraw"]
    assert replay["seed"] == SEED and replay["inputsUnchanged"] and replay["matchesRecorded"]
    assert [(o["uscc"], o["inspectors"]) for o in replay["objects"]] == [
        (o["uscc"], [i["certificateNumber"] for i in o["inspectors"]]) for o in recorded
    ]


async def test_another_seed_gives_another_draw(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    data = await ask(client_for, MARKET, REPLAY, id=first_task["id"], seed=SEED + 7)
    replay = data["replayInspectionDraw"]
    assert replay["inputsUnchanged"] and not replay["matchesRecorded"]
    recorded = await _objects(client_for, first_task["id"])
    assert [o["uscc"] for o in replay["objects"]] != [o["uscc"] for o in recorded]
    # The ratios still decide how many of each grade, up to each stratum's fraction.
    ratios = {r["grade"]: r["ratio"] for r in RATIOS}
    exact = [round(size * ratios[grade], 9) for grade, size in GRADES.items()]
    fewest, most = sum(map(math.floor, exact)), sum(map(math.ceil, exact))
    assert fewest <= len(replay["objects"]) <= most and fewest <= len(recorded) <= most


async def test_a_task_is_drawn_once(first_task: dict[str, Any], client_for: ClientFor) -> None:
    error = await refused(client_for, MARKET, DRAW, id=first_task["id"], seed=1)
    assert error["extensions"]["code"] == "WRONG_STATE"


async def test_two_draws_of_one_task_at_the_same_moment_draw_it_once(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    """Two clicks, or two hub processes: the draws take turns, the second finds it drawn."""
    task_id = await _create(client_for, "批发零售价格行为抽查")
    async with client_for(MARKET) as http:
        answers = await asyncio.gather(
            *(
                http.post("/graphql", json={"query": DRAW, "variables": {"id": task_id, "seed": s}})
                for s in (SEED + 20, SEED + 21)
            )
        )
    bodies = [answer.json() for answer in answers]
    drawn = [b for b in bodies if "errors" not in b]
    refusals = [b["errors"][0]["extensions"]["code"] for b in bodies if "errors" in b]
    assert len(drawn) == 1 and refusals == ["WRONG_STATE"], bodies
    objects = await _objects(client_for, task_id)
    assert len(objects) == drawn[0]["data"]["drawInspectionTask"]["objectCount"]


async def test_inspectors_come_from_the_tasks_department_in_post_and_differ_per_object(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    for o in await _objects(client_for, first_task["id"]):
        numbers = [i["certificateNumber"] for i in o["inspectors"]]
        assert len(numbers) == len(set(numbers)) == 2
        assert set(numbers) <= ACTIVE_MARKET, numbers
        assert all("*" in i["nameMasked"] for i in o["inspectors"])


async def test_only_the_organising_department_draws_and_a_bank_plans_nothing(
    city: None, client_for: ClientFor
) -> None:
    task_id = await _create(client_for, "他部门不得抽取")
    error = await refused(client_for, TAXATION, DRAW, id=task_id, seed=1)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(client_for, BANK_B1, CREATE, title="银行", year=YEAR)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(client_for, TAXATION, REPLAY, id=task_id)
    assert error["extensions"]["code"] == "FORBIDDEN"


# -- 一公开 ------------------------------------------------------------------------------------
async def test_the_public_sees_the_task_objects_and_inspectors_but_no_grade_or_stratum(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    async with client_for(PUBLIC) as http:
        response = await http.post(
            "/graphql", json={"query": TASK, "variables": {"id": first_task["id"]}}
        )
        body = response.json()
        assert "errors" not in body, body
        task = body["data"]["inspectionTask"]
        assert task["seed"] is None and task["strata"] is None
        assert len(task["objects"]) == first_task["objectCount"] > 0
        assert all(len(o["inspectors"]) == 2 for o in task["objects"])
        # The schema has no field that could carry a drawn object's grade.
        for field in ("grade", "stratum"):
            answer = await http.post(
                "/graphql",
                json={
                    "query": f'{{ inspectionTask(id: "{first_task["id"]}") '
                    f"{{ objects {{ uscc {field} }} }} }}"
                },
            )
            assert answer.json()["errors"]
        page = await http.get(f"/inspections/{first_task['id']}")
        listing = await http.get("/inspections")
    assert page.status_code == 200 and listing.status_code == 200
    for o in task["objects"]:
        assert o["uscc"] in page.text and o["name"] in page.text
    assert "批发零售经营主体登记事项抽查" in listing.text
    raw = json.dumps(body, ensure_ascii=False)
    assert "population" not in raw and "eligible" not in raw
    for label in ("A（优）", "B（良）", "C（中）", "D（差）"):
        # The ratios per grade are policy; no per-object grade may appear next to a name.
        assert page.text.count(label) == 1, label


async def test_the_drawing_department_and_the_office_see_the_counts_per_grade(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    for who in (MARKET, OFFICE):
        task = (await ask(client_for, who, TASK, id=first_task["id"]))["inspectionTask"]
        assert task["seed"] == SEED and len(task["strata"]) == 5
    other = (await ask(client_for, TAXATION, TASK, id=first_task["id"]))["inspectionTask"]
    assert other["seed"] is None and other["strata"] is None


# -- results ----------------------------------------------------------------------------------
async def test_a_result_becomes_an_inspection_record_the_public_sees_within_its_window(
    first_task: dict[str, Any], client_for: ClientFor, db: Database
) -> None:
    [target, *_] = await _objects(client_for, first_task["id"])
    today = china_today()
    done = (
        await ask(
            client_for,
            MARKET,
            RECORD,
            id=first_task["id"],
            uscc=target["uscc"],
            outcome="NO_PROBLEM",
            on=today.isoformat(),
            inspectors=[target["inspectors"][0]["certificateNumber"]],
        )
    )["recordInspectionResult"]
    assert done["publishFrom"] == today.isoformat()
    assert done["publishUntil"] == add_months(today, 12).isoformat()
    records = """query($uscc: String!) { enterprise(uscc: $uscc) {
      records(kinds: [INSPECTION]) {
        totalCount edges { node { key kind title provider { code } } } }
    } }"""
    async with client_for(PUBLIC) as http:
        seen = (await query(http, records, uscc=target["uscc"]))["enterprise"]["records"]
        [node] = [e["node"] for e in seen["edges"]]
        assert node["key"] == done["recordKey"] and node["provider"]["code"] == SAMR
        assert node["title"] == "双随机抽查：未发现问题"
        public = (await query(http, TASK, id=first_task["id"]))["inspectionTask"]
        [shown] = [o for o in public["objects"] if o["uscc"] == target["uscc"]]
        assert shown["outcome"] == "NO_PROBLEM" and shown["recordKey"] == done["recordKey"]
        # When its window is over the result leaves the public view with its record.
        await db.write(
            "MATCH (r:Record {key: $key}) SET r.publishUntil = date($day)",
            {"key": done["recordKey"], "day": (today - timedelta(days=1)).isoformat()},
        )
        gone = (await query(http, records, uscc=target["uscc"]))["enterprise"]["records"]
        hidden = (await query(http, TASK, id=first_task["id"]))["inspectionTask"]
    assert gone["totalCount"] == 0
    [later] = [o for o in hidden["objects"] if o["uscc"] == target["uscc"]]
    assert later["outcome"] is None and later["findings"] is None
    mine = (await ask(client_for, MARKET, TASK, id=first_task["id"]))["inspectionTask"]
    assert any(o["outcome"] == "NO_PROBLEM" for o in mine["objects"])


async def test_a_problem_orders_rectification_and_tells_the_enterprise(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    target = (await _objects(client_for, first_task["id"]))[1]
    today = china_today()
    done = (
        await ask(
            client_for,
            MARKET,
            RECORD,
            id=first_task["id"],
            uscc=target["uscc"],
            outcome="RECTIFICATION_ORDERED",
            on=today.isoformat(),
            inspectors=[i["certificateNumber"] for i in target["inspectors"]],
            findings="未按规定明码标价",
            deadline=(today + timedelta(days=30)).isoformat(),
            severity="GENERAL",
        )
    )["recordInspectionResult"]
    assert done["rectificationId"] and done["outcomeLabel"] == "发现问题已责令整改"
    orders = await ask(
        client_for,
        MARKET,
        "query($s: String!) { rectifications(subject: $s) { findingKey severity } }",
        s=target["uscc"],
    )
    assert orders["rectifications"] == [{"findingKey": done["recordKey"], "severity": "GENERAL"}]
    told = await notices_of(client_for, org(OrgKind.ENTERPRISE, target["uscc"]))
    assert any(n["kind"] == "INSPECTION_RESULT" and n["ref"] for n in told)


async def test_another_department_cannot_record_results_on_this_task(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    target = (await _objects(client_for, first_task["id"]))[2]
    error = await refused(
        client_for,
        TAXATION,
        RECORD,
        id=first_task["id"],
        uscc=target["uscc"],
        outcome="NO_PROBLEM",
        on=china_today().isoformat(),
        inspectors=["41048103T0001"],
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_result_names_an_inspector_the_draw_assigned(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    target = (await _objects(client_for, first_task["id"]))[2]
    stranger = next(
        n for n in ACTIVE_MARKET if n not in {i["certificateNumber"] for i in target["inspectors"]}
    )
    error = await refused(
        client_for,
        MARKET,
        RECORD,
        id=first_task["id"],
        uscc=target["uscc"],
        outcome="NO_PROBLEM",
        on=china_today().isoformat(),
        inspectors=[stranger],
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and stranger in error["message"]


async def test_a_result_is_recorded_once_and_a_problem_needs_findings(
    first_task: dict[str, Any], client_for: ClientFor
) -> None:
    [first, _, third, *_] = await _objects(client_for, first_task["id"])
    numbers = [third["inspectors"][0]["certificateNumber"]]
    variables = {"id": first_task["id"], "on": china_today().isoformat()}
    error = await refused(
        client_for,
        MARKET,
        RECORD,
        uscc=third["uscc"],
        outcome="CASE_FILED",
        inspectors=numbers,
        **variables,
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "findings" in error["message"]
    error = await refused(
        client_for,
        MARKET,
        RECORD,
        uscc=first["uscc"],
        outcome="NO_PROBLEM",
        inspectors=[first["inspectors"][0]["certificateNumber"]],
        **variables,
    )
    assert error["extensions"]["code"] == "WRONG_STATE"


async def test_the_roster_is_public_with_masked_names_and_full_names_for_the_department(
    city: None, client_for: ClientFor
) -> None:
    document = """query($d: String!) { inspectors(department: $d) {
      name nameMasked certificateNumber active } }"""
    public = (await ask(client_for, PUBLIC, document, d=SAMR))["inspectors"]
    own = (await ask(client_for, MARKET, document, d=SAMR))["inspectors"]
    assert {i["certificateNumber"] for i in public} == {n for _, n, _ in MARKET_ROSTER}
    assert all(i["name"] is None and "*" in i["nameMasked"] for i in public)
    assert {i["name"] for i in own} == {name for name, _, _ in MARKET_ROSTER}


async def test_a_department_adds_an_inspector_to_its_own_roster_only(
    city: None, client_for: ClientFor, db: Database
) -> None:
    save = """mutation($name: String!, $n: String!) {
      saveInspector(name: $name, certificateNumber: $n) { nameMasked certificateNumber } }"""
    added = await ask(client_for, TAXATION, save, name="冯新人", n="41048103T0003")
    assert added["saveInspector"] == {"nameMasked": "冯**", "certificateNumber": "41048103T0003"}
    taken = await refused(client_for, TAXATION, save, name="冒名", n="41048102T0001")
    assert taken["extensions"]["code"] == "INVALID_ARGUMENT"
    [owner] = await db.read(
        "MATCH (i:Inspector {certificateNumber: '41048102T0001'}) RETURN i.department AS d"
    )
    assert owner["d"] == SAMR


async def test_a_draw_needs_enough_inspectors_in_post(city: None, client_for: ClientFor) -> None:
    data = await ask(
        client_for,
        OFFICE,
        """mutation($year: Int!, $d: String!) {
          createInspectionTask(title: "住建抽查", year: $year, department: $d) { id } }""",
        year=YEAR,
        d=HOUSING,
    )
    task_id = data["createInspectionTask"]["id"]
    error = await refused(
        client_for,
        OFFICE,
        """mutation($id: ID!, $d: String!) { drawInspectionTask(taskId: $id, department: $d)
                                              { id } }""",
        id=task_id,
        d=HOUSING,
    )
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"


async def test_every_mutation_is_an_audit_entry(first_task: dict[str, Any], db: Database) -> None:
    found = await db.read(
        "MATCH (e:AuditEntry) WHERE e.action IN ['create_inspection_task', "
        "'draw_inspection_task', 'record_inspection_result'] "
        "RETURN collect(DISTINCT e.action) AS actions"
    )
    assert set(found[0]["actions"]) >= {"create_inspection_task", "draw_inspection_task"}


async def test_a_task_period_lies_within_one_calendar_year(
    city: None, client_for: ClientFor
) -> None:
    error = await refused(
        client_for,
        MARKET,
        """mutation($from: Date!, $to: Date!) {
          createInspectionTask(title: "跨年", periodStart: $from, periodEnd: $to) { id } }""",
        **{"from": f"{YEAR}-12-01", "to": f"{YEAR + 1}-01-31"},
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "同一自然年度" in error["message"]


def test_the_published_order_of_drawn_objects_says_nothing_about_their_grades() -> None:
    # Strata are sampled in a fixed order; positions are then shuffled from the same seed, so
    # reading the public list top to bottom does not walk from A to D.
    policy = sampling_policy()
    population = {s: [f"{s}-{k:02d}" for k in range(20)] for s in ("A", "B", "C", "D")}
    plan = plan_draw(population, population, ["I1", "I2", "I3"], policy.ratios(None), 2, 20261129)
    in_order = [o.stratum for o in sorted(plan.objects, key=lambda o: o.position)]
    assert set(in_order) == {"A", "B", "C", "D"}
    assert in_order != sorted(in_order, key="ABCD".index)
    replay = plan_draw(population, population, ["I1", "I2", "I3"], policy.ratios(None), 2, 20261129)
    assert replay == plan, "the shuffle is part of the seeded draw"
