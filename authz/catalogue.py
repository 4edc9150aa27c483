"""The sharing catalogue (共享目录): every type and field with its sharing class, per-kind rules.

`catalogue.toml` beside this file is the one declarative source; this module reads it, checks it
is well-formed, and answers the two questions enforcement asks: may this consumer see this field
(always, never, or under a per-subject condition), and which rows of a type may it see.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from authz.identity import Consumer, OrgKind
from graph.model import LabelledEnum

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")

CONDITION_KINDS = ("consent", "members", "own")
ROW_RULES = (
    "published",
    "listed",
    "in_force",
    "shared",
    "provided_by_me",
    "member",
    "own",
    "consent",
    "all",
)
SUBJECT_RELATIONS = ("any", "own", "consent", "member", "decider", "organiser", "offerer")
"""The vocabulary of an operation's per-subject rule (`subject`), see authz/policy.py and the
catalogue's header: the relation the consumer must have to the subject it acts on or reads."""
OPERATION_KEYS = frozenset({"label", "kinds", "on_behalf", "subject", "class"})


class Reason(LabelledEnum):
    """Why something was withheld; the code is stable, the label is for people."""

    NOT_IN_CATALOGUE = ("NOT_IN_CATALOGUE", "共享目录未列明，默认不共享")
    NOT_SHARED = ("NOT_SHARED", "不在本类使用方的共享范围内")
    PERSONAL_DATA = ("PERSONAL_DATA", "个人信息，仅提供去标识化字段")
    OUTSIDE_DUTY = ("OUTSIDE_DUTY", "超出本部门职责所需")
    NEEDS_CONSENT = ("NEEDS_CONSENT", "需经信息主体授权(授权查询)")
    NOT_YOUR_MEMBER = ("NOT_YOUR_MEMBER", "非本会会员")
    NOT_YOUR_OWN = ("NOT_YOUR_OWN", "非本主体自身信息")
    ROWS_FILTERED = ("ROWS_FILTERED", "仅提供共享范围内的记录")
    NOT_PERMITTED = ("NOT_PERMITTED", "本类使用方不能执行此操作")
    NOT_YOUR_DECISION = ("NOT_YOUR_DECISION", "非本部门提供或认定的信息")
    NOT_YOUR_TASK = ("NOT_YOUR_TASK", "非本部门组织的抽查任务")


_CONDITION_REASON = {
    "consent": Reason.NEEDS_CONSENT,
    "members": Reason.NOT_YOUR_MEMBER,
    "own": Reason.NOT_YOUR_OWN,
}


class CatalogueError(ValueError):
    """catalogue.toml is not well-formed; the message names the entry."""


@dataclass(frozen=True)
class Condition:
    """A per-subject condition under which a class is shared: consent, membership, own data."""

    kind: str
    sharing_class: str


@dataclass(frozen=True)
class FieldDecision:
    """What one consumer kind gets for one field, and the catalogue entries that say so."""

    coordinate: str
    sharing_class: str | None
    allowed: bool
    conditions: tuple[Condition, ...]
    reason: Reason | None
    citation: str

    @property
    def conditional(self) -> bool:
        """Not allowed outright, but allowed for subjects meeting one of `conditions`."""
        return not self.allowed and bool(self.conditions)


@dataclass(frozen=True)
class RowRule:
    """Which rows of a type a consumer kind sees: any of `rules` (OR); None = every row."""

    type_name: str
    rules: tuple[str, ...]
    citation: str

    @property
    def unrestricted(self) -> bool:
        """True when every row is visible."""
        return self.rules == ("all",)


