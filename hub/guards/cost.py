"""Non-standard rule (not in the GraphQL specification): a static cost estimate per operation."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from hub.guards.base import LimitRule, guard_error

DEFAULT_PAGE = 20
"""Page size of a paged field whose `first` has no default in the schema."""
MAX_PAGE = 100
"""Largest page counted; also the page size assumed for `first: $variable`."""
LIST_FACTOR = 10
"""Items assumed for a plain list field without `first`."""

Fields = GraphQLObjectType | GraphQLInterfaceType
"""The types that have fields of their own."""


class MaxCostRule(LimitRule):
    """Refuses an operation whose estimated cost exceeds `limit` (QUERY_TOO_COSTLY).

    Non-standard: the GraphQL specification has no cost analysis; this is the hub's own
    estimate. Why: depth and alias limits still allow wide, multiplied work — fifteen aliased
    searches of 100 enterprises, each listing 100 records — that no single-level limit sees.

    Every field costs 1. A field with a `first` argument multiplies what is selected below it
    by its page size: the literal value, else the schema's default for `first`, else 20, at
    most 100; a variable counts 100, since validation runs before (and is cached regardless
    of) the variables' values. A connection's `edges`/`nodes` below it do not multiply again.
    Any other list multiplies by 10. Fragments cost what they select wherever they are spread;
    each fragment's cost is computed once, and a cycle adds nothing (NoFragmentCyclesRule
    reports it). `__schema` and `__type` read the schema, not the graph, and cost 1.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.fragment_costs: dict[str, int] = {}
        self.computing: set[str] = set()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        root = self.context.schema.get_root_type(node.operation)
        if root is None:
            return  # no such root type: graphql-core reports the operation itself
        cost = self._cost(root, node.selection_set)
        if cost > self.limit:
            self.report_error(
                guard_error(
                    "QUERY_TOO_COSTLY",
                    f"查询代价过高 (estimated cost {cost} exceeds the limit of {self.limit})",
                    node,
                )
            )

    def _cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                total += self._cost(self._condition(selection, parent), selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value, parent)
        return total

    def _field_cost(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        name = node.name.value
        field = parent.fields.get(name) if isinstance(parent, Fields) else None
        if field is None:
            # __typename, __schema and __type (graphql-core keeps them out of `fields`), or
            # a field the type lacks (FieldsOnCorrectTypeRule reports that).
            return 1
        below = self._cost(get_named_type(field.type), node.selection_set)
        return 1 + _multiplier(parent, name, field, node) * below

    def _fragment_cost(self, name: str, parent: GraphQLNamedType) -> int:
        if name in self.fragment_costs:
            return self.fragment_costs[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.computing:
            return 0  # unknown (KnownFragmentNamesRule reports it) or a cycle
        self.computing.add(name)
        cost = self._cost(self._condition(fragment, parent), fragment.selection_set)
        self.computing.discard(name)
        self.fragment_costs[name] = cost
        return cost

    def _condition(
        self, fragment: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLNamedType
    ) -> GraphQLNamedType:
        condition = fragment.type_condition
        named = self.context.schema.get_type(condition.name.value) if condition else None
        return named or parent


def _is_connection(gql_type: GraphQLNamedType) -> bool:
    return isinstance(gql_type, Fields) and {"edges", "pageInfo"} <= gql_type.fields.keys()


def _multiplier(parent: GraphQLNamedType, name: str, field: GraphQLField, node: FieldNode) -> int:
    if "first" in field.args:
        return _page_size(field, node)
    if _is_connection(parent) and name in ("edges", "nodes"):
        return 1  # the page size was counted on the connection field itself
    if is_list_type(get_nullable_type(field.type)):
        return LIST_FACTOR
    return 1


def _page_size(field: GraphQLField, node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(0, min(int(argument.value.value), MAX_PAGE))
        if isinstance(argument.value, VariableNode):
            return MAX_PAGE
    default = field.args["first"].default_value
    return min(default, MAX_PAGE) if isinstance(default, int) else DEFAULT_PAGE
