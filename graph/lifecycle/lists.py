"""Red and black lists (红黑名单认定, 六(一)) and the personal liability they carry (六(五)).

A department identifies a subject for a list with a written decision: its legal basis, the
decision number and date, the day the subject was told in advance (事先告知; a black list needs
it, and the subject then has `black_list_notice_days` working days to state its case before the
decision), the removal conditions (black list: required) and the effective period. The entry may
name the credit records it rests on, ``(ListEntry)-[:BASED_ON]->(Record)``, so repairing such a
record can end the entry. For an organisation the entry names the registered legal
representative, principals and actual controller from the graph, ``-[:LINKED_PERSON {role}]->``.

- A red-list candidate is announced first (公示中) and takes effect only after the announcement
  period of `red_list_announcement_days` working days; the deciding department activates it.
- A black-list entry is in force from the decision. On an organisation it extends to the persons
  behind it as personal credit records of kind LIABILITY (失信责任追究), one per person; for
  state-owned enterprises and public bodies the supervising unit is notified (通报上级主管单位).
- Only the deciding department removes an entry (谁认定、谁移出), through `end_list_entry`,
  which also lifts the measures attached to it.

Every change is an `Event`; the subject's watchers are told.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    LifecycleError,
    MissingRequirement,
    NotFound,
    NotResponsible,
    TooEarly,
    WrongState,
    add_event,
    new_id,
    required_text,
    rows,
    single,
)
from graph.lifecycle.list_removal import end_list_entry
from graph.lifecycle.notices import notify, notify_watchers
from graph.lifecycle.rules import LifecycleRules
from graph.model import (
    Label,
    ListEntryStatus,
    ListType,
    NoticeKind,
    RecordKind,
    RecordStatus,
    Rel,
    RoleKind,
    SeverityTier,
)
from graph.publication import current_version
from graph.records import iso, publication_stamps, version_props, write_records
from graph.workdays import CalendarNotCovered, mainland_calendar

DEFAULT_LIST_NAMES: Final = {
    ListType.BLACK: "严重失信主体名单",
    ListType.RED: "守信激励对象名单",
}

LIABLE_ROLES: Final = (
    RoleKind.LEGAL_REPRESENTATIVE,
    RoleKind.PRINCIPAL,
    RoleKind.ACTUAL_CONTROLLER,
)
"""The persons a decision on an organisation names (六(五)); shareholders are not among them."""

PUBLIC_BODY_CATEGORIES: Final = frozenset({"11", "12"})
"""USCC positions 1–2 of 机关 and 事业单位: like state-owned enterprises, they have a supervisor."""

MAX_BASED_ON = 50


# -- refusals ----------------------------------------------------------------------------------
class MissingListItem(MissingRequirement):
    """A list decision lacks an item the rules require; the message names the field."""

    def __init__(self, field: str, item: str, rule: str) -> None:
        super().__init__(f"`{field}`: 缺少{item}（{rule}）")
        self.field = field


class NoticeTooLate(InvalidInput):
    """The subject must be told before the decision, not on or after it."""

    def __init__(self) -> None:
        super().__init__(
            "noticeDate",
            "事先告知须在认定决定之前 (the subject must be given prior notice before the "
            "decision date)",
        )


class DecidedBeforeNoticePeriod(TooEarly):
    """A black-list decision came before the subject's time to state its case ran out."""

    def __init__(self, days: int, earliest: date) -> None:
        super().__init__(
            f"`decisionDate`: 事先告知后须给予当事人{days}个工作日陈述申辩，"
            f"最早可于{earliest}作出认定 "
            f"(the subject has {days} working days after the prior notice to state its case; "
            f"the decision may be made on {earliest} at the earliest)",
            earliest=earliest,
        )


class DuplicateDecision(WrongState):
    """One decision document makes one entry."""

    def __init__(self, number: str) -> None:
        super().__init__(
            f"`decisionNumber`: 认定文书 {number} 已作出认定 (this department has already made "
            "an entry under this decision number)"
        )


class CalendarGap(LifecycleError):
    """A working-day period reaches a year whose holiday notice the calendar does not hold."""

    code = "CALENDAR_NOT_COVERED"


