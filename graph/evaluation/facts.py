"""The facts an evaluation reads from the graph, gathered set-based for many subjects at once.

`gather` takes a batch of enterprises and asks two aggregating statements, never one per
enterprise: `SUBJECTS` (basics, annual reports, the current grade, and one walk over each
subject's HAS_SUBJECT relationships for its records, list entries and verified voluntary
items) and `RELATED` (black-listed related enterprises; a whole run reads these once, from the
black-listed end). Each fact comes back as a value and the sources behind it (ids, kind and
title; at most `max_sources`, with the total), so every point is explainable.

What counts, and why (DOMAIN.md, NDRC Order 36, graph/lifecycle/):
- records: the current version only, neither repaired nor revoked (EFFECTIVE or under
  objection), and only inside its publication window — a repaired or expired finding no
  longer counts, and a 轻微 finding, which is never published, never does;
- list entries: in force (ACTIVE and not past `effectiveUntil`); announced red-list candidates
  and removed entries do not count;
- voluntary information: current versions that were verified (graph.lifecycle.voluntary's
  `verified_items` rule, here for many subjects at once). Verification also writes a VOLUNTARY
  record; that record is not counted again. A VOLUNTARY record without an item (a department's
  own registration, as the demo data has) is the department's verified information and counts;
- commitments: kept when the COMMITMENT record says 已履约, breached by a COMMITMENT_BREACH
  record (itself an adverse record with a window);
- annual reports (年报公示): for each of the last `annual_report_years` years whose filing
  deadline (30 June of the next year, 企业信息公示暂行条例 第八条) has passed and in which the
  enterprise existed: filed on time, late, or missing. They are stored on the Enterprise as two
  parallel lists, ``annualReportYears`` and ``annualReportFiledOn`` (graph/model.py).

Everything gathered is public-class information (published records, lists in force, 年报,
verified voluntary registrations, the names of related enterprises on a black list): an
explanation never names or identifies a person, and never shows a consumer a record it could
not see on the disclosure site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final, LiteralString, NamedTuple, Protocol

import neo4j

from graph.database import Database
from graph.lifecycle.base import rows
from graph.model import (
    CommitmentStatus,
    EnterpriseStatus,
    Label,
    ListType,
    RecordKind,
    Rel,
    SeverityTier,
    VerificationStatus,
)
from graph.publication import (
    black_list_entry_in_force,
    current_version,
    list_entry_in_force,
    record_counts,
)


class Fact(StrEnum):
    """What the evaluation can know about a subject; indicators in the model name these."""

    YEARS_IN_BUSINESS = "YEARS_IN_BUSINESS"
    REGISTERED_CAPITAL = "REGISTERED_CAPITAL"
    LICENCE_REVOKED = "LICENCE_REVOKED"
    LICENCES = "LICENCES"
    ANNUAL_REPORTS_ON_TIME = "ANNUAL_REPORTS_ON_TIME"
    ANNUAL_REPORTS_LATE = "ANNUAL_REPORTS_LATE"
    ANNUAL_REPORTS_MISSING = "ANNUAL_REPORTS_MISSING"
    PENALTIES_GENERAL = "PENALTIES_GENERAL"
    PENALTIES_SERIOUS = "PENALTIES_SERIOUS"
    BLACK_LIST = "BLACK_LIST"
    ENFORCEMENTS = "ENFORCEMENTS"
    JUDGMENTS = "JUDGMENTS"
    ABNORMAL_OPERATIONS = "ABNORMAL_OPERATIONS"
    OTHER_ADVERSE = "OTHER_ADVERSE"
    TAX_GRADE_D = "TAX_GRADE_D"
    COMMITMENTS_KEPT = "COMMITMENTS_KEPT"
    COMMITMENTS_BREACHED = "COMMITMENTS_BREACHED"
    VOLUNTARY_VERIFIED = "VOLUNTARY_VERIFIED"
    RELATED_BLACK_LISTED = "RELATED_BLACK_LISTED"
    RED_LIST = "RED_LIST"
    HONOURS = "HONOURS"
    TAX_GRADE_A = "TAX_GRADE_A"


ANNUAL_REPORT_KIND: Final = "年度报告"
VOLUNTARY_ITEM_KIND: Final = "自愿注册（已核实）"
RELATED_KIND: Final = "关联企业失信"
KIND_LABELS: Final[dict[str, str]] = {
    **{kind.value: kind.label for kind in RecordKind},
    **{list_type.value: list_type.label for list_type in ListType},
}


class Source(NamedTuple):
    """A record, list entry, item or filing behind an indicator (ids are the graph's own)."""

    id: str
    kind: str
    title: str


@dataclass
class FactValue:
    """A fact's value for one subject and the sources behind it."""

    value: float
    sources: list[Source] = field(default_factory=list)
    total_sources: int = 0


@dataclass
class SubjectFacts:
    """Everything gathered about one enterprise, with its current grade before this run."""

    uscc: str
    name: str | None
    facts: dict[Fact, FactValue] = field(default_factory=dict)
    previous_grade: str | None = None
    previous_score: float | None = None

    def value(self, fact: Fact) -> float:
        """The fact's value (0 when nothing was found)."""
        found = self.facts.get(fact)
        return found.value if found else 0.0


class Runner(Protocol):
    """Runs one Cypher statement and returns its rows: a read session, or an open transaction."""

    def __call__(
        self, cypher: LiteralString, params: dict[str, Any]
    ) -> Awaitable[list[dict[str, Any]]]:
        """The rows of `cypher` with `params`."""
        ...


def database_runner(db: Database) -> Runner:
    """Each statement in its own read transaction (so a batch's queries may run side by side)."""

    async def run(cypher: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await db.read(cypher, params)

    return run


def transaction_runner(tx: neo4j.AsyncManagedTransaction) -> Runner:
    """Every statement inside `tx`: a refresh sees the change it is part of."""

    async def run(cypher: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await rows(tx, cypher, params)

    return run


# -- the queries -----------------------------------------------------------------------------
# A record counts while current, not repaired or revoked, and inside its publication window
# (graph/publication.py `record_counts`); each kind feeds one fact.
_RECORD_FACTS: Final = (
    f"CASE x.kind "
    f"  WHEN '{RecordKind.LICENSE}' THEN '{Fact.LICENCES}' "
    f"  WHEN '{RecordKind.PENALTY}' THEN CASE x.severity "
    f"    WHEN '{SeverityTier.SERIOUS}' THEN '{Fact.PENALTIES_SERIOUS}' "
    f"    ELSE '{Fact.PENALTIES_GENERAL}' END "
    f"  WHEN '{RecordKind.ENFORCEMENT}' THEN '{Fact.ENFORCEMENTS}' "
    f"  WHEN '{RecordKind.JUDGMENT}' THEN '{Fact.JUDGMENTS}' "
    f"  WHEN '{RecordKind.ABNORMAL_OPERATION}' THEN '{Fact.ABNORMAL_OPERATIONS}' "
    f"  WHEN '{RecordKind.RECTIFICATION}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.INTERVIEW}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.LIABILITY}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.COMMITMENT_BREACH}' THEN '{Fact.COMMITMENTS_BREACHED}' "
    f"  WHEN '{RecordKind.COMMITMENT}' THEN CASE WHEN x.fulfilment = $kept "
    f"    THEN '{Fact.COMMITMENTS_KEPT}' END "
    f"  WHEN '{RecordKind.HONOR}' THEN '{Fact.HONOURS}' "
    f"  WHEN '{RecordKind.TAX_GRADE}' THEN CASE x.category "
    f"    WHEN 'A' THEN '{Fact.TAX_GRADE_A}' WHEN 'D' THEN '{Fact.TAX_GRADE_D}' END "
    f"  WHEN '{RecordKind.VOLUNTARY}' THEN CASE WHEN NOT EXISTS "
    f"    {{ (:{Label.VOLUNTARY_ITEM})-[:{Rel.RESULTED_IN}]->(x) }} "
    f"    THEN '{Fact.VOLUNTARY_VERIFIED}' END "
    f"END"
)

# What a node about the subject counts as, if anything: a record (above), a black- or
# red-list entry in force, or a verified current voluntary item.
_SUBJECT_FACT: Final = (
    f"CASE "
    f"WHEN x:{Label.RECORD} THEN CASE WHEN {record_counts('x', '$today')} "
    f"  THEN {_RECORD_FACTS} END "
    f"WHEN x:{Label.LIST_ENTRY} THEN CASE WHEN {list_entry_in_force('x', '$today')} "
    f"  AND x.listType IN ['{ListType.BLACK}', '{ListType.RED}'] THEN CASE x.listType "
    f"  WHEN '{ListType.BLACK}' THEN '{Fact.BLACK_LIST}' ELSE '{Fact.RED_LIST}' END END "
    f"WHEN x:{Label.VOLUNTARY_ITEM} THEN CASE WHEN {current_version('x')} "
    f"  AND x.verification = '{VerificationStatus.VERIFIED}' "
    f"  THEN '{Fact.VOLUNTARY_VERIFIED}' END "
    f"END"
)

# Everything about a batch of subjects but their related enterprises, in one statement with
# one walk over each subject's HAS_SUBJECT relationships (records, list entries and voluntary
# items are all found there). One row per subject, as a list:
#   [uscc, name, foundedOn, registeredCapital, status, annualReportYears, annualReportFiledOn,
#    previous grade, previous score, [[fact, count, [[id, kind, title] …at most $max]] …]]
# Sources come newest first; VOLUNTARY_VERIFIED lists its records before its items. Lists,
# not maps, and dates as ISO strings: the driver decodes them much faster.
SUBJECTS: Final = (
    f"UNWIND $usccs AS u MATCH (e:{Label.ENTERPRISE} {{uscc: u}}) "
    f"OPTIONAL MATCH (prev:{Label.EVALUATION} {{uscc: u}}) WHERE {current_version('prev')} "
    f"WITH u, e, prev, COLLECT {{ MATCH (e)<-[:{Rel.HAS_SUBJECT}]-(x) "
    f"  WITH x, {_SUBJECT_FACT} AS fact WHERE fact IS NOT NULL "
    f"  WITH fact, x, CASE WHEN x:{Label.VOLUNTARY_ITEM} THEN 1 ELSE 0 END AS rank, "
    f"    CASE WHEN x:{Label.VOLUNTARY_ITEM} THEN x.registeredOn ELSE x.decisionDate END AS day, "
    f"    CASE WHEN x:{Label.RECORD} THEN x.uid ELSE x.id END AS id "
    "  ORDER BY rank, day DESC, id "
    "  WITH fact, count(x) AS n, collect([id, CASE "
    f"    WHEN x:{Label.RECORD} THEN coalesce($kindLabels[x.kind], x.kind) "
    f"    WHEN x:{Label.LIST_ENTRY} THEN coalesce($kindLabels[x.listType], x.listType) "
    "    ELSE $itemKind END, "
    f"    coalesce(CASE WHEN x:{Label.LIST_ENTRY} THEN x.listName ELSE x.title END, '')])"
    "[..$max] AS sources "
    "  RETURN [fact, n, sources] "
    "} AS facts "
    "RETURN collect([u, e.name, toString(e.foundedOn), e.registeredCapital, e.status, "
    "e.annualReportYears, [d IN e.annualReportFiledOn | toString(d)], prev.grade, prev.score, "
    "facts]) AS rows"
)

# 关联企业: sharing a legal representative or actual controller, sharing a controlling
# shareholder, or holding / held by a controlling share. Persons are never returned.
# Rows: [uscc, related black-listed enterprises, [[id, kind, title] …at most $max]].
RELATED: Final = (
    "UNWIND $usccs AS u MATCH (e:Enterprise {uscc: u}) "
    "CALL (e) { "
    "  MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]-(:Person)"
    "-[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]->(o:Enterprise) RETURN o "
    "  UNION "
    "  MATCH (e)<-[s:SHAREHOLDER_OF]-()-[t:SHAREHOLDER_OF]->(o:Enterprise) "
    "  WHERE s.share >= $share AND t.share >= $share RETURN o "
    "  UNION "
    "  MATCH (e)<-[s:SHAREHOLDER_OF]-(o:Enterprise) WHERE s.share >= $share RETURN o "
    "  UNION "
    "  MATCH (e)-[s:SHAREHOLDER_OF]->(o:Enterprise) WHERE s.share >= $share RETURN o "
    "} "
    "WITH u, e, o WHERE o <> e "
    f"MATCH (o)<-[:{Rel.HAS_SUBJECT}]-(l:{Label.LIST_ENTRY}) "
    f"WHERE {black_list_entry_in_force('l', '$today')} "
    "WITH u, o, l ORDER BY o.uscc, l.id "
    "WITH u, count(DISTINCT o) AS n, "
    "collect([l.id, $relatedKind, coalesce(o.name + '：' + l.listName, '')])[..$max] "
    "AS sources "
    "RETURN collect([u, n, sources]) AS rows"
)

# The same relation read from the other end, once for a whole run: from every enterprise on a
# black list in force to the enterprises related to it (the patterns above, mirrored). There
# are far fewer black-listed enterprises than subjects, so this replaces a traversal per subject.
RELATED_TO_BLACK_LISTED: Final = (
    f"MATCH (l:{Label.LIST_ENTRY})-[:{Rel.HAS_SUBJECT}]->(o:{Label.ENTERPRISE}) "
    f"WHERE {black_list_entry_in_force('l', '$today')} "
    "WITH o, collect(l) AS entries "
    "CALL (o) { "
    "  MATCH (o)<-[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]-(:Person)"
    "-[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]->(e:Enterprise) RETURN e "
    "  UNION "
    "  MATCH (o)<-[t:SHAREHOLDER_OF]-()-[s:SHAREHOLDER_OF]->(e:Enterprise) "
    "  WHERE s.share >= $share AND t.share >= $share RETURN e "
    "  UNION "
    "  MATCH (o)-[s:SHAREHOLDER_OF]->(e:Enterprise) WHERE s.share >= $share RETURN e "
    "  UNION "
    "  MATCH (o)<-[s:SHAREHOLDER_OF]-(e:Enterprise) WHERE s.share >= $share RETURN e "
    "} "
    "WITH e, o, entries WHERE e <> o "
    "UNWIND entries AS l "
    "WITH e, o, l ORDER BY o.uscc, l.id "
    "WITH e.uscc AS uscc, count(DISTINCT o) AS n, "
    "collect([l.id, $relatedKind, coalesce(o.name + '：' + l.listName, '')])[..$max] "
    "AS sources "
    "RETURN collect([uscc, n, sources]) AS rows"
)

Related = dict[str, list[Any]]
"""RELATED_BLACK_LISTED rows ([uscc, n, sources]) by subject, read once for a whole run
(`related_to_black_listed`)."""


async def related_to_black_listed(
    run: Runner, *, today: date, max_sources: int, controlling_share: float
) -> Related:
    """Every subject related to an enterprise on a black list in force, with the sources."""
    found = await run(
        RELATED_TO_BLACK_LISTED,
        {
            "today": today,
            "max": max_sources,
            "share": controlling_share,
            "relatedKind": RELATED_KIND,
        },
    )
    return {row[0]: row for row in _rows(found)}


ANNUAL_REPORT_MONTH_DAY: Final = (6, 30)
"""Annual reports are due by 30 June of the following year (企业信息公示暂行条例 第八条)."""


def _rows(found: list[dict[str, Any]]) -> list[Any]:
    # Each statement answers with one record holding every row: the driver's cost is per
    # record, and a batch of thousands of records costs more than the query itself.
    return list(found[0]["rows"]) if found else []


def due_report_years(today: date, founded: date | None, years: int) -> list[int]:
    """The last `years` report years whose deadline has passed, from the founding year on."""
    month, day = ANNUAL_REPORT_MONTH_DAY
    last = today.year - 1 if today > date(today.year, month, day) else today.year - 2
    first_possible = founded.year if founded else last - years + 1
    return [y for y in range(last - years + 1, last + 1) if y >= first_possible]


def _years_between(founded: date, today: date) -> int:
    return today.year - founded.year - ((today.month, today.day) < (founded.month, founded.day))


class _Reports:
    """The annual-report years due for a founding year, with their deadlines as ISO text (a
    filing date, read as ISO text too, is on time when it sorts no later), worked out once
    per founding year rather than per subject."""

    def __init__(self, today: date, years: int) -> None:
        self.today = today
        self.years = years
        self._due: dict[int | None, list[tuple[int, str]]] = {}

    def due(self, founded: date | None) -> list[tuple[int, str]]:
        """Newest first: (report year, deadline as ISO text)."""
        key = founded.year if founded is not None else None
        found = self._due.get(key)
        if found is None:
            month, day = ANNUAL_REPORT_MONTH_DAY
            found = [
                (year, date(year + 1, month, day).isoformat())
                for year in reversed(due_report_years(self.today, founded, self.years))
            ]
            self._due[key] = found
        return found


def _basics(row: list[Any], today: date, reports: _Reports) -> SubjectFacts:
    uscc, name, founded_on, capital, status, report_years, filed_on, grade, score = row[:9]
    subject = SubjectFacts(uscc=uscc, name=name, previous_grade=grade, previous_score=score)
    facts = subject.facts
    founded = date.fromisoformat(founded_on) if founded_on is not None else None
    if founded is not None and founded <= today:
        facts[Fact.YEARS_IN_BUSINESS] = FactValue(float(_years_between(founded, today)))
    if capital is not None:
        facts[Fact.REGISTERED_CAPITAL] = FactValue(float(capital))
    if status == EnterpriseStatus.REVOKED.value:
        facts[Fact.LICENCE_REVOKED] = FactValue(1.0)
    filed = dict(zip(map(int, report_years or []), filed_on or [], strict=False))
    outcomes: dict[Fact, list[Source]] = {}
    for year, deadline in reports.due(founded):
        on = filed.get(year)
        if on is None:
            fact = Fact.ANNUAL_REPORTS_MISSING
            title = f"{year}年度年报未报送（应于{deadline}前报送）"
        elif on <= deadline:
            fact, title = Fact.ANNUAL_REPORTS_ON_TIME, f"{year}年度年报于{on}报送"
        else:
            fact, title = Fact.ANNUAL_REPORTS_LATE, f"{year}年度年报于{on}逾期报送"
        outcomes.setdefault(fact, []).append(Source(f"{uscc}#AR{year}", ANNUAL_REPORT_KIND, title))
    for fact, sources in outcomes.items():
        facts[fact] = FactValue(float(len(sources)), sources, len(sources))
    return subject


def _add(subject: SubjectFacts, fact: Fact, n: int, sources: list[Any], max_sources: int) -> None:
    value = subject.facts.get(fact)
    if value is None:
        subject.facts[fact] = FactValue(
            float(n), [Source._make(s) for s in sources[:max_sources]], int(n)
        )
        return
    value.value += float(n)
    value.total_sources += int(n)
    room = max_sources - len(value.sources)
    value.sources += [Source._make(s) for s in sources[: max(0, room)]]


async def gather(
    run: Runner,
    usccs: Sequence[str],
    *,
    today: date,
    max_sources: int,
    controlling_share: float,
    report_years: int,
    concurrent: bool = False,
    related: Related | None = None,
) -> dict[str, SubjectFacts]:
    """The facts of every enterprise in `usccs` that exists, by USCC.

    Two statements (`SUBJECTS`, `RELATED`); with `concurrent` they run side by side (each in
    its own read transaction), inside one transaction one after the other. `related`, when
    given, holds the related black-listed enterprises read once for the whole run, and only
    `SUBJECTS` is asked.
    """
    params: dict[str, Any] = {
        "usccs": list(usccs),
        "today": today,
        "max": max_sources,
        "share": controlling_share,
        "kept": CommitmentStatus.KEPT.label,
        "itemKind": VOLUNTARY_ITEM_KIND,
        "relatedKind": RELATED_KIND,
        "kindLabels": KIND_LABELS,
    }
    statements: list[LiteralString] = [SUBJECTS]
    if related is None:
        statements.append(RELATED)
    if concurrent:
        answers = await asyncio.gather(*(run(cypher, params) for cypher in statements))
    else:
        answers = [await run(cypher, params) for cypher in statements]
    if related is None:
        related = {row[0]: row for row in _rows(answers[1])}
    reports = _Reports(today, report_years)
    subjects: dict[str, SubjectFacts] = {}
    for row in _rows(answers[0]):
        subject = _basics(row, today, reports)
        for fact, n, sources in row[9]:
            _add(subject, Fact(fact), n, sources, max_sources)
        found = related.get(subject.uscc)
        if found is not None:
            _add(subject, Fact.RELATED_BLACK_LISTED, found[1], found[2], max_sources)
        subjects[subject.uscc] = subject
    return subjects
