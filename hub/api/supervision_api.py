"""The API of graded supervision with 双随机一公开 (五(二)): tasks, the draw, results, roster.

Anyone reads tasks, their drawn objects, the inspectors (masked names and 执法证号) and the
results whose INSPECTION record is public (一公开). The seed and the per-grade counts of a draw
are shown only to the credit office and the organising department — no one is ever shown the
grade or stratum of a drawn enterprise. The catalogue's `operations.manageInspections` lets
departments plan, draw and record for themselves (the credit office by naming one);
graph/supervision/ enforces the rest (the organising department only, bands, frequency limits).
"""

from __future__ import annotations

import datetime

import strawberry

from authz import policy
from authz.policy import Subject
from graph.model import InspectionOutcome, InspectionTaskStatus, SeverityTier
from graph.supervision import results, roster, tasks
from graph.supervision.industries import sector_label
from graph.supervision.policy import STRATA, STRATUM_LABELS
from hub.api.lifecycle_support import acting_for, decide, require
from hub.api.query import GraphInfo
from hub.errors import Forbidden, InvalidArgument

COMPUTED_TYPES = (
    "SamplingRatio",
    "InspectionStratum",
    "AssignedInspector",
    "InspectionObject",
    "InspectionTask",
    "InspectionTaskPage",
    "InspectionResult",
    "ReplayedObject",
    "DrawReplay",
    "Inspector",
)
"""Types of this module: answered by graph/supervision/, not by the graph projection."""

OPERATION = "manageInspections"
MAX_PAGE = 100


DRAW_DETAILS = "readDrawDetails"
"""The catalogue operation behind a draw's seed, counts and unpublished results: the credit
office and the organising department (operations.readDrawDetails)."""

ROSTER_NAMES = "readRosterNames"
"""The catalogue operation behind inspectors' full names: the department itself and the
credit office (operations.readRosterNames)."""


async def _sees_draws(info: GraphInfo, found: list[tasks.InspectionTask]) -> list[bool]:
    """Whether the caller sees each task's draw in full (one policy question for the page)."""
    context = info.context
    decisions = await policy.decide_many(
        context.db,
        context.catalogue,
        context.consumer,
        DRAW_DETAILS,
        [Subject.task(t.id) for t in found],
        today=context.today(),
    )
    return [d.allowed for d in decisions]


def _page(first: int, offset: int) -> tuple[int, int]:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidArgument("first", f"1 … {MAX_PAGE}")
    if offset < 0:
        raise InvalidArgument("offset", "must not be negative")
    return first, offset


@strawberry.type(description="The sampling ratio a task applies to one credit grade")
class SamplingRatio:
    grade: str = strawberry.field(description="A, B, C, D or UNRATED (未评价)")
    label: str
    ratio: float = strawberry.field(description="Share of the stratum drawn, 0 … 1")


@strawberry.type(description="How one grade's stratum was sampled: office and organiser only")
class InspectionStratum:
    grade: str
    label: str
    population: int = strawberry.field(description="Active enterprises in scope with this grade")
    eligible: int = strawberry.field(description="Those the frequency limits left drawable")
    ratio: float
    planned: int = strawberry.field(
        description="⌊ratio × population⌋, plus one with probability equal to the fraction "
        "(seeded): on average exactly ratio × population"
    )
    drawn: int


@strawberry.type(description="An inspector as 双随机一公开 names them")
class AssignedInspector:
    name_masked: str = strawberry.field(description="姓名(去标识化)")
    certificate_number: str = strawberry.field(description="执法证号")


@strawberry.type(description="One enterprise drawn for inspection, its inspectors and result")
class InspectionObject:
    position: int = strawberry.field(description="Place in the draw")
    uscc: str
    name: str | None
    inspectors: list[AssignedInspector]
    outcome: InspectionOutcome | None = strawberry.field(
        description="Shown to the public while its INSPECTION record is public"
    )
    outcome_label: str | None
    findings: str | None
    inspected_on: datetime.date | None
    record_key: str | None = strawberry.field(description="Key of its INSPECTION credit record")

    @classmethod
    def of(cls, view: tasks.InspectionObjectView, full: bool) -> InspectionObject:
        """The object; its result only when public or when the reader is entitled (`full`)."""
        show = view.outcome is not None and (full or view.result_public)
        return cls(
            position=view.position,
            uscc=view.uscc,
            name=view.name,
            inspectors=[
                AssignedInspector(
                    name_masked=i.name_masked, certificate_number=i.certificate_number
                )
                for i in view.inspectors
            ],
            outcome=view.outcome if show else None,
            outcome_label=view.outcome.label if show and view.outcome else None,
            findings=view.findings if show else None,
            inspected_on=view.inspected_on if show else None,
            record_key=view.record_key if show else None,
        )


