"""Credit records (licences, penalties, judgments, 失信被执行人, commitments): versioned writes.

A record's natural key is ``kind|issuing authority's USCC|document number``: one decision of one
authority. The record points to that deciding authority (``DECIDED_BY``) and to the supplier
that sent it (``PROVIDED_BY``); they differ when a department relays another's decisions.

A decision about an organisation the registration feed has not sent yet is not refused (应归尽归):
its subject becomes a *provisional* Enterprise (待登记核实) with the name and code from the feed
and the batch, row and supplier that created it; the registration feed completes it later
(loaders/writers/enterprises.py).

The first load creates version 1 (``key#v1``). Loading the same content again does nothing.
Loading changed content creates version n+1 linked ``(new)-[:SUPERSEDES]->(old)``; the old
version is kept, marked ``SUPERSEDED`` and no longer current — never overwritten.

Each version is written by graph/records.py, the one record writer, and carries its provenance
(batch id and row number; the batch node holds file name,
content hash, supplier, load time and loader version), its publication window (NDRC Order 36)
and, for 双公示 licences and penalties and the other acts of 四(三), its publish-by date:
decision + 7 working days on the mainland calendar. ``firstPublishedOn`` is the day the
decision first reached the network, kept across versions, so the timeliness report measures
the deciding authority and not its corrections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, LiteralString

import neo4j

from graph.database import Database
from graph.lifecycle.notices import notify_watchers_of_records
from graph.lifecycle.versions import after_feed_versions
from graph.model import NoticeKind, RecordKind, RecordStatus, SeverityTier
from graph.publication import warning_only_unpublished
from graph.records import RECORD_DATES, iso, publication_stamps, version_props, write_record_batch
from loaders.feed_kinds import FEED_KINDS, Problem, SeverityBasis
from loaders.parameters import quiet
from loaders.validation import CheckedRow, RejectedRow
from loaders.writers.base import (
    Outcome,
    Prepared,
    Provenance,
    Writer,
    Written,
    content_hash,
    person_node,
    run,
)

__all__ = ["DISCLOSED_KINDS", "RecordWriter"]

DISCLOSED_KINDS: Final = frozenset(
    k.record_kind for k in FEED_KINDS.values() if k.disclosed and k.record_kind is not None
)
"""双公示 kinds and the acts of 四(三): these carry a publish-by date and count in the timeliness
report (7 working days)."""

_CONTENT: Final = (
    "title",
    "documentNumber",
    "decisionDate",
    "issuingAuthority",
    "issuingAuthorityCode",
    "severity",
    "category",
    "content",
    "amount",
    "validFrom",
    "validTo",
    "subjectName",
    "subjectType",
    "subjectCode",
    "legalRepresentative",
    "violationType",
    "facts",
    "basis",
    "confiscated",
    "licenceAction",
    "certificateName",
    "licenceNumber",
    "licenceState",
    "performance",
    "fulfilment",
    "sourceUnit",
    "sourceUnitCode",
    "remarks",
    "suppliedPublishUntil",
    "severityBasis",
    "province",
    "basisDocument",
    "filedOn",
    "basisIssuer",
    "performedPart",
    "unperformedPart",
    "removalReason",
    "removalAuthority",
    "measureKind",
    "evaluationYear",
)
"""Properties that make up a record's content; a change to any of them is a new version."""

# Lifecycle states a department's correction does not undo: a repaired finding stays repaired.
_KEPT_STATUSES: Final = frozenset(
    {
        RecordStatus.REPAIRED.value,
        RecordStatus.REVOKED.value,
        # A correction sent while an objection is pending stays flagged until it is decided.
        RecordStatus.UNDER_OBJECTION.value,
    }
)

# Each lookup answers in one row holding a list: the async driver's cost is per record
# streamed, and a batch of 5,000 records cost more than the query itself.
_CURRENT: Final = """
UNWIND $keys AS key
MATCH (r:Record {key: key}) WHERE r.current
RETURN collect({key: key, uid: r.uid, version: r.version, hash: r.contentHash,
                status: r.status, firstPublishedOn: toString(r.firstPublishedOn),
                props: CASE WHEN r.contentHash IS NULL THEN properties(r) END}) AS current
"""

_UNREGISTERED: Final = """
UNWIND $codes AS code
WITH code WHERE NOT EXISTS { MATCH (:Enterprise {uscc: code}) }
RETURN collect(code) AS missing
"""

