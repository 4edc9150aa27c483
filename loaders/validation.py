"""Row checks: every cell parsed, every rule of its feed kind applied, every problem kept.

`RowChecker` turns a `SourceRow` into either a `CheckedRow` (typed values by English column
name) or a `RejectedRow` listing *all* its problems at once, so a department fixes a row in one
go instead of resending it once per mistake. Checks that need the graph (does the subject
exist?) happen at write time and reject rows the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loaders.collection import Permit, Supplier
from loaders.feed_kinds import Column, FeedKind, Problem, Target, normalise_header
from loaders.fields import FieldError, ParseContext
from loaders.sources import SourceRow

__all__ = ["CheckedRow", "MissingColumns", "RejectedRow", "RowChecker"]


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


class RowChecker:
    """Checks rows of one feed from one supplier under the catalogue's permit."""

    def __init__(
        self,
        kind: FeedKind,
        supplier: Supplier,
        permit: Permit,
        context: ParseContext,
        headers: Sequence[str] = (),
    ) -> None:
        self.kind = kind
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
            problems.extend(self._own_decision(values))
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
