"""跨部门失信聚集: adverse records in force about one enterprise from at least N departments
within a window — the cross-department (and so cross-industry) pattern 四(四) asks to catch early.

One aggregation over the adverse records of the window, grouped by subject; the evidence is
one path per department (enterprise ← record → department) with the records behind it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any, Final

from graph.database import Database
from graph.model import Label, RecordKind, Rel, RiskSignal
from graph.publication import record_standing
from graph.risk.finding import Evidence, Finding, capped, node_step
from graph.risk.thresholds import RiskThresholds

__all__ = ["find_clusters"]

_CLUSTER: Final = f"""
MATCH (r:{Label.RECORD})
WHERE r.kind IN $kinds AND r.decisionDate >= date($from) AND r.decisionDate <= date($today)
  AND {record_standing("r")}
MATCH (r)-[:{Rel.PROVIDED_BY}]->(d:{Label.DEPARTMENT})
MATCH (r)-[:{Rel.HAS_SUBJECT}]->(s:{Label.ENTERPRISE}) WHERE s.status IN $statuses
WITH s, d, collect({{uid: r.uid, kind: r.kind, title: r.title, date: r.decisionDate}}) AS records
WITH s, collect({{department: d.code, name: d.name, sector: d.sector, records: records}})
  AS departments
WHERE size(departments) >= $min
RETURN s.uscc AS subject, s.name AS subjectName, s.industry AS industry, departments
"""


def _department_path(row: dict[str, Any], dept: dict[str, Any]) -> Evidence:
    records = sorted(dept["records"], key=lambda r: (r["date"], r["uid"]))
    first = records[0]
    kinds = sorted({RecordKind.of(r["kind"]).label for r in records})
    return {
        "summary": f"{dept['name']}：{len(records)}条失信记录（{'、'.join(kinds)}）",
        "steps": [
            node_step(
                "Enterprise", row["subject"], row["subjectName"], rel="HAS_SUBJECT", forward=False
            ),
            node_step("Record", first["uid"], first["title"], rel="PROVIDED_BY", forward=True),
            node_step("Department", dept["department"], dept["name"]),
        ],
        "records": [r["uid"] for r in records],
        "departments": [dept["department"]],
    }


async def find_clusters(db: Database, thresholds: RiskThresholds, today: date) -> list[Finding]:
    """Every enterprise with adverse records in force from enough distinct departments."""
    config = thresholds.cluster
    found = await db.read(
        _CLUSTER,
        {
            "kinds": list(config.kinds),
            "from": (today - timedelta(days=config.window_days)).isoformat(),
            "today": today.isoformat(),
            "statuses": list(thresholds.scan.subject_statuses),
            "min": config.min_departments,
        },
    )
    findings: list[Finding] = []
    for row in found:
        departments = sorted(row["departments"], key=lambda d: d["department"])
        sectors: dict[str, int] = defaultdict(int)
        for dept in departments:
            sectors[dept["sector"] or dept["name"]] += len(dept["records"])
        count = len(departments)
        findings.append(
            Finding(
                signal=RiskSignal.CLUSTER,
                subject=row["subject"],
                subject_name=row["subjectName"],
                score=capped(
                    config.base_score
                    + config.per_extra_department * (count - config.min_departments)
                ),
                summary=(
                    f"近{config.window_days}天内{count}个部门报送失信记录"
                    f"（{'、'.join(sorted(sectors))}）"
                ),
                evidence=tuple(
                    _department_path(row, dept)
                    for dept in departments[: thresholds.scan.evidence_per_alert]
                ),
                departments=tuple(d["department"] for d in departments),
            )
        )
    return findings
