"""Reading feed files: CSV (UTF-8 or GB18030/GBK), XLSX and JSON Lines, row by row.

A feed file is read twice. The first pass checks that the whole file decodes and parses, counts
its rows and hashes its bytes, so a wrongly encoded or broken file is refused before a single row
is written (nothing is ever loaded half-way). The second pass yields the rows to the pipeline.

Row numbers are what the department sees when it opens its own file: the header is row 1 and the
first data row is row 2 (spreadsheet numbering, also for CSV); JSON Lines count lines from 1.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "FeedFile",
    "FeedFileError",
    "SourceRow",
    "detect_encoding",
    "open_feed",
]

Format = Literal["csv", "xlsx", "jsonl"]

_SAMPLE_BYTES: Final = 1 << 20
_CHUNK_BYTES: Final = 1 << 20
# A real cell is far shorter; the parser's own limit is the text fields' maximum. The csv
# module's default (128 KiB) would abort the whole file on one oversized cell instead.
csv.field_size_limit(16 << 20)


class FeedFileError(ValueError):
    """The file as a whole cannot be read: wrong encoding, no header, unknown format."""


@dataclass(frozen=True)
class SourceRow:
    """One data row: its number in the file, its cells by header, and a structural problem."""

    number: int
    cells: dict[str, Any]
    problem: str | None = None
    raw: str | None = None


@dataclass(frozen=True)
class FeedFile:
    """A feed file that passed the first pass: format, encoding, headers, rows, content hash."""

    path: Path
    format: Format
    encoding: str | None
    headers: tuple[str, ...]
    row_count: int
    content_hash: str

    def rows(self) -> Iterator[SourceRow]:
        """The data rows in file order (blank rows skipped)."""
        if self.format == "csv":
            return _csv_rows(self.path, self.encoding or "utf-8")
        if self.format == "xlsx":
            return _xlsx_rows(self.path)
        return _jsonl_rows(self.path, self.encoding or "utf-8")


def _format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise FeedFileError(
        f"{path.name}: 不支持的文件格式 {suffix or '(无扩展名)'}，应为 CSV、XLSX 或 JSONL "
        "(unsupported format; use .csv, .xlsx or .jsonl)"
    )


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text feed from its first bytes: UTF-8 (with or without BOM) or GB18030.

    GB18030 is the superset of GBK and GB2312 that Chinese government systems export, so it is
    the fallback whenever the sample is not valid UTF-8. A sample cut in the middle of a
    multi-byte character is still recognised, since the incremental decoder waits for the rest.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _check_decodes(path: Path, encoding: str) -> str:
    """Decode the whole file once; return its SHA-256, or say where it stops being ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    digest = hashlib.sha256()
    offset = 0
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                at = offset + error.start
                line = lines + chunk[: error.start].count(b"\n")
                raise FeedFileError(
                    f"{path.name}: 第{line}行(字节{at})起不是有效的{encoding}编码，"
                    f"请确认文件编码或用 --encoding 指定 (the file is not valid {encoding} at "
                    f"byte {at}, line {line}; pass --encoding gb18030 or utf-8)"
                ) from None
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FeedFileError(
                f"{path.name}: 文件末尾字符不完整，文件可能被截断 (the file ends in the middle "
                "of a character: it was probably cut off)"
            ) from None
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def open_feed(path: Path, *, encoding: str | None = None) -> FeedFile:
    """Check a feed file end to end (first pass) and return it ready to be read row by row.

    ``encoding`` overrides detection for CSV and JSON Lines (``gbk`` is read as its superset
    GB18030). Raises `FeedFileError` naming the file, and the line or byte where it went wrong.
    """
    if not path.is_file():
        raise FeedFileError(f"{path}: 文件不存在 (no such file)")
    fmt = _format_of(path)
    if fmt == "xlsx":
        headers, count = _xlsx_scan(path)
        return FeedFile(path, fmt, None, headers, count, _file_hash(path))

    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise FeedFileError(f"{path.name}: 文件为空 (the file is empty)")
    if encoding is None:
        chosen = detect_encoding(sample)
    else:
        chosen = encoding.lower()
        if chosen in ("gbk", "gb2312", "cp936"):
            chosen = "gb18030"
        try:
            codecs.lookup(chosen)
        except LookupError:
            raise FeedFileError(f"未知编码 {encoding!r} (unknown encoding)") from None
    content_hash = _check_decodes(path, chosen)
    if fmt == "csv":
        headers, count = _csv_scan(path, chosen)
    else:
        headers, count = (), sum(1 for _ in _jsonl_rows(path, chosen))
    return FeedFile(path, fmt, chosen, headers, count, content_hash)


# -- CSV ---------------------------------------------------------------------------------------


def _csv_reader(path: Path, encoding: str) -> tuple[io.TextIOWrapper, Iterator[list[str]]]:
    handle = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
    return handle, csv.reader(handle, strict=False)


