"""Market-entity registrations (市场主体登记): one Enterprise per USCC, revisions kept.

The Enterprise node is the entity's identity and always shows its current registration. When a
registration changes (a new name, a new legal representative, cancelled), the previous state is
copied to an ``(:EnterpriseRevision)`` first — ``(e)-[:PREVIOUS_REVISION]->(rev)``, each revision
pointing to the one before it — so nothing the registration authority sent is ever lost, and a
change of legal representative right after a penalty stays visible to risk analysis.

A *provisional* Enterprise (待登记核实, made by a decision about a code the registration feed had
not sent yet — loaders/writers/records.py) is completed by its first registration row: the
registered fields are set, the flag is cleared, and the name the decision gave is kept as
``provisionalName`` with the provenance, so a name that disagrees with the registered one shows
in the USCC report (loaders/uscc_report.py). The provisional state is not a registration, so
completing it makes no revision.
"""

from __future__ import annotations

from typing import Any, Final

import neo4j

from loaders.validation import CheckedRow, RejectedRow
from loaders.writers.base import Outcome, Prepared, Writer, Written, content_hash, person_node, run

__all__ = ["REGISTRATION_FIELDS", "EnterpriseWriter"]

REGISTRATION_FIELDS: Final = (
    "name",
    "entityType",
    "industry",
    "registeredCapital",
    "foundedOn",
    "status",
    "address",
    "businessScope",
    "registrationAuthority",
)

_CURRENT: Final = """
UNWIND $codes AS code
MATCH (e:Enterprise {uscc: code})
OPTIONAL MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e)
RETURN code, properties(e) AS props, collect(p.key) AS representatives
"""

_COMPLETE: Final = """
UNWIND $rows AS row
MATCH (e:Enterprise {uscc: row.uscc}) WHERE e.provisional
SET e.provisionalName = e.name
SET e += row.props, e.version = 1, e.provisional = null, e.completedAt = $loadedAt,
    e.completedByBatch = $batch
WITH e, row WHERE row.representative IS NOT NULL
MERGE (p:Person {key: row.representative.key})
ON CREATE SET p += row.representative.props
MERGE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e)
"""

_CREATE: Final = """
UNWIND $rows AS row
CREATE (e:Enterprise {uscc: row.uscc})
SET e += row.props, e.version = 1
WITH e, row WHERE row.representative IS NOT NULL
MERGE (p:Person {key: row.representative.key})
ON CREATE SET p += row.representative.props
CREATE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e)
"""

# The revision copies the registration as it stood, including who represented the entity.
_REVISE: Final = """
UNWIND $rows AS row
MATCH (e:Enterprise {uscc: row.uscc})
OPTIONAL MATCH (e)-[link:PREVIOUS_REVISION]->(older:EnterpriseRevision)
CREATE (rev:EnterpriseRevision)
SET rev = row.before, rev.uscc = e.uscc, rev.version = coalesce(e.version, 1),
    rev.legalRepresentatives = row.beforeRepresentatives,
    rev.replacedAt = $loadedAt, rev.replacedByBatch = $batch
CREATE (e)-[:PREVIOUS_REVISION]->(rev)
FOREACH (_ IN CASE WHEN older IS NULL THEN [] ELSE [1] END |
  CREATE (rev)-[:PREVIOUS_REVISION]->(older)
  DELETE link)
SET e += row.props, e.version = coalesce(e.version, 1) + 1
WITH e, row WHERE row.representativeChanged
OPTIONAL MATCH (:Person)-[old:LEGAL_REPRESENTATIVE_OF]->(e)
DELETE old
WITH DISTINCT e, row WHERE row.representative IS NOT NULL
MERGE (p:Person {key: row.representative.key})
ON CREATE SET p += row.representative.props
CREATE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e)
"""


class EnterpriseWriter(Writer):
    """Writes registration rows."""

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """Registration values and the legal representative's person key."""
        v = row.values
        props: dict[str, Any] = {name: v.get(name) for name in REGISTRATION_FIELDS}
        representative = None
        if v.get("legalRepresentative"):
            representative = person_node(
                v["legalRepresentative"], v["legalRepresentativeId"], self.provenance.person_secret
            )
        rep_key = representative["key"] if representative else None
        digest = content_hash({**props, "legalRepresentative": rep_key})
        props.update(batchId=self.provenance.batch_id, sourceRow=row.number)
        return Prepared(
            row.number,
            v["uscc"],
            digest,
            {
                "uscc": v["uscc"],
                "props": props,
                "representative": representative,
                "repKey": rep_key,
            },
        )

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Create new entities, revise changed ones, skip the unchanged."""
        written = Written()
        stored = {r["code"]: r for r in await run(tx, _CURRENT, codes=[p.key for p in batch])}
        new: list[dict[str, Any]] = []
        completed: list[dict[str, Any]] = []
        revised: list[dict[str, Any]] = []
        for prepared in batch:
            before = stored.get(prepared.key)
            if before is None:
                new.append(prepared.data)
                written.outcomes.append((prepared.number, Outcome.NEW))
                continue
            if before["props"].get("provisional"):
                completed.append(prepared.data)
                written.outcomes.append((prepared.number, Outcome.NEW))
                continue
            old_props = {k: before["props"].get(k) for k in REGISTRATION_FIELDS}
            old_reps = sorted(before["representatives"])
            old_rep = old_reps[0] if len(old_reps) == 1 else ",".join(old_reps) or None
            if content_hash({**old_props, "legalRepresentative": old_rep}) == prepared.hash:
                written.outcomes.append((prepared.number, Outcome.UNCHANGED))
                continue
            revised.append(
                {
                    **prepared.data,
                    "before": {k: v for k, v in before["props"].items() if k != "uscc"},
                    "beforeRepresentatives": old_reps,
                    "representativeChanged": old_rep != prepared.data["repKey"],
                }
            )
            written.outcomes.append((prepared.number, Outcome.NEW_VERSION))
        if new:
            await run(tx, _CREATE, rows=new)
        if completed:
            await run(
                tx,
                _COMPLETE,
                rows=completed,
                loadedAt=self.provenance.loaded_at,
                batch=self.provenance.batch_id,
            )
        if revised:
            await run(
                tx,
                _REVISE,
                rows=revised,
                loadedAt=self.provenance.loaded_at,
                batch=self.provenance.batch_id,
            )
        return written
