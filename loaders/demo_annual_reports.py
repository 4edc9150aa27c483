"""Demo 年报公示 data: which annual reports each demo enterprise filed, on time or late.

Enterprises must file an annual report for every year they existed by 30 June of the next
year (企业信息公示暂行条例 第八条). For each demo enterprise and each of the last three report
years whose deadline has passed (from its founding year on), this draws: filed on time, filed
late, or missing — an active enterprise mostly on time, a revoked or cancelled one mostly not.

Drawn from its own ``random.Random(spec.seed + 2)``, so adding it left every other demo row as
it was. Stored on the Enterprise as two parallel lists (graph/model.py), ``annualReportYears``
(ints) and ``annualReportFiledOn`` (dates) of the reports filed, one UNWIND batch per 5,000
enterprises: at 100,000 enterprises that is twenty statements.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final

from graph.database import Database
from graph.evaluation.facts import ANNUAL_REPORT_MONTH_DAY, due_report_years
from graph.model import EnterpriseStatus

REPORT_YEARS: Final = 3

# (on time, late) probabilities; the rest is missing.
_ACTIVE: Final = (0.82, 0.11)
_INACTIVE: Final = (0.30, 0.10)

_WRITE: Final = (
    "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.uscc}) "
    "SET e.annualReportYears = row.years, e.annualReportFiledOn = row.filed"
)


def annual_report_rows(
    enterprises: Sequence[dict[str, Any]], *, seed: int, today: date
) -> list[dict[str, Any]]:
    """One row ``{uscc, years, filed}`` per enterprise with a report due; deterministic."""
    rng = random.Random(seed + 2)
    month, day = ANNUAL_REPORT_MONTH_DAY
    out = []
    for enterprise in enterprises:
        founded: date | None = enterprise.get("foundedOn")
        due = due_report_years(today, founded, REPORT_YEARS)
        if not due:
            continue
        active = enterprise.get("status") == EnterpriseStatus.ACTIVE.value
        on_time, late = _ACTIVE if active else _INACTIVE
        years: list[int] = []
        filed: list[date] = []
        for year in due:
            draw = rng.random()
            opens = date(year + 1, 1, 1)
            deadline = date(year + 1, month, day)
            if draw < on_time:
                span = (deadline - opens).days
                years.append(year)
                filed.append(opens + timedelta(days=int(rng.random() * (span + 1))))
            elif draw < on_time + late:
                last = min(date(year + 1, 12, 31), today)
                span = (last - deadline).days
                years.append(year)
                filed.append(deadline + timedelta(days=1 + int(rng.random() * max(span, 1))))
        out.append({"uscc": enterprise["uscc"], "years": years, "filed": filed})
    return out


async def load_annual_reports(
    db: Database, enterprises: Sequence[dict[str, Any]], *, seed: int, today: date
) -> int:
    """Write the demo enterprises' annual reports; return the number of reports filed."""
    rows = annual_report_rows(enterprises, seed=seed, today=today)
    await db.write_batches(_WRITE, rows, batch_size=5000)
    return sum(len(row["years"]) for row in rows)
