"""The report's data, read through the GraphQL schema as the consumer who asks for the report.

Nothing here reads the graph directly: the documents below are executed by the hub's kernel
(`Kernel.execute`: the hub's own schema, a request context for the requesting consumer),
exactly as if that consumer had posted them to ``/graphql``. So the sharing catalogue's field
classes and row rules, consent, membership and own-data conditions all apply, and every
execution is an entry in the audit chain (action ``credit_report_data``, detail: the report
number) listing what was released and what was withheld. What the report then leaves out
(repaired, expired …) is the report's rule, applied in `hub.reports.content`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from authz.identity import Consumer
from hub.errors import ClientError, DatabaseUnavailable, InvalidArgument
from hub.kernel import Kernel, RequestContext
from hub.reports.edition import ReportEdition, decide_edition

MAX_PAGES = 50
"""Pages of 100 records (or 10 list entries) read for one report at most."""

_FRAGMENTS = """
fragment ReportRecord on Record {
  key kind title documentNumber decisionDate issuingAuthority severity category content amount
  remarks fulfilment changeReason changedOn validFrom validTo publishFrom publishUntil status
  inPublicationWindow provider { name } batchId sourceRow previousVersion { id }
}
fragment ReportListEntry on ListEntry {
  id listType listName basis decisionNumber decisionDate effectiveFrom effectiveUntil
  removalConditions status underObjection decidedBy { name }
  sanctions { status startsOn endsOn measure { code name } }
}
"""

# Repaired, revoked and superseded versions are never asked for; list entries that ended
# (REMOVED) neither. The page sizes keep each document inside the hub's cost limit.
REPORT_DOCUMENT = (
    """
query CreditReportData($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name categoryLabel region entityType status foundedOn address registeredCapital
    businessScope industry blackListed redListed banned representativeBanned
    legalRepresentative { nameMasked }
    records(first: 100, statuses: [EFFECTIVE, UNDER_OBJECTION]) {
      edges { node { ...ReportRecord } }
      pageInfo { hasNextPage endCursor }
    }
    listEntries(first: 10, statuses: [ACTIVE, ANNOUNCED]) {
      edges { node { ...ReportListEntry } }
      pageInfo { hasNextPage endCursor }
    }
  }
  editionProbe: accessExplain(typeName: "Record", fieldName: "batchId", subject: $uscc) {
    decision
  }
}
"""
    + _FRAGMENTS
)

RECORDS_PAGE = (
    """
