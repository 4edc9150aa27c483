"""The GraphiQL page of /graphql: the hub's own template, its own files, no CDN.

Strawberry's page loads React and GraphiQL from unpkg.com and subscribes over a websocket; on a
network that reaches only the hub it stays on "Loading…". This page loads the files
`credithub assets` installed (hub/graphiql/assets.py) from the hub itself, and its fetcher
(static/fetcher.js) speaks the hub's multipart subscriptions. When the files are not installed
the page says, in Chinese, how to install them instead of staying blank.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hub.graphiql.assets import PACKAGES, SCRIPTS, STYLESHEET, VENDOR, missing_assets
from hub.settings import Settings

VENDOR_URL = "/graphiql/vendor"
STATIC_URL = "/graphiql/static"
DEMO_TOKENS_URL = "/graphiql/demo-tokens"
GRAPHQL_URL = "/graphql"

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)

HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Only the hub's own files; GraphiQL sets inline style attributes and embeds its fonts
    # as data: URLs. connect-src 'self' keeps every request of the page on the hub.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

CREDIT_CHECK_EXAMPLE_USCC = "91410481MA42B7MY3R"
"""The demo city's black-listed enterprise (README, *Journeys*)."""

CREDIT_CHECK = """\
# 银行贷前审查（信用核查）示例：
# 按统一社会信用代码查询企业的基本信息、红黑名单、
# 行政处罚与司法判决、名单与联合惩戒措施，
# 以及法定代表人名下的其他企业（关联企业）。
#
# 令牌：在终端运行
#   ./credithub token 工行舞钢支行 --purpose 贷前审查
# 把令牌粘贴到下方 Headers（请求头）的 Bearer 之后：
#   {"Authorization": "Bearer <令牌>"}
# Bearer 后留空即以社会公众身份查询，只返回公开信息。
# 返回哪些字段由共享目录决定，未返回的原因
# 见结果的 extensions.access.withheld。
# 运行：Ctrl-Enter 或点击 ▶；
# 企业代码在下方 Variables（变量）中修改。
query CreditCheck($uscc: String!) {
  enterprise(uscc: $uscc) {
    name status registeredCapital blackListed redListed
    legalRepresentative { nameMasked enterprises(excludeUscc: $uscc) { uscc name status } }
    records(first: 10, kinds: [PENALTY, JUDGMENT]) {
      totalCount
      edges { node { kind title documentNumber decisionDate severity status provider { name } } }
      pageInfo { hasNextPage endCursor }
    }
    listEntries {
      edges { node { listType listName status sanctions { measure { name business } } } }
    }
  }
}
"""

NOTICE_SUBSCRIPTION = """\
# 订阅本机构的新通知（noticeAdded）：
# 以 multipart/mixed 流式推送，
# 须带机构令牌（部门、银行等）。
# 收到 stopAfter 条或 timeoutSeconds 秒后结束，
# 也可点击 ■ 停止。
subscription Notices {
  noticeAdded(stopAfter: 5, timeoutSeconds: 300) {
    kind title subject ref
  }
}
"""

DEFAULT_HEADERS = '{\n  "Authorization": "Bearer "\n}'
"""An empty Bearer: the fetcher then sends no Authorization header (the public)."""


def is_local_request(request: Request) -> bool:
    """Whether `request` comes from this machine and names it (loopback client and Host).

    The Host check stops DNS rebinding: a web page whose domain is made to resolve to
    127.0.0.1 reaches a local hub from the user's own browser, but under its own host name.
    """
    client = request.client.host if request.client else ""
    return _loopback(client) and _loopback(request.url.hostname or "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo_tokens_offered(settings: Settings, request: Request) -> bool:
    """Whether the role switcher is offered: never in production, only on this machine."""
    return not settings.production and is_local_request(request)


def _script_json(value: object) -> str:
    # In a <script type="application/json"> element: no "</script>" or "<!--" may appear.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(settings: Settings, request: Request, vendor: Path = VENDOR) -> HTMLResponse:
    """The GraphiQL page for a browser's GET /graphql (or the install instructions)."""
    missing = missing_assets(vendor)
    demo = demo_tokens_offered(settings, request)
    config = {
        "endpoint": GRAPHQL_URL,
        "demoTokens": DEMO_TOKENS_URL if demo else None,
        "headers": DEFAULT_HEADERS,
        "tabs": [
            {
                "query": CREDIT_CHECK,
                "variables": json.dumps({"uscc": CREDIT_CHECK_EXAMPLE_USCC}, indent=2),
                "headers": DEFAULT_HEADERS,
            },
            {"query": NOTICE_SUBSCRIPTION, "headers": DEFAULT_HEADERS},
        ],
    }
    html = _ENVIRONMENT.get_template("graphiql.html").render(
        missing=missing,
        demo=demo,
        production=settings.production,
        packages=PACKAGES,
        scripts=[f"{VENDOR_URL}/{path}" for path in SCRIPTS],
        stylesheet=f"{VENDOR_URL}/{STYLESHEET}",
        static=STATIC_URL,
        config=_script_json(config),
    )
    return HTMLResponse(html, headers=HEADERS)