@strawberry.type(description="A 双随机 inspection task (抽查任务), public with its draw")
class InspectionTask:
    id: strawberry.ID
    title: str
    department: str = strawberry.field(description="统一社会信用代码 of the organising department")
    department_name: str | None
    sectors: list[str] = strawberry.field(description="GB/T 4754 门类 letters; empty: all")
    sector_label: str
    period_start: datetime.date
    period_end: datetime.date
    year: int
    status: InspectionTaskStatus
    status_label: str
    ratios: list[SamplingRatio]
    inspectors_per_object: int
    created_on: datetime.date
    drawn_on: datetime.date | None
    object_count: int
    result_count: int
    seed: int | None = strawberry.field(
        description="The draw's recorded seed: the credit office and the organiser only"
    )
    strata: list[InspectionStratum] | None = strawberry.field(
        description="Per-grade counts of the draw: the credit office and the organiser only"
    )
    full: strawberry.Private[bool]

    @strawberry.field(description="The drawn enterprises in draw order, a page at a time")
    async def objects(
        self, info: GraphInfo, first: int = 50, offset: int = 0
    ) -> list[InspectionObject]:
        first, offset = _page(first, offset)
        context = info.context
        found = await tasks.objects(
            context.db, str(self.id), first=first, offset=offset, today=context.today()
        )
        context.subjects.update(o.uscc for o in found)
        return [InspectionObject.of(o, self.full) for o in found]

    @classmethod
    def of(cls, task: tasks.InspectionTask, full: bool) -> InspectionTask:
        """The task; its draw's seed and counts only when the reader is entitled (`full`)."""
        return cls(
            id=strawberry.ID(task.id),
            title=task.title,
            department=task.department,
            department_name=task.department_name,
            sectors=list(task.sectors),
            sector_label=sector_label(task.sectors),
            period_start=task.period_start,
            period_end=task.period_end,
            year=task.year,
            status=task.status,
            status_label=task.status.label,
            ratios=[
                SamplingRatio(grade=s, label=STRATUM_LABELS[s], ratio=task.ratios[s])
                for s in STRATA
            ],
            inspectors_per_object=task.inspectors_per_object,
            created_on=task.created_on,
            drawn_on=task.drawn_on,
            object_count=task.object_count,
            result_count=task.result_count,
            seed=task.seed if full else None,
            strata=[
                InspectionStratum(
                    grade=s.stratum,
                    label=STRATUM_LABELS[s.stratum],
                    population=s.population,
                    eligible=s.eligible,
                    ratio=s.ratio,
                    planned=s.planned,
                    drawn=s.drawn,
                )
                for s in task.strata
            ]
            if full
            else None,
            full=full,
        )


@strawberry.type(description="A page of inspection tasks")
class InspectionTaskPage:
    total_count: int
    tasks: list[InspectionTask]


@strawberry.type(description="A recorded inspection result and the credit record it made")
class InspectionResult:
    task_id: str
    uscc: str
    outcome: InspectionOutcome
    outcome_label: str
    findings: str
    inspected_on: datetime.date
    record_key: str = strawberry.field(description="Key of the INSPECTION credit record")
    publish_from: datetime.date | None
    publish_until: datetime.date | None
    inspectors: list[str] = strawberry.field(description="执法证号 of the inspectors named")
    task_completed: bool
    rectification_id: str | None = strawberry.field(
        description="The rectification order made with the result, if any"
    )


@strawberry.type(description="One object of a replayed draw")
class ReplayedObject:
    position: int
    uscc: str
    inspectors: list[str] = strawberry.field(description="执法证号 in drawn order")


@strawberry.type(description="A task's draw recomputed from its recorded inputs and a seed")
class DrawReplay:
    task_id: str
    seed: int
    inputs_unchanged: bool = strawberry.field(
        description="The enterprises in scope, their grades and earlier draws are as at the draw"
    )
    matches_recorded: bool = strawberry.field(
        description="Same objects and inspectors, in the same order, as recorded"
    )
    objects: list[ReplayedObject]


@strawberry.type(description="An inspector of a department's roster (执法检查人员名录)")
class Inspector:
    id: strawberry.ID
    name: str | None = strawberry.field(
        description="Full name: the inspector's own department and the credit office only"
    )
    name_masked: str
    certificate_number: str = strawberry.field(description="执法证号")
    department: str
    active: bool = strawberry.field(description="In post: only active inspectors are drawn")


