"""Need-to-share enforcement, compiled into Cypher.

The hub's query compiler (hub/projection.py) asks an `Enforcer` about every field it is about to
project and every list of rows it is about to match. A field the consumer may never see is
replaced by a withheld marker — its value is not read; a field shared under a per-subject
condition (consent, membership, own data) becomes ``CASE WHEN <condition> THEN <value> ELSE
<marker> END``; rows are filtered by the catalogue's row rules inside the same ``MATCH`` that
counts and pages them. So withheld data never leaves Neo4j, totals never count hidden rows, and
the response can say exactly what was withheld and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from authz.catalogue import Catalogue, Condition, FieldDecision, Reason, RowRule
from authz.identity import Consumer
from graph.lifecycle.base import china_today
from graph.lifecycle.memberships import is_member
from graph.model import Label, Rel
from graph.publication import (
    list_entry_listed,
    record_published,
    record_shared,
    sanction_in_force,
)

WITHHELD = "__withheld"
"""Key of the marker map that stands in for a withheld value in a projection."""

SUBJECT_TYPES = frozenset({"Enterprise", "Person"})
"""Types whose node is the subject (信息主体) of the fields and rows beneath it."""

THIRD_PARTY_GRANTS = frozenset({"consent", "member", "members"})
"""Row rules that open a subject's rows to a third party (a bank or agency by consent, an
association by membership): they never reach rows that are no longer shared (repaired,
revoked — 六(六)), so each is joined with the type's `shared` predicate."""


class Params(Protocol):
    """Where compiled fragments put their query parameters."""

    def param(self, value: Any) -> str:
        """Add a parameter; return its `$name`."""
        ...


@runtime_checkable
class Hoisting(Params, Protocol):
    """A compiler that can evaluate a per-subject condition once per subject.

    A subject's consent decides its fields and every row beneath it (records, list entries,
    sanctions, the sanctions under each entry): written inline, the same EXISTS would run once
    per row. A hoisting compiler binds it to a variable around the subject's projection.
    """

    def hoist(self, subject: str, key: str, build: Callable[[], str]) -> str:
        """A variable holding the expression `build` writes (about `subject`, named by `key`),
        bound once around the subject's projection; the expression itself where the subject is
        not being projected (a row filter choosing the subjects)."""
        ...


def withheld_marker(reason: Reason) -> str:
    """The Cypher literal standing in for a withheld value."""
    return f"{{`{WITHHELD}`: '{reason.value}'}}"


