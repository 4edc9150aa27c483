"""Cell parsers: turn one raw cell of a department feed into a checked, normalised value.

A parser takes what the file gave (text from CSV or JSON, a number or a date from XLSX, or
nothing) and returns the value to store, or raises `FieldError` with a stable code and a reason
a department clerk can act on. Empty cells come back as ``None``; whether a field may be empty
is the feed kind's business, not the parser's.

Reasons are Chinese first with the English in brackets, like the identifier rules, and never
repeat a resident ID number (PIPL): quarantine reports travel by e-mail.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graph.identifiers import validate_resident_id, validate_uscc

__all__ = [
    "MAX_TEXT_LENGTH",
    "FieldError",
    "ParseContext",
    "Parser",
    "amount",
    "choice",
    "day",
    "resident_id",
    "share",
    "text",
    "uscc",
    "uscc_or_resident_id",
    "year",
]

MAX_TEXT_LENGTH: Final = 4000
"""Longest accepted text cell; a longer one is a broken export, not a penalty's facts."""


class FieldError(ValueError):
    """A cell that cannot be accepted, with a stable ``code`` for counting and a ``reason``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class ParseContext:
    """What parsers may need beyond the cell: the load's notion of today, accepted overrides."""

    today: datetime.date
    uscc_overrides: frozenset[str] = frozenset()


Parser = Callable[[Any, ParseContext], Any]
"""``parse(raw, context) -> value``; raises `FieldError`; returns ``None`` for an empty cell."""

