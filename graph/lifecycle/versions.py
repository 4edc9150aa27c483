"""Credit records made by lifecycle decisions: new versions (objection outcomes) and first
versions (a commitment, its breach, a rectification order, an interview).

Like a feed correction (loaders/writers/records.py), the change is a new version n+1 linked
``(new)-[:SUPERSEDES]->(old)``; the old version is kept as ``SUPERSEDED`` and stops being current.
The new version records why (``changeReason``), who (``changedBy``) and when (``changedOn``),
and keeps the content hash of the feed row it came from, so re-sending that row later counts
as unchanged instead of undoing the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    NotFound,
    NotResponsible,
    WrongState,
    add_event,
    required_text,
    rows,
    single,
)
from graph.lifecycle.list_removal import end_list_entry
from graph.lifecycle.notices import (
    earlier_recipients,
    notify,
    withdraw_from_earlier_recipients,
)
from graph.model import NoticeKind, RecordKind, RecordStatus, SeverityTier
from graph.publication import OPEN_ENTRY_STATUSES, STANDING_STATUSES, current_record
from graph.records import iso, new_version, publication_stamps, version_props, write_records


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
    dates may be `datetime.date` values. Written by graph/records.py `new_version`, which keeps
    the old version's subject, supplier and deciding authority.
    """
    made = await new_version(
        tx,
        key,
        changes,
        changed_by=actor.org_code or actor.org_kind,
        reason=reason,
        today=today,
    )
    if made is None:
        raise NotFound("信用记录", key)
    return made


# -- version 1 of records made by lifecycle decisions ------------------------------------------
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
    (``KIND|provider|文号``), is written by graph/records.py with its publication window and
    first-published day, and points to its provider (which decided it) and subject, so it
    appears with the subject's other records.
    Returns ``{key, uid, element, publishFrom, publishUntil}``.
    """
    key = f"{kind.value}|{provider}|{document_number}"
    stamps = publication_stamps(kind, severity, decided_on, valid_to)
    props = {
        **version_props(key, 1, RecordStatus.EFFECTIVE),
        "kind": kind.value,
        "title": title,
        "documentNumber": document_number,
        "issuingAuthority": provider_name,
        "issuingAuthorityCode": provider,
        "severity": severity.value if severity else None,
        "category": kind.label,
        "content": content,
        "subjectCode": subject,
        "subjectName": subject_name,
        "sourceUnit": provider_name,
        "sourceUnitCode": provider,
        "recordedBy": actor.org_code or actor.org_kind,
    }
    dates = {
        "decisionDate": iso(decided_on),
        "validFrom": iso(decided_on),
        "validTo": iso(valid_to),
        "publishFrom": iso(stamps["publishFrom"]),
        "publishUntil": iso(stamps["publishUntil"]),
        "firstPublishedOn": iso(decided_on),
    }
    # The provider decided it: the record names it as its deciding authority too.
    row = {"props": props, "dates": dates, "subject": subject, "decider": provider}
    created = await write_records(tx, [row], provider=provider, loaded_at=datetime.now(UTC))
    if not created or not created[0]["subjects"]:
        raise NotFound("信用主体或提供单位", f"{subject} / {provider}")
    return {
        "key": key,
        "uid": created[0]["uid"],
        "element": created[0]["element"],
        "publishFrom": stamps["publishFrom"],
        "publishUntil": stamps["publishUntil"],
    }


# -- withdrawal: corrections, revocations and performance (双公示 3-day rule, 六(六)) -----------
PERFORMED_IN_FULL: Final = "全部履行"
"""被执行人的履行情况 that ends a 失信被执行人 (DOMAIN.md: entries end when the obligation is
performed)."""

_OPEN_STATUSES: Final = STANDING_STATUSES
_OPEN_ENTRIES: Final = OPEN_ENTRY_STATUSES


async def tell_earlier_recipients(
    tx: neo4j.AsyncManagedTransaction,
    *,
    subject: str,
    since: date | None,
    sender: str | None,
    title: str,
    ref: str,
    body: str,
) -> int:
    """Put a withdrawal notice in the outbox of every organisation that was served the
    subject's records since `since`, and of its watchers, except `sender` (who made the
    change). Sent in the change's own transaction, so always within the 3 working days."""
    recipients = await earlier_recipients(tx, subject, since)
    return await notify(
        tx,
        [r for r in recipients if r != sender],
        NoticeKind.WITHDRAWAL,
        title,
        subject=subject,
        ref=ref,
        body=body,
    )


