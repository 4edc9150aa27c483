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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
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
from neo4j.time import Date, DateTime
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from authz.enforcement import SUBJECT_TYPES, WITHHELD, Enforcer
from graph.lifecycle.base import china_today
from hub.errors import InvalidArgument

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
                args = get_argument_values(field_def, node, variables)
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
        """
        object_type = _named_object_type(selection.field_def)
        type_name = object_type.name if object_type else ""
        entries = []
        if type_name in SUBJECT_TYPES:
            scope = {**scope, "subject": scope["node"]}
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
        return "{" + ", ".join(entries) + "}"

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
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if definition is None:
        return None
    spec = definition.metadata.get(GRAPH) if definition.metadata else None
    return spec if isinstance(spec, FieldSpec) else None


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

        def read(root: Mapping[str, Any], info: Info, **_: Any) -> Any:
            value = root.get(str(info.path.key))
            if value.__class__ is dict and WITHHELD in value:
                info.context.note_withheld(info.path.as_list(), coordinate, value[WITHHELD])
                return None
            info.context.left.add(coordinate)
            value = _native(value)
            return value if transform is None or value is None else transform(value)

        return read


@dataclass(frozen=True)
class GraphLeaf:
    """A graph-backed field of a scalar or enum type: what `GraphExecutionContext` needs to
    complete it without graphql-core's per-field machinery."""

    coordinate: str
    transform: Callable[[Any], Any] | None
    leaf_type: GraphQLScalarType | GraphQLEnumType
    non_null: bool


GRAPH_LEAF = "graph_leaf"
"""Attribute of a graph field's resolver holding its `GraphLeaf` (scalar and enum fields)."""


class GraphExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain graph-backed leaf fields directly.

    Most of a response's fields are scalars read from the compiled result: for each of them
    graphql-core builds a resolve info, calls the resolver, checks for an awaitable and
    completes the leaf — about a fifth of a credit check's CPU. Here such a field is read and
    serialized in place, with the same effect as `FieldSpec.resolver` (noted as left). Anything
    else — a withheld value, a null for a non-null field, a value the type refuses, a
    middleware — takes graphql-core's own path, so errors and withheld notes are unchanged.
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
        middleware = self.middleware_manager
        plain = middleware is None or not middleware.middlewares  # no extension resolves fields
        if leaf is not None and plain and source.__class__ is dict:
            value = source.get(path.key)
            if value is None:
                if not leaf.non_null:
                    # Served as null, not withheld: counted as left, as `FieldSpec.resolver`
                    # does (a full report of records without provenance depends on it).
                    self.context_value.left.add(leaf.coordinate)
                    return None
            elif value.__class__ is not dict:  # a dict is a withheld marker
                value = _native(value)
                if leaf.transform is not None:
                    value = leaf.transform(value)
                try:
                    serialized = leaf.leaf_type.serialize(value)
                except Exception:  # graphql-core's own path reports it
                    serialized = None
                if serialized is not None and serialized is not Undefined:
                    self.context_value.left.add(leaf.coordinate)
                    return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


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
    """A relay connection over a pattern, paged by offset cursors, filtered by arguments."""

    pattern: str
    order: str
    where: Where = _no_filters

    def compile(self, p: Projection, scope: Mapping[str, str], sel: Selection) -> str:
        match, inner_scope = _match(p, scope, sel, self.pattern, self.where)
        target = inner_scope["node"]
        order = self.order.format(**inner_scope)
        # The pattern, its filters and the row rules run once: the ordered matches are bound to
        # a list (a one-element list comprehension is Cypher's `let` inside an expression),
        # counted, and only the page is projected.
        hits = p.var("hits")
        return connection_value(
            p,
            sel,
            target,
            scope=inner_scope,
            count=f"size({hits})",
            rows=lambda page, item: f"[{target} IN {hits}{page} | {item}]",
            bind=(hits, f"COLLECT {{ {match} WITH {target} ORDER BY {order} RETURN {target} }}"),
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


def page_window(args: Mapping[str, Any]) -> tuple[int, int]:
    """(offset, size) from `first`/`after`; a `first` outside 1…MAX_PAGE is refused.

    Refused, not clamped: a client asking for 0, -1 or 500 items and silently getting 1 or 100
    would page wrongly without knowing it (``INVALID_ARGUMENT`` names the range).
    """
    first = args.get("first")
    if first is not None and not 1 <= int(first) <= MAX_PAGE:
        raise InvalidArgument(
            "first", f"每页条数须在 1 到 {MAX_PAGE} 之间 (must be between 1 and {MAX_PAGE})"
        )
    size = DEFAULT_PAGE if first is None else int(first)
    after = args.get("after")
    offset = decode_cursor(after) + 1 if after else 0
    return offset, size


def connection_value(
    p: Projection,
    sel: Selection,
    target: str,
    *,
    scope: Mapping[str, str] | None = None,
    count: str,
    rows: Callable[[str, str], str],
    bind: tuple[str, str] | None = None,
) -> str:
    """The Cypher map a connection type's resolvers read.

    `count` is the expression for ``totalCount``; `rows(page, item_map)` returns the
    expression listing the page's items in order, where `page` is a ``SKIP … LIMIT …`` clause,
    or with `bind` — a variable and the list expression it stands for, evaluated once — a
    list slice ``[from..to]``. Each item holds one projection per ``edges { node }``
    response-key pair, so differently aliased edges stay independent.
    """
    offset, size = page_window(sel.args)
    entries = [f"offset: {offset}", f"first: {size}"]
    item_entries: list[str] = []
    for sub in p.subselections(sel):
        if sub.name == "totalCount":
            entries.append(f"totalCount: {count}")
        elif sub.name == "edges":
            for edge_field in p.subselections(sub):
                if edge_field.name == "node":
                    value = p.project(edge_field, {**(scope or {}), "node": target})
                    item_entries.append(f"`{sub.key}/{edge_field.key}`: {value}")
    # One row more than the page tells whether a next page exists without a second count.
    if bind is None:
        page = f"SKIP {p.param(offset)} LIMIT {p.param(size + 1)}"
    else:
        page = f"[{p.param(offset)}..{p.param(offset + size + 1)}]"
    item = "{" + ", ".join(item_entries) + "}"
    entries.append(f"items: {rows(page, item)}")
    value = "{" + ", ".join(entries) + "}"
    if bind is None:
        return value
    name, expression = bind
    return f"[{name} IN [{expression}] | {value}][0]"


def subjects_of(data: Any, into: set[str] | None = None) -> set[str]:
    """The USCCs and person keys a compiled result is about (for the audit)."""
    found = set() if into is None else into
    if isinstance(data, dict):
        subject = data.get(SUBJECT_KEY)
        if subject is not None:
            found.add(subject)
        for value in data.values():
            if isinstance(value, dict | list):
                subjects_of(value, found)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, dict | list):
                subjects_of(value, found)
    return found


