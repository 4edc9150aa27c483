"""The figures of a department's year, as 七(四) asks the credit office to follow them.

Per department and calendar year:

- records submitted, by kind: record keys provided by the department whose first version
  reached the network in the year (``firstPublishedOn``, or the decision date for records that
  carry none);
- 双公示 timeliness: licences and penalties decided in the year and the share first published
  within 7 working days (loaders/timeliness.py);
- objections and repair applications received in the year: decided on time, late, pending,
  pending past their deadline (graph/lifecycle/deadlines.py);
- joint punishment: sanctions it imposed (``IMPOSED_BY``, by start date) and applications of
  measures it reported back (``MeasureApplication`` by application date);
- 双随机: its inspection tasks of the year, how many were drawn, objects drawn, results
  recorded and results reporting a problem;
- 综合按时率, the ranking's measure: of everything the department had to do by a deadline —
  licences and penalties to publish, objections and repair applications decided — the share
  done on time (pooled, so a department with many items weighs them all).

For the whole city, the report adds the distribution of the current 公共信用综合评价 grades
(counts only: the grade of an enterprise is never public, the count of each grade is a figure
of the credit office's own work).

Every figure is read from the graph when asked; nothing is stored, so the report always agrees
with the data it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from graph.database import Database
from graph.evaluation.reading import current_grade_counts
from graph.lifecycle.base import CHINA_TIME
from graph.lifecycle.deadlines import deadline_report
from graph.model import CreditGrade, RecordKind
from graph.supervision.results import PROBLEM_OUTCOMES
from loaders.timeliness import publication_timeliness

REPORT_TITLE: Final = "舞钢市社会信用体系建设年度考核评估报告"
DUE_MONTH_DAY: Final = (12, 25)
"""七(四): 各部门每年12月25日前将贯彻落实情况报市发改委."""


@dataclass(frozen=True)
class KindCount:
    """Records of one kind a department submitted in the year."""

    kind: str
    label: str
    submitted: int


@dataclass(frozen=True)
class DeadlineFigures:
    """Applications received in the year and how they were handled against their deadlines."""

    received: int = 0
    decided_on_time: int = 0
    decided_late: int = 0
    pending: int = 0
    pending_overdue: int = 0

    @property
    def on_time_share(self) -> float | None:
        """Decided on time among those decided (None when none was decided)."""
        decided = self.decided_on_time + self.decided_late
        return self.decided_on_time / decided if decided else None


@dataclass(frozen=True)
class DepartmentAssessment:
    """One department's figures for one year."""

    code: str
    name: str
    year: int
    records: tuple[KindCount, ...]
    publication_total: int
    publication_on_time: int
    objections: DeadlineFigures
    repairs: DeadlineFigures
    sanctions_imposed: int
    measure_applications: int
    inspection_tasks: int
    inspection_tasks_drawn: int
    objects_drawn: int
    results_recorded: int
    problems_found: int

    @property
    def records_total(self) -> int:
        """Records submitted, all kinds."""
        return sum(k.submitted for k in self.records)

    @property
    def publication_late(self) -> int:
        """Licences and penalties published after their deadline."""
        return self.publication_total - self.publication_on_time

    @property
    def publication_on_time_share(self) -> float | None:
        """Share published within 7 working days (None when there was nothing to publish)."""
        if not self.publication_total:
            return None
        return self.publication_on_time / self.publication_total

    @property
    def results_share(self) -> float | None:
        """Drawn objects with a recorded result (None when nothing was drawn)."""
        return self.results_recorded / self.objects_drawn if self.objects_drawn else None

    @property
    def due_items(self) -> int:
        """Items with a deadline that came to an end: publications, decided applications."""
        decided = sum(f.decided_on_time + f.decided_late for f in (self.objections, self.repairs))
        return self.publication_total + decided

    @property
    def timely_items(self) -> int:
        """Of `due_items`, those done on time."""
        on_time = self.objections.decided_on_time + self.repairs.decided_on_time
        return self.publication_on_time + on_time

    @property
    def timely_share(self) -> float | None:
        """综合按时率: `timely_items` over `due_items` (None when nothing was due)."""
        return self.timely_items / self.due_items if self.due_items else None


@dataclass(frozen=True)
class GradeCount:
    """Enterprises whose current evaluation has one grade."""

    grade: str
    label: str
    enterprises: int

    @property
    def title(self) -> str:
        """As printed: A级（优）."""
        return f"{self.grade}级（{self.label}）"


@dataclass(frozen=True)
class Ranked:
    """A department's place in the ranking (equal shares share a place)."""

    rank: int | None
    department: DepartmentAssessment


def ranking(departments: tuple[DepartmentAssessment, ...]) -> tuple[Ranked, ...]:
    """Departments by 综合按时率, best first; ties by records submitted, then code.

    Departments with nothing due are listed last without a place: there is nothing to rank.
    """

    def key(d: DepartmentAssessment) -> tuple[bool, float, int, str]:
        share = d.timely_share
        return (share is None, -(share or 0.0), -d.records_total, d.code)

    ranked: list[Ranked] = []
    previous: float | None = None
    for position, d in enumerate(sorted(departments, key=key), start=1):
        share = d.timely_share
        if share is None:
            ranked.append(Ranked(None, d))
            continue
        tied = bool(ranked) and share == previous
        ranked.append(Ranked(ranked[-1].rank if tied else position, d))
        previous = share
    return tuple(ranked)


