"""New versions of a credit record made by a lifecycle decision (objection outcome, correction).

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
