"""What every graph writer shares: provenance, prepared rows, outcomes, hashing, persons."""

from __future__ import annotations

import datetime
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, LiteralString

import neo4j

from graph.database import Database
from graph.identifiers import mask_id_number, mask_name, person_key, resident_id_gender
from graph.workdays import WorkdayCalendar
from loaders.collection import Supplier
from loaders.feed_kinds import FeedKind, Problem
from loaders.validation import CheckedRow, RejectedRow

__all__ = [
    "LOADER_VERSION",
    "Outcome",
    "Prepared",
    "Provenance",
    "Writer",
    "Written",
    "content_hash",
    "not_registered",
    "person_node",
    "run",
]

LOADER_VERSION: Final = "credithub-loaders/1"
"""Stored on every batch, so a record can be traced to the code that loaded it."""


class Outcome(StrEnum):
    """What loading one row did to the graph."""

    NEW = "NEW"
    UNCHANGED = "UNCHANGED"
    NEW_VERSION = "NEW_VERSION"
    LINKED = "LINKED"
    """An upper system's copy of a decision the graph holds: linked to it (loaders/exchange/)."""


@dataclass(frozen=True)
class Provenance:
    """Where a batch came from (可查可核可溯) and the settings its rows are written under."""

    batch_id: str
    supplier: Supplier
    kind: FeedKind
    loaded_at: datetime.datetime
    person_secret: bytes
    calendar: WorkdayCalendar

    @property
    def loaded_on(self) -> datetime.date:
        """The load's date, which is the day a record is published on the network."""
        return self.loaded_at.date()


@dataclass
class Prepared:
    """A checked row made ready to write: natural key, content hash, values."""

    number: int
    key: str
    hash: str
    data: dict[str, Any]


@dataclass
class Written:
    """The result of writing one batch."""

    outcomes: list[tuple[int, Outcome]] = field(default_factory=list)
    rejected: list[tuple[int, Problem]] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | neo4j.time.Date | neo4j.time.DateTime):
        return value.isoformat()
    return value


def content_hash(values: Mapping[str, Any]) -> str:
    """A stable hash of a row's content: equal content gives an equal hash, whatever the order.

    Empty values are left out, so adding an optional column that is empty for a row does not
    turn the row into a new version.
    """
    canonical = json.dumps(
        {
            k: v if type(v) is str else _plain(v)
            for k, v in values.items()
            if v is not None and v != ""
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def not_registered(field: str, who: str = "该统一社会信用代码的市场主体") -> Problem:
    """The write-time refusal of a row whose entity (``who``) is not registered in the graph."""
    return Problem(
        field,
        "SUBJECT_NOT_REGISTERED",
        f"{who}尚未登记入网，请先报送登记信息或核对代码 (no registered entity has this USCC)",
    )


def person_node(name: str, id_number: str, secret: bytes) -> dict[str, Any]:
    """A Person's key and properties from a name and a checked resident ID number."""
    return {
        "key": person_key(id_number, secret),
        "props": {
            "name": name,
            "nameMasked": mask_name(name),
            "idNumber": id_number,
            "idMasked": mask_id_number(id_number),
            "gender": resident_id_gender(id_number),
            "birthYear": int(id_number[6:10]),
        },
    }


async def run(
    tx: neo4j.AsyncManagedTransaction, cypher: LiteralString, **params: Any
) -> list[dict[str, Any]]:
    """Run one statement in ``tx`` and return its rows."""
    result = await tx.run(cypher, params)
    return [dict(record) async for record in result]


class Writer(ABC):
    """Prepares and writes the rows of one feed kind."""

    def __init__(self, provenance: Provenance) -> None:
        self.provenance = provenance

    @abstractmethod
    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """Natural key, content hash and values of a checked row (no database access)."""

    @abstractmethod
    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Write one batch inside ``tx``: new rows, new versions; unchanged rows untouched."""

    async def look_ahead(self, db: Database, batch: list[Prepared]) -> bool:
        """Read what `write` will first look up for ``batch``, before its transaction; True if
        anything was read (and `write` of this very list will use it, once).

        The pipeline calls it while the chunk before is being written, so those reads leave
        the chain of statements. Only what later chunks of the same load cannot change may be
        read ahead: a load's chunks have disjoint keys. A write that used a look-ahead and is
        refused by a uniqueness constraint (another load wrote the key in between) is run again
        with its reads inside the transaction. The default reads nothing.
        """
        return False
