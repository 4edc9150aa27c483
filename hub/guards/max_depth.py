"""Rule: no selection deeper than the configured depth.

Why: each level of a credit-network query is a graph traversal; unbounded nesting (a legal
representative's companies' representatives' companies …) turns one request into a crawl.
Fragments are followed (once each, so a fragment cycle cannot loop; graphql-core's
NoFragmentCycles rule reports the cycle itself).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from hub.guards.errors import guard_error


def max_depth_rule(limit: int) -> type[ValidationRule]:
    """The rule class for `limit`."""

    class MaxDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments: dict[str, FragmentDefinitionNode] = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            depth = self._depth(node.selection_set, 0, frozenset())
            if depth > limit:
                self.report_error(
                    guard_error(
                        "QUERY_TOO_DEEP",
                        f"查询嵌套过深 (query depth {depth} exceeds the limit of {limit})",
                        node,
                    )
                )

        def _depth(
            self, selection_set: SelectionSetNode | None, depth: int, seen: frozenset[str]
        ) -> int:
            if selection_set is None:
                return depth
            deepest = depth
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    if selection.selection_set is not None:
                        deepest = max(
                            deepest, self._depth(selection.selection_set, depth + 1, seen)
                        )
                    else:
                        deepest = max(deepest, depth + 1)
                elif isinstance(selection, InlineFragmentNode):
                    deepest = max(deepest, self._depth(selection.selection_set, depth, seen))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is not None and name not in seen:
                        deepest = max(
                            deepest, self._depth(fragment.selection_set, depth, seen | {name})
                        )
            return deepest

    return MaxDepth
