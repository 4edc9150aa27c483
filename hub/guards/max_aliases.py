"""Rule: a document holds at most the limit of aliased fields."""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, FieldNode, ValidationContext

from hub.guards.base import LimitRule, guard_error


class MaxAliasesRule(LimitRule):
    """Refuses a document with more than `limit` aliased fields (TOO_MANY_ALIASES).

    Why: aliases let one request repeat an expensive field under many names (an "alias bomb"),
    each a separate query of the graph; a bank's credit check needs a handful at most. Counted
    over the whole document as written, fragments included; how often a fragment is spread is
    the cost rule's business.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.count += 1

    def leave_document(self, node: DocumentNode, *_: Any) -> None:
        if self.count > self.limit:
            self.report_error(
                guard_error(
                    "TOO_MANY_ALIASES",
                    f"别名过多 ({self.count} aliased fields exceed the limit of {self.limit})",
                    node,
                )
            )
