"""Bearer authentication as a plain ASGI middleware: who is asking, before anything runs."""

from __future__ import annotations

import json
import logging
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import PUBLIC, Consumer
from authz.tokens import (
    KeySetUnavailable,
    TokenError,
    TokenExpired,
    TokenMalformed,
    TokenVerifier,
)

log = logging.getLogger("credithub.auth")

# RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no
# backslash, nothing outside printable ASCII).
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


class BearerAuth:
    """Puts the verified `Consumer` in ``scope["state"]["consumer"]``; no token = the public.

    A token that does not verify — or an Authorization header that is not ``Bearer <token>`` —
    is answered 401 with the reason (RFC 6750) and the application never runs: a caller whose
    token fails is not silently served as the public. Non-HTTP scopes (lifespan) pass through.
    Without the header, `hub.signin.sessions.SessionAuth` (next in the stack) may replace the
    public with the consumer of a signed-in session; with it, the token wins.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate one HTTP request, then hand it on (or answer 401 / 503)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            consumer = self._consumer(scope)
        except TokenError as error:
            await _refuse(send, 401, error.code, _message(error), challenge=error.english)
            return
        except KeySetUnavailable as error:
            # The identity provider's keys are unreachable: our problem, so 503 and no
            # challenge (the client's token may be perfectly good).
            log.error("%s", error)
            message = "暂时无法验证令牌 (token keys are unavailable, try again later)"
            await _refuse(send, 503, error.code, message, challenge=None)
            return
        scope.setdefault("state", {})["consumer"] = consumer
        await self.app(scope, receive, send)

    def _consumer(self, scope: Scope) -> Consumer:
        values = [value for name, value in scope.get("headers") or () if name == b"authorization"]
        if not values:
            return PUBLIC
        if len(values) > 1:
            # Two headers could be read differently by a proxy and by us: trust neither.
            raise TokenMalformed("more than one Authorization header")
        scheme, _, token = values[0].decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer":
            raise TokenMalformed("only Bearer authentication is accepted")
        token = token.strip()
        if not token:
            raise TokenMalformed("the Bearer token is empty")
        return self.verifier.verify(token)


RENEW_HINT = "请运行 credithub token <简称> 重新签发"
"""How a local token is renewed, said with the expiry (tokens are minted by `credithub token`)."""


def _message(error: TokenError) -> str:
    """The 401 body's message: the reason, and for an expired token how to get a new one."""
    if isinstance(error, TokenExpired):
        return (
            f"{error.chinese}，{RENEW_HINT} ({error.english}; mint a new one with "
            "`credithub token <short name>`)"
        )
    return str(error)


async def _refuse(
    send: Send, status: int, code: str, message: str, *, challenge: str | None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if challenge is not None:
        description = _NOT_IN_DESCRIPTION.sub("?", challenge)
        value = f'Bearer error="invalid_token", error_description="{description}"'
        headers.append((b"www-authenticate", value.encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
