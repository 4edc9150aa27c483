"""Market and industry entry bans (市场禁入、行业禁入, 六(四)) on entities and responsible persons.

A ban is a ``(:Sanction:Ban)``: a period (``from`` before ``until``), a scope — the whole market,
or one industry named in words — the legal basis and decision number, ``-[:HAS_SUBJECT]->`` the
enterprise or person it keeps out, ``-[:IMPOSED_BY]->`` the department, and optionally
``-[:UNDER]->`` the black-list entry it follows from (whose subject or linked person it must
then concern) and ``-[:APPLIES]->`` the catalogue measure it carries out. Being a sanction, it
ends with its list entry (`end_list_entry`) and answers `applicable_measures`; a ban on a person
is flagged on every enterprise that person represents. The imposing department may lift a ban
before its end; that is an `Event` like every other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    NotResponsible,
    WrongState,
    add_event,
    new_id,
    required_text,
    rows,
    single,
)
from graph.lifecycle.measures import SanctionInfo, UnknownMeasure, sanction_in
from graph.lifecycle.notices import notify_watchers
from graph.model import BanScope, ListEntryStatus, ListType, NoticeKind, SanctionStatus


@dataclass(frozen=True)
class BanOrder:
    """A department's ban decision as submitted (fields as the API names them)."""

    scope: BanScope
    subject_uscc: str | None = None
    subject_person: str | None = None
    industry: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    basis: str | None = None
    decision_number: str | None = None
    list_entry_id: str | None = None
    measure_code: str | None = None


@dataclass(frozen=True)
class _Checked:
    scope: BanScope
    subject: str
    subject_is_person: bool
    industry: str | None
    starts_on: date
    ends_on: date
    basis: str
    decision_number: str
    list_entry_id: str | None
    measure_code: str | None


def _missing(field: str, item: str) -> MissingRequirement:
    return MissingRequirement(f"`{field}`: 缺少{item}（禁入须依法作出书面决定并载明期限）")


def _check(order: BanOrder, today: date) -> _Checked:
    """Refuse an order that lacks an item or contradicts itself, naming the field."""
    uscc = (order.subject_uscc or "").strip().upper()
    person = (order.subject_person or "").strip()
    if bool(uscc) == bool(person):
        raise InvalidInput(
            "subject", "须且只能指定 uscc 或 personKey 之一 (name exactly one subject)"
        )
    if not (order.basis or "").strip():
        raise _missing("basis", "禁入依据")
    if not (order.decision_number or "").strip():
        raise _missing("decisionNumber", "禁入决定文书号")
    if order.ends_on is None:
        raise _missing("endsOn", "禁入期限")
    starts = order.starts_on or today
    if order.ends_on <= starts:
        raise InvalidInput(
            "endsOn", "禁入期限的截止日期须晚于起始日期 (a ban's end must be after its start)"
        )
    industry = (order.industry or "").strip() or None
    if order.scope is BanScope.INDUSTRY and industry is None:
        raise _missing("industry", "禁入的行业")
    if order.scope is BanScope.MARKET and industry is not None:
        raise InvalidInput(
            "industry", "市场禁入不限于某一行业 (a market ban covers every industry; name none)"
        )
    return _Checked(
        scope=order.scope,
        subject=uscc or person,
        subject_is_person=bool(person),
        industry=required_text("industry", industry, max_length=100) if industry else None,
        starts_on=starts,
        ends_on=order.ends_on,
        basis=required_text("basis", order.basis),
        decision_number=required_text("decisionNumber", order.decision_number, max_length=100),
        list_entry_id=(order.list_entry_id or "").strip() or None,
        measure_code=(order.measure_code or "").strip().upper() or None,
    )


_FACTS: Final = (
    "OPTIONAL MATCH (d:Department {code: $department}) "
    "OPTIONAL MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) "
    "OR (s:Person AND s.key = $subject) "
    "OPTIONAL MATCH (m:Measure {code: $measure}) "
    "OPTIONAL MATCH (l:ListEntry {id: $entry}) "
    "RETURN d IS NOT NULL AS department, s IS NOT NULL AS subject, "
    "coalesce(s:Person, false) AS isPerson, s.nameMasked AS masked, s.name AS name, "
    "m IS NOT NULL AS measure, properties(l) AS entry, "
    "EXISTS { MATCH (l)-[:HAS_SUBJECT|LINKED_PERSON]->(s) } AS concerns, "
    "EXISTS { MATCH (b:Ban {decisionNumber: $number})-[:HAS_SUBJECT]->(s) "
    "  MATCH (b)-[:IMPOSED_BY]->(d) } AS duplicate, "
    "COLLECT { MATCH (s:Person)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF]->"
    "(e:Enterprise) RETURN DISTINCT e.uscc AS e } AS represented"
)

_CREATE: Final = (
    "MATCH (d:Department {code: $department}) "
    "MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject) "
    "CREATE (x:Sanction:Ban) SET x = $props "
    "CREATE (x)-[:HAS_SUBJECT]->(s) CREATE (x)-[:IMPOSED_BY]->(d) "
    "WITH x "
    "CALL (x) { MATCH (l:ListEntry {id: $entry}) CREATE (x)-[:UNDER]->(l) } "
    "CALL (x) { MATCH (m:Measure {code: $measure}) CREATE (x)-[:APPLIES]->(m) } "
    "RETURN elementId(x) AS element"
)


