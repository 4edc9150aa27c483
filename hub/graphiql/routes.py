"""The GraphiQL page's own routes: its files, and the demo tokens of local mode.

    GET  /graphiql/vendor/…       GraphiQL and React, as `credithub assets` installed them
    GET  /graphiql/static/…       the page's fetcher, script and style sheet
    GET  /graphiql/demo-tokens    the register's open organisations (local mode only)
    POST /graphiql/demo-tokens    {"org": code, "purpose": …} → a one-hour token (local mode only)

The demo tokens are minted exactly as `credithub token` mints them (hub/identities.py,
authz.tokens.mint), for whoever can reach the endpoint — so it exists only when the hub is not in
production (``CREDITHUB_PRODUCTION=1``: the route is not there, 404) and answers only a client on
this machine that names it (loopback address and Host; see `page.is_local_request`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from authz.tokens import mint
from hub.graphiql.assets import VENDOR
from hub.graphiql.page import DEMO_TOKENS_URL, STATIC_URL, VENDOR_URL, is_local_request
from hub.identities import organisation_consumer
from hub.kernel import Kernel
from loaders.reference.organisations import list_organisations

STATIC = Path(__file__).with_name("static")

DEMO_TOKEN_LIFETIME = timedelta(hours=1)

MAX_PURPOSE_LENGTH = 100

_NO_STORE = {"Cache-Control": "no-store"}


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=_NO_STORE
    )


def _demo_tokens(kernel: Kernel) -> Callable[[Request], Awaitable[Response]]:
    async def demo_tokens(request: Request) -> Response:
        if not is_local_request(request):
            return _refuse(
                403,
                "LOCAL_ONLY",
                "演示令牌仅向本机 (127.0.0.1 / localhost) 签发 "
                "(demo tokens are minted for this machine only)",
            )
        organisations = await list_organisations(kernel.db, include_closed=False)
        if request.method == "GET":
            listed = [
                {
                    "code": org.code,
                    "name": org.name,
                    "shortName": org.short_names[0] if org.short_names else None,
                    "kind": org.kind.value if org.kind else None,
                    "kindLabel": org.kind.label if org.kind else "",
                }
                for org in organisations
            ]
            return JSONResponse({"organisations": listed}, headers=_NO_STORE)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _refuse(415, "UNSUPPORTED_MEDIA_TYPE", "请以 application/json 发送")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _refuse(400, "MALFORMED_REQUEST", "请求体不是有效的 JSON")
        code = body.get("org") if isinstance(body, dict) else None
        purpose = body.get("purpose") if isinstance(body, dict) else None
        if purpose is not None and (
            not isinstance(purpose, str) or len(purpose) > MAX_PURPOSE_LENGTH
        ):
            return _refuse(400, "INVALID_ARGUMENT", f"用途须为不超过 {MAX_PURPOSE_LENGTH} 字的文字")
        found = next((org for org in organisations if org.code == code), None)
        if found is None:
            return _refuse(404, "NOT_FOUND", f"机构名录中没有未撤销的机构 {code!r}")
        try:
            consumer = organisation_consumer(found, purpose=(purpose or "").strip() or None)
            token = mint(kernel.settings.token_config(), consumer, ttl=DEMO_TOKEN_LIFETIME)
        except ValueError as error:
            return _refuse(400, "INVALID_ARGUMENT", f"{found.name} ({found.code}): {error}")
        expires = datetime.now(UTC) + DEMO_TOKEN_LIFETIME
        return JSONResponse(
            {
                "token": token,
                "expiresAt": expires.isoformat(timespec="seconds"),
                "purpose": consumer.purpose,
                "organisation": {
                    "code": found.code,
                    "name": found.name,
                    "kind": consumer.org_kind.value,
                    "kindLabel": consumer.org_kind.label,
                },
            },
            headers=_NO_STORE,
        )

    return demo_tokens


def graphiql_routes(kernel: Kernel, vendor: Path = VENDOR) -> list[BaseRoute]:
    """The page's files, and — unless the hub runs in production — the demo token endpoint."""
    routes: list[BaseRoute] = [
        # check_dir=False: without `credithub assets` the files answer 404 and the page says
        # how to install them.
        Mount(
            VENDOR_URL, app=StaticFiles(directory=vendor, check_dir=False), name="graphiql-vendor"
        ),
        Mount(STATIC_URL, app=StaticFiles(directory=STATIC), name="graphiql-static"),
    ]
    if not kernel.settings.production:
        routes.append(Route(DEMO_TOKENS_URL, _demo_tokens(kernel), methods=["GET", "POST"]))
    return routes
