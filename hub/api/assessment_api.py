"""The API of department assessment (考核评估, 七(四)): a department's figures for a year.

`operations.readAssessment` in the catalogue: a department reads its own figures, the credit
office any department's or all of them (`departmentAssessments`). The same figures make the
yearly report (`credithub assessment`, hub/assessment/).
"""

from __future__ import annotations

import datetime

import strawberry

from hub.api.lifecycle_support import acting_for, permission, refuse, require
from hub.api.query import GraphInfo
from hub.assessment import figures
from hub.errors import InvalidArgument

COMPUTED_TYPES = ("AssessmentKindCount", "AssessmentDeadlines", "DepartmentAssessment")
"""Types of this module: answered by hub/assessment/figures.py, not by the graph projection."""

OPERATION = "readAssessment"


@strawberry.type(description="Records of one kind a department submitted in the year")
class AssessmentKindCount:
    kind: str
    label: str
    submitted: int


@strawberry.type(description="Applications received in the year against their deadlines")
class AssessmentDeadlines:
    received: int
    decided_on_time: int
    decided_late: int
    pending: int
    pending_overdue: int
    on_time_share: float | None = strawberry.field(
        description="Decided on time among those decided"
    )

    @classmethod
    def of(cls, f: figures.DeadlineFigures) -> AssessmentDeadlines:
        """From the figures."""
        return cls(
            received=f.received,
            decided_on_time=f.decided_on_time,
            decided_late=f.decided_late,
            pending=f.pending,
            pending_overdue=f.pending_overdue,
            on_time_share=f.on_time_share,
        )


@strawberry.type(description="A department's assessment figures for one year (考核评估)")
class DepartmentAssessment:
    department: str
    department_name: str
    year: int
    due_on: datetime.date = strawberry.field(description="The year's report is due 12-25")
    records: list[AssessmentKindCount]
    records_total: int
    publication_total: int = strawberry.field(description="Licences and penalties to publish")
    publication_on_time: int = strawberry.field(description="Published within 7 working days")
    publication_on_time_share: float | None
    objections: AssessmentDeadlines
    repairs: AssessmentDeadlines
    sanctions_imposed: int
    measure_applications: int = strawberry.field(description="Applications of measures reported")
    inspection_tasks: int
    inspection_tasks_drawn: int
    objects_drawn: int
    results_recorded: int
    problems_found: int

    @classmethod
    def of(cls, d: figures.DepartmentAssessment) -> DepartmentAssessment:
        """From the figures."""
        return cls(
            department=d.code,
            department_name=d.name,
            year=d.year,
            due_on=datetime.date(d.year, *figures.DUE_MONTH_DAY),
            records=[
                AssessmentKindCount(kind=k.kind, label=k.label, submitted=k.submitted)
                for k in d.records
            ],
            records_total=d.records_total,
            publication_total=d.publication_total,
            publication_on_time=d.publication_on_time,
            publication_on_time_share=d.publication_on_time_share,
            objections=AssessmentDeadlines.of(d.objections),
            repairs=AssessmentDeadlines.of(d.repairs),
            sanctions_imposed=d.sanctions_imposed,
            measure_applications=d.measure_applications,
            inspection_tasks=d.inspection_tasks,
            inspection_tasks_drawn=d.inspection_tasks_drawn,
            objects_drawn=d.objects_drawn,
            results_recorded=d.results_recorded,
            problems_found=d.problems_found,
        )


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidArgument("year", "2000 … 2100")
    return year


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description="One department's figures for a year: your own (the credit office: the "
        "department named)"
    )
    async def department_assessment(
        self, info: GraphInfo, year: int, department: str | None = None
    ) -> DepartmentAssessment:
        context = info.context
        require(info, OPERATION)
        code = acting_for(info, OPERATION, department, "department")
        found = await figures.assess(
            context.db, _year(year), department=code, today=context.today()
        )
        if not found:
            raise InvalidArgument("department", f"no such department: {code}")
        return DepartmentAssessment.of(found[0])

    @strawberry.field(description="Every department's figures for a year: the credit office")
    async def department_assessments(
        self, info: GraphInfo, year: int
    ) -> list[DepartmentAssessment]:
        context = info.context
        # Every department's figures: for those who may name any department (on_behalf).
        decision = permission(info, OPERATION, on_behalf=True)
        if not decision.allowed:
            refuse(
                decision,
                "只有信用管理部门可以查看全部部门的考核评估 "
                "(every department's figures: the credit office only)",
            )
        found = await figures.assess(context.db, _year(year), today=context.today())
        return [DepartmentAssessment.of(d) for d in found]
