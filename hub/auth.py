"""Bearer authentication as a plain ASGI middleware: who is asking, before anything runs."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import PUBLIC
from authz.tokens import TokenError, TokenMalformed, TokenVerifier


class BearerAuth:
    """Puts the verified `Consumer` in ``scope["state"]["consumer"]``; no token = the public.

    A token that does not verify is answered 401 with the reason (RFC 6750), and the
    application never runs: a caller with a bad token is not silently served as the public.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization")
        consumer = PUBLIC
        if header is not None:
            scheme, _, token = header.decode("latin-1").partition(" ")
            try:
                if scheme.lower() != "bearer" or not token.strip():
                    raise TokenMalformed()
                consumer = self.verifier.verify(token.strip())
            except TokenError as error:
                await _unauthorized(error, send)
                return
        scope.setdefault("state", {})["consumer"] = consumer
        await self.app(scope, receive, send)


async def _unauthorized(error: TokenError, send: Send) -> None:
    message = str(error)
    body = json.dumps(
        {"error": {"code": error.code, "message": message}}, ensure_ascii=False
    ).encode()
    english = message[message.find("(") + 1 : message.rfind(")")] if "(" in message else ""
    challenge = f'Bearer error="invalid_token", error_description="{english}"'
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"www-authenticate", challenge.encode("latin-1", "replace")),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
