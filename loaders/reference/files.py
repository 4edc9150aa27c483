"""Reading the reference files a clerk edits: CSV (UTF-8 or GBK) or TOML, checked row by row.

A file is read whole and refused whole: `ReferenceFileError` lists every problem found, each
naming the file, the row (CSV: header = row 1; TOML: the n-th table) and the field (the header
the clerk wrote), Chinese then English. Nothing is written before a file has passed.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from loaders.reference.models import (
    ORGANISATION_HEADERS,
    CommitmentItemEntry,
    CommitmentItemFile,
    MeasureCatalogueFile,
    MeasureEntry,
    OrganisationEntry,
    OrganisationFile,
)

__all__ = [
    "Problem",
    "ReferenceFileError",
    "read_commitment_items",
    "read_measure_catalogue",
    "read_organisations",
]

M = TypeVar("M", bound=BaseModel)

_MAX_SHOWN: Final = 30

# What pydantic's error types mean, for a clerk (the English original follows in brackets).
_ZH: Final = {
    "missing": "必填",
    "extra_forbidden": "未知字段",
    "string_too_short": "内容过短或为空",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不符",
    "string_type": "应为文字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期 (YYYY-MM-DD)",
    "date_parsing": "应为日期 (YYYY-MM-DD)",
    "date_from_datetime_parsing": "应为日期 (YYYY-MM-DD)",
    "list_type": "应为列表",
    "too_short": "至少需要一项",
}


@dataclass(frozen=True)
class Problem:
    """One problem of a reference file: where it is and what is wrong."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"第{self.row}行 (row {self.row})")
        if self.field:
            where.append(f"字段 {self.field} (field {self.field})")
        return f"{', '.join(where)}: {self.message}"


