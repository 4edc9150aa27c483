"""Who counts as the public for the production-only guards."""

from __future__ import annotations

from authz.identity import Consumer


def is_public(context: object) -> bool:
    """True unless the request's context names an authenticated consumer.

    Fails closed: a context without a `Consumer` (a script calling the schema directly, say)
    is treated as the public.
    """
    consumer = getattr(context, "consumer", None)
    return not isinstance(consumer, Consumer) or consumer.is_public
