"""The one sharing policy for operations: may this consumer do X, to or about this subject.

Every resolver that performs an operation (a query beyond reading the graph projection, or a
mutation) asks here, and only here. The answer comes from the catalogue's `[operations.*]`
entries (authz/catalogue.toml):

- ``kinds``: the consumer kinds that may perform the operation for their own organisation;
- ``on_behalf``: the kinds that may perform it naming another organisation;
- ``subject``: per kind, the relation the consumer must have to the subject it acts on or reads
  (any of a list). The vocabulary is `RELATIONS`, documented in the catalogue's header.

The answer is a `Decision` (allowed, a reason code from `authz.catalogue.Reason`, the catalogue
entries behind it), which the hub turns into its coded errors or into withheld entries. No
resolver compares consumer kinds itself.

Each relation that needs the graph is judged by one Cypher predicate stated here (consent in
force and current membership come from the enforcement's own conditions, so a field and an
operation judge them alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final, Protocol

from authz.catalogue import SUBJECT_RELATIONS, Catalogue, FieldDecision, Reason
from authz.enforcement import Enforcer
from authz.identity import Consumer
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.model import Label, Rel

ANY: Final = "any"
OWN: Final = "own"
CONSENT: Final = "consent"
MEMBER: Final = "member"
DECIDER: Final = "decider"
ORGANISER: Final = "organiser"
OFFERER: Final = "offerer"

RELATIONS: Final = SUBJECT_RELATIONS
"""The relations an operation's `subject` rule may require of the consumer to the subject:

any        no condition on the subject (the kind's duty covers every subject)
own        the subject is the consumer's own organisation (for a record or list entry: its
           subject is), e.g. an enterprise reading its own rectification orders
consent    the enterprise subject granted the consumer consent, in force, for the operation's
           `class` (default "conditional") and the purpose the consumer states
member     the enterprise subject is a current member of the consumer (an association)
decider    the consumer is the department that provided or decided the record / list entry
organiser  the consumer is the department that organises the inspection task
offerer    allowed, but narrowed to what the consumer itself offers (an association sees the
           commitments made to its own programme)
"""

_FAILED: Final = {
    OWN: Reason.NOT_YOUR_OWN,
    CONSENT: Reason.NEEDS_CONSENT,
    MEMBER: Reason.NOT_YOUR_MEMBER,
    DECIDER: Reason.NOT_YOUR_DECISION,
    ORGANISER: Reason.NOT_YOUR_TASK,
}
"""The reason given when a relation does not hold."""

assert set(RELATIONS) == {ANY, OWN, CONSENT, MEMBER, DECIDER, ORGANISER, OFFERER}


class SubjectKind(StrEnum):
    """What an operation's subject is, so the relation is judged on the right node."""

    ENTERPRISE = "enterprise"
    PARTY = "party"
    """An enterprise (USCC) or a person (key): judged by its code only."""
    PERSON = "person"
    ORGANISATION = "organisation"
    RECORD = "record"
    LIST_ENTRY = "list_entry"
    TASK = "task"


