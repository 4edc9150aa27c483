"""Non-standard rule: in production, the public may not introspect the schema.

Why: the disclosure site needs no schema; anonymous callers mapping every field (even withheld
ones) is reconnaissance. Authenticated consumers keep introspection for their tools. Applied per
request, because it depends on who is asking.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, ValidationRule
from strawberry.extensions import SchemaExtension

from authz.identity import Consumer
from hub.guards.errors import guard_error


class NoPublicIntrospection(ValidationRule):
    """Refuses `__schema` and `__type`."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in ("__schema", "__type"):
            self.report_error(
                guard_error(
                    "INTROSPECTION_DISABLED",
                    "公众不提供模式查询 (introspection is not available without a token)",
                    node,
                )
            )


class PublicIntrospectionOff(SchemaExtension):
    """Adds `NoPublicIntrospection` to the validation of requests from the public."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        consumer = getattr(context, "consumer", None)
        if isinstance(consumer, Consumer) and consumer.is_public:
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, NoPublicIntrospection)
        yield
