"""The catalogue's field decisions for computed types (answered in Python, not compiled to Cypher).

Projected graph types are decided while their selection is compiled (authz/enforcement.py): a
withheld value never leaves Neo4j. The hundred-odd types the hub computes in Python — evaluation,
ownership, lists, supervision, lifecycle views, notices … — are decided here by the same
question, `Catalogue.field(consumer, Type, field)`, with the same conditions (own, consent,
members) judged on the object's subject, and reported the same way: the value is nulled and
``extensions.access.withheld`` names the path, the reason and the catalogue citation
(`RequestContext.note_withheld`).

Costs are opt-in. `install_field_policy` runs once per schema, like the projection's
`install_resolvers` (a schema extension's `resolve` hook would run for every field of every
response, projected ones included; Strawberry field extensions cannot change nullability): it
wraps only the fields of computed types that some consumer kind may not see (a `public` field is
served to everyone and keeps its resolver untouched), and makes those fields nullable, since a
withheld value is null.
A per-subject condition costs one read per (class, subject) and request, shared by every field
and object that asks.

Two catalogue keys of a computed type serve this module:

- ``subject``: the attribute path naming whose data the object is (``uscc``, ``subject.code``);
  nested objects (an evaluation's indicators) take the subject of the nearest object above
  them that has one. Without a subject a condition cannot hold, as in the compiled enforcement.
- a field's ``person``: the coordinate deciding the field when the object stands for a person
  (``SubjectRef.name`` is an enterprise's name, public, or a person's full name, decided as
  ``Person.name``).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
)
from graphql.pyutils import Path

from authz import policy
from authz.catalogue import Catalogue, FieldDecision, Reason, default_catalogue
from authz.identity import Consumer
from authz.policy import Subject
from graph.model import Label
from hub.api.query import RequestContext
from hub.projection import Info, spec_of

Resolver = Callable[..., Any]

SKIPPED_TYPES: Final = frozenset({"Query", "Mutation", "Subscription"})
"""Root types: their fields are operations (operations.* in the catalogue), not shared data."""

IS_PERSON: Final[Mapping[str, Callable[[Any], bool]]] = {
    "SubjectRef": lambda obj: bool(obj.is_person),
    "OwnershipParty": lambda obj: bool(obj.is_person),
    "RiskPathStep": lambda obj: obj.kind == Label.PERSON.value,
}
"""How to tell that an object of a type with `person` fields stands for a natural person."""

_CACHE_SIZE: Final = 256
"""Requests whose condition answers are kept (a request is short; this only bounds memory)."""


@dataclass(frozen=True)
class Guard:
    """What the policy needs to know about one wrapped field, computed once per schema."""

    type_name: str
    field_name: str
    subject_path: tuple[str, ...] | None
    person_coordinate: tuple[str, str] | None

    @property
    def coordinate(self) -> str:
        """``Type.field``."""
        return f"{self.type_name}.{self.field_name}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _attribute(obj: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if obj is None:
            return None
        obj = obj.get(step) if isinstance(obj, Mapping) else getattr(obj, step, None)
    return obj


def is_projected(gql_type: GraphQLObjectType) -> bool:
    """A graph type compiled into Cypher (its fields declare how the graph answers them)."""
    return any(spec_of(field_def) is not None for field_def in gql_type.fields.values())


def computed_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The object types answered in Python: not projected, not roots, not relay plumbing."""
    return [
        gql_type
        for name, gql_type in schema.type_map.items()
        if isinstance(gql_type, GraphQLObjectType)
        and not name.startswith("__")
        and name not in SKIPPED_TYPES
        and not name.endswith(("Connection", "Edge"))  # the projection's relay plumbing
        and name != "PageInfo"
        and not is_projected(gql_type)
    ]


def shared_with_everyone(catalogue: Catalogue, sharing_class: str | None) -> bool:
    """True when every consumer kind is given `sharing_class` outright (no check needed)."""
    if sharing_class is None:
        return False
    return all(sharing_class in entry.get("classes", []) for entry in catalogue.consumers.values())