async def impose_ban(
    db: Database, actor: Actor, department: str, order: BanOrder, *, today: date
) -> SanctionInfo:
    """Ban an enterprise or a person from the market or an industry for a period."""
    checked = _check(order, today)

    async def work(tx: neo4j.AsyncManagedTransaction) -> SanctionInfo:
        found = await single(
            tx,
            _FACTS,
            {
                "department": department,
                "subject": checked.subject,
                "measure": checked.measure_code,
                "entry": checked.list_entry_id,
                "number": checked.decision_number,
            },
        )
        assert found is not None
        if not found["department"]:
            raise NotFound("部门", department)
        if not found["subject"] or bool(found["isPerson"]) != checked.subject_is_person:
            raise NotFound("自然人" if checked.subject_is_person else "市场主体", checked.subject)
        if checked.measure_code is not None and not found["measure"]:
            raise UnknownMeasure(checked.measure_code)
        entry = found["entry"]
        if checked.list_entry_id is not None:
            if entry is None:
                raise NotFound("名单", checked.list_entry_id)
            if (
                entry["listType"] != ListType.BLACK.value
                or entry["status"] != ListEntryStatus.ACTIVE.value
            ):
                raise WrongState(
                    f"名单 {checked.list_entry_id} 不是有效的失信主体名单 (a ban follows a "
                    "black-list entry in force only)"
                )
            if not found["concerns"]:
                raise InvalidInput(
                    "listEntryId",
                    "禁入对象须为该名单的主体或其责任人员 (the banned subject must be the "
                    "entry's subject or a person it names)",
                )
        if found["duplicate"]:
            raise WrongState(
                f"`decisionNumber`: 禁入决定 {checked.decision_number} 已对该主体作出 (this "
                "department has already banned this subject under this decision)"
            )
        ban_id = new_id("SN")
        props = {
            "id": ban_id,
            "scope": checked.scope.value,
            "industry": checked.industry,
            "from": checked.starts_on,
            "until": checked.ends_on,
            "status": SanctionStatus.ACTIVE.value,
            "basis": checked.basis,
            "decisionNumber": checked.decision_number,
            "imposedOn": today,
        }
        created = await single(
            tx,
            _CREATE,
            {
                "department": department,
                "subject": checked.subject,
                "props": {k: v for k, v in props.items() if v is not None},
                "entry": checked.list_entry_id,
                "measure": checked.measure_code,
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "BAN_IMPOSED",
            [created["element"]],
            today=today,
            to_state=SanctionStatus.ACTIVE.value,
            reason=f"{checked.scope.label} {checked.decision_number}",
            detail={
                "scope": checked.scope.value,
                "industry": checked.industry,
                "from": checked.starts_on,
                "until": checked.ends_on,
                "listEntry": checked.list_entry_id,
            },
        )
        ban, _ = await sanction_in(tx, ban_id)
        who = found["masked"] if checked.subject_is_person else found["name"]
        # Watches are on enterprises: a banned person is news for each one they represent.
        await notify_watchers(
            tx,
            [checked.subject, *found["represented"]],
            NoticeKind.SANCTION,
            f"{who}被{ban.measure_name}（{checked.starts_on}至{checked.ends_on}）",
            ref=ban_id,
        )
        return ban

    return await db.write_transaction(work)


async def lift_ban(
    db: Database, actor: Actor, department: str, ban_id: str, reason: str, *, today: date
) -> SanctionInfo:
    """End a ban before its period is over, on behalf of the department that imposed it."""
    text = required_text("reason", reason, max_length=500)

    async def work(tx: neo4j.AsyncManagedTransaction) -> SanctionInfo:
        ban, element = await sanction_in(tx, ban_id)
        if not ban.is_ban:
            raise NotFound("禁入决定", ban_id)
        if ban.imposed_by != department:
            raise NotResponsible(
                f"谁决定、谁解除：禁入 {ban_id} 由 {ban.imposed_by} 作出，只有该部门可以提前解除 "
                "(only the department that imposed a ban may lift it)"
            )
        if ban.status is not SanctionStatus.ACTIVE:
            raise WrongState(f"禁入 {ban_id} 已解除 (the ban has already been lifted)")
        if ban.ends_on is not None and ban.ends_on < today:
            raise WrongState(f"禁入 {ban_id} 已于{ban.ends_on}届满 (the ban has already ended)")
        await tx.run(
            "MATCH (x:Sanction:Ban {id: $id}) SET x.status = 'LIFTED', x.originalUntil = x.until, "
            "x.until = $today, x.liftedOn = $today, x.liftedReason = $reason",
            {"id": ban_id, "today": today, "reason": text},
        )
        await add_event(
            tx,
            actor,
            "BAN_LIFTED",
            [element],
            today=today,
            from_state=SanctionStatus.ACTIVE.value,
            to_state=SanctionStatus.LIFTED.value,
            reason=text,
            detail={"originalUntil": ban.ends_on},
        )
        represented = await rows(
            tx,
            "MATCH (:Person {key: $subject})-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|"
            "ACTUAL_CONTROLLER_OF]->(e:Enterprise) RETURN DISTINCT e.uscc AS e",
            {"subject": ban.subject},
        )
        lifted, _ = await sanction_in(tx, ban_id)
        if ban.subject:
            await notify_watchers(
                tx,
                [ban.subject, *(r["e"] for r in represented)],
                NoticeKind.SANCTION,
                f"{lifted.measure_name}提前解除：{ban.decision_number}",
                ref=ban_id,
            )
        return lifted

    return await db.write_transaction(work)