class SupervisorNotNeeded(InvalidInput):
    """Only state-owned enterprises and public bodies report to a supervising unit."""

    def __init__(self) -> None:
        super().__init__(
            "supervisingUnit",
            "仅国有企业、机关和事业单位列入黑名单时通报上级主管单位 (only state-owned "
            "enterprises and public bodies on a black list are reported to a supervising unit)",
        )


def _not_the_decider(entry_id: str, decided_by: str | None) -> NotResponsible:
    return NotResponsible(
        f"谁认定、谁负责：名单 {entry_id} 由 {decided_by} 认定，只有认定部门可以办理 "
        "(only the department that made the list decision may activate or remove it)"
    )


# -- what a decision says ---------------------------------------------------------------------
@dataclass(frozen=True)
class ListDecision:
    """A department's list decision as it was submitted (fields as the API names them)."""

    list_type: ListType
    subject_uscc: str | None = None
    subject_person: str | None = None
    list_name: str | None = None
    basis: str | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    notice_date: date | None = None
    removal_conditions: str | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    record_keys: tuple[str, ...] = ()
    supervising_unit_name: str | None = None
    supervising_unit_code: str | None = None


@dataclass(frozen=True)
class LinkedPersonInfo:
    """A person a list decision names, with the role they hold in the listed organisation."""

    key: str
    name: str | None
    name_masked: str | None
    role: RoleKind


@dataclass(frozen=True)
class ListEntryInfo:
    """A list entry as the lifecycle sees it."""

    id: str
    list_type: ListType
    list_name: str | None
    basis: str | None
    decision_number: str | None
    decision_date: date | None
    notice_date: date | None
    effective_from: date | None
    effective_until: date | None
    removal_conditions: str | None
    status: ListEntryStatus
    announced_on: date | None
    announcement_ends: date | None
    announcement_ends_provisional: bool
    removed_on: date | None
    removal_reason: str | None
    subject: str | None
    subject_is_person: bool
    subject_name: str | None
    subject_name_masked: str | None
    decided_by: str | None
    decided_by_name: str | None
    supervising_unit_name: str | None
    supervising_unit_code: str | None
    linked_persons: tuple[LinkedPersonInfo, ...]
    based_on: tuple[str, ...]
    liability_records: tuple[str, ...]
    sanctions: tuple[str, ...]
    lifted_sanctions: tuple[str, ...] = ()


def _day(value: Any) -> date | None:
    return None if value is None else value.to_native()


_ENTRY: Final = (
    "MATCH (l:ListEntry {id: $id}) "
    "OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
    "OPTIONAL MATCH (l)-[:DECIDED_BY]->(d:Department) "
    "RETURN properties(l) AS entry, elementId(l) AS element, "
    "coalesce(s.uscc, s.key) AS subject, coalesce(s:Person, false) AS isPerson, "
    "s.name AS subjectName, s.nameMasked AS subjectMasked, "
    "d.code AS department, d.name AS departmentName, "
    "COLLECT { MATCH (l)-[r:LINKED_PERSON]->(p:Person) "
    "  RETURN {key: p.key, name: p.name, nameMasked: p.nameMasked, role: r.role} AS p "
    "  ORDER BY r.role, p.key } AS linked, "
    "COLLECT { MATCH (l)-[:BASED_ON]->(r:Record) RETURN r.key AS k ORDER BY k } AS basedOn, "
    "COLLECT { MATCH (l)-[:RESULTED_IN]->(r:Record) RETURN r.key AS k ORDER BY k } "
    "  AS liabilities, "
    "COLLECT { MATCH (l)<-[:UNDER]-(x:Sanction) RETURN x.id AS k ORDER BY k } AS sanctions"
)