def guard_for(catalogue: Catalogue, type_name: str, field_name: str) -> Guard | None:
    """The field's guard, or None when every consumer may see it (nothing runs for it)."""
    entry = catalogue.types.get(type_name, {})
    spec = entry.get("fields", {}).get(field_name)
    person = spec.get("person") if spec else None
    if spec is not None and shared_with_everyone(catalogue, spec.get("class")) and not person:
        return None
    subject = entry.get("subject")
    return Guard(
        type_name,
        field_name,
        tuple(_snake(step) for step in subject.split(".")) if subject else None,
        _pair(person) if person else None,
    )


def _pair(coordinate: str) -> tuple[str, str]:
    type_name, _, field_name = coordinate.partition(".")
    return type_name, field_name


def person_citation(catalogue: Catalogue, consumer: Consumer, type_name: str, field: str) -> str:
    """For a field decided as another coordinate when its object stands for a person (its
    `person` key): that decision's citation, to add to the field's own ("" otherwise)."""
    spec = catalogue.types.get(type_name, {}).get("fields", {}).get(field) or {}
    person = spec.get("person")
    if not person:
        return ""
    decision = catalogue.field(consumer, *_pair(person))
    verdict = "allowed" if decision.allowed else (decision.reason or Reason.NOT_SHARED).value
    return f"; for a natural person decided as {person} ({verdict}): {decision.citation}"


def install_field_policy(schema: GraphQLSchema, catalogue: Catalogue | None = None) -> int:
    """Wrap each field of a computed type that some consumer may not see; make it nullable.

    Returns the number of fields wrapped.
    """
    catalogue = catalogue or default_catalogue()
    wrapped = 0
    for gql_type in computed_types(schema):
        for field_name, field_def in gql_type.fields.items():
            guard = guard_for(catalogue, gql_type.name, field_name)
            if guard is None:
                continue
            if isinstance(field_def.type, GraphQLNonNull):
                field_def.type = field_def.type.of_type
            field_def.resolve = _guarded(guard, field_def)
            wrapped += 1
    return wrapped