@dataclass
class Enforcer:
    """Applies the catalogue for one consumer while one request is compiled.

    It also keeps what the audit needs: the field coordinates released and withheld at
    compile time, and the row rules applied.
    """

    catalogue: Catalogue
    consumer: Consumer
    released: set[str] = field(default_factory=set)
    withheld: set[tuple[str, str]] = field(default_factory=set)
    filtered: dict[str, dict[str, str]] = field(default_factory=dict)
    today: date = field(default_factory=china_today)
    """The Beijing date the rules are judged on (passed to Cypher as a parameter)."""

    def decide(self, type_name: str, field_name: str) -> FieldDecision:
        """The catalogue's decision for this consumer."""
        return self.catalogue.field(self.consumer, type_name, field_name)

    def guard(
        self,
        decision: FieldDecision,
        expr: str | None,
        scope: Mapping[str, str],
        params: Params,
    ) -> str:
        """The Cypher for a field: its value, a conditional value, or the withheld marker.

        `expr` is None when the caller skipped compiling a field it knew was denied.
        """
        if decision.allowed and expr is not None:
            self.released.add(decision.coordinate)
            return expr
        reason = decision.reason or Reason.NOT_SHARED
        if decision.conditional and expr is not None:
            condition = self.any_condition(decision.conditions, scope, params)
            if condition != "false":
                self.released.add(decision.coordinate)
                return f"CASE WHEN {condition} THEN {expr} ELSE {withheld_marker(reason)} END"
        self.withheld.add((decision.coordinate, reason.value))
        return withheld_marker(reason)

    def any_condition(
        self, conditions: tuple[Condition, ...], scope: Mapping[str, str], params: Params
    ) -> str:
        """Cypher true for subjects meeting any of `conditions` ("false" if none can)."""
        parts = [self.condition(c.kind, c.sharing_class, scope, params) for c in conditions]
        parts = [part for part in parts if part != "false"]
        return " OR ".join(f"({part})" for part in parts) if parts else "false"

    def condition(
        self, kind: str, sharing_class: str, scope: Mapping[str, str], params: Params
    ) -> str:
        """One per-subject condition as Cypher over the scope's subject."""
        subject = scope.get("subject")
        org = self.consumer.org_code
        if subject is None or org is None:
            return "false"
        if kind == "own":
            return f"{subject}.uscc = {params.param(org)}"
        if kind in ("members", "member"):
            # A current member only: an ended membership keeps its `until` as history.
            return is_member(subject, params.param(org), params.param(self.today))
        if kind == "consent":
            if not self.consumer.purpose:
                return "false"  # consent is bound to a purpose; none was stated
            purpose = self.consumer.purpose

            def consented() -> str:
                return (
                    f"EXISTS {{ MATCH (consent:Consent {{grantee: {params.param(org)}}})"
                    f"-[:GRANTED_BY]->({subject}) WHERE consent.revokedAt IS NULL "
                    f"AND consent.expiresAt > datetime() "
                    f"AND {params.param(sharing_class)} IN consent.classes "
                    f"AND consent.purpose = {params.param(purpose)} }}"
                )

            if isinstance(params, Hoisting):
                return params.hoist(subject, f"consent:{sharing_class}", consented)
            return consented()
        raise ValueError(f"unknown condition kind {kind}")

    def row_predicate(
        self, type_name: str, scope: Mapping[str, str], params: Params, path: str
    ) -> str | None:
        """The WHERE condition limiting rows of `type_name` to what the consumer may see."""
        rule = self.catalogue.row_rule(self.consumer, type_name)
        if rule is None or rule.unrestricted:
            return None
        self._note_filtered(path, rule)
        parts = [self._row_part(name, type_name, scope, params) for name in rule.rules]
        parts = [part for part in parts if part != "false"]
        return "(" + " OR ".join(f"({part})" for part in parts) + ")" if parts else "false"

    def _row_part(self, name: str, type_name: str, scope: Mapping[str, str], params: Params) -> str:
        node = scope["node"]
        if name == "published":
            return record_published(node, params.param(self.today))
        if name == "listed":
            return list_entry_listed(node, params.param(self.today))
        if name == "in_force":
            return sanction_in_force(node, params.param(self.today))
        if name == "shared":
            return record_shared(node)
        if name == "provided_by_me":
            if self.consumer.org_code is None:
                return "false"
            # The department that keeps the history: the supplier, and the deciding authority
            # (谁认定、谁修复) when another department relayed the record — on any version, since
            # versions made by lifecycle steps may carry only the supplier link.
            me = params.param(self.consumer.org_code)
            return (
                f"EXISTS {{ MATCH ({node})-[:{Rel.PROVIDED_BY}]->(:{Label.DEPARTMENT} "
                f"{{code: {me}}}) }} OR EXISTS {{ MATCH ({node})-[:{Rel.SUPERSEDES}*0..]->"
                f"(:{Label.RECORD})-[:{Rel.DECIDED_BY}]->(:{Label.DEPARTMENT} {{code: {me}}}) }}"
            )
        if name == "all":
            return "true"
        # member, own, consent: the row's subject must meet the condition.
        condition = self.condition(name, "conditional", scope, params)
        if name in THIRD_PARTY_GRANTS and type_name == "Record" and condition != "false":
            return f"({record_shared(node)}) AND ({condition})"
        return condition

    def _note_filtered(self, path: str, rule: RowRule) -> None:
        self.filtered.setdefault(
            path,
            {
                "path": path,
                "type": rule.type_name,
                "reason": Reason.ROWS_FILTERED.value,
                "message": Reason.ROWS_FILTERED.label,
                "rule": " OR ".join(rule.rules),
                "citation": rule.citation,
            },
        )