class Catalogue:
    """The parsed catalogue."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = str(data.get("version", ""))
        self.classes: dict[str, dict[str, str]] = data.get("classes", {})
        self.consumers: dict[str, dict[str, Any]] = data.get("consumers", {})
        self.rows: dict[str, dict[str, Any]] = data.get("rows", {})
        self.types: dict[str, dict[str, Any]] = data.get("types", {})
        self.operations: dict[str, dict[str, Any]] = data.get("operations", {})
        self._check()
        # Decisions depend only on (kind, duty, type, field): compute each once, since
        # every field of every request asks.
        self._decisions: dict[tuple[OrgKind, frozenset[str], str, str], FieldDecision] = {}

    @classmethod
    def load(cls, path: Path = CATALOGUE_FILE) -> Catalogue:
        """Read and check a catalogue file."""
        with path.open("rb") as handle:
            return cls(tomllib.load(handle))

    # -- checks -----------------------------------------------------------------------------
    def _check(self) -> None:
        for kind in OrgKind:
            if kind.value not in self.consumers:
                raise CatalogueError(f"consumers.{kind.value} is missing")
        for kind_name, entry in self.consumers.items():
            for key in ("classes", *CONDITION_KINDS):
                for name in entry.get(key, []):
                    if name not in self.classes:
                        raise CatalogueError(f"consumers.{kind_name}.{key}: unknown class {name}")
            duty = entry.get("duty", [])
            if not isinstance(duty, list):
                raise CatalogueError(
                    f"consumers.{kind_name}.duty: a list of the classes a registered duty may "
                    "grant (the organisation file's 职责 says which one has)"
                )
            for name in duty:
                if name not in self.classes:
                    raise CatalogueError(f"consumers.{kind_name}.duty: unknown class {name}")
                if name in entry.get("classes", []):
                    raise CatalogueError(
                        f"consumers.{kind_name}.duty: {name} is always shared (classes)"
                    )
        for type_name, entry in self.types.items():
            for field_name, spec in entry.get("fields", {}).items():
                if spec.get("class") not in self.classes:
                    raise CatalogueError(
                        f"types.{type_name}.fields.{field_name}: unknown class {spec.get('class')}"
                    )
        for type_name, entry in self.rows.items():
            for kind_name, rules in entry.items():
                if kind_name == "label":
                    continue
                if kind_name not in self.consumers:
                    raise CatalogueError(f"rows.{type_name}.{kind_name}: unknown consumer kind")
                for rule in rules:
                    if rule not in ROW_RULES:
                        raise CatalogueError(f"rows.{type_name}.{kind_name}: unknown rule {rule}")

        for name, entry in self.operations.items():
            self._check_operation(name, entry)

    def _check_operation(self, name: str, entry: dict[str, Any]) -> None:
        unknown_keys = set(entry) - OPERATION_KEYS
        if unknown_keys:
            raise CatalogueError(f"operations.{name}: unknown keys {sorted(unknown_keys)}")
        kinds = [*entry.get("kinds", []), *entry.get("on_behalf", [])]
        for kind_name in kinds:
            if kind_name not in self.consumers:
                raise CatalogueError(f"operations.{name}: unknown consumer kind {kind_name}")
        if entry.get("class", "conditional") not in self.classes:
            raise CatalogueError(f"operations.{name}.class: unknown class {entry['class']}")
        rules: dict[str, Any] = entry.get("subject", {})
        for kind_name, rule in rules.items():
            if kind_name not in kinds:
                raise CatalogueError(
                    f"operations.{name}.subject.{kind_name}: the kind may not perform it"
                )
            relations = [rule] if isinstance(rule, str) else list(rule)
            if not relations:
                raise CatalogueError(f"operations.{name}.subject.{kind_name}: empty rule")
            for relation in relations:
                if relation not in SUBJECT_RELATIONS:
                    raise CatalogueError(
                        f"operations.{name}.subject.{kind_name}: unknown relation {relation}"
                    )
        if rules:
            for kind_name in kinds:
                if kind_name not in rules:
                    raise CatalogueError(
                        f'operations.{name}.subject: no rule for {kind_name} (say "any")'
                    )

    # -- questions --------------------------------------------------------------------------
    def may(self, consumer: Consumer, operation: str, *, on_behalf: bool = False) -> bool:
        """Whether `consumer`'s kind may perform `operation` (for another organisation too)."""
        entry = self.operations.get(operation, {})
        return consumer.org_kind.value in entry.get("on_behalf" if on_behalf else "kinds", [])

    def duty_classes(self, kind: OrgKind, duty: Iterable[str]) -> frozenset[str]:
        """The classes an organisation's registered duty (职责, as the organisation file or
        register states it: class labels such as 身份证件号码, or class names) grants a consumer
        of `kind`: those of the kind's catalogue `duty` list it names. A class the kind is
        always shared is accepted and adds nothing; anything else is refused (`ValueError`
        naming it), so a clerk's typo never silently narrows or widens a department's view."""
        entry = self.consumers[kind.value]
        by_label = {spec.get("label", name): name for name, spec in self.classes.items()}
        grantable = set(entry.get("duty", []))
        granted: set[str] = set()
        for raw in duty:
            text = raw.strip()
            if not text:
                continue
            name = text if text in self.classes else by_label.get(text)
            if name is None:
                raise ValueError(
                    f"职责 {text!r} 不是共享目录中的共享类别 (not a sharing class of the "
                    f"catalogue; known: {', '.join(sorted(by_label))})"
                )
            if name in grantable:
                granted.add(name)
            elif name not in entry.get("classes", []):
                raise ValueError(
                    f"职责 {text!r} 不能授予{entry.get('label', kind.value)} (the catalogue's "
                    f"consumers.{kind.value}.duty = {sorted(grantable)} lists the classes a "
                    "duty may grant this kind)"
                )
        return frozenset(granted)

    def operation_citation(self, operation: str, *, on_behalf: bool = False) -> str:
        """The catalogue entry behind an operation's refusal."""
        key = "on_behalf" if on_behalf else "kinds"
        return f"operations.{operation}.{key} = {self.operations.get(operation, {}).get(key, [])}"

    def coordinates(self) -> set[str]:
        """Every "Type.field" the catalogue covers."""
        return {f"{t}.{f}" for t, entry in self.types.items() for f in entry.get("fields", {})}

    def sharing_class(self, type_name: str, field_name: str) -> str | None:
        """The field's class, or None when the catalogue does not list it."""
        spec = self.types.get(type_name, {}).get("fields", {}).get(field_name)
        return None if spec is None else str(spec["class"])

    def field(self, consumer: Consumer, type_name: str, field_name: str) -> FieldDecision:
        """May `consumer` see `type_name.field_name`: outright, never, or under conditions."""
        key = (consumer.org_kind, consumer.duty, type_name, field_name)
        decision = self._decisions.get(key)
        if decision is None:
            decision = _decide(self, *key)
            self._decisions[key] = decision
        return decision

    def row_rule(self, consumer: Consumer, type_name: str) -> RowRule | None:
        """The row rule of `type_name` for this consumer's kind (None: the type has none)."""
        entry = self.rows.get(type_name)
        if entry is None:
            return None
        rules = tuple(entry.get(consumer.org_kind.value, ()))
        return RowRule(
            type_name,
            rules,
            f"rows.{type_name}.{consumer.org_kind.value} = {list(rules)}",
        )


