"""Reading the alerts back: a page of them, one with its evidence, the scans.

Persons on an alert's paths are stored by key and masked name only; `person_names` gives the
full names for readers whose sharing class allows them (the hub decides who).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from graph.database import Database
from graph.model import RiskAlertStatus, RiskSignal

__all__ = [
    "RiskAlert",
    "RiskScanInfo",
    "department_names",
    "get_alert",
    "list_alerts",
    "person_names",
    "scans",
]

MAX_PAGE: Final = 200


@dataclass(frozen=True)
class RiskAlert:
    """One alert as stored."""

    id: str
    signal: RiskSignal
    status: RiskAlertStatus
    score: float
    subject: str
    subject_name: str | None
    summary: str
    evidence: tuple[dict[str, Any], ...]
    departments: tuple[str, ...]
    first_seen_at: datetime
    last_seen_at: datetime
    first_scan: str
    last_scan: str
    scans: int
    resolved_at: datetime | None
    resolved_in_scan: str | None

    @classmethod
    def of(cls, props: dict[str, Any]) -> RiskAlert:
        """From the node's properties."""
        return cls(
            id=props["id"],
            signal=RiskSignal.of(props["signal"]),
            status=RiskAlertStatus.of(props["status"]),
            score=float(props["score"]),
            subject=props["subject"],
            subject_name=props.get("subjectName"),
            summary=props.get("summary") or "",
            evidence=tuple(json.loads(props.get("evidence") or "[]")),
            departments=tuple(props.get("departments") or ()),
            first_seen_at=props["firstSeenAt"].to_native(),
            last_seen_at=props["lastSeenAt"].to_native(),
            first_scan=props["firstScan"],
            last_scan=props["lastScan"],
            scans=int(props.get("scans") or 1),
            resolved_at=props["resolvedAt"].to_native() if props.get("resolvedAt") else None,
            resolved_in_scan=props.get("resolvedInScan"),
        )

    @property
    def person_keys(self) -> set[str]:
        """Keys of the persons on the alert's paths."""
        return {
            step["code"]
            for item in self.evidence
            for step in item.get("steps", ())
            if step.get("kind") == "Person"
        }


@dataclass(frozen=True)
class RiskScanInfo:
    """One scan's summary."""

    id: str
    started_at: datetime
    finished_at: datetime
    today: date
    thresholds_version: str
    found: dict[str, int]
    new: int
    persisting: int
    resolved: int


async def list_alerts(
    db: Database,
    *,
    signal: RiskSignal | None = None,
    min_score: float | None = None,
    status: RiskAlertStatus | None = RiskAlertStatus.ACTIVE,
    subject: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[RiskAlert]]:
    """The total matching and one page of alerts, highest score first."""
    if not 0 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 0 and {MAX_PAGE}")
    found = await db.read(
        "MATCH (a:RiskAlert) "
        "WHERE ($signal IS NULL OR a.signal = $signal) "
        "AND ($status IS NULL OR a.status = $status) "
        "AND ($minScore IS NULL OR a.score >= $minScore) "
        "AND ($subject IS NULL OR a.subject = $subject) "
        "WITH a ORDER BY a.score DESC, a.lastSeenAt DESC, a.id "
        "WITH collect(a) AS found "
        "RETURN size(found) AS total, "
        "[a IN found[$offset..$offset + $limit] | properties(a)] AS page",
        {
            "signal": signal.value if signal else None,
            "status": status.value if status else None,
            "minScore": min_score,
            "subject": subject,
            "offset": offset,
            "limit": limit,
        },
    )
    row = found[0]
    return int(row["total"]), [RiskAlert.of(props) for props in row["page"]]


async def get_alert(db: Database, alert_id: str) -> RiskAlert | None:
    """One alert by id."""
    found = await db.read(
        "MATCH (a:RiskAlert {id: $id}) RETURN properties(a) AS a", {"id": alert_id}
    )
    return RiskAlert.of(found[0]["a"]) if found else None


async def person_names(db: Database, keys: set[str]) -> dict[str, str]:
    """Full names of persons by key (only for readers allowed to see them)."""
    if not keys:
        return {}
    found = await db.read(
        "UNWIND $keys AS k MATCH (p:Person {key: k}) RETURN p.key AS key, p.name AS name",
        {"keys": sorted(keys)},
    )
    return {row["key"]: row["name"] for row in found if row["name"]}


async def scans(db: Database, limit: int = 10) -> list[RiskScanInfo]:
    """The latest scans, newest first."""
    found = await db.read(
        "MATCH (s:RiskScan) RETURN properties(s) AS s ORDER BY s.startedAt DESC LIMIT $limit",
        {"limit": limit},
    )
    return [
        RiskScanInfo(
            id=p["id"],
            started_at=p["startedAt"].to_native(),
            finished_at=p["finishedAt"].to_native(),
            today=p["today"].to_native(),
            thresholds_version=p.get("thresholdsVersion") or "",
            found={k: int(v) for k, v in json.loads(p.get("found") or "{}").items()},
            new=int(p["new"]),
            persisting=int(p["persisting"]),
            resolved=int(p["resolved"]),
        )
        for p in (row["s"] for row in found)
    ]


async def department_names(db: Database, codes: set[str]) -> dict[str, str]:
    """Department names by code."""
    if not codes:
        return {}
    found = await db.read(
        "UNWIND $codes AS c MATCH (d:Department {code: c}) RETURN d.code AS code, d.name AS name",
        {"codes": sorted(codes)},
    )
    return {row["code"]: row["name"] for row in found}
