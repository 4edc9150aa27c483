"""查询留痕: one tamper-evident audit entry per executed request, written as it completes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from neo4j.exceptions import DriverError, Neo4jError
from strawberry.extensions import SchemaExtension

from authz.audit import AuditEvent, append
from hub.api.query import RequestContext

log = logging.getLogger("credithub.audit")


class AuditTrail(SchemaExtension):
    """Appends who asked, about whom, and what was released or withheld, to the audit chain.

    The facts come from the compiler (fields released and withheld as the query was built,
    the subjects the compiled query returned) and from the response (values withheld per row),
    not from sampling. Requests that fail validation ran nothing and are not entries.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            return
        withheld = {(".".join(map(str, w["path"])), w["reason"]) for w in context.withheld}
        withheld |= {(field, reason) for field, reason in context.withheld_fields}
        event = AuditEvent(
            request_id=context.request_id,
            consumer=context.consumer,
            action=context.action,
            subjects=tuple(sorted(context.subjects)),
            released=tuple(sorted(context.released)),
            withheld=tuple(sorted(withheld)),
            operation=self.execution_context.operation_name,
            detail=context.detail,
        )
        try:
            if context.audit is not None:
                await context.audit.submit(event)
            else:
                await append(context.db, event)
        except (DriverError, Neo4jError, OSError) as error:
            # The answer is already computed; an unreachable database cannot record it, and
            # the request itself failed the same way. Say so loudly for the operators.
            log.error(
                "audit entry for request %s not written: %s",
                context.request_id,
                type(error).__name__,
            )
