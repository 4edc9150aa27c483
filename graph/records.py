"""One way to write a credit record and its new versions.

Feeds (loaders/writers/records.py), lifecycle steps (graph/lifecycle/versions.py), the
personal liability records of a black-list decision (graph/lifecycle/lists.py) and the demo
data (loaders/demo_data.py) all make records here, so every version carries the same things:

- its identity: ``uid = key#vN``, ``version``, ``current`` (`version_props`);
- its publication stamps (`publication_stamps`): the window of graph/publication.py, the
  publish-by date of 双公示 kinds (decision + 7 working days) and ``firstPublishedOn``, the day
  the decision first reached the network, kept across versions;
- its relations: subject (``HAS_SUBJECT``), supplier (``PROVIDED_BY``) and deciding authority
  (``DECIDED_BY``);
- and, for version n+1, ``(new)-[:SUPERSEDES]->(old)`` with the old version kept as
  ``SUPERSEDED`` and no longer current — never overwritten. A new version keeps the relations
  of the old one (subject, supplier, decider) unless it names its own.

`write_records` writes a batch in one UNWIND statement and answers per version (a lifecycle
step); `write_record_batch` is the same write answering only how many (the feed's path: its
throughput is the loader's); `new_version` copies the current version with changes (a
lifecycle decision).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import Any, Final

import neo4j

from graph.model import Label, RecordKind, RecordStatus, Rel, SeverityTier
from graph.publication import current_record, publication_window
from graph.workdays import CalendarNotCovered, WorkdayCalendar, publish_by

__all__ = [
    "RECORD_DATES",
    "iso",
    "new_version",
    "publication_stamps",
    "version_props",
    "write_record_batch",
    "write_records",
]

RECORD_DATES: Final = (
    "decisionDate",
    "validFrom",
    "validTo",
    "suppliedPublishUntil",
    "publishFrom",
    "publishUntil",
    "publishBy",
    "firstPublishedOn",
    "filedOn",
)
"""Date properties of a record. They travel as ISO text and become dates in Cypher: the Python
driver spends more on packing a date than on the rest of a row, which halved bulk-load
throughput."""

_PROVIDERS: Final = (Label.DEPARTMENT, Label.ASSOCIATION, Label.CREDIT_AGENCY)
_DECIDERS: Final = (Label.DEPARTMENT, Label.ASSOCIATION, Label.BANK, Label.CREDIT_AGENCY)


def iso(value: date | None) -> str | None:
    """A date as ISO text for a statement parameter (None stays None)."""
    return None if value is None else value.isoformat()


def publication_stamps(
    kind: RecordKind,
    severity: SeverityTier | None,
    decided_on: date,
    valid_to: date | None,
    *,
    warning_only: bool = False,
    calendar: WorkdayCalendar | None = None,
) -> dict[str, date | None]:
    """``publishFrom``, ``publishUntil`` (graph/publication.py `publication_window`) and
    ``publishBy``: decision + 7 working days when `calendar` is given (双公示 kinds and the
    acts of 四(三)) and the record is published at all; None for a decision older than the
    calendar's data, which is not assessed. Raises `ValueError` as the window does."""
    publish_from, publish_until = publication_window(
        kind, severity, decided_on, valid_to, warning_only=warning_only
    )
    deadline = None
    if calendar is not None and publish_from is not None:
        deadline = _publish_by(decided_on, calendar)
    return {"publishFrom": publish_from, "publishUntil": publish_until, "publishBy": deadline}


@functools.lru_cache(maxsize=8192)
def _publish_by(decided_on: date, calendar: WorkdayCalendar) -> date | None:
    # Many records share a decision day (a feed, the demo data): count each day's deadline once.
    try:
        return publish_by(decided_on, calendar)
    except CalendarNotCovered:
        return None


def version_props(key: str, version: int, status: RecordStatus | str) -> dict[str, Any]:
    """The identity of version `version` of record `key`: it is the current one."""
    value = status.value if isinstance(status, RecordStatus) else status
    return {
        "uid": f"{key}#v{version}",
        "key": key,
        "version": version,
        "current": True,
        "status": value,
    }


def _any_of(variable: str, labels: tuple[Label, ...], code: str) -> str:
    """A UNION subquery body finding the organisation with `code` under any of `labels`."""
    return " UNION ".join(
        f"MATCH ({variable}:{label} {{code: {code}}}) RETURN {variable}" for label in labels
    )


# What happens to the version a new one replaces: one statement text for both paths.
_SUPERSEDE: Final = (
    f"SET old.current = false, old.status = '{RecordStatus.SUPERSEDED}' "
    f"CREATE (r)-[:{Rel.SUPERSEDES}]->(old) "
)