def _connection_total(root: Mapping[str, Any], info: Info) -> Any:
    return root.get("totalCount")


def _connection_edges(root: Mapping[str, Any], info: Info) -> list[dict[str, Any]]:
    prefix = f"{info.path.key}/"
    offset, size = root["offset"], root["first"]
    edges = []
    for index, item in enumerate(root["items"][:size]):
        edge = {k[len(prefix) :]: v for k, v in item.items() if k.startswith(prefix)}
        edge["__cursor"] = encode_cursor(offset + index)
        edges.append(edge)
    return edges


@dataclass(frozen=True)
class PageState:
    """The values of a connection's PageInfo."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def _connection_page_info(root: Mapping[str, Any], info: Info) -> PageState:
    offset, size, items = root["offset"], root["first"], root["items"]
    shown = min(len(items), size)
    return PageState(
        has_next_page=len(items) > size,
        has_previous_page=offset > 0,
        start_cursor=encode_cursor(offset) if shown else None,
        end_cursor=encode_cursor(offset + shown - 1) if shown else None,
    )


def _edge_cursor(root: Mapping[str, Any], info: Info) -> Any:
    return root["__cursor"]


def _edge_node(root: Mapping[str, Any], info: Info) -> Any:
    return root.get(str(info.path.key))


# --------------------------------------------------------------------------------------
# Resolvers
# --------------------------------------------------------------------------------------
def _native(value: Any) -> Any:
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
            gql_type.fields["totalCount"].resolve = _connection_total
            gql_type.fields["edges"].resolve = _connection_edges
            gql_type.fields["pageInfo"].resolve = _connection_page_info
            continue
        if gql_type.name.endswith("Edge") and "cursor" in gql_type.fields:
            gql_type.fields["cursor"].resolve = _edge_cursor
            gql_type.fields["node"].resolve = _edge_node
            continue
        for field_name, field_def in gql_type.fields.items():
            spec = spec_of(field_def)
            if spec is not None:
                coordinate = f"{gql_type.name}.{field_name}"
                field_def.resolve = spec.resolver(coordinate)
                non_null = isinstance(field_def.type, GraphQLNonNull)
                leaf_type = field_def.type.of_type if non_null else field_def.type
                if isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType):
                    leaf = GraphLeaf(coordinate, spec.transform, leaf_type, non_null)
                    setattr(field_def.resolve, GRAPH_LEAF, leaf)