def _guarded(guard: Guard, field_def: GraphQLField) -> Resolver:
    resolve = field_def.resolve or default_field_resolver

    def resolver(root: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        if not isinstance(context, RequestContext) or not context.enforce:
            return resolve(root, info, **kwargs)
        verdict = judge(context, guard, root, info.path)
        if verdict is None:
            return resolve(root, info, **kwargs)
        if isinstance(verdict, FieldDecision):
            return _withhold(context, guard, verdict, info)
        return _after(verdict, resolve, context, guard, root, info, kwargs)

    return resolver


async def _after(
    pending: Awaitable[FieldDecision | None],
    resolve: Resolver,
    context: RequestContext,
    guard: Guard,
    root: Any,
    info: Info,
    kwargs: dict[str, Any],
) -> Any:
    refused = await pending
    if refused is not None:
        return _withhold(context, guard, refused, info)
    value = resolve(root, info, **kwargs)
    return await value if asyncio.iscoroutine(value) else value


def _withhold(context: RequestContext, guard: Guard, decision: FieldDecision, info: Info) -> None:
    reason = decision.reason or Reason.NOT_SHARED
    # The object holding the field was served (it is in the response), and the audit says so
    # by its type name: a request is refused as a whole (NOTHING_SHARED) only when nothing was.
    context.released.add(guard.type_name)
    context.note_withheld(info.path.as_list(), guard.coordinate, reason.value)
    if decision.coordinate != guard.coordinate:
        # Decided as another coordinate (a person's name as Person.name): cite that entry.
        context.withheld[-1]["citation"] = decision.citation
    return None


def judge(
    context: RequestContext, guard: Guard, root: Any, path: Path
) -> FieldDecision | Awaitable[FieldDecision | None] | None:
    """None: serve the field; a decision: withhold it; an awaitable: a per-subject condition
    is judged first (it yields the refusing decision, or None to serve)."""
    own_subject = _own_subject(context, guard, root, path)
    coordinate = (guard.type_name, guard.field_name)
    person = IS_PERSON.get(guard.type_name)
    if guard.person_coordinate is not None and person is not None and person(root):
        coordinate = guard.person_coordinate  # a person's full name: decided as Person.name
    decision = context.catalogue.field(context.consumer, *coordinate)
    if decision.allowed:
        context.released.add(guard.coordinate)
        return None
    if not decision.conditional:
        return decision
    subject = own_subject or _enclosing_subject(context, path)
    if subject is None:
        return decision
    known = _known(context, decision, subject)
    if known is None:
        return _conditional(context, guard, decision, subject)
    if known:
        context.released.add(guard.coordinate)
        return None
    return decision


def _known(context: RequestContext, decision: FieldDecision, subject: str) -> bool | None:
    """The condition's answer when it needs no read or was read for this request already (the
    common case: every field of every object after the first answers synchronously)."""
    own = context.consumer.org_code
    if own is not None and subject == own and any(c.kind == "own" for c in decision.conditions):
        return True  # judged by value, as the policy judges `own` for an organisation
    if all(c.kind == "own" for c in decision.conditions):
        return False
    answer = _request_state(context).answers.get(_key(decision, subject))
    if answer is not None and answer.done() and not answer.cancelled():
        return bool(answer.result())
    return None


def _key(decision: FieldDecision, subject: str) -> tuple[tuple[tuple[str, str], ...], str]:
    return tuple((c.kind, c.sharing_class) for c in decision.conditions), subject


async def _conditional(
    context: RequestContext, guard: Guard, decision: FieldDecision, subject: str
) -> FieldDecision | None:
    if await subject_meets(context, decision, subject):
        context.released.add(guard.coordinate)
        return None
    return decision


def _own_subject(context: RequestContext, guard: Guard, root: Any, path: Path) -> str | None:
    """Whose data `root` is, when its type names it; noted for the objects nested below it
    (keyed by the object's path, which its fields' paths share)."""
    if guard.subject_path is None:
        return None
    subject = _attribute(root, guard.subject_path)
    if not isinstance(subject, str):
        return None
    if path.prev is not None:
        _request_state(context).subjects[path.prev] = subject
    return subject


def _enclosing_subject(context: RequestContext, path: Path) -> str | None:
    """The subject of the nearest enclosing object that named one."""
    subjects = _request_state(context).subjects
    step = path.prev
    while step is not None:
        found = subjects.get(step)
        if found is not None:
            return found
        step = step.prev
    return None


@dataclass
class _RequestState:
    subjects: dict[Path, str]
    answers: dict[tuple[tuple[tuple[str, str], ...], str], asyncio.Future[bool | None]]


_STATES: OrderedDict[str, _RequestState] = OrderedDict()


def _request_state(context: RequestContext) -> _RequestState:
    state = _STATES.get(context.request_id)
    if state is None:
        state = _STATES[context.request_id] = _RequestState({}, {})
        while len(_STATES) > _CACHE_SIZE:
            _STATES.popitem(last=False)
    return state


async def subject_meets(context: RequestContext, decision: FieldDecision, subject: str) -> bool:
    """Whether a conditional field decision holds for `subject` (an enterprise's USCC; an
    association's code for its own roll), judged once per request and class by the policy
    (authz/policy.py: the compiled enforcement's own Cypher conditions)."""
    known = _known(context, decision, subject)
    if known is not None:
        return known
    answers = _request_state(context).answers
    key = _key(decision, subject)
    answer = answers.get(key)
    if answer is None:
        answer = answers[key] = asyncio.ensure_future(
            policy.field_holds(
                context.db,
                context.catalogue,
                context.consumer,
                decision,
                Subject.enterprise(subject),
                context.today(),
            )
        )
    return bool(await answer)
