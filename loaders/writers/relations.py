"""Relations from registration and association feeds: principals, shareholdings, memberships.

A relation's natural key is its two ends (and the role), so re-sending it is idempotent. A
changed value (a new title, a new share) updates the relation and keeps the earlier values in a
history list on it; the enterprise the relation is about must already be registered — an
unknown one is rejected to quarantine rather than invented. A corporate shareholder the registry
does not hold (most often one registered in another city) becomes a *provisional* subject like
a decision's unknown subject (待登记核实: name and code from the feed, its provenance kept,
``external`` when its region code is not this city's), so the ownership chain is not cut.
"""

from __future__ import annotations

from typing import Any, Final, LiteralString

import neo4j

from graph.identifiers import WUGANG_REGION
from graph.model import RoleKind
from loaders.feed_kinds import Problem
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

__all__ = ["MembershipWriter", "RoleWriter", "ShareholdingWriter"]


class _RelationWriter(Writer):
    """Shared flow: look the relations up, classify, write the new and the changed."""

    existing: LiteralString
    upserts: dict[str, LiteralString]

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Write new and changed relations; reject rows whose entities are not registered."""
        written = Written()
        found = {
            r["key"]: r
            for r in await run(tx, self.existing, rows=[{"key": p.key, **p.data} for p in batch])
        }
        grouped: dict[str, list[dict[str, Any]]] = {}
        for prepared in batch:
            state = found[prepared.key]
            if not state["registered"]:
                written.rejected.append((prepared.number, not_registered("uscc", "企业")))
                continue
            if state["hash"] == prepared.hash:
                written.outcomes.append((prepared.number, Outcome.UNCHANGED))
                continue
            outcome = Outcome.NEW if state["hash"] is None else Outcome.NEW_VERSION
            written.outcomes.append((prepared.number, outcome))
            grouped.setdefault(prepared.data["statement"], []).append(
                {**prepared.data, "hash": prepared.hash}
            )
        for statement, rows in grouped.items():
            await run(
                tx,
                self.upserts[statement],
                rows=rows,
                batch=self.provenance.batch_id,
                loadedAt=self.provenance.loaded_at,
                supplier=self.provenance.supplier.code,
            )
        return written


def _role_upsert(rel: LiteralString) -> LiteralString:
    # The relationship type cannot be a parameter; it comes from RoleKind, never from input.
    return (
        "UNWIND $rows AS row "
        "MATCH (e:Enterprise {uscc: row.uscc}) "
        "MERGE (p:Person {key: row.person.key}) "
        "ON CREATE SET p += row.person.props "
        "MERGE (p)-[r:" + rel + "]->(e) "
        "SET r.titleHistory = CASE WHEN r.title IS NOT NULL AND r.title <> row.title "
        "    THEN coalesce(r.titleHistory, []) + r.title ELSE r.titleHistory END, "
        "    r.title = row.title, r.contentHash = row.hash, r.batchId = $batch"
    )


class RoleWriter(_RelationWriter):
    """主要负责人, 实际控制人 ``(Person)-[:PRINCIPAL_OF|ACTUAL_CONTROLLER_OF]->(Enterprise)``."""

    existing = """
    UNWIND $rows AS row
    OPTIONAL MATCH (e:Enterprise {uscc: row.uscc})
    OPTIONAL MATCH (:Person {key: row.person.key})-[r:PRINCIPAL_OF|ACTUAL_CONTROLLER_OF]->(e)
      WHERE type(r) = row.statement
    RETURN row.key AS key, e IS NOT NULL AS registered, r.contentHash AS hash
    """
    upserts = {  # noqa: RUF012 - a read-only class constant
        "PRINCIPAL_OF": _role_upsert("PRINCIPAL_OF"),
        "ACTUAL_CONTROLLER_OF": _role_upsert("ACTUAL_CONTROLLER_OF"),
    }

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """The person, the role's relationship type and the title."""
        v = row.values
        role = RoleKind.of(v.get("role") or RoleKind.PRINCIPAL.value)
        person = person_node(v["name"], v["idNumber"], self.provenance.person_secret)
        key = f"{v['uscc']}|{person['key']}|{role.value}"
        title = v.get("title") or role.label
        return Prepared(
            row.number,
            key,
            content_hash({"title": title}),
            {"uscc": v["uscc"], "person": person, "statement": role.rel.value, "title": title},
        )


