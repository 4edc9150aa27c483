"""Rule: at most the configured number of aliased fields in a document.

Why: aliases let one request repeat an expensive field many times (an "alias bomb"); a bank's
credit check needs a handful at most.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, FieldNode, ValidationRule

from hub.guards.errors import guard_error


def max_aliases_rule(limit: int) -> type[ValidationRule]:
    """The rule class for `limit`."""

    class MaxAliases(ValidationRule):
        count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1

        def leave_document(self, node: DocumentNode, *_: Any) -> None:
            if self.count > limit:
                self.report_error(
                    guard_error(
                        "TOO_MANY_ALIASES",
                        f"别名过多 ({self.count} aliased fields exceed the limit of {limit})",
                        node,
                    )
                )

    return MaxAliases