class ReferenceFileError(ValueError):
    """A reference file that cannot be loaded; `problems` names file, row and field of each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:_MAX_SHOWN])
        more = len(problems) - _MAX_SHOWN
        tail = f"\n  … 另有{more}处 ({more} more)" if more > 0 else ""
        super().__init__(
            f"参考数据文件有误，未导入任何内容 (reference file refused, nothing imported):\n"
            f"{shown}{tail}"
        )


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    text = str(error.get("msg", ""))
    if kind == "value_error":
        # Our own validators: already Chinese then English.
        return text.removeprefix("Value error, ")
    zh = _ZH.get(kind)
    return f"{zh} ({text})" if zh else text


def _validate(
    model: type[M], data: Mapping[str, Any], file: str, row: int | None, names: Mapping[str, str]
) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(dict(data)), []
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc = detail.get("loc", ())
            field = str(loc[0]) if loc else None
            shown = names.get(field, field) if field else None
            problems.append(Problem(file, row, shown, _message(detail)))
        return None, problems


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # GB18030 reads GBK (what Excel saves as "CSV" on a Chinese Windows) and more.
        return raw.decode("gb18030")


def _normalised(header: str) -> str:
    text = header.strip().replace("\ufeff", "").replace(" ", "").replace("\u3000", "")
    return text.replace("（", "(").replace("）", ")").replace("／", "/")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ReferenceFileError(
            [Problem(path.name, None, None, f"无法读取 (cannot read: {error.strerror})")]
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_decode(_read_bytes(path), None))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ReferenceFileError(
            [Problem(path.name, None, None, f"不是有效的TOML文件 (not valid TOML: {error})")]
        ) from None


def _rows_of_csv(
    path: Path, encoding: str | None
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, str]]:
    try:
        text = _decode(_read_bytes(path), encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ReferenceFileError(
            [Problem(path.name, None, None, f"无法解码，请存为UTF-8或GBK (cannot decode: {error})")]
        ) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ReferenceFileError([Problem(path.name, 1, None, "缺少表头 (no header row)")])
    fields: list[str | None] = []
    shown: dict[str, str] = {}
    problems = []
    for column in header:
        name = _normalised(column)
        field = ORGANISATION_HEADERS.get(name) or (
            name if name in OrganisationEntry.model_fields else None
        )
        if field is None and name:
            problems.append(Problem(path.name, 1, column.strip(), "未知列 (unknown column)"))
        if field is not None and field in shown:
            problems.append(Problem(path.name, 1, column.strip(), "列重复 (duplicate column)"))
        fields.append(field)
        if field is not None:
            shown.setdefault(field, column.strip())
    for required in ("code", "name", "kind"):
        if required not in shown:
            problems.append(
                Problem(path.name, 1, required, "缺少必需的列 (required column missing)")
            )
    if problems:
        raise ReferenceFileError(problems)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(fields) and any(c.strip() for c in cells[len(fields) :]):
            problems.append(
                Problem(path.name, number, None, "单元格多于表头 (more cells than headers)")
            )
            continue
        row = {f: cells[i] for i, f in enumerate(fields) if f is not None and i < len(cells)}
        rows.append((number, row))
    if problems:
        raise ReferenceFileError(problems)
    return rows, shown


def _unique(entries: Iterable[tuple[int, Any]], key: str, file: str, field: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for row, entry in entries:
        value = getattr(entry, key)
        if value in seen:
            problems.append(
                Problem(
                    file, row, field, f"与第{seen[value]}行重复 (duplicate of row {seen[value]})"
                )
            )
        seen.setdefault(value, row)
    return problems


def read_organisations(path: Path, *, encoding: str | None = None) -> list[OrganisationEntry]:
    """The organisations of a CSV (UTF-8 or GBK, Chinese headers) or TOML file, all checked.

    Raises `ReferenceFileError` listing every problem; an organisation appears once per file.
    """
    file = path.name
    if path.suffix.lower() == ".toml":
        outer, problems = _validate(OrganisationFile, _read_toml(path), file, None, {})
        if outer is None:
            raise ReferenceFileError(problems)
        raw = list(enumerate(outer.organisation, start=1))
        shown: dict[str, str] = {}
    elif path.suffix.lower() in (".csv", ".txt"):
        raw, shown = _rows_of_csv(path, encoding)
    else:
        raise ReferenceFileError(
            [Problem(file, None, None, "应为 .csv 或 .toml 文件 (expected a .csv or .toml file)")]
        )
    entries: list[tuple[int, OrganisationEntry]] = []
    problems = []
    for row, data in raw:
        entry, found = _validate(OrganisationEntry, data, file, row, shown)
        problems.extend(found)
        if entry is not None:
            entries.append((row, entry))
    problems.extend(_unique(entries, "code", file, shown.get("code", "code")))
    if not raw:
        problems.append(Problem(file, None, None, "没有任何机构 (no organisation in the file)"))
    if problems:
        raise ReferenceFileError(problems)
    return [entry for _, entry in entries]


def read_measure_catalogue(path: Path) -> tuple[MeasureCatalogueFile, list[MeasureEntry]]:
    """The measures catalogue TOML (title, version, basis documents, measures), all checked."""
    file = path.name
    catalogue, problems = _validate(MeasureCatalogueFile, _read_toml(path), file, None, {})
    if catalogue is None:
        raise ReferenceFileError(problems)
    measures: list[tuple[int, MeasureEntry]] = []
    for row, data in enumerate(catalogue.measure, start=1):
        entry, found = _validate(MeasureEntry, data, file, row, {})
        problems.extend(found)
        if entry is not None:
            measures.append((row, entry))
    problems.extend(_unique(measures, "code", file, "code"))
    if problems:
        raise ReferenceFileError(problems)
    return catalogue, [m for _, m in measures]


def read_commitment_items(path: Path) -> list[CommitmentItemEntry]:
    """The commitment item catalogue TOML (``[[item]]`` tables), all checked."""
    file = path.name
    outer, problems = _validate(CommitmentItemFile, _read_toml(path), file, None, {})
    if outer is None:
        raise ReferenceFileError(problems)
    items: list[tuple[int, CommitmentItemEntry]] = []
    for row, data in enumerate(outer.item, start=1):
        entry, found = _validate(CommitmentItemEntry, data, file, row, {})
        problems.extend(found)
        if entry is not None:
            items.append((row, entry))
    problems.extend(_unique(items, "code", file, "code"))
    if problems:
        raise ReferenceFileError(problems)
    return [i for _, i in items]
