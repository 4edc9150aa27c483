"""The exchange's delivery log for the credit office: what went to which connected system.

Who may read it is the catalogue's `operations.readExchange` (the credit office runs the
exchange); anyone else is refused, naming that rule. The log and the status come from
hub/exchange/delivery.py, the same functions `credithub exchange status` prints.
"""

from __future__ import annotations

import datetime

import strawberry

from graph.model import DeliveryStatus
from hub.api.lifecycle_support import require
from hub.api.query import GraphInfo
from hub.errors import InvalidArgument
from hub.exchange.delivery import DeliveryResult, delivery_log, exchange_status
from hub.exchange.targets import load_targets

COMPUTED_TYPES = ("ExchangeDelivery", "ExchangeTargetStatus")
"""Types of this module: computed in the hub under operations.readExchange."""

MAX_FIRST = 100


@strawberry.type(description="One delivery run of an export to a connected system (投递记录)")
class ExchangeDelivery:
    id: strawberry.ID
    export_id: str = strawberry.field(description="The export (manifest.json's exportId)")
    target: str = strawberry.field(description="The connected system's code (targets.toml)")
    status: DeliveryStatus
    attempt: int = strawberry.field(description="The how-manieth run for this export")
    requests: int = strawberry.field(description="HTTP requests this run made, retries included")
    sent: list[str] = strawberry.field(description="Files sent, in order (manifest last)")
    acknowledged: list[str] = strawberry.field(description="Files the receiver acknowledged")
    why: str | None = strawberry.field(description="Why it failed (or a note)")
    at: datetime.datetime
    destination: str = strawberry.field(description="The directory or URL it went to")

    @classmethod
    def of(cls, entry: DeliveryResult) -> ExchangeDelivery:
        return cls(
            id=strawberry.ID(entry.id),
            export_id=entry.export_id,
            target=entry.target,
            status=entry.status,
            attempt=entry.attempt,
            requests=entry.requests,
            sent=list(entry.sent),
            acknowledged=list(entry.acknowledged),
            why=entry.why,
            at=entry.at,
            destination=entry.destination,
        )


@strawberry.type(description="Where one connected system stands (对接状态)")
class ExchangeTargetStatus:
    target: str
    name: str
    last_export: str | None
    last_export_at: datetime.datetime | None
    cursor: str | None = strawberry.field(description="How far its exports have gone")
    pending: int = strawberry.field(description="Exports not yet acknowledged")
    last_delivery_at: datetime.datetime | None
    last_delivery_status: DeliveryStatus | None
    failures: int = strawberry.field(description="Failed runs since the last acknowledged one")
    last_failure: str | None = strawberry.field(description="Why the latest failed run failed")


@strawberry.type
class ExchangeQuery:
    @strawberry.field(description="The delivery log, newest first, of one target or of all")
    async def exchange_deliveries(
        self, info: GraphInfo, target: str | None = None, first: int = 20
    ) -> list[ExchangeDelivery]:
        require(info, "readExchange")
        if not 1 <= first <= MAX_FIRST:
            raise InvalidArgument("first", f"must be between 1 and {MAX_FIRST}")
        entries = await delivery_log(info.context.db, target, first=first)
        info.context.audit_action("exchange_deliveries", subjects=set(), detail=target)
        return [ExchangeDelivery.of(entry) for entry in entries]

    @strawberry.field(description="Each connected system's last export, cursor and deliveries")
    async def exchange_status(self, info: GraphInfo) -> list[ExchangeTargetStatus]:
        require(info, "readExchange")
        # A broken targets file is the server's configuration error (masked, logged).
        targets = list(load_targets().targets.values())
        found = await exchange_status(info.context.db, targets)
        info.context.audit_action("exchange_status", subjects=set(), detail=None)
        return [
            ExchangeTargetStatus(
                target=s.target,
                name=s.name,
                last_export=s.last_export,
                last_export_at=s.last_export_at,
                cursor=s.cursor,
                pending=s.pending,
                last_delivery_at=s.last_delivery_at,
                last_delivery_status=s.last_delivery_status,
                failures=s.failures,
                last_failure=s.last_failure,
            )
            for s in found
        ]
