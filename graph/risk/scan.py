"""The risk scan: run the signals, store what they found as alerts, tell the departments.

A scan is a ``(:RiskScan)``. Each finding is an alert ``(:RiskAlert)`` identified by its
signal and subject while it lasts: a finding whose alert is still active from an earlier scan
updates that alert (score, evidence, last seen) instead of making a new one, and every scan
that found it is linked (``SEEN_IN``), so the history shows when it began and how it moved. An
active alert no scan finds any more is resolved (``RESOLVED`` with the scan that stopped it);
if the same risk comes back later it is a new alert. Everything a scan writes, the notices
included, is one transaction: a failed scan leaves nothing half-done.

Notices go to the departments concerned — those that provided the underlying records or decided
the list entry or ban — one notice per department per scan listing its new alerts, and one to
the credit office summarising them all (not one per alert).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import china_today, new_id, rows
from graph.lifecycle.notices import ADMIN_RECIPIENT, notify
from graph.locks import Job, hold
from graph.model import Label, NoticeKind, Rel, RiskAlertStatus, RiskSignal
from graph.risk.burst import find_bursts
from graph.risk.cluster import find_clusters
from graph.risk.contagion import find_contagion
from graph.risk.finding import Finding
from graph.risk.representative_change import find_representative_changes
from graph.risk.thresholds import RiskThresholds, load_thresholds

__all__ = ["SIGNALS", "ScanSummary", "find_all", "run_scan"]

Signal = Callable[[Database, RiskThresholds, date], Awaitable[list[Finding]]]

SIGNALS: Final[dict[RiskSignal, Signal]] = {
    RiskSignal.CONTAGION: find_contagion,
    RiskSignal.CLUSTER: find_clusters,
    RiskSignal.BURST: find_bursts,
    RiskSignal.REPRESENTATIVE_CHANGE: find_representative_changes,
}


@dataclass(frozen=True)
class ScanSummary:
    """What one scan found and did."""

    scan_id: str
    today: date
    thresholds_version: str
    found: dict[RiskSignal, int]
    seconds: dict[RiskSignal, float]
    new: int
    persisting: int
    resolved: int
    notices: int
    new_alerts: tuple[str, ...]


async def find_all(
    db: Database, thresholds: RiskThresholds, today: date
) -> tuple[list[Finding], dict[RiskSignal, float]]:
    """Every enabled signal's findings, and the seconds each took."""
    findings: list[Finding] = []
    seconds: dict[RiskSignal, float] = {}
    for signal in thresholds.scan.enabled:
        started = time.perf_counter()
        findings.extend(await SIGNALS[signal](db, thresholds, today))
        seconds[signal] = time.perf_counter() - started
    return findings, seconds


def _props(finding: Finding) -> dict[str, Any]:
    return {
        "signal": finding.signal.value,
        "subject": finding.subject,
        "subjectName": finding.subject_name,
        "score": finding.score,
        "summary": finding.summary,
        "evidence": json.dumps(list(finding.evidence), ensure_ascii=False, default=str),
        "departments": list(finding.departments),
    }


_CREATE_SCAN: Final = """
CREATE (s:RiskScan {id: $scan, startedAt: datetime($started), finishedAt: datetime(),
  today: date($today), thresholdsVersion: $version, signals: $signals, found: $found,
  new: $new, persisting: $persisting, resolved: $resolved})
"""

_CREATE_ALERTS: Final = f"""
MATCH (s:{Label.RISK_SCAN} {{id: $scan}})
UNWIND $alerts AS f
MATCH (e:{Label.ENTERPRISE} {{uscc: f.props.subject}})
CREATE (a:{Label.RISK_ALERT} {{id: f.id, status: '{RiskAlertStatus.ACTIVE}',
  firstSeenAt: datetime(), lastSeenAt: datetime(), firstScan: $scan, lastScan: $scan, scans: 1}})
SET a += f.props
CREATE (a)-[:{Rel.HAS_SUBJECT}]->(e)
CREATE (a)-[:{Rel.SEEN_IN}]->(s)
"""

_UPDATE_ALERTS: Final = """
MATCH (s:RiskScan {id: $scan})
UNWIND $alerts AS f
MATCH (a:RiskAlert {id: f.id})
SET a += f.props, a.lastSeenAt = datetime(), a.lastScan = $scan, a.scans = a.scans + 1
CREATE (a)-[:SEEN_IN]->(s)
"""

_RESOLVE: Final = """
UNWIND $ids AS id
MATCH (a:RiskAlert {id: id})
SET a.status = 'RESOLVED', a.resolvedAt = datetime(), a.resolvedInScan = $scan
"""


