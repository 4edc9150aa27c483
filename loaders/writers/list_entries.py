"""Red and black list decisions (红黑名单认定) sent as feeds, with linked persons and revisions.

The entry's natural key is ``list type|deciding authority's USCC|decision number``. A changed
decision is revised the way registrations are: the previous state goes to a
``(:ListEntryRevision)`` before the entry changes. For an organisation the decision links its
法定代表人, 主要负责人 and 实际控制人 (personal liability, 六(五)): the ones the row names, and the
registered legal representative when the row names none.

The status follows the dates: a red-list entry that takes effect later is 公示中 (announced
first, as the policy asks), an entry past its end is 已移出; otherwise it is in force.
"""

from __future__ import annotations

from typing import Any, Final

import neo4j

from graph.model import ListEntryStatus, RoleKind
from loaders.validation import CheckedRow, RejectedRow
from loaders.writers.base import (
    Outcome,
    Prepared,
    Writer,
    Written,
    content_hash,
    not_registered,
    person_node,
    run,
)

__all__ = ["ListEntryWriter"]

_CONTENT: Final = (
    "listType",
    "listName",
    "basis",
    "decisionNumber",
    "decisionDate",
    "noticeDate",
    "effectiveFrom",
    "effectiveUntil",
    "removalConditions",
    "subjectName",
    "subjectType",
    "subjectCode",
    "issuingAuthority",
    "issuingAuthorityCode",
    "sourceUnit",
    "sourceUnitCode",
    "remarks",
)

_CURRENT: Final = """
UNWIND $ids AS id
MATCH (l:ListEntry {id: id})
RETURN id, properties(l) AS props
"""

_REGISTERED: Final = """
UNWIND $codes AS code
MATCH (e:Enterprise {uscc: code})
OPTIONAL MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e)
RETURN code, collect(p.key) AS representatives
"""

_UPSERT: Final = """
UNWIND $rows AS row
MERGE (l:ListEntry {id: row.id})
WITH l, row
CALL (l, row) {
  WITH l, row WHERE row.revise
  OPTIONAL MATCH (l)-[link:PREVIOUS_REVISION]->(older:ListEntryRevision)
  CREATE (rev:ListEntryRevision)
  SET rev = properties(l), rev.replacedAt = $loadedAt, rev.replacedByBatch = $batch
  CREATE (l)-[:PREVIOUS_REVISION]->(rev)
  FOREACH (_ IN CASE WHEN older IS NULL THEN [] ELSE [1] END |
    CREATE (rev)-[:PREVIOUS_REVISION]->(older)
    DELETE link)
}
SET l += row.props, l.version = coalesce(l.version, 0) + 1
WITH l, row
CALL (l, row) {
  OPTIONAL MATCH (l)-[old:HAS_SUBJECT|DECIDED_BY|LINKED_PERSON]->()
  DELETE old
}
WITH l, row
CALL (l, row) {
  MATCH (d:Department {code: row.decidedBy})
  CREATE (l)-[:DECIDED_BY]->(d)
}
CALL (l, row) {
  WITH l, row WHERE row.enterprise IS NOT NULL
  MATCH (e:Enterprise {uscc: row.enterprise})
  CREATE (l)-[:HAS_SUBJECT]->(e)
}
CALL (l, row) {
  WITH l, row WHERE row.person IS NOT NULL
  MERGE (p:Person {key: row.person.key}) ON CREATE SET p += row.person.props
  CREATE (l)-[:HAS_SUBJECT]->(p)
}
CALL (l, row) {
  UNWIND row.linked AS link
  MERGE (p:Person {key: link.key}) ON CREATE SET p += link.props
  CREATE (l)-[:LINKED_PERSON {role: link.role}]->(p)
}
CALL (l, row) {
  UNWIND row.linkedKeys AS key
  MATCH (p:Person {key: key})
  MERGE (l)-[:LINKED_PERSON {role: $legalRepresentative}]->(p)
}
"""


