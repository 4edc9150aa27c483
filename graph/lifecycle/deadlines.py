"""Deadline report: per department, objections and repair applications received, decided on
time, decided late, and still pending — past their deadline or not.

The plan's assessment (七(四)) asks for exactly these figures; the credit office reads them to
chase departments, and each department sees its own. Deadlines are the working-day ones stored on
each application when it was filed (graph/lifecycle/objections.py, repair.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from graph.database import Database
from graph.model import Label, ObjectionStatus, RepairStatus

PROCESSES: Final = {"OBJECTION": "异议处理", "REPAIR": "信用修复"}

_PENDING: Final = ObjectionStatus.PENDING.value
assert RepairStatus.PENDING.value == _PENDING  # one pending state for both processes

# The process names are report codes, not stored values: passed as parameters.
_REPORT = (
    "CALL () { "
    f"  MATCH (a:{Label.OBJECTION}) RETURN a, $objection AS process, a.filedOn AS received "
    f"  UNION MATCH (a:{Label.REPAIR_APPLICATION}) RETURN a, $repair AS process, "
    "  a.appliedOn AS received "
    "} "
    "WITH a, process, received WHERE ($year IS NULL OR received.year = $year) "
    "AND ($department IS NULL OR a.decider = $department) "
    "WITH a.decider AS department, process, "
    "count(*) AS total, "
    f"count(CASE WHEN a.status <> '{_PENDING}' AND NOT coalesce(a.decidedLate, false) THEN 1 END) "
    "  AS onTime, "
    "count(CASE WHEN a.decidedLate THEN 1 END) AS late, "
    f"count(CASE WHEN a.status = '{_PENDING}' AND a.dueBy >= date($today) THEN 1 END) "
    "AS pending, "
    f"count(CASE WHEN a.status = '{_PENDING}' AND a.dueBy < date($today) THEN 1 END) "
    "AS overdue "
    f"OPTIONAL MATCH (d:{Label.DEPARTMENT} {{code: department}}) "
    "RETURN department, d.name AS name, process, total, onTime, late, pending, overdue "
    "ORDER BY overdue DESC, late DESC, department, process"
)


@dataclass(frozen=True)
class DeadlineRow:
    """One department's figures for one process."""

    department: str | None
    department_name: str | None
    process: str
    received: int
    decided_on_time: int
    decided_late: int
    pending: int
    pending_overdue: int

    @property
    def process_label(self) -> str:
        """异议处理 or 信用修复."""
        return PROCESSES[self.process]


async def deadline_report(
    db: Database, today: date, *, year: int | None = None, department: str | None = None
) -> list[DeadlineRow]:
    """The figures, optionally for applications received in `year` or for one department."""
    rows = await db.read(
        _REPORT,
        {
            "today": today.isoformat(),
            "year": year,
            "department": department,
            "objection": "OBJECTION",
            "repair": "REPAIR",
        },
    )
    return [
        DeadlineRow(
            department=row["department"],
            department_name=row["name"],
            process=row["process"],
            received=row["total"],
            decided_on_time=row["onTime"],
            decided_late=row["late"],
            pending=row["pending"],
            pending_overdue=row["overdue"],
        )
        for row in rows
    ]


def render(rows: list[DeadlineRow], today: date) -> str:
    """The report as a plain-text table for the terminal."""
    lines = [f"异议与信用修复办理时限 (as of {today.isoformat()})"]
    if not rows:
        lines.append("  (none received)")
    for row in rows:
        lines.append(
            f"  {row.department_name or row.department or '(unknown)'} · {row.process_label}: "
            f"received {row.received}, on time {row.decided_on_time}, late {row.decided_late}, "
            f"pending {row.pending}, overdue {row.pending_overdue}"
        )
    return "\n".join(lines)
