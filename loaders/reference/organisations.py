"""Registered organisations as managed reference data: import, change with history, resolve.

Organisation nodes keep their labels (Department, Bank, CreditAgency, Association, CreditOffice)
and are keyed by `code` (the USCC). Besides `name`, `shortName` (the first short name) and
`sector`, each has `shortNames`, `aliases` (short names and former names: every name a clerk
may still type), `formerNames`, `formerCodes`, `duty`, `decisionTypes`, `documentPrefixes`,
`services`, `revision` and, once closed, `closedOn` (and `mergedInto`).

Every change — registration, an edited row, a rename, a corrected code, a merge, a closure —
is one write transaction that first keeps the previous state as an `OrganisationRevision`
(chained by PREVIOUS_REVISION, newest first) and records an `Event` saying who, when, from
what to what and why. Importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    Actor,
    InvalidInput,
    LifecycleError,
    NotFound,
    WrongState,
    add_event,
    single,
)
from graph.model import Label, OrganisationKind, Rel
from loaders.reference.models import OrganisationEntry, checked_code, split_names

__all__ = [
    "ORGANISATION_LABELS",
    "AmbiguousOrganisation",
    "ImportSummary",
    "Organisation",
    "OrganisationNotFound",
    "close_organisation",
    "correct_code",
    "find_organisations",
    "import_organisations",
    "list_organisations",
    "merge_organisation",
    "register_organisation",
    "rename_organisation",
    "resolve_organisation",
]

ORGANISATION_LABELS: Final = [kind.node_label.value for kind in OrganisationKind]
"""The labels of registered organisations (one per `OrganisationKind`)."""

_KIND_OF_LABEL: Final = {kind.node_label.value: kind for kind in OrganisationKind}

# What a row of the file decides; the rest (history, revision, dates) is the graph's.
_TRACKED: Final = (
    "name",
    "shortName",
    "shortNames",
    "sector",
    "duty",
    "decisionTypes",
    "documentPrefixes",
    "services",
    "closedOn",
)

_FIND = (
    "MATCH (o:$any($labels)) WHERE o.code = $code OR $code IN coalesce(o.formerCodes, []) "
    "RETURN properties(o) AS props, labels(o) AS labels, elementId(o) AS element "
    "ORDER BY o.code = $code DESC LIMIT 1"
)

_SNAPSHOT = (
    "MATCH (o) WHERE elementId(o) = $element "
    "OPTIONAL MATCH (o)-[old:$($rel)]->(prev) "
    "CREATE (rev:$($revision)) SET rev = properties(o), rev.replacedAt = datetime(), "
    "rev.change = $change "
    "CREATE (o)-[:$($rel)]->(rev) "
    "WITH rev, prev, old "
    "CALL (rev, prev) { WITH rev, prev WHERE prev IS NOT NULL CREATE (rev)-[:$($rel)]->(prev) } "
    "DELETE old "
    "RETURN count(*) AS kept"
)

_MATCH_FIELDS = (
    "CALL () { "
    "  MATCH (o:$any($labels)) WHERE o.code = $code "
    "  RETURN o, 0 AS tier "
    "  UNION MATCH (o:$any($labels)) WHERE $code IN coalesce(o.formerCodes, []) "
    "  RETURN o, 1 AS tier "
    "  UNION MATCH (o:$any($labels)) WHERE o.name = $name "
    "  RETURN o, 2 AS tier "
    "  UNION MATCH (o:$any($labels)) "
    "  WHERE $name IN coalesce(o.aliases, []) OR o.shortName = $name "
    "  RETURN o, 3 AS tier "
    "  UNION MATCH (o:$($enterprise)) WHERE $withEnterprises AND o.uscc = $code "
    "  RETURN o, 0 AS tier "
    "  UNION MATCH (o:$($enterprise)) WHERE $withEnterprises AND o.name = $name "
    "  RETURN o, 2 AS tier "
    "} "
    "WITH o, min(tier) AS tier "
    "RETURN properties(o) AS props, labels(o) AS labels, elementId(o) AS element, tier "
    "ORDER BY tier, coalesce(o.code, o.uscc)"
)


def _native(value: Any) -> date | None:
    """A Neo4j DATE as a `date` (None stays None)."""
    if value is None or isinstance(value, date):
        return value
    native: date = value.to_native()
    return native


@dataclass(frozen=True)
class Organisation:
    """A registered organisation (or, from the resolver, an enterprise: `kind` None)."""

    code: str
    name: str
    label: str
    kind: OrganisationKind | None
    short_names: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sector: str | None = None
    duty: tuple[str, ...] = ()
    decision_types: tuple[str, ...] = ()
    document_prefixes: tuple[str, ...] = ()
    services: str | None = None
    closed_on: date | None = None
    merged_into: str | None = None
    former_codes: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    revision: int = 0

    @classmethod
    def of(cls, props: dict[str, Any], labels: Iterable[str]) -> Organisation:
        """From a node's properties and labels."""
        label = next((lb for lb in labels if lb in _KIND_OF_LABEL), None)
        closed = props.get("closedOn")
        short = tuple(
            props.get("shortNames") or ([props["shortName"]] if props.get("shortName") else [])
        )
        return cls(
            code=str(props.get("code") or props.get("uscc")),
            name=str(props.get("name") or ""),
            label=label or Label.ENTERPRISE.value,
            kind=_KIND_OF_LABEL[label] if label else None,
            short_names=short,
            aliases=tuple(props.get("aliases") or short),
            sector=props.get("sector"),
            duty=tuple(props.get("duty") or ()),
            decision_types=tuple(props.get("decisionTypes") or ()),
            document_prefixes=tuple(props.get("documentPrefixes") or ()),
            services=props.get("services"),
            closed_on=_native(closed),
            merged_into=props.get("mergedInto"),
            former_codes=tuple(props.get("formerCodes") or ()),
            former_names=tuple(props.get("formerNames") or ()),
            revision=int(props.get("revision") or 0),
        )