# The entries resting on a record (any version), or decided by the same authority under the
# record's document number (a court's 失信被执行人名单 entry names the case).
_ENTRIES_ON_RECORD: Final = (
    current_record("r", "$key") + "CALL (r) { "
    "  MATCH (l:ListEntry)-[:BASED_ON]->(:Record {key: r.key}) RETURN l "
    "  UNION "
    "  MATCH (l:ListEntry {decisionNumber: r.documentNumber})-[:DECIDED_BY]->(:Department "
    "    {code: r.issuingAuthorityCode}) RETURN l } "
    "WITH DISTINCT l WHERE l.status IN $open "
    "RETURN l.id AS id ORDER BY id"
)


async def _end_entries_on(
    tx: neo4j.AsyncManagedTransaction,
    key: str,
    *,
    actor: Actor,
    today: date,
    reason: str,
    cause: str,
) -> list[str]:
    found = await rows(tx, _ENTRIES_ON_RECORD, {"key": key, "open": list(_OPEN_ENTRIES)})
    for entry in found:
        await end_list_entry(tx, entry["id"], actor=actor, today=today, reason=reason, cause=cause)
    return [entry["id"] for entry in found]


_PERFORMED: Final = (
    current_record("r", "$key") + "AND r.status IN $open "
    "OPTIONAL MATCH (r)-[:SUPERSEDES]->(old:Record) "
    "WITH r, coalesce(old.performedOn, r.performedOn, date($today)) AS performed "
    "SET r.performedOn = performed, "
    "r.publishUntil = CASE WHEN r.publishUntil IS NULL OR r.publishUntil >= performed "
    "  THEN performed - duration('P1D') ELSE r.publishUntil END "
    "RETURN elementId(r) AS element, r.uid AS uid, performed"
)


async def end_on_performance(
    tx: neo4j.AsyncManagedTransaction, key: str, *, actor: Actor, today: date
) -> list[str]:
    """A 失信被执行人 whose obligation is performed in full (全部履行) ends that day: the record's
    publication stops (it is kept, as history), the entries resting on it end and release
    their measures; an event says so. Return the entries ended."""
    found = await single(
        tx, _PERFORMED, {"key": key, "open": list(_OPEN_STATUSES), "today": today.isoformat()}
    )
    if found is None:
        return []
    performed = found["performed"].to_native()
    await add_event(
        tx,
        actor,
        "RECORD_PERFORMED",
        [found["element"]],
        today=today,
        reason=f"被执行人已{PERFORMED_IN_FULL}，自{performed.isoformat()}起停止公示",
        detail={"performedOn": performed.isoformat()},
    )
    return await _end_entries_on(
        tx,
        key,
        actor=actor,
        today=today,
        reason=f"被执行人已{PERFORMED_IN_FULL}生效法律文书确定的义务",
        cause="PERFORMANCE",
    )


async def after_feed_versions(
    tx: neo4j.AsyncManagedTransaction,
    written: list[dict[str, Any]],
    *,
    sender: str,
    today: date,
) -> None:
    """What a feed's records set in motion, in the load's transaction: a new version (a
    correction, or a revocation sent as one) withdraws the old one from every organisation
    that was served it; a 失信被执行人 reported 全部履行 ends on performance.

    `written` holds the rows the records writer created: ``props`` (``key``, ``kind``,
    ``uid``, ``performance`` …), ``previous`` (the superseded uid or None), ``enterprise`` /
    ``person`` (the subject) and ``dates`` (ISO ``publishFrom``). The withdrawals of a whole
    chunk are one statement.
    """
    actor = Actor(org_kind="DEPARTMENT", org_code=sender, subject="feed")
    withdrawals: list[dict[str, Any]] = []
    enforcement = RecordKind.ENFORCEMENT.value
    for row in written:
        props = row["props"]
        performed = (
            props.get("kind") == enforcement and props.get("performance") == PERFORMED_IN_FULL
        )
        if not performed and row.get("previous") is None:
            continue  # a first version, most of a chunk: nothing to withdraw or end
        key = str(props["key"])
        if performed:
            await end_on_performance(tx, key, actor=actor, today=today)
        subject = row.get("enterprise") or (row.get("person") or {}).get("key")
        if row.get("previous") is None or not subject:
            continue
        since = row.get("dates", {}).get("publishFrom")
        what = "已全部履行，停止公示" if performed else "已更正"
        withdrawals.append(
            {
                "subject": subject,
                "since": date.fromisoformat(since) if since else None,
                "sender": sender,
                "title": f"信用记录{what}，原版本撤回：{key}",
                "ref": str(props["uid"]),
                "body": f"原版本 {row['previous']} 已被新版本取代；"
                "请删除或停止使用此前获取的该版本。",
            }
        )
    await withdraw_from_earlier_recipients(tx, withdrawals)


