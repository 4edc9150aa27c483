"""Compile a GraphQL selection into the one Cypher query that answers it.

Every object type backed by the graph declares, per field, how that field is read from Neo4j (a
`FieldSpec` kept in the Strawberry field's metadata under `GRAPH`). A root resolver asks
`Projection.project` for the Cypher map expression of its selection: nested relationships
become ``COLLECT { … }`` / ``COUNT { … }`` subqueries inside that one expression, so a request
runs one query per root field however many entities it returns (no N+1), and only the fields
asked for are read. The values land in plain dicts keyed by response key (alias or name), and
`install_resolvers` gives every graph-backed field a resolver that just reads its key.

This is where need-to-share enforcement is compiled in (see authz/): a field that is never
projected never leaves the database.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLIncludeDirective,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLString,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
)
from graphql import (
    GraphQLResolveInfo as _ResolveInfo,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
)
from graphql.pyutils import Path as ResponsePath
from graphql.pyutils import gather_with_cancel
from neo4j.time import Date, DateTime
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from authz.enforcement import SUBJECT_TYPES, WITHHELD, Enforcer
from graph.lifecycle.base import china_today
from hub import compile_cache
from hub.compile_cache import (
    CACHE,
    Compiled,
    Effects,
    Notes,
    Opaque,
    Unkeyable,
    derived,
    keep,
    symbolised,
)
from hub.errors import InvalidArgument
from hub.identity_lru import MISSING, IdentityLru

Info = _ResolveInfo[Any]

GRAPH = "graph"
"""Metadata key under which a Strawberry field carries its `FieldSpec`."""

SUBJECT_KEY = "__s"
"""Key under which each Enterprise/Person projection carries its USCC or person key."""

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_CURSOR_OFFSET = 10**15
"""Largest offset a cursor may carry: beyond any list, far below Neo4j's 64-bit SKIP + LIMIT."""
_CANONICAL_OFFSET = re.compile(r"0|[1-9][0-9]{0,15}")
"""An offset as `encode_cursor` writes it: ASCII digits, no sign, no leading zero."""


class InvalidCursor(ValueError):
    """A pagination cursor that this API did not hand out."""

    def __init__(self) -> None:
        super().__init__(
            "分页游标 `after` 无效，请传入同一列表上一页的 endCursor 或 cursor (the `after` "
            "cursor is not valid: pass an endCursor or cursor from an earlier page of the same "
            "list)"
        )


# --------------------------------------------------------------------------------------
# Collected selections
# --------------------------------------------------------------------------------------
@dataclass
class Selection:
    """One response key of a selection set, with its field's coerced arguments."""

    key: str
    name: str
    field_def: GraphQLField
    args: dict[str, Any]
    nodes: list[FieldNode] = field(default_factory=list)
    path: str = ""


def _named_object_type(field_def: GraphQLField) -> GraphQLObjectType | None:
    gql_type: Any = field_def.type
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type if isinstance(gql_type, GraphQLObjectType) else None


def _node_type_name(field_def: GraphQLField) -> str | None:
    """The item type of a field: itself for lists, `edges.node` for connections."""
    object_type = _named_object_type(field_def)
    if object_type is None:
        return None
    edges = object_type.fields.get("edges")
    if edges is not None and "pageInfo" in object_type.fields:
        edge_type = _named_object_type(edges)
        node = edge_type.fields.get("node") if edge_type else None
        inner = _named_object_type(node) if node is not None else None
        return inner.name if inner else None
    return object_type.name


