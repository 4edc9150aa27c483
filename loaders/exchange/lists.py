"""省级下发 / 国家下发 lists: upper systems' decisions about the city's subjects, loaded as feeds.

A provincial or national list file is an ordinary feed of the kind it holds (失信被执行人 as
`enforcement` records; 严重失信主体名单, 重大税收违法失信主体 and red lists as `list_decision`
entries) sent by the upper system's registered organisation, which the collection catalogue lets
relay the courts', tax authorities' and other departments' decisions. So the header, every cell,
the deciding authority (it must be registered: an unknown court or bureau is quarantined naming
it) and the subject go through the same checks and quarantine as a department's file, and the
batch id follows the content, so a second load of the same file changes nothing.

On top of the feed, `ExchangeWriter` does two things:

- every node it writes carries its provenance: ``exchangeSource`` (province / national) and
  ``provenance`` (`ExchangeLevel`: 省级下发 / 国家下发); the batch carries them too;
- a row naming the same subject and the same 文号/案号 (and the same list type or record kind)
  as a decision the graph already holds from another sender — a city department, or the other
  upper system — is not written again: the held decision gets ``(n)-[:ALSO_SENT_BY]->(system)``
  with the batch and row, and the summary counts it as linked. The city's own entry stays as
  the department sent it (its revisions, objections and repair stay the department's).

Subjects outside the city are handled as the feeds handle them: a list entry about an
unregistered organisation is quarantined (SUBJECT_NOT_REGISTERED), a record about one makes a
provisional subject (待登记核实).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.model import Label, Rel
from loaders.exchange.sources import ExchangeSource, exchange_source
from loaders.pipeline import LoadOptions, LoadSummary, load_file
from loaders.validation import CheckedRow, RejectedRow
from loaders.writers.base import Outcome, Prepared, Writer, Written, run

__all__ = ["ExchangeWriter", "import_list"]

# The decision already held about the same subject under the same number: a list entry of the
# same list type, or the current version of a record of the same kind.
_HELD: Final = f"""
UNWIND $rows AS row
CALL (row) {{
  MATCH (s:{Label.ENTERPRISE} {{uscc: row.subject}}) RETURN s
  UNION
  MATCH (s:{Label.PERSON} {{key: row.subject}}) RETURN s
}}
MATCH (s)<-[:{Rel.HAS_SUBJECT}]-(n)
WHERE (n:{Label.LIST_ENTRY} AND row.entry AND n.decisionNumber = row.number
       AND n.listType = row.type)
   OR (n:{Label.RECORD} AND NOT row.entry AND n.current AND n.documentNumber = row.number
       AND n.kind = row.type)
RETURN row.row AS row, elementId(n) AS node, n.exchangeSource AS source
"""

_LINK: Final = f"""
MATCH (o:{Label.DEPARTMENT} {{code: $system}})
UNWIND $links AS link
MATCH (n) WHERE elementId(n) = link.node
MERGE (n)-[r:{Rel.ALSO_SENT_BY}]->(o)
ON CREATE SET r.batchId = $batch, r.sourceRow = link.row, r.at = $at, r.provenance = $level,
              r.created = true
WITH link, r, coalesce(r.created, false) AS created
REMOVE r.created
RETURN link.row AS row, created
"""


class ExchangeWriter(Writer):
    """The kind's own writer, with the upper system's provenance and the duplicate link."""

    def __init__(self, inner: Writer, source: ExchangeSource) -> None:
        super().__init__(inner.provenance)
        self.inner = inner
        self.source = source

    def prepare(self, row: CheckedRow) -> Prepared | RejectedRow:
        """The inner writer's row, stamped with where it came from (not part of its content)."""
        ready = self.inner.prepare(row)
        if isinstance(ready, Prepared):
            ready.data["props"].update(
                exchangeSource=self.source.key, provenance=self.source.level.value
            )
        return ready

    async def write(self, tx: neo4j.AsyncManagedTransaction, batch: list[Prepared]) -> Written:
        """Link rows the graph already holds from another sender; write the rest as the kind's
        writer does (new, unchanged or a new version of this system's own earlier copy)."""
        probes = [probe for p in batch if (probe := _probe(p)) is not None]
        held = await run(tx, _HELD, rows=probes) if probes else []
        ours = {h["row"] for h in held if h["source"] == self.source.key}
        others: dict[int, str] = {}
        for h in held:
            if h["row"] not in ours:
                others.setdefault(h["row"], h["node"])
        written = Written()
        if others:
            linked = await run(
                tx,
                _LINK,
                system=self.source.code,
                links=[{"row": row, "node": node} for row, node in others.items()],
                batch=self.provenance.batch_id,
                at=self.provenance.loaded_at,
                level=self.source.level.value,
            )
            for r in linked:
                written.outcomes.append(
                    (r["row"], Outcome.LINKED if r["created"] else Outcome.UNCHANGED)
                )
        rest = [p for p in batch if p.number not in others]
        if rest:
            inner = await self.inner.write(tx, rest)
            written.outcomes.extend(inner.outcomes)
            written.rejected.extend(inner.rejected)
        return written


def _probe(prepared: Prepared) -> dict[str, Any] | None:
    """Subject, number and type of a prepared list entry or record (None: nothing to match)."""
    data = prepared.data
    props = data["props"]
    subject = data.get("enterprise") or (data.get("person") or {}).get("key")
    entry = "listType" in props
    number = props.get("decisionNumber") if entry else props.get("documentNumber")
    if subject is None or number is None:
        return None
    return {
        "row": prepared.number,
        "subject": subject,
        "number": number,
        "entry": entry,
        "type": props["listType"] if entry else props.get("kind"),
    }


async def import_list(
    db: Database,
    source: str,
    path: Path,
    *,
    person_secret: bytes,
    kind: str | None = None,
    encoding: str | None = None,
    options: LoadOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Load an upper system's list file (``source``: province or national) as a feed.

    Raises what `load_file` raises before any row is written (an unreadable file, an unknown
    kind, the system not registered or not in the collection catalogue, missing columns) and
    `UnknownExchangeSource`.
    """
    system = exchange_source(source)
    options = dataclasses.replace(
        options or LoadOptions(),
        wrap_writer=lambda inner: ExchangeWriter(inner, system),
        batch_properties={"exchangeSource": system.key, "provenance": system.level.value},
    )
    return await load_file(
        db,
        path,
        system.code,
        person_secret=person_secret,
        kind=kind,
        encoding=encoding,
        options=options,
        progress=progress,
    )
