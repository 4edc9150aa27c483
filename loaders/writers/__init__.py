"""Graph writers, one per kind of thing a feed writes (records, entities, relations, lists).

Every writer has the same two steps. `prepare` is pure Python: a checked row becomes the
natural key, a content hash and the values to write. `write` runs inside one transaction per
batch: it looks up what the graph already holds for the batch's keys, decides per row whether it
is new, unchanged or a new version, writes only what changed and rejects rows the graph cannot
take (an unregistered enterprise a relation or report is about), so a batch is all-or-nothing
and re-running it changes nothing.
"""

from loaders.feed_kinds import Target
from loaders.writers.annual_reports import AnnualReportWriter
from loaders.writers.base import Outcome, Prepared, Provenance, Writer, Written
from loaders.writers.enterprises import EnterpriseWriter
from loaders.writers.list_entries import ListEntryWriter
from loaders.writers.records import RecordWriter
from loaders.writers.relations import MembershipWriter, RoleWriter, ShareholdingWriter

__all__ = [
    "Outcome",
    "Prepared",
    "Provenance",
    "Writer",
    "Written",
    "writer_for",
]

_WRITERS: dict[Target, type[Writer]] = {
    Target.RECORD: RecordWriter,
    Target.ENTERPRISE: EnterpriseWriter,
    Target.ROLE: RoleWriter,
    Target.SHAREHOLDING: ShareholdingWriter,
    Target.LIST_ENTRY: ListEntryWriter,
    Target.MEMBERSHIP: MembershipWriter,
    Target.ANNUAL_REPORT: AnnualReportWriter,
}


def writer_for(target: Target) -> type[Writer]:
    """The writer class for a feed kind's target."""
    return _WRITERS[target]
