"""The change history of a record or list entry: every lifecycle event, oldest first.

Events are the part of the history that is not a new version (an objection flagging a record,
an entry ending, a measure lifted, a repair). They name the acting organisation, so they are
shown to those with a stake in the thing only: the credit office, the department that provided
the record or decided the entry, and the subject itself.
"""

from __future__ import annotations

import datetime

import strawberry

from authz.policy import Subject
from hub.api.lifecycle_support import require_subject
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument

COMPUTED_TYPES = ("StateChange",)

OPERATION = "readChangeHistory"
"""The catalogue operation: the credit office, the providing or deciding department, the
subject itself (operations.readChangeHistory.subject)."""


@strawberry.type(description="One state change (事件): who, when, from what to what, and why")
class StateChange:
    id: strawberry.ID
    type: str = strawberry.field(description="e.g. OBJECTION_FILED, RECORD_REPAIRED")
    at: datetime.datetime
    actor_kind: str = strawberry.field(description="Kind of the acting organisation")
    actor_code: str | None = strawberry.field(description="Its 统一社会信用代码")
    from_state: str | None
    to_state: str | None
    reason: str | None
    concerns: list[str] = strawberry.field(description="The version uids or entry id it changed")


_EVENTS = (
    "CALL () { "
    "  MATCH (t:Record {key: $key}) RETURN t, t.uid AS label "
    "  UNION MATCH (t:ListEntry {id: $entry}) RETURN t, t.id AS label "
    "} "
    "WITH t, label "
    "OPTIONAL MATCH (t)-[:HAS_SUBJECT]->(s) "
    "WITH collect(DISTINCT t) AS targets, collect(DISTINCT coalesce(s.uscc, s.key)) AS subjects, "
    "collect(DISTINCT [elementId(t), label]) AS labels "
    "CALL (targets) { UNWIND targets AS t MATCH (e:Event)-[:CONCERNS]->(t) "
    "  WITH e, collect(elementId(t)) AS on "
    "  RETURN collect({e: properties(e), on: on}) AS events } "
    "RETURN subjects, labels, events"
)


@strawberry.type
class HistoryQuery:
    @strawberry.field(
        description="Every lifecycle event of a record (all its versions) or a list entry, "
        "oldest first: for the credit office, the providing or deciding department, and the "
        "subject itself"
    )
    async def change_history(
        self, info: GraphInfo, record_key: str | None = None, list_entry_id: str | None = None
    ) -> list[StateChange]:
        if (record_key is None) == (list_entry_id is None):
            raise InvalidArgument("recordKey", "give exactly one of `recordKey` and `listEntryId`")
        rows = await info.context.db.read(_EVENTS, {"key": record_key, "entry": list_entry_id})
        if not rows or not rows[0]["labels"]:
            raise InvalidArgument("recordKey", "no such record or list entry")
        row = rows[0]
        subject = (
            Subject.record(record_key)
            if record_key is not None
            else Subject.list_entry(str(list_entry_id))
        )
        await require_subject(
            info,
            OPERATION,
            subject,
            "变更历史仅向信用管理部门、信息提供单位和信息主体本身提供 (the change history "
            "is shown to the credit office, the providing department and the subject only)",
        )
        info.context.subjects.update(row["subjects"])
        labels = {element: label for element, label in row["labels"]}
        events = sorted(row["events"], key=lambda item: (item["e"]["at"], item["e"]["id"]))
        return [
            StateChange(
                id=strawberry.ID(item["e"]["id"]),
                type=item["e"]["type"],
                at=item["e"]["at"].to_native(),
                actor_kind=item["e"]["actorKind"],
                actor_code=item["e"].get("actorCode"),
                from_state=item["e"].get("fromState"),
                to_state=item["e"].get("toState"),
                reason=item["e"].get("reason"),
                concerns=sorted(labels[element] for element in item["on"]),
            )
            for item in events
        ]
