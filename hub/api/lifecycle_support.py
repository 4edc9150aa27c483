"""What the lifecycle APIs share: who is acting, for which organisation, and may they.

The sharing catalogue's `operations` entries say which kinds of organisation may perform an
operation for themselves (`kinds`) and which may name another organisation (`on_behalf`). The
rules inside a process (the department that made the finding decides …) are the lifecycle
modules' own (graph/lifecycle/), which refuse with a `LifecycleError` the caller sees as is.
"""

from __future__ import annotations

from authz.identity import Consumer
from graph.lifecycle.base import Actor
from hub.api.query import GraphInfo
from hub.errors import Forbidden, InvalidArgument


def actor_of(consumer: Consumer) -> Actor:
    """The lifecycle's view of a verified consumer."""
    return Actor(
        org_kind=consumer.org_kind.value, org_code=consumer.org_code, subject=consumer.subject
    )


def require(info: GraphInfo, operation: str) -> Actor:
    """The acting organisation, when the catalogue lets its kind perform `operation` at all."""
    consumer = info.context.consumer
    catalogue = info.context.catalogue
    if not (
        catalogue.may(consumer, operation) or catalogue.may(consumer, operation, on_behalf=True)
    ):
        raise Forbidden(
            f"{consumer.org_kind.label}不能执行此操作 (not allowed: "
            f"{catalogue.operation_citation(operation)})"
        )
    return actor_of(consumer)


def acting_for(info: GraphInfo, operation: str, named: str | None, argument: str) -> str:
    """The organisation an operation acts for: the caller's own, or `named` when the catalogue
    lets the caller's kind act on behalf of others (the credit office, an authorised agent)."""
    consumer = info.context.consumer
    catalogue = info.context.catalogue
    own = consumer.org_code
    if named is None or named.strip().upper() == own:
        if not catalogue.may(consumer, operation):
            raise Forbidden(
                f"{consumer.org_kind.label}不能执行此操作 (not allowed: "
                f"{catalogue.operation_citation(operation)})"
            )
        if own is None:
            raise InvalidArgument(argument, "name the organisation to act for")
        return own
    if not catalogue.may(consumer, operation, on_behalf=True):
        raise Forbidden(
            "只能以本单位名义操作 (you act for your own organisation only: "
            f"{catalogue.operation_citation(operation, on_behalf=True)})"
        )
    return named.strip().upper()
