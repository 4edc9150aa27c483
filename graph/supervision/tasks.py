"""Inspection tasks in the graph: creating one, drawing it, replaying its draw, reading it.

``(:InspectionTask)-[:ORGANISED_BY]->(:Department)``; the draw adds one
``(:InspectionObject)-[:PART_OF]->(task)`` per drawn enterprise, ``-[:HAS_SUBJECT]->`` it, and
``(:Inspector)-[:INSPECTS {order}]->`` it for each assigned inspector. A task is drawn once, in
one write transaction that also records the seed, the hash of the draw's inputs, the per-stratum
counts and an `(:Event)`. The stratum of an object is stored on it (the draw's own record) but
no reader here returns it; the per-stratum counts are returned and the API shows them to the
credit office and the organising department only.

Frequency limits count draws of the task's calendar year (and, for `rest_years`, the years
before) across all tasks of all departments, as they stood when the task was drawn — which is
what lets `replay` rebuild the inputs of a past draw.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import neo4j
from neo4j.time import DateTime

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    NotResponsible,
    WrongState,
    add_event,
    new_id,
    required_text,
    rows,
    single,
)
from graph.locks import Job, hold
from graph.model import (
    CreditGrade,
    EnterpriseStatus,
    InspectionOutcome,
    InspectionTaskStatus,
    Label,
    Rel,
)
from graph.publication import current_version, record_published
from graph.supervision.draw import DrawPlan, StratumDraw, plan_draw
from graph.supervision.industries import industry_values, sector_letters
from graph.supervision.policy import STRATA, UNRATED, SamplingPolicy, sampling_policy
from graph.supervision.roster import roster_in

MAX_SEED: Final = 2**31 - 1
"""Seeds are GraphQL Ints (32-bit signed), so anyone can replay one through the API."""

MAX_INSPECTORS_PER_OBJECT: Final = 10


class NotTheOrganiser(NotResponsible):
    """Only the department that organises a task draws it and records its results."""

    def __init__(self, what: str, what_en: str) -> None:
        super().__init__(
            f"只有组织该抽查任务的部门可以{what} (only the task's department may {what_en})"
        )


@dataclass(frozen=True)
class InspectionTask:
    """A task as stored, with its department's name."""

    id: str
    title: str
    department: str
    department_name: str | None
    sectors: tuple[str, ...]
    period_start: date
    period_end: date
    ratios: dict[str, float]
    inspectors_per_object: int
    status: InspectionTaskStatus
    created_on: date
    drawn_on: date | None
    drawn_at: datetime | None
    seed: int | None
    input_hash: str | None
    strata: tuple[StratumDraw, ...]
    object_count: int
    result_count: int

    @property
    def year(self) -> int:
        """The calendar year the task's frequency limits count in."""
        return self.period_start.year

    @classmethod
    def of(cls, row: dict[str, Any]) -> InspectionTask:
        """From `_RETURN`'s columns."""
        t = row["t"]
        drawn_at = t.get("drawnAt")
        strata = json.loads(t["strata"]) if t.get("strata") else []
        return cls(
            id=t["id"],
            title=t["title"],
            department=t["department"],
            department_name=row["departmentName"],
            sectors=tuple(t.get("sectors") or ()),
            period_start=t["periodStart"].to_native(),
            period_end=t["periodEnd"].to_native(),
            ratios={k: float(v) for k, v in json.loads(t["ratios"]).items()},
            inspectors_per_object=int(t["inspectorsPerObject"]),
            status=InspectionTaskStatus.of(t["status"]),
            created_on=t["createdOn"].to_native(),
            drawn_on=t["drawnOn"].to_native() if t.get("drawnOn") else None,
            drawn_at=drawn_at.to_native() if isinstance(drawn_at, DateTime) else None,
            seed=t.get("seed"),
            input_hash=t.get("inputHash"),
            strata=tuple(StratumDraw(**s) for s in strata),
            object_count=int(t.get("objectCount") or 0),
            result_count=int(t.get("resultCount") or 0),
        )


@dataclass(frozen=True)
class AssignedInspector:
    """An inspector as 一公开 names them: masked name and 执法证号."""

    id: str
    name_masked: str
    certificate_number: str


