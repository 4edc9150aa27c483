"""Signed-in sessions: a signed cookie holding the consumer's token, with idle and absolute expiry.

The cookie (``credithub_session``) is Starlette's signed session (itsdangerous): HttpOnly,
SameSite=Lax, Secure when the hub is reached over https (`SignInConfig.secure_cookies`), and
re-signed on every signed-in request, so its signature's timestamp is the last activity: a
cookie idle for longer than `SignInConfig.idle` no longer verifies. What it holds is the very
token `credithub token` would mint for the organisation (authz/tokens.py), valid for
`SignInConfig.absolute`: each request verifies it with the hub's `TokenVerifier`, so a signed-in
page is served the same `Consumer` as a bearer request and the same catalogue decides.

`SessionAuth` runs after `BearerAuth`: a request with an ``Authorization`` header is the
token's (the session is not consulted: an API client's header wins), one without is the
session's consumer, or the public. Signing out clears the session and the cookie.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import replace
from datetime import timedelta
from typing import Final

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import Consumer
from authz.tokens import TokenConfig, TokenError, TokenVerifier, mint
from hub.signin.config import SignInConfig
from hub.signin.csrf import rotate_csrf

SESSION_COOKIE: Final = "credithub_session"
TOKEN_KEY: Final = "token"
SEEN_KEY: Final = "seen"
NAME_KEY: Final = "org_name"
SIGNED_IN: Final = "signed_in"
"""``scope["state"]`` flag: the consumer came from the session cookie (not a bearer header)."""

_CURRENT_NAME: ContextVar[str | None] = ContextVar("credithub_signed_in_as", default=None)


def session_middleware(config: SignInConfig, secret: bytes) -> Middleware:
    """Starlette's signed-cookie session with the hub's cookie flags and idle lifetime."""
    return Middleware(
        SessionMiddleware,
        secret_key=secret.decode(),
        session_cookie=SESSION_COOKIE,
        max_age=int(config.idle.total_seconds()),
        same_site="lax",
        https_only=config.secure_cookies,
    )


class SessionAuth:
    """Puts the signed-in consumer in ``scope["state"]["consumer"]`` when no bearer header
    named one; a session whose token no longer verifies (expired, key changed) or that was
    idle too long is cleared."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, idle: timedelta) -> None:
        self.app = app
        self.verifier = verifier
        self.idle = idle.total_seconds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Attach the session's consumer (if any) and hand the request on."""
        if scope["type"] == "http" and "session" in scope and not _has_bearer(scope):
            consumer = self._consumer(scope["session"])
            if consumer is not None:
                state = scope.setdefault("state", {})
                state["consumer"] = consumer
                state[SIGNED_IN] = True
                name = scope["session"].get(NAME_KEY)
                reset = _CURRENT_NAME.set(name if isinstance(name, str) else consumer.org_code)
                try:
                    await self.app(scope, receive, send)
                finally:
                    _CURRENT_NAME.reset(reset)
                return
        await self.app(scope, receive, send)

    def _consumer(self, session: dict[str, object]) -> Consumer | None:
        token = session.get(TOKEN_KEY)
        if not isinstance(token, str):
            return None
        seen = session.get(SEEN_KEY)
        now = time.time()
        if not isinstance(seen, int | float) or now - seen > self.idle:
            _end(session)
            return None
        try:
            consumer = self.verifier.verify(token)
        except TokenError:
            _end(session)  # past the absolute lifetime, or signed with a key no longer ours
            return None
        session[SEEN_KEY] = int(now)  # re-signs the cookie: the idle period starts again
        return consumer


def _has_bearer(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope.get("headers") or ())


def _end(session: dict[str, object]) -> None:
    for key in (TOKEN_KEY, SEEN_KEY, NAME_KEY):
        session.pop(key, None)


def sign_in(
    request: Request, consumer: Consumer, tokens: TokenConfig, config: SignInConfig
) -> None:
    """Start a session for `consumer`: a fresh session (nothing of the anonymous one carries
    over, so a session fixed by someone else is useless) with a fresh CSRF token."""
    token = mint(tokens, replace(consumer, purpose=None), ttl=config.absolute)
    request.session.clear()
    request.session[TOKEN_KEY] = token
    request.session[SEEN_KEY] = int(time.time())
    request.session[NAME_KEY] = consumer.org_name or consumer.org_code or consumer.subject
    rotate_csrf(request)


def sign_out(request: Request) -> None:
    """End the session: everything in it goes, and the cookie is deleted."""
    request.session.clear()


def signed_in(request: Request) -> bool:
    """Whether this request's consumer came from the session cookie."""
    return bool(getattr(request.state, SIGNED_IN, False))


def signed_in_name(request: Request) -> str | None:
    """The signed-in organisation's name for the page header, or None."""
    if not signed_in(request):
        return None
    name = request.session.get(NAME_KEY)
    return name if isinstance(name, str) else None


def signed_in_as() -> str | None:
    """The signed-in organisation's name while a page is rendered (the header's 退出 link), or
    None: a template global, so every page shows it without each route passing it."""
    return _CURRENT_NAME.get()