def _notice_body(findings: Sequence[tuple[str, Finding]], limit: int) -> str:
    lines = [
        f"{f.subject_name or f.subject}（{f.subject}）：{f.signal.label}，{f.score:g}分。"
        f"{f.summary}（预警编号 {alert_id}）"
        for alert_id, f in sorted(findings, key=lambda item: (-item[1].score, item[1].subject))
    ]
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"……另有{len(lines) - limit}条，请在风险预警中查看。")
    return "\n".join(shown)


def _notice_title(findings: Sequence[tuple[str, Finding]], today: date) -> str:
    counts = Counter(f.signal for _, f in findings)
    parts = "、".join(f"{s.label}{counts[s]}条" for s in RiskSignal if counts[s])
    return f"风险预警：{today}扫描新增{len(findings)}条（{parts}）"


async def run_scan(
    db: Database,
    *,
    thresholds: RiskThresholds | None = None,
    today: date | None = None,
) -> ScanSummary:
    """Run the enabled signals over the whole graph, store the alerts, send the notices."""
    config = thresholds or load_thresholds()
    day = today or china_today()
    started = datetime.now().astimezone()
    findings, seconds = await find_all(db, config, day)
    scan_id = new_id("RS")
    enabled = [s.value for s in config.scan.enabled]

    async def work(tx: neo4j.AsyncManagedTransaction) -> ScanSummary:
        # Before reading the active alerts: a scan running at the same time commits first, and
        # its alerts are then persisting here instead of created twice.
        await hold(tx, Job.RISK_SCAN)
        active = await rows(
            tx,
            f"MATCH (a:{Label.RISK_ALERT} {{status: '{RiskAlertStatus.ACTIVE}'}}) "
            "WHERE a.signal IN $signals "
            "RETURN a.id AS id, a.signal AS signal, a.subject AS subject",
            {"signals": enabled},
        )
        known = {(row["signal"], row["subject"]): row["id"] for row in active}
        new: list[tuple[str, Finding]] = []
        persisting: list[tuple[str, Finding]] = []
        for finding in findings:
            existing = known.get((finding.signal.value, finding.subject))
            if existing is None:
                new.append((new_id("RA"), finding))
            else:
                persisting.append((existing, finding))
        seen = {(f.signal.value, f.subject) for f in findings}
        resolved = [alert for key, alert in known.items() if key not in seen]
        found = Counter(f.signal for f in findings)
        await tx.run(
            _CREATE_SCAN,
            {
                "scan": scan_id,
                "started": started.isoformat(),
                "today": day.isoformat(),
                "version": config.version,
                "signals": enabled,
                "found": json.dumps({s.value: found[s] for s in config.scan.enabled}),
                "new": len(new),
                "persisting": len(persisting),
                "resolved": len(resolved),
            },
        )
        for batch_start in range(0, max(len(new), 1), 5000):
            batch = new[batch_start : batch_start + 5000]
            if batch:
                await tx.run(
                    _CREATE_ALERTS,
                    {"scan": scan_id, "alerts": [{"id": i, "props": _props(f)} for i, f in batch]},
                )
        for batch_start in range(0, max(len(persisting), 1), 5000):
            batch = persisting[batch_start : batch_start + 5000]
            if batch:
                await tx.run(
                    _UPDATE_ALERTS,
                    {"scan": scan_id, "alerts": [{"id": i, "props": _props(f)} for i, f in batch]},
                )
        if resolved:
            await tx.run(_RESOLVE, {"ids": resolved, "scan": scan_id})

        per_department: dict[str, list[tuple[str, Finding]]] = defaultdict(list)
        for alert_id, finding in new:
            for department in finding.departments:
                per_department[department].append((alert_id, finding))
        limit = config.scan.subjects_per_notice
        sent = 0
        for department, items in sorted(per_department.items()):
            sent += await notify(
                tx,
                [department],
                NoticeKind.RISK_ALERT,
                _notice_title(items, day),
                ref=scan_id,
                body=_notice_body(items, limit),
            )
        if new and config.scan.notify_office:
            sent += await notify(
                tx,
                [ADMIN_RECIPIENT],
                NoticeKind.RISK_ALERT,
                _notice_title(new, day),
                ref=scan_id,
                body=_notice_body(new, limit),
            )
        return ScanSummary(
            scan_id=scan_id,
            today=day,
            thresholds_version=config.version,
            found={s: found[s] for s in config.scan.enabled},
            seconds=seconds,
            new=len(new),
            persisting=len(persisting),
            resolved=len(resolved),
            notices=sent,
            new_alerts=tuple(alert_id for alert_id, _ in new),
        )

    return await db.write_transaction(work)
