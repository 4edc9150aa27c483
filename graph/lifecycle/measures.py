"""Joint punishment (联合惩戒, 六(三)): catalogue measures under list entries, "which measures apply
now", and the departments' feedback on each measure they applied.

- Only measures of the published catalogue (``(:Measure)``, 国办发〔2020〕49号) can be attached,
  and only to a black-list entry in force. A measure applied is a ``(:Sanction)`` with its period,
  ``-[:APPLIES]->(Measure)``, ``-[:UNDER]->(ListEntry)``, ``-[:HAS_SUBJECT]->`` the entry's subject
  and ``-[:IMPOSED_BY]->`` the department that imposes it.
- `applicable_measures` answers a department's daily question — may this enterprise or person
  take part in this business (招投标, 政府采购 …)? — from the sanctions in force today: the
  sanction active, its period including today, its list entry (if any) still in force. Entry
  bans (禁入, see bans.py) are sanctions too and always answer, whatever the business, since they
  keep the subject out of the market or the industry altogether; for an enterprise the bans on
  the persons who represent it (法定代表人, 主要负责人, 实际控制人) answer as well, flagged.
- Government procurement (政府采购法 第二十二条) also asks that the subject had no serious
  violation in the previous years (3 in Henan, `LifecycleRules.procurement_lookback_years`):
  every current, still shared 严重 adverse record decided within them answers for
  `PROCUREMENT_BUSINESS` like a measure, the record cited. Repaired or revoked records do not.
- Each application of a measure is reported back (``(:MeasureApplication)``) and counted per
  organisation and measure for the feedback statistics the policy asks for. A report must name
  a measure that applies to the subject today.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    WrongState,
    add_event,
    new_id,
    required_text,
    rows,
    single,
)
from graph.lifecycle.notices import notify_watchers
from graph.model import (
    BanScope,
    Label,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    NoticeKind,
    RecordKind,
    Rel,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from graph.publication import add_years, current_version, record_shared, sanction_in_force

PROCUREMENT_BUSINESS: Final = "政府采购"
"""The business the serious-violation rule restricts (measures' `business` uses the same word)."""
PROCUREMENT_BASIS: Final = "《中华人民共和国政府采购法》第二十二条第一款第（五）项"
"""参加政府采购活动前三年内，在经营活动中没有重大违法记录."""
PROCUREMENT_LOOKBACK_YEARS: Final = 3
"""The Henan default; configurable as `LifecycleRules.procurement_lookback_years`."""


# -- refusals ----------------------------------------------------------------------------------
class UnknownMeasure(InvalidInput):
    """Only measures of the published catalogue may be applied (国办发〔2020〕49号)."""

    code = "NOT_IN_CATALOGUE"

    def __init__(self, measure: str, field: str = "measureCode") -> None:
        super().__init__(
            field,
            f"惩戒措施 {measure} 不在公布的惩戒措施清单中 (measure {measure} is not in the "
            "published measures catalogue; only catalogue measures may be applied)",
        )


class MeasureNotApplicable(WrongState):
    """A department reported applying a measure that does not apply to the subject today."""

    code = "NOT_APPLICABLE"

    def __init__(self, what: str, subject: str) -> None:
        super().__init__(
            f"{what} 今日不适用于 {subject} (this measure does not apply to the subject today: "
            "no sanction in force names it)"
        )


# -- what the lifecycle returns ---------------------------------------------------------------
@dataclass(frozen=True)
class MeasureInfo:
    """A measure of the catalogue."""

    code: str
    name: str
    category: MeasureCategory | None
    basis: str | None
    business: str | None


@dataclass(frozen=True)
class SanctionInfo:
    """A measure applied to a subject, or an entry ban (then `is_ban`, `scope`, `industry`)."""

    id: str
    is_ban: bool
    status: SanctionStatus
    starts_on: date | None
    ends_on: date | None
    measure: MeasureInfo | None
    scope: BanScope | None
    industry: str | None
    basis: str | None
    decision_number: str | None
    lifted_reason: str | None
    list_entry: str | None
    list_name: str | None
    list_status: ListEntryStatus | None
    list_decided_by: str | None
    list_decided_by_name: str | None
    imposed_by: str | None
    imposed_by_name: str | None
    subject: str | None
    subject_is_person: bool
    subject_name: str | None
    subject_name_masked: str | None

    @property
    def legal_basis(self) -> str | None:
        """The ban's own basis, or the measure's basis in the catalogue."""
        return self.basis or (self.measure.basis if self.measure else None)

    @property
    def measure_name(self) -> str:
        """What people call it: the catalogue name, or 市场禁入 / 行业禁入（industry）."""
        if self.measure is not None:
            return self.measure.name
        if self.scope is BanScope.INDUSTRY and self.industry:
            return f"{self.scope.label}（{self.industry}）"
        return self.scope.label if self.scope else "惩戒措施"


@dataclass(frozen=True)
class Representative:
    """A person standing behind an enterprise, whose own ban reaches the enterprise."""

    key: str
    name: str | None
    name_masked: str | None
    roles: tuple[RoleKind, ...]


@dataclass(frozen=True)
class RecordCitation:
    """The adverse record a rule-based restriction rests on (the procurement rule)."""

    uid: str
    kind: RecordKind
    document_number: str | None
    decision_date: date
    severity: SeverityTier
    issuing_authority: str | None
    issuing_authority_name: str | None


@dataclass(frozen=True)
class Applicable:
    """A sanction in force today; `via` names the representative when the ban is on them;
    `record` the serious violation a procurement restriction rests on (no sanction node)."""

    sanction: SanctionInfo
    via: Representative | None
    record: RecordCitation | None = None


def _day(value: Any) -> date | None:
    return None if value is None else value.to_native()


# Everything a sanction view needs, given `x` (the sanction); `via`/`viaRoles` may be null.
_DETAIL: Final = (
    "OPTIONAL MATCH (x)-[:HAS_SUBJECT]->(xs) "
    "OPTIONAL MATCH (x)-[:APPLIES]->(m:Measure) "
    "OPTIONAL MATCH (x)-[:UNDER]->(l:ListEntry) "
    "OPTIONAL MATCH (l)-[:DECIDED_BY]->(ld:Department) "
    "OPTIONAL MATCH (x)-[:IMPOSED_BY]->(im:Department) "
)
_ROW: Final = (
    "RETURN {sanction: properties(x), element: elementId(x), ban: x:Ban, "
    "measure: properties(m), entry: l.id, listName: l.listName, listStatus: l.status, "
    "decidedBy: ld.code, decidedByName: ld.name, imposedBy: im.code, imposedByName: im.name, "
    "subject: coalesce(xs.uscc, xs.key), isPerson: coalesce(xs:Person, false), "
    "subjectName: xs.name, subjectMasked: xs.nameMasked, "
    "via: CASE WHEN via IS NULL THEN null ELSE {key: via.key, name: via.name, "
    "  nameMasked: via.nameMasked, roles: viaRoles} END} AS row"
)

_ONE: Final = "MATCH (x:Sanction {id: $id}) WITH x, null AS via, [] AS viaRoles " + _DETAIL + _ROW


def parse_sanction(row: dict[str, Any]) -> SanctionInfo:
    """A sanction from one row of `_ROW`."""
    props = row["sanction"]
    measure = row["measure"]
    return SanctionInfo(
        id=props["id"],
        is_ban=bool(row["ban"]),
        status=SanctionStatus.of(props["status"]),
        starts_on=_day(props.get("from")),
        ends_on=_day(props.get("until")),
        measure=None
        if measure is None
        else MeasureInfo(
            code=measure["code"],
            name=measure["name"],
            category=MeasureCategory.of(measure["category"]) if measure.get("category") else None,
            basis=measure.get("basis"),
            business=measure.get("business"),
        ),
        scope=BanScope.of(props["scope"]) if props.get("scope") else None,
        industry=props.get("industry"),
        basis=props.get("basis"),
        decision_number=props.get("decisionNumber"),
        lifted_reason=props.get("liftedReason"),
        list_entry=row["entry"],
        list_name=row["listName"],
        list_status=ListEntryStatus.of(row["listStatus"]) if row["listStatus"] else None,
        list_decided_by=row["decidedBy"],
        list_decided_by_name=row["decidedByName"],
        imposed_by=row["imposedBy"],
        imposed_by_name=row["imposedByName"],
        subject=row["subject"],
        subject_is_person=bool(row["isPerson"]),
        subject_name=row["subjectName"],
        subject_name_masked=row["subjectMasked"],
    )


def _applicable(row: dict[str, Any]) -> Applicable:
    via = row["via"]
    return Applicable(
        sanction=parse_sanction(row),
        via=None
        if via is None
        else Representative(
            key=via["key"],
            name=via["name"],
            name_masked=via["nameMasked"],
            roles=tuple(RoleKind.of(r) for r in sorted(via["roles"])),
        ),
    )


async def sanction_in(
    tx: neo4j.AsyncManagedTransaction, sanction_id: str
) -> tuple[SanctionInfo, str]:
    """A sanction (or ban) and its element id, inside a transaction; NotFound when none."""
    found = await single(tx, _ONE, {"id": sanction_id})
    if found is None:
        raise NotFound("惩戒措施", sanction_id)
    return parse_sanction(found["row"]), found["row"]["element"]


# -- imposing a catalogue measure -------------------------------------------------------------
_IMPOSABLE: Final = (
    "OPTIONAL MATCH (d:Department {code: $department}) "
    "OPTIONAL MATCH (m:Measure {code: $measure}) "
    "OPTIONAL MATCH (l:ListEntry {id: $entry}) "
    "OPTIONAL MATCH (l)-[:HAS_SUBJECT]->(s) "
    "RETURN d IS NOT NULL AS department, m IS NOT NULL AS measure, properties(l) AS entry, "
    "coalesce(s.uscc, s.key) AS subject, "
    f"EXISTS {{ MATCH (x:{Label.SANCTION} {{status: '{SanctionStatus.ACTIVE}'}})"
    f"-[:{Rel.APPLIES}]->(m) MATCH (x)-[:{Rel.UNDER}]->(l) "
    "  WHERE x.until IS NULL OR x.until >= $from } AS duplicate"
)

_IMPOSE: Final = (
    "MATCH (m:Measure {code: $measure}), (l:ListEntry {id: $entry}), "
    "(d:Department {code: $department}) "
    "MATCH (l)-[:HAS_SUBJECT]->(s) "
    f"CREATE (x:{Label.SANCTION} {{id: $id, from: $from, until: $until, "
    f"status: '{SanctionStatus.ACTIVE}', imposedOn: $today}}) "
    "CREATE (x)-[:APPLIES]->(m) CREATE (x)-[:UNDER]->(l) CREATE (x)-[:HAS_SUBJECT]->(s) "
    "CREATE (x)-[:IMPOSED_BY]->(d) "
    "RETURN elementId(x) AS element"
)


async def impose_measure(
    db: Database,
    actor: Actor,
    department: str,
    entry_id: str,
    measure_code: str,
    *,
    starts_on: date | None,
    ends_on: date | None,
    today: date,
) -> SanctionInfo:
    """Apply a catalogue measure to the subject of a black-list entry in force, for a period.

    The period starts today unless given, not before the entry took effect, and ends by the
    entry's own end (by default on it): a measure cannot outlast the list decision it rests on.
    """
    code = measure_code.strip().upper()
    if not code:
        raise InvalidInput("measureCode", "不能为空 (must not be empty)")
    starts = starts_on or today

    async def work(tx: neo4j.AsyncManagedTransaction) -> SanctionInfo:
        found = await single(
            tx,
            _IMPOSABLE,
            {"department": department, "measure": code, "entry": entry_id, "from": starts},
        )
        assert found is not None
        if not found["department"]:
            raise NotFound("部门", department)
        if not found["measure"]:
            raise UnknownMeasure(code)
        entry = found["entry"]
        if entry is None:
            raise NotFound("名单", entry_id)
        if entry["listType"] != ListType.BLACK.value:
            raise WrongState(
                "惩戒措施只能依据失信主体名单实施 (measures are applied under black-list "
                "entries only)"
            )
        if entry["status"] != ListEntryStatus.ACTIVE.value:
            raise WrongState(
                f"名单 {entry_id} 状态为{ListEntryStatus.of(entry['status']).label}，"
                "不能据此实施惩戒 (the entry is not in force)"
            )
        if found["duplicate"]:
            raise WrongState(
                f"名单 {entry_id} 下已在实施措施 {code} (this measure is already applied "
                "under this entry)"
            )
        effective_from = _day(entry.get("effectiveFrom")) or _day(entry.get("decisionDate"))
        effective_until = _day(entry.get("effectiveUntil"))
        if effective_from is not None and starts < effective_from:
            raise InvalidInput(
                "startsOn",
                f"不能早于名单生效日期{effective_from} (not before the entry took effect)",
            )
        ends = ends_on or effective_until
        if ends is None:
            raise MissingRequirement(
                "`endsOn`: 名单未载明有效期，须指定惩戒期限 (the entry has no end date: give "
                "the measure's end)"
            )
        if ends <= starts:
            raise InvalidInput("endsOn", "截止日期须晚于起始日期 (must be after startsOn)")
        if effective_until is not None and ends > effective_until:
            raise InvalidInput(
                "endsOn",
                f"惩戒期限不得超过名单有效期{effective_until} (a measure cannot outlast the "
                "list entry it rests on)",
            )
        sanction_id = new_id("SN")
        created = await single(
            tx,
            _IMPOSE,
            {
                "measure": code,
                "entry": entry_id,
                "department": department,
                "id": sanction_id,
                "from": starts,
                "until": ends,
                "today": today,
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "SANCTION_IMPOSED",
            [created["element"]],
            today=today,
            to_state=SanctionStatus.ACTIVE.value,
            reason=f"依据名单 {entry_id} 实施 {code}",
            detail={"measure": code, "listEntry": entry_id, "from": starts, "until": ends},
        )
        sanction, _ = await sanction_in(tx, sanction_id)
        if sanction.subject:
            await notify_watchers(
                tx,
                [sanction.subject],
                NoticeKind.SANCTION,
                f"实施惩戒措施：{sanction.measure_name}（至{ends}）",
                ref=sanction_id,
            )
        return sanction

    return await db.write_transaction(work)


# -- which measures apply now -----------------------------------------------------------------
_SUBJECT: Final = (
    "OPTIONAL MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) "
    "OR (s:Person AND s.key = $subject) "
    "RETURN s IS NOT NULL AS exists, coalesce(s:Person, false) AS isPerson"
)

_APPLICABLE: Final = (
    "MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject) "
    "CALL (s) { "
    f"  MATCH (x:{Label.SANCTION} {{status: '{SanctionStatus.ACTIVE}'}})-[:{Rel.HAS_SUBJECT}]->(s) "
    "  RETURN x, null AS via, [] AS viaRoles "
    "  UNION "
    "  MATCH (via:Person)-[r:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF]->"
    "(s:Enterprise) "
    f"  MATCH (x:{Label.SANCTION}:{Label.BAN} {{status: '{SanctionStatus.ACTIVE}'}})"
    f"-[:{Rel.HAS_SUBJECT}]->(via) "
    "  WITH x, via, collect(left(type(r), size(type(r)) - 3)) AS viaRoles "
    "  RETURN x, via, viaRoles "
    "} "
    "WITH x, via, viaRoles "
    # In force on the day, under an entry in force by its date too (graph/publication.py).
    "WHERE "
    + sanction_in_force("x", "$today")
    + " "
    + _DETAIL
    + "WITH x, via, viaRoles, xs, m, l, ld, im "
    "WHERE $business IS NULL OR x:Ban OR m.business = $business "
    + _ROW
    + " ORDER BY via IS NOT NULL, x.from, x.id"
)


_SERIOUS_VIOLATIONS: Final = (
    f"MATCH (r:{Label.RECORD})-[:{Rel.HAS_SUBJECT}]->(s) "
    f"WHERE ((s:{Label.ENTERPRISE} AND s.uscc = $subject) "
    f"OR (s:{Label.PERSON} AND s.key = $subject)) "
    f"AND {current_version('r')} AND r.severity = $serious AND r.decisionDate >= $since "
    f"AND r.decisionDate <= $today AND {record_shared('r')} "
    f"OPTIONAL CALL () {{ MATCH (m:{Label.MEASURE} {{business: $business}}) "
    "  RETURN m ORDER BY m.code LIMIT 1 } "
    "RETURN r {.uid, .kind, .documentNumber, .decisionDate, .severity, .issuingAuthority, "
    ".issuingAuthorityCode} AS record, properties(m) AS measure, "
    "s.uscc IS NULL AS isPerson, coalesce(s.uscc, s.key) AS subject, s.name AS name, "
    "s.nameMasked AS nameMasked ORDER BY r.decisionDate DESC, r.uid"
)


def _procurement_bar(row: dict[str, Any], years: int, today: date) -> Applicable | None:
    """The restriction one serious record puts on procurement, if it still runs on `today`:
    from the decision day up to the day before its `years`-th anniversary."""
    record = row["record"]
    decided: date = record["decisionDate"].to_native()
    free_from = add_years(decided, years)
    if today >= free_from:
        return None
    measure = row["measure"]
    sanction = parse_sanction(
        {
            "sanction": {
                "id": f"PROCUREMENT|{record['uid']}",
                "status": SanctionStatus.ACTIVE.value,
                "from": None,
                "until": None,
                "basis": PROCUREMENT_BASIS,
            },
            "ban": False,
            "measure": measure,
            "entry": None,
            "listName": None,
            "listStatus": None,
            "decidedBy": None,
            "decidedByName": None,
            "imposedBy": None,
            "imposedByName": None,
            "subject": row["subject"],
            "isPerson": row["isPerson"],
            "subjectName": row["name"],
            "subjectMasked": row["nameMasked"],
        }
    )
    sanction = replace(sanction, starts_on=decided, ends_on=free_from - timedelta(days=1))
    if measure is None:
        # No catalogue measure names the business: the law still does.
        sanction = replace(
            sanction,
            measure=MeasureInfo(
                code="",
                name="限制参加政府采购活动",
                category=None,
                basis=PROCUREMENT_BASIS,
                business=PROCUREMENT_BUSINESS,
            ),
        )
    citation = RecordCitation(
        uid=record["uid"],
        kind=RecordKind.of(record["kind"]),
        document_number=record.get("documentNumber"),
        decision_date=decided,
        severity=SeverityTier.of(record["severity"]),
        issuing_authority=record.get("issuingAuthorityCode"),
        issuing_authority_name=record.get("issuingAuthority"),
    )
    return Applicable(sanction=sanction, via=None, record=citation)


async def procurement_bars(
    db: Database, subject: str, *, today: date, years: int = PROCUREMENT_LOOKBACK_YEARS
) -> list[Applicable]:
    """The serious violations (严重 adverse records, current and still shared: not repaired or
    revoked) decided within `years` before `today`, each as a restriction on government
    procurement citing its record; newest first."""
    if years < 0:
        raise ValueError("the procurement look-back cannot be negative")
    result = await db.read(
        _SERIOUS_VIOLATIONS,
        {
            "subject": subject,
            "serious": SeverityTier.SERIOUS.value,
            # One day of slack: add_years clamps 29 February, the exact test is in Python.
            "since": add_years(today, -years) - timedelta(days=1),
            "today": today,
            "business": PROCUREMENT_BUSINESS,
        },
    )
    bars = (_procurement_bar(r, years, today) for r in result)
    return [bar for bar in bars if bar is not None]


async def applicable_measures(
    db: Database,
    subject: str,
    *,
    business: str | None,
    today: date,
    procurement_years: int = PROCUREMENT_LOOKBACK_YEARS,
) -> list[Applicable]:
    """The sanctions in force today on `subject` (a USCC or a person key), optionally only those
    whose measure restricts `business`; entry bans always, and for an enterprise also the bans
    on its legal representative, principals and actual controllers (flagged with `via`).

    Asked about every business or about `PROCUREMENT_BUSINESS`, the serious violations of the
    last `procurement_years` answer too (`procurement_bars`), after the sanctions."""
    found = await db.read(_SUBJECT, {"subject": subject})
    if not found or not found[0]["exists"]:
        raise NotFound("主体", subject)
    text = (business or "").strip() or None
    result = await db.read(_APPLICABLE, {"subject": subject, "business": text, "today": today})
    applicable = [_applicable(r["row"]) for r in result]
    if text is None or text == PROCUREMENT_BUSINESS:
        applicable += await procurement_bars(db, subject, today=today, years=procurement_years)
    return applicable


async def _applicable_in(
    tx: neo4j.AsyncManagedTransaction, subject: str, today: date
) -> list[Applicable]:
    found = await single(tx, _SUBJECT, {"subject": subject})
    if not found or not found["exists"]:
        raise NotFound("主体", subject)
    result = await rows(tx, _APPLICABLE, {"subject": subject, "business": None, "today": today})
    return [_applicable(r["row"]) for r in result]


async def banned_representatives(db: Database, uscc: str, *, today: date) -> list[Applicable]:
    """The bans in force on the persons who represent this enterprise (a banned person is
    flagged on every enterprise they stand behind)."""
    found = await applicable_measures(db, uscc, business=None, today=today)
    return [a for a in found if a.via is not None]


# -- feedback: each application of a measure --------------------------------------------------
@dataclass(frozen=True)
class MeasureReport:
    """A department's (or association's) report that it applied a measure in a matter."""

    subject_uscc: str | None = None
    subject_person: str | None = None
    sanction_id: str | None = None
    measure_code: str | None = None
    matter_reference: str | None = None
    applied_on: date | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class MeasureApplicationInfo:
    """One reported application of a measure (反馈)."""

    id: str
    sanction: SanctionInfo
    subject: str
    subject_is_person: bool
    subject_name: str | None
    subject_name_masked: str | None
    matter_reference: str
    applied_on: date
    outcome: str
    reporter: str
    reporter_name: str | None


_REPORTER: Final = (
    "OPTIONAL MATCH (o) WHERE (o:Department OR o:Association) AND o.code = $code "
    "OPTIONAL MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) "
    "OR (s:Person AND s.key = $subject) "
    "RETURN o.name AS name, o IS NOT NULL AS exists, "
    "CASE WHEN o:Department THEN 'DEPARTMENT' ELSE 'ASSOCIATION' END AS kind, "
    "s.name AS subjectName, s.nameMasked AS subjectMasked"
)

_REPORT: Final = (
    "MATCH (o) WHERE (o:Department OR o:Association) AND o.code = $reporter "
    "MATCH (s) WHERE (s:Enterprise AND s.uscc = $subject) OR (s:Person AND s.key = $subject) "
    "MATCH (x:Sanction {id: $sanction}) "
    "CREATE (a:MeasureApplication) SET a = $props, a.reportedAt = datetime() "
    "CREATE (a)-[:TO]->(s) CREATE (a)-[:REPORTED_BY]->(o) CREATE (a)-[:UNDER]->(x) "
    "WITH a, x "
    "CALL (a, x) { MATCH (x)-[:APPLIES]->(m:Measure) CREATE (a)-[:APPLIED]->(m) } "
    "RETURN elementId(a) AS element, elementId(x) AS sanction"
)


def _check_report(report: MeasureReport, today: date) -> tuple[str, bool, str, str, date]:
    uscc = (report.subject_uscc or "").strip().upper()
    person = (report.subject_person or "").strip()
    if bool(uscc) == bool(person):
        raise InvalidInput(
            "subject", "须且只能指定 uscc 或 personKey 之一 (name exactly one subject)"
        )
    if not (report.sanction_id or "").strip() and not (report.measure_code or "").strip():
        raise InvalidInput(
            "sanctionId", "须指明所实施的惩戒措施 (name the sanction or the measure applied)"
        )
    matter = required_text("matterReference", report.matter_reference, max_length=200)
    outcome = required_text("outcome", report.outcome, max_length=2000)
    applied = report.applied_on or today
    if applied > today:
        raise InvalidInput("appliedOn", "不能晚于今天 (must not be in the future)")
    return uscc or person, bool(person), matter, outcome, applied


async def report_measure_application(
    db: Database, actor: Actor, reporter: str, report: MeasureReport, *, today: date
) -> MeasureApplicationInfo:
    """Record that `reporter` applied a measure to a subject in a business matter.

    The measure must apply to the subject today (a sanction in force names it, or a ban on the
    subject or, for an enterprise, on a person representing it), and the day it was applied
    must fall within that sanction's period.
    """
    subject, is_person, matter, outcome, applied = _check_report(report, today)
    wanted_sanction = (report.sanction_id or "").strip() or None
    wanted_measure = (report.measure_code or "").strip().upper() or None

    async def work(tx: neo4j.AsyncManagedTransaction) -> MeasureApplicationInfo:
        found = await single(tx, _REPORTER, {"code": reporter, "subject": subject})
        assert found is not None
        if not found["exists"]:
            raise NotFound("报送单位", reporter)
        if wanted_measure is not None:
            known = await single(
                tx,
                "MATCH (m:Measure {code: $code}) RETURN m.code AS code",
                {"code": wanted_measure},
            )
            if known is None:
                raise UnknownMeasure(wanted_measure)
        in_force = await _applicable_in(tx, subject, today)
        matching = [
            a.sanction
            for a in in_force
            if (wanted_sanction is None or a.sanction.id == wanted_sanction)
            and (
                wanted_measure is None
                or (a.sanction.measure is not None and a.sanction.measure.code == wanted_measure)
            )
        ]
        if not matching:
            raise MeasureNotApplicable(wanted_sanction or wanted_measure or "", subject)
        sanction = matching[0]
        if (sanction.starts_on and applied < sanction.starts_on) or (
            sanction.ends_on and applied > sanction.ends_on
        ):
            raise InvalidInput(
                "appliedOn",
                f"不在该措施的实施期限（{sanction.starts_on}至{sanction.ends_on}）内 "
                "(outside the period of the sanction)",
            )
        application_id = new_id("MA")
        props = {
            "id": application_id,
            "sanctionId": sanction.id,
            "measureCode": sanction.measure.code if sanction.measure else None,
            "measureName": sanction.measure_name,
            "business": sanction.measure.business if sanction.measure else None,
            "subjectCode": subject,
            "matterReference": matter,
            "appliedOn": applied,
            "outcome": outcome,
            "reporter": reporter,
            "reporterKind": found["kind"],
            "reportedBy": actor.subject,
        }
        created = await single(
            tx,
            _REPORT,
            {
                "reporter": reporter,
                "subject": subject,
                "sanction": sanction.id,
                "props": {k: v for k, v in props.items() if v is not None},
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "MEASURE_APPLIED",
            [created["element"], created["sanction"]],
            today=today,
            reason=f"{sanction.measure_name}：{matter}",
            detail={"sanction": sanction.id, "subject": subject, "appliedOn": applied},
        )
        return MeasureApplicationInfo(
            id=application_id,
            sanction=sanction,
            subject=subject,
            subject_is_person=is_person,
            subject_name=found["subjectName"],
            subject_name_masked=found["subjectMasked"],
            matter_reference=matter,
            applied_on=applied,
            outcome=outcome,
            reporter=reporter,
            reporter_name=found["name"],
        )

    return await db.write_transaction(work)


# -- feedback statistics ----------------------------------------------------------------------
@dataclass(frozen=True)
class MeasureCount:
    """How often one measure was applied."""

    code: str | None
    name: str
    applications: int


@dataclass(frozen=True)
class OrganisationStatistics:
    """One reporting organisation's applications of measures over a period."""

    code: str
    name: str | None
    kind: str | None
    total: int
    measures: tuple[MeasureCount, ...]


_STATISTICS: Final = (
    "MATCH (a:MeasureApplication) "
    "WHERE $from <= a.appliedOn <= $to AND ($org IS NULL OR a.reporter = $org) "
    "OPTIONAL MATCH (a)-[:REPORTED_BY]->(o) "
    "WITH a.reporter AS org, o.name AS name, a.reporterKind AS kind, a.measureCode AS code, "
    "a.measureName AS measure, count(a) AS n "
    "ORDER BY org, code, measure "
    "WITH org, name, kind, collect({code: code, name: measure, n: n}) AS measures, "
    "sum(n) AS total "
    "RETURN org, name, kind, measures, total ORDER BY total DESC, org"
)


async def measure_statistics(
    db: Database, applied_from: date, applied_to: date, *, organisation: str | None
) -> list[OrganisationStatistics]:
    """Applications of measures per reporting organisation and measure in the period (both
    ends inclusive); one organisation's, or everyone's when `organisation` is None."""
    found = await db.read(
        _STATISTICS, {"from": applied_from, "to": applied_to, "org": organisation}
    )
    return [
        OrganisationStatistics(
            code=r["org"],
            name=r["name"],
            kind=r["kind"],
            total=int(r["total"]),
            measures=tuple(MeasureCount(m["code"], m["name"], int(m["n"])) for m in r["measures"]),
        )
        for r in found
    ]