def _csv_headers(first: list[str] | None, path: Path) -> tuple[str, ...]:
    if first is None or not any(cell.strip() for cell in first):
        raise FeedFileError(f"{path.name}: 第1行应为表头 (row 1 must be the header)")
    headers = tuple(cell.strip().lstrip("\ufeff") for cell in first)
    duplicates = {h for h in headers if h and headers.count(h) > 1}
    if duplicates:
        raise FeedFileError(
            f"{path.name}: 表头重复: {'、'.join(sorted(duplicates))} (duplicate header columns)"
        )
    return headers


def _blank(cells: list[str]) -> bool:
    """A row of empty or whitespace-only cells (skipped). Joined and stripped in C: this runs
    for every row of a feed, twice, the first time before anything is loaded."""
    return not "".join(cells).strip()


def _csv_scan(path: Path, encoding: str) -> tuple[tuple[str, ...], int]:
    handle, reader = _csv_reader(path, encoding)
    with handle:
        try:
            headers = _csv_headers(next(reader, None), path)
            count = sum(1 for cells in reader if not _blank(cells))
        except csv.Error as error:
            raise FeedFileError(
                f"{path.name}: 第{reader.line_num}行 CSV 格式错误: {error} (malformed CSV)"  # type: ignore[attr-defined]
            ) from None
    return headers, count


def _csv_rows(path: Path, encoding: str) -> Iterator[SourceRow]:
    handle, reader = _csv_reader(path, encoding)
    with handle:
        headers = _csv_headers(next(reader, None), path)
        width = len(headers)
        for number, cells in enumerate(reader, start=2):
            if _blank(cells):
                continue
            problem = None
            if len(cells) != width:
                problem = (
                    f"该行有{len(cells)}列，表头有{width}列，可能有未转义的逗号或文件被截断 "
                    f"(row has {len(cells)} cells, the header {width})"
                )
            yield SourceRow(
                number,
                dict(zip(headers, cells, strict=False)),
                problem,
                raw=",".join(cells)[:2000] if problem else None,
            )


# -- XLSX --------------------------------------------------------------------------------------


def _xlsx_open(path: Path) -> Any:
    from openpyxl import load_workbook  # imported here: only XLSX feeds need it

    try:
        # data_only=False keeps formulas as their text, so a formula cell is refused rather
        # than silently replaced by whatever value the sender's spreadsheet cached.
        return load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises several unrelated types for broken files
        raise FeedFileError(
            f"{path.name}: 无法读取 XLSX 文件，文件可能损坏或被截断 ({type(error).__name__}: "
            "not a readable .xlsx workbook)"
        ) from None


def _xlsx_iter(path: Path) -> Iterator[tuple[Any, ...]]:
    workbook = _xlsx_open(path)
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _xlsx_headers(first: tuple[Any, ...] | None, path: Path) -> tuple[str, ...]:
    cells = [] if first is None else ["" if c is None else str(c) for c in first]
    while cells and not cells[-1].strip():
        cells.pop()
    return _csv_headers(cells or None, path)


def _xlsx_scan(path: Path) -> tuple[tuple[str, ...], int]:
    rows = _xlsx_iter(path)
    try:
        headers = _xlsx_headers(next(rows, None), path)
        count = sum(1 for cells in rows if any(_filled(c) for c in cells))
    except FeedFileError:
        raise
    except Exception as error:
        raise FeedFileError(
            f"{path.name}: XLSX 内容损坏 ({type(error).__name__}: the workbook is damaged)"
        ) from None
    return headers, count


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _xlsx_rows(path: Path) -> Iterator[SourceRow]:
    rows = _xlsx_iter(path)
    headers = _xlsx_headers(next(rows, None), path)
    width = len(headers)
    for number, cells in enumerate(rows, start=2):
        if not any(_filled(c) for c in cells):
            continue
        extra = [c for c in cells[width:] if _filled(c)]
        problem = (
            f"表头之外还有{len(extra)}个单元格有内容 (cells beyond the header)" if extra else None
        )
        yield SourceRow(number, dict(zip(headers, cells[:width], strict=False)), problem)


# -- JSON Lines --------------------------------------------------------------------------------


def _jsonl_rows(path: Path, encoding: str) -> Iterator[SourceRow]:
    with path.open("r", encoding=encoding, newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield SourceRow(
                    number, {}, f"不是有效的 JSON: {error.msg} (invalid JSON)", raw=line[:2000]
                )
                continue
            if not isinstance(value, dict):
                yield SourceRow(number, {}, "每行应为一个 JSON 对象 (each line must be an object)")
                continue
            nested = [k for k, v in value.items() if isinstance(v, dict | list)]
            problem = (
                f"字段{'、'.join(nested)}不应为嵌套对象或数组 (nested values are not allowed)"
                if nested
                else None
            )
            cells = {k: v for k, v in value.items() if k not in nested}
            yield SourceRow(number, cells, problem, raw=line[:2000] if problem else None)