class Projection:
    """Builds Cypher for one root field of one request: fresh names, parameters, subfields."""

    def __init__(self, info: Info, enforcer: Enforcer | None = None) -> None:
        self.info = info
        self.enforcer = enforcer
        variables: Any = info.variable_values
        # Strawberry's executor hands resolvers the plain coerced dict; graphql-core's value
        # helpers expect their container.
        self.variables: VariableValues = (
            variables
            if isinstance(variables, VariableValues)
            else VariableValues(sources={}, coerced=dict(variables or {}))
        )
        self.params: dict[str, Any] = {}
        self._names = 0
        # Per subject being projected: the conditions bound once around its map (see `hoist`).
        self._hoisted: dict[str, dict[str, tuple[str, str]]] = {}
        self._depth = 0  # nested `project` calls: only a root field's own is kept

    # -- naming ----------------------------------------------------------------------------
    def param(self, value: Any) -> str:
        """Add a query parameter and return its `$name`."""
        self._names += 1
        name = f"p{self._names}"
        self.params[name] = value
        return f"${name}"

    def var(self, prefix: str = "n") -> str:
        """A Cypher variable name not used elsewhere in this query."""
        self._names += 1
        return f"{prefix}{self._names}"

    def hoist(self, subject: str, key: str, build: Callable[[], str]) -> str:
        """A per-subject condition (`authz.enforcement.Hoisting`), evaluated once per subject.

        While `subject`'s map is being compiled, the condition is bound to a variable around
        that map (``[v IN [condition] | {…}][0]``, Cypher's `let` inside an expression) and
        every field and row rule beneath reads the variable, instead of running the same
        EXISTS once per row.
        """
        bound = self._hoisted.get(subject)
        if bound is None:
            return build()
        if key not in bound:
            bound[key] = (self.var("held"), build())
        return bound[key][0]

    # -- selections ------------------------------------------------------------------------
    def root_selection(self) -> Selection:
        """The root field being resolved, as a `Selection`."""
        info = self.info
        field_def = info.parent_type.fields[info.field_name]
        node = info.field_nodes[0]
        args = get_argument_values(field_def, node, self.variables)
        key = str(info.path.key)
        return Selection(key, info.field_name, field_def, args, list(info.field_nodes), key)

    def subselections(self, parent: Selection) -> list[Selection]:
        """The fields selected under `parent`, merged by response key, honouring @skip/@include."""
        object_type = _named_object_type(parent.field_def)
        if object_type is None:
            return []
        merged: dict[str, Selection] = {}
        for node in parent.nodes:
            if node.selection_set is not None:
                self._collect(object_type, node.selection_set, merged, set())
        for sub in merged.values():
            sub.path = f"{parent.path}.{sub.key}"
        return list(merged.values())

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        into: dict[str, Selection],
        visited: set[str],
    ) -> None:
        variables = self.variables
        for node in selection_set.selections:
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                name = node.name.value
                if name.startswith("__"):
                    continue  # introspection fields are answered by graphql-core itself
                key = node.alias.value if node.alias else name
                if key in into:
                    into[key].nodes.append(node)
                    continue
                field_def = object_type.fields[name]
                args = _argument_values(field_def, node, variables)
                into[key] = Selection(key, name, field_def, args, [node])
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or condition.name.value == object_type.name:
                    self._collect(object_type, node.selection_set, into, visited)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.info.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                if fragment.type_condition.name.value == object_type.name:
                    visited.add(name)
                    self._collect(object_type, fragment.selection_set, into, visited)

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        variables = self.variables
        skip = get_directive_values(GraphQLSkipDirective, node, variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, variables)
        return not (include and include.get("if") is False)

    # -- projection ------------------------------------------------------------------------
    def project(self, selection: Selection, scope: Mapping[str, str]) -> str:
        """The Cypher map expression for `selection`'s subfields, reading from `scope`.

        With an enforcer, each field is first checked against the sharing catalogue: a
        denied field is not compiled at all, a conditional one is wrapped in its condition.
        A root field's projection, compiled first thing, is kept for the same document, consumer
        and day with its variables as parameters (hub/compile_cache.py).
        """
        if self._inside_a_compile:
            return self._compile(selection, scope)
        return self._kept(
            selection.nodes,
            selection.field_def,
            (selection.path, tuple(scope.items())),
            lambda: self._compile(selection, scope),
        )

    def kept(self, shape: Hashable, build: Callable[[], str]) -> str:
        """`build()`: a root resolver's own compile of its root field (a connection around the
        projection, say), kept as `project` keeps a projection, for the same document,
        consumer and day and the same `shape` (whatever else of the request its text depends
        on). Its variables may only be carried into parameters (`param`, or `derived` for a
        value computed from them); a build that looks at one is compiled afresh each time."""
        if self._inside_a_compile:
            return self._nested(build)
        info = self.info
        return self._kept(
            info.field_nodes,
            info.parent_type.fields[info.field_name],
            (str(info.path.key), shape),
            lambda: self._nested(build),
        )

    @property
    def _inside_a_compile(self) -> bool:
        # Only a root field's compile, started afresh, is kept; beneath it, or after this
        # projection has named or hoisted anything, the text is part of another's.
        return bool(self._depth or self._names or self._hoisted)

    def derived(self, function: Callable[[Any], Any], argument: Any) -> str:
        """A parameter holding `function(argument)`, where `argument` may hold variables' values:
        computed with each request's own when the compile is kept (`compile_cache.Derived`)."""
        return self.param(derived(function, argument))

    def _kept(
        self,
        nodes: Sequence[Any],
        field_def: GraphQLField,
        where: Hashable,
        build: Callable[[], str],
    ) -> str:
        try:
            symbols, shape = symbolised(self.variables.coerced)
        except Unkeyable:
            return build()
        enforcer = self.enforcer
        key = (
            tuple(id(node) for node in nodes),
            id(field_def),
            where,
            shape,
            china_today(),
            None
            if enforcer is None
            else (enforcer.consumer, id(enforcer.catalogue), enforcer.today),
        )
        found = CACHE.get(key)
        if found is False:
            found = self._keep(build, symbols, key, nodes)
        if found is None:
            return build()
        if compile_cache.VERIFY:
            text, effects = self._isolated(build)
            fresh = (text, self.params, self._names, effects)
            compile_cache.verify(found, self.variables.coerced, fresh)
            return text
        self.params.update(found.params_for(self.variables.coerced))
        self._names = found.names
        compile_cache.apply(found.effects, self.info.context)
        return found.text

    def _keep(
        self, build: Callable[[], str], symbols: dict[str, Any], key: Any, nodes: Sequence[Any]
    ) -> Compiled | None:
        """Run `build` with `symbols` for the string variables and keep the result under `key`.
        None if it cannot be kept: kept as None when the compile looked at a symbol, not kept
        when it failed otherwise (the real compile then fails the same way). Leaves this
        projection as it found it: no parameters, no names, the real variables."""
        real = self.variables
        self.variables = VariableValues(sources=real.sources, coerced=symbols)
        try:
            text, effects = self._isolated(build, apply=False)
        except Opaque:
            entry = None
        except Exception:  # not kept: the real compile raises it again, with the real values
            return None
        else:
            held = (*nodes, None if self.enforcer is None else self.enforcer.catalogue)
            entry = keep(self.params, text, self._names, effects, held)
        finally:
            self.variables = real
            self._reset()  # the parameters hold symbols
        CACHE.put(key, entry)
        return entry

    def _isolated(self, build: Callable[[], str], *, apply: bool = True) -> tuple[str, Effects]:
        """Run `build` with the audit notes gathered apart: what this compile adds, whatever the
        request noted before (a kept compile must carry all of it). Added to the request's
        notes if `apply`."""
        context = self.info.context
        enforcer = self.enforcer
        notes = Notes()
        kept = context.projected
        context.projected = notes.projected
        if enforcer is not None:
            outer = (enforcer.released, enforcer.withheld, enforcer.filtered)
            enforcer.released, enforcer.withheld, enforcer.filtered = (
                notes.released,
                notes.withheld_fields,
                notes.filtered,
            )
        try:
            text = build()
        finally:
            context.projected = kept
            if enforcer is not None:
                enforcer.released, enforcer.withheld, enforcer.filtered = outer
        effects = notes.effects()
        if apply:
            compile_cache.apply(effects, context)
        return text, effects

    def _reset(self) -> None:
        self.params = {}
        self._names = 0
        self._hoisted = {}

    def _nested(self, build: Callable[[], str]) -> str:
        # Beneath a root compile nothing is kept on its own: it is part of the root's text.
        self._depth += 1
        try:
            return build()
        finally:
            self._depth -= 1

    def _compile(self, selection: Selection, scope: Mapping[str, str]) -> str:
        return self._nested(lambda: self._project(selection, scope))

    def _project(self, selection: Selection, scope: Mapping[str, str]) -> str:
        object_type = _named_object_type(selection.field_def)
        type_name = object_type.name if object_type else ""
        entries = []
        opened: str | None = None
        if type_name in SUBJECT_TYPES:
            scope = {**scope, "subject": scope["node"]}
            if scope["node"] not in self._hoisted:
                opened = scope["node"]
                self._hoisted[opened] = {}
            # Who the request was about, for the audit: read back by `subjects_of`.
            key = "uscc" if type_name == "Enterprise" else "key"
            entries.append(f"`{SUBJECT_KEY}`: {scope['node']}.{key}")
        for sub in self.subselections(selection):
            spec = spec_of(sub.field_def)
            if spec is None:
                continue  # a field the graph does not back (e.g. computed in Python)
            if self.enforcer is None:
                value = spec.compile(self, scope, sub)
            else:
                decision = self.enforcer.decide(type_name, sub.name)
                compiled = (
                    spec.compile(self, scope, sub)
                    if decision.allowed or decision.conditional
                    else None
                )
                value = self.enforcer.guard(decision, compiled, scope, self)
                # Released in the audit only when a value of it leaves (noted by `read`).
                self.info.context.projected.add(decision.coordinate)
            entries.append(f"`{sub.key}`: {value}")
        value = "{" + ", ".join(entries) + "}"
        if opened is not None:
            for held, condition in reversed(self._hoisted.pop(opened).values()):
                value = f"[{held} IN [{condition}] | {value}][0]"
        return value

    def row_conditions(self, sel: Selection, scope: Mapping[str, str]) -> list[str]:
        """Extra WHERE conditions limiting the rows of `sel` to what the consumer may see."""
        if self.enforcer is None:
            return []
        type_name = _node_type_name(sel.field_def)
        if type_name is None:
            return []
        predicate = self.enforcer.row_predicate(type_name, scope, self, sel.path)
        return [] if predicate is None else [predicate]


