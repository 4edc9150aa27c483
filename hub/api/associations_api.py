"""The association's own member roll (协会会员, issue 15): add and end a membership.

Reading the roll is `association(code:) { members }` (hub/api/types.py), compiled into one Cypher
query and shared by the catalogue's class ``membership``. Changing it is the catalogue's
``operations.manageMembership``: an association for its own roll (`kinds`), the credit office
naming the association (`on_behalf`); the lifecycle rules — dates, one current period, history
kept, an Event per change — are graph/lifecycle/memberships.py's. Each mutation is audited with
the enterprise as its subject.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.lifecycle import memberships
from hub.api.lifecycle_support import acting_for, require
from hub.api.query import GraphInfo

COMPUTED_TYPES = ("Membership",)
"""Types of this module: answered by graph/lifecycle/memberships.py, not by the projection."""

OPERATION = "manageMembership"


@strawberry.type(description="One membership period of an enterprise in an association (会员关系)")
class Membership:
    association: str = strawberry.field(description="统一社会信用代码 of the association")
    association_name: str | None
    enterprise: str = strawberry.field(description="统一社会信用代码 of the member")
    enterprise_name: str | None
    since: datetime.date | None = strawberry.field(description="入会日期")
    until: datetime.date | None = strawberry.field(
        description="退会日期: the first day it no longer counts (null: still a member)"
    )
    current: bool = strawberry.field(description="A member today")
    end_reason: str | None = strawberry.field(description="退会原因")

    @classmethod
    def of(cls, m: memberships.Membership) -> Membership:
        """From the lifecycle's value."""
        return cls(
            association=m.association,
            association_name=m.association_name,
            enterprise=m.enterprise,
            enterprise_name=m.enterprise_name,
            since=m.since,
            until=m.until,
            current=m.current,
            end_reason=m.end_reason,
        )


@strawberry.type
class AssociationsMutation:
    @strawberry.mutation(
        description="As an association: record that an enterprise joined on `since` (not in "
        "the future). The credit office names the association."
    )
    async def add_membership(
        self,
        info: GraphInfo,
        enterprise: str,
        since: datetime.date,
        association: str | None = None,
    ) -> Membership:
        context = info.context
        actor = require(info, OPERATION)
        roll = acting_for(info, OPERATION, association, "association")
        added = await memberships.add_membership(
            context.db, actor, roll, enterprise, since=since, today=context.today()
        )
        context.audit_action(
            "add_membership",
            subjects={added.enterprise},
            detail=f"{added.association}:{added.enterprise}:since {added.since}",
        )
        return Membership.of(added)

    @strawberry.mutation(
        description="As an association: end an enterprise's current membership; it no longer "
        "counts from `until`, and stays on record as history. The credit office names the "
        "association."
    )
    async def end_membership(
        self,
        info: GraphInfo,
        enterprise: str,
        until: datetime.date,
        reason: str,
        association: str | None = None,
    ) -> Membership:
        context = info.context
        actor = require(info, OPERATION)
        roll = acting_for(info, OPERATION, association, "association")
        ended = await memberships.end_membership(
            context.db, actor, roll, enterprise, until=until, reason=reason, today=context.today()
        )
        context.audit_action(
            "end_membership",
            subjects={ended.enterprise},
            detail=f"{ended.association}:{ended.enterprise}:until {ended.until}",
        )
        return Membership.of(ended)
