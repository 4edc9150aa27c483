"""The records API: a department revokes a credit record it decided (撤销), and everyone who was
served it is told.

The sharing catalogue's `operations.revokeRecord` lets departments act for themselves and the
credit office name a department; who may revoke which record (the deciding or providing
department, 谁认定、谁负责) and what follows (a new version 已撤销, the list entries resting on
it ended, withdrawal notices to earlier recipients) are graph/lifecycle/versions.py's.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.lifecycle import versions
from graph.model import RecordStatus
from hub.api.lifecycle_support import acting_for, actor_of
from hub.api.query import GraphInfo

COMPUTED_TYPES = ("RecordRevocation",)
"""Types of this module: answered by the lifecycle, not by the graph projection."""


@strawberry.type(
    description="A record revoked by its deciding department (撤销), and what followed"
)
class RecordRevocation:
    key: str = strawberry.field(description="The record's natural key")
    uid: strawberry.ID = strawberry.field(description="The new version, 已撤销")
    status: RecordStatus
    revoked_on: datetime.date
    withdrawal_notices: int = strawberry.field(
        description="Organisations told to withdraw what they were served (双公示: 3 working days)"
    )
    ended_list_entries: list[strawberry.ID] = strawberry.field(
        description="List entries that rested on the record and ended with it"
    )

    @classmethod
    def of(cls, revocation: versions.Revocation) -> RecordRevocation:
        """From the lifecycle's result."""
        return cls(
            key=revocation.key,
            uid=strawberry.ID(revocation.uid),
            status=revocation.status,
            revoked_on=revocation.revoked_on,
            withdrawal_notices=revocation.withdrawal_notices,
            ended_list_entries=[strawberry.ID(e) for e in revocation.ended_list_entries],
        )


@strawberry.type
class RecordsMutation:
    @strawberry.mutation(
        description="As the department that decided or provided a record (the credit office: "
        "naming it): revoke it (撤销). It stops being published and shared, the list entries "
        "resting on it end, and every organisation that was served it is told."
    )
    async def revoke_record(
        self, info: GraphInfo, record_key: str, reason: str, department: str | None = None
    ) -> RecordRevocation:
        context = info.context
        organisation = acting_for(info, "revokeRecord", department, "department")
        revocation = await versions.revoke_record(
            context.db,
            actor_of(context.consumer),
            organisation,
            record_key.strip(),
            reason,
            today=context.today(),
        )
        subjects = {revocation.subject} if revocation.subject else set()
        context.audit_action("revoke_record", subjects=subjects, detail=revocation.key)
        return RecordRevocation.of(revocation)