def spec_of(field_def: GraphQLField) -> FieldSpec | None:
    """The `FieldSpec` a Strawberry field declared, if any."""
    known = _SPECS.get(id(field_def))
    if known is not None and known[0] is field_def:
        return known[1]
    definition = (field_def.extensions or {}).get("strawberry-definition")
    spec = definition.metadata.get(GRAPH) if definition and definition.metadata else None
    found = spec if isinstance(spec, FieldSpec) else None
    # Kept with the field itself, so that its id cannot be reused while the entry exists.
    _SPECS[id(field_def)] = (field_def, found)
    return found


_SPECS: dict[int, tuple[GraphQLField, FieldSpec | None]] = {}
"""`spec_of` per schema field (a schema has a bounded number of fields)."""

CACHED_ARGUMENTS = 4096
"""Field nodes whose literal arguments `_argument_values` keeps coerced."""

_ARGUMENTS: IdentityLru[dict[str, Any] | None] = IdentityLru(CACHED_ARGUMENTS)
"""Per (field node, field): its coerced literal arguments, or None when one names a variable."""


def _argument_values(
    field_def: GraphQLField, node: FieldNode, variables: VariableValues
) -> dict[str, Any]:
    """`get_argument_values`, remembered per field node when no argument names a variable.

    Strawberry keeps each parsed document, so a bank sending the credit check again sends the
    same nodes: their literal arguments and the schema's defaults coerce to the same values
    every time, and coercing defaults is most of the cost of collecting a selection.
    """
    if not field_def.args:
        return {}
    literal = _ARGUMENTS.get((node, field_def))
    if literal is not MISSING:
        return (
            dict(literal)
            if literal is not None
            else get_argument_values(field_def, node, variables)
        )
    args = get_argument_values(field_def, node, variables)
    named = any(_names_variable(arg.value) for arg in node.arguments or ())
    _ARGUMENTS.put((node, field_def), None if named else dict(args))
    return args


def _names_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_names_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_names_variable(item.value) for item in value.fields)
    return False


# --------------------------------------------------------------------------------------
# Field specs
# --------------------------------------------------------------------------------------
class FieldSpec:
    """How one GraphQL field is read from the graph. Subclasses compile to a Cypher expression."""

    transform: Callable[[Any], Any] | None = None

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        raise NotImplementedError

    def resolver(self, coordinate: str) -> Callable[..., Any]:
        """The graphql-core resolver for this field (`coordinate`, e.g. ``Record.title``):
        read the projected value by response key, noting whether it was withheld or left."""
        transform = self.transform

        def value_of(root: Mapping[str, Any], path: ResponsePath, context: Any) -> Any:
            value = root.get(str(path.key))
            if value.__class__ is dict and WITHHELD in value:
                context.note_withheld(path.as_list(), coordinate, value[WITHHELD])
                return None
            context.left.add(coordinate)
            value = _native(value)
            return value if transform is None or value is None else transform(value)

        return _resolver(value_of)


@dataclass(frozen=True)
class GraphLeaf:
    """A graph-backed field of a scalar or enum type: what `GraphExecutionContext` needs to
    complete it without graphql-core's per-field machinery."""

    coordinate: str
    transform: Callable[[Any], Any] | None
    leaf_type: GraphQLScalarType | GraphQLEnumType
    non_null: bool

    @cached_property
    def text_as_is(self) -> bool:
        """A String or ID field read as stored: a text value is served unchanged (what
        graphql-core's serializer would answer), without the call."""
        return self.transform is None and (
            self.leaf_type is GraphQLString or self.leaf_type is GraphQLID
        )


GRAPH_LEAF = "graph_leaf"
"""Attribute of a graph field's resolver holding its `GraphLeaf` (scalar and enum fields)."""

_SLOW = object()
"""`GraphExecutionContext._leaf`'s answer when graphql-core's own path must complete a field."""

GRAPH_VALUE = "graph_value"
"""Attribute of a graph field's resolver holding its `ValueOf`: the same read without a resolve
info, so that `GraphExecutionContext` can complete object and list fields in place."""

ValueOf = Callable[[Any, ResponsePath, Any], Any]
"""How a graph-backed field's value is read: (parent value, response path, request context)."""


def _resolver(value_of: ValueOf) -> Callable[..., Any]:
    """A graphql-core resolver reading through `value_of`, which it carries as `GRAPH_VALUE`."""

    def resolve(root: Any, info: Info, **_: Any) -> Any:
        return value_of(root, info.path, info.context)

    setattr(resolve, GRAPH_VALUE, value_of)
    return resolve


ObjectPlan = tuple[tuple[str, Any, GraphLeaf | None], ...]
"""How `GraphExecutionContext` completes one object selection (`_object_plan`): per response
key, its field details and its `GraphLeaf` (None when the field is not a graph leaf)."""

CACHED_PLANS = 4096
"""Object selections whose `ObjectPlan` is kept across requests."""

_SHARED_PLANS: IdentityLru[ObjectPlan] = IdentityLru(CACHED_PLANS)
"""Per (object type, the selection's field nodes): its plan, when no directive or fragment
argument in it can make it differ between requests (`_fixed_selection`). Strawberry keeps each
parsed document, so a bank sending the credit check again sends the same nodes."""

