"""Chinese identifier rules: unified social credit codes, resident ID numbers, de-identification.

Standards implemented here:

GB 32100-2015 统一社会信用代码 (USCC)
    18 characters from a 31-character alphabet (digits and capitals without I O S V Z)::

        91 410481 MA4L41YT 1 U
        ^^ ^^^^^^ ^^^^^^^^ ^ ^
        |  |      |        | check character, GB/T 17710 MOD 31-3 over positions 1-17
        |  |      |        organisation-code check character (GB 11714)
        |  |      organisation-code body (主体标识码), positions 9-16
        |  registering authority's region, GB/T 2260 (410481 = 舞钢市)
        registering department (position 1) and category of organisation (position 2)

GB 11714 组织机构代码
    The 9-character organisation code, embedded in positions 9-17 of a USCC: an 8-character
    body followed by a MOD 11 check character (``0``-``9`` or ``X``).

GB 11643-1999 公民身份号码
    Six-digit region code, eight-digit birth date (YYYYMMDD), three-digit sequence whose parity
    gives the sex (odd = male), and an ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``).

Resident ID numbers are personal information under the PIPL, so nothing this module reports
about one (problem reasons, exception messages, reprs) ever repeats the number or a fragment of
it; `person_key` gives the graph a stable key for a person without storing the number.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from graph.lifecycle.base import china_today

__all__ = [
    "CATEGORY_FILE",
    "CATEGORY_LABELS",
    "COMPOUND_SURNAMES",
    "RESIDENT_ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "WUGANG_REGION",
    "IdProblem",
    "UsccProblem",
    "is_valid_resident_id",
    "is_valid_uscc",
    "load_category_table",
    "make_resident_id",
    "make_uscc",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "org_code_check_char",
    "person_key",
    "read_category_file",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_gender",
    "uscc_category",
    "uscc_check_char",
    "validate_resident_id",
    "validate_uscc",
]

# ---------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------------------------

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 USCC characters; a character's value is its index (I O S V Z are left out)."""

_USCC_VALUE: Final = {ch: i for i, ch in enumerate(USCC_ALPHABET)}

USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1-17 for the check character: 3^(i-1) mod 31."""

_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

# [0-9] rather than \d: \d also matches non-ASCII digits such as "４" or "٤".
_USCC_CHAR: Final = "[0-9A-HJ-NPQRTUWXY]"
_USCC_PATTERN: Final = re.compile(f"{_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{10}}")

WUGANG_REGION: Final = "410481"
"""GB/T 2260 code of 舞钢市 (Wugang, under 平顶山市 4104)."""

CATEGORY_FILE: Final = Path(__file__).with_name("uscc_categories.toml")
"""The packaged category table: data, so a newer category is one line there, not code."""


def _check_category_key(key: object) -> str:
    """Return ``key`` if it is two USCC characters (compared with positions 1-2 of a code)."""
    if not isinstance(key, str) or len(key) != 2 or any(ch not in _USCC_VALUE for ch in key):
        raise ValueError(f"category key must be two USCC characters, got {key!r}")
    return key


def read_category_file(path: Path = CATEGORY_FILE) -> dict[str, str]:
    """Read a category table (``[categories]`` of two-character keys -> Chinese labels).

    Raises `ValueError` when the file is not TOML, has no ``[categories]`` table, or holds a key
    that is not two USCC characters or a label that is not a non-empty string.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    raw = data.get("categories")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: a non-empty [categories] table is required")
    table: dict[str, str] = {}
    for key, label in raw.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{path}: category {key!r} needs a non-empty label")
        table[_check_category_key(key)] = label
    return table


CATEGORY_LABELS: Final[Mapping[str, str]] = MappingProxyType(read_category_file())
"""USCC positions 1-2 (registering department + category) -> Chinese label, from `CATEGORY_FILE`.

Read-only: a newer category is added to ``uscc_categories.toml``; a caller that needs one only
for itself extends the table with `load_category_table` and passes it as ``categories=``.
"""


@dataclass(frozen=True, slots=True)
class UsccProblem:
    """One reason a unified social credit code is invalid.

    ``field`` is one of ``length``, ``pattern``, ``category``, ``region``, ``org_code_check``,
    ``check_char``; ``reason`` is Chinese followed by English in brackets.
    """

    field: str
    reason: str


