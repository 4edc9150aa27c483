"""处罚激增: an enterprise with at least K penalties decided within the last D days.

Penalties count while in force (current version, effective or under objection): a penalty
revoked or repaired is not part of a burst. One aggregation over the penalties of the window
(the ``(kind, decisionDate)`` index), never one query per enterprise.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from graph.database import Database
from graph.model import Label, RecordKind, Rel, RiskSignal
from graph.publication import record_standing
from graph.risk.finding import Finding, capped, node_step
from graph.risk.thresholds import RiskThresholds

__all__ = ["find_bursts"]

_BURST: Final = f"""
MATCH (r:{Label.RECORD} {{kind: '{RecordKind.PENALTY}'}})
WHERE r.decisionDate >= date($from) AND r.decisionDate <= date($today)
  AND {record_standing("r")}
MATCH (r)-[:{Rel.HAS_SUBJECT}]->(s:{Label.ENTERPRISE}) WHERE s.status IN $statuses
OPTIONAL MATCH (r)-[:{Rel.PROVIDED_BY}]->(d:{Label.DEPARTMENT})
WITH s, r, d ORDER BY r.decisionDate, r.uid
WITH s, collect({{uid: r.uid, title: r.title, date: r.decisionDate, department: d.code,
  departmentName: d.name}}) AS penalties
WHERE size(penalties) >= $min
RETURN s.uscc AS subject, s.name AS subjectName, penalties
"""


async def find_bursts(db: Database, thresholds: RiskThresholds, today: date) -> list[Finding]:
    """Every enterprise whose penalties in the window reach the threshold."""
    config = thresholds.burst
    start = today - timedelta(days=config.window_days)
    found = await db.read(
        _BURST,
        {
            "from": start.isoformat(),
            "today": today.isoformat(),
            "statuses": list(thresholds.scan.subject_statuses),
            "min": config.min_penalties,
        },
    )
    findings: list[Finding] = []
    for row in found:
        penalties = row["penalties"]
        evidence = tuple(
            {
                "summary": f"{p['date'].to_native()} {p['departmentName'] or ''}处罚：{p['title']}",
                "steps": [
                    node_step(
                        "Enterprise",
                        row["subject"],
                        row["subjectName"],
                        rel="HAS_SUBJECT",
                        forward=False,
                    ),
                    node_step("Record", p["uid"], p["title"], rel="PROVIDED_BY", forward=True),
                    node_step("Department", p["department"] or "", p["departmentName"]),
                ],
                "records": [p["uid"]],
                "departments": [p["department"]] if p["department"] else [],
            }
            for p in penalties[: thresholds.scan.evidence_per_alert]
        )
        count = len(penalties)
        first, last = penalties[0]["date"].to_native(), penalties[-1]["date"].to_native()
        findings.append(
            Finding(
                signal=RiskSignal.BURST,
                subject=row["subject"],
                subject_name=row["subjectName"],
                score=capped(
                    config.base_score + config.per_extra_penalty * (count - config.min_penalties)
                ),
                summary=(f"近{config.window_days}天内受到{count}次行政处罚（{first}至{last}）"),
                evidence=evidence,
                departments=tuple(sorted({p["department"] for p in penalties if p["department"]})),
            )
        )
    return findings
