"""HTTP guard: what is refused before GraphQL sees a request at all."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.guards.config import GuardConfig

MAX_JSON_NESTING = 64
"""Deepest JSON accepted: far beyond any variables, far below what Python's decoder survives.

Without it a body nested just under the decoder's recursion limit would pass here and fail
when Strawberry decodes it again deeper in the stack: a 500 instead of a 400.
"""


GRAPHQL_PATH = "/graphql"
GRAPHQL_BODY_TYPES = ("application/json", "multipart/form-data")
"""What a GraphQL POST may carry; anything else would get the library's plain-text 400."""


class RequestLimits:
    """Refuses oversized bodies (413), malformed JSON and over-large batches (400), and GraphQL
    bodies of a media type it does not take (415).

    An ASGI middleware, because these are properties of the HTTP request, not of a GraphQL
    document: a body over `max_query_bytes` is refused while it is being received (declared
    or streamed), so it never sits in memory whole; a JSON body that does not parse, nests
    deeper than `MAX_JSON_NESTING`, or is not an operation (an object) or a list of them, is
    the client's mistake and said so in JSON, never an error page; a JSON array of more than
    `max_batch` operations is refused before any runs. Answers are JSON in the hub's HTTP
    error shape (as hub/auth.py's 401): ``{"error": {"code": …, "message": …}}``.
    """

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app = app
        self.max_bytes = config.max_query_bytes
        self.max_upload_bytes = config.max_upload_bytes
        self.max_batch = config.max_batch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self._limit(scope, headers)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        # The whole body, at most max_bytes of it: small enough to hold, and it lets the
        # checks below read it before Strawberry does.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if (
            scope["method"] == "POST"
            and scope["path"] == GRAPHQL_PATH
            and not content_type.startswith(GRAPHQL_BODY_TYPES)
        ):
            await respond_error(
                send,
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "不支持的请求类型 (POST /graphql takes application/json, or multipart/form-data "
                f"for uploads; got {content_type or 'no content type'!r})",
            )
            return
        if scope["method"] == "POST" and "application/json" in content_type:
            refusal = self._refusal(body)
            if refusal is not None:
                await respond_error(send, 400, *refusal)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can follow
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _refusal(self, body: bytes) -> tuple[str, str] | None:
        # Parsed here and again by Strawberry: a few microseconds for 20 KB at most.
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not Unicode, or nested past Python
            return "MALFORMED_REQUEST", "请求体不是有效的 JSON (the request body is not valid JSON)"
        operations = data if isinstance(data, list) else [data]
        if not operations or not all(isinstance(operation, dict) for operation in operations):
            return (
                "MALFORMED_REQUEST",
                "请求体格式错误 (the body must be a JSON object with `query`, or a list of them)",
            )
        for operation in operations:
            wrong = _wrong_member(operation)
            if wrong is not None:
                return "MALFORMED_REQUEST", wrong
        if _nesting(data) > MAX_JSON_NESTING:
            return (
                "MALFORMED_REQUEST",
                f"请求体嵌套过深 (the JSON body nests deeper than {MAX_JSON_NESTING} levels)",
            )
        if isinstance(data, list) and self.max_batch <= 1:
            # With one operation per request there is no batching at all: a list, even of one,
            # would run through the batch path (one context for the list), so it is refused.
            return (
                "TOO_MANY_OPERATIONS",
                f"不接受批量请求，请以 JSON 对象发送单个操作 (batched requests are not accepted: "
                f"{len(data)} operation(s) sent as a JSON array; send one operation as a JSON "
                "object)",
            )
        if isinstance(data, list) and len(data) > self.max_batch:
            return (
                "TOO_MANY_OPERATIONS",
                f"批量请求过多 ({len(data)} operations in one request exceed the limit of "
                f"{self.max_batch})",
            )
        return None

    def _limit(self, scope: Scope, headers: dict[bytes, bytes]) -> int:
        # Authentication runs first (hub/app.py), so the consumer is known: only an
        # identified organisation may send a feed file's worth of multipart body.
        consumer = scope.get("state", {}).get("consumer")
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(b"multipart/form-data") and not getattr(
            consumer, "is_public", True
        ):
            return self.max_upload_bytes
        return self.max_bytes

    async def _too_large(self, send: Send, limit: int) -> None:
        await respond_error(
            send,
            413,
            "REQUEST_TOO_LARGE",
            f"请求过大 (the request body exceeds the limit of {limit} bytes)",
        )


_MEMBER_TYPES: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "operationName": (str,),
    "variables": (dict,),
    "extensions": (dict,),
}


def _wrong_member(operation: dict[str, object]) -> str | None:
    """Why an operation's standard members have the wrong JSON types (GraphQL over HTTP)."""
    for member, types in _MEMBER_TYPES.items():
        value = operation.get(member)
        if value is not None and not isinstance(value, types):
            wanted = "a string" if types == (str,) else "an object"
            return f"请求格式错误 (`{member}` must be {wanted} or null, not {type(value).__name__})"
    return None


def _nesting(value: object) -> int:
    """How deeply arrays and objects nest in decoded JSON (iteratively: no recursion limit)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


async def respond_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer a refused request before the app sees it: ``{"error": {code, message}}`` as JSON,
    with `headers` (such as Retry-After) besides the content type and length."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