def _decide(
    catalogue: Catalogue,
    kind: OrgKind,
    duty: frozenset[str],
    type_name: str,
    field_name: str,
) -> FieldDecision:
    coordinate = f"{type_name}.{field_name}"
    sharing_class = catalogue.sharing_class(type_name, field_name)
    if sharing_class is None:
        return FieldDecision(
            coordinate, None, False, (), Reason.NOT_IN_CATALOGUE, f"types.{coordinate}: (absent)"
        )
    entry = catalogue.consumers[kind.value]
    field_citation = f"types.{type_name}.fields.{field_name}.class = {sharing_class}"
    if sharing_class in entry.get("classes", []):
        return FieldDecision(
            coordinate,
            sharing_class,
            True,
            (),
            None,
            f"{field_citation}; consumers.{kind.value}.classes ∋ {sharing_class}",
        )
    if sharing_class in entry.get("duty", []):
        # The catalogue says the class may be granted by duty; the organisation's registered
        # duty (机构名录 职责, carried by its token) says whether this one has it.
        where = f"{field_citation}; consumers.{kind.value}.duty ∋ {sharing_class}"
        if sharing_class in duty:
            return FieldDecision(
                coordinate,
                sharing_class,
                True,
                (),
                None,
                f"{where}; your organisation's registered duty (职责) grants it",
            )
        return FieldDecision(
            coordinate,
            sharing_class,
            False,
            (),
            Reason.OUTSIDE_DUTY,
            f"{where}; your organisation's registered duty (职责) does not",
        )
    conditions = tuple(
        Condition(condition_kind, sharing_class)
        for condition_kind in CONDITION_KINDS
        if sharing_class in entry.get(condition_kind, [])
    )
    if conditions:
        reason = _CONDITION_REASON[conditions[0].kind]
        where = ", ".join(f"consumers.{kind.value}.{c.kind} ∋ {sharing_class}" for c in conditions)
        return FieldDecision(
            coordinate, sharing_class, False, conditions, reason, f"{field_citation}; {where}"
        )
    reason = Reason.PERSONAL_DATA if sharing_class.startswith("personal") else Reason.NOT_SHARED
    return FieldDecision(
        coordinate,
        sharing_class,
        False,
        (),
        reason,
        f"{field_citation}; consumers.{kind.value}.classes ∌ {sharing_class}",
    )


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped beside this module, read once."""
    return Catalogue.load()