# 待登记核实: a subject known only from a decision. MERGE, so two chunks (or two loads racing)
# naming the same new code make one subject; its provenance is the first row that named it.
_PROVISIONAL: Final = """
UNWIND $subjects AS s
MERGE (e:Enterprise {uscc: s.uscc})
ON CREATE SET e.name = s.name, e.provisional = true, e.provisionalSince = $loadedAt,
              e.provisionalBatch = $batch, e.provisionalRow = s.row,
              e.provisionalSupplier = $supplier
"""


def _same_content(stored: dict[str, Any], content: dict[str, Any]) -> bool:
    """Compare with a version written before content hashes existed (the demo data)."""
    return content_hash({k: stored.get(k) for k in _CONTENT}) == content_hash(
        {k: content.get(k) for k in _CONTENT}
    )


_KNOWN_REGISTERED: Final = 200_000
"""How many registered codes a load remembers (about 20 MB), see `RecordWriter.registered`."""


_Read = Callable[[LiteralString, dict[str, Any]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class _Found:
    """What the graph holds for one chunk: its keys' current versions, its unregistered codes."""

    batch: list[Prepared]
    current: dict[str, dict[str, Any]]
    missing: set[str]


class RecordWriter(Writer):
    """Writes records of one `RecordKind`."""

    def __init__(self, provenance: Provenance) -> None:
        super().__init__(provenance)
        # Codes this load found registered. Enterprises are never deleted, so a code found
        # (committed, before this chunk's own writes) stays registered for the rest of the
        # load: a feed names the same subjects chunk after chunk, and only codes not seen yet
        # are asked about. Codes made provisional here are not remembered (the chunk's
        # transaction may still be rolled back and retried).
        self.registered: set[str] = set()
        # Chunks read ahead (`look_ahead`), by the id of their list; each is used once. The
        # next chunk's may land while this one is still being written.
        self._ahead: dict[int, _Found] = {}

    @property
    def record_kind(self) -> RecordKind:
        """The record kind of the feed."""
        kind = self.provenance.kind.record_kind
        assert kind is not None, "RecordWriter serves record feed kinds only"
        return kind

    async def look_ahead(self, db: Database, batch: list[Prepared]) -> bool:
        """The chunk's current versions and unregistered subjects, read before its transaction.

        Safe to read early: no other chunk of the load has these keys, a code found registered
        stays registered, and a code found missing is MERGEd (a subject an earlier chunk made
        provisional meanwhile is found, not made twice).
        """

        async def read(cypher: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
            return await db.read(cypher, quiet(params))

        self._ahead[id(batch)] = await self._look_up(read, batch)
        return True

    async def _look_up(self, read: _Read, batch: list[Prepared]) -> _Found:
        [found] = await read(_CURRENT, {"keys": [p.key for p in batch]})
        codes = list(
            {p.data["enterprise"] for p in batch if p.data["enterprise"]} - self.registered
        )
        missing: set[str] = set()
        if codes:
            [unknown] = await read(_UNREGISTERED, {"codes": codes})
            missing = set(unknown["missing"])
            if len(self.registered) < _KNOWN_REGISTERED:
                self.registered.update(code for code in codes if code not in missing)
        return _Found(batch, {r["key"]: r for r in found["current"]}, missing)

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """Key, content and publication dates of one record."""
        v = row.values
        kind = self.record_kind
        person = None
        enterprise = None
        if v["subjectType"] == "PERSON":
            person = person_node(
                v["subjectName"], v["subjectIdNumber"], self.provenance.person_secret
            )
        else:
            enterprise = v["subjectUscc"]
        content: dict[str, Any] = {name: v.get(name) for name in _CONTENT}
        content["subjectCode"] = enterprise
        if person is not None:
            # Personal data stays on the Person node (full values, served by duty); the record
            # keeps the masked name only, as the public sees it.
            content["subjectName"] = person["props"]["nameMasked"]
        content["validFrom"] = v.get("validFrom") or v["decisionDate"]
        if content.get("title") is None:
            content["title"] = v.get("violationType") or v.get("category") or kind.label
        # The subject's identity is content too: the same 文号 against another subject is a
        # correction of the decision, not the same record.
        identity = person["key"] if person else enterprise
        digest = content_hash({**content, "subject": identity})

        # Stored only when the tier was not sent, so files that send 失信程度 hash as before.
        if content.get("severityBasis") == SeverityBasis.SUPPLIED.value:
            content["severityBasis"] = None
        severity = SeverityTier.of(v["severity"]) if v.get("severity") else None
        supplier = self.provenance.supplier
        # The 警告 rule follows the deciding authority; without the organisation directory
        # (never in a load) the supplier's sector stands in for its own decisions only.
        decider_sector = v.get(
            "deciderSector",
            supplier.sector if v["issuingAuthorityCode"] == supplier.code else None,
        )
        warning_only = warning_only_unpublished(kind, v.get("category"), decider_sector)
        try:
            # Window and, for 双公示 kinds, publish-by (decisions older than the calendar's data
            # are not assessed): the stamps every record gets (graph/records.py).
            stamps = publication_stamps(
                kind,
                severity,
                v["decisionDate"],
                v.get("validTo"),
                warning_only=warning_only,
                calendar=self.provenance.calendar if self.provenance.kind.disclosed else None,
            )
        except ValueError as error:
            return RejectedRow(row.number, (Problem("severity", "PUBLICATION", str(error)),), v)
        key = f"{kind.value}|{v['issuingAuthorityCode']}|{v['documentNumber']}"
        props = {
            **content,
            **stamps,
            "key": key,
            "kind": kind.value,
            "contentHash": digest,
            "batchId": self.provenance.batch_id,
            "sourceRow": row.number,
        }
        dates = {name: iso(props.pop(name, None)) for name in RECORD_DATES}
        # As version 1, first published today: what most rows of a feed are. `write` hands
        # such a row to the statement as it is (in the preparing worker, not between the
        # load's statements) and makes a copy only for a row the graph already holds.
        props.update(version_props(key, 1, RecordStatus.EFFECTIVE))
        dates["firstPublishedOn"] = self.provenance.loaded_on.isoformat()
        return Prepared(
            row.number,
            key,
            digest,
            {
                "props": props,
                "dates": dates,
                "person": person,
                "enterprise": enterprise,
                "previous": None,
                "decider": v["issuingAuthorityCode"],
            },
        )

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Create new records and new versions; leave unchanged ones alone."""
        written = Written()
        ahead = self._ahead.pop(id(batch), None)
        if ahead is None or ahead.batch is not batch:

            async def read(cypher: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
                return await run(tx, cypher, **params)

            ahead = await self._look_up(read, batch)
        current, missing = ahead.current, ahead.missing
        provisional: dict[str, dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []
        loaded_on = self.provenance.loaded_on.isoformat()
        for prepared in batch:
            data = prepared.data
            enterprise = data["enterprise"]
            if enterprise is not None and enterprise in missing and enterprise not in provisional:
                provisional[enterprise] = {
                    "uscc": enterprise,
                    "name": data["props"]["subjectName"],
                    "row": prepared.number,
                }
            stored = current.get(prepared.key)
            if stored is None:
                rows.append(data)  # version 1, as prepared
                written.outcomes.append((prepared.number, Outcome.NEW))
                continue
            props = dict(data["props"])
            dates = dict(data["dates"])
            same = (
                stored["hash"] == prepared.hash
                if stored["hash"] is not None
                else _same_content(stored["props"], {**props, **dates})
            )
            if same:
                written.outcomes.append((prepared.number, Outcome.UNCHANGED))
                continue
            kept = stored["status"] in _KEPT_STATUSES
            status = stored["status"] if kept else RecordStatus.EFFECTIVE.value
            dates["firstPublishedOn"] = stored["firstPublishedOn"] or loaded_on
            props.update(version_props(prepared.key, stored["version"] + 1, status))
            rows.append({**data, "props": props, "dates": dates, "previous": stored["uid"]})
            written.outcomes.append((prepared.number, Outcome.NEW_VERSION))
        if provisional:
            await run(
                tx,
                _PROVISIONAL,
                subjects=list(provisional.values()),
                loadedAt=self.provenance.loaded_at,
                batch=self.provenance.batch_id,
                supplier=self.provenance.supplier.code,
            )
        if rows:
            created = await write_record_batch(
                tx,
                rows,
                provider=self.provenance.supplier.code,
                loaded_at=self.provenance.loaded_at,
            )
            if created != len(rows):
                raise RuntimeError(f"supplier {self.provenance.supplier.code} is not in the graph")
            # 贷后监测: banks watching a subject hear of a new adverse record with the load that
            # brings it (same transaction, so a failed chunk tells nobody).
            label = self.record_kind.label  # every row of a feed is of its kind
            await notify_watchers_of_records(
                tx,
                NoticeKind.NEW_ADVERSE_RECORD,
                [
                    (row["enterprise"] or row["person"]["key"], row)
                    for row in rows
                    if row["previous"] is None
                    and row["props"].get("severity") is not None
                    and (row["enterprise"] or row["person"])
                ],
                lambda row: {
                    "title": f"新增{label}：{row['props'].get('title') or ''}",
                    "ref": row["props"]["uid"],
                },
            )
            # Corrections withdrawn from earlier recipients; 全部履行 ends a 失信被执行人.
            await after_feed_versions(
                tx, rows, sender=self.provenance.supplier.code, today=self.provenance.loaded_on
            )
        return written
