"""Non-standard rule (not in the GraphQL specification): subscriptions need a streaming request."""

from __future__ import annotations

from typing import Any

from graphql import OperationDefinitionNode, OperationType, ValidationRule

from hub.guards.base import guard_error


class StreamingSubscriptionRule(ValidationRule):
    """Refuses a subscription sent as a plain request (SUBSCRIPTION_NEEDS_STREAM).

    Non-standard, and added per request by hub/guards/validation.py when the client did not
    accept a multipart stream, since the transport is not something a graphql-core
    `ValidationContext` knows. Why: executed as a query, a subscription field can only answer
    null, which would reach the caller as a masked internal error; this says what to send.
    """

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation is OperationType.SUBSCRIPTION:
            self.report_error(
                guard_error(
                    "SUBSCRIPTION_NEEDS_STREAM",
                    "订阅须以流式请求发送 (send subscriptions with the header "
                    'Accept: multipart/mixed;subscriptionSpec="1.0")',
                    node,
                )
            )
