"""关联风险传导: enterprises that share a legal representative, actual controller or controlling
shareholder with an enterprise on an active black list or under an entry ban in force.

One set-based query starts from the listed and banned enterprises (few) and walks two hops to
the enterprises sharing a person — or a holding company, as controlling shareholder — with
them: ``listed ← person → subject``. Each such path is evidence; the alert's score is the best
path's (the mean of its two roles' weights) plus a little for every further listed enterprise
the subject is linked to.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Final

from graph.database import Database
from graph.model import RiskSignal
from graph.risk.finding import Evidence, Finding, capped, departments_of, node_step
from graph.risk.thresholds import RiskThresholds

__all__ = ["find_contagion"]

ROLE_OF_REL: Final = {
    "LEGAL_REPRESENTATIVE_OF": "LEGAL_REPRESENTATIVE",
    "ACTUAL_CONTROLLER_OF": "ACTUAL_CONTROLLER",
    "SHAREHOLDER_OF": "CONTROLLING_SHAREHOLDER",
}
REL_OF_ROLE: Final = {role: rel for rel, role in ROLE_OF_REL.items()}
ROLE_LABELS: Final = {
    "LEGAL_REPRESENTATIVE": "法定代表人",
    "ACTUAL_CONTROLLER": "实际控制人",
    "CONTROLLING_SHAREHOLDER": "控股股东",
}

_CONTAGION: Final = """
CALL () {
  MATCH (le:ListEntry {listType: 'BLACK', status: 'ACTIVE'})-[:HAS_SUBJECT]->(l:Enterprise)
  RETURN l, 'ListEntry' AS causeKind, le.id AS causeId, le.listName AS causeName,
    COLLECT { MATCH (le)-[:DECIDED_BY]->(d:Department) RETURN d.code } AS departments
  UNION
  MATCH (b:Ban {status: 'ACTIVE'})-[:HAS_SUBJECT]->(l:Enterprise)
  WHERE $includeBans AND b.`from` <= date($today) AND date($today) <= b.until
  RETURN l, 'Ban' AS causeKind, b.id AS causeId, coalesce(b.decisionNumber, b.id) AS causeName,
    COLLECT { MATCH (b)-[:IMPOSED_BY]->(d:Department) RETURN d.code } AS departments
}
MATCH (l)<-[r1:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]-(x)
      -[r2:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]->(s:Enterprise)
WHERE s <> l AND s.status IN $statuses AND type(r1) IN $rels AND type(r2) IN $rels
  AND (type(r1) <> 'SHAREHOLDER_OF' OR r1.share > $controlling)
  AND (type(r2) <> 'SHAREHOLDER_OF' OR r2.share > $controlling)
RETURN s.uscc AS subject, s.name AS subjectName, x:Person AS viaPerson,
  CASE WHEN x:Person THEN x.key ELSE x.uscc END AS via,
  CASE WHEN x:Person THEN x.nameMasked ELSE x.name END AS viaName,
  type(r2) AS subjectRel, type(r1) AS listedRel, l.uscc AS listed, l.name AS listedName,
  causeKind, causeId, causeName, departments
"""


def _path(row: dict[str, Any]) -> Evidence:
    subject_role = ROLE_OF_REL[row["subjectRel"]]
    listed_role = ROLE_OF_REL[row["listedRel"]]
    cause = "被列入失信主体名单" if row["causeKind"] == "ListEntry" else "被实施市场、行业禁入"
    via_kind = "Person" if row["viaPerson"] else "Enterprise"
    return {
        "summary": (
            f"{row['subjectName']}的{ROLE_LABELS[subject_role]}{row['viaName']}"
            f"同为{row['listedName']}的{ROLE_LABELS[listed_role]}；"
            f"{row['listedName']}{cause}（{row['causeName']}）"
        ),
        "steps": [
            node_step(
                "Enterprise",
                row["subject"],
                row["subjectName"],
                rel=row["subjectRel"],
                forward=False,
            ),
            node_step(via_kind, row["via"], row["viaName"], rel=row["listedRel"], forward=True),
            node_step(
                "Enterprise", row["listed"], row["listedName"], rel="HAS_SUBJECT", forward=False
            ),
            node_step(row["causeKind"], row["causeId"], row["causeName"]),
        ],
        "roles": [subject_role, listed_role],
        "listEntries": [row["causeId"]] if row["causeKind"] == "ListEntry" else [],
        "bans": [row["causeId"]] if row["causeKind"] == "Ban" else [],
        "departments": sorted(set(row["departments"])),
    }


async def find_contagion(db: Database, thresholds: RiskThresholds, today: date) -> list[Finding]:
    """Every enterprise linked to a listed or banned one through a shared person in a
    configured role, with the paths that link them."""
    config = thresholds.contagion
    found = await db.read(
        _CONTAGION,
        {
            "today": today.isoformat(),
            "includeBans": config.include_bans,
            "statuses": list(thresholds.scan.subject_statuses),
            "rels": [REL_OF_ROLE[role] for role in config.roles],
            "controlling": config.controlling_share,
        },
    )
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        by_subject[row["subject"]].append(row)
    findings: list[Finding] = []
    for subject, rows in by_subject.items():
        scored = []
        for row in rows:
            weight = (
                config.weights[ROLE_OF_REL[row["subjectRel"]]]
                + config.weights[ROLE_OF_REL[row["listedRel"]]]
            ) / 2
            scored.append((weight, _path(row)))
        scored.sort(key=lambda item: (-item[0], item[1]["summary"]))
        listed = {row["listed"] for row in rows}
        score = capped(scored[0][0] + config.per_extra_link * (len(listed) - 1))
        evidence = tuple(path for _, path in scored[: thresholds.scan.evidence_per_alert])
        names = "、".join(sorted({row["listedName"] for row in rows})[:3])
        findings.append(
            Finding(
                signal=RiskSignal.CONTAGION,
                subject=subject,
                subject_name=rows[0]["subjectName"],
                score=score,
                summary=f"与{len(listed)}家失信或被禁入主体（{names}）共用关键人员或控股股东",
                evidence=evidence,
                departments=departments_of([path for _, path in scored]),
            )
        )
    return findings