@dataclass
class ImportSummary:
    """What an import did: organisations (or items) created, changed and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """One line for people, then one per change."""
        head = (
            f"新增 {self.created}，变更 {self.updated}，未变 {self.unchanged} "
            f"(created {self.created}, changed {self.updated}, unchanged {self.unchanged})"
        )
        return "\n".join([head, *(f"  {c}" for c in self.changes)])


class OrganisationNotFound(NotFound):
    """No registered organisation has this code, name or short name."""

    def __init__(self, wanted: str, *, enterprises: bool = False) -> None:
        kinds = "department, bank, association, credit agency, credit office"
        kinds += ", or enterprise" if enterprises else ""
        LifecycleError.__init__(
            self,
            f"未找到代码、名称或简称为 {wanted!r} 的机构 (No {kinds} is named or coded "
            f"{wanted!r} in the graph; `credithub orgs list` shows the registered ones)",
        )


class AmbiguousOrganisation(LifecycleError):
    """A name several organisations share: the caller must use the code."""

    code = "AMBIGUOUS"

    def __init__(self, wanted: str, candidates: Sequence[Organisation]) -> None:
        self.candidates = list(candidates)
        names = "; ".join(f"{c.name} ({c.code})" for c in candidates[:8])
        super().__init__(
            f"{wanted!r} 对应{len(candidates)}个机构，请使用统一社会信用代码: {names} "
            f"({wanted!r} names {len(candidates)} organisations: {names}. "
            "Use the 统一社会信用代码.)"
        )


class OrganisationClosed(WrongState):
    """The organisation named was closed (or merged into another)."""

    def __init__(self, organisation: Organisation) -> None:
        into = (
            f"，已合并至 {organisation.merged_into} (merged into {organisation.merged_into})"
            if organisation.merged_into
            else ""
        )
        super().__init__(
            f"{organisation.name} ({organisation.code}) 已于{organisation.closed_on}撤销{into} "
            f"(closed on {organisation.closed_on})"
        )


# -- reading ----------------------------------------------------------------------------------


async def list_organisations(
    db: Database, kind: OrganisationKind | None = None, *, include_closed: bool = True
) -> list[Organisation]:
    """Registered organisations (of one kind), by kind then code."""
    labels = [kind.node_label.value] if kind else ORGANISATION_LABELS
    found = await db.read(
        "MATCH (o:$any($labels)) WHERE $closed OR o.closedOn IS NULL "
        "RETURN properties(o) AS props, labels(o) AS labels ORDER BY o.code",
        {"labels": labels, "closed": include_closed},
    )
    result = [Organisation.of(row["props"], row["labels"]) for row in found]
    order = {k: i for i, k in enumerate(OrganisationKind)}
    return sorted(result, key=lambda o: (order[o.kind] if o.kind else 99, o.code))


async def find_organisations(
    db: Database,
    wanted: str,
    *,
    kinds: Iterable[OrganisationKind] | None = None,
    include_closed: bool = False,
    include_enterprises: bool = False,
) -> list[Organisation]:
    """Every organisation `wanted` names, best match first.

    Tiers: the code (any case); a former code; the full name; a short name or former name. Only
    the best tier that matches is returned (a code always wins over a name). Closed
    organisations count only with `include_closed`; enterprises (by USCC or exact name) only with
    `include_enterprises`.
    """
    text = wanted.strip()
    labels = [k.node_label.value for k in kinds] if kinds else ORGANISATION_LABELS
    found = await db.read(
        _MATCH_FIELDS,
        {
            "labels": labels,
            "code": text.upper().replace(" ", ""),
            "name": text,
            "enterprise": Label.ENTERPRISE.value,
            "withEnterprises": include_enterprises,
        },
    )
    matches = [(row["tier"], Organisation.of(row["props"], row["labels"])) for row in found]
    if not include_closed:
        matches = [(t, o) for t, o in matches if o.closed_on is None]
    if not matches:
        return []
    best = min(t for t, _ in matches)
    return [o for t, o in matches if t == best]


async def resolve_organisation(
    db: Database,
    wanted: str,
    *,
    kinds: Iterable[OrganisationKind] | None = None,
    include_enterprises: bool = False,
) -> Organisation:
    """The one open organisation `wanted` names (code, full name, short name or alias).

    Raises `OrganisationNotFound`, `AmbiguousOrganisation` (naming the candidates) or
    `OrganisationClosed` (when only a closed one matches).
    """
    kinds = list(kinds) if kinds else None
    found = await find_organisations(
        db, wanted, kinds=kinds, include_enterprises=include_enterprises
    )
    if not found:
        closed = await find_organisations(db, wanted, kinds=kinds, include_closed=True)
        if len(closed) == 1:
            raise OrganisationClosed(closed[0])
        raise OrganisationNotFound(wanted, enterprises=include_enterprises)
    if len(found) > 1:
        raise AmbiguousOrganisation(wanted, found)
    return found[0]


# -- writing ----------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    """Dates (Neo4j's or Python's) as ISO text, so a stored and a read date compare equal."""
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value.isoformat() if isinstance(value, date) else value


def _desired(entry: OrganisationEntry, existing: dict[str, Any] | None) -> dict[str, Any]:
    """The node's properties after applying `entry` to `existing` (history kept)."""
    former = list((existing or {}).get("formerNames") or [])
    if existing and existing.get("name") and existing["name"] != entry.name:
        former = [*former, existing["name"]]
    former = [n for n in dict.fromkeys(former) if n != entry.name]
    short = entry.aliases
    closed = entry.closed_on or ((existing or {}).get("closedOn"))
    return {
        "name": entry.name,
        "shortName": short[0] if short else None,
        "shortNames": short,
        "formerNames": former,
        "aliases": [n for n in dict.fromkeys([*short, *former]) if n != entry.name],
        "sector": entry.sector,
        "duty": entry.duty,
        "decisionTypes": entry.decision_types,
        "documentPrefixes": entry.document_prefixes,
        "services": entry.services,
        "closedOn": closed,
    }


