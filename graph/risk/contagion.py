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
from graph.model import Label, Rel, RiskSignal
from graph.publication import ban_in_force, black_list_entry_in_force
from graph.risk.finding import Evidence, Finding, capped, departments_of, node_step
from graph.risk.thresholds import RiskThresholds

__all__ = ["find_contagion"]

ROLE_OF_REL: Final = {
    Rel.LEGAL_REPRESENTATIVE_OF.value: "LEGAL_REPRESENTATIVE",
    Rel.ACTUAL_CONTROLLER_OF.value: "ACTUAL_CONTROLLER",
    Rel.SHAREHOLDER_OF.value: "CONTROLLING_SHAREHOLDER",
}
REL_OF_ROLE: Final = {role: rel for rel, role in ROLE_OF_REL.items()}
ROLE_LABELS: Final = {
    "LEGAL_REPRESENTATIVE": "法定代表人",
    "ACTUAL_CONTROLLER": "实际控制人",
    "CONTROLLING_SHAREHOLDER": "控股股东",
}

_ROLES: Final = f"{Rel.LEGAL_REPRESENTATIVE_OF}|{Rel.ACTUAL_CONTROLLER_OF}|{Rel.SHAREHOLDER_OF}"

# Causes in force on the day: a black-list entry by its status and its date (an entry past its
# effectiveUntil no longer spreads, whether or not the expiry job has run), a ban by
# `ban_in_force` (graph/publication.py).
_CONTAGION: Final = f"""
CALL () {{
  MATCH (le:{Label.LIST_ENTRY})-[:{Rel.HAS_SUBJECT}]->(l:{Label.ENTERPRISE})
  WHERE {black_list_entry_in_force("le", "date($today)")}
  RETURN l, '{Label.LIST_ENTRY}' AS causeKind, le.id AS causeId, le.listName AS causeName,
    COLLECT {{ MATCH (le)-[:{Rel.DECIDED_BY}]->(d:{Label.DEPARTMENT}) RETURN d.code }}
    AS departments
  UNION
  MATCH (b:{Label.BAN})-[:{Rel.HAS_SUBJECT}]->(l:{Label.ENTERPRISE})
  WHERE $includeBans AND {ban_in_force("b", "date($today)")}
  RETURN l, '{Label.BAN}' AS causeKind, b.id AS causeId,
    coalesce(b.decisionNumber, b.id) AS causeName,
    COLLECT {{ MATCH (b)-[:{Rel.IMPOSED_BY}]->(d:{Label.DEPARTMENT}) RETURN d.code }}
    AS departments
}}
MATCH (l)<-[r1:{_ROLES}]-(x)-[r2:{_ROLES}]->(s:{Label.ENTERPRISE})
WHERE s <> l AND s.status IN $statuses AND type(r1) IN $rels AND type(r2) IN $rels
  AND (type(r1) <> '{Rel.SHAREHOLDER_OF}' OR r1.share > $controlling)
  AND (type(r2) <> '{Rel.SHAREHOLDER_OF}' OR r2.share > $controlling)
RETURN s.uscc AS subject, s.name AS subjectName, x:{Label.PERSON} AS viaPerson,
  CASE WHEN x:{Label.PERSON} THEN x.key ELSE x.uscc END AS via,
  CASE WHEN x:{Label.PERSON} THEN x.nameMasked ELSE x.name END AS viaName,
  type(r2) AS subjectRel, type(r1) AS listedRel, l.uscc AS listed, l.name AS listedName,
  causeKind, causeId, causeName, departments
"""


def _path(row: dict[str, Any]) -> Evidence:
    subject_role = ROLE_OF_REL[row["subjectRel"]]
    listed_role = ROLE_OF_REL[row["listedRel"]]
    cause = "被列入失信主体名单" if row["causeKind"] == Label.LIST_ENTRY else "被实施市场、行业禁入"
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
        "listEntries": [row["causeId"]] if row["causeKind"] == Label.LIST_ENTRY else [],
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
