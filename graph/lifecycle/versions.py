"""Credit records made by lifecycle decisions: new versions (objection outcomes) and first
versions (a commitment, its breach, a rectification order, an interview).

Like a feed correction (loaders/writers/records.py), the change is a new version n+1 linked
``(new)-[:SUPERSEDES]->(old)``; the old version is kept as ``SUPERSEDED`` and stops being current.
The new version records why (``changeReason``), who (``changedBy``) and when (``changedOn``),
and keeps the content hash of the feed row it came from, so re-sending that row later counts
as unchanged instead of undoing the decision.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import neo4j

from graph.lifecycle.base import Actor, NotFound, single
from graph.model import RecordKind, RecordStatus, SeverityTier
from graph.publication import publication_window

_NEW_VERSION = (
    "MATCH (old:Record {key: $key, current: true}) "
    # The new uid goes in with the copy: a copy still carrying the old uid would violate the
    # uniqueness constraint the moment it is set.
    "WITH old, old {.*, uid: old.key + '#v' + toString(old.version + 1), "
    "version: old.version + 1, current: true} AS copied "
    "CREATE (new:Record) SET new = copied "
    "SET new += $changes, new.changeReason = $reason, new.changedBy = $actorCode, "
    "new.changedOn = date($today), "
    "new.batchId = null, new.sourceRow = null "
    "SET old.current = false, old.status = 'SUPERSEDED' "
    "CREATE (new)-[:SUPERSEDES]->(old) "
    "WITH old, new "
    "CALL (old, new) { MATCH (old)-[:HAS_SUBJECT]->(s) CREATE (new)-[:HAS_SUBJECT]->(s) } "
    "CALL (old, new) { MATCH (old)-[:PROVIDED_BY]->(d) CREATE (new)-[:PROVIDED_BY]->(d) } "
    "RETURN new.uid AS uid, elementId(new) AS element, elementId(old) AS previous"
)


async def new_record_version(
    tx: neo4j.AsyncManagedTransaction,
    key: str,
    changes: dict[str, Any],
    *,
    actor: Actor,
    reason: str,
    today: date,
) -> dict[str, str]:
    """Make version n+1 of the record `key` with `changes`; return its uid and element ids.

    `changes` holds stored property names (``status``, ``publishUntil``, ``content`` …);
    dates may be `datetime.date` values.
    """
    row = await single(
        tx,
        _NEW_VERSION,
        {
            "key": key,
            "changes": changes,
            "reason": reason,
            "actorCode": actor.org_code or actor.org_kind,
            "today": today.isoformat(),
        },
    )
    if row is None:
        raise NotFound("信用记录", key)
    return {"uid": row["uid"], "element": row["element"], "previous": row["previous"]}


# -- version 1 of records made by lifecycle decisions ------------------------------------------
_CREATE_RECORD = (
    "MATCH (p) WHERE (p:Department OR p:Association OR p:CreditAgency) AND p.code = $provider "
    "MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject) "
    "CREATE (r:Record) SET r = $props, r.decisionDate = date($decisionDate), "
    "r.validFrom = date($decisionDate), r.validTo = date($validTo), "
    "r.publishFrom = date($publishFrom), r.publishUntil = date($publishUntil), "
    "r.firstPublishedOn = date($decisionDate), r.loadedAt = datetime() "
    "CREATE (r)-[:PROVIDED_BY]->(p) "
    "CREATE (r)-[:HAS_SUBJECT]->(s) "
    "RETURN elementId(r) AS element, r.uid AS uid"
)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


async def record_exists(tx: neo4j.AsyncManagedTransaction, key: str) -> bool:
    """Whether a record with natural key `key` exists (any version)."""
    found = await single(
        tx, "RETURN EXISTS { MATCH (:Record {key: $key}) } AS exists", {"key": key}
    )
    return bool(found and found["exists"])


async def create_decision_record(
    tx: neo4j.AsyncManagedTransaction,
    *,
    kind: RecordKind,
    provider: str,
    provider_name: str | None,
    document_number: str,
    subject: str,
    subject_name: str | None,
    title: str,
    content: str,
    severity: SeverityTier | None,
    decided_on: date,
    valid_to: date | None,
    actor: Actor,
) -> dict[str, Any]:
    """Version 1 of a credit record made by a lifecycle decision (not by a feed).

    Shared by commitments and rectification: the record is keyed like a fed one
    (``KIND|provider|文号``), carries its publication window from graph/publication.py and
    points to its provider and subject, so it appears with the subject's other records.
    Returns ``{key, uid, element, publishFrom, publishUntil}``.
    """
    key = f"{kind.value}|{provider}|{document_number}"
    publish_from, publish_until = publication_window(kind, severity, decided_on, valid_to)
    props = {
        "uid": f"{key}#v1",
        "key": key,
        "version": 1,
        "current": True,
        "kind": kind.value,
        "title": title,
        "documentNumber": document_number,
        "issuingAuthority": provider_name,
        "issuingAuthorityCode": provider,
        "severity": severity.value if severity else None,
        "category": kind.label,
        "content": content,
        "status": RecordStatus.EFFECTIVE.value,
        "subjectCode": subject,
        "subjectName": subject_name,
        "sourceUnit": provider_name,
        "sourceUnitCode": provider,
        "recordedBy": actor.org_code or actor.org_kind,
    }
    row = await single(
        tx,
        _CREATE_RECORD,
        {
            "provider": provider,
            "subject": subject,
            "props": props,
            "decisionDate": decided_on.isoformat(),
            "validTo": _iso(valid_to),
            "publishFrom": _iso(publish_from),
            "publishUntil": _iso(publish_until),
        },
    )
    if row is None:
        raise NotFound("信用主体或提供单位", f"{subject} / {provider}")
    return {
        "key": key,
        "uid": row["uid"],
        "element": row["element"],
        "publishFrom": publish_from,
        "publishUntil": publish_until,
    }
