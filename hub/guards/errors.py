"""The error every guard rail reports: a GraphQL error with a stable code."""

from __future__ import annotations

from graphql import GraphQLError, Node


def guard_error(code: str, message: str, node: Node | None = None) -> GraphQLError:
    """A validation error naming the limit and what was found, with `extensions.code`."""
    return GraphQLError(message, node, extensions={"code": code})
