"""What the guard rules share: a limit set per application, and errors with codes."""

from __future__ import annotations

from typing import ClassVar, Self, cast

from graphql import GraphQLError, Node, ValidationRule


class LimitRule(ValidationRule):
    """A validation rule holding a limit.

    graphql-core instantiates a rule class once per document it validates, so the limit is a
    class attribute and `with_limit` makes a subclass per configured value.
    """

    limit: ClassVar[int]

    @classmethod
    def with_limit(cls, limit: int) -> type[Self]:
        """This rule with `limit` (a subclass, named after the rule for error logs)."""
        return cast("type[Self]", type(cls.__name__, (cls,), {"limit": limit}))


def guard_error(code: str, message: str, node: Node | None = None) -> GraphQLError:
    """A request error with `extensions.code`.

    It has no `original_error`, like graphql-core's own validation errors, so the masking
    extension (hub/api/schema.py) passes it to the client unchanged.
    """
    return GraphQLError(message, node, extensions={"code": code})