def _parse(row: dict[str, Any]) -> ListEntryInfo:
    props = row["entry"]
    return ListEntryInfo(
        id=props["id"],
        list_type=ListType.of(props["listType"]),
        list_name=props.get("listName"),
        basis=props.get("basis"),
        decision_number=props.get("decisionNumber"),
        decision_date=_day(props.get("decisionDate")),
        notice_date=_day(props.get("noticeDate")),
        effective_from=_day(props.get("effectiveFrom")),
        effective_until=_day(props.get("effectiveUntil")),
        removal_conditions=props.get("removalConditions"),
        status=ListEntryStatus.of(props["status"]),
        announced_on=_day(props.get("announcedOn")),
        announcement_ends=_day(props.get("announcementEnds")),
        announcement_ends_provisional=bool(props.get("announcementEndsProvisional")),
        removed_on=_day(props.get("removedOn")),
        removal_reason=props.get("removalReason"),
        subject=row["subject"],
        subject_is_person=bool(row["isPerson"]),
        subject_name=row["subjectName"],
        subject_name_masked=row["subjectMasked"],
        decided_by=row["department"],
        decided_by_name=row["departmentName"],
        supervising_unit_name=props.get("supervisingUnitName"),
        supervising_unit_code=props.get("supervisingUnitCode"),
        linked_persons=tuple(
            LinkedPersonInfo(p["key"], p["name"], p["nameMasked"], RoleKind.of(p["role"]))
            for p in row["linked"]
        ),
        based_on=tuple(row["basedOn"]),
        liability_records=tuple(row["liabilities"]),
        sanctions=tuple(row["sanctions"]),
    )


async def _entry(tx: neo4j.AsyncManagedTransaction, entry_id: str) -> tuple[ListEntryInfo, str]:
    """The entry and its element id; NotFound when there is none."""
    row = await single(tx, _ENTRY, {"id": entry_id})
    if row is None:
        raise NotFound("名单", entry_id)
    return _parse(row), row["element"]


# -- checks that need no database -------------------------------------------------------------
@dataclass(frozen=True)
class _Checked:
    """A decision whose required items are present and consistent."""

    list_type: ListType
    subject: str
    subject_is_person: bool
    list_name: str
    basis: str
    decision_number: str
    decision_date: date
    notice_date: date | None
    removal_conditions: str | None
    effective_from: date | None
    effective_until: date
    record_keys: tuple[str, ...]
    supervising_unit_name: str | None
    supervising_unit_code: str | None


def _working_days_after(day: date, days: int) -> date:
    try:
        return mainland_calendar().add_working_days(day, days)
    except CalendarNotCovered as error:
        raise CalendarGap(f"无法计算工作日期限 (cannot count working days): {error}") from None


def _check(decision: ListDecision, today: date, rules: LifecycleRules) -> _Checked:
    """Refuse a decision that lacks an item or contradicts itself, naming the field."""
    black = decision.list_type is ListType.BLACK
    uscc = (decision.subject_uscc or "").strip().upper()
    person = (decision.subject_person or "").strip()
    if bool(uscc) == bool(person):
        raise InvalidInput(
            "subject", "须且只能指定 uscc 或 personKey 之一 (name exactly one subject)"
        )

    def text(field: str, value: str | None, item: str, rule: str) -> str:
        if not (value or "").strip():
            raise MissingListItem(field, item, rule)
        return required_text(field, value)

    basis = text("basis", decision.basis, "认定依据", "名单认定须有事先公布的法律依据")
    number = text("decisionNumber", decision.decision_number, "认定文书号", "认定须有书面决定")
    if len(number) > 100:
        raise InvalidInput("decisionNumber", "不能超过100字 (at most 100 characters)")
    if decision.decision_date is None:
        raise MissingListItem("decisionDate", "认定日期", "认定须有书面决定")
    decided = decision.decision_date
    if decided > today:
        raise InvalidInput("decisionDate", "认定日期不能晚于今天 (must not be in the future)")

    notice = decision.notice_date
    if notice is None and black:
        raise MissingListItem(
            "noticeDate", "事先告知日期", "列入严重失信主体名单前须事先告知当事人"
        )
    if notice is not None:
        if notice >= decided:
            raise NoticeTooLate()
        if black:
            earliest = _working_days_after(notice, rules.black_list_notice_days)
            if decided < earliest:
                raise DecidedBeforeNoticePeriod(rules.black_list_notice_days, earliest)

    conditions = (decision.removal_conditions or "").strip() or None
    if conditions is None and black:
        raise MissingListItem("removalConditions", "移出条件", "黑名单认定须载明移出条件")
    if conditions is not None:
        conditions = required_text("removalConditions", conditions)

    if decision.effective_until is None:
        raise MissingListItem("effectiveUntil", "有效期", "名单认定须载明有效期")
    starts = decision.effective_from
    if starts is not None and not black:
        raise InvalidInput(
            "effectiveFrom",
            "红名单自公示期满生效之日起算，不能预先指定 (a red-list entry takes effect on "
            "the day it is activated after its announcement)",
        )
    if black:
        starts = starts or decided
        if starts < decided:
            raise InvalidInput(
                "effectiveFrom", "生效日期不能早于认定日期 (not before the decision)"
            )
    if decision.effective_until <= (starts or decided):
        raise InvalidInput(
            "effectiveUntil", "有效期截止日期须晚于生效日期 (must be after the entry takes effect)"
        )

    keys = tuple(dict.fromkeys(k.strip() for k in decision.record_keys if k.strip()))
    if len(keys) > MAX_BASED_ON:
        raise InvalidInput("recordKeys", f"至多{MAX_BASED_ON}条 (at most {MAX_BASED_ON} records)")
    unit_name = (decision.supervising_unit_name or "").strip() or None
    unit_code = (decision.supervising_unit_code or "").strip().upper() or None
    if unit_code and not unit_name:
        raise MissingListItem("supervisingUnit.name", "上级主管单位名称", "通报须指明主管单位")
    name = (decision.list_name or "").strip() or DEFAULT_LIST_NAMES[decision.list_type]
    return _Checked(
        list_type=decision.list_type,
        subject=uscc or person,
        subject_is_person=bool(person),
        list_name=required_text("listName", name, max_length=100),
        basis=basis,
        decision_number=number,
        decision_date=decided,
        notice_date=notice,
        removal_conditions=conditions,
        effective_from=starts,
        effective_until=decision.effective_until,
        record_keys=keys,
        supervising_unit_name=required_text("supervisingUnit.name", unit_name, max_length=200)
        if unit_name
        else None,
        supervising_unit_code=unit_code,
    )


