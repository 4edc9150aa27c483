"""Ending a list entry: the one path by which an entry leaves a list, whatever the cause.

Removal by the identifying department, an objection upheld (移出名单) and a completed credit
repair all end an entry the same way (DOMAIN.md: removal releases every measure attached to
it): the entry's previous state is kept as a ``(:ListEntryRevision)``, the entry becomes
已移出 with the day and the reason, every measure still applied under it is lifted, each change
is an `Event`, and the departments that imposed the measures and the subject's watchers are told.
"""

from __future__ import annotations

from datetime import date

import neo4j

from graph.lifecycle.base import Actor, NotFound, WrongState, add_event, rows, single
from graph.lifecycle.notices import notify, notify_watchers
from graph.model import ListEntryStatus, NoticeKind

_SNAPSHOT = (
    "MATCH (l:ListEntry {id: $id}) "
    "OPTIONAL MATCH (l)-[link:PREVIOUS_REVISION]->(older:ListEntryRevision) "
    "CREATE (rev:ListEntryRevision) "
    "SET rev = properties(l), rev.replacedAt = datetime(), rev.replacedBy = $cause "
    "CREATE (l)-[:PREVIOUS_REVISION]->(rev) "
    "FOREACH (_ IN CASE WHEN older IS NULL THEN [] ELSE [1] END | "
    "  CREATE (rev)-[:PREVIOUS_REVISION]->(older) DELETE link) "
    "SET l.status = 'REMOVED', l.removedOn = date($today), l.removalReason = $reason, "
    "l.removalCause = $cause, l.version = coalesce(l.version, 1) + 1 "
    "RETURN elementId(l) AS element"
)

_LIFT = (
    "MATCH (s:Sanction {status: 'ACTIVE'})-[:UNDER]->(:ListEntry {id: $id}) "
    "SET s.status = 'LIFTED', s.until = date($today), s.liftedReason = $reason "
    "WITH s OPTIONAL MATCH (s)-[:IMPOSED_BY]->(d) "
    "RETURN elementId(s) AS element, s.id AS id, d.code AS imposer"
)


async def end_list_entry(
    tx: neo4j.AsyncManagedTransaction,
    entry_id: str,
    *,
    actor: Actor,
    today: date,
    reason: str,
    cause: str,
) -> list[str]:
    """Remove the entry from its list and lift its measures; return the lifted sanction ids.

    `cause` names the process (REMOVAL, OBJECTION, REPAIR); `reason` is the text people read.
    """
    found = await single(
        tx,
        "MATCH (l:ListEntry {id: $id}) OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
        "RETURN l.status AS status, l.listName AS name, coalesce(s.uscc, s.key) AS subject",
        {"id": entry_id},
    )
    if found is None:
        raise NotFound("名单", entry_id)
    if found["status"] == ListEntryStatus.REMOVED.value:
        raise WrongState(f"名单 {entry_id} 已移出 (the entry has already been removed)")
    params = {"id": entry_id, "today": today.isoformat(), "reason": reason, "cause": cause}
    entry = await single(tx, _SNAPSHOT, params)
    assert entry is not None
    await add_event(
        tx,
        actor,
        "LIST_ENTRY_REMOVED",
        [entry["element"]],
        today=today,
        from_state=found["status"],
        to_state=ListEntryStatus.REMOVED.value,
        reason=reason,
        detail={"cause": cause},
    )
    lifted = await rows(tx, _LIFT, params)
    for sanction in lifted:
        await add_event(
            tx,
            actor,
            "SANCTION_LIFTED",
            [sanction["element"]],
            today=today,
            from_state="ACTIVE",
            to_state="LIFTED",
            reason=reason,
            detail={"listEntry": entry_id},
        )
    title = f"{found['name'] or '名单'}移出：{entry_id}，相关惩戒措施解除"
    await notify(
        tx,
        [s["imposer"] for s in lifted],
        NoticeKind.SANCTION,
        title,
        subject=found["subject"],
        ref=entry_id,
        body=reason,
    )
    if found["subject"]:
        await notify_watchers(tx, [found["subject"]], NoticeKind.LIST_ENTRY, title, ref=entry_id)
    return [s["id"] for s in lifted]
