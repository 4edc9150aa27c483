"""The facts an evaluation reads from the graph, gathered set-based for many subjects at once.

`gather` takes a batch of enterprises and asks five aggregating queries — basics and annual
reports, records, list entries, verified voluntary items, black-listed related enterprises —
never one query per enterprise. Each fact comes back as a value and the sources behind it
(ids, kind and title; at most `max_sources`, with the total), so every point is explainable.

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
from typing import Any, Final, LiteralString, Protocol

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


@dataclass(frozen=True)
class Source:
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
BASICS: Final = (
    "UNWIND $usccs AS u MATCH (e:Enterprise {uscc: u}) "
    f"OPTIONAL MATCH (prev:{Label.EVALUATION} {{uscc: u}}) WHERE {current_version('prev')} "
    "RETURN collect({uscc: u, name: e.name, foundedOn: toString(e.foundedOn), "
    "capital: e.registeredCapital, status: e.status, reportYears: e.annualReportYears, "
    "reportFiledOn: [d IN e.annualReportFiledOn | toString(d)], "
    "previousGrade: prev.grade, previousScore: prev.score}) AS rows"
)

# A record counts while current, not repaired or revoked, and inside its publication window
# (graph/publication.py `record_counts`); each kind feeds one fact.
_RECORD_FACTS: Final = (
    f"CASE r.kind "
    f"  WHEN '{RecordKind.LICENSE}' THEN '{Fact.LICENCES}' "
    f"  WHEN '{RecordKind.PENALTY}' THEN CASE r.severity "
    f"    WHEN '{SeverityTier.SERIOUS}' THEN '{Fact.PENALTIES_SERIOUS}' "
    f"    ELSE '{Fact.PENALTIES_GENERAL}' END "
    f"  WHEN '{RecordKind.ENFORCEMENT}' THEN '{Fact.ENFORCEMENTS}' "
    f"  WHEN '{RecordKind.JUDGMENT}' THEN '{Fact.JUDGMENTS}' "
    f"  WHEN '{RecordKind.ABNORMAL_OPERATION}' THEN '{Fact.ABNORMAL_OPERATIONS}' "
    f"  WHEN '{RecordKind.RECTIFICATION}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.INTERVIEW}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.LIABILITY}' THEN '{Fact.OTHER_ADVERSE}' "
    f"  WHEN '{RecordKind.COMMITMENT_BREACH}' THEN '{Fact.COMMITMENTS_BREACHED}' "
    f"  WHEN '{RecordKind.COMMITMENT}' THEN CASE WHEN r.fulfilment = $kept "
    f"    THEN '{Fact.COMMITMENTS_KEPT}' END "
    f"  WHEN '{RecordKind.HONOR}' THEN '{Fact.HONOURS}' "
    f"  WHEN '{RecordKind.TAX_GRADE}' THEN CASE r.category "
    f"    WHEN 'A' THEN '{Fact.TAX_GRADE_A}' WHEN 'D' THEN '{Fact.TAX_GRADE_D}' END "
    f"  WHEN '{RecordKind.VOLUNTARY}' THEN CASE WHEN NOT EXISTS "
    f"    {{ (:{Label.VOLUNTARY_ITEM})-[:{Rel.RESULTED_IN}]->(r) }} "
    f"    THEN '{Fact.VOLUNTARY_VERIFIED}' END "
    f"END"
)
RECORDS: Final = (
    f"UNWIND $usccs AS u MATCH (:{Label.ENTERPRISE} {{uscc: u}})<-[:{Rel.HAS_SUBJECT}]-"
    f"(r:{Label.RECORD}) WHERE {record_counts('r', '$today')} "
    f"WITH u, r, {_RECORD_FACTS} AS fact "
    "WHERE fact IS NOT NULL "
    "WITH u, fact, r ORDER BY r.decisionDate DESC, r.uid "
    "WITH u, fact, count(r) AS n, "
    "collect({id: r.uid, kind: r.kind, title: r.title})[..$max] AS sources "
    "RETURN collect({uscc: u, fact: fact, n: n, sources: sources}) AS rows"
)

LIST_ENTRIES: Final = (
    "UNWIND $usccs AS u "
    f"MATCH (:{Label.ENTERPRISE} {{uscc: u}})<-[:{Rel.HAS_SUBJECT}]-(l:{Label.LIST_ENTRY}) "
    f"WHERE {list_entry_in_force('l', '$today')} "
    f"AND l.listType IN ['{ListType.BLACK}', '{ListType.RED}'] "
    "WITH u, l ORDER BY l.decisionDate DESC, l.id "
    f"WITH u, CASE l.listType WHEN '{ListType.BLACK}' THEN '{Fact.BLACK_LIST}' "
    f"ELSE '{Fact.RED_LIST}' END AS fact, "
    "count(l) AS n, collect({id: l.id, kind: l.listType, title: l.listName})[..$max] AS sources "
    "RETURN collect({uscc: u, fact: fact, n: n, sources: sources}) AS rows"
)

VOLUNTARY: Final = (
    "UNWIND $usccs AS u "
    f"MATCH (:{Label.ENTERPRISE} {{uscc: u}})<-[:{Rel.HAS_SUBJECT}]-(v:{Label.VOLUNTARY_ITEM}) "
    f"WHERE {current_version('v')} AND v.verification = '{VerificationStatus.VERIFIED}' "
    "WITH u, v ORDER BY v.registeredOn DESC, v.id "
    "WITH u, count(v) AS n, collect({id: v.id, kind: $itemKind, title: v.title})[..$max] "
    "AS sources "
    f"RETURN collect({{uscc: u, fact: '{Fact.VOLUNTARY_VERIFIED}', n: n, sources: sources}}) "
    "AS rows"
)

# 关联企业: sharing a legal representative or actual controller, sharing a controlling
# shareholder, or holding / held by a controlling share. Persons are never returned.
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
    "collect({id: l.id, kind: $relatedKind, title: o.name + '：' + l.listName})[..$max] "
    "AS sources "
    f"RETURN collect({{uscc: u, fact: '{Fact.RELATED_BLACK_LISTED}', n: n, sources: sources}}) "
    "AS rows"
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
    "collect({id: l.id, kind: $relatedKind, title: o.name + '：' + l.listName})[..$max] "
    "AS sources "
    f"RETURN collect({{uscc: uscc, fact: '{Fact.RELATED_BLACK_LISTED}', n: n, "
    "sources: sources}) AS rows"
)

Related = dict[str, dict[str, Any]]
"""RELATED_BLACK_LISTED rows by subject, read once for a whole run (`related_to_black_listed`)."""


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
    return {row["uscc"]: row for row in _rows(found)}


ANNUAL_REPORT_MONTH_DAY: Final = (6, 30)
"""Annual reports are due by 30 June of the following year (企业信息公示暂行条例 第八条)."""


def _rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _basics(row: dict[str, Any], today: date, report_years: int) -> SubjectFacts:
    uscc = row["uscc"]
    subject = SubjectFacts(
        uscc=uscc,
        name=row["name"],
        previous_grade=row["previousGrade"],
        previous_score=row["previousScore"],
    )
    founded = date.fromisoformat(row["foundedOn"]) if row["foundedOn"] is not None else None
    if founded is not None and founded <= today:
        subject.facts[Fact.YEARS_IN_BUSINESS] = FactValue(float(_years_between(founded, today)))
    if row["capital"] is not None:
        subject.facts[Fact.REGISTERED_CAPITAL] = FactValue(float(row["capital"]))
    if row["status"] == EnterpriseStatus.REVOKED.value:
        subject.facts[Fact.LICENCE_REVOKED] = FactValue(1.0)
    filed = {
        int(year): date.fromisoformat(day)
        for year, day in zip(row["reportYears"] or [], row["reportFiledOn"] or [], strict=False)
    }
    month, day = ANNUAL_REPORT_MONTH_DAY
    outcomes: dict[Fact, list[Source]] = {}
    for year in reversed(due_report_years(today, founded, report_years)):
        deadline = date(year + 1, month, day)
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
        subject.facts[fact] = FactValue(float(len(sources)), sources, len(sources))
    return subject


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

    With `concurrent`, the aggregating queries run side by side (each in its own read
    transaction); inside one transaction they must run one after the other. `related`, when
    given, holds the related black-listed enterprises read once for the whole run.
    """
    params: dict[str, Any] = {
        "usccs": list(usccs),
        "today": today,
        "max": max_sources,
        "share": controlling_share,
        "kept": CommitmentStatus.KEPT.label,
        "itemKind": VOLUNTARY_ITEM_KIND,
        "relatedKind": RELATED_KIND,
    }
    statements: list[LiteralString] = [BASICS, RECORDS, LIST_ENTRIES, VOLUNTARY]
    if related is None:
        statements.append(RELATED)
    if concurrent:
        answers = await asyncio.gather(*(run(cypher, params) for cypher in statements))
    else:
        answers = [await run(cypher, params) for cypher in statements]
    if related is not None:
        answers.append([{"rows": [related[uscc] for uscc in usccs if uscc in related]}])
    subjects: dict[str, SubjectFacts] = {}
    for row in _rows(answers[0]):
        subjects[row["uscc"]] = _basics(row, today, report_years)
    for found in answers[1:]:
        for row in _rows(found):
            subject = subjects.get(row["uscc"])
            if subject is None:
                continue
            fact = Fact(row["fact"])
            value = subject.facts.setdefault(fact, FactValue(0.0))
            value.value += float(row["n"])
            value.total_sources += int(row["n"])
            room = max_sources - len(value.sources)
            value.sources += [
                Source(s["id"], KIND_LABELS.get(s["kind"], s["kind"]), s["title"] or "")
                for s in row["sources"][:room]
            ]
    return subjects