def is_state_owned_or_public(uscc: str, entity_type: str | None) -> bool:
    """State-owned enterprises (企业类型 names 国有) and public bodies (机关, 事业单位)."""
    return "国有" in (entity_type or "") or uscc[:2] in PUBLIC_BODY_CATEGORIES


# -- deciding ---------------------------------------------------------------------------------
_SUBJECT: Final = (
    "OPTIONAL MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) "
    "OR (s:Person AND s.key = $subject) "
    "OPTIONAL MATCH (d:Department {code: $department}) "
    "RETURN s IS NOT NULL AS exists, coalesce(s:Person, false) AS isPerson, s.name AS name, "
    "s.entityType AS entityType, d.name AS departmentName, "
    "EXISTS { MATCH (l:ListEntry {decisionNumber: $number, listType: $listType})"
    "  -[:DECIDED_BY]->(:Department {code: $department}) } AS duplicate, "
    "COLLECT { MATCH (p:Person)-[r:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF]->(s) "
    "  RETURN {key: p.key, name: p.name, nameMasked: p.nameMasked, "
    "          role: left(type(r), size(type(r)) - 3)} AS p ORDER BY p.key } AS persons"
)

_RECORDS: Final = (
    "UNWIND $keys AS key "
    f"OPTIONAL MATCH (r:{Label.RECORD} {{key: key}})-[:{Rel.HAS_SUBJECT}]->(s) "
    f"WHERE {current_version('r')} "
    "AND ((s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject)) "
    "RETURN key, r IS NOT NULL AS found"
)

_CREATE: Final = (
    "MATCH (d:Department {code: $department}) "
    "MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject) "
    "CREATE (l:ListEntry) SET l = $props "
    "CREATE (l)-[:HAS_SUBJECT]->(s) CREATE (l)-[:DECIDED_BY]->(d) "
    "WITH l "
    "CALL (l) { UNWIND $linked AS link MATCH (p:Person {key: link.key}) "
    "  CREATE (l)-[:LINKED_PERSON {role: link.role}]->(p) } "
    f"CALL (l) {{ UNWIND $keys AS key MATCH (r:{Label.RECORD} {{key: key}}) "
    f"  WHERE {current_version('r')} CREATE (l)-[:{Rel.BASED_ON}]->(r) }} "
    "RETURN elementId(l) AS element"
)

