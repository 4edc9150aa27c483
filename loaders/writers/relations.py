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

import datetime
from typing import Any, Final, LiteralString

import neo4j

from graph.identifiers import WUGANG_REGION
from graph.lifecycle.memberships import current_membership
from graph.model import Label, Rel, RoleKind
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


def _native(value: Any) -> datetime.date:
    """A date read from Neo4j as a Python date."""
    return value.to_native() if isinstance(value, neo4j.time.Date) else value


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


class MembershipWriter(Writer):
    """协会会员: ``(Enterprise)-[:MEMBER_OF {since}]->(Association)``, the sender's own members.

    The same rule as the association's own mutations (graph/lifecycle/memberships.py): a
    membership is one period, history is kept. A row about a current member is that period (a
    changed ``since`` corrects it); a row about an enterprise whose every period has ended is a
    rejoin — a new period beside the old ones — when it starts on or after the last end (or gives
    no date: it is a member from the load's day), the ended period re-sent when it names that
    period's ``since``, and refused when it would start inside an ended period.
    """

    existing = f"""
    UNWIND $rows AS row
    OPTIONAL MATCH (e:{Label.ENTERPRISE} {{uscc: row.uscc}})
    RETURN row.key AS key, e IS NOT NULL AS registered,
      COLLECT {{
        MATCH (e)-[m:{Rel.MEMBER_OF}]->(:{Label.ASSOCIATION} {{code: row.association}})
        RETURN {{id: elementId(m), hash: m.contentHash, since: m.since, until: m.until,
                 current: {current_membership("m", "date($today)")}}}
      }} AS periods
    """
    upserts = {  # noqa: RUF012 - a read-only class constant
        # A new period: the first membership, or a rejoin after an ended one.
        "NEW_PERIOD": (
            "UNWIND $rows AS row "
            f"MATCH (e:{Label.ENTERPRISE} {{uscc: row.uscc}}) "
            f"MATCH (a:{Label.ASSOCIATION} {{code: row.association}}) "
            f"CREATE (e)-[m:{Rel.MEMBER_OF}]->(a) "
            "SET m.since = row.since, m.contentHash = row.hash, m.batchId = $batch"
        ),
        # The current period, corrected.
        "CORRECT_PERIOD": (
            "UNWIND $rows AS row "
            f"MATCH ()-[m:{Rel.MEMBER_OF}]->() WHERE elementId(m) = row.period "
            "SET m.since = row.since, m.contentHash = row.hash, m.batchId = $batch"
        ),
    }

    def _classify(
        self, prepared: Prepared, periods: list[dict[str, Any]]
    ) -> tuple[Outcome, str | None, dict[str, Any]] | Problem:
        """What the row does to the member's periods: an outcome, the statement to run (None:
        nothing to write) and the row's values for it — or the problem refusing it."""
        since: datetime.date | None = prepared.data.get("since")
        for period in periods:
            if period["current"]:
                if period["hash"] == prepared.hash:
                    return Outcome.UNCHANGED, None, {}
                return Outcome.NEW_VERSION, "CORRECT_PERIOD", {"period": period["id"]}
        if not periods:
            return Outcome.NEW, "NEW_PERIOD", {}
        if any(period["hash"] == prepared.hash for period in periods) and since is not None:
            return Outcome.UNCHANGED, None, {}  # an ended period, sent again
        last_end = max(_native(period["until"]) for period in periods)
        if since is not None and since < last_end:
            return Problem(
                "since",
                "MEMBERSHIP_PERIOD_OVERLAPS",
                f"入会日期早于上次退会日期 {last_end.isoformat()}，重新入会须从退会之日起 "
                "(a new period cannot start before the previous one ended)",
            )
        start = since or self.provenance.loaded_on
        return Outcome.NEW, "NEW_PERIOD", {"since": max(start, last_end)}

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Write new periods and corrections; reject rows whose enterprise is not registered
        or whose date falls inside an ended period."""
        written = Written()
        found = {
            r["key"]: r
            for r in await run(
                tx,
                self.existing,
                rows=[{"key": p.key, **p.data} for p in batch],
                today=self.provenance.loaded_on.isoformat(),
            )
        }
        grouped: dict[str, list[dict[str, Any]]] = {}
        for prepared in batch:
            state = found[prepared.key]
            if not state["registered"]:
                written.rejected.append((prepared.number, not_registered("uscc", "企业")))
                continue
            decided = self._classify(prepared, list(state["periods"]))
            if isinstance(decided, Problem):
                written.rejected.append((prepared.number, decided))
                continue
            outcome, statement, extra = decided
            written.outcomes.append((prepared.number, outcome))
            if statement is not None:
                grouped.setdefault(statement, []).append(
                    {**prepared.data, "hash": prepared.hash, **extra}
                )
        for statement, rows in grouped.items():
            await run(tx, self.upserts[statement], rows=rows, batch=self.provenance.batch_id)
        return written

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
