"""处罚后变更法定代表人: the legal representative changed shortly after a penalty decision.

A change of registration keeps the registration as it stood before as an ``EnterpriseRevision``
(loaders/writers/enterprises.py): ``legalRepresentatives`` holds who represented the entity
then. The representatives after the change are those of the next newer revision, or the
current ``LEGAL_REPRESENTATIVE_OF`` for the newest one. The change is dated by the revision's
``changedOn`` when the registration said so, otherwise by when the hub learned it
(``replacedAt``). A change where someone who represented the entity stopped doing so, within
`within_days` after a penalty in force, is a finding.
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

__all__ = ["find_representative_changes"]

_CHANGES: Final = f"""
MATCH (newer)-[:PREVIOUS_REVISION]->(rev:EnterpriseRevision)
WHERE rev.legalRepresentatives IS NOT NULL
WITH newer, rev, coalesce(rev.changedOn, date(rev.replacedAt)) AS changedOn
WHERE changedOn >= date($from) AND changedOn <= date($today)
MATCH (e:Enterprise {{uscc: rev.uscc}}) WHERE e.status IN $statuses
WITH e, rev, changedOn,
  CASE WHEN newer:Enterprise
    THEN COLLECT {{ MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(newer) RETURN p.key }}
    ELSE coalesce(newer.legalRepresentatives, []) END AS after
WITH e, rev, changedOn, after,
  [k IN rev.legalRepresentatives WHERE NOT k IN after] AS departed
WHERE size(departed) > 0
MATCH (r:{Label.RECORD} {{kind: '{RecordKind.PENALTY}'}})-[:{Rel.HAS_SUBJECT}]->(e)
WHERE {record_standing("r")}
  AND r.decisionDate <= changedOn AND changedOn <= r.decisionDate + duration({{days: $within}})
OPTIONAL MATCH (r)-[:PROVIDED_BY]->(d:Department)
RETURN e.uscc AS subject, e.name AS subjectName, elementId(rev) AS revision,
  coalesce(rev.version, 0) AS version, changedOn,
  COLLECT {{ UNWIND departed AS k MATCH (p:Person {{key: k}})
    RETURN {{key: p.key, nameMasked: p.nameMasked}} }} AS before,
  COLLECT {{ UNWIND after AS k MATCH (p:Person {{key: k}})
    RETURN {{key: p.key, nameMasked: p.nameMasked}} }} AS afterPersons,
  r.uid AS record, r.title AS title, r.decisionDate AS decided,
  d.code AS department, d.name AS departmentName
"""


def _path(row: dict[str, Any], days: int) -> Evidence:
    before = row["before"]
    after = row["afterPersons"]
    old = "、".join(p["nameMasked"] or p["key"] for p in before)
    new = "、".join(p["nameMasked"] or p["key"] for p in after) or "（空缺）"
    steps = [
        node_step("Record", row["record"], row["title"], rel="HAS_SUBJECT", forward=True),
        node_step(
            "Enterprise",
            row["subject"],
            row["subjectName"],
            rel="PREVIOUS_REVISION",
            forward=True,
        ),
        node_step(
            "EnterpriseRevision",
            f"{row['subject']}@v{row['version']}",
            f"{row['changedOn'].to_native()}前的登记",
            rel="LEGAL_REPRESENTATIVE_OF",
            forward=False,
        ),
        node_step("Person", before[0]["key"], before[0]["nameMasked"]) if before else None,
    ]
    return {
        "summary": (
            f"{row['decided'].to_native()} {row['departmentName'] or ''}处罚（{row['title']}）后"
            f"{days}天，法定代表人由{old}变更为{new}"
        ),
        "steps": [s for s in steps if s is not None],
        "records": [row["record"]],
        "persons": [p["key"] for p in before + after],
        "changedOn": row["changedOn"].to_native().isoformat(),
        "departments": [row["department"]] if row["department"] else [],
    }


async def find_representative_changes(
    db: Database, thresholds: RiskThresholds, today: date
) -> list[Finding]:
    """Every enterprise whose legal representative left within the period after a penalty."""
    config = thresholds.representative_change
    found = await db.read(
        _CHANGES,
        {
            "from": (today - timedelta(days=config.lookback_days)).isoformat(),
            "today": today.isoformat(),
            "statuses": list(thresholds.scan.subject_statuses),
            "within": config.within_days,
        },
    )
    by_subject: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for row in found:
        days = (row["changedOn"].to_native() - row["decided"].to_native()).days
        by_subject[row["subject"]].append((days, row))
    findings: list[Finding] = []
    for subject, rows in by_subject.items():
        rows.sort(key=lambda item: (item[0], item[1]["record"]))
        closest, first = rows[0]
        closeness = 1.0 - closest / config.within_days if config.within_days else 1.0
        evidence = tuple(
            _path(row, days) for days, row in rows[: thresholds.scan.evidence_per_alert]
        )
        findings.append(
            Finding(
                signal=RiskSignal.REPRESENTATIVE_CHANGE,
                subject=subject,
                subject_name=first["subjectName"],
                score=capped(config.base_score + config.closeness_bonus * closeness),
                summary=(
                    f"受到行政处罚后{closest}天内变更法定代表人（{first['changedOn'].to_native()}）"
                ),
                evidence=evidence,
                departments=tuple(sorted({r["department"] for _, r in rows if r["department"]})),
            )
        )
    return findings