# The liability record (written by graph/records.py) results from the entry.
_LIABILITY: Final = (
    f"MATCH (l:{Label.LIST_ENTRY} {{id: $entry}}), (p:{Label.PERSON} {{key: $person}}), "
    f"(r:{Label.RECORD}) WHERE elementId(r) = $record "
    f"CREATE (l)-[:{Rel.RESULTED_IN}]->(r) "
    "RETURN elementId(r) AS element, elementId(p) AS person"
)


def liability_key(department: str, decision_number: str, person: str) -> str:
    """The natural key of the personal liability record a black-list decision makes."""
    return f"{RecordKind.LIABILITY.value}|{department}|{decision_number}|{person}"


async def decide_list(
    db: Database,
    actor: Actor,
    department: str,
    decision: ListDecision,
    *,
    today: date,
    rules: LifecycleRules,
) -> ListEntryInfo:
    """Identify a subject for a red or black list (认定) on behalf of `department`.

    Checks every required item first (naming the missing field), then in one transaction:
    the entry with its subject, department, linked persons and the records it rests on; for a
    black list on an organisation the LIABILITY records of the linked persons and, for a
    state-owned enterprise or public body, the notification of its supervising unit; the
    events; and the notices to the subject's watchers.
    """
    checked = _check(decision, today, rules)
    black = checked.list_type is ListType.BLACK

    async def work(tx: neo4j.AsyncManagedTransaction) -> ListEntryInfo:
        found = await single(
            tx,
            _SUBJECT,
            {
                "subject": checked.subject,
                "department": department,
                "number": checked.decision_number,
                "listType": checked.list_type.value,
            },
        )
        assert found is not None
        if found["departmentName"] is None:
            raise NotFound("部门", department)
        if not found["exists"] or bool(found["isPerson"]) != checked.subject_is_person:
            raise NotFound("自然人" if checked.subject_is_person else "市场主体", checked.subject)
        if found["duplicate"]:
            raise DuplicateDecision(checked.decision_number)
        organisation = not checked.subject_is_person
        supervised = (
            black
            and organisation
            and is_state_owned_or_public(checked.subject, found["entityType"])
        )
        if supervised and checked.supervising_unit_name is None:
            raise MissingListItem(
                "supervisingUnit",
                "上级主管单位",
                "国有企业、机关和事业单位列入黑名单的，须通报其上级主管单位",
            )
        if checked.supervising_unit_name is not None and not supervised:
            raise SupervisorNotNeeded()
        if checked.record_keys:
            missing = [
                r["key"]
                for r in await rows(
                    tx, _RECORDS, {"keys": list(checked.record_keys), "subject": checked.subject}
                )
                if not r["found"]
            ]
            if missing:
                raise InvalidInput(
                    "recordKeys",
                    f"{missing[0]} 不是该主体的现行信用记录 (no current record of this subject "
                    "has this key)",
                )

        entry_id = new_id("LE")
        status = ListEntryStatus.ACTIVE if black else ListEntryStatus.ANNOUNCED
        # The public sees a candidate from the day it reaches the network, not from the
        # decision's date, so that is when the announcement period starts to run.
        announcement_ends = (
            None if black else _working_days_after(today, rules.red_list_announcement_days)
        )
        # Counted on a provisional year's table (graph/cn_calendar.toml): said so on the entry.
        provisional = announcement_ends is not None and mainland_calendar().provisional_between(
            today, announcement_ends
        )
        linked: list[dict[str, Any]] = found["persons"] if organisation else []
        props: dict[str, Any] = {
            "id": entry_id,
            "listType": checked.list_type.value,
            "listName": checked.list_name,
            "basis": checked.basis,
            "decisionNumber": checked.decision_number,
            "decisionDate": checked.decision_date,
            "noticeDate": checked.notice_date,
            "effectiveFrom": checked.effective_from,
            "effectiveUntil": checked.effective_until,
            "removalConditions": checked.removal_conditions,
            "status": status.value,
            "removedOn": None,
            "announcedOn": None if black else today,
            "announcementEnds": announcement_ends,
            "announcementEndsProvisional": provisional or None,
            "subjectCode": None if checked.subject_is_person else checked.subject,
            "issuingAuthority": found["departmentName"],
            "issuingAuthorityCode": department,
            "supervisingUnitName": checked.supervising_unit_name,
            "supervisingUnitCode": checked.supervising_unit_code,
            "decidedOn": today,
            "version": 1,
        }
        created = await single(
            tx,
            _CREATE,
            {
                "department": department,
                "subject": checked.subject,
                "props": {k: v for k, v in props.items() if v is not None},
                "linked": [{"key": p["key"], "role": p["role"]} for p in linked],
                "keys": list(checked.record_keys),
            },
        )
        assert created is not None
        element = created["element"]
        await add_event(
            tx,
            actor,
            "LIST_ENTRY_DECIDED",
            [element],
            today=today,
            to_state=status.value,
            reason=f"{checked.list_name} {checked.decision_number}",
            detail={
                "listType": checked.list_type.value,
                "department": department,
                "basedOn": list(checked.record_keys),
                "linkedPersons": [p["key"] for p in linked],
                "announcementEnds": announcement_ends,
            },
        )
        if black and organisation:
            await _record_liability(
                tx, actor, entry_id, element, checked, department, found, linked, today
            )
        if supervised:
            await _notify_supervisor(tx, actor, entry_id, element, checked, found["name"], today)
        label = "拟列入" if status is ListEntryStatus.ANNOUNCED else "列入"
        await notify_watchers(
            tx,
            [checked.subject],
            NoticeKind.LIST_ENTRY,
            f"{label}{checked.list_name}：{checked.decision_number}",
            ref=entry_id,
        )
        return (await _entry(tx, entry_id))[0]

    return await db.write_transaction(work)