@dataclass(frozen=True)
class InspectionObjectView:
    """One drawn enterprise with its inspectors and, once recorded, its result.

    `result_public` says whether the result's INSPECTION record is in its publication window
    and neither repaired nor revoked: only then may the public be shown the result.
    """

    position: int
    uscc: str
    name: str | None
    inspectors: tuple[AssignedInspector, ...]
    outcome: InspectionOutcome | None
    findings: str | None
    inspected_on: date | None
    record_key: str | None
    result_public: bool


_RETURN: Final = (
    "MATCH (t)-[:ORGANISED_BY]->(d:Department) "
    "RETURN properties(t) AS t, d.name AS departmentName, elementId(t) AS element"
)


def _period(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise InvalidInput("periodEnd", "结束日期早于开始日期 (the period ends before it starts)")
    if start.year != end.year:
        raise InvalidInput(
            "periodEnd",
            "抽查期间应在同一自然年度内：抽查频次按年度计算 "
            "(a task's period lies within one calendar year: frequencies count per year)",
        )
    return start, end


async def create_task(
    db: Database,
    actor: Actor,
    department: str,
    *,
    title: str,
    sectors: list[str] | None,
    period_start: date,
    period_end: date,
    ratios: Mapping[str, float] | None,
    inspectors_per_object: int | None,
    today: date,
    policy: SamplingPolicy | None = None,
) -> InspectionTask:
    """Plan a task for `department`; ratios outside their grade's band are refused."""
    policy = policy or sampling_policy()
    name = required_text("title", title, max_length=200)
    letters = sector_letters(sectors)
    start, end = _period(period_start, period_end)
    if end < today:
        raise InvalidInput("periodEnd", "抽查期间已经结束 (the period is over)")
    checked = policy.ratios(ratios)
    per_object = (
        policy.inspectors_per_object if inspectors_per_object is None else (inspectors_per_object)
    )
    if not 1 <= per_object <= MAX_INSPECTORS_PER_OBJECT:
        raise InvalidInput(
            "inspectorsPerObject",
            f"每个检查对象应配备1至{MAX_INSPECTORS_PER_OBJECT}名执法检查人员 "
            "(between 1 and 10 inspectors per object)",
        )
    task_id = new_id("INS")

    async def work(tx: neo4j.AsyncManagedTransaction) -> InspectionTask:
        created = await single(
            tx,
            "MATCH (d:Department {code: $department}) "
            "CREATE (t:InspectionTask {id: $id, title: $title, department: $department, "
            "sectors: $sectors, periodStart: date($start), periodEnd: date($end), year: $year, "
            "ratios: $ratios, inspectorsPerObject: $perObject, status: $status, "
            "createdOn: date($today), createdAt: datetime(), createdBy: $who, "
            "objectCount: 0, resultCount: 0}) "
            "CREATE (t)-[:ORGANISED_BY]->(d) WITH t " + _RETURN,
            {
                "department": department,
                "id": task_id,
                "title": name,
                "sectors": list(letters),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "year": start.year,
                "ratios": json.dumps(checked, sort_keys=True),
                "perObject": per_object,
                "status": InspectionTaskStatus.PLANNED.value,
                "today": today.isoformat(),
                "who": actor.subject,
            },
        )
        if created is None:
            raise NotFound("部门", department)
        await add_event(
            tx,
            actor,
            "INSPECTION_TASK_CREATED",
            [created["element"]],
            today=today,
            to_state=InspectionTaskStatus.PLANNED.value,
            reason=name,
            detail={"sectors": list(letters), "ratios": checked, "perObject": per_object},
        )
        return InspectionTask.of(created)

    return await db.write_transaction(work)


async def task_in(tx: neo4j.AsyncManagedTransaction, task_id: str) -> tuple[InspectionTask, str]:
    """The task and its element id, inside a transaction; NotFound when there is none."""
    found = await single(
        tx, "MATCH (t:InspectionTask {id: $id}) WITH t " + _RETURN, {"id": task_id}
    )
    if found is None:
        raise NotFound("抽查任务", task_id)
    return InspectionTask.of(found), found["element"]


# Each active enterprise in scope with its current grade and the years it was drawn in by
# other tasks before `asOf` (only the years the frequency limits look at).
_CANDIDATES: Final = (
    f"MATCH (e:{Label.ENTERPRISE} {{status: '{EnterpriseStatus.ACTIVE}'}}) "
    "WHERE size($industries) = 0 OR e.industry IN $industries "
    f"WITH e, head(COLLECT {{ MATCH (v:{Label.EVALUATION})-[:{Rel.EVALUATES}]->(e) "
    f"  WHERE {current_version('v')} RETURN v.grade }}) AS grade "
    "RETURN e.uscc AS uscc, CASE WHEN grade IN $grades THEN grade ELSE $unrated END AS stratum, "
    "COLLECT { MATCH (e)<-[:HAS_SUBJECT]-(o:InspectionObject) "
    "  WHERE o.year >= $fromYear AND o.year <= $year AND o.taskId <> $task "
    "  AND o.drawnAt < $asOf RETURN o.year } AS drawnIn"
)


@dataclass(frozen=True)
class _Inputs:
    population: dict[str, list[str]]
    eligible: dict[str, list[str]]


Run = Callable[[str, dict[str, Any]], Awaitable[list[dict[str, Any]]]]
"""Runs one read statement: inside the draw's transaction, or on its own for a replay."""


async def _inputs(
    run: Run,
    task: InspectionTask,
    as_of: datetime,
    policy: SamplingPolicy,
) -> _Inputs:
    rest = max(policy.rule(s).rest_years for s in STRATA)
    found = await run(
        _CANDIDATES,
        {
            "industries": industry_values(task.sectors),
            "grades": [g.value for g in CreditGrade],
            "unrated": UNRATED,
            "fromYear": task.year - rest,
            "year": task.year,
            "task": task.id,
            "asOf": as_of,
        },
    )
    population: dict[str, list[str]] = {s: [] for s in STRATA}
    eligible: dict[str, list[str]] = {s: [] for s in STRATA}
    for row in found:
        stratum, years = row["stratum"], row["drawnIn"]
        population[stratum].append(row["uscc"])
        rule = policy.rule(stratum)
        this_year = sum(1 for y in years if y == task.year)
        if rule.max_draws_per_year is not None and this_year >= rule.max_draws_per_year:
            continue
        if any(task.year - rule.rest_years <= y < task.year for y in years):
            continue
        eligible[stratum].append(row["uscc"])
    return _Inputs(population, eligible)


_WRITE_OBJECTS: Final = (
    "MATCH (t:InspectionTask {id: $task}) "
    "UNWIND $objects AS row "
    "MATCH (e:Enterprise {uscc: row.uscc}) "
    "CREATE (o:InspectionObject {id: $task + '-' + toString(row.position), taskId: $task, "
    "position: row.position, uscc: row.uscc, stratum: row.stratum, year: $year, "
    "department: $department, drawnAt: $drawnAt}) "
    "CREATE (o)-[:PART_OF]->(t) CREATE (o)-[:HAS_SUBJECT]->(e) "
    "WITH o, row "
    "UNWIND range(0, size(row.inspectors) - 1) AS k "
    "MATCH (i:Inspector {id: row.inspectors[k]}) "
    "CREATE (i)-[:INSPECTS {order: k + 1}]->(o) "
    "RETURN count(*) AS assigned"
)


async def draw_task(
    db: Database,
    actor: Actor,
    department: str,
    task_id: str,
    *,
    seed: int | None,
    today: date,
    policy: SamplingPolicy | None = None,
) -> InspectionTask:
    """Draw the task's objects and inspectors from `seed` (a fresh random one when None) and
    record the draw. Only the organising department, only once."""
    policy = policy or sampling_policy()
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidInput("seed", f"随机种子应在0至{MAX_SEED}之间 (0 … 2^31-1)")
    # Chosen outside the transaction: a retried transaction must draw from the same seed.
    chosen = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    drawn_at = datetime.now(UTC)

    async def work(tx: neo4j.AsyncManagedTransaction) -> InspectionTask:
        # Draws wait for each other: the same task is drawn once, and a draw of another task
        # at the same moment sees this one's objects in the frequency limits.
        await hold(tx, Job.INSPECTION_DRAW)
        task, element = await task_in(tx, task_id)
        if task.department != department:
            raise NotTheOrganiser("抽取检查对象", "draw it")
        if task.status is not InspectionTaskStatus.PLANNED:
            raise WrongState(f"抽查任务 {task.id} 已抽取，不能重新抽取 (already drawn)")
        inputs = await _inputs(lambda c, p: rows(tx, c, p), task, drawn_at, policy)
        if not any(inputs.population.values()):
            raise MissingRequirement(
                "抽查范围内没有存续的市场主体 (no active enterprise in the task's sectors)"
            )
        inspectors = [i.id for i in await roster_in(tx, department)]
        if len(inspectors) < task.inspectors_per_object:
            raise MissingRequirement(
                f"执法检查人员名录中在岗人员{len(inspectors)}名，少于每个对象所需的"
                f"{task.inspectors_per_object}名 (the department's active roster is too small)"
            )
        plan = plan_draw(
            inputs.population,
            inputs.eligible,
            inspectors,
            task.ratios,
            task.inspectors_per_object,
            chosen,
        )
        await tx.run(
            _WRITE_OBJECTS,
            {
                "task": task.id,
                "year": task.year,
                "department": department,
                "drawnAt": drawn_at,
                "objects": [
                    {
                        "position": o.position,
                        "uscc": o.uscc,
                        "stratum": o.stratum,
                        "inspectors": list(o.inspectors),
                    }
                    for o in plan.objects
                ],
            },
        )
        updated = await single(
            tx,
            "MATCH (t:InspectionTask {id: $id}) "
            "SET t.status = $status, t.seed = $seed, t.inputHash = $hash, t.strata = $strata, "
            "t.roster = $roster, t.drawnAt = $drawnAt, t.drawnOn = date($today), "
            "t.drawnBy = $who, t.objectCount = $count "
            "WITH t " + _RETURN,
            {
                "id": task.id,
                "status": InspectionTaskStatus.DRAWN.value,
                "seed": chosen,
                "hash": plan.input_hash,
                "strata": json.dumps([s.__dict__ for s in plan.strata]),
                "roster": inspectors,
                "drawnAt": drawn_at,
                "today": today.isoformat(),
                "who": actor.subject,
                "count": len(plan.objects),
            },
        )
        assert updated is not None
        await add_event(
            tx,
            actor,
            "INSPECTION_DRAWN",
            [element],
            today=today,
            from_state=InspectionTaskStatus.PLANNED.value,
            to_state=InspectionTaskStatus.DRAWN.value,
            detail={"seed": chosen, "inputHash": plan.input_hash, "objects": len(plan.objects)},
        )
        return InspectionTask.of(updated)

    return await db.write_transaction(work)


@dataclass(frozen=True)
class Replay:
    """A draw recomputed from the task's recorded inputs and a seed."""

    plan: DrawPlan
    inputs_unchanged: bool
    matches_recorded: bool


async def replay(
    db: Database, task_id: str, *, seed: int | None = None, policy: SamplingPolicy | None = None
) -> Replay:
    """Recompute a drawn task's draw: the enterprises in scope and their grades now, the draws
    of other tasks before this one, the roster recorded at the draw, and `seed` (the recorded
    one by default). Says whether the inputs are still those of the draw and whether the result
    equals the recorded objects and inspectors."""
    policy = policy or sampling_policy()

    found = await db.read(
        "MATCH (t:InspectionTask {id: $id}) WITH t " + _RETURN + ", t.roster AS roster",
        {"id": task_id},
    )
    if not found:
        raise NotFound("抽查任务", task_id)
    drawn_task = InspectionTask.of(found[0])
    if drawn_task.drawn_at is None or drawn_task.seed is None:
        raise WrongState(f"抽查任务 {task_id} 尚未抽取 (not drawn yet)")
    inputs = await _inputs(db.read, drawn_task, drawn_task.drawn_at, policy)
    plan = plan_draw(
        inputs.population,
        inputs.eligible,
        list(found[0]["roster"]),
        drawn_task.ratios,
        drawn_task.inspectors_per_object,
        drawn_task.seed if seed is None else seed,
    )
    recorded = await db.read(
        "MATCH (o:InspectionObject {taskId: $id}) "
        "RETURN o.position AS position, o.uscc AS uscc, "
        "COLLECT { MATCH (i:Inspector)-[a:INSPECTS]->(o) RETURN i.id ORDER BY a.order } "
        "AS inspectors ORDER BY position",
        {"id": task_id},
    )
    drawn = [(o.position, o.uscc, list(o.inspectors)) for o in plan.objects]
    stored = [(r["position"], r["uscc"], list(r["inspectors"])) for r in recorded]
    return Replay(
        plan=plan,
        inputs_unchanged=plan.input_hash == drawn_task.input_hash,
        matches_recorded=drawn == stored,
    )


# -- reading ------------------------------------------------------------------------------------
async def task(db: Database, task_id: str) -> InspectionTask | None:
    """One task, or None."""
    found = await db.read("MATCH (t:InspectionTask {id: $id}) WITH t " + _RETURN, {"id": task_id})
    return InspectionTask.of(found[0]) if found else None


async def tasks(
    db: Database,
    *,
    year: int | None,
    department: str | None,
    first: int,
    offset: int,
) -> tuple[int, list[InspectionTask]]:
    """Tasks newest first, optionally of one year or department: the total and one page."""
    params = {"year": year, "department": department, "first": first, "offset": offset}
    counted = await db.read(
        "MATCH (t:InspectionTask) WHERE ($year IS NULL OR t.year = $year) "
        "AND ($department IS NULL OR t.department = $department) RETURN count(t) AS total",
        params,
    )
    found = await db.read(
        "MATCH (t:InspectionTask) WHERE ($year IS NULL OR t.year = $year) "
        "AND ($department IS NULL OR t.department = $department) "
        "WITH t ORDER BY t.createdAt DESC, t.id SKIP $offset LIMIT $first " + _RETURN,
        params,
    )
    return int(counted[0]["total"]), [InspectionTask.of(row) for row in found]


_OBJECTS: Final = (
    "MATCH (o:InspectionObject {taskId: $task})-[:HAS_SUBJECT]->(e:Enterprise) "
    "WITH o, e ORDER BY o.position SKIP $offset LIMIT $first "
    f"OPTIONAL MATCH (r:{Label.RECORD} {{key: o.recordKey}}) WHERE {current_version('r')} "
    "RETURN o.position AS position, e.uscc AS uscc, e.name AS name, o.outcome AS outcome, "
    "o.findings AS findings, o.inspectedOn AS inspectedOn, o.recordKey AS recordKey, "
    # The public row rule of records ('published'), so a result leaves the public view with
    # its record: window over, repaired or revoked.
    f"r IS NOT NULL AND {record_published('r', 'date($today)')} AS published, "
    "COLLECT { MATCH (i:Inspector)-[a:INSPECTS]->(o) "
    "  RETURN {id: i.id, nameMasked: i.nameMasked, certificateNumber: i.certificateNumber} "
    "  AS inspector ORDER BY a.order } AS inspectors "
    "ORDER BY position"
)


async def objects(
    db: Database, task_id: str, *, first: int, offset: int, today: date
) -> list[InspectionObjectView]:
    """A page of the task's drawn objects in draw order, with inspectors and results."""
    found = await db.read(
        _OBJECTS, {"task": task_id, "first": first, "offset": offset, "today": today.isoformat()}
    )
    return [
        InspectionObjectView(
            position=row["position"],
            uscc=row["uscc"],
            name=row["name"],
            inspectors=tuple(
                AssignedInspector(i["id"], i["nameMasked"], i["certificateNumber"])
                for i in row["inspectors"]
            ),
            outcome=InspectionOutcome.of(row["outcome"]) if row["outcome"] else None,
            findings=row["findings"],
            inspected_on=row["inspectedOn"].to_native() if row["inspectedOn"] else None,
            record_key=row["recordKey"],
            result_public=bool(row["published"]),
        )
        for row in found
    ]
