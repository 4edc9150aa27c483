"""执法检查人员名录: each department's inspectors, the pool its draws assign from.

``(:Inspector {id, name, nameMasked, certificateNumber, department, active})-[:SERVES_IN]->
(:Department)``. The full name is kept for the department; the public sees the masked name and
the 执法证号, which is how 双随机一公开 names who inspected. Only active inspectors are drawn.
The id is derived from the certificate number, so saving a roster again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.identifiers import mask_name
from graph.lifecycle.base import rows

_SAVE: Final = (
    "MATCH (d:Department {code: $department}) "
    "UNWIND $inspectors AS row "
    # An 执法证号 belongs to one department's inspector: another department's is left alone.
    "OPTIONAL MATCH (x:Inspector {id: row.id}) "
    "WITH d, row, x WHERE x IS NULL OR x.department = $department "
    "MERGE (i:Inspector {id: row.id}) "
    "SET i.name = row.name, i.nameMasked = row.nameMasked, "
    "i.certificateNumber = row.certificateNumber, i.department = $department, "
    "i.active = row.active "
    "MERGE (i)-[:SERVES_IN]->(d) "
    "RETURN count(i) AS saved"
)

_ROSTER: Final = (
    "MATCH (i:Inspector {department: $department}) "
    "WHERE NOT $activeOnly OR i.active "
    "RETURN properties(i) AS i ORDER BY i.certificateNumber"
)


@dataclass(frozen=True)
class Inspector:
    """One inspector of a department's roster."""

    id: str
    name: str
    name_masked: str
    certificate_number: str
    department: str
    active: bool

    @classmethod
    def of(cls, props: dict[str, Any]) -> Inspector:
        """From the node's properties."""
        return cls(
            id=props["id"],
            name=props["name"],
            name_masked=props["nameMasked"],
            certificate_number=props["certificateNumber"],
            department=props["department"],
            active=bool(props["active"]),
        )


def inspector_id(certificate_number: str) -> str:
    """The stable id of the inspector holding this 执法证号."""
    return f"INSP-{certificate_number.strip().upper()}"


async def save_inspectors(
    db: Database, department: str, inspectors: Sequence[tuple[str, str, bool]]
) -> int:
    """Add or update `department`'s inspectors given as (name, 执法证号, active); return how
    many were saved (0 when the department does not exist; an 执法证号 held by another
    department's inspector is not saved)."""
    payload = [
        {
            "id": inspector_id(number),
            "name": name,
            "nameMasked": mask_name(name),
            "certificateNumber": number.strip().upper(),
            "active": active,
        }
        for name, number, active in inspectors
    ]
    found = await db.write(_SAVE, {"department": department, "inspectors": payload})
    return int(found[0]["saved"]) if found else 0


async def roster_in(
    tx: neo4j.AsyncManagedTransaction, department: str, *, active_only: bool = True
) -> list[Inspector]:
    """The department's inspectors ordered by 执法证号, inside a transaction."""
    found = await rows(tx, _ROSTER, {"department": department, "activeOnly": active_only})
    return [Inspector.of(row["i"]) for row in found]


async def roster(db: Database, department: str, *, active_only: bool = False) -> list[Inspector]:
    """The department's roster ordered by 执法证号."""
    found = await db.read(_ROSTER, {"department": department, "activeOnly": active_only})
    return [Inspector.of(row["i"]) for row in found]