async def _record_liability(
    tx: neo4j.AsyncManagedTransaction,
    actor: Actor,
    entry_id: str,
    entry_element: str,
    checked: _Checked,
    department: str,
    found: dict[str, Any],
    linked: list[dict[str, Any]],
    today: date,
) -> None:
    """One LIABILITY record per linked person (a person with two roles gets one record)."""
    roles: dict[str, list[str]] = {}
    for link in linked:
        roles.setdefault(link["key"], []).append(link["role"])
    stamps = publication_stamps(
        RecordKind.LIABILITY, SeverityTier.SERIOUS, checked.decision_date, None
    )
    for person, held in roles.items():
        key = liability_key(department, checked.decision_number, person)
        labels = "、".join(RoleKind.of(r).label for r in sorted(held))
        props = {
            **version_props(key, 1, RecordStatus.EFFECTIVE),
            "kind": RecordKind.LIABILITY.value,
            "title": f"{found['name']}列入{checked.list_name}的失信责任追究",
            "documentNumber": checked.decision_number,
            "issuingAuthority": found["departmentName"],
            "issuingAuthorityCode": department,
            "severity": SeverityTier.SERIOUS.value,
            "category": RecordKind.LIABILITY.label,
            "content": f"作为{found['name']}（{checked.subject}）的{labels}，对其列入"
            f"{checked.list_name}（{checked.decision_number}）承担相应责任",
            "basis": checked.basis,
            "roles": sorted(held),
            "relatedEnterprise": checked.subject,
            "listEntryId": entry_id,
            "changedBy": department,
            "changedOn": today,
        }
        dates = {
            "decisionDate": iso(checked.decision_date),
            "validFrom": iso(checked.decision_date),
            "validTo": iso(checked.effective_until),
            "publishFrom": iso(stamps["publishFrom"]),
            "publishUntil": iso(stamps["publishUntil"]),
            "firstPublishedOn": iso(today),
        }
        # One writer for every record (graph/records.py): the deciding department supplies and
        # decides it; the person must exist (LINKED_PERSON already found them).
        row = {"props": props, "dates": dates, "subject": person, "decider": department}
        [made] = await write_records(tx, [row], provider=department, loaded_at=datetime.now(UTC))
        created = await single(
            tx,
            _LIABILITY,
            {"entry": entry_id, "person": person, "record": made["element"]},
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "LIABILITY_RECORDED",
            [created["element"], entry_element, created["person"]],
            today=today,
            to_state=RecordStatus.EFFECTIVE.value,
            reason=f"失信责任追究：{labels}",
            detail={"record": key, "roles": sorted(held)},
        )