@dataclass(frozen=True)
class Revocation:
    """A record revoked by its deciding department, and what followed."""

    key: str
    uid: str
    subject: str | None
    status: RecordStatus
    revoked_on: date
    withdrawal_notices: int
    ended_list_entries: tuple[str, ...]


_TO_REVOKE: Final = (
    current_record("r", "$key") + "OPTIONAL MATCH (r)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (r)-[:PROVIDED_BY]->(d) "
    "RETURN r.status AS status, r.publishFrom AS publishFrom, "
    "coalesce(s.uscc, s.key) AS subject, d.code AS provider, "
    "[r.issuingAuthorityCode] + "
    "[(r)-[:SUPERSEDES*0..]->(:Record)-[:DECIDED_BY]->(o) | o.code] AS deciders"
)


async def revoke_record(
    db: Database, actor: Actor, department: str, key: str, reason: str, *, today: date
) -> Revocation:
    """Revoke a record (撤销, e.g. after 行政复议 or 诉讼) on behalf of the department that
    decided or provided it (谁认定、谁负责): a new version marked 已撤销 keeps the old one as
    history; it stops being published and shared, the list entries resting on it end, and
    every organisation that was served it is told at once (双公示: within 3 working days)."""
    text = required_text("reason", reason, max_length=500)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Revocation:
        found = await single(tx, _TO_REVOKE, {"key": key})
        if found is None:
            raise NotFound("信用记录", key)
        responsible = {c for c in [found["provider"], *found["deciders"]] if c}
        if department not in responsible:
            raise NotResponsible(
                f"谁认定、谁负责：信用记录 {key} 只能由作出决定或提供该信息的部门撤销 "
                "(only the department that decided or provided the record may revoke it)"
            )
        if found["status"] not in _OPEN_STATUSES:
            raise WrongState(
                f"信用记录 {key} 状态为{RecordStatus.of(found['status']).label}，不能撤销 "
                "(only an effective record can be revoked)"
            )
        made = await new_record_version(
            tx,
            key,
            {
                "status": RecordStatus.REVOKED.value,
                "revokedOn": today,
                "statusBeforeObjection": None,
            },
            actor=actor,
            reason=f"撤销：{text}",
            today=today,
        )
        await add_event(
            tx,
            actor,
            "RECORD_REVOKED",
            [made["element"], made["previous"]],
            today=today,
            from_state=found["status"],
            to_state=RecordStatus.REVOKED.value,
            reason=text,
        )
        ended = await _end_entries_on(
            tx,
            key,
            actor=actor,
            today=today,
            reason=f"所依据的信用记录已撤销：{text}",
            cause="REVOCATION",
        )
        sent = 0
        if found["subject"]:
            since = found["publishFrom"].to_native() if found["publishFrom"] else None
            sent = await tell_earlier_recipients(
                tx,
                subject=found["subject"],
                since=since,
                sender=actor.org_code,
                title=f"信用记录已撤销，撤回已提供的信息：{key}",
                ref=made["uid"],
                body=text,
            )
        return Revocation(
            key=key,
            uid=made["uid"],
            subject=found["subject"],
            status=RecordStatus.REVOKED,
            revoked_on=today,
            withdrawal_notices=sent,
            ended_list_entries=tuple(ended),
        )

    return await db.write_transaction(work)