def load_category_table(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return a fresh copy of `CATEGORY_LABELS` with ``extra`` added (``extra`` wins on clashes).

    Keys must be two USCC characters, as they are compared with positions 1-2 of a code.
    """
    table = dict(CATEGORY_LABELS)
    for key, label in (extra or {}).items():
        table[_check_category_key(key)] = label
    return table


def uscc_check_char(first17: str) -> str:
    """Compute the check character (position 18) of a USCC from its first 17 characters.

    GB 32100 / GB/T 17710: ``C18 = 31 - (Σ value_i × 3^(i-1) mod 31)``, with 31 written as 0.
    Raises `ValueError` unless ``first17`` is 17 characters from `USCC_ALPHABET`.
    """
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("need the first 17 characters of a USCC, all from the USCC alphabet")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _org_code_value(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - ord("0")
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"organisation-code characters are 0-9 and A-Z, got {ch!r}")


def org_code_check_char(first8: str) -> str:
    """Compute the GB 11714 check character of an 8-character organisation-code body.

    In a USCC the body is positions 9-16 and the result belongs at position 17. Digits count as
    themselves and letters A-Z as 10-35; ``c = 11 - (Σ value_i × w_i mod 11)`` with weights
    3 7 9 10 5 8 4 2, where 10 is written ``X`` and 11 is written ``0``.
    """
    if len(first8) != 8:
        raise ValueError("an organisation-code body has 8 characters")
    total = sum(_org_code_value(ch) * w for ch, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    c = 11 - total % 11
    if c == 10:
        return "X"
    if c == 11:
        return "0"
    return str(c)


def _pattern_reason(code: str) -> str:
    for pos, ch in enumerate(code, start=1):
        in_region = 3 <= pos <= 8
        if ch not in ("0123456789" if in_region else USCC_ALPHABET):
            expected = "数字" if in_region else "数字或大写字母(不含I、O、S、V、Z)"
            return (
                f"第{pos}位字符不合规，应为{expected} "
                f"(character {ch!r} at position {pos} is not allowed)"
            )
    # Unreachable for an 18-character code that failed the pattern, kept as a safe fallback.
    return "字符不合规 (characters do not match the USCC pattern)"


def validate_uscc(
    code: str,
    *,
    categories: Mapping[str, str] | None = None,
    region_prefix: str | None = None,
) -> list[UsccProblem]:
    """Check a unified social credit code; return its problems, or ``[]`` when it is valid.

    Checks, in order: length 18; the character pattern (stop after either of these, since
    nothing further can be computed); category (positions 1-2) in ``categories`` (default
    `CATEGORY_LABELS`); positions 3-8 starting with ``region_prefix`` when given (e.g. ``"4104"``
    for 平顶山 or `WUGANG_REGION`); the organisation-code check character (position 17); the
    check character (position 18). Lower-case letters are rejected, not folded: a code on a
    licence is always upper case, so lower case means it was retyped and deserves a look.
    """
    if region_prefix is not None and (
        not 1 <= len(region_prefix) <= 6 or not all("0" <= ch <= "9" for ch in region_prefix)
    ):
        raise ValueError("region_prefix must be 1 to 6 digits of a GB/T 2260 code")
    if len(code) != 18:
        return [UsccProblem("length", f"长度应为18位 (length should be 18, found {len(code)})")]
    if not _USCC_PATTERN.fullmatch(code):
        return [UsccProblem("pattern", _pattern_reason(code))]

    problems: list[UsccProblem] = []
    table = CATEGORY_LABELS if categories is None else categories
    if code[:2] not in table:
        problems.append(
            UsccProblem(
                "category",
                f"登记管理部门和机构类别代码未知 (unknown category code {code[:2]!r})",
            )
        )
    if region_prefix is not None and not code[2:8].startswith(region_prefix):
        problems.append(
            UsccProblem(
                "region",
                f"登记管理机关行政区划码不在{region_prefix}范围内 "
                f"(region {code[2:8]!r} is outside {region_prefix!r})",
            )
        )
    expected_org = org_code_check_char(code[8:16])
    if code[16] != expected_org:
        problems.append(
            UsccProblem(
                "org_code_check",
                f"组织机构代码校验码错误 (organisation-code check character should be "
                f"{expected_org!r}, found {code[16]!r})",
            )
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        problems.append(
            UsccProblem(
                "check_char",
                f"校验码错误 (check character should be {expected!r}, found {code[17]!r})",
            )
        )
    return problems


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a valid USCC under the default category table."""
    return not validate_uscc(code)


def make_uscc(
    category: str,
    region: str,
    body8: str,
    *,
    categories: Mapping[str, str] | None = None,
) -> str:
    """Build a valid USCC from its category, six-digit region and 8-character body.

    Both check characters are computed. Raises `ValueError` when ``category`` is not in the
    table (default `CATEGORY_LABELS`), ``region`` is not six digits, or ``body8`` is not eight
    characters from `USCC_ALPHABET`.
    """
    table = CATEGORY_LABELS if categories is None else categories
    if category not in table:
        raise ValueError(f"unknown USCC category {category!r}")
    if len(region) != 6 or not all("0" <= ch <= "9" for ch in region):
        raise ValueError(f"region must be a six-digit GB/T 2260 code, got {region!r}")
    # GB 11714 alone would allow I O S V Z in the body, but a USCC cannot carry them.
    if len(body8) != 8 or any(ch not in _USCC_VALUE for ch in body8):
        raise ValueError(f"body must be 8 characters from the USCC alphabet, got {body8!r}")
    first17 = category + region + body8 + org_code_check_char(body8)
    return first17 + uscc_check_char(first17)


def uscc_category(code: str, *, categories: Mapping[str, str] | None = None) -> str | None:
    """The Chinese label of the category in positions 1-2 of ``code``, or ``None`` if unknown."""
    table = CATEGORY_LABELS if categories is None else categories
    return table.get(code[:2]) if len(code) >= 2 else None


# ---------------------------------------------------------------------------------------------
# Resident identity card number (GB 11643-1999)
# ---------------------------------------------------------------------------------------------

RESIDENT_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""Weights of digits 1-17: 2^(18-i) mod 11 (ISO 7064 MOD 11-2)."""

_RESIDENT_ID_CHECK: Final = "10X98765432"
_EARLIEST_BIRTH: Final = datetime.date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class IdProblem:
    """One reason a resident ID number is invalid.

    ``field`` is one of ``length``, ``pattern``, ``birth``, ``check_char``. ``reason`` never
    contains the number or any part of it, so problems can be logged and returned to callers.
    """

    field: str
    reason: str


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() accepts full-width and other Unicode digits, which no ID number contains.
    return all("0" <= ch <= "9" for ch in text)


def resident_id_check_char(first17: str) -> str:
    """Compute the check character (``0``-``9`` or ``X``) of a resident ID from its 17 digits."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError("need the first 17 digits of a resident ID number")
    total = sum(int(ch) * w for ch, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


def _birth_date_problem(digits8: str, today: datetime.date) -> IdProblem | None:
    try:
        birth = datetime.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:]))
    except ValueError:
        return IdProblem("birth", "出生日期无效 (birth date is not a real date)")
    if birth > today:
        return IdProblem("birth", "出生日期晚于今天 (birth date is in the future)")
    if birth < _EARLIEST_BIRTH:
        return IdProblem("birth", "出生日期早于1900年 (birth date is before 1900-01-01)")
    return None