class ListEntryWriter(Writer):
    """Writes list decisions."""

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """Entry id, content, status by date and the persons the decision names."""
        v = row.values
        today = self.provenance.loaded_on
        person = enterprise = None
        if v["subjectType"] == "PERSON":
            person = person_node(
                v["subjectName"], v["subjectIdNumber"], self.provenance.person_secret
            )
        else:
            enterprise = v["subjectUscc"]
        content: dict[str, Any] = {name: v.get(name) for name in _CONTENT}
        content.update(decisionNumber=v["documentNumber"], subjectCode=enterprise)
        effective_from = v.get("effectiveFrom") or v["decisionDate"]
        content["effectiveFrom"] = effective_from
        linked = []
        if enterprise is not None:
            for role, name_field, id_field in (
                (RoleKind.LEGAL_REPRESENTATIVE, "legalRepresentative", "legalRepresentativeId"),
                (RoleKind.PRINCIPAL, "principal", "principalId"),
                (RoleKind.ACTUAL_CONTROLLER, "actualController", "actualControllerId"),
            ):
                if v.get(id_field):
                    node = person_node(v[name_field], v[id_field], self.provenance.person_secret)
                    linked.append({**node, "role": role.value})
        identity = person["key"] if person else enterprise
        digest = content_hash(
            {**content, "subject": identity, "linked": [p["key"] for p in linked]}
        )

        until = v.get("effectiveUntil")
        if until is not None and until < today:
            status, removed_on = ListEntryStatus.REMOVED, until
        elif effective_from > today:
            status, removed_on = ListEntryStatus.ANNOUNCED, None
        else:
            status, removed_on = ListEntryStatus.ACTIVE, None
        entry_id = f"{v['listType']}|{v['issuingAuthorityCode']}|{v['documentNumber']}"
        props = {
            **content,
            "status": status.value,
            "removedOn": removed_on,
            "contentHash": digest,
            "batchId": self.provenance.batch_id,
            "sourceRow": row.number,
        }
        return Prepared(
            row.number,
            entry_id,
            digest,
            {
                "id": entry_id,
                "props": props,
                "person": person,
                "enterprise": enterprise,
                "linked": linked,
                "decidedBy": v["issuingAuthorityCode"],
            },
        )

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Create or revise entries; unchanged decisions stay as they are."""
        written = Written()
        current = {r["id"]: r["props"] for r in await run(tx, _CURRENT, ids=[p.key for p in batch])}
        codes = list({p.data["enterprise"] for p in batch if p.data["enterprise"]})
        registered = {
            r["code"]: r["representatives"] for r in await run(tx, _REGISTERED, codes=codes)
        }
        rows = []
        for prepared in batch:
            enterprise = prepared.data["enterprise"]
            # Unlike a record, a list decision is not taken against a provisional subject
            # (待登记核实): joint punishment follows it to the legal representative and the
            # measures, so the subject's identity must be registered first.
            if enterprise is not None and enterprise not in registered:
                written.rejected.append(
                    (
                        prepared.number,
                        not_registered("subjectUscc"),
                    )
                )
                continue
            stored = current.get(prepared.key)
            if stored is not None and stored.get("contentHash") == prepared.hash:
                written.outcomes.append((prepared.number, Outcome.UNCHANGED))
                continue
            named_roles = {link["role"] for link in prepared.data["linked"]}
            fallback = (
                registered.get(enterprise, [])
                if enterprise is not None and RoleKind.LEGAL_REPRESENTATIVE.value not in named_roles
                else []
            )
            rows.append({**prepared.data, "revise": stored is not None, "linkedKeys": fallback})
            written.outcomes.append(
                (prepared.number, Outcome.NEW if stored is None else Outcome.NEW_VERSION)
            )
        if rows:
            await run(
                tx,
                _UPSERT,
                rows=rows,
                loadedAt=self.provenance.loaded_at,
                batch=self.provenance.batch_id,
                legalRepresentative=RoleKind.LEGAL_REPRESENTATIVE.value,
            )
        return written
