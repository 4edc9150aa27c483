"""URL guard: a GraphQL GET is held to the limits of a POST body.

A GET carries its document and variables in the query string, which the body limit
(hub/guards/http.py, ``max_query_bytes``) never sees: issue 20 sent about 100 KB of query and
variables in a URL and had them parsed and run while bodies were held to 20 KB. Here a query
string longer than ``max_query_bytes`` is refused with 414 (``URI_TOO_LONG``) before anything
decodes it (its encoded length is at least the decoded one), and ``variables`` that are not a
JSON object, or nest deeper than a body may, are refused with 400 as in a body.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.guards.config import GuardConfig
from hub.guards.http import GRAPHQL_PATH, MAX_JSON_NESTING, _nesting, respond_error


class UrlLimits:
    """ASGI middleware refusing GraphQL GETs whose query string is over the body limit (414),
    or whose ``variables`` are not a JSON object or nest too deep (400)."""

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app = app
        self.max_bytes = config.max_query_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        query_string: bytes = scope.get("query_string", b"")
        if len(query_string) > self.max_bytes:
            await respond_error(
                send,
                414,
                "URI_TOO_LONG",
                f"请求地址过长 (the query string has {len(query_string)} bytes, over the limit "
                f"of {self.max_bytes}; send long operations as a POST body)",
            )
            return
        if query_string:
            refusal = _variables_refusal(query_string)
            if refusal is not None:
                await respond_error(send, 400, "MALFORMED_REQUEST", refusal)
                return
        await self.app(scope, receive, send)


def _variables_refusal(query_string: bytes) -> str | None:
    """Why the ``variables`` parameter cannot be used, if it cannot."""
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("variables")
    if not values:
        return None
    if len(values) > 1:
        return "请求格式错误 (`variables` given more than once)"
    try:
        data = json.loads(values[0])
    except (ValueError, RecursionError):
        return "请求格式错误 (`variables` is not valid JSON)"
    if data is not None and not isinstance(data, dict):
        return "请求格式错误 (`variables` must be a JSON object or null)"
    if _nesting(data) > MAX_JSON_NESTING:
        return f"请求格式错误 (`variables` nest deeper than {MAX_JSON_NESTING} levels)"
    return None
