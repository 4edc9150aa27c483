"""Report numbers and the content hash.

A number reads ``WG-<issue date>-<10 Crockford base32 characters>``: the date (Beijing time)
makes it readable on paper, the 50 random bits make it unique across hub processes without
coordination (the unique constraint of migration 0007 turns the one-in-10^15 clash into a
retry), and Crockford's alphabet has no I, L, O or U to misread when typed from a printout.

The hash is SHA-256 over the canonical JSON of the content (sorted keys, no whitespace,
UTF-8, non-ASCII characters as they are), so anyone holding the stored content can recompute it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import date
from typing import Any

PREFIX = "WG"
"""舞钢 (Wugang)."""

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARACTERS = 10

NUMBER_PATTERN = re.compile(r"^WG-\d{8}-[0-9A-HJKMNP-TV-Z]{10}$")
NUMBER_FORMAT = "WG-YYYYMMDD-XXXXXXXXXX"


def new_number(issued_on: date) -> str:
    """A fresh report number for a report issued on `issued_on`."""
    bits = secrets.randbits(5 * RANDOM_CHARACTERS)
    chars = [CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(RANDOM_CHARACTERS))]
    return f"{PREFIX}-{issued_on:%Y%m%d}-{''.join(chars)}"


def normalise_number(text: str) -> str | None:
    """The number as stored, or None when `text` cannot be a report number.

    Spaces around it and lower case (typed from a printout) are forgiven.
    """
    number = text.strip().upper()
    return number if NUMBER_PATTERN.match(number) else None


def canonical_json(content: dict[str, Any]) -> str:
    """The one text of `content` that is stored and hashed."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(canonical: str) -> str:
    """SHA-256 (hex) of the canonical JSON text, as UTF-8."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