# Formula prefixes as spreadsheet programs read them (OWASP "CSV injection"): a cell beginning
# with one of these is executed when a clerk opens an export, so such text is refused on input.
_FORMULA_START: Final = ("=", "+", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _as_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        # XLSX stores typed-in numbers (文号 "2024001", a licence number) as floats.
        return str(int(raw))
    return str(raw).strip()


def text(max_length: int = MAX_TEXT_LENGTH) -> Parser:
    """Free text: trimmed; control characters, formulas and oversized cells are refused."""

    def parse(raw: Any, context: ParseContext) -> str | None:
        if _is_empty(raw):
            return None
        value = _as_text(raw)
        if value.startswith(_FORMULA_START) or (
            value.startswith("-") and len(value) > 1 and not value[1].isdigit()
        ):
            raise FieldError(
                "FORMULA",
                "内容以公式符号开头，可能是电子表格公式 (cell starts like a spreadsheet formula)",
            )
        if _CONTROL.search(value):
            raise FieldError("CONTROL_CHARACTER", "含有控制字符 (contains control characters)")
        if len(value) > max_length:
            raise FieldError(
                "TOO_LONG",
                f"长度{len(value)}超过上限{max_length} "
                f"(length {len(value)} exceeds {max_length} characters)",
            )
        return value

    return parse


def _code_text(raw: Any) -> str:
    # Codes are often typed with full-width characters or stray spaces in Chinese input methods.
    return unicodedata.normalize("NFKC", _as_text(raw)).replace(" ", "")


def uscc(raw: Any, context: ParseContext) -> str | None:
    """A unified social credit code (GB 32100), checked in full unless on the reviewed overrides."""
    if _is_empty(raw):
        return None
    code = _code_text(raw)
    if code in context.uscc_overrides:
        return code
    problem = _uscc_problem(code)
    if problem is not None:
        raise FieldError(*problem)
    return code


@functools.lru_cache(maxsize=65536)
def _uscc_problem(code: str) -> tuple[str, str] | None:
    # A feed names the same few authorities and a limited set of subjects on every row.
    problems = validate_uscc(code)
    if not problems:
        return None
    return (
        "USCC_" + problems[0].field.upper(),
        "统一社会信用代码无效 (invalid USCC): " + "; ".join(p.reason for p in problems),
    )


def resident_id(raw: Any, context: ParseContext) -> str | None:
    """An 18-digit resident ID (GB 11643); reasons never repeat the number."""
    if _is_empty(raw):
        return None
    number = _code_text(raw).upper()
    problems = validate_resident_id(number, today=context.today)
    if problems:
        raise FieldError(
            "ID_" + problems[0].field.upper(),
            "身份证号码无效 (invalid resident ID): " + "; ".join(p.reason for p in problems),
        )
    return number


_DATE_PATTERNS: Final = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
# Exports add a midnight time to dates; anything after the date part must look like a time.
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def _parse_date(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    value = _code_text(raw) if not isinstance(raw, str) else unicodedata.normalize("NFKC", raw)
    value = value.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match and _TIME_SUFFIX.fullmatch(value[match.end() :]):
            year, month, dom = (int(g) for g in match.groups())
            try:
                return datetime.date(year, month, dom)
            except ValueError:
                raise FieldError("DATE_INVALID", f"日期不存在 (no such date: {value})") from None
    raise FieldError(
        "DATE_FORMAT",
        f"日期格式无法识别，应为YYYY-MM-DD (unrecognised date {value[:40]!r}, use YYYY-MM-DD)",
    )


def day(*, not_future: bool = False, earliest: datetime.date | None = None) -> Parser:
    """A calendar date in the usual Chinese export formats; optionally not after today."""
    floor = earliest or datetime.date(1949, 10, 1)

    def parse(raw: Any, context: ParseContext) -> datetime.date | None:
        if _is_empty(raw):
            return None
        value = _parse_date(raw)
        if not_future and value > context.today:
            raise FieldError(
                "DATE_IN_FUTURE",
                f"日期{value.isoformat()}晚于今天 (date is after today, {context.today})",
            )
        if value < floor:
            raise FieldError(
                "DATE_TOO_EARLY", f"日期{value.isoformat()}早于{floor} (date before {floor})"
            )
        return value

    return parse


_NUMBER = re.compile(r"[+]?\d+(?:\.\d+)?")


def _parse_number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise FieldError("NUMBER_FORMAT", "应为数字 (expected a number)")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        textual = _code_text(raw).replace(",", "")
        if not _NUMBER.fullmatch(textual):
            raise FieldError(
                "NUMBER_FORMAT",
                f"应为非负数字 (expected a non-negative number, got {textual[:20]!r})",
            )
        value = float(textual)
    if not math.isfinite(value) or value < 0:
        raise FieldError("NUMBER_FORMAT", "应为非负数字 (expected a non-negative number)")
    return value


def amount(maximum: float = 10_000_000.0) -> Parser:
    """An amount in 万元 (ten thousand yuan), non-negative and below a plausibility ceiling."""

    def parse(raw: Any, context: ParseContext) -> float | None:
        if _is_empty(raw):
            return None
        value = _parse_number(raw)
        if value > maximum:
            raise FieldError(
                "AMOUNT_IMPLAUSIBLE",
                f"金额{value:g}万元超过合理上限{maximum:g}万元，请核对单位 "
                f"(amount above {maximum:g} 万元; check the unit)",
            )
        return round(value, 6)

    return parse


def share(raw: Any, context: ParseContext) -> float | None:
    """A shareholding as a fraction in (0, 1]: ``35%``, ``35`` (percent) or ``0.35``."""
    if _is_empty(raw):
        return None
    percent = isinstance(raw, str) and raw.strip().endswith(("%", "％"))
    value = _parse_number(raw.strip().rstrip("%％") if isinstance(raw, str) else raw)
    if percent or value > 1:
        value /= 100
    if not 0 < value <= 1:
        raise FieldError("SHARE_RANGE", "持股比例应在0到100%之间 (share must be in (0, 100%])")
    return round(value, 8)


def choice(options: Mapping[str, str], *, what: str) -> Parser:
    """One of a closed list, given by its Chinese label or stored value; returns the value.

    ``options`` maps every accepted spelling (Chinese label, English value, common variants) to
    the stored value; matching ignores case and surrounding spaces.
    """
    lookup = {key.strip().upper(): value for key, value in options.items()}
    accepted = "、".join(dict.fromkeys(k for k in options if not k.isascii()))

    def parse(raw: Any, context: ParseContext) -> str | None:
        if _is_empty(raw):
            return None
        key = unicodedata.normalize("NFKC", _as_text(raw)).strip().upper()
        if key not in lookup:
            raise FieldError(
                "NOT_IN_LIST",
                f"{what}“{_as_text(raw)[:20]}”不在规定取值中，应为: {accepted} "
                f"(not an accepted {what})",
            )
        return lookup[key]

    return parse


def uscc_or_resident_id(raw: Any, context: ParseContext) -> tuple[str, str] | None:
    """The court's ``证件号码/统一社会信用代码`` column: ``("USCC", code)`` or ``("ID", id)``.

    An 18-character value that is all digits (or ends in X) is read as a resident ID, anything
    else as a USCC; each is then checked in full, so a mistyped value gets its own reason.
    """
    if _is_empty(raw):
        return None
    value = _code_text(raw).upper()
    if len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X"):
        number = resident_id(value, context)
        if number is not None:
            return ("ID", number)
    code = uscc(value, context)
    return None if code is None else ("USCC", code)


def year(raw: Any, context: ParseContext) -> int | None:
    """A year (评价年度, 年报年度): ``2025``, ``2025年`` or ``2025年度``; not after this year."""
    if _is_empty(raw):
        return None
    value = _code_text(raw).removesuffix("度").removesuffix("年")
    if not re.fullmatch(r"\d{4}", value):
        raise FieldError("YEAR_FORMAT", f"年度应为四位数字 (expected a year, got {value[:12]!r})")
    number = int(value)
    if not 1949 <= number <= context.today.year:
        raise FieldError(
            "YEAR_RANGE", f"年度{number}不在1949至今年之间 (year outside 1949..this year)"
        )
    return number