def _certificate(inspector_id: str) -> str:
    return inspector_id.removeprefix("INSP-")


@strawberry.type
class SupervisionQuery:
    @strawberry.field(
        description="双随机 inspection tasks, newest first, optionally of one year or department "
        "(public: 一公开)"
    )
    async def inspection_tasks(
        self,
        info: GraphInfo,
        year: int | None = None,
        department: str | None = None,
        first: int = 20,
        offset: int = 0,
    ) -> InspectionTaskPage:
        first, offset = _page(first, offset)
        context = info.context
        total, found = await tasks.tasks(
            context.db,
            year=year,
            department=department.strip().upper() if department else None,
            first=first,
            offset=offset,
        )
        full = await _sees_draws(info, found)
        return InspectionTaskPage(
            total_count=total,
            tasks=[InspectionTask.of(t, f) for t, f in zip(found, full, strict=True)],
        )

    @strawberry.field(description="One inspection task with its draw (public: 一公开)")
    async def inspection_task(self, info: GraphInfo, id: strawberry.ID) -> InspectionTask | None:
        found = await tasks.task(info.context.db, str(id).strip())
        if found is None:
            return None
        [full] = await _sees_draws(info, [found])
        return InspectionTask.of(found, full)

    @strawberry.field(
        description="Recompute a task's draw from its recorded inputs and a seed (the recorded "
        "one by default): the credit office and the organising department"
    )
    async def replay_inspection_draw(
        self, info: GraphInfo, task_id: strawberry.ID, seed: int | None = None
    ) -> DrawReplay:
        context = info.context
        require(info, OPERATION)
        found = await tasks.task(context.db, str(task_id))
        if found is None or not (await _sees_draws(info, [found]))[0]:
            raise Forbidden(
                "只有信用管理部门和组织抽查的部门可以复核抽取过程 "
                "(the credit office and the organising department replay a draw)"
            )
        replayed = await tasks.replay(context.db, found.id, seed=seed)
        return DrawReplay(
            task_id=found.id,
            seed=replayed.plan.seed,
            inputs_unchanged=replayed.inputs_unchanged,
            matches_recorded=replayed.matches_recorded,
            objects=[
                ReplayedObject(
                    position=o.position,
                    uscc=o.uscc,
                    inspectors=[_certificate(i) for i in o.inspectors],
                )
                for o in replayed.plan.objects
            ],
        )

    @strawberry.field(
        description="A department's roster of inspectors (执法检查人员名录): public with masked "
        "names; full names for the department itself and the credit office"
    )
    async def inspectors(self, info: GraphInfo, department: str) -> list[Inspector]:
        code = department.strip().upper()
        full = (await decide(info, ROSTER_NAMES, Subject.organisation(code))).allowed
        found = await roster.roster(info.context.db, code)
        return [
            Inspector(
                id=strawberry.ID(i.id),
                name=i.name if full else None,
                name_masked=i.name_masked,
                certificate_number=i.certificate_number,
                department=i.department,
                active=i.active,
            )
            for i in found
        ]