query CreditReportRecords($uscc: String!, $after: String) {
  enterprise(uscc: $uscc) {
    records(first: 100, after: $after, statuses: [EFFECTIVE, UNDER_OBJECTION]) {
      edges { node { ...ReportRecord } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
    + _FRAGMENTS
)

LIST_ENTRIES_PAGE = (
    """
query CreditReportListEntries($uscc: String!, $after: String) {
  enterprise(uscc: $uscc) {
    listEntries(first: 10, after: $after, statuses: [ACTIVE, ANNOUNCED]) {
      edges { node { ...ReportListEntry } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
    + _FRAGMENTS
)


# 信用评价: the grade is read as the consumer too (operations.readEvaluation decides), and only
# for the full edition: the public edition says the grade is not public instead.
EVALUATION_DOCUMENT = """
query CreditReportEvaluation($uscc: String!) {
  creditEvaluation(uscc: $uscc) { grade gradeLabel score evaluatedOn modelVersion runId }
}
"""


class UnknownEnterprise(ClientError):
    """No market entity with this 统一社会信用代码 in the network."""

    code = "NOT_FOUND"

    def __init__(self, uscc: str) -> None:
        super().__init__(
            f"信用信息库中没有统一社会信用代码为 {uscc} 的市场主体，无法出具信用报告 "
            "(no enterprise with this USCC in the credit network)"
        )


class ReportTooLarge(ClientError):
    """More records than one report may hold; the credit office issues such reports by hand."""

    code = "REPORT_TOO_LARGE"

    def __init__(self) -> None:
        super().__init__(
            "该主体信用信息过多，无法在线出具报告，请联系信用管理部门 "
            "(too many records for an online report; ask the credit office)"
        )


@dataclass(frozen=True)
class ReportData:
    """What the consumer was served about one enterprise, and the edition that makes."""

    enterprise: dict[str, Any]
    records: list[dict[str, Any]]
    list_entries: list[dict[str, Any]]
    edition: ReportEdition
    evaluation: dict[str, Any] | None = None


@dataclass
class _Served:
    released: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)

    def note(self, context: RequestContext) -> None:
        self.released |= context.released_fields()  # what left, not what was compiled
        self.withheld |= {w["field"] for w in context.withheld}
        self.withheld |= {coordinate for coordinate, _ in context.withheld_fields}


def _refused(error: BaseException | None) -> bool:
    """Whether the schema refused the consumer (the catalogue's rule for its kind or for this
    subject), as against a bad argument or an unreachable database."""
    return isinstance(error, ClientError) and not isinstance(
        error, InvalidArgument | DatabaseUnavailable
    )


def _raise_first(errors: list[GraphQLError]) -> None:
    original = errors[0].original_error
    if isinstance(original, ClientError):
        raise original  # written for the caller (an invalid USCC, the database away …)
    raise RuntimeError(f"credit report query failed: {errors[0].message}")


async def _execute(
    hub: Kernel,
    consumer: Consumer,
    document: str,
    variables: dict[str, Any],
    *,
    number: str,
    served: _Served,
) -> dict[str, Any]:
    result = await hub.execute(
        consumer, document, variables, action="credit_report_data", detail=number
    )
    if result.errors:
        _raise_first(result.errors)
    served.note(result.context)
    assert result.data is not None
    return result.data


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


async def _rest(
    hub: Kernel,
    consumer: Consumer,
    uscc: str,
    first_page: dict[str, Any] | None,
    *,
    document: str,
    name: str,
    number: str,
    served: _Served,
) -> list[dict[str, Any]]:
    """Every node of a connection, following its pages from `first_page`."""
    if first_page is None:
        return []
    nodes = _nodes(first_page)
    page_info = first_page["pageInfo"]
    pages = 1
    while page_info["hasNextPage"]:
        pages += 1
        if pages > MAX_PAGES:
            raise ReportTooLarge()
        data = await _execute(
            hub,
            consumer,
            document,
            {"uscc": uscc, "after": page_info["endCursor"]},
            number=number,
            served=served,
        )
        enterprise = data["enterprise"]
        if enterprise is None or enterprise[name] is None:
            break  # removed since the first page: the first page stands
        nodes += _nodes(enterprise[name])
        page_info = enterprise[name]["pageInfo"]
    return nodes


def _unique(nodes: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    # Offset cursors can repeat a row when the graph changes between pages.
    seen: set[Any] = set()
    unique = []
    for node in nodes:
        if node[key] not in seen:
            seen.add(node[key])
            unique.append(node)
    return unique


async def read_report_data(
    hub: Kernel, consumer: Consumer, uscc: str, *, number: str
) -> ReportData:
    """Everything `consumer` is served about enterprise `uscc` for report `number`.

    Raises `UnknownEnterprise` when the network has no such entity, and the schema's own
    client errors (`InvalidUscc` for a code no entity could have, …) as they are.
    """
    served = _Served()
    data = await _execute(
        hub, consumer, REPORT_DOCUMENT, {"uscc": uscc}, number=number, served=served
    )
    enterprise = data["enterprise"]
    if enterprise is None:
        raise UnknownEnterprise(uscc)
    records = await _rest(
        hub,
        consumer,
        uscc,
        enterprise.pop("records"),
        document=RECORDS_PAGE,
        name="records",
        number=number,
        served=served,
    )
    entries = await _rest(
        hub,
        consumer,
        uscc,
        enterprise.pop("listEntries"),
        document=LIST_ENTRIES_PAGE,
        name="listEntries",
        number=number,
        served=served,
    )
    probe = data["editionProbe"]
    edition = decide_edition(
        subject_allowed=bool(probe) and probe[0]["decision"] == "ALLOWED",
        released=served.released,
        withheld=served.withheld,
    )
    evaluation = None
    if edition is ReportEdition.FULL:
        evaluation = await _evaluation(hub, consumer, uscc, number=number)
    return ReportData(
        enterprise=enterprise,
        records=_unique(records, "key"),
        list_entries=_unique(entries, "id"),
        edition=edition,
        evaluation=evaluation,
    )


async def _evaluation(
    hub: Kernel, consumer: Consumer, uscc: str, *, number: str
) -> dict[str, Any] | None:
    """The current evaluation as the consumer may read it (None: none, or not for them)."""
    result = await hub.execute(consumer, EVALUATION_DOCUMENT, {"uscc": uscc})
    if result.errors:
        if _refused(result.errors[0].original_error):
            return None
        _raise_first(result.errors)
    assert result.data is not None
    found: dict[str, Any] | None = result.data["creditEvaluation"]
    return found