def validate_resident_id(id_number: str, *, today: datetime.date | None = None) -> list[IdProblem]:
    """Check an 18-digit resident ID number; return its problems, or ``[]`` when it is valid.

    Checks, in order: length 18; digits 1-17 are ASCII digits (stop after either of these);
    the last character is a digit or ``X`` (lower-case ``x`` is accepted, as people type it);
    the birth date (positions 7-14) is a real date from 1900-01-01 to ``today`` (default: the
    local date); the check character. The 15-digit first-generation numbers are not accepted.
    """
    if len(id_number) != 18:
        # The found length is safe to report and tells a 15-digit legacy number apart.
        return [IdProblem("length", f"长度应为18位 (length should be 18, found {len(id_number)})")]
    number = id_number.upper()
    if not _is_ascii_digits(number[:17]):
        return [IdProblem("pattern", "前17位应为数字 (the first 17 characters must be digits)")]

    problems: list[IdProblem] = []
    last_ok = _is_ascii_digits(number[17]) or number[17] == "X"
    if not last_ok:
        problems.append(
            IdProblem("pattern", "末位应为数字或X (the last character must be a digit or X)")
        )
    birth_problem = _birth_date_problem(number[6:14], today or china_today())
    if birth_problem is not None:
        problems.append(birth_problem)
    # Only say mismatch, never the expected character: reasons must not help reconstruct an ID.
    if last_ok and resident_id_check_char(number[:17]) != number[17]:
        problems.append(IdProblem("check_char", "校验码错误 (check character mismatch)"))
    return problems


