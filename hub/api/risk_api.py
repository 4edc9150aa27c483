"""The risk early-warning API (风险预判预警): the alerts the scan stored, with their paths.

Alerts are supervision information for the departments and the credit office only
(`operations.readRiskAlerts`); anyone else is refused, naming that rule. Persons on an alert's
paths are stored by key and masked name; their full names are added only when the catalogue's
`Person.name` class is shared with the caller. Every read is an audit entry naming the alerts'
subjects.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from graph.model import RiskAlertStatus, RiskSignal
from graph.risk import alerts
from hub.api.lifecycle_support import require
from hub.api.lists_api import OrgRef
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument
from hub.projection import decode_cursor, encode_cursor

COMPUTED_TYPES = (
    "RiskPathStep",
    "RiskEvidence",
    "RiskAlert",
    "RiskAlertPage",
    "RiskSignalCount",
    "RiskScan",
)
"""Types of this module: computed in the hub under operations.readRiskAlerts."""

MAX_FIRST = 100


@strawberry.type(description="One node of an explaining path and the link to the next one")
class RiskPathStep:
    kind: str = strawberry.field(
        description="Enterprise, Person, Record, ListEntry, Ban, Department, EnterpriseRevision"
    )
    code: str = strawberry.field(description="Its key: USCC, person key, record uid, id …")
    name: str | None = strawberry.field(
        description="Name or title; a person's full name only for callers the catalogue's "
        "Person.name class is shared with, else the masked name"
    )
    name_masked: str | None = strawberry.field(description="A person's de-identified name")
    relationship: str | None = strawberry.field(
        description="Type of the relationship to the next step (null on the last step)"
    )
    forward: bool | None = strawberry.field(
        description="True when the relationship points from this step to the next"
    )


@strawberry.type(description="One explaining path of an alert, with the records behind it")
class RiskEvidence:
    summary: str
    steps: list[RiskPathStep]
    records: list[str] = strawberry.field(description="Record version ids (uid)")
    list_entries: list[str]
    bans: list[str]
    departments: list[str] = strawberry.field(description="Departments behind this path")


@strawberry.type(description="A risk alert (风险预警): one signal about one enterprise")
class RiskAlert:
    id: strawberry.ID
    signal: RiskSignal
    signal_label: str
    status: RiskAlertStatus
    score: float = strawberry.field(description="0–100, by the weights in thresholds.toml")
    subject: OrgRef
    summary: str
    departments: list[OrgRef] = strawberry.field(
        description="Departments concerned (they provided the records or decided the entry)"
    )
    evidence: list[RiskEvidence]
    first_seen_at: datetime.datetime
    last_seen_at: datetime.datetime
    first_scan: str
    last_scan: str
    scans: int = strawberry.field(description="Scans that found it")
    resolved_at: datetime.datetime | None
    resolved_in_scan: str | None


@strawberry.type(description="A page of risk alerts, highest score first")
class RiskAlertPage:
    total_count: int
    nodes: list[RiskAlert]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type(description="How many findings one signal had in a scan")
class RiskSignalCount:
    signal: RiskSignal
    count: int


@strawberry.type(description="One run of the risk scan")
class RiskScan:
    id: strawberry.ID
    started_at: datetime.datetime
    finished_at: datetime.datetime
    as_of: datetime.date
    thresholds_version: str
    found: list[RiskSignalCount] = strawberry.field(description="Findings per signal")
    new: int
    persisting: int
    resolved: int


def _step(step: dict[str, Any], names: dict[str, str]) -> RiskPathStep:
    person = step.get("kind") == "Person"
    masked = step.get("name") if person else None
    return RiskPathStep(
        kind=str(step.get("kind")),
        code=str(step.get("code")),
        name=names.get(step["code"], masked) if person else step.get("name"),
        name_masked=masked,
        relationship=step.get("rel"),
        forward=step.get("forward"),
    )


def _view(alert: alerts.RiskAlert, names: dict[str, str], departments: dict[str, str]) -> RiskAlert:
    return RiskAlert(
        id=strawberry.ID(alert.id),
        signal=alert.signal,
        signal_label=alert.signal.label,
        status=alert.status,
        score=alert.score,
        subject=OrgRef(code=alert.subject, name=alert.subject_name),
        summary=alert.summary,
        departments=[OrgRef(code=d, name=departments.get(d)) for d in alert.departments],
        evidence=[
            RiskEvidence(
                summary=str(item.get("summary", "")),
                steps=[_step(step, names) for step in item.get("steps", ())],
                records=list(item.get("records", ())),
                list_entries=list(item.get("listEntries", ())),
                bans=list(item.get("bans", ())),
                departments=list(item.get("departments", ())),
            )
            for item in alert.evidence
        ],
        first_seen_at=alert.first_seen_at,
        last_seen_at=alert.last_seen_at,
        first_scan=alert.first_scan,
        last_scan=alert.last_scan,
        scans=alert.scans,
        resolved_at=alert.resolved_at,
        resolved_in_scan=alert.resolved_in_scan,
    )


async def _views(info: GraphInfo, found: list[alerts.RiskAlert]) -> list[RiskAlert]:
    """The alerts as the caller may see them, with the audit's subjects noted."""
    context = info.context
    keys = {key for alert in found for key in alert.person_keys}
    decision = context.catalogue.field(context.consumer, "Person", "name")
    names: dict[str, str] = {}
    if decision.allowed and keys:
        names = await alerts.person_names(context.db, keys)
        context.released.add(decision.coordinate)
    departments = await alerts.department_names(
        context.db, {d for alert in found for d in alert.departments}
    )
    context.subjects.update(alert.subject for alert in found)
    return [_view(alert, names, departments) for alert in found]


