"""What the lifecycle APIs share: who is acting, for which organisation, and may they.

Every permission is the one sharing policy's (authz/policy.py): the catalogue's `operations`
entries say which kinds of organisation may perform an operation for themselves (`kinds`),
which may name another organisation (`on_behalf`), and what relation to the subject each needs
(`subject`). The helpers here ask the policy and turn its decision into the hub's coded errors;
no resolver compares consumer kinds. The rules inside a process (the department that made the
finding decides …) are the lifecycle modules' own (graph/lifecycle/), which refuse with a
`LifecycleError` the caller sees as is.
"""

from __future__ import annotations

from typing import NoReturn

from authz import policy
from authz.identity import Consumer
from authz.policy import Decision, Subject
from graph.lifecycle.base import Actor
from hub.api.query import GraphInfo
from hub.errors import Forbidden, InvalidArgument


def actor_of(consumer: Consumer) -> Actor:
    """The lifecycle's view of a verified consumer."""
    return Actor(
        org_kind=consumer.org_kind.value, org_code=consumer.org_code, subject=consumer.subject
    )


def refuse(decision: Decision, words: str | None = None) -> NoReturn:
    """Raise the hub's FORBIDDEN error for a refusal, citing the catalogue."""
    reason = decision.reason.label if decision.reason else "不允许"
    raise Forbidden(f"{words or reason} (not allowed: {decision.citation})")


def permission(info: GraphInfo, operation: str, *, on_behalf: bool = False) -> Decision:
    """The policy's kind-level decision for the caller (no subject judged)."""
    context = info.context
    return policy.permit(context.catalogue, context.consumer, operation, on_behalf=on_behalf)


def require(info: GraphInfo, operation: str) -> Actor:
    """The acting organisation, when the catalogue lets its kind perform `operation` at all."""
    context = info.context
    decision = policy.permit_either(context.catalogue, context.consumer, operation)
    if not decision.allowed:
        refuse(decision, f"{context.consumer.org_kind.label}不能执行此操作")
    return actor_of(context.consumer)


async def decide(
    info: GraphInfo, operation: str, subject: Subject, *, on_behalf: bool = False
) -> Decision:
    """The policy's decision for the caller and one subject."""
    context = info.context
    return await policy.decide(
        context.db,
        context.catalogue,
        context.consumer,
        operation,
        subject,
        on_behalf=on_behalf,
        today=context.today(),
    )


async def require_subject(
    info: GraphInfo, operation: str, subject: Subject, words: str
) -> Decision:
    """The decision for `subject`, refused with `words` (and the citation) when not allowed."""
    decision = await decide(info, operation, subject)
    if not decision.allowed:
        refuse(decision, words)
    return decision


def acting_for(info: GraphInfo, operation: str, named: str | None, argument: str) -> str:
    """The organisation an operation acts for: the caller's own, or `named` when the catalogue
    lets the caller's kind act on behalf of others (the credit office, an authorised agent)."""
    consumer = info.context.consumer
    own = consumer.org_code
    if named is None or named.strip().upper() == own:
        decision = permission(info, operation)
        if not decision.allowed:
            refuse(decision, f"{consumer.org_kind.label}不能执行此操作")
        if own is None:
            raise InvalidArgument(argument, "name the organisation to act for")
        return own
    decision = permission(info, operation, on_behalf=True)
    if not decision.allowed:
        refuse(decision, "只能以本单位名义操作 (you act for your own organisation only)")
    return named.strip().upper()
