"""CSRF protection for the signed-in site's forms: a token bound to the visitor's session.

A page puts ``csrf_token(request)`` in a hidden input named ``csrf_token``; the endpoint that
receives the form calls ``verify_csrf(request, form)`` before it changes anything. The token
is a random value kept in the signed session cookie (hub/signin/sessions.py), so a page on
another site can neither read it nor guess it, and a form it makes a browser submit carries the
cookie but not the token. The comparison is constant-time. The request's ``Origin`` (or, when
a browser sends none, ``Sec-Fetch-Site`` and ``Referer``) must also be this site: a second,
independent check that needs no state.

    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">

    form = await request.form()
    verify_csrf(request, form)          # raises CsrfRejected → answer 403 with its message
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request

FIELD: Final = "csrf_token"
"""The form field (a hidden input) that carries the token."""

SESSION_KEY: Final = "csrf"
"""Where the session keeps the token."""

_TOKEN_BYTES: Final = 32


class CsrfRejected(Exception):
    """A state-changing form that does not prove it came from this site's own page."""

    def __init__(self, reason: str = "表单校验失败") -> None:
        self.reason = reason
        super().__init__(f"{reason}：请求可能来自其他网站或页面已过期，请返回页面刷新后重新提交")


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token for a form (created in the session on first use)."""
    session = request.session
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < _TOKEN_BYTES:
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        session[SESSION_KEY] = token
    return token


def rotate_csrf(request: Request) -> str:
    """A fresh token (at sign-in and sign-out: a token seen before cannot be reused)."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    request.session[SESSION_KEY] = token
    return token


def verify_csrf(request: Request, form: Mapping[str, object]) -> None:
    """Raise `CsrfRejected` unless `form` carries the session's token and the request is
    same-origin."""
    _check_origin(request)
    expected = request.session.get(SESSION_KEY) if "session" in request.scope else None
    given = form.get(FIELD)
    if not isinstance(expected, str) or not expected:
        raise CsrfRejected("会话已失效")
    if not isinstance(given, str) or not hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8")
    ):
        raise CsrfRejected("表单校验码不正确")


def _check_origin(request: Request) -> None:
    host = request.headers.get("host", "").lower()
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        if urlsplit(origin).netloc.lower() != host:
            raise CsrfRejected("请求来源不是本网站")
        return
    if origin == "null":
        raise CsrfRejected("请求来源不明")
    # No Origin (older browsers on some same-origin POSTs): the fetch metadata or the referrer.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRejected("请求来源不是本网站")
    referer = request.headers.get("referer")
    if referer and urlsplit(referer).netloc.lower() != host:
        raise CsrfRejected("请求来源不是本网站")
