"""Batches and quarantine: where every feed's provenance and every refused row are kept.

A ``(:Batch)`` is one file (or one submission) from one supplier of one feed kind. Its id is
derived from the supplier, the kind and the content hash, so sending the same file again is
the same batch: the load finds every row unchanged and nothing is quarantined twice.

A refused row becomes a ``(:QuarantinedRow)`` in the same transaction as the good rows of its
chunk, with its row number, the fields and reasons, and the cells exactly as sent, so the
department can fix and resend it. Quarantine holds personal data as sent (ID numbers included),
so it is shown only to the supplier and the credit office.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import neo4j

from graph.database import Database
from loaders.feed_kinds import FEED_KINDS, Problem
from loaders.validation import RejectedRow

__all__ = [
    "BatchInfo",
    "QuarantinedRow",
    "batch_id",
    "export_quarantine_csv",
    "get_batch",
    "list_batches",
    "list_quarantine",
    "quarantine_rows",
]


def batch_id(supplier: str, kind: str, content_hash: str) -> str:
    """The batch id: the same content from the same supplier as the same kind is one batch."""
    return f"{kind}-{supplier}-{content_hash[:20]}"


@dataclass(frozen=True)
class BatchInfo:
    """A batch's provenance and its last summary."""

    id: str
    kind: str
    supplier: str
    supplier_name: str | None
    file_name: str
    content_hash: str
    loader_version: str
    status: str
    first_loaded_at: datetime.datetime | None
    last_loaded_at: datetime.datetime | None
    rows_read: int
    new: int
    new_versions: int
    unchanged: int
    quarantined: int
    quarantined_by_reason: dict[str, int]


@dataclass(frozen=True)
class QuarantinedRow:
    """A refused row: where it was, why, and what was sent."""

    id: str
    batch_id: str
    row_number: int
    problems: tuple[Problem, ...]
    cells: dict[str, Any]
    raw: str | None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def quarantine_rows(batch: str, rejected: Sequence[RejectedRow]) -> list[dict[str, Any]]:
    """The parameter rows for `QUARANTINE` (one node per refused row)."""
    return [
        {
            "id": f"{batch}#{row.number}",
            "batchId": batch,
            "rowNumber": row.number,
            "fields": [p.field for p in row.problems],
            "codes": [p.code for p in row.problems],
            "reasons": [p.reason for p in row.problems],
            "cells": json.dumps(
                {str(k): _plain(v) for k, v in row.cells.items()}, ensure_ascii=False
            ),
            "raw": row.raw,
        }
        for row in rejected
    ]


QUARANTINE: Final = """
UNWIND $rows AS row
MERGE (q:QuarantinedRow {id: row.id})
ON CREATE SET q = row, q.quarantinedAt = $at
"""

START: Final = """
MERGE (b:Batch {id: $id})
ON CREATE SET b.firstLoadedAt = $at, b.kind = $kind, b.supplier = $supplier,
              b.supplierName = $supplierName, b.contentHash = $contentHash
SET b.fileName = $fileName, b.format = $format, b.encoding = $encoding,
    b.loaderVersion = $loaderVersion, b.lastLoadedAt = $at, b.status = 'RUNNING',
    b.runs = coalesce(b.runs, 0) + 1
"""

FINISH: Final = """
MATCH (b:Batch {id: $id})
SET b += $summary, b.status = $status, b.finishedAt = $at
"""


async def write_quarantine(
    tx: neo4j.AsyncManagedTransaction, batch: str, rejected: Sequence[RejectedRow], at: Any
) -> None:
    """Store refused rows inside the chunk's transaction (idempotent by batch and row)."""
    if rejected:
        result = await tx.run(QUARANTINE, {"rows": quarantine_rows(batch, rejected), "at": at})
        await result.consume()


def _batch(row: Mapping[str, Any]) -> BatchInfo:
    def native(value: Any) -> datetime.datetime | None:
        return value.to_native() if value is not None else None

    return BatchInfo(
        id=row["id"],
        kind=row["kind"],
        supplier=row["supplier"],
        supplier_name=row.get("supplierName"),
        file_name=row.get("fileName") or "",
        content_hash=row["contentHash"],
        loader_version=row.get("loaderVersion") or "",
        status=row.get("status") or "",
        first_loaded_at=native(row.get("firstLoadedAt")),
        last_loaded_at=native(row.get("lastLoadedAt")),
        rows_read=row.get("rowsRead") or 0,
        new=row.get("new") or 0,
        new_versions=row.get("newVersions") or 0,
        unchanged=row.get("unchanged") or 0,
        quarantined=row.get("quarantined") or 0,
        quarantined_by_reason=json.loads(row.get("quarantinedByReason") or "{}"),
    )


async def get_batch(db: Database, batch: str) -> BatchInfo | None:
    """One batch by id."""
    rows = await db.read("MATCH (b:Batch {id: $id}) RETURN properties(b) AS b", {"id": batch})
    return _batch(rows[0]["b"]) if rows else None


async def list_batches(
    db: Database, *, supplier: str | None = None, limit: int = 50
) -> list[BatchInfo]:
    """Batches, newest first; only ``supplier``'s when given."""
    rows = await db.read(
        "MATCH (b:Batch) WHERE $supplier IS NULL OR b.supplier = $supplier "
        "RETURN properties(b) AS b ORDER BY b.lastLoadedAt DESC LIMIT $limit",
        {"supplier": supplier, "limit": limit},
    )
    return [_batch(row["b"]) for row in rows]


async def list_quarantine(
    db: Database, batch: str, *, offset: int = 0, limit: int | None = None
) -> list[QuarantinedRow]:
    """A batch's refused rows in file order."""
    rows = await db.read(
        "MATCH (q:QuarantinedRow {batchId: $batch}) "
        "RETURN properties(q) AS q ORDER BY q.rowNumber SKIP $offset LIMIT $limit",
        {"batch": batch, "offset": offset, "limit": limit if limit is not None else 2**62},
    )
    result = []
    for row in rows:
        q = row["q"]
        problems = tuple(
            Problem(f, c, r) for f, c, r in zip(q["fields"], q["codes"], q["reasons"], strict=True)
        )
        result.append(
            QuarantinedRow(
                q["id"],
                q["batchId"],
                q["rowNumber"],
                problems,
                json.loads(q["cells"]),
                q.get("raw"),
            )
        )
    return result


# A spreadsheet runs a cell that starts like this as a formula (CSV injection): the export
# prefixes such cells with an apostrophe, which spreadsheets show but do not run.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_quarantine_csv(batch: BatchInfo, rows: Sequence[QuarantinedRow]) -> str:
    """The refused rows as CSV for the department: row, field, reason, then the cells as sent.

    Written with a UTF-8 byte-order mark by the caller so Excel opens the Chinese correctly;
    field names are the national Chinese headers of the feed kind.
    """
    kind = FEED_KINDS.get(batch.kind)
    cell_headers: list[str] = list(dict.fromkeys(h for row in rows for h in row.cells))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "问题字段", "原因代码", "原因", *cell_headers])
    for row in rows:
        fields = "；".join(kind.label_of(p.field) if kind else p.field for p in row.problems)
        writer.writerow(
            [
                row.row_number,
                _safe_cell(fields),
                "；".join(p.code for p in row.problems),
                _safe_cell("；".join(p.reason for p in row.problems)),
                *(_safe_cell(row.cells.get(h)) for h in cell_headers),
            ]
        )
    return out.getvalue()