@strawberry.type
class RiskQuery:
    @strawberry.field(
        description="Risk alerts (风险预警) for departments and the credit office, highest score "
        "first: by signal, minimum score, status (default ACTIVE; null for all) and subject"
    )
    async def risk_alerts(
        self,
        info: GraphInfo,
        signal: RiskSignal | None = None,
        min_score: float | None = None,
        status: RiskAlertStatus | None = RiskAlertStatus.ACTIVE,
        subject: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> RiskAlertPage:
        context = info.context
        require(info, "readRiskAlerts")
        if not 1 <= first <= MAX_FIRST:
            raise InvalidArgument("first", f"must be between 1 and {MAX_FIRST}")
        if min_score is not None and not 0.0 <= min_score <= 100.0:
            raise InvalidArgument("minScore", "must be between 0 and 100")
        offset = decode_cursor(after) + 1 if after else 0
        total, found = await alerts.list_alerts(
            context.db,
            signal=signal,
            min_score=min_score,
            status=status,
            subject=subject.strip().upper() if subject else None,
            offset=offset,
            limit=first,
        )
        context.audit_action(
            "risk_alerts",
            subjects=set(),
            detail=f"signal={signal} minScore={min_score} status={status}",
        )
        nodes = await _views(info, found)
        end = offset + len(nodes) - 1
        return RiskAlertPage(
            total_count=total,
            nodes=nodes,
            end_cursor=encode_cursor(end) if nodes else None,
            has_next_page=end + 1 < total,
        )

    @strawberry.field(description="One risk alert with the paths that explain it")
    async def risk_alert(self, info: GraphInfo, id: strawberry.ID) -> RiskAlert | None:
        context = info.context
        require(info, "readRiskAlerts")
        found = await alerts.get_alert(context.db, str(id))
        context.audit_action("risk_alert", subjects=set(), detail=str(id))
        if found is None:
            return None
        [view] = await _views(info, [found])
        return view

    @strawberry.field(description="The latest risk scans, newest first")
    async def risk_scans(self, info: GraphInfo, last: int = 10) -> list[RiskScan]:
        context = info.context
        require(info, "readRiskAlerts")
        if not 1 <= last <= MAX_FIRST:
            raise InvalidArgument("last", f"must be between 1 and {MAX_FIRST}")
        return [
            RiskScan(
                id=strawberry.ID(s.id),
                started_at=s.started_at,
                finished_at=s.finished_at,
                as_of=s.today,
                thresholds_version=s.thresholds_version,
                found=[
                    RiskSignalCount(signal=RiskSignal.of(k), count=v) for k, v in s.found.items()
                ],
                new=s.new,
                persisting=s.persisting,
                resolved=s.resolved,
            )
            for s in await alerts.scans(context.db, last)
        ]
