"""Non-standard rule (not in the GraphQL specification): no introspection for the public."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, ValidationRule

from hub.guards.base import guard_error


class NoIntrospectionRule(ValidationRule):
    """Refuses `__schema` and `__type` (INTROSPECTION_DISABLED).

    Non-standard, and applied only in production to requests from the public (no token):
    hub/guards/validation.py adds it per request, since who is asking is not something a
    graphql-core `ValidationContext` knows. Why: the disclosure site needs no schema, and an
    anonymous caller mapping every type and field (those withheld from it included) is
    reconnaissance. Authenticated consumers keep introspection for their tools. `__typename`
    stays allowed: clients use it to read unions, and it reveals nothing.
    """

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in ("__schema", "__type"):
            self.report_error(
                guard_error(
                    "INTROSPECTION_DISABLED",
                    f"不向公众提供模式查询 (introspection: `{node.name.value}` is not "
                    "available without a token)",
                    node,
                )
            )
