"""双公示 timeliness: which authorities published their decisions late, and by how much.

A licence or penalty — and each of the other acts of 四(三) (行政强制, 行政确认 …) — must reach
the network within 7 working days of its decision (State Council rule; the mainland calendar with
statutory holidays and adjusted working days). The figures are the deciding authority's, also
when another department relayed the file. Each record carries ``publishBy`` and
``firstPublishedOn`` (the day its first version was loaded); this report compares them per
authority over a period of decision dates. Corrections do not reset
the clock: ``firstPublishedOn`` is kept across versions and only current versions are counted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Final

from graph.database import Database
from graph.model import Label, Rel
from graph.publication import current_version
from graph.workdays import CalendarNotCovered, WorkdayCalendar, mainland_calendar

__all__ = ["DepartmentTimeliness", "LatePublication", "publication_timeliness", "render"]


@dataclass(frozen=True)
class LatePublication:
    """One record published after its deadline."""

    key: str
    kind: str
    document_number: str
    decision_date: datetime.date
    publish_by: datetime.date
    published_on: datetime.date
    working_days_late: int | None


@dataclass
class DepartmentTimeliness:
    """One department's figures for the period."""

    code: str
    name: str
    total: int = 0
    on_time: int = 0
    late: list[LatePublication] = field(default_factory=list)

    @property
    def on_time_share(self) -> float:
        """Share published within the deadline (1.0 when there was nothing to publish)."""
        return self.on_time / self.total if self.total else 1.0


# Lateness belongs to the deciding authority (处罚机关, 许可机关 …): a department whose decisions
# the big-data office relays is late or on time itself. Records without a decider (loaded before
# deciders were recorded) count for their supplier.
_QUERY: Final = f"""
MATCH (r:{Label.RECORD})-[:{Rel.PROVIDED_BY}]->(supplier:{Label.DEPARTMENT})
WHERE {current_version("r")} AND r.publishBy IS NOT NULL AND r.firstPublishedOn IS NOT NULL
  AND r.decisionDate >= $from AND r.decisionDate <= $to
OPTIONAL MATCH (r)-[:{Rel.DECIDED_BY}]->(decider)
WITH r, coalesce(decider, supplier) AS d
WHERE $department IS NULL OR d.code = $department
RETURN d.code AS code, d.name AS name, r.key AS key, r.kind AS kind,
       r.documentNumber AS number, r.decisionDate AS decided, r.publishBy AS by,
       r.firstPublishedOn AS published
ORDER BY code, decided, key
"""


async def publication_timeliness(
    db: Database,
    start: datetime.date,
    end: datetime.date,
    *,
    department: str | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[DepartmentTimeliness]:
    """Per department, the 双公示 records decided in ``start..end`` and which were late."""
    calendar = calendar or mainland_calendar()
    rows = await db.read(_QUERY, {"from": start, "to": end, "department": department})
    result: dict[str, DepartmentTimeliness] = {}
    for row in rows:
        entry = result.setdefault(row["code"], DepartmentTimeliness(row["code"], row["name"]))
        entry.total += 1
        by = row["by"].to_native()
        published = row["published"].to_native()
        if published <= by:
            entry.on_time += 1
            continue
        try:
            late_days: int | None = calendar.working_days_between(by, published)
        except CalendarNotCovered:
            late_days = None
        entry.late.append(
            LatePublication(
                row["key"],
                row["kind"],
                row["number"],
                row["decided"].to_native(),
                by,
                published,
                late_days,
            )
        )
    return sorted(result.values(), key=lambda d: (d.on_time_share, d.code))


def render(report: list[DepartmentTimeliness], start: datetime.date, end: datetime.date) -> str:
    """The report as text: one line per department, then its late publications."""
    lines = [f"双公示及时性 (7个工作日) {start} 至 {end}", ""]
    if not report:
        lines.append("该期间没有需公示的行政许可和行政处罚 (nothing to publish in this period)")
    for d in report:
        lines.append(
            f"{d.name} ({d.code}): {d.total} 条, 按时 {d.on_time} 条 "
            f"({d.on_time_share:.1%}), 逾期 {len(d.late)} 条"
        )
        for late in d.late:
            days = "?" if late.working_days_late is None else str(late.working_days_late)
            lines.append(
                f"    {late.document_number}  决定 {late.decision_date}  应公示 {late.publish_by}"
                f"  实际 {late.published_on}  逾期 {days} 个工作日"
            )
    return "\n".join(lines)