# A new version without a relation of its own keeps the old version's.
_KEEP_RELATIONS: Final = "".join(
    f"CALL (old, r) {{ WITH old, r WHERE NOT EXISTS {{ (r)-[:{rel}]->() }} "
    f"MATCH (old)-[:{rel}]->(o) CREATE (r)-[:{rel}]->(o) }} "
    for rel in (Rel.HAS_SUBJECT, Rel.PROVIDED_BY, Rel.DECIDED_BY)
)

# The optional parts of a row, each with the statement text that handles it. A part no row of
# the batch uses is left out of the statement (the planner cannot know that from $rows), and
# a row without it is skipped by the part's WHERE.
_PARTS: Final = (
    (
        "enterprise",
        "CALL (r, row) { "
        "  WITH r, row WHERE row.enterprise IS NOT NULL "
        f"  MATCH (e:{Label.ENTERPRISE} {{uscc: row.enterprise}}) "
        f"  CREATE (r)-[:{Rel.HAS_SUBJECT}]->(e) "
        "} ",
    ),
    (
        "person",
        "CALL (r, row) { "
        "  WITH r, row WHERE row.person IS NOT NULL "
        f"  MERGE (p:{Label.PERSON} {{key: row.person.key}}) "
        "  ON CREATE SET p += row.person.props "
        f"  CREATE (r)-[:{Rel.HAS_SUBJECT}]->(p) "
        "} ",
    ),
    # A lifecycle step names its subject by key alone (a USCC or a person key); never created.
    (
        "subject",
        "CALL (r, row) { "
        "  WITH r, row WHERE row.subject IS NOT NULL "
        f"  CALL (row) {{ MATCH (s:{Label.ENTERPRISE} {{uscc: row.subject}}) RETURN s "
        f"    UNION MATCH (s:{Label.PERSON} {{key: row.subject}}) RETURN s }} "
        f"  CREATE (r)-[:{Rel.HAS_SUBJECT}]->(s) "
        "} ",
    ),
    (
        "previous",
        "CALL (r, row) { "
        "  WITH r, row WHERE row.previous IS NOT NULL "
        f"  MATCH (old:{Label.RECORD} {{uid: row.previous}}) "
        f"  {_SUPERSEDE}"
        "  WITH old, r "
        f"  {_KEEP_RELATIONS}"
        "} ",
    ),
)


@dataclass(frozen=True)
class _Shape:
    """What the rows of one batch carry: the statement writes only that."""

    dates: tuple[str, ...]  # the names of `RECORD_DATES` some row gives
    deciders: bool
    parts: tuple[str, ...]  # the names of `_PARTS` some row gives

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> _Shape:
        """The shape of `rows`."""
        dates = [row["dates"] for row in rows]
        return cls(
            tuple(name for name in RECORD_DATES if _given(dates, name)),
            _given(rows, "decider"),
            tuple(name for name, _ in _PARTS if _given(rows, name)),
        )


def _given(maps: list[dict[str, Any]], name: str) -> bool:
    """Whether some map of `maps` gives `name` a value (not None).

    Asked in C, name by name: a feed's chunk is thousands of rows, and this runs between its
    statements (a loop over every row's items took a fifth of the loading process's time)."""
    return not all(map(operator.is_, map(dict.get, maps, repeat(name)), repeat(None)))


@functools.lru_cache(maxsize=128)
def _write_statement(shape: _Shape, *, detailed: bool) -> str:
    """One statement for a batch of `shape`: ``created`` is the list of
    ``{uid, element, subjects}`` when `detailed`, else the number of versions created."""
    # The provider is one per batch, and a batch names few deciders: each is looked up once
    # (under any of the organisation labels) instead of once per row.
    deciders = (
        "CALL () { "
        "  UNWIND $deciders AS code "
        f"  CALL (code) {{ {_any_of('o', _DECIDERS, 'code')} }} "
        "  WITH code, collect(o)[0] AS o "
        "  RETURN collect({code: code, node: o}) AS deciders "
        "} "
        if shape.deciders
        else ""
    )
    dates = "".join(f"r.{name} = date(row.dates.{name}), " for name in shape.dates)
    decided_by = (
        f"FOREACH (o IN [d IN deciders WHERE d.code = row.decider | d.node] | "
        f"CREATE (r)-[:{Rel.DECIDED_BY}]->(o)) "
        if shape.deciders
        else ""
    )
    created = (
        "collect({uid: r.uid, element: elementId(r), "
        f"subjects: COUNT {{ (r)-[:{Rel.HAS_SUBJECT}]->() }}}})"
        if detailed
        else "count(r)"
    )
    return (
        f"CALL () {{ {_any_of('provider', _PROVIDERS, '$provider')} }} "
        f"{deciders}"
        "UNWIND $rows AS row "
        f"CREATE (r:{Label.RECORD}) "
        "SET r = row.props "
        f"SET {dates}r.loadedAt = $loadedAt "
        f"CREATE (r)-[:{Rel.PROVIDED_BY}]->(provider) "
        f"{decided_by}"
        "WITH r, row "
        + "".join(text for name, text in _PARTS if name in shape.parts)
        + f"RETURN {created} AS created"
    )