_SHARE_SET: Final = (
    "SET s.previousShares = CASE WHEN s.share IS NOT NULL AND s.share <> row.share "
    "    THEN coalesce(s.previousShares, []) + s.share ELSE s.previousShares END, "
    "    s.share = row.share, s.subscribedCapital = row.subscribedCapital, "
    "    s.contentHash = row.hash, s.batchId = $batch"
)


class ShareholdingWriter(_RelationWriter):
    """股东及出资 rows: ``(Person|Enterprise)-[:SHAREHOLDER_OF {share}]->(Enterprise)``."""

    existing = """
    UNWIND $rows AS row
    OPTIONAL MATCH (e:Enterprise {uscc: row.uscc})
    CALL (row, e) {
      WITH row, e WHERE row.statement = 'PERSON'
      OPTIONAL MATCH (:Person {key: row.holder})-[s:SHAREHOLDER_OF]->(e)
      RETURN s, false AS holderMissing
      UNION
      WITH row, e WHERE row.statement = 'ENTERPRISE'
      OPTIONAL MATCH (h:Enterprise {uscc: row.holder})
      OPTIONAL MATCH (h)-[s:SHAREHOLDER_OF]->(e)
      RETURN s, h IS NULL AS holderMissing
    }
    RETURN row.key AS key, e IS NOT NULL AS registered, s.contentHash AS hash, holderMissing
    """
    upserts = {  # noqa: RUF012 - a read-only class constant
        "PERSON": (
            "UNWIND $rows AS row "
            "MATCH (e:Enterprise {uscc: row.uscc}) "
            "MERGE (p:Person {key: row.holder}) ON CREATE SET p += row.person.props "
            "MERGE (p)-[s:SHAREHOLDER_OF]->(e) " + _SHARE_SET
        ),
        "ENTERPRISE": (
            "UNWIND $rows AS row "
            "MATCH (e:Enterprise {uscc: row.uscc}) "
            "MERGE (h:Enterprise {uscc: row.holder}) "
            "ON CREATE SET h.name = row.holderName, h.provisional = true, "
            "    h.external = row.external, h.provisionalSince = $loadedAt, "
            "    h.provisionalBatch = $batch, h.provisionalRow = row.row, "
            "    h.provisionalSupplier = $supplier "
            "MERGE (h)-[s:SHAREHOLDER_OF]->(e) " + _SHARE_SET
        ),
    }

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """The holder (a person by ID, an enterprise by USCC) and the share."""
        v = row.values
        person = None
        if v["holderType"] == "PERSON":
            person = person_node(
                v["holderName"], v["holderIdNumber"], self.provenance.person_secret
            )
            holder = person["key"]
        else:
            holder = v["holderUscc"]
            if holder == v["uscc"]:
                return RejectedRow(
                    row.number,
                    (
                        Problem(
                            "holderUscc", "SELF_HOLDING", "企业不能作为自己的股东 (self-holding)"
                        ),
                    ),
                    v,
                )
        content = {"share": v["share"], "subscribedCapital": v.get("subscribedCapital")}
        return Prepared(
            row.number,
            f"{v['uscc']}|{holder}",
            content_hash(content),
            {
                "uscc": v["uscc"],
                "holder": holder,
                "holderName": v["holderName"],
                "external": person is None and holder[2:8] != WUGANG_REGION,
                "row": row.number,
                "person": person,
                "statement": v["holderType"],
                **content,
            },
        )


class MembershipWriter(_RelationWriter):
    """协会会员: ``(Enterprise)-[:MEMBER_OF {since}]->(Association)``, the sender's own members."""

    existing = """
    UNWIND $rows AS row
    OPTIONAL MATCH (e:Enterprise {uscc: row.uscc})
    OPTIONAL MATCH (e)-[m:MEMBER_OF]->(:Association {code: row.association})
    RETURN row.key AS key, e IS NOT NULL AS registered, m.contentHash AS hash
    """
    upserts = {  # noqa: RUF012 - a read-only class constant
        "MEMBER_OF": (
            "UNWIND $rows AS row "
            "MATCH (e:Enterprise {uscc: row.uscc}) MATCH (a:Association {code: row.association}) "
            "MERGE (e)-[m:MEMBER_OF]->(a) "
            "SET m.since = row.since, m.contentHash = row.hash, m.batchId = $batch"
        )
    }

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """The member and the date it joined the sending association."""
        v = row.values
        association = self.provenance.supplier.code
        return Prepared(
            row.number,
            f"{v['uscc']}|{association}",
            content_hash({"since": v.get("since")}),
            {
                "uscc": v["uscc"],
                "association": association,
                "since": v.get("since"),
                "statement": "MEMBER_OF",
            },
        )