def _period(
    year: int | None, start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    if year is not None and (start is not None or end is not None):
        raise InvalidArgument("year", "give a year or periodStart/periodEnd, not both")
    if year is not None:
        if not 2000 <= year <= 2100:
            raise InvalidArgument("year", "2000 … 2100")
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if start is None or end is None:
        raise InvalidArgument("periodStart", "give a year, or both periodStart and periodEnd")
    return start, end


@strawberry.input(description="A sampling ratio for one grade (A, B, C, D or UNRATED)")
class SamplingRatioInput:
    grade: str
    ratio: float


@strawberry.type
class SupervisionMutation:
    @strawberry.mutation(
        description="Plan a 双随机 inspection task for your department (the credit office: "
        "naming one). Ratios not given take the policy's defaults; a ratio outside its grade's "
        "band, or zero, is refused."
    )
    async def create_inspection_task(
        self,
        info: GraphInfo,
        title: str,
        sectors: list[str] | None = None,
        year: int | None = None,
        period_start: datetime.date | None = None,
        period_end: datetime.date | None = None,
        ratios: list[SamplingRatioInput] | None = None,
        inspectors_per_object: int | None = None,
        department: str | None = None,
    ) -> InspectionTask:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        start, end = _period(year, period_start, period_end)
        given: dict[str, float] = {}
        for item in ratios or []:
            grade = item.grade.strip().upper()
            if grade in given:
                raise InvalidArgument("ratios", f"grade {grade} given twice")
            given[grade] = item.ratio
        created = await tasks.create_task(
            context.db,
            actor,
            organisation,
            title=title,
            sectors=sectors,
            period_start=start,
            period_end=end,
            ratios=given,
            inspectors_per_object=inspectors_per_object,
            today=context.today(),
        )
        context.audit_action("create_inspection_task", subjects=set(), detail=created.id)
        return InspectionTask.of(created, (await _sees_draws(info, [created]))[0])

    @strawberry.mutation(
        description="Draw the task's objects and inspectors at random from `seed` (a fresh "
        "random seed when not given), recorded on the task so the draw can be replayed. Once."
    )
    async def draw_inspection_task(
        self,
        info: GraphInfo,
        task_id: strawberry.ID,
        seed: int | None = None,
        department: str | None = None,
    ) -> InspectionTask:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        drawn = await tasks.draw_task(
            context.db, actor, organisation, str(task_id), seed=seed, today=context.today()
        )
        context.audit_action("draw_inspection_task", subjects=set(), detail=drawn.id)
        return InspectionTask.of(drawn, (await _sees_draws(info, [drawn]))[0])

    @strawberry.mutation(
        description="As the organising department: the result of inspecting one drawn "
        "enterprise, naming the inspectors (执法证号, assigned by the draw). It becomes an "
        "INSPECTION credit record; RECTIFICATION_ORDERED may order the rectification at once."
    )
    async def record_inspection_result(
        self,
        info: GraphInfo,
        task_id: strawberry.ID,
        uscc: str,
        outcome: InspectionOutcome,
        inspected_on: datetime.date,
        inspectors: list[str],
        findings: str | None = None,
        document_number: str | None = None,
        rectification_deadline: datetime.date | None = None,
        rectification_severity: SeverityTier | None = None,
        department: str | None = None,
    ) -> InspectionResult:
        context = info.context
        actor = require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        done = await results.record_result(
            context.db,
            actor,
            organisation,
            str(task_id),
            results.ResultInput(
                uscc=uscc,
                outcome=outcome,
                findings=findings,
                inspected_on=inspected_on,
                inspectors=tuple(inspectors),
                document_number=document_number,
                rectification_deadline=rectification_deadline,
                rectification_severity=rectification_severity,
            ),
            today=context.today(),
        )
        context.audit_action(
            "record_inspection_result", subjects={done.uscc}, detail=done.record_key
        )
        return InspectionResult(
            task_id=done.task_id,
            uscc=done.uscc,
            outcome=done.outcome,
            outcome_label=done.outcome.label,
            findings=done.findings,
            inspected_on=done.inspected_on,
            record_key=done.record_key,
            publish_from=done.publish_from,
            publish_until=done.publish_until,
            inspectors=list(done.inspectors),
            task_completed=done.task_completed,
            rectification_id=done.rectification_id,
        )

    @strawberry.mutation(
        description="Add an inspector to your department's roster, or update one by 执法证号 "
        "(name, in post or not)"
    )
    async def save_inspector(
        self,
        info: GraphInfo,
        name: str,
        certificate_number: str,
        active: bool = True,
        department: str | None = None,
    ) -> Inspector:
        context = info.context
        require(info, OPERATION)
        organisation = acting_for(info, OPERATION, department, "department")
        full_name = name.strip()
        number = certificate_number.strip().upper()
        if not 2 <= len(full_name) <= 20:
            raise InvalidArgument("name", "2 … 20 characters")
        if not number.isalnum() or not 6 <= len(number) <= 30:
            raise InvalidArgument("certificateNumber", "6 … 30 letters or digits (执法证号)")
        saved = await roster.save_inspectors(
            context.db, organisation, [(full_name, number, active)]
        )
        if not saved:
            raise InvalidArgument(
                "certificateNumber",
                f"部门 {organisation} 不存在，或该执法证号属于其他部门的人员 "
                "(no such department, or the number is another department's inspector)",
            )
        context.audit_action("save_inspector", subjects=set(), detail=number)
        [inspector] = [
            i
            for i in await roster.roster(context.db, organisation)
            if i.certificate_number == number
        ]
        return Inspector(
            id=strawberry.ID(inspector.id),
            name=inspector.name,
            name_masked=inspector.name_masked,
            certificate_number=inspector.certificate_number,
            department=inspector.department,
            active=inspector.active,
        )
