"""Row checks: every cell parsed, every rule of its feed kind applied, every problem kept.

`RowChecker` turns a `SourceRow` into either a `CheckedRow` (typed values by English column
name) or a `RejectedRow` listing *all* its problems at once, so a department fixes a row in one
go instead of resending it once per mistake. Checks that need the graph (does the subject
exist?) happen at write time and reject rows the same way.

The deciding authority of a decision (处罚机关, 许可机关 … and its code) is checked against the
registered organisations (`Organisations`): its code must be one of them and the name the row
gives must be that organisation's full name, short name or an alias. The supplier who sent the
file may be another department relaying it (数据来源单位, e.g. the big-data office): it stays
the supplier, the decider is who the decision belongs to (objections, repair, lateness).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from graph.database import Database
from graph.model import Label
from loaders.collection import Permit, Supplier
from loaders.feed_kinds import Column, FeedKind, Problem, Target, normalise_header
from loaders.fields import FieldError, ParseContext
from loaders.sources import SourceRow

__all__ = [
    "CheckedRow",
    "MissingColumns",
    "Organisation",
    "Organisations",
    "RejectedRow",
    "RowChecker",
    "load_organisations",
]


@dataclass(frozen=True)
class CheckedRow:
    """A row whose cells all parsed and whose rules all hold."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RejectedRow:
    """A row kept for quarantine: its number, its problems and the cells as they were sent."""

    number: int
    problems: tuple[Problem, ...]
    cells: Mapping[str, Any]
    raw: str | None = None


class MissingColumns(ValueError):
    """The header lacks required columns, so every row would fail: refuse the file instead."""

    def __init__(self, kind: FeedKind, missing: list[Column]) -> None:
        names = "、".join(f"{c.label}({c.name})" for c in missing)
        super().__init__(
            f"“{kind.label}”缺少必填列: {names} (the header lacks required columns of {kind.code})"
        )
        self.missing = missing


_DECISION_TARGETS = (Target.RECORD, Target.LIST_ENTRY)


def _name_key(name: str | None) -> str:
    folded = unicodedata.normalize("NFKC", name or "").replace("\ufeff", "")
    return "".join(folded.split())


@dataclass(frozen=True)
class Organisation:
    """A registered organisation that may decide: department, association, bank, agency."""

    code: str
    label: str
    name: str
    short_name: str | None = None
    aliases: tuple[str, ...] = ()
    sector: str | None = None

    def answers_to(self, name: str) -> bool:
        """Whether ``name`` is this organisation's full name, short name or an alias."""
        key = _name_key(name)
        return key in {_name_key(n) for n in (self.name, self.short_name, *self.aliases) if n}


@dataclass(frozen=True)
class Organisations:
    """The registered organisations by code, read once per load."""

    by_code: Mapping[str, Organisation] = field(default_factory=dict)

    def get(self, code: str | None) -> Organisation | None:
        """The organisation registered under ``code``."""
        return self.by_code.get(code) if code else None

    def named(self, name: str) -> list[Organisation]:
        """The organisations answering to ``name`` (full name, short name or alias)."""
        return [o for o in self.by_code.values() if o.answers_to(name)]


_DECIDER_LABELS: Final = (Label.DEPARTMENT, Label.ASSOCIATION, Label.BANK, Label.CREDIT_AGENCY)

# `aliases` is being added to the organisations by the reference data; a missing one is empty.
_ORGANISATIONS: Final = """
MATCH (o) WHERE o:Department OR o:Association OR o:Bank OR o:CreditAgency
RETURN o.code AS code, [l IN labels(o) WHERE l IN $labels][0] AS label, o.name AS name,
       o.shortName AS shortName, coalesce(o.aliases, []) AS aliases, o.sector AS sector
"""


async def load_organisations(db: Database) -> Organisations:
    """Every registered organisation (a city has hundreds, not millions: one read per load)."""
    rows = await db.read(_ORGANISATIONS, {"labels": [str(label) for label in _DECIDER_LABELS]})
    return Organisations(
        {
            row["code"]: Organisation(
                row["code"],
                row["label"],
                row["name"] or row["code"],
                row["shortName"],
                tuple(str(a) for a in row["aliases"] if a),
                row["sector"],
            )
            for row in rows
            if row["code"]
        }
    )


