"""Request guard: a page on another site cannot make a visitor's browser act on the hub.

A browser sends a cross-site request without asking the server first (no CORS preflight) only
when it is "simple": GET, HEAD or POST with a form's media type (`application/x-www-form-
urlencoded`, `multipart/form-data`, `text/plain`) and no header of the page's own. Of these,
POST /graphql takes only multipart (feed uploads; hub/guards/http.py answers 415 to the other
two), and the hub grants no CORS, so a browser never sends a request with a custom header to it
from another site. Hence two rules, applied before authentication:

- **Multipart needs a preflight header.** A multipart POST /graphql must carry
  `X-Credithub-Request` or `Apollo-Require-Preflight` (any non-empty value), which an HTML form
  cannot set; without it the request is refused (400, `PREFLIGHT_REQUIRED`) before its body is
  read — queries and mutations alike. (GraphQLApp.parse_multipart further refuses a multipart
  request that uploads no file, `UPLOAD_REQUIRED`: everything else is sent as JSON.)
- **Cookies reach /graphql only with that header.** The API authenticates by bearer token; a
  signed-in browser session (hub/signin) may call it too, but only with the header (fetch can
  add it, a cross-site form, link or image cannot). So every request to /graphql without the
  header has its `Cookie` header removed here, before the session and authentication
  middleware: no GraphQL operation runs on a cookie a cross-site page made the browser send.
  WebSocket handshakes, on any path, are treated the same (a browser opens one from any site
  with the cookies and cannot add the header). The site's pages and /reports do receive the
  session cookie (SameSite=Lax: never on a cross-site POST or subresource), and every form
  that changes something there is verified by `hub.signin.csrf.verify_csrf` (a token bound to
  the session, and the Origin of the request).

JSON POSTs and GET queries need nothing: a cross-site page cannot send `application/json`
without a preflight, and a GET cannot carry a mutation (Strawberry refuses it).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.errors import PREFLIGHT_REQUIRED
from hub.guards.http import respond_error

PREFLIGHT_HEADERS = (b"x-credithub-request", b"apollo-require-preflight")
"""Headers of which one, non-empty, marks a request as not sent by a cross-site form."""

GRAPHQL_PATH = "/graphql"


def has_preflight_header(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request carries one of `PREFLIGHT_HEADERS` with a non-empty value."""
    return any(name.lower() in PREFLIGHT_HEADERS and value.strip() for name, value in headers)


class CrossSiteRequests:
    """Refuses multipart GraphQL requests without a preflight header and removes cookies from
    GraphQL requests and WebSocket handshakes without one (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        if has_preflight_header(headers):
            await self.app(scope, receive, send)
            return
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == GRAPHQL_PATH
            and content_type.lower().startswith(b"multipart/form-data")
        ):
            await _refuse(send)
            return
        cookie_free = scope["type"] == "websocket" or scope["path"] == GRAPHQL_PATH
        if cookie_free and any(name.lower() == b"cookie" for name, _ in headers):
            scope = {
                **scope,
                "headers": [(k, v) for k, v in headers if k.lower() != b"cookie"],
            }
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    message = (
        "跨站请求防护：multipart 请求须带 X-Credithub-Request 或 Apollo-Require-Preflight 请求头 "
        "(a multipart/form-data request must carry an X-Credithub-Request or "
        "Apollo-Require-Preflight header, which a form on another site cannot send)"
    )
    await respond_error(send, 400, PREFLIGHT_REQUIRED, message)