def _changed(existing: dict[str, Any], desired: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    diff = {}
    for key in _TRACKED:
        before, after = existing.get(key), desired.get(key)
        if before in (None, []) and after in (None, []):
            continue
        if _iso(before) != _iso(after):
            diff[key] = (_iso(before), _iso(after))
    return diff


async def _snapshot(tx: neo4j.AsyncManagedTransaction, element: str, change: str) -> None:
    await tx.run(
        _SNAPSHOT,
        {
            "element": element,
            "rel": Rel.PREVIOUS_REVISION.value,
            "revision": Label.ORGANISATION_REVISION.value,
            "change": change,
        },
    )


async def _set(
    tx: neo4j.AsyncManagedTransaction, element: str, props: dict[str, Any], today: date
) -> None:
    await tx.run(
        "MATCH (o) WHERE elementId(o) = $element SET o += $props, "
        "o.revision = coalesce(o.revision, 0) + 1, o.updatedOn = date($today)",
        {"element": element, "props": props, "today": today.isoformat()},
    )


async def _find(tx: neo4j.AsyncManagedTransaction, code: str) -> dict[str, Any] | None:
    return await single(tx, _FIND, {"labels": ORGANISATION_LABELS, "code": code})


async def _upsert(
    tx: neo4j.AsyncManagedTransaction,
    entry: OrganisationEntry,
    actor: Actor,
    today: date,
    summary: ImportSummary,
    *,
    must_be_new: bool = False,
    reason: str | None = None,
) -> None:
    found = await _find(tx, entry.code)
    label = entry.kind.node_label.value
    if found is None:
        props = {k: v for k, v in _desired(entry, None).items() if v not in (None, [])}
        created = await single(
            tx,
            "CREATE (o:$($label)) SET o = $props, o.code = $code, o.revision = 1, "
            "o.registeredOn = date($today), o.updatedOn = date($today) "
            "RETURN elementId(o) AS element",
            {"label": label, "props": props, "code": entry.code, "today": today.isoformat()},
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "ORGANISATION_REGISTERED",
            [created["element"]],
            today=today,
            to_state=entry.kind.value,
            reason=reason,
            detail={"code": entry.code, "name": entry.name},
        )
        summary.created += 1
        summary.changes.append(f"新增 (registered) {entry.kind.label} {entry.name} ({entry.code})")
        return
    if must_be_new:
        raise WrongState(
            f"{entry.code} 已登记为 {found['props'].get('name')} (already registered; "
            "use `credithub orgs rename|close|correct-code|merge` to change it)"
        )
    if label not in found["labels"]:
        current = next((lb for lb in found["labels"] if lb in _KIND_OF_LABEL), "?")
        shown = _KIND_OF_LABEL[current].label if current in _KIND_OF_LABEL else current
        raise WrongState(
            f"{entry.code} 已登记为{shown}，不能改为{entry.kind.label} "
            f"(registered as another kind: {current})"
        )
    existing = found["props"]
    if existing["code"] != entry.code:
        # A file older than a code correction: the graph knows better; nothing to change.
        summary.unchanged += 1
        summary.changes.append(
            f"跳过 (skipped) {entry.code}: 已更正为 {existing['code']} "
            "(code corrected since; update the file)"
        )
        return
    desired = _desired(entry, existing)
    diff = _changed(existing, desired)
    if not diff:
        summary.unchanged += 1
        return
    renamed = "name" in diff
    change = "RENAMED" if renamed else "UPDATED"
    await _snapshot(tx, found["element"], change)
    await _set(tx, found["element"], desired, today)
    await add_event(
        tx,
        actor,
        f"ORGANISATION_{change}",
        [found["element"]],
        today=today,
        from_state=existing.get("name") if renamed else None,
        to_state=entry.name if renamed else None,
        reason=reason,
        detail={"code": existing["code"], "changed": {k: list(v) for k, v in diff.items()}},
    )
    summary.updated += 1
    summary.changes.append(
        f"变更 (changed) {entry.name} ({existing['code']}): {', '.join(sorted(diff))}"
    )


async def import_organisations(
    db: Database,
    entries: Sequence[OrganisationEntry],
    *,
    actor: Actor,
    today: date,
) -> ImportSummary:
    """Register or update every organisation of a file in one transaction (all or nothing).

    A row is matched by its code; a row naming a former code of a corrected organisation is
    stale and skipped (the summary says so). A changed row keeps the previous state as a
    revision and records an event; a new name keeps the old one as an alias; an identical row
    changes nothing. A file never reopens a closed organisation (closure is a decision of its
    own)."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> ImportSummary:
        summary = ImportSummary()
        for entry in entries:
            await _upsert(tx, entry, actor, today, summary)
        return summary

    return await db.write_transaction(work)


async def register_organisation(
    db: Database, entry: OrganisationEntry, *, actor: Actor, today: date, reason: str | None = None
) -> Organisation:
    """Register one new organisation; refused when its code is registered already."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        await _upsert(tx, entry, actor, today, ImportSummary(), must_be_new=True, reason=reason)

    await db.write_transaction(work)
    return await _get(db, entry.code)


async def _get(db: Database, code: str) -> Organisation:
    found = await db.read(
        "MATCH (o:$any($labels) {code: $code}) RETURN properties(o) AS props, labels(o) AS labels",
        {"labels": ORGANISATION_LABELS, "code": code},
    )
    if not found:
        raise OrganisationNotFound(code)
    return Organisation.of(found[0]["props"], found[0]["labels"])


async def _current(tx: neo4j.AsyncManagedTransaction, code: str) -> dict[str, Any]:
    found = await single(
        tx,
        "MATCH (o:$any($labels) {code: $code}) "
        "RETURN properties(o) AS props, labels(o) AS labels, elementId(o) AS element",
        {"labels": ORGANISATION_LABELS, "code": code},
    )
    if found is None:
        raise OrganisationNotFound(code)
    return found


async def rename_organisation(
    db: Database,
    code: str,
    name: str,
    *,
    short_names: Sequence[str] | None = None,
    actor: Actor,
    today: date,
    reason: str | None = None,
) -> Organisation:
    """Rename an organisation (and optionally replace its short names); the old name stays an
    alias and in its revision."""
    new_name = name.strip()
    if not 2 <= len(new_name) <= 100:
        raise InvalidInput("name", "名称应为2–100字 (2 to 100 characters)")

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        found = await _current(tx, code)
        old = found["props"]
        shorts = split_names(short_names) if short_names is not None else old.get("shortNames")
        shorts = [s for s in (shorts or []) if s != new_name]
        former = list(old.get("formerNames") or [])
        if old["name"] != new_name:
            former.append(old["name"])
        former = [n for n in dict.fromkeys(former) if n != new_name]
        props = {
            "name": new_name,
            "shortNames": shorts,
            "shortName": shorts[0] if shorts else None,
            "formerNames": former,
            "aliases": [n for n in dict.fromkeys([*shorts, *former]) if n != new_name],
        }
        if not _changed(old, {**old, **props}):
            return
        await _snapshot(tx, found["element"], "RENAMED")
        await _set(tx, found["element"], props, today)
        await add_event(
            tx,
            actor,
            "ORGANISATION_RENAMED",
            [found["element"]],
            today=today,
            from_state=old["name"],
            to_state=new_name,
            reason=reason,
            detail={"code": old["code"], "shortNames": shorts},
        )

    await db.write_transaction(work)
    return await _get(db, code)


async def correct_code(
    db: Database, code: str, new_code: str, *, actor: Actor, today: date, reason: str | None = None
) -> Organisation:
    """Correct a wrongly registered code: the node is re-keyed, the old code kept in
    `formerCodes` (it still resolves) and in the revision."""
    try:
        corrected = checked_code(new_code)
    except ValueError as error:
        raise InvalidInput("newCode", str(error)) from None

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        found = await _current(tx, code)
        if corrected == code:
            return
        taken = await single(
            tx,
            "MATCH (o:$any($labels) {code: $code}) RETURN o.name AS name",
            {"labels": ORGANISATION_LABELS, "code": corrected},
        )
        if taken is not None:
            raise WrongState(f"{corrected} 已登记为 {taken['name']} (code already registered)")
        former = [*(found["props"].get("formerCodes") or []), code]
        await _snapshot(tx, found["element"], "CODE_CORRECTED")
        await _set(tx, found["element"], {"code": corrected, "formerCodes": former}, today)
        rewritten = await _rewrite_code_references(tx, found["props"]["code"], corrected)
        await add_event(
            tx,
            actor,
            "ORGANISATION_CODE_CORRECTED",
            [found["element"]],
            today=today,
            from_state=code,
            to_state=corrected,
            reason=reason,
            detail={"name": found["props"].get("name"), "rewritten": rewritten},
        )

    await db.write_transaction(work)
    return await _get(db, corrected)


CODE_REFERENCES: Final[dict[Label, tuple[str, ...]]] = {
    Label.RECORD: ("issuingAuthorityCode",),
    Label.BATCH: ("supplier",),
    Label.CONSENT: ("grantee",),
    Label.WATCH: ("watcher",),
    Label.NOTICE: ("recipient",),
    Label.OBJECTION: ("decider", "decidedBy", "filedBy"),
    Label.REPAIR_APPLICATION: ("decider", "decidedBy", "filedBy"),
    Label.RECTIFICATION: ("orderedBy",),
    Label.COMMITMENT: ("decidedBy",),
    Label.VOLUNTARY_ITEM: ("verifiedBy",),
    Label.MEASURE: ("implementedBy",),
    Label.MEASURE_APPLICATION: ("reporter",),
    Label.INSPECTOR: ("department",),
    Label.INSPECTION_TASK: ("department",),
    Label.ENTERPRISE: ("provisionalSupplier",),
}
"""Properties that name an organisation by its code as text (who decides, receives, supplies,
holds a grant …). A corrected code is rewritten in them, so the organisation keeps its batches,
grants, outbox, pending decisions and inspectors. Natural keys (a record's `kind|authority|文号`)
and history — events, revisions, the audit chain, whose hashes cover what was true then — keep
the code they were written with; `formerCodes` still resolves it."""

CODE_LIST_REFERENCES: Final[dict[Label, tuple[str, ...]]] = {
    Label.RISK_ALERT: ("departments",),
}
"""List properties naming organisations by code, rewritten element by element."""


async def _rewrite_code_references(
    tx: neo4j.AsyncManagedTransaction, old: str, new: str
) -> dict[str, int]:
    """Rewrite `old` to `new` wherever a current property names an organisation by its code;
    the count per `Label.property` rewritten."""
    counts: dict[str, int] = {}
    for label, properties in CODE_REFERENCES.items():
        for prop in properties:
            # Labels and property names come from the tables above, never from input.
            found = await single(
                tx,
                f"MATCH (n:{label}) WHERE n.{prop} = $old SET n.{prop} = $new RETURN count(n) AS n",
                {"old": old, "new": new},
            )
            if found and found["n"]:
                counts[f"{label}.{prop}"] = int(found["n"])
    for label, properties in CODE_LIST_REFERENCES.items():
        for prop in properties:
            found = await single(
                tx,
                f"MATCH (n:{label}) WHERE $old IN n.{prop} "
                f"SET n.{prop} = [x IN n.{prop} | CASE WHEN x = $old THEN $new ELSE x END] "
                "RETURN count(n) AS n",
                {"old": old, "new": new},
            )
            if found and found["n"]:
                counts[f"{label}.{prop}"] = int(found["n"])
    return counts


async def close_organisation(
    db: Database, code: str, *, on: date, actor: Actor, today: date, reason: str | None = None
) -> Organisation:
    """Close an organisation from `on` (撤销); it keeps its history and stops resolving."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        found = await _current(tx, code)
        if found["props"].get("closedOn") is not None:
            raise WrongState(f"{code} 已撤销 (already closed on {found['props']['closedOn']})")
        await _snapshot(tx, found["element"], "CLOSED")
        await _set(tx, found["element"], {"closedOn": on}, today)
        await add_event(
            tx,
            actor,
            "ORGANISATION_CLOSED",
            [found["element"]],
            today=today,
            from_state="OPEN",
            to_state="CLOSED",
            reason=reason,
            detail={"code": code, "closedOn": on.isoformat()},
        )

    await db.write_transaction(work)
    return await _get(db, code)


_MOVE = (
    "MATCH (old) WHERE elementId(old) = $old MATCH (new) WHERE elementId(new) = $new "
    "CALL (old, new) { "
    "  OPTIONAL MATCH (old)-[r]->(x) WHERE NOT type(r) IN $keepOut AND x <> new "
    "  WITH new, r, x WHERE r IS NOT NULL "
    "  CREATE (new)-[m:$(type(r))]->(x) SET m = properties(r) "
    "  DELETE r "
    "  RETURN count(*) AS outgoing "
    "} "
    "CALL (old, new) { "
    "  OPTIONAL MATCH (x)-[r]->(old) WHERE NOT type(r) IN $keepIn AND x <> new "
    "  WITH new, r, x WHERE r IS NOT NULL "
    "  CREATE (x)-[m:$(type(r))]->(new) SET m = properties(r) "
    "  DELETE r "
    "  RETURN count(*) AS incoming "
    "} "
    "CREATE (old)-[:$($merged)]->(new) "
    "RETURN outgoing, incoming"
)


async def merge_organisation(
    db: Database,
    code: str,
    into: str,
    *,
    actor: Actor,
    today: date,
    reason: str | None = None,
) -> Organisation:
    """Merge `code` into `into` (same kind): its relationships move to `into`, properties
    naming it by code (`CODE_REFERENCES`) name `into` instead, its name becomes an alias of
    `into`, and it is closed with MERGED_INTO; its events and revisions stay."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> None:
        old = await _current(tx, code)
        new = await _current(tx, into)
        if code == into:
            raise InvalidInput("into", "不能合并到自身 (cannot merge into itself)")
        if set(old["labels"]) & set(ORGANISATION_LABELS) != set(new["labels"]) & set(
            ORGANISATION_LABELS
        ):
            raise WrongState("只能合并同类机构 (only organisations of one kind can be merged)")
        for found in (old, new):
            if found["props"].get("closedOn") is not None:
                raise WrongState(f"{found['props']['code']} 已撤销 (closed)")
        await _snapshot(tx, old["element"], "MERGED")
        await _snapshot(tx, new["element"], "ABSORBED")
        moved = await single(
            tx,
            _MOVE,
            {
                "old": old["element"],
                "new": new["element"],
                "keepOut": [Rel.PREVIOUS_REVISION.value, Rel.MERGED_INTO.value],
                "keepIn": [Rel.CONCERNS.value, Rel.MERGED_INTO.value],
                "merged": Rel.MERGED_INTO.value,
            },
        )
        await _set(tx, old["element"], {"closedOn": today, "mergedInto": into}, today)
        # What named the merged organisation by code (pending decisions, grants, outbox,
        # batches, inspectors …) now names the survivor, as after a code correction.
        rewritten = await _rewrite_code_references(tx, old["props"]["code"], new["props"]["code"])
        target = new["props"]
        former = [
            n
            for n in dict.fromkeys([*(target.get("formerNames") or []), old["props"]["name"]])
            if n != target["name"]
        ]
        shorts = list(target.get("shortNames") or [])
        await _set(
            tx,
            new["element"],
            {
                "formerNames": former,
                "aliases": [n for n in dict.fromkeys([*shorts, *former]) if n != target["name"]],
            },
            today,
        )
        await add_event(
            tx,
            actor,
            "ORGANISATION_MERGED",
            [old["element"], new["element"]],
            today=today,
            from_state=code,
            to_state=into,
            reason=reason,
            detail={
                "name": old["props"]["name"],
                "into": target["name"],
                "moved": dict(moved or {}),
                "rewritten": rewritten,
            },
        )

    await db.write_transaction(work)
    return await _get(db, into)


async def revisions(db: Database, code: str) -> list[dict[str, Any]]:
    """An organisation's earlier states, newest first (each with its `change`)."""
    found = await db.read(
        "MATCH (o:$any($labels)) WHERE o.code = $code "
        "MATCH (o)-[:$($rel)*1..]->(r) RETURN properties(r) AS props",
        {"labels": ORGANISATION_LABELS, "code": code, "rel": Rel.PREVIOUS_REVISION.value},
    )
    return [row["props"] for row in found]


async def events(db: Database, code: str) -> list[dict[str, Any]]:
    """The events about an organisation, oldest first."""
    found = await db.read(
        "MATCH (o:$any($labels)) WHERE o.code = $code OR $code IN coalesce(o.formerCodes, []) "
        "MATCH (ev:$($event))-[:$($concerns)]->(o) "
        "RETURN ev.type AS type, ev.fromState AS fromState, ev.toState AS toState, "
        "ev.reason AS reason, ev.actorKind AS actorKind ORDER BY ev.at, ev.id",
        {
            "labels": ORGANISATION_LABELS,
            "code": code,
            "event": Label.EVENT.value,
            "concerns": Rel.CONCERNS.value,
        },
    )
    return list(found)


__all__ += ["OrganisationClosed", "events", "revisions"]