@dataclass(frozen=True)
class AssessmentReport:
    """Every department's figures for a year, as the credit office's report holds them."""

    year: int
    generated_at: datetime
    departments: tuple[DepartmentAssessment, ...]
    grades: tuple[GradeCount, ...] = ()

    @property
    def ranking(self) -> tuple[Ranked, ...]:
        """The departments ranked by 综合按时率."""
        return ranking(self.departments)

    @property
    def graded_enterprises(self) -> int:
        """Enterprises with a current grade."""
        return sum(g.enterprises for g in self.grades)

    @property
    def title(self) -> str:
        """The report's title, with its year."""
        return f"{REPORT_TITLE}（{self.year}年度）"

    @property
    def due_on(self) -> date:
        """The policy's deadline for the year's report: 12-25."""
        return date(self.year, *DUE_MONTH_DAY)


_DEPARTMENTS: Final = (
    "MATCH (d:Department) WHERE $department IS NULL OR d.code = $department "
    "RETURN d.code AS code, d.name AS name ORDER BY d.code"
)

_RECORDS: Final = (
    "MATCH (r:Record)-[:PROVIDED_BY]->(d:Department) "
    "WHERE r.version = 1 AND ($department IS NULL OR d.code = $department) "
    "AND coalesce(r.firstPublishedOn, r.decisionDate) >= date($start) "
    "AND coalesce(r.firstPublishedOn, r.decisionDate) <= date($end) "
    "RETURN d.code AS code, r.kind AS kind, count(DISTINCT r.key) AS n"
)

_MEASURES: Final = (
    "CALL () { "
    "  MATCH (x:Sanction)-[:IMPOSED_BY]->(d:Department) "
    "  WHERE coalesce(x.from, x.imposedOn) >= date($start) "
    "  AND coalesce(x.from, x.imposedOn) <= date($end) "
    "  RETURN d.code AS code, 'imposed' AS what "
    "  UNION ALL "
    "  MATCH (a:MeasureApplication) "
    "  WHERE a.appliedOn >= date($start) AND a.appliedOn <= date($end) "
    "  RETURN a.reporter AS code, 'applied' AS what "
    "} "
    "WITH code, what WHERE $department IS NULL OR code = $department "
    "RETURN code, what, count(*) AS n"
)

_INSPECTIONS: Final = (
    "MATCH (t:InspectionTask {year: $year}) "
    "WHERE $department IS NULL OR t.department = $department "
    "RETURN t.department AS code, count(t) AS tasks, "
    "count(CASE WHEN t.status <> 'PLANNED' THEN 1 END) AS drawn, "
    "sum(t.objectCount) AS objects, sum(t.resultCount) AS results, "
    "sum(COUNT { MATCH (o:InspectionObject)-[:PART_OF]->(t) WHERE o.outcome IN $problems }) "
    "AS problems"
)


def _by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in rows}


async def assess(
    db: Database, year: int, *, department: str | None = None, today: date
) -> list[DepartmentAssessment]:
    """The figures of `year` for every department, or for the one named, in code order."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    params = {
        "department": department,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "year": year,
        "problems": sorted(o.value for o in PROBLEM_OUTCOMES),
    }
    departments = await db.read(_DEPARTMENTS, params)
    records: dict[str, list[KindCount]] = {}
    labels = {k.value: k.label for k in RecordKind}
    order = {k.value: i for i, k in enumerate(RecordKind)}
    for row in sorted(await db.read(_RECORDS, params), key=lambda r: order.get(r["kind"], 99)):
        records.setdefault(row["code"], []).append(
            KindCount(row["kind"], labels.get(row["kind"]) or str(row["kind"]), int(row["n"]))
        )
    timeliness = {
        d.code: d for d in await publication_timeliness(db, start, end, department=department)
    }
    deadlines: dict[tuple[str | None, str], DeadlineFigures] = {
        (r.department, r.process): DeadlineFigures(
            r.received, r.decided_on_time, r.decided_late, r.pending, r.pending_overdue
        )
        for r in await deadline_report(db, today, year=year, department=department)
    }
    measures: dict[tuple[str, str], int] = {
        (r["code"], r["what"]): int(r["n"]) for r in await db.read(_MEASURES, params)
    }
    inspections = _by_code(await db.read(_INSPECTIONS, params))
    result = []
    for d in departments:
        code = d["code"]
        published = timeliness.get(code)
        tasks = inspections.get(code, {})
        result.append(
            DepartmentAssessment(
                code=code,
                name=d["name"],
                year=year,
                records=tuple(records.get(code, ())),
                publication_total=published.total if published else 0,
                publication_on_time=published.on_time if published else 0,
                objections=deadlines.get((code, "OBJECTION"), DeadlineFigures()),
                repairs=deadlines.get((code, "REPAIR"), DeadlineFigures()),
                sanctions_imposed=measures.get((code, "imposed"), 0),
                measure_applications=measures.get((code, "applied"), 0),
                inspection_tasks=int(tasks.get("tasks") or 0),
                inspection_tasks_drawn=int(tasks.get("drawn") or 0),
                objects_drawn=int(tasks.get("objects") or 0),
                results_recorded=int(tasks.get("results") or 0),
                problems_found=int(tasks.get("problems") or 0),
            )
        )
    return result


async def yearly_report(db: Database, year: int, *, today: date) -> AssessmentReport:
    """The credit office's report of `year`: every department's figures and the city's
    current grade distribution, generated now."""
    counts = await current_grade_counts(db)
    return AssessmentReport(
        year=year,
        generated_at=datetime.now(CHINA_TIME),
        departments=tuple(await assess(db, year, today=today)),
        grades=tuple(GradeCount(g.value, g.label, counts.get(g, 0)) for g in CreditGrade),
    )
