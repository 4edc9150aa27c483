"""查询留痕: one tamper-evident audit entry per executed request, written as it completes.

No data leaves without its entry: when the completion entry cannot be made durable, the
request is answered with DATABASE_UNAVAILABLE and no data, whatever it had computed.

A mutation request gets one more entry, written before it runs: `MUTATION_BEGUN`. Its changes
commit in their own transactions, after that entry, so a change never exists without an entry
for it — even when the process is killed between the change and the completion entry. Then the
begun entry stands alone, and `authz.audit.verify` names the request as unfinished.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from neo4j.exceptions import DriverError, Neo4jError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from authz.audit import MUTATION_BEGUN, AuditEvent, append
from hub.api.query import RequestContext
from hub.errors import DatabaseUnavailable

log = logging.getLogger("credithub.audit")


class AuditTrail(SchemaExtension):
    """Appends who asked, about whom, and what was released or withheld, to the audit chain.

    The facts come from the compiler (fields released and withheld as the query was built,
    the subjects the compiled query returned) and from the response (values withheld per row),
    not from sampling. Requests that fail validation ran nothing and are not entries.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            yield
            return
        if self.execution_context.operation_type is OperationType.MUTATION:
            begun = AuditEvent(
                request_id=context.request_id,
                consumer=context.consumer,
                action=MUTATION_BEGUN,
                operation=self.execution_context.operation_name,
                detail=",".join(self._mutation_fields()) or None,
            )
            try:
                await self._submit(context, begun)
            except (DriverError, Neo4jError, OSError) as error:
                # No entry, no change: the mutation is not run at all.
                log.error(
                    "mutation %s refused: its audit entry could not be written: %s",
                    context.request_id,
                    type(error).__name__,
                )
                unavailable = DatabaseUnavailable()
                self.execution_context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            str(unavailable),
                            original_error=unavailable,
                            extensions={"code": unavailable.code},
                        )
                    ],
                )
                yield
                return
        yield
        withheld = {(".".join(map(str, w["path"])), w["reason"]) for w in context.withheld}
        withheld |= {(field, reason) for field, reason in context.withheld_fields}
        event = AuditEvent(
            request_id=context.request_id,
            consumer=context.consumer,
            action=context.action,
            subjects=tuple(sorted(context.subjects)),
            released=tuple(sorted(context.released_fields())),
            withheld=tuple(sorted(withheld)),
            operation=self.execution_context.operation_name,
            detail=context.detail,
        )
        try:
            await self._submit(context, event)
        except (DriverError, Neo4jError, OSError) as error:
            # The answer is computed but has no durable entry: it must not leave. Raising here
            # makes Strawberry answer with this error and no data at all (nothing is released).
            log.error(
                "request %s answered without its data: its audit entry could not be written: %s",
                context.request_id,
                type(error).__name__,
            )
            unavailable = DatabaseUnavailable()
            raise GraphQLError(
                str(unavailable), original_error=unavailable, extensions={"code": unavailable.code}
            ) from error

    @staticmethod
    async def _submit(context: RequestContext, event: AuditEvent) -> None:
        if context.audit is not None:
            await context.audit.submit(event)
        else:
            await append(context.db, event)

    def _mutation_fields(self) -> list[str]:
        """The top-level fields the mutation asks for (what it is about to do)."""
        document = self.execution_context.graphql_document
        if document is None:
            return []
        name = self.execution_context.operation_name
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name and definition.name.value == name)
            ):
                return [
                    selection.name.value
                    for selection in definition.selection_set.selections
                    if isinstance(selection, FieldNode)
                ]
        return []
