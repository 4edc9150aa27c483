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
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.database import Database
from loaders.feed_kinds import FEED_KINDS, FeedKind

__all__ = [
    "DEFAULT_COLLECTION_CATALOGUE",
    "CollectionCatalogue",
    "CollectionCatalogueError",
    "CollectionCatalogueFile",
    "NotInCatalogue",
    "Permit",
    "Supplier",
    "SupplyEntry",
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


class SupplyEntry(BaseModel):
    """One ``[[supply]]`` entry: who may send one feed kind (and which optional columns)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    kind: str = Field(description="Feed kind code (loaders/feed_kinds.py)")
    label: str | None = Field(default=None, min_length=1, description="采集事项名称")
    suppliers: list[str] = Field(
        alias="from",
        min_length=1,
        description='"DEPARTMENT:*", "DEPARTMENT:<sector>", "ASSOCIATION:*" or a USCC',
    )
    fields: list[str] | None = Field(
        default=None, description="The optional columns this supplier may fill (none: all)"
    )
    relay: bool = Field(default=False, description="May forward others' decisions (转报)")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in FEED_KINDS:
            raise ValueError(
                f"未知的报送类别 {kind!r} (unknown feed kind; one of {', '.join(FEED_KINDS)})"
            )
        return kind

    @field_validator("suppliers")
    @classmethod
    def _supplier_forms(cls, suppliers: list[str]) -> list[str]:
        for who in suppliers:
            prefix, sep, scope = who.partition(":")
            if sep and (prefix not in _SUPPLIER_KINDS or not scope):
                raise ValueError(
                    f"报送单位 {who!r} 须为 DEPARTMENT:<行业领域|*>、ASSOCIATION:* "
                    "或统一社会信用代码 (a supplier is DEPARTMENT:…, ASSOCIATION:… or a USCC)"
                )
            if not sep and not who:
                raise ValueError("报送单位不能为空 (a supplier cannot be empty)")
        return suppliers

    @model_validator(mode="after")
    def _known_columns(self) -> SupplyEntry:
        if self.fields is not None and self.kind in FEED_KINDS:
            columns = {c.name for c in FEED_KINDS[self.kind].columns}
            unknown = sorted(set(self.fields) - columns)
            if unknown:
                raise ValueError(
                    f"fields 含 {self.kind} 没有的列 {unknown} (unknown columns for {self.kind})"
                )
        return self


class CollectionCatalogueFile(BaseModel):
    """The catalogue file: a version and its ``[[supply]]`` entries."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: str = Field(default="", description="目录版本")
    supply: list[dict[str, Any]] = Field(min_length=1)


class CollectionCatalogueError(ValueError):
    """A catalogue file that cannot be used; each problem names the file, entry and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "信用信息采集目录有误 (collection catalogue refused):\n"
            + "\n".join(f"  {p}" for p in problems)
        )


def _problems(error: ValidationError, where: str) -> list[str]:
    found = []
    for detail in error.errors():
        loc = detail.get("loc", ())
        field = str(loc[0]) if loc else None  # an aliased field is named by its alias ("from")
        text = str(detail.get("msg", "")).removeprefix("Value error, ")
        named = f", 字段 {field} (field {field})" if field else ""
        found.append(f"{where}{named}: {text}")
    return found


def load_collection_catalogue(path: Path | None = None) -> CollectionCatalogue:
    """Read and check a catalogue file (default: the packaged one). A bad file is refused
    whole with `CollectionCatalogueError`, every problem naming file, entry and field."""
    source = path or DEFAULT_COLLECTION_CATALOGUE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CollectionCatalogueError(
            [f"{source.name}: 无法读取或不是有效的TOML (cannot read as TOML: {error})"]
        ) from None
    try:
        catalogue = CollectionCatalogueFile.model_validate(data)
    except ValidationError as error:
        raise CollectionCatalogueError(_problems(error, source.name)) from None
    entries: list[_Entry] = []
    problems: list[str] = []
    for number, raw in enumerate(catalogue.supply, start=1):
        where = f"{source.name}, 第{number}个 [[supply]] (supply #{number})"
        try:
            entry = SupplyEntry.model_validate(raw)
        except ValidationError as error:
            problems += _problems(error, where)
            continue
        entries.append(
            _Entry(
                entry.kind,
                entry.label or entry.kind,
                tuple(entry.suppliers),
                None if entry.fields is None else frozenset(entry.fields),
                entry.relay,
            )
        )
    if problems:
        raise CollectionCatalogueError(problems)
    return CollectionCatalogue(entries, catalogue.version)


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
