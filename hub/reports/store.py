"""The issued report as a ``(:CreditReport)`` node, keyed by its number (migration 0007).

Stored shape (all properties)::

    number          str       WG-YYYYMMDD-XXXXXXXXXX (unique)
    uscc            str       the enterprise's 统一社会信用代码 (indexed)
    enterpriseName  str       its name when the report was issued
    generatedAt     datetime  when it was issued (Beijing time)
    cutoff          date      data cut-off date
    edition         str       PUBLIC or FULL
    contentHash     str       SHA-256 (hex) of `content`
    content         str       the canonical JSON content (hub/reports/numbering.py)
    issuedTo        str?      统一社会信用代码 of the organisation it was issued to; null for the
                              public and for the credit office (which has no code)
    issuedToKind    str       the requesting consumer's kind (PUBLIC, BANK, ADMIN …)
    requestId       str       the request that issued it (as in the audit chain)

The node is written once and never changed: a new check is a new report with a new number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from neo4j.exceptions import ConstraintError

from graph.database import Database
from hub.reports.edition import ReportEdition


class NumberTaken(Exception):
    """Another report already has this number (a clash of random numbers: draw again)."""


@dataclass(frozen=True)
class StoredReport:
    """One issued report."""

    number: str
    uscc: str
    enterprise_name: str
    generated_at: datetime
    cutoff: date
    edition: ReportEdition
    content_hash: str
    content: str
    issued_to: str | None
    issued_to_kind: str
    request_id: str

    def document(self) -> dict[str, Any]:
        """The content, decoded."""
        decoded: dict[str, Any] = json.loads(self.content)
        return decoded

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> StoredReport:
        """From the node's properties."""
        return cls(
            number=props["number"],
            uscc=props["uscc"],
            enterprise_name=props["enterpriseName"],
            generated_at=props["generatedAt"].to_native(),
            cutoff=props["cutoff"].to_native(),
            edition=ReportEdition.of(props["edition"]),
            content_hash=props["contentHash"],
            content=props["content"],
            issued_to=props.get("issuedTo"),
            issued_to_kind=props["issuedToKind"],
            request_id=props["requestId"],
        )


async def save(db: Database, report: StoredReport) -> None:
    """Store a newly issued report; `NumberTaken` when its number exists already."""
    try:
        await db.write(
            "CREATE (:CreditReport {number: $number, uscc: $uscc, enterpriseName: $name, "
            "generatedAt: $generatedAt, cutoff: $cutoff, edition: $edition, "
            "contentHash: $hash, content: $content, issuedTo: $issuedTo, "
            "issuedToKind: $issuedToKind, requestId: $requestId})",
            {
                "number": report.number,
                "uscc": report.uscc,
                "name": report.enterprise_name,
                "generatedAt": report.generated_at,
                "cutoff": report.cutoff,
                "edition": report.edition.value,
                "hash": report.content_hash,
                "content": report.content,
                "issuedTo": report.issued_to,
                "issuedToKind": report.issued_to_kind,
                "requestId": report.request_id,
            },
        )
    except ConstraintError as error:
        raise NumberTaken(report.number) from error


async def load(db: Database, number: str) -> StoredReport | None:
    """The report with this number, or None."""
    rows = await db.read(
        "MATCH (r:CreditReport {number: $number}) RETURN properties(r) AS r", {"number": number}
    )
    return StoredReport.from_props(rows[0]["r"]) if rows else None
