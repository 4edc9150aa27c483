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
session's consumer, or the public. Signing out clears the session and the cookie, and records
the session's id as ended (`EndedSessions`, in the graph until the session would have expired),
so a copy of the cookie taken before is refused too — by every hub process within
`ENDED_REFRESH_SECONDS`, by the one that signed out at once.
"""

from __future__ import annotations

import logging
import secrets
import time
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from neo4j.exceptions import DriverError, Neo4jError
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import Consumer
from authz.tokens import TokenConfig, TokenError, TokenVerifier, mint
from graph.database import Database
from graph.model import Label
from hub.signin.config import SignInConfig
from hub.signin.csrf import rotate_csrf

log = logging.getLogger("credithub.signin")

SESSION_COOKIE: Final = "credithub_session"
SID_KEY: Final = "sid"
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


ENDED_REFRESH_SECONDS: Final = 5.0
"""How often a hub process reads the sessions other processes ended."""


class EndedSessions:
    """Session ids signed out before their expiry, kept in the graph until then.

    Each process keeps the set in memory and reads it again at most every
    `ENDED_REFRESH_SECONDS` (only while signed-in requests arrive), so a session ended in one
    worker is refused by the others within seconds, and by this one at once.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ended: set[str] = set()
        self._read_at = -ENDED_REFRESH_SECONDS

    async def end(self, sid: str, until: float) -> None:
        """Record `sid` as ended until `until` (a POSIX time); forget those past theirs."""
        self._ended.add(sid)
        await self.db.write(
            f"MATCH (old:{Label.ENDED_SESSION}) WHERE old.until < $now DELETE old "
            f"WITH count(*) AS purged MERGE (s:{Label.ENDED_SESSION} {{sid: $sid}}) "
            "SET s.until = $until",
            {"sid": sid, "until": _instant(until), "now": datetime.now(UTC)},
        )

    async def ended(self, sid: str) -> bool:
        """Whether `sid` was signed out (here at once, elsewhere since the last read)."""
        now = time.monotonic()
        if now - self._read_at >= ENDED_REFRESH_SECONDS:
            self._read_at = now
            try:
                rows = await self.db.read(
                    f"MATCH (s:{Label.ENDED_SESSION}) WHERE s.until >= $now RETURN s.sid AS sid",
                    {"now": datetime.now(UTC)},
                )
            except (DriverError, Neo4jError, OSError) as error:
                # The pages need Neo4j anyway; keep what is known and try again later.
                log.warning("could not read the ended sessions: %s", type(error).__name__)
            else:
                self._ended |= {row["sid"] for row in rows}
        return sid in self._ended


def _instant(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class SessionAuth:
    """Puts the signed-in consumer in ``scope["state"]["consumer"]`` when no bearer header
    named one; a session whose token no longer verifies (expired, key changed) or that was
    idle too long is cleared."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier,
        idle: timedelta,
        ended: EndedSessions | None = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.idle = idle.total_seconds()
        self.ended = ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Attach the session's consumer (if any) and hand the request on."""
        if scope["type"] == "http" and "session" in scope and not _has_bearer(scope):
            consumer = self._consumer(scope["session"])
            if consumer is not None and await self._was_ended(scope["session"]):
                _end(scope["session"])
                consumer = None
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

    async def _was_ended(self, session: dict[str, object]) -> bool:
        if self.ended is None:
            return False
        sid = session.get(SID_KEY)
        return not isinstance(sid, str) or await self.ended.ended(sid)

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
    for key in (TOKEN_KEY, SEEN_KEY, NAME_KEY, SID_KEY):
        session.pop(key, None)


def sign_in(
    request: Request, consumer: Consumer, tokens: TokenConfig, config: SignInConfig
) -> None:
    """Start a session for `consumer`: a fresh session (nothing of the anonymous one carries
    over, so a session fixed by someone else is useless) with a fresh CSRF token."""
    token = mint(tokens, replace(consumer, purpose=None), ttl=config.absolute)
    request.session.clear()
    request.session[SID_KEY] = secrets.token_urlsafe(16)
    request.session[TOKEN_KEY] = token
    request.session[SEEN_KEY] = int(time.time())
    request.session[NAME_KEY] = consumer.org_name or consumer.org_code or consumer.subject
    rotate_csrf(request)


async def sign_out(request: Request, ended: EndedSessions | None, config: SignInConfig) -> None:
    """End the session: everything in it goes, the cookie is deleted, and its id is recorded
    as ended until the session would have expired (so a copy of the cookie is refused)."""
    sid = request.session.get(SID_KEY)
    request.session.clear()
    if ended is not None and isinstance(sid, str):
        await ended.end(sid, time.time() + config.absolute.total_seconds())


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