def _write_query(
    rows: list[dict[str, Any]], provider: str, loaded_at: Any, *, detailed: bool
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters writing `rows` (see `write_records`)."""
    shape = _Shape.of(rows)
    parameters = {"rows": rows, "provider": provider, "loadedAt": loaded_at}
    if shape.deciders:
        parameters["deciders"] = sorted({row["decider"] for row in rows if row.get("decider")})
    return _write_statement(shape, detailed=detailed), parameters


async def write_records(
    tx: neo4j.AsyncManagedTransaction,
    rows: list[dict[str, Any]],
    *,
    provider: str,
    loaded_at: Any,
) -> list[dict[str, Any]]:
    """Create the record versions of `rows` supplied by the organisation `provider`; return
    ``{uid, element, subjects}`` for each version created (none when the provider is not in
    the graph; ``subjects`` is 0 for a row whose subject is not in the graph).

    Each row holds ``props`` (with `version_props`), ``dates`` (ISO text for the names of
    `RECORD_DATES`, `iso`), and optionally ``decider`` (the deciding authority's code),
    ``enterprise`` (a USCC), ``person`` (``{key, props}``, created when new), ``subject`` (a
    USCC or person key that must exist) and ``previous`` (the uid this version supersedes).
    """
    if not rows:
        return []
    cypher, parameters = _write_query(rows, provider, loaded_at, detailed=True)
    result = await tx.run(cypher, parameters)
    record = await result.single()
    return [] if record is None else list(record["created"])


async def write_record_batch(
    tx: neo4j.AsyncManagedTransaction,
    rows: list[dict[str, Any]],
    *,
    provider: str,
    loaded_at: Any,
) -> int:
    """`write_records` for a bulk load (a feed's chunk, the demo data): the same versions and
    relations, but only how many versions were created comes back (0 when the provider is
    not in the graph), not one answer per row."""
    if not rows:
        return 0
    cypher, parameters = _write_query(rows, provider, loaded_at, detailed=False)
    result = await tx.run(cypher, parameters)
    record = await result.single()
    return 0 if record is None else int(record["created"])


_NEW_VERSION: Final = (
    f"{current_record('old', '$key')}"
    # The new uid goes in with the copy: a copy still carrying the old uid would violate the
    # uniqueness constraint the moment it is set.
    "WITH old, old {.*, uid: old.key + '#v' + toString(old.version + 1), "
    "version: old.version + 1, current: true} AS copied "
    f"CREATE (r:{Label.RECORD}) SET r = copied "
    "SET r += $changes, r.changeReason = $reason, r.changedBy = $changedBy, "
    "r.changedOn = date($today), r.batchId = null, r.sourceRow = null "
    f"{_SUPERSEDE}"
    "WITH old, r "
    f"{_KEEP_RELATIONS}"
    "RETURN r.uid AS uid, elementId(r) AS element, elementId(old) AS previous"
)


async def new_version(
    tx: neo4j.AsyncManagedTransaction,
    key: str,
    changes: dict[str, Any],
    *,
    changed_by: str,
    reason: str,
    today: date,
) -> dict[str, str] | None:
    """Version n+1 of the current version of record `key`: a copy with `changes` (stored
    property names; dates may be `datetime.date`), saying why, who and when, with the old
    version's subject, supplier and decider. Returns ``{uid, element, previous}`` (element
    ids), or None when there is no such record. The content hash of the feed row it came from
    is kept, so re-sending that row later counts as unchanged instead of undoing the change."""
    result = await tx.run(
        _NEW_VERSION,
        {
            "key": key,
            "changes": changes,
            "reason": reason,
            "changedBy": changed_by,
            "today": today.isoformat(),
        },
    )
    record = await result.single()
    if record is None:
        return None
    return {"uid": record["uid"], "element": record["element"], "previous": record["previous"]}