async def _notify_supervisor(
    tx: neo4j.AsyncManagedTransaction,
    actor: Actor,
    entry_id: str,
    entry_element: str,
    checked: _Checked,
    subject_name: str | None,
    today: date,
) -> None:
    """Record that the supervising unit of a state-owned enterprise or public body was told."""
    await add_event(
        tx,
        actor,
        "SUPERVISOR_NOTIFIED",
        [entry_element],
        today=today,
        reason=f"通报上级主管单位：{checked.supervising_unit_name}",
        detail={"name": checked.supervising_unit_name, "code": checked.supervising_unit_code},
    )
    if checked.supervising_unit_code:
        await notify(
            tx,
            [checked.supervising_unit_code],
            NoticeKind.SUPERVISOR,
            f"{subject_name}列入{checked.list_name}：{checked.decision_number}",
            subject=checked.subject,
            ref=entry_id,
            body="请依法依规追究相关人员失信责任 "
            "(please pursue the liability of the responsible persons)",
        )


# -- activating and removing ------------------------------------------------------------------
async def activate_list_entry(
    db: Database, actor: Actor, department: str, entry_id: str, *, today: date
) -> ListEntryInfo:
    """Put an announced red-list candidate in force once its announcement period has ended."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> ListEntryInfo:
        entry, element = await _entry(tx, entry_id)
        if entry.decided_by != department:
            raise _not_the_decider(entry_id, entry.decided_by)
        if entry.list_type is not ListType.RED:
            raise WrongState(
                "黑名单自认定之日起生效，无需公示后生效 (a black-list entry is in force from "
                "its decision; only red-list candidates are activated)"
            )
        if entry.status is not ListEntryStatus.ANNOUNCED:
            raise WrongState(
                f"名单 {entry_id} 状态为{entry.status.label}，不在公示中 (only an announced "
                "candidate can be activated)"
            )
        ends = entry.announcement_ends
        if ends is not None and today <= ends:
            raise TooEarly(
                f"公示期至{ends}届满，届满后方可生效 (the announcement period ends on {ends}; "
                "the entry takes effect only after it)",
                earliest=ends + timedelta(days=1),
            )
        if entry.effective_until is not None and entry.effective_until <= today:
            raise WrongState("名单有效期已届满 (the entry's effective period has already ended)")
        await tx.run(
            "MATCH (l:ListEntry {id: $id}) SET l.status = 'ACTIVE', l.effectiveFrom = $today, "
            "l.activatedOn = $today",
            {"id": entry_id, "today": today},
        )
        await add_event(
            tx,
            actor,
            "LIST_ENTRY_ACTIVATED",
            [element],
            today=today,
            from_state=ListEntryStatus.ANNOUNCED.value,
            to_state=ListEntryStatus.ACTIVE.value,
            reason="公示期满无异议，名单生效",
        )
        if entry.subject:
            await notify_watchers(
                tx,
                [entry.subject],
                NoticeKind.LIST_ENTRY,
                f"列入{entry.list_name or '名单'}：{entry.decision_number}",
                ref=entry_id,
            )
        return (await _entry(tx, entry_id))[0]

    return await db.write_transaction(work)


async def remove_list_entry(
    db: Database, actor: Actor, department: str, entry_id: str, reason: str, *, today: date
) -> ListEntryInfo:
    """Remove an entry from its list (移出) on behalf of the department that decided it; the
    measures attached to it are lifted (see `end_list_entry`)."""
    text = required_text("reason", reason, max_length=500)

    async def work(tx: neo4j.AsyncManagedTransaction) -> ListEntryInfo:
        entry, _ = await _entry(tx, entry_id)
        if entry.decided_by != department:
            raise _not_the_decider(entry_id, entry.decided_by)
        lifted = await end_list_entry(
            tx, entry_id, actor=actor, today=today, reason=text, cause="REMOVAL"
        )
        removed, _ = await _entry(tx, entry_id)
        return replace(removed, lifted_sanctions=tuple(lifted))

    return await db.write_transaction(work)
