"""企业年报 rows: which annual report years an enterprise filed, and on which day.

Stored as the demo stores them and as the evaluation reads them (graph/evaluation/facts.py): two
parallel lists on the Enterprise, ``annualReportYears`` (ints, ascending) and
``annualReportFiledOn`` (dates). A row's natural key is the enterprise and the report year; the
same year sent again with the same day changes nothing, with another day it replaces the day (a
correction by the registry). The enterprise must be registered: annual reports come from the
registry itself, so an unknown code is a mistake, not a subject to wait for.
"""

from __future__ import annotations

from typing import Any, Final

import neo4j

from loaders.validation import CheckedRow, RejectedRow
from loaders.writers.base import (
    Outcome,
    Prepared,
    Writer,
    Written,
    content_hash,
    not_registered,
    run,
)

__all__ = ["AnnualReportWriter"]

_CURRENT: Final = """
UNWIND $codes AS code
OPTIONAL MATCH (e:Enterprise {uscc: code})
RETURN code, e IS NOT NULL AS registered, coalesce(e.annualReportYears, []) AS years,
       [d IN coalesce(e.annualReportFiledOn, []) | toString(d)] AS filed
"""

_WRITE: Final = """
UNWIND $rows AS row
MATCH (e:Enterprise {uscc: row.uscc})
SET e.annualReportYears = row.years, e.annualReportFiledOn = [d IN row.filed | date(d)],
    e.annualReportBatch = $batch
"""


class AnnualReportWriter(Writer):
    """Writes 企业年报 rows onto their enterprises."""

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """Key ``uscc|year``; the content is the filing day."""
        v = row.values
        filed = v["filedOn"].isoformat()
        return Prepared(
            row.number,
            f"{v['uscc']}|{v['reportYear']}",
            content_hash({"filedOn": filed}),
            {"uscc": v["uscc"], "year": int(v["reportYear"]), "filed": filed},
        )

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Merge the batch's years into each enterprise's lists."""
        written = Written()
        codes = list({p.data["uscc"] for p in batch})
        stored = {r["code"]: r for r in await run(tx, _CURRENT, codes=codes)}
        reports: dict[str, dict[int, str]] = {}
        for prepared in batch:
            code = prepared.data["uscc"]
            state = stored[code]
            if not state["registered"]:
                written.rejected.append((prepared.number, not_registered("uscc")))
                continue
            years = reports.setdefault(
                code, dict(zip(state["years"], state["filed"], strict=False))
            )
            before = years.get(prepared.data["year"])
            if before == prepared.data["filed"]:
                written.outcomes.append((prepared.number, Outcome.UNCHANGED))
                continue
            years[prepared.data["year"]] = prepared.data["filed"]
            outcome = Outcome.NEW if before is None else Outcome.NEW_VERSION
            written.outcomes.append((prepared.number, outcome))
        changed = {
            code
            for code in reports
            if reports[code]
            != dict(zip(stored[code]["years"], stored[code]["filed"], strict=False))
        }
        rows: list[dict[str, Any]] = [
            {
                "uscc": code,
                "years": sorted(reports[code]),
                "filed": [reports[code][y] for y in sorted(reports[code])],
            }
            for code in sorted(changed)
        ]
        if rows:
            await run(tx, _WRITE, rows=rows, batch=self.provenance.batch_id)
        return written
