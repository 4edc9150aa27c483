"""A department's own 红黑名单 decisions (认定), as a listing: what it decided, newest first.

`decidedListEntries` serves the department's signed-in pages (hub/site/department.py) and any
client: the entries whose ``DECIDED_BY`` is the caller's department — or, for the credit office,
the department it names. Who may ask is the sharing catalogue's ``operations.decideList`` (the
departments that decide lists, for themselves; the office on their behalf): reading one's own
decisions is part of deciding them. The catalogue's row rule for the consumer is compiled into
the same ``MATCH`` on top, and its field rules decide every field, as for every graph-backed
list.
"""

from __future__ import annotations

import strawberry

from graph.database import Row
from graph.model import Label, ListEntryStatus, ListType, Rel
from hub.api.lifecycle_support import acting_for
from hub.api.query import GraphInfo
from hub.api.types import ListEntryConnection
from hub.projection import connection_value, subjects_of

DECIDE_LIST = "decideList"
"""The catalogue operation whose kinds may read their own list decisions."""

DECISION_ORDER = "l.decisionDate DESC, l.id"
"""Newest decision first (the order of every list-entries connection)."""


@strawberry.type
class ListDecisionsQuery:
    @strawberry.field(
        description="红黑名单 entries your department decided (认定), newest decision first; "
        "optionally of one list type and statuses. The credit office names the department",
        graphql_type=ListEntryConnection,
    )
    async def decided_list_entries(
        self,
        info: GraphInfo,
        list_type: ListType | None = None,
        statuses: list[ListEntryStatus] | None = None,
        department: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Row:
        code = acting_for(info, DECIDE_LIST, department, "department")
        context = info.context
        p = context.projection(info)
        selection = p.root_selection()
        conditions = []
        if list_type is not None:
            conditions.append(f"l.listType = {p.param(list_type.value)}")
        if statuses is not None:
            conditions.append(f"l.status IN {p.param([status.value for status in statuses])}")
        scope = {"node": "l"}
        conditions += p.row_conditions(selection, scope)
        match = (
            f"MATCH (:{Label.DEPARTMENT} {{code: {p.param(code)}}})"
            f"<-[:{Rel.DECIDED_BY}]-(l:{Label.LIST_ENTRY})"
            + (" WHERE " + " AND ".join(conditions) if conditions else "")
        )
        value = connection_value(
            p,
            selection,
            "l",
            scope=scope,
            source=match,
            order=DECISION_ORDER,
        )
        rows = await context.db.read(
            f"RETURN {value} AS data", p.params, metadata={"requestId": context.request_id}
        )
        subjects_of(rows, context.subjects)
        data: Row = rows[0]["data"]
        return data