class RowChecker:
    """Checks rows of one feed from one supplier under the catalogue's permit."""

    def __init__(
        self,
        kind: FeedKind,
        supplier: Supplier,
        permit: Permit,
        context: ParseContext,
        headers: Sequence[str] = (),
        organisations: Organisations | None = None,
    ) -> None:
        self.kind = kind
        self.organisations = organisations
        # Every row of a feed names the same few authorities: judge each name once per load.
        self._answers: dict[tuple[str, str], bool] = {}
        self.supplier = supplier
        self.permit = permit
        self.context = context
        self.ignored_headers: list[str] = []
        self._columns: dict[Any, Column | None] = {}
        if headers:
            found = {
                kind.by_header[k].name
                for h in headers
                if (k := normalise_header(h)) in kind.by_header
            }
            self.ignored_headers = [h for h in headers if normalise_header(h) not in kind.by_header]
            missing = [c for c in kind.columns if c.required and c.name not in found]
            if missing:
                raise MissingColumns(kind, missing)

    def _column_of(self, header: Any) -> Column | None:
        # Headers repeat on every row: normalise each one once per load, not once per cell.
        try:
            return self._columns[header]
        except KeyError:
            column = self.kind.by_header.get(normalise_header(str(header)))
            self._columns[header] = column
            return column

    def check(self, row: SourceRow) -> CheckedRow | RejectedRow:
        """Parse and check one row; never raises for bad data."""
        if row.problem:
            # Cells of a misshapen row are shifted or missing, so checking them one by one
            # would report noise; the shape is the one thing to fix.
            return RejectedRow(
                row.number, (Problem("", "ROW_SHAPE", row.problem),), dict(row.cells), row.raw
            )
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for header, raw in row.cells.items():
            column = self._column_of(header)
            if column is None:
                continue
            if column.name in values and values[column.name] is not None:
                problems.append(
                    Problem(
                        column.name,
                        "DUPLICATE_COLUMN",
                        f"“{header}”与另一列重复 (column given twice)",
                    )
                )
                continue
            try:
                values[column.name] = column.parse(raw, self.context)
            except FieldError as error:
                problems.append(Problem(column.name, error.code, error.reason))
                values[column.name] = None
        failed = {p.field for p in problems}
        for column in self.kind.columns:
            value = values.get(column.name)
            if value is None and column.required and column.name not in failed:
                problems.append(
                    Problem(column.name, "REQUIRED", f"{column.label}为必填项 (required)")
                )
            elif (
                value is not None
                and self.permit.fields is not None
                and not column.required
                and column.name not in self.permit.fields
            ):
                problems.append(
                    Problem(
                        column.name,
                        "FIELD_NOT_IN_CATALOGUE",
                        f"采集目录未规定本单位报送“{column.label}” "
                        "(the collection catalogue does not list this column for you)",
                    )
                )
        if not problems:
            for rule in self.kind.rules:
                for problem in rule(values):
                    # Two rules may fault one cell the same way (validTo before validFrom and
                    # before the decision): one mention is enough to fix it.
                    if not any(
                        (p.field, p.code) == (problem.field, problem.code) for p in problems
                    ):
                        problems.append(problem)
        if not problems:
            problems.extend(self._decider_code(values))
        if not problems:
            problems.extend(self._own_decision(values))
        if not problems:
            problems.extend(self._decider(values))
        if problems:
            return RejectedRow(row.number, tuple(problems), dict(row.cells), row.raw)
        return CheckedRow(row.number, values)

    def _own_decision(self, values: Mapping[str, Any]) -> list[Problem]:
        """谁认定、谁报送: a supplier sends its own decisions unless the catalogue lets it relay."""
        if self.kind.target not in _DECISION_TARGETS or self.permit.relay:
            return []
        if values.get("issuingAuthorityCode") != self.supplier.code:
            return [
                Problem(
                    "issuingAuthorityCode",
                    "NOT_OWN_DECISION",
                    f"决定机关代码与报送单位{self.supplier.name}不一致，只能报送本单位作出的决定 "
                    "(a supplier sends only its own decisions)",
                )
            ]
        return []

    def _decider_code(self, values: dict[str, Any]) -> list[Problem]:
        """A decider given by name only (the court's national fields) gets its registered code."""
        if (
            self.kind.target not in _DECISION_TARGETS
            or values.get("issuingAuthorityCode")
            or not values.get("issuingAuthority")
        ):
            return []
        label = self.kind.label_of("issuingAuthority")
        matches = self.organisations.named(values["issuingAuthority"]) if self.organisations else []
        if len(matches) > 1:
            # Two registered organisations answer to the name: the sender, if it is one of them
            # (a court sends its own list), else nobody can tell.
            matches = [o for o in matches if o.code == self.supplier.code] or matches
        if len(matches) != 1:
            which = "不唯一" if matches else "不是已登记的机关或组织"
            return [
                Problem(
                    "issuingAuthority",
                    "DECIDER_NOT_REGISTERED",
                    f"{label}“{values['issuingAuthority']}”{which}，请填写{label}统一社会信用代码 "
                    "(the authority named is not one registered organisation; give its code)",
                )
            ]
        values["issuingAuthorityCode"] = matches[0].code
        return []

    def _decider(self, values: dict[str, Any]) -> list[Problem]:
        """The deciding authority is a registered organisation and the row names it rightly.

        On success the row carries the decider's sector (``deciderSector``): rules that follow
        the decider (the 警告-only rule of market regulation) read it, not the supplier's.
        """
        if self.organisations is None or "issuingAuthorityCode" not in values:
            return []
        code = values.get("issuingAuthorityCode")
        label = self.kind.label_of("issuingAuthority")
        decider = self.organisations.get(code)
        if decider is None:
            return [
                Problem(
                    "issuingAuthorityCode",
                    "DECIDER_NOT_REGISTERED",
                    f"{label}统一社会信用代码{code}不是已登记的机关或组织，"
                    "请核对代码或先登记该机关 "
                    "(the deciding authority's code is not a registered organisation)",
                )
            ]
        given = values.get("issuingAuthority")
        if given and (agrees := self._answers.get((decider.code, given))) is None:
            agrees = self._answers[(decider.code, given)] = decider.answers_to(given)
        if given and not agrees:
            return [
                Problem(
                    "issuingAuthority",
                    "DECIDER_NAME_MISMATCH",
                    f"{label}“{given}”与代码{code}登记的“{decider.name}”不一致 "
                    "(the authority's name does not agree with its code)",
                )
            ]
        values["deciderSector"] = decider.sector
        return []
