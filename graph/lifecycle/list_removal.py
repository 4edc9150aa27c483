"""Ending a list entry: the one path by which an entry leaves a list, whatever the cause.

Removal by the identifying department, an objection upheld (移出名单), a completed credit
repair, a court's 失信被执行人 whose obligation is performed, and the end of the entry's period
(``effectiveUntil``) all end an entry the same way (DOMAIN.md: removal releases every measure
attached to it): the entry's previous state is kept as a ``(:ListEntryRevision)``, the entry
becomes 已移出 (or, at the end of its period, 已到期) with the day and the reason, every measure
still applied under it is lifted, the personal LIABILITY records it made (六(五)) end with it,
each change is an `Event`, and the departments that imposed the measures and the subject's
watchers are told.

`expire_list_entries` is the job that ends entries past their period; until it has run, every
reader already judges "in force" by the date (graph/publication.py `list_entry_in_force`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import Actor, NotFound, WrongState, add_event, rows, single
from graph.lifecycle.notices import earlier_recipients, notify, notify_watchers
from graph.model import Label, ListEntryStatus, NoticeKind, RecordKind, RecordStatus, Rel
from graph.publication import OPEN_ENTRY_STATUSES, STANDING_STATUSES, current_version

ENDED_STATUSES: Final = frozenset({ListEntryStatus.REMOVED, ListEntryStatus.EXPIRED})
"""States of an entry that has left its list."""

EXPIRY_ACTOR: Final = Actor(org_kind="ADMIN", org_code=None, subject="list-expiry")
"""Who ends entries at the end of their period: the network itself, for the credit office."""

# What an ended entry does to the liability records it made: a repair or an upheld objection
# (wrongly listed) withdraws them like the entry; otherwise they stop being published.
_LIABILITY_STATUS: Final = {
    "REPAIR": RecordStatus.REPAIRED,
    "OBJECTION": RecordStatus.REVOKED,
}

_SNAPSHOT = (
    "MATCH (l:ListEntry {id: $id}) "
    "OPTIONAL MATCH (l)-[link:PREVIOUS_REVISION]->(older:ListEntryRevision) "
    "CREATE (rev:ListEntryRevision) "
    "SET rev = properties(l), rev.replacedAt = datetime(), rev.replacedBy = $cause "
    "CREATE (l)-[:PREVIOUS_REVISION]->(rev) "
    "FOREACH (_ IN CASE WHEN older IS NULL THEN [] ELSE [1] END | "
    "  CREATE (rev)-[:PREVIOUS_REVISION]->(older) DELETE link) "
    "SET l.status = $status, l.removedOn = date($endedOn), l.removalReason = $reason, "
    "l.removalCause = $cause, l.version = coalesce(l.version, 1) + 1 "
    "RETURN elementId(l) AS element"
)

_LIFT = (
    "MATCH (s:Sanction {status: 'ACTIVE'})-[:UNDER]->(:ListEntry {id: $id}) "
    "SET s.status = 'LIFTED', s.until = date($endedOn), s.liftedReason = $reason "
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
    status: ListEntryStatus = ListEntryStatus.REMOVED,
    ended_on: date | None = None,
) -> list[str]:
    """Remove the entry from its list and lift its measures; return the lifted sanction ids.

    `cause` names the process (REMOVAL, OBJECTION, REPAIR, PERFORMANCE, EXPIRY); `reason` is
    the text people read. `status` is REMOVED, or EXPIRED at the end of the period; `ended_on`
    (default `today`) is the first day the entry no longer applies.
    """
    found = await single(
        tx,
        "MATCH (l:ListEntry {id: $id}) OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
        "RETURN l.status AS status, l.listName AS name, coalesce(s.uscc, s.key) AS subject",
        {"id": entry_id},
    )
    if found is None:
        raise NotFound("名单", entry_id)
    if ListEntryStatus.of(found["status"]) in ENDED_STATUSES:
        raise WrongState(f"名单 {entry_id} 已移出 (the entry has already been removed)")
    ended = ended_on or today
    params = {
        "id": entry_id,
        "today": today.isoformat(),
        "endedOn": ended.isoformat(),
        "reason": reason,
        "cause": cause,
        "status": status.value,
    }
    entry = await single(tx, _SNAPSHOT, params)
    assert entry is not None
    await add_event(
        tx,
        actor,
        "LIST_ENTRY_EXPIRED" if status is ListEntryStatus.EXPIRED else "LIST_ENTRY_REMOVED",
        [entry["element"]],
        today=today,
        from_state=found["status"],
        to_state=status.value,
        reason=reason,
        detail={"cause": cause, "endedOn": ended.isoformat()},
    )
    await _end_liabilities(tx, entry_id, actor=actor, today=today, ended=ended, cause=cause)
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
    verb = "到期" if status is ListEntryStatus.EXPIRED else "移出"
    title = f"{found['name'] or '名单'}{verb}：{entry_id}，相关惩戒措施解除"
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


_LIABILITIES: Final = (
    f"MATCH (:{Label.LIST_ENTRY} {{id: $id}})-[:{Rel.RESULTED_IN}]->"
    f"(r:{Label.RECORD} {{kind: $kind}}) "
    f"WHERE {current_version('r')} AND r.status IN $open "
    "WITH r, r.status AS before, r.publishFrom AS publishFrom "
    "SET r.publishUntil = CASE WHEN r.publishUntil IS NULL OR r.publishUntil > date($stop) "
    "  THEN date($stop) ELSE r.publishUntil END, "
    "r.endedOn = date($endedOn), r.endedWith = $cause, "
    "r.status = coalesce($status, r.status) "
    "WITH r, before, publishFrom OPTIONAL MATCH (r)-[:HAS_SUBJECT]->(p) "
    "RETURN elementId(r) AS element, r.key AS key, before, r.status AS after, "
    "coalesce(p.key, p.uscc) AS subject, publishFrom"
)


async def _end_liabilities(
    tx: neo4j.AsyncManagedTransaction,
    entry_id: str,
    *,
    actor: Actor,
    today: date,
    ended: date,
    cause: str,
) -> None:
    """End the personal LIABILITY records the entry made (六(五)): they are not published
    after the entry ends; a repair or an upheld objection also stops sharing them and tells
    whoever was served them."""
    status = _LIABILITY_STATUS.get(cause)
    found = await rows(
        tx,
        _LIABILITIES,
        {
            "id": entry_id,
            "kind": RecordKind.LIABILITY.value,
            "open": list(STANDING_STATUSES),
            "stop": (ended - timedelta(days=1)).isoformat(),
            "endedOn": ended.isoformat(),
            "cause": cause,
            "status": status.value if status else None,
        },
    )
    for record in found:
        await add_event(
            tx,
            actor,
            "LIABILITY_ENDED",
            [record["element"]],
            today=today,
            from_state=record["before"],
            to_state=record["after"],
            reason=f"所依据的名单 {entry_id} 已终止",
            detail={"listEntry": entry_id, "cause": cause},
        )
        if status is None or record["subject"] is None:
            continue
        since = record["publishFrom"].to_native() if record["publishFrom"] else None
        recipients = await earlier_recipients(tx, record["subject"], since)
        await notify(
            tx,
            [r for r in recipients if r != actor.org_code],
            NoticeKind.WITHDRAWAL,
            f"失信责任追究记录撤回：{record['key']}",
            subject=record["subject"],
            ref=record["key"],
            body="所依据的名单已终止，请删除或停止使用此前获取的该信息。",
        )


_EXPIRED: Final = (
    "MATCH (l:ListEntry) WHERE l.status IN $open AND l.effectiveUntil < date($today) "
    "RETURN l.id AS id, l.effectiveUntil AS until ORDER BY l.effectiveUntil, l.id LIMIT $limit"
)


async def expire_list_entries(
    db: Database, *, today: date, actor: Actor = EXPIRY_ACTOR, chunk: int = 500
) -> list[str]:
    """End every entry whose period is over (``effectiveUntil`` before `today`, the Beijing
    date) as 已到期, on the day after its last day, releasing its measures like a removal;
    return the ids ended. Idempotent: run it daily (``credithub expire-lists``) — a second run
    the same day finds nothing."""
    ended: list[str] = []
    while True:

        async def work(tx: neo4j.AsyncManagedTransaction) -> list[str]:
            due = await rows(
                tx,
                _EXPIRED,
                {
                    "open": list(OPEN_ENTRY_STATUSES),
                    "today": today.isoformat(),
                    "limit": chunk,
                },
            )
            for entry in due:
                last = entry["until"].to_native()
                await end_list_entry(
                    tx,
                    entry["id"],
                    actor=actor,
                    today=today,
                    reason=f"有效期至{last.isoformat()}届满，自动移出",
                    cause="EXPIRY",
                    status=ListEntryStatus.EXPIRED,
                    ended_on=last + timedelta(days=1),
                )
            return [entry["id"] for entry in due]

        batch = await db.write_transaction(work)
        ended.extend(batch)
        if len(batch) < chunk:
            return ended
