"""Request guard: the JSON of a GraphQL request must say one thing, in real characters.

Strawberry decodes the JSON of every request — a POST body, a multipart upload's `operations`
and `map`, a GET's `variables` — through `GraphQLApp.decode_json` (hub/app.py), which calls
`decode_request_json` here. Two kinds of JSON are valid to Python's decoder but are refused:

- **Duplicate member names** (``{"query": "…", "query": "…"}``): the decoder keeps the last,
  another parser (a proxy, a WAF, a log pipeline) may keep the first, so what was checked and
  what runs can differ. `DUPLICATE_KEY`.
- **Lone UTF-16 surrogates** (``"\\ud800"`` unpaired): JSON's escapes allow them, but they are
  not characters. Passed on, one fails deep inside the Neo4j driver when it encodes the
  parameter as UTF-8 — an internal error for what is a client's mistake. `INVALID_UNICODE`.

Both are answered 400 in the hub's HTTP error shape before any GraphQL runs.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException

from hub.errors import DUPLICATE_KEY, INVALID_UNICODE


class RefusedJson(HTTPException):
    """A 400 with the hub's code for what is wrong with the request's JSON."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(400, reason)
        self.code = code


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for twice, value in pairs:
        if twice in members:
            raise RefusedJson(
                DUPLICATE_KEY,
                f"请求中的 JSON 对象重复了成员 {twice!r}，无法确定以哪个为准 "
                f"(a JSON object names {twice!r} more than once; send each member once)",
            )
        members[twice] = value
    return members


def decode_request_json(data: str | bytes) -> object:
    """`data` decoded as JSON; `RefusedJson` for duplicate members or lone surrogates.

    `json.JSONDecodeError` is left to the caller (Strawberry answers it as malformed JSON).
    """
    value = json.loads(data, object_pairs_hook=_unique_members)
    try:
        # Encoding is the cheapest complete check: it visits every key and string in C, and
        # fails exactly where the driver (or a log line) would. orjson refuses a lone
        # surrogate too, several times faster; it also refuses what is not about characters
        # (an integer beyond 64 bits), so only its refusal is looked at again the slow way.
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        _encodable(value)
    return value


def _encodable(value: object) -> None:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise RefusedJson(
            INVALID_UNICODE,
            "请求中含有无效的 Unicode 字符（未配对的代理项，如 \\ud800）"
            "(the request holds an unpaired UTF-16 surrogate, which is not a character)",
        ) from None
