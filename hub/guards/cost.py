"""Non-standard rule: a static cost estimate per operation must stay under the limit.

Why: depth and alias limits still allow wide, multiplied work — fifteen aliased connections of
100 items each, every item expanding another list. Each field costs 1; a connection multiplies
what is below it by its page size (`first`, 20 by default, 100 at most, and 100 when given by a
variable — the worst case, since validation does not see variable values); a plain list
multiplies by 10. Not part of the GraphQL specification: labelled so.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from hub.guards.errors import guard_error

DEFAULT_PAGE = 20
MAX_PAGE = 100
LIST_FACTOR = 10


def max_cost_rule(limit: int) -> type[ValidationRule]:
    """The rule class for `limit`."""

    class MaxCost(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            cost = self._cost(root, node.selection_set, frozenset())
            if cost > limit:
                self.report_error(
                    guard_error(
                        "QUERY_TOO_COSTLY",
                        f"查询代价过高 (estimated cost {cost} exceeds the limit of {limit})",
                        node,
                    )
                )

        def _cost(
            self,
            parent: GraphQLObjectType,
            selection_set: SelectionSetNode | None,
            seen: frozenset[str],
        ) -> int:
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self._field_cost(parent, selection, seen)
                elif isinstance(selection, InlineFragmentNode):
                    total += self._cost(parent, selection.selection_set, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is not None and name not in seen:
                        total += self._cost(parent, fragment.selection_set, seen | {name})
            return total

        def _field_cost(
            self, parent: GraphQLObjectType, node: FieldNode, seen: frozenset[str]
        ) -> int:
            field = parent.fields.get(node.name.value)
            if field is None:
                return 1  # unknown fields are another rule's business
            gql_type: Any = field.type
            factor = 1
            while isinstance(gql_type, GraphQLNonNull | GraphQLList):
                if isinstance(gql_type, GraphQLList):
                    factor = LIST_FACTOR
                gql_type = gql_type.of_type
            if not isinstance(gql_type, GraphQLObjectType):
                return 1
            if _is_connection(gql_type):
                factor = _page_size(node)
            elif _is_connection(parent) and node.name.value == "edges":
                factor = 1  # the page size was counted on the connection itself
            return 1 + factor * self._cost(gql_type, node.selection_set, seen)

    return MaxCost


def _is_connection(gql_type: GraphQLObjectType) -> bool:
    return "edges" in gql_type.fields and "pageInfo" in gql_type.fields


def _page_size(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
    return DEFAULT_PAGE