def is_valid_resident_id(id_number: str) -> bool:
    """Whether ``id_number`` is a valid 18-digit resident ID number."""
    return not validate_resident_id(id_number)


def _require_valid_resident_id(id_number: str) -> str:
    problems = validate_resident_id(id_number)
    if problems:
        # Problem reasons never contain the number, so they are safe in an exception message.
        raise ValueError(
            "居民身份证号码无效 (invalid resident ID number): "
            + "; ".join(p.reason for p in problems)
        )
    return id_number.upper()


def make_resident_id(region: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid resident ID number: region (6 digits), birth date, sequence 0-999, check.

    The sequence's parity is the sex: odd for male, even for female. Meant for test data and
    fixtures; raises `ValueError` for an impossible region, birth date or sequence.
    """
    if len(region) != 6 or not _is_ascii_digits(region):
        raise ValueError("region must be a six-digit GB/T 2260 code")
    if not _EARLIEST_BIRTH <= birth <= china_today():
        raise ValueError("birth date must be between 1900-01-01 and today")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def resident_id_gender(id_number: str) -> str:
    """``"M"`` or ``"F"`` from the parity of digit 17 (odd = male) of a valid ID number.

    Raises `ValueError` (without echoing the number) if the number is invalid.
    """
    number = _require_valid_resident_id(id_number)
    return "M" if int(number[16]) % 2 == 1 else "F"


def resident_id_birth_date(id_number: str) -> datetime.date:
    """The birth date (positions 7-14) of a valid ID number.

    Raises `ValueError` (without echoing the number) if the number is invalid.
    """
    number = _require_valid_resident_id(id_number)
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


# ---------------------------------------------------------------------------------------------
# De-identification (PIPL practice for displaying personal information)
# ---------------------------------------------------------------------------------------------

COMPOUND_SURNAMES: Final = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
    }
)
"""Two-character surnames that `mask_name` keeps whole."""


def mask_name(name: str) -> str:
    """Keep the surname, replace each remaining character with ``*``.

    ``"李四"`` -> ``"李*"``, ``"王小明"`` -> ``"王**"``, ``"欧阳小明"`` -> ``"欧阳**"``.
    A compound surname counts only when a given name follows it, so ``"欧阳"`` -> ``"欧*"``.
    """
    surname_len = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    surname = name[:surname_len]
    return surname + "*" * (len(name) - len(surname))


def mask_id_number(id_number: str) -> str:
    """Keep the first character and the last two, star the rest; the length is preserved.

    ``"11010519491231002X"`` -> ``"1***************2X"``. Strings of three characters or fewer
    are starred entirely, since keeping three characters of them would hide nothing.
    """
    if len(id_number) <= 3:
        return "*" * len(id_number)
    return id_number[0] + "*" * (len(id_number) - 3) + id_number[-2:]


def mask_phone(phone: str) -> str:
    """Keep the first three and last four characters, star the middle.

    ``"13812348000"`` -> ``"138****8000"``. Numbers shorter than eight characters are starred
    entirely, since seven kept characters would leave at most one hidden.
    """
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def person_key(id_number: str, secret: bytes) -> str:
    """A stable graph key for a person: ``"P"`` + the first 32 hex digits of a keyed hash.

    HMAC-SHA256 under ``secret`` of the stripped, upper-cased ID number (so a lower-case ``x``
    gives the same key). A plain hash would not do: ID numbers are few enough to enumerate,
    so without the secret anyone could rebuild the number from the key.
    """
    if not secret:
        raise ValueError("person_key needs a non-empty secret")
    normalised = id_number.strip().upper()
    digest = hmac.new(secret, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
    return "P" + digest[:32]
