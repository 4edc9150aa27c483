"""The collection catalogue (信用信息采集目录): which supplier may send which feed kinds.

The catalogue file (`collection_catalogue.toml`) is declarative; this module reads it and
answers one question — may this department or association send this kind of feed, and which
columns may it fill — before a row is read. A refusal names the supplier, the kind and who is
listed for it, so the sender knows whom to ask.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from graph.database import Database
from loaders.feed_kinds import FEED_KINDS, FeedKind

__all__ = [
    "DEFAULT_COLLECTION_CATALOGUE",
    "CollectionCatalogue",
    "NotInCatalogue",
    "Permit",
    "Supplier",
    "UnknownSupplier",
    "find_supplier",
    "load_collection_catalogue",
    "load_uscc_overrides",
]

DEFAULT_COLLECTION_CATALOGUE: Final = Path(__file__).with_name("collection_catalogue.toml")
DEFAULT_USCC_OVERRIDES: Final = Path(__file__).with_name("uscc_overrides.toml")
_SUPPLIER_KINDS: Final = ("DEPARTMENT", "ASSOCIATION")


@dataclass(frozen=True)
class Supplier:
    """An organisation sending a feed: a department or an industry association."""

    code: str
    kind: str
    name: str
    sector: str | None


@dataclass(frozen=True)
class Permit:
    """What the catalogue allows one supplier for one feed kind."""

    kind: FeedKind
    fields: frozenset[str] | None
    relay: bool
    entry: str


@dataclass(frozen=True)
class _Entry:
    kind: str
    label: str
    suppliers: tuple[str, ...]
    fields: frozenset[str] | None
    relay: bool

    def names(self, supplier: Supplier) -> bool:
        for who in self.suppliers:
            if who == supplier.code:
                return True
            kind, _, scope = who.partition(":")
            if kind == supplier.kind and scope in ("*", supplier.sector):
                return True
        return False


class NotInCatalogue(PermissionError):
    """The supplier is not listed in the collection catalogue for this feed kind."""

    def __init__(self, supplier: Supplier, kind: FeedKind, listed: list[str]) -> None:
        who = "、".join(listed) if listed else "无 (nobody)"
        super().__init__(
            f"{supplier.name}({supplier.code}) 未列入信用信息采集目录的“{kind.label}”报送单位，"
            f"该类信息由 {who} 报送 ({supplier.name} is not listed in the collection catalogue "
            f"as a supplier of {kind.code}; listed: {who})"
        )


class UnknownSupplier(LookupError):
    """No department or association has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"{code} 不是已登记（且未撤销）的部门或行业协会 "
            "(no open department or association has this code)"
        )


class CollectionCatalogue:
    """The parsed catalogue."""

    def __init__(self, entries: list[_Entry], version: str) -> None:
        self._entries = entries
        self.version = version

    def permit(self, supplier: Supplier, kind: FeedKind) -> Permit:
        """What ``supplier`` may send of ``kind``; raises `NotInCatalogue` when nothing.

        When several entries name the supplier, their columns are united and relaying is
        allowed if any of them allows it.
        """
        matching = [e for e in self._entries if e.kind == kind.code and e.names(supplier)]
        if not matching:
            listed = [who for e in self._entries if e.kind == kind.code for who in e.suppliers]
            raise NotInCatalogue(supplier, kind, list(dict.fromkeys(listed)))
        fields: frozenset[str] | None = frozenset()
        for entry in matching:
            # No `fields` list means every column, which absorbs any narrower entry.
            fields = None if entry.fields is None or fields is None else fields | entry.fields
        return Permit(
            kind,
            fields,
            any(e.relay for e in matching),
            "; ".join(f"{e.label} ({e.kind})" for e in matching),
        )

    def kinds_for(self, supplier: Supplier) -> list[str]:
        """The feed kinds ``supplier`` may send."""
        return list(dict.fromkeys(e.kind for e in self._entries if e.names(supplier)))


def load_collection_catalogue(path: Path | None = None) -> CollectionCatalogue:
    """Read and check a catalogue file (default: the packaged one)."""
    source = path or DEFAULT_COLLECTION_CATALOGUE
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    entries: list[_Entry] = []
    for number, raw in enumerate(data.get("supply", []), start=1):
        where = f"{source.name}: supply #{number}"
        kind = raw.get("kind")
        if kind not in FEED_KINDS:
            raise ValueError(f"{where}: unknown feed kind {kind!r}")
        suppliers = tuple(raw.get("from", ()))
        if not suppliers:
            raise ValueError(f"{where}: `from` must name at least one supplier")
        for who in suppliers:
            prefix, sep, _ = who.partition(":")
            if sep and prefix not in _SUPPLIER_KINDS:
                raise ValueError(
                    f"{where}: supplier {who!r} must start with DEPARTMENT: or ASSOCIATION:"
                )
        fields = raw.get("fields")
        if fields is not None:
            columns = {c.name for c in FEED_KINDS[kind].columns}
            unknown = set(fields) - columns
            if unknown:
                raise ValueError(f"{where}: unknown columns {sorted(unknown)} for {kind}")
        entries.append(
            _Entry(
                kind,
                raw.get("label", kind),
                suppliers,
                None if fields is None else frozenset(fields),
                bool(raw.get("relay", False)),
            )
        )
    return CollectionCatalogue(entries, str(data.get("version", "")))


def load_uscc_overrides(path: Path | None = None) -> frozenset[str]:
    """The reviewed override list: codes accepted although they fail the check rules.

    Every entry must say why and who reviewed it, so an override is a decision on record and
    never a way to silence the checks.
    """
    source = path or DEFAULT_USCC_OVERRIDES
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    codes = set()
    for number, entry in enumerate(data.get("override", []), start=1):
        missing = [k for k in ("code", "reason", "reviewed_by", "reviewed_on") if not entry.get(k)]
        if missing:
            raise ValueError(f"{source.name}: override #{number} lacks {', '.join(missing)}")
        codes.add(str(entry["code"]).strip().upper())
    return frozenset(codes)


async def find_supplier(db: Database, code: str) -> Supplier:
    """The open department or association with ``code``; raises `UnknownSupplier` (a closed
    organisation, see loaders/reference, supplies nothing)."""
    rows = await db.read(
        "CALL () { MATCH (d:Department {code: $code}) WHERE d.closedOn IS NULL "
        "RETURN d.code AS code, 'DEPARTMENT' AS kind, d.name AS name, d.sector AS sector "
        "UNION MATCH (a:Association {code: $code}) WHERE a.closedOn IS NULL "
        "RETURN a.code AS code, 'ASSOCIATION' AS kind, a.name AS name, a.sector AS sector } "
        "RETURN code, kind, name, sector",
        {"code": code},
    )
    if not rows:
        raise UnknownSupplier(code)
    row = rows[0]
    return Supplier(row["code"], row["kind"], row["name"], row["sector"])