_GRAPHQL_EXECUTE_FIELD = StrawberryGraphQLCoreExecutionContext.execute_field
"""graphql-core's (through Strawberry's) own completion of one field."""


def _fixed_selection(field_details_list: Any, fragments: Mapping[str, Any]) -> bool:
    """Whether the subfields `collect_subfields` collects for `field_details_list` are the same
    whatever a request's variables: no @skip, @include or @defer (nor any other directive) on a
    selection it visits, no fragment with arguments, nothing deferred above it. The selection
    sets it visits are walked as it walks them: the fields' own, and the fragments' they spread
    (not the subfields' selection sets, which are planned on their own)."""
    pending: list[SelectionSetNode] = []
    for details in field_details_list:
        if details.defer_usage is not None or details.fragment_variable_values is not None:
            return False
        if details.node.selection_set is not None:
            pending.append(details.node.selection_set)
    spread: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if selection.directives:
                return False
            if isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in spread:
                    continue
                spread.add(name)
                if fragment.variable_signatures or fragment.definition.directives:
                    return False
                pending.append(fragment.definition.selection_set)
    return True


class GraphExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing graph-backed fields without graphql-core's
    per-field machinery.

    Most of a response's fields are read from the compiled result: for each of them
    graphql-core builds a resolve info, calls the resolver, checks for an awaitable and walks
    its completion chain — about a fifth of a credit check's CPU. Here a scalar or enum field is
    read and serialized in place, with the same effect as `FieldSpec.resolver` (noted as left);
    a withheld value, a null for a non-null field, a value the type refuses or a middleware
    takes graphql-core's own path, so errors and withheld notes are unchanged. An object or list
    field read from the graph (a projected map, a connection, its edges) is read through its
    `ValueOf` and completed by `_complete`, which follows graphql-core's completion rules and
    reports errors through graphql-core's own `handle_field_error`.
    """

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: ResponsePath,
        position_context: Any,
    ) -> Any:
        field_def = parent_type.fields.get(field_details_list[0].node.name.value)
        leaf: GraphLeaf | None = getattr(field_def.resolve, GRAPH_LEAF, None) if field_def else None
        plain = self._plain
        if leaf is None and plain and source.__class__ is dict and field_def is not None:
            value_of: ValueOf | None = getattr(field_def.resolve, GRAPH_VALUE, None)
            if value_of is not None:
                return self._read_and_complete(
                    value_of,
                    parent_type,
                    field_def,
                    source,
                    field_details_list,
                    path,
                    position_context,
                )
        if leaf is not None and plain and source.__class__ is dict:
            served = self._leaf(leaf, source.get(path.key))
            if served is not _SLOW:
                return served
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    @cached_property
    def _plain(self) -> bool:
        """No extension resolves fields (a middleware would have to see every field), so
        graph-backed fields may be completed in place; one answer for the whole execution."""
        middleware = self.middleware_manager
        return middleware is None or not middleware.middlewares

    def _leaf(self, leaf: GraphLeaf, value: Any) -> Any:
        """A scalar or enum field's value as served, or `_SLOW` when graphql-core must decide
        (a withheld value, a null for a non-null field, a value the type refuses)."""
        if value.__class__ is str and leaf.text_as_is:
            self.context_value.left.add(leaf.coordinate)
            return value
        if value is None:
            if leaf.non_null:
                return _SLOW
            # Served as null, not withheld: counted as left, as `FieldSpec.resolver` does (a
            # full report of records without provenance depends on it).
            self.context_value.left.add(leaf.coordinate)
            return None
        if value.__class__ is dict:  # a withheld marker
            return _SLOW
        value = _native(value)
        if leaf.transform is not None:
            value = leaf.transform(value)
        try:
            serialized = leaf.leaf_type.serialize(value)
        except Exception:  # graphql-core's own path reports it
            return _SLOW
        if serialized is None or serialized is Undefined:
            return _SLOW
        self.context_value.left.add(leaf.coordinate)
        return serialized

    def _complete_object(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: ResponsePath,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `collect_and_execute_subfields` and `execute_fields` for a map read
        from the graph, serving its plain scalar fields without a response path each (a path
        is made only for a field that needs one: an object, an error, a withheld value)."""
        plan = (
            None
            if position_context is not None
            else self._object_plan(return_type, field_details_list)
        )
        if plan is None:
            return self.collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        type_name = return_type.name
        results: dict[str, Any] = {}
        pending: list[str] = []
        try:
            for response_name, details, leaf in plan:
                if leaf is not None:
                    served = self._leaf(leaf, result.get(response_name))
                    if served is not _SLOW:
                        results[response_name] = served
                        continue
                # A leaf `_leaf` declined goes straight to graphql-core, not through it again.
                value = (
                    _GRAPHQL_EXECUTE_FIELD
                    if leaf is not None
                    else GraphExecutionContext.execute_field
                )(
                    self,
                    return_type,
                    result,
                    details,
                    ResponsePath(path, response_name, type_name),
                    position_context,
                )
                if value is Undefined:
                    continue
                results[response_name] = value
                if self.is_awaitable(value):
                    pending.append(response_name)
        except Exception:
            if pending:
                self.settle_in_background([results[name] for name in pending])
            raise
        if not pending:
            return results

        async def gathered() -> dict[str, Any]:
            values = await gather_with_cancel(*(results[name] for name in pending))
            results.update(zip(pending, values, strict=True))
            return results

        return gathered()

    def _object_plan(
        self, return_type: GraphQLObjectType, field_details_list: Any
    ) -> ObjectPlan | None:
        """For each response key of an object's selection: its field details and its
        `GraphLeaf` (None: not a graph leaf). Worked out once per selection
        and request (every item of a page shares one), memoized the way graphql-core memoizes
        `collect_subfields`, and across requests when nothing in it can vary (`_SHARED_PLANS`);
        None when graphql-core's own path must run (deferred fragments, a field middleware)."""
        key = (return_type, id(field_details_list))
        found = self._object_plans.get(key)
        if found is not None:
            return found[1]
        nodes = (return_type, *(details.node for details in field_details_list))
        shared = _SHARED_PLANS.get(nodes)
        plan: ObjectPlan | None
        if shared is MISSING:
            plan = self._new_plan(return_type, field_details_list)
            if plan is not None and _fixed_selection(field_details_list, self.fragments):
                _SHARED_PLANS.put(nodes, plan)
        else:
            plan = shared
        # The list is held with its plan, so that its id is not reused during the request.
        self._object_plans[key] = (field_details_list, plan)
        return plan

    def _new_plan(
        self, return_type: GraphQLObjectType, field_details_list: Any
    ) -> ObjectPlan | None:
        grouped, new_defer_usages, _ = self.collect_subfields(return_type, field_details_list)
        if new_defer_usages or not self._plain:
            return None
        fields = return_type.fields
        steps = []
        for response_name, details in grouped.items():
            field_def = fields.get(details[0].node.name.value)
            leaf = getattr(field_def.resolve, GRAPH_LEAF, None) if field_def else None
            steps.append((response_name, details, leaf))
        return tuple(steps)

    @cached_property
    def _object_plans(self) -> dict[tuple[Any, int], tuple[Any, ObjectPlan | None]]:
        return {}

    def _read_and_complete(
        self,
        value_of: ValueOf,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField,
        source: Any,
        field_details_list: Any,
        path: ResponsePath,
        position_context: Any,
    ) -> Any:
        # graphql-core's `execute_field` without the resolve info: an error nulls the field
        # (or its nearest nullable parent), located at this path.
        return_type = field_def.type
        try:
            value = value_of(source, path, self.context_value)
            completed = self._complete(
                return_type, field_details_list, path, value, position_context, parent_type
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._settle(completed, return_type, field_details_list, path)
        return completed

    async def _settle(
        self,
        completed: Any,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        path: ResponsePath,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _complete(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        path: ResponsePath,
        result: Any,
        position_context: Any,
        parent_type: GraphQLObjectType,
    ) -> Any:
        """graphql-core's `complete_value` for the types a graph field with a `ValueOf` can
        have: non-null, list, scalar, enum, object (`install_resolvers` gives none to a field
        of an interface or union, whose object type graphql-core finds out)."""
        if isinstance(return_type, GraphQLNonNull):
            completed = self._complete(
                return_type.of_type,
                field_details_list,
                path,
                result,
                position_context,
                parent_type,
            )
            if completed is None:
                name = field_details_list[0].node.name.value
                raise TypeError(
                    f"Cannot return null for non-nullable field {parent_type.name}.{name}."
                )
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            return self._complete_items(
                return_type.of_type,
                field_details_list,
                path,
                result,
                position_context,
                parent_type,
            )
        if isinstance(return_type, GraphQLObjectType):
            if result.__class__ is dict:
                return self._complete_object(
                    return_type, field_details_list, path, result, position_context
                )
            return self.collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        return self.complete_leaf_value(cast(GraphQLLeafType, return_type), result)

    def _complete_items(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        path: ResponsePath,
        result: Any,
        position_context: Any,
        parent_type: GraphQLObjectType,
    ) -> Any:
        # graphql-core's `complete_list_item_value`: an item's error nulls the item (or, for a
        # non-null item, the list), located at the item's path.
        completed: list[Any] = []
        pending: list[int] = []
        for index, item in enumerate(result):
            item_path = path.add_key(index, None)
            try:
                value = self._complete(
                    item_type, field_details_list, item_path, item, position_context, parent_type
                )
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                value = None
            else:
                if self.is_awaitable(value):
                    value = self._settle(value, item_type, field_details_list, item_path)
                    pending.append(index)
            completed.append(value)
        if not pending:
            return completed

        async def gathered() -> list[Any]:
            for index, value in zip(
                pending, await gather_with_cancel(*(completed[i] for i in pending)), strict=True
            ):
                completed[index] = value
            return completed

        return gathered()


def _match(
    p: Projection, scope: Mapping[str, str], sel: Selection, pattern: str, where: Where
) -> tuple[str, dict[str, str]]:
    """``MATCH <pattern> WHERE <argument filters AND row rules>`` with fresh variables."""
    target, rel = p.var("n"), p.var("r")
    inner_scope = _inner_scope(scope, target, rel)
    clause = "MATCH " + pattern.format(node=scope["node"], target=target, rel=rel)
    conditions = where(p, sel.args, inner_scope) + p.row_conditions(sel, inner_scope)
    if conditions:
        clause += " WHERE " + " AND ".join(conditions)
    return clause, inner_scope


def _inner_scope(scope: Mapping[str, str], target: str, rel: str | None) -> dict[str, str]:
    inner = {"node": target} if rel is None else {"node": target, "rel": rel}
    if "subject" in scope:
        inner["subject"] = scope["subject"]  # a record's subject is the entity it hangs from
    return inner


@dataclass
class Prop(FieldSpec):
    """A property of the node (or, with ``on="rel"``, of the relationship) in scope."""

    name: str
    on: str = "node"
    transform: Callable[[Any], Any] | None = None

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        return f"{scope[self.on]}.`{self.name}`"


@dataclass
class Expr(FieldSpec):
    """Any Cypher expression over the scope, written with {node}/{rel} placeholders; {today}
    is the Beijing date the request is judged on (a parameter: Cypher's date() is UTC)."""

    template: str
    transform: Callable[[Any], Any] | None = None

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        if "{today}" in self.template:
            today = p.enforcer.today if p.enforcer is not None else china_today()
            return self.template.format(**scope, today=p.param(today))
        return self.template.format(**scope)


@dataclass
class NodeAs(FieldSpec):
    """The node in scope itself, projected as another type (e.g. a role's person)."""

    label: str | None = None

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        inner = p.project(sel, scope)
        if self.label is None:
            return inner
        return f"CASE WHEN {scope['node']}:`{self.label}` THEN {inner} END"


Where = Callable[[Projection, Mapping[str, Any], Mapping[str, str]], list[str]]
"""Turns a field's arguments into WHERE conditions over the inner scope ({node}, {rel})."""


def _no_filters(p: Projection, args: Mapping[str, Any], scope: Mapping[str, str]) -> list[str]:
    return []


@dataclass
class Related(FieldSpec):
    """Nodes reached by a pattern: ``({node})…({target})``, optionally through ``[{rel}]``.

    `single` returns the first match or null; otherwise a list. `order` sorts (placeholders
    allowed); `distinct` collapses several paths to one target (then `{rel}` is not in scope).
    """

    pattern: str
    single: bool = False
    order: str | None = None
    where: Where = _no_filters
    distinct: bool = False
    limit: int | None = None

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        clause, inner_scope = _match(p, scope, sel, self.pattern, self.where)
        target = inner_scope["node"]
        if self.distinct:
            clause += f" WITH DISTINCT {target}"
        value = p.project(sel, inner_scope)
        tail = ""
        if self.order:
            tail += " ORDER BY " + self.order.format(**inner_scope)
        if self.single:
            tail += " LIMIT 1"
        elif self.limit is not None:
            tail += f" LIMIT {int(self.limit)}"
        subquery = f"COLLECT {{ {clause} RETURN {value}{tail} }}"
        return f"{subquery}[0]" if self.single else subquery


@dataclass
class Unwound(FieldSpec):
    """The nodes of a list held in scope, in order (e.g. the persons along a path)."""

    list_expr: str

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        target = p.var("n")
        value = p.project(sel, _inner_scope(scope, target, None))
        return f"COLLECT {{ UNWIND {self.list_expr.format(**scope)} AS {target} RETURN {value} }}"


@dataclass
class Paged(FieldSpec):
    """A relay connection over a pattern, paged by keyset cursors, filtered by arguments.

    `order` must be total over the targets (end it with a unique property): a cursor is the
    sort key of its row, and the next page starts strictly after it. So each target must be one
    row: `distinct` for a pattern that can reach one target by two paths (a person who is both
    subject and linked person of one entry). Only there: DISTINCT over a 12,568-member roll
    took its deep page from 81 to 199 ms (median of six), and a current membership is one.
    """

    pattern: str
    order: str
    where: Where = _no_filters
    distinct: bool = False

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        match, inner_scope = _match(p, scope, sel, self.pattern, self.where)
        target = inner_scope["node"]
        return connection_value(
            p,
            sel,
            target,
            scope=inner_scope,
            source=match,
            order=self.order.format(**inner_scope),
            distinct=self.distinct,
            bound=True,
        )


# --------------------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------------------
def encode_cursor(offset: int) -> str:
    """An opaque cursor for the item at `offset`."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset a cursor stands for; `InvalidCursor` for anything we did not issue.

    Only a cursor exactly as `encode_cursor` writes it is taken: base64 that decodes loosely
    (padding left off, stray characters), an offset written another way (``+3``, ``03``, the
    full-width ``３`` or Arabic-Indic ``٣`` that `int` also reads) and an offset beyond
    `MAX_CURSOR_OFFSET` (one that would overflow Neo4j's 64-bit SKIP) are the caller's mistake,
    answered as ``INVALID_CURSOR`` rather than run or failing inside the database.
    """
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeError):  # not base64, not ASCII, not UTF-8
        raise InvalidCursor() from None
    if kind != "offset" or not _CANONICAL_OFFSET.fullmatch(number):
        raise InvalidCursor()
    offset = int(number)
    if offset > MAX_CURSOR_OFFSET or encode_cursor(offset) != cursor:
        raise InvalidCursor()
    return offset


@dataclass(frozen=True)
class SortKey:
    """One part of a connection's ORDER BY: a Cypher expression over the row, and its way."""

    expression: str
    descending: bool


def sort_keys(order: str) -> tuple[SortKey, ...]:
    """The parts of an ORDER BY list (``"r.decisionDate DESC, r.uid"``), split at top-level
    commas; each may end in ``ASC`` or ``DESC``."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(order):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(order[start:index])
            start = index + 1
    parts.append(order[start:])
    keys = []
    for part in parts:
        words = part.strip().rsplit(None, 1)
        way = words[-1].upper() if len(words) == 2 else ""
        if way in ("ASC", "DESC"):
            keys.append(SortKey(words[0], way == "DESC"))
        else:
            keys.append(SortKey(part.strip(), False))
    return tuple(keys)


_CURSOR_VERSION = b"k1"
_NONCE_BYTES = 12
MAX_CURSOR_LENGTH = 2048
"""Longest `after` looked at: a keyset cursor holds a few short values (a name, a code)."""


@dataclass(frozen=True)
class CursorSeal:
    """Seals keyset cursors: encrypted and authenticated (AES-GCM), bound to their list.

    Encrypted, not only signed: a cursor holds its row's sort key, which may include a value the
    consumer is not shared (a record's 文号 in its id, a decision date), and base64 hides
    nothing. The nonce is derived from the content (as in SIV), so one row's cursor is the same
    string each time it is handed out (an edge's cursor equals the page's endCursor).
    """

    cipher: AESGCM
    nonce_key: bytes


@lru_cache(maxsize=4)
def cursor_seal(secret: bytes) -> CursorSeal:
    """The seal of the hub whose secret is `secret` (keys of their own, derived from it)."""

    def derive(purpose: bytes) -> bytes:
        return hmac.new(secret, b"credithub keyset cursor 1 " + purpose, hashlib.sha256).digest()

    return CursorSeal(AESGCM(derive(b"encrypt")), derive(b"nonce"))


def _tag_identity(sel: Selection) -> tuple[str, str, dict[str, Any]]:
    """What a cursor is bound to: the connection's type and field and its filter arguments
    (hashed by `_tag_of` into the list's tag).

    Not the parent: one `records(after:)` argument applies to every enterprise of a list, and a
    key of one enterprise's records is a valid place to continue in another's.
    """
    connection = _named_object_type(sel.field_def)
    # A filter given as null is the filter left out: the same list, the same tag.
    arguments = {k: v for k, v in sel.args.items() if k not in ("first", "after") and v is not None}
    return (connection.name if connection else "", sel.name, arguments)


def _tag_of(identity: tuple[str, str, dict[str, Any]]) -> bytes:
    text = json.dumps(
        list(identity),
        sort_keys=True,
        default=lambda value: getattr(value, "value", None) or str(value),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).digest()


def _tag_hex(identity: tuple[str, str, dict[str, Any]]) -> str:
    return _tag_of(identity).hex()


def _key_value(value: Any) -> list[Any]:
    """One sort-key value as ``[type, value]`` JSON can carry exactly."""
    if value is None:
        return ["n", None]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", value]
    if isinstance(value, Date | datetime.date):
        return ["d", value.isoformat()]
    raise TypeError(f"a sort key cannot be a {type(value).__name__}")


def _key_from(pair: Any) -> Any:
    kind, value = pair
    if kind == "d":
        return datetime.date.fromisoformat(value)
    return value


def encode_keyset_cursor(seal: CursorSeal, tag: bytes, values: Sequence[Any]) -> str:
    """The cursor of a row whose sort key is `values`, sealed for the list `tag`."""
    payload = json.dumps(
        [_key_value(value) for value in values], ensure_ascii=False, separators=(",", ":")
    ).encode()
    nonce = hmac.new(seal.nonce_key, tag + payload, hashlib.sha256).digest()[:_NONCE_BYTES]
    sealed = seal.cipher.encrypt(nonce, payload, tag)
    return base64.urlsafe_b64encode(_CURSOR_VERSION + nonce + sealed).decode()


def decode_keyset_cursor(cursor: str, seal: CursorSeal, tag: bytes, width: int) -> tuple[Any, ...]:
    """The sort key a cursor carries; `InvalidCursor` unless this hub sealed it for this list.

    An altered character, base64 written another way, a cursor of another list or other filter
    arguments, or one of another hub (another secret) fails before anything in it is read.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
    except (ValueError, UnicodeError):
        raise InvalidCursor() from None
    if base64.urlsafe_b64encode(raw).decode() != cursor or not raw.startswith(_CURSOR_VERSION):
        raise InvalidCursor()
    nonce_end = len(_CURSOR_VERSION) + _NONCE_BYTES
    try:
        payload = seal.cipher.decrypt(raw[len(_CURSOR_VERSION) : nonce_end], raw[nonce_end:], tag)
    except InvalidTag:
        raise InvalidCursor() from None
    values = json.loads(payload)
    if not isinstance(values, list) or len(values) != width:
        raise InvalidCursor()  # sealed by us for an order of another width (an older release)
    return tuple(_key_from(pair) for pair in values)


@dataclass(frozen=True)
class Window:
    """Which page a connection's arguments ask for."""

    size: int
    after: tuple[Any, ...] | None = None
    """The sort key of the row to continue after (a keyset cursor)."""
    offset: int = 0
    """Rows to skip: only for an offset cursor handed out before keyset cursors."""


def page_window(
    args: Mapping[str, Any], seal: CursorSeal, tag: Callable[[], bytes], width: int
) -> Window:
    """The page `first`/`after` ask for; a `first` outside 1…MAX_PAGE is refused. `tag` gives
    the list's tag (`_tag_of`), asked for only to open a keyset cursor.

    Refused, not clamped: a client asking for 0, -1 or 500 items and silently getting 1 or 100
    would page wrongly without knowing it (``INVALID_ARGUMENT`` names the range). An offset
    cursor (``offset:N``, what the hub handed out before keyset cursors) is still taken, exactly
    as it was written, and continues at that offset once; the page it returns carries keyset
    cursors.
    """
    first = args.get("first")
    if first is not None and not 1 <= int(first) <= MAX_PAGE:
        raise InvalidArgument(
            "first", f"每页条数须在 1 到 {MAX_PAGE} 之间 (must be between 1 and {MAX_PAGE})"
        )
    size = DEFAULT_PAGE if first is None else int(first)
    after = args.get("after")
    if not after:
        return Window(size)
    if _is_offset_cursor(after):
        return Window(size, offset=decode_cursor(after) + 1)
    return Window(size, after=decode_keyset_cursor(after, seal, tag(), width))


def _is_offset_cursor(cursor: str) -> bool:
    # "offset:" in base64 is "b2Zmc2V0O": a keyset cursor starts with "azE" ("k1").
    return cursor.startswith("b2Zmc2V0")


def keyset_after(p: Projection, keys: Sequence[SortKey], values: Sequence[Any]) -> str:
    """Cypher: the row comes strictly after the row whose sort key is `values`.

    Lexicographic over the keys, each compared the way ORDER BY sorts it: ascending puts nulls
    last, descending puts them first. A value known to be null is compared with IS NULL (a
    comparison with null is null, never true).
    """
    alternatives = []
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        expression = key.expression
        if value is None:
            later = f"{expression} IS NOT NULL" if key.descending else None
        elif key.descending:
            later = f"{expression} < {p.param(value)}"
        else:
            later = f"({expression} > {p.param(value)} OR {expression} IS NULL)"
        if later is not None:
            equal = [
                f"{k.expression} IS NULL" if v is None else f"{k.expression} = {p.param(v)}"
                for k, v in zip(keys[:index], values[:index], strict=True)
            ]
            alternatives.append("(" + " AND ".join([*equal, later]) + ")")
    if not alternatives:
        return "false"  # after the last possible key: nothing
    condition = " OR ".join(alternatives)
    first, value = keys[0], values[0]
    if first.descending and value is not None:
        # Implied by the alternatives; stated so the planner can seek a range of an index.
        condition = f"{first.expression} <= {p.param(value)} AND ({condition})"
    return condition


def connection_value(
    p: Projection,
    sel: Selection,
    target: str,
    *,
    source: str,
    order: str,
    scope: Mapping[str, str] | None = None,
    carry: str | None = None,
    distinct: bool = False,
    count: str | None = None,
    bound: bool = False,
) -> str:
    """The Cypher map a connection type's resolvers read.

    `source` is the clause listing the rows (``MATCH … WHERE …``, or a ``CALL`` and ``WITH``)
    binding `target` and whatever `carry` names (default: `target`); `order` is their ORDER BY,
    total (unique last key) so that it can be a keyset. The page is the rows after the cursor's
    key, ``ORDER BY … LIMIT first + 1`` (one more tells whether a next page exists): its cost
    does not grow with depth. ``totalCount`` is compiled only when selected: `count`, or a
    ``COUNT {}`` of the source; with `bound` (one node per row) on a first page (or an offset
    cursor's), the ordered matches are instead bound to a list once, counted and sliced — the
    pattern and its row rules run once rather than twice. After a cursor, filtering the whole
    bound list by key cost more than a second, keyset-limited run of the pattern
    (bench/paging.py --shapes: a 12,568-member roll at item 10,000, 89 and 330 ms bound against
    69 and 119 ms, two runs). Each item holds one projection per ``edges { node }`` response-key
    pair (so differently aliased edges stay independent) and its sort key under ``__k``.
    """
    keys = sort_keys(order)
    identity = _tag_identity(sel)
    window = page_window(
        sel.args, cursor_seal(p.info.context.person_secret), lambda: _tag_of(identity), len(keys)
    )
    carried = carry or target
    rows = f"WITH {'DISTINCT ' if distinct else ''}{carried}"
    previous = window.after is not None or window.offset > 0
    entries = [
        f"first: {window.size}",
        # Derived: hashing the filters (a search's text among them) leaves the compile keepable.
        f"tag: {p.derived(_tag_hex, identity)}",
        f"previous: {'true' if previous else 'false'}",
    ]
    counted = False
    item_entries = ["__k: [" + ", ".join(key.expression for key in keys) + "]"]
    for sub in p.subselections(sel):
        if sub.name == "totalCount":
            counted = True
        elif sub.name == "edges":
            for edge_field in p.subselections(sub):
                if edge_field.name == "node":
                    value = p.project(edge_field, {**(scope or {}), "node": target})
                    item_entries.append(f"`{sub.key}/{edge_field.key}`: {value}")
    item = "{" + ", ".join(item_entries) + "}"
    after = keyset_after(p, keys, window.after) if window.after is not None else None
    limit = p.param(window.size + 1)
    if bound and counted and window.after is None:
        hits = p.var("hits")
        listed = f"COLLECT {{ {source} {rows} ORDER BY {order} RETURN {target} }}"
        start = p.param(window.offset)
        page = f"{hits}[{start}..{start} + {limit}]"
        entries.append(f"totalCount: size({hits})")
        entries.append(f"items: [{target} IN {page} | {item}]")
        return f"[{hits} IN [{listed}] | {{{', '.join(entries)}}}][0]"
    if counted:
        total = count or (
            f"COUNT {{ {source} {rows} RETURN {carried} }}" if distinct else f"COUNT {{ {source} }}"
        )
        entries.append(f"totalCount: {total}")
    skip = f" SKIP {p.param(window.offset)}" if window.offset else ""
    # A WITH's WHERE filters after its ORDER BY … LIMIT: the keyset filter gets its own WITH.
    where = f" WHERE {after} WITH {carried}" if after else ""
    entries.append(
        f"items: COLLECT {{ {source} {rows}{where} ORDER BY {order}{skip} LIMIT {limit} "
        f"RETURN {item} }}"
    )
    return "{" + ", ".join(entries) + "}"


def subjects_of(data: Any, into: set[str] | None = None) -> set[str]:
    """The USCCs and person keys a compiled result is about (for the audit)."""
    found = set() if into is None else into
    # The driver's maps and lists are plain dicts and lists: exact class checks, and a stack
    # rather than a call per nested value (a page of members holds a few hundred of them).
    pending = [data]
    while pending:
        item = pending.pop()
        if item.__class__ is dict:
            subject = item.get(SUBJECT_KEY)
            if subject is not None:
                found.add(subject)
            values: Any = item.values()
        elif item.__class__ is list:
            values = item
        else:
            continue
        for value in values:
            kind = value.__class__
            if kind is dict or kind is list:
                pending.append(value)
    return found


def _connection_total(root: Mapping[str, Any], path: ResponsePath, context: Any) -> Any:
    return root.get("totalCount")


def _row_cursor(root: Mapping[str, Any], context: Any, item: Mapping[str, Any]) -> str:
    seal = cursor_seal(context.person_secret)
    return encode_keyset_cursor(seal, bytes.fromhex(root["tag"]), item["__k"])


def _connection_edges(
    root: Mapping[str, Any], path: ResponsePath, context: Any
) -> list[dict[str, Any]]:
    prefix = f"{path.key}/"
    edges = []
    for item in root["items"][: root["first"]]:
        edge = {k[len(prefix) :]: v for k, v in item.items() if k.startswith(prefix)}
        # Sealed only when the edge's cursor is asked for (a credit check's records are not).
        edge["__cursor"] = (root, item)
        edges.append(edge)
    return edges


class PageState:
    """The values of a connection's PageInfo; the cursors sealed only when asked for."""

    def __init__(self, root: Mapping[str, Any], context: Any) -> None:
        size, items = root["first"], root["items"]
        self._root, self._context, self._shown = root, context, items[:size]
        self.has_next_page: bool = len(items) > size
        # Forward paging only: a page after a cursor has at least that cursor's row before it.
        self.has_previous_page: bool = root["previous"]

    @property
    def start_cursor(self) -> str | None:
        """The first edge's cursor."""
        shown = self._shown
        return _row_cursor(self._root, self._context, shown[0]) if shown else None

    @property
    def end_cursor(self) -> str | None:
        """The last edge's cursor: where the next page starts after."""
        shown = self._shown
        return _row_cursor(self._root, self._context, shown[-1]) if shown else None


def _connection_page_info(root: Mapping[str, Any], path: ResponsePath, context: Any) -> PageState:
    return PageState(root, context)


def _edge_cursor(root: Mapping[str, Any], path: ResponsePath, context: Any) -> Any:
    connection, item = root["__cursor"]
    return _row_cursor(connection, context, item)


def _edge_node(root: Mapping[str, Any], path: ResponsePath, context: Any) -> Any:
    return root.get(str(path.key))


# --------------------------------------------------------------------------------------
# Resolvers
# --------------------------------------------------------------------------------------
def _native(value: Any) -> Any:
    kind = value.__class__
    if kind is str or kind is int or kind is bool or kind is float:
        return value  # most values: no isinstance checks
    if isinstance(value, Date | DateTime):
        return value.to_native()
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def install_resolvers(schema: GraphQLSchema, connection_types: Sequence[str]) -> None:
    """Give every graph-backed field a resolver that reads its projected value.

    Strawberry wraps each resolver for features we do not use on these fields; plain
    graphql-core resolvers reading a dict key keep the per-field cost to a lookup.
    """
    for gql_type in schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        if gql_type.name in connection_types:
            gql_type.fields["totalCount"].resolve = _resolver(_connection_total)
            gql_type.fields["edges"].resolve = _resolver(_connection_edges)
            gql_type.fields["pageInfo"].resolve = _resolver(_connection_page_info)
            continue
        if gql_type.name.endswith("Edge") and "cursor" in gql_type.fields:
            gql_type.fields["cursor"].resolve = _resolver(_edge_cursor)
            gql_type.fields["node"].resolve = _resolver(_edge_node)
            continue
        for field_name, field_def in gql_type.fields.items():
            spec = spec_of(field_def)
            if spec is not None:
                coordinate = f"{gql_type.name}.{field_name}"
                field_def.resolve = spec.resolver(coordinate)
                if is_abstract_type(get_named_type(field_def.type)):
                    # Which object type a value is, is graphql-core's to find out.
                    delattr(field_def.resolve, GRAPH_VALUE)
                non_null = isinstance(field_def.type, GraphQLNonNull)
                leaf_type = field_def.type.of_type if non_null else field_def.type
                if isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType):
                    leaf = GraphLeaf(coordinate, spec.transform, leaf_type, non_null)
                    setattr(field_def.resolve, GRAPH_LEAF, leaf)
