"""Refusals a browser sees as a page of the site, in Chinese; API clients keep the JSON shape.

The guards in front of the hub (rate limits, body and URL limits, authentication) answer every
refusal as ``{"error": {"code": …, "message": …}}`` (hub/guards/http.py `respond_error`), and
Starlette answers a path it has no route for with a plain-text "Not Found". Both are right for
a GraphQL client and wrong for a reader of 信用舞钢: raw JSON, English, the names of internal
arguments. `ErrorPages` wraps the whole application and, for a request a browser makes for a
page (a GET or HEAD asking for ``text/html``, anywhere but the API's paths), replaces such an
answer by the site's error page — the same status and Retry-After, a Chinese heading and
explanation, links back into the site. Everything else passes untouched, and a plain-text 404
or 405 to an API client becomes the JSON shape every other refusal has.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.site.rendering import HEADERS, render

API_PATHS: Final = ("/graphql", "/healthz", "/feeds/")
"""Paths whose clients are programs: they always get JSON (an exact path or a prefix)."""

KEPT_HEADERS: Final = frozenset({b"retry-after", b"x-request-id", b"www-authenticate"})
"""Headers of the refusal the page keeps (when to retry, which request it was)."""

_PAGES: Final = {
    400: ("请求有误", "无法处理这个请求，请返回上一页检查后重新操作。"),
    401: ("需要重新登录", "登录凭据无效或已过期，请重新登录后再试。公开信息无需登录即可查询。"),
    403: ("无权访问", "您无权查看这个页面。公开信息无需登录即可查询。"),
    404: ("页面不存在", "您访问的页面不存在，可能是网址有误，或页面已被移除。"),
    405: ("无法以这种方式访问", "这个页面不接受这种访问方式，请从站内的链接或表单进入。"),
    413: ("提交的内容过大", "提交的内容超过了本站允许的大小，请精简后重试。"),
    414: ("网址过长", "网址过长，无法处理。请返回上一页，缩短查询条件后重试。"),
    429: (
        "访问过于频繁",
        "您的访问过于频繁。为保障所有用户正常查询，本站限制了每个来源的访问频率。",
    ),
    503: ("暂时无法查询", "系统正在维护或暂时繁忙，请稍后再试。"),
}
_SERVER_ERROR: Final = ("系统暂时无法显示此页面", "系统出现了问题，请稍后再试。")

_PLAIN_CODES: Final = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
_PLAIN_MESSAGES: Final = {
    404: "未找到 (no such path)",
    405: "不支持的请求方法 (method not allowed on this path)",
}


def _is_api(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix) for prefix in API_PATHS)


def wants_page(scope: Scope) -> bool:
    """Whether the request is a browser's for a page of the site (not an API client's)."""
    if scope["method"] not in ("GET", "HEAD") or _is_api(scope["path"]):
        return False
    headers = dict(scope.get("headers") or [])
    return b"text/html" in headers.get(b"accept", b"").lower()


def error_page(status: int, retry_after: str | None = None) -> str:
    """The site's page for a refusal with `status` (Retry-After in seconds for a 429)."""
    title, message = _PAGES.get(status, _SERVER_ERROR if status >= 500 else _PAGES[400])
    if status == 429 and retry_after and retry_after.isdigit():
        message += f"请在 {retry_after} 秒后再试。"
    return render("error.html", active="", title=title, message=message, status=status)


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class ErrorPages:
    """ASGI middleware: Chinese error pages for browsers, JSON for API clients' plain-text
    404 and 405; every other response passes as it was."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = wants_page(scope)
        replaced = False

        async def answer(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                status: int = message["status"]
                content_type = (_header(message, b"content-type") or "").lower()
                if status >= 400 and page and not content_type.startswith("text/html"):
                    replaced = True
                    body = error_page(status, _header(message, b"retry-after")).encode()
                    await self._send(send, message, status, body, "text/html; charset=utf-8")
                    return
                if status in _PLAIN_CODES and not page and content_type.startswith("text/plain"):
                    replaced = True
                    error = {"code": _PLAIN_CODES[status], "message": _PLAIN_MESSAGES[status]}
                    body = json.dumps({"error": error}, ensure_ascii=False).encode()
                    await self._send(send, message, status, body, "application/json; charset=utf-8")
                    return
            elif message["type"] == "http.response.body" and replaced:
                return  # the refusal's own body: the page was sent instead
            await send(message)

        await self.app(scope, receive, answer)

    async def _send(
        self, send: Send, original: Message, status: int, body: bytes, content_type: str
    ) -> None:
        headers = [
            (key, value)
            for key, value in original.get("headers", [])
            if bytes(key).lower() in KEPT_HEADERS
        ]
        headers += [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if content_type.startswith("text/html"):
            headers += [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def server_error(request: Request, error: Exception) -> Response:
    """Starlette's last-resort answer to an exception nothing else caught (the exception is
    still raised after it, so the server logs it): the site's Chinese page for a browser, the
    hub's JSON error shape for everyone else — never a traceback or plain "Internal Server
    Error"."""
    if wants_page(request.scope):
        return HTMLResponse(error_page(500), status_code=500, headers=HEADERS)
    message = "内部错误，请稍后再试 (internal error)"
    return JSONResponse({"error": {"code": "INTERNAL_ERROR", "message": message}}, 500)
