"""双公示: the administrative licences and penalties the city publishes, newest first (四(三)).

`disclosedRecords` is the listing the disclosure site (信用舞钢) shows: current versions of
licence and penalty records inside their publication window — effective or under objection,
between ``publishFrom`` and ``publishUntil`` — optionally of one deciding department (决定机关)
and a range of decision dates. Repaired, revoked, superseded and expired records are never in
it, whoever asks: that is what "disclosed" means. The sharing catalogue's row rule for the
consumer is compiled into the same ``MATCH`` on top (like every graph-backed list), so totals
count only rows the consumer may see, and its field rules decide every field of the records.

The records are listed without their subject: rows of every subject are matched at once, so
fields shared per subject (consent, membership, own data) are withheld here and served only
through the subject's own ``records``.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.database import Row
from graph.lifecycle.base import china_today
from graph.model import RecordKind
from graph.publication import current_version
from hub.api.query import GraphInfo
from hub.api.types import IN_WINDOW, RecordConnection
from hub.errors import InvalidArgument
from hub.projection import connection_value, subjects_of

DISCLOSED_KINDS = (RecordKind.LICENSE, RecordKind.PENALTY)
"""The kinds 双公示 publishes: administrative licences and administrative penalties."""

DISCLOSURE_ORDER = "r.decisionDate DESC, r.uid"


def _kind_names(kinds: list[RecordKind] | None) -> list[str]:
    if kinds is None:
        return [kind.value for kind in DISCLOSED_KINDS]
    if not kinds:
        raise InvalidArgument("kinds", "must not be empty (omit it for licences and penalties)")
    others = sorted({kind.value for kind in kinds} - {kind.value for kind in DISCLOSED_KINDS})
    if others:
        raise InvalidArgument(
            "kinds",
            "双公示只公示行政许可和行政处罚 (only LICENSE and PENALTY are disclosed here); "
            f"not {', '.join(others)}",
        )
    return sorted({kind.value for kind in kinds})


def _department_code(department: str | None) -> str | None:
    if department is None:
        return None
    code = department.strip().upper()
    return code or None


@strawberry.type
class DisclosureQuery:
    @strawberry.field(
        description="双公示: current licence and penalty records inside their publication "
        "window, newest decision first; optionally of one deciding department (决定机关, by its "
        "统一社会信用代码) and decided within a date range (both ends inclusive)",
        graphql_type=RecordConnection,
    )
    async def disclosed_records(
        self,
        info: GraphInfo,
        kinds: list[RecordKind] | None = None,
        department: str | None = None,
        decided_from: datetime.date | None = None,
        decided_to: datetime.date | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Row:
        if decided_from is not None and decided_to is not None and decided_from > decided_to:
            raise InvalidArgument("decidedFrom", "must not be after decidedTo")
        context = info.context
        p = context.projection(info)
        selection = p.root_selection()
        conditions = [
            f"r.kind IN {p.param(_kind_names(kinds))}",
            # With the kind, this lets the planner seek the (kind, decisionDate) index
            # (migration 0002) instead of scanning every record; a 双公示 record has a date.
            "r.decisionDate IS NOT NULL",
            current_version("r"),
            # Judged on the request's Beijing date, a parameter (Cypher's date() is UTC).
            IN_WINDOW.format(
                node="r", today=p.param(p.enforcer.today if p.enforcer else china_today())
            ),
        ]
        code = _department_code(department)
        if code is not None:
            conditions.append(f"r.issuingAuthorityCode = {p.param(code)}")
        if decided_from is not None:
            conditions.append(f"r.decisionDate >= {p.param(decided_from)}")
        if decided_to is not None:
            conditions.append(f"r.decisionDate <= {p.param(decided_to)}")
        scope = {"node": "r"}
        conditions += p.row_conditions(selection, scope)
        match = "MATCH (r:Record) WHERE " + " AND ".join(conditions)
        value = connection_value(
            p,
            selection,
            "r",
            scope=scope,
            count=f"COUNT {{ {match} }}",
            rows=lambda page, item: (
                f"COLLECT {{ {match} WITH r ORDER BY {DISCLOSURE_ORDER} {page} RETURN {item} }}"
            ),
        )
        rows = await context.db.read(
            f"RETURN {value} AS data", p.params, metadata={"requestId": context.request_id}
        )
        subjects_of(rows, context.subjects)
        data: Row = rows[0]["data"]
        return data
