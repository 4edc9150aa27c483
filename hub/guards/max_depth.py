"""Rule: no operation nests its selections deeper than the limit."""

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
)

from hub.guards.base import LimitRule, guard_error

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class MaxDepthRule(LimitRule):
    """Refuses an operation whose selections nest deeper than `limit` (QUERY_TOO_DEEP).

    Why: every level of a credit-network query is another hop in the graph; unbounded nesting
    (a legal representative's enterprises' representatives' enterprises …) turns one request
    into a crawl of the network.

    Depth counts fields level by level, leaves included: ``{ enterprise { uscc } }`` is 2.
    Fragments count where they are spread. Each fragment's depth is computed once, so spreading
    fragments many times cannot multiply the work, and a fragment met again while its own depth
    is being computed counts 0, so a cycle ends here and graphql-core's NoFragmentCyclesRule
    reports it. `__schema` and `__type` are not followed: they read the schema, not the graph,
    and GraphiQL's introspection query nests deeper than any credit check.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.fragment_depths: dict[str, int] = {}
        self.computing: set[str] = set()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = self._depth(node.selection_set)
        if depth > self.limit:
            self.report_error(
                guard_error(
                    "QUERY_TOO_DEEP",
                    f"查询嵌套过深 (query depth {depth} exceeds the limit of {self.limit})",
                    node,
                )
            )

    def _depth(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_ROOTS:
                    continue
                depth = 1 + self._depth(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                depth = self._depth(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                depth = self._fragment_depth(selection.name.value)
            else:
                continue
            deepest = max(deepest, depth)
        return deepest

    def _fragment_depth(self, name: str) -> int:
        if name in self.fragment_depths:
            return self.fragment_depths[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.computing:
            return 0  # unknown (KnownFragmentNamesRule reports it) or a cycle
        self.computing.add(name)
        depth = self._depth(fragment.selection_set)
        self.computing.discard(name)
        self.fragment_depths[name] = depth
        return depth