@dataclass(frozen=True)
class Subject:
    """The subject an operation acts on or reads, by its code (USCC, key, id)."""

    kind: SubjectKind
    code: str

    @classmethod
    def enterprise(cls, uscc: str) -> Subject:
        """An enterprise by 统一社会信用代码."""
        return cls(SubjectKind.ENTERPRISE, uscc)

    @classmethod
    def party(cls, code: str) -> Subject:
        """An enterprise or a person, by USCC or person key."""
        return cls(SubjectKind.PARTY, code)

    @classmethod
    def person(cls, key: str) -> Subject:
        """A person by key."""
        return cls(SubjectKind.PERSON, key)

    @classmethod
    def organisation(cls, code: str) -> Subject:
        """An organisation of the network (a department, association …) by code."""
        return cls(SubjectKind.ORGANISATION, code)

    @classmethod
    def record(cls, key: str) -> Subject:
        """A credit record by key (all its versions)."""
        return cls(SubjectKind.RECORD, key)

    @classmethod
    def list_entry(cls, entry_id: str) -> Subject:
        """A red or black list entry by id."""
        return cls(SubjectKind.LIST_ENTRY, entry_id)

    @classmethod
    def task(cls, task_id: str) -> Subject:
        """An inspection task by id."""
        return cls(SubjectKind.TASK, task_id)


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one consumer, operation and (optionally) subject."""

    operation: str
    allowed: bool
    reason: Reason | None
    citation: str
    relation: str | None = None
    """The relation that allowed it (None when refused, or when no subject was judged and the
    kind's rule is conditional)."""
    conditions: tuple[str, ...] = ()
    """The kind's per-subject rule (empty when the operation has none for it)."""

    @property
    def conditional(self) -> bool:
        """Allowed for the kind, but only for subjects in one of `conditions`."""
        return self.allowed and self.relation is None and bool(self.conditions)

    @property
    def narrowed(self) -> bool:
        """Allowed, but only for what the consumer itself offers (relation `offerer`)."""
        return self.relation == OFFERER


class Params(Protocol):
    """Where compiled fragments put their query parameters."""

    def param(self, value: Any) -> str:
        """Add a parameter; return its `$name`."""
        ...


class CypherParams:
    """Collects the parameters of compiled policy fragments (named `policy0`, `policy1` …)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"policy{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def rule_of(catalogue: Catalogue, operation: str, consumer: Consumer) -> tuple[str, ...]:
    """The per-subject rule of `operation` for the consumer's kind ((): none, i.e. any)."""
    rules = catalogue.operations.get(operation, {}).get("subject", {})
    rule = rules.get(consumer.org_kind.value, ())
    return (rule,) if isinstance(rule, str) else tuple(rule)


def permit(
    catalogue: Catalogue, consumer: Consumer, operation: str, *, on_behalf: bool = False
) -> Decision:
    """May the consumer's kind perform `operation` at all (naming another organisation when
    `on_behalf`)? Per-subject rules are not judged: see `decide`."""
    if operation not in catalogue.operations:
        return Decision(
            operation, False, Reason.NOT_IN_CATALOGUE, f"operations.{operation}: (absent)"
        )
    citation = catalogue.operation_citation(operation, on_behalf=on_behalf)
    if not catalogue.may(consumer, operation, on_behalf=on_behalf):
        return Decision(operation, False, Reason.NOT_PERMITTED, citation)
    rule = rule_of(catalogue, operation, consumer)
    if rule:
        citation += f"; {_rule_citation(operation, consumer, rule)}"
    relation = ANY if not rule or ANY in rule else (OFFERER if OFFERER in rule else None)
    return Decision(operation, True, None, citation, relation, rule)


def permit_either(catalogue: Catalogue, consumer: Consumer, operation: str) -> Decision:
    """May the kind perform `operation` for itself or for others (the first that allows)."""
    own = permit(catalogue, consumer, operation)
    if own.allowed:
        return own
    other = permit(catalogue, consumer, operation, on_behalf=True)
    return other if other.allowed else own


async def decide(
    db: Database,
    catalogue: Catalogue,
    consumer: Consumer,
    operation: str,
    subject: Subject,
    *,
    on_behalf: bool = False,
    today: date | None = None,
) -> Decision:
    """The decision for one subject: the kind rule, then the per-subject relation."""
    [decision] = await decide_many(
        db, catalogue, consumer, operation, [subject], on_behalf=on_behalf, today=today
    )
    return decision


async def decide_many(
    db: Database,
    catalogue: Catalogue,
    consumer: Consumer,
    operation: str,
    subjects: Sequence[Subject],
    *,
    on_behalf: bool = False,
    today: date | None = None,
) -> list[Decision]:
    """Decisions for many subjects of one kind of operation, in one query at most."""
    base = (
        permit(catalogue, consumer, operation, on_behalf=True)
        if on_behalf
        else permit_either(catalogue, consumer, operation)
    )
    if not base.allowed or base.relation is not None:
        return [base for _ in subjects]
    rule = base.conditions
    held = await _relations_held(db, catalogue, consumer, operation, rule, subjects, today)
    decisions = []
    for subject, holds in zip(subjects, held, strict=True):
        relation = next((name for name in rule if holds.get(name)), None)
        if relation is not None:
            decisions.append(
                Decision(operation, True, None, base.citation, relation, rule),
            )
        else:
            decisions.append(
                Decision(
                    operation,
                    False,
                    _FAILED.get(rule[0], Reason.NOT_SHARED),
                    f"{_rule_citation(operation, consumer, rule)}: {subject.kind} "
                    f"{subject.code} is none of these to you",
                    None,
                    rule,
                )
            )
    return decisions


def _rule_citation(operation: str, consumer: Consumer, rule: tuple[str, ...]) -> str:
    return f"operations.{operation}.subject.{consumer.org_kind.value} = {list(rule)}"


def subject_predicate(
    catalogue: Catalogue,
    consumer: Consumer,
    operation: str,
    enterprise: str,
    params: Params,
    today: date | None = None,
) -> str:
    """Cypher true for the enterprises (`enterprise`, a Cypher variable) the consumer may
    perform `operation` on: "true" when its kind's rule is `any`, "false" when the kind may not
    perform it at all. For queries that filter many subjects at once (a grade filter)."""
    decision = permit(catalogue, consumer, operation)
    if not decision.allowed:
        return "false"
    if decision.relation == ANY:
        return "true"
    enforcer = Enforcer(catalogue, consumer, today=today or china_today())
    sharing_class = _class_of(catalogue, operation)
    parts = []
    for relation in decision.conditions:
        if relation in (OWN, CONSENT, MEMBER):
            part = enforcer.condition(relation, sharing_class, {"subject": enterprise}, params)
            if part != "false":
                parts.append(f"({part})")
    return " OR ".join(parts) if parts else "false"


def _class_of(catalogue: Catalogue, operation: str) -> str:
    return str(catalogue.operations.get(operation, {}).get("class", "conditional"))


async def _relations_held(
    db: Database,
    catalogue: Catalogue,
    consumer: Consumer,
    operation: str,
    rule: tuple[str, ...],
    subjects: Sequence[Subject],
    today: date | None,
) -> list[dict[str, bool]]:
    """For each subject, which relations of `rule` hold (judged by value or by Cypher)."""
    org = consumer.org_code
    held: list[dict[str, bool]] = [{} for _ in subjects]
    pending: list[tuple[int, str]] = []
    for index, subject in enumerate(subjects):
        for relation in rule:
            if org is None:
                held[index][relation] = False
            elif relation == OWN and subject.kind in _BY_VALUE:
                held[index][relation] = subject.code.strip().upper() == org.upper()
            else:
                pending.append((index, relation))
    if not pending:
        return held
    params = CypherParams()
    enforcer = Enforcer(catalogue, consumer, today=today or china_today())
    sharing_class = _class_of(catalogue, operation)
    columns: dict[tuple[SubjectKind, str], str] = {}
    for index, relation in pending:
        kind = subjects[index].kind
        if (kind, relation) not in columns:
            columns[(kind, relation)] = _predicate(
                relation, kind, "code", org or "", enforcer, sharing_class, params
            )
    names = {key: f"r{n}" for n, key in enumerate(columns)}
    projections = ", ".join(
        f"CASE WHEN kind = {params.param(str(kind))} THEN {expression} ELSE false END "
        f"AS {names[(kind, rel)]}"
        for (kind, rel), expression in columns.items()
    )
    rows = await db.read(
        "UNWIND $subjects AS item WITH item.n AS n, item.kind AS kind, item.code AS code "
        f"RETURN n, {projections}",
        {
            **params.values,
            "subjects": [
                {"n": n, "kind": str(s.kind), "code": s.code} for n, s in enumerate(subjects)
            ],
        },
    )
    by_index = {row["n"]: row for row in rows}
    for index, relation in pending:
        row = by_index.get(index)
        column = names[(subjects[index].kind, relation)]
        held[index][relation] = bool(row and row[column])
    return held


_BY_VALUE: Final = frozenset(
    {SubjectKind.ENTERPRISE, SubjectKind.PARTY, SubjectKind.PERSON, SubjectKind.ORGANISATION}
)
"""Subjects whose `own` relation is their code being the consumer's organisation code."""


def _predicate(
    relation: str,
    kind: SubjectKind,
    code: str,
    org: str,
    enforcer: Enforcer,
    sharing_class: str,
    params: Params,
) -> str:
    """The one Cypher statement of `relation` for a subject of `kind` whose code is the Cypher
    expression `code` ("false" where the relation cannot hold for that kind of subject)."""
    if relation in (CONSENT, MEMBER) and kind in (SubjectKind.ENTERPRISE, SubjectKind.PARTY):
        condition = enforcer.condition(relation, sharing_class, {"subject": "s_"}, params)
        if condition == "false":
            return "false"
        return f"EXISTS {{ MATCH (s_:{Label.ENTERPRISE} {{uscc: {code}}}) WHERE {condition} }}"
    org_param = params.param(org)
    if relation == DECIDER and kind is SubjectKind.RECORD:
        return (
            f"EXISTS {{ MATCH (:{Label.RECORD} {{key: {code}}})"
            f"-[:{Rel.PROVIDED_BY}|{Rel.DECIDED_BY}]->"
            f"(:{Label.DEPARTMENT} {{code: {org_param}}}) }}"
        )
    if relation == DECIDER and kind is SubjectKind.LIST_ENTRY:
        return (
            f"EXISTS {{ MATCH (:{Label.LIST_ENTRY} {{id: {code}}})"
            f"-[:{Rel.DECIDED_BY}]->(:{Label.DEPARTMENT} {{code: {org_param}}}) }}"
        )
    if relation == OWN and kind in (SubjectKind.RECORD, SubjectKind.LIST_ENTRY):
        label, key = (
            (Label.RECORD, "key") if kind is SubjectKind.RECORD else (Label.LIST_ENTRY, "id")
        )
        return (
            f"EXISTS {{ MATCH (:{label} {{{key}: {code}}})-[:{Rel.HAS_SUBJECT}]->(s_) "
            f"WHERE coalesce(s_.uscc, s_.key) = {org_param} }}"
        )
    if relation == ORGANISER and kind is SubjectKind.TASK:
        return (
            f"EXISTS {{ MATCH (:{Label.INSPECTION_TASK} {{id: {code}}})"
            f"-[:{Rel.ORGANISED_BY}]->(:{Label.DEPARTMENT} {{code: {org_param}}}) }}"
        )
    return "false"


# -- fields under a per-subject condition ------------------------------------------------------
def field_condition(
    catalogue: Catalogue,
    consumer: Consumer,
    decision: FieldDecision,
    node: str,
    params: Params,
    today: date | None = None,
) -> str:
    """Cypher true for the subjects (`node`, a Cypher variable) for which a conditional field
    decision holds (consent, membership, own data): "true" when allowed outright, "false" when
    it can hold for none."""
    if decision.allowed:
        return "true"
    if not decision.conditional:
        return "false"
    enforcer = Enforcer(catalogue, consumer, today=today or china_today())
    return enforcer.any_condition(decision.conditions, {"subject": node}, params)


async def field_holds(
    db: Database,
    catalogue: Catalogue,
    consumer: Consumer,
    decision: FieldDecision,
    subject: Subject,
    today: date | None = None,
) -> bool | None:
    """Whether a field decision holds for one subject (an enterprise by USCC, a person by key);
    None when a conditional decision meets no such subject in the graph."""
    params = CypherParams()
    condition = field_condition(catalogue, consumer, decision, "s_", params, today)
    if condition in ("true", "false"):
        return condition == "true"
    label, key = (
        (Label.PERSON, "key") if subject.kind is SubjectKind.PERSON else (Label.ENTERPRISE, "uscc")
    )
    rows = await db.read(
        f"MATCH (s_:{label} {{{key}: $policy_subject}}) RETURN {condition} AS ok",
        {**params.values, "policy_subject": subject.code},
    )
    return bool(rows[0]["ok"]) if rows else None


def operation_names(catalogue: Catalogue) -> list[str]:
    """Every operation the catalogue lists, in its order."""
    return list(catalogue.operations)
