"""The ASGI application: GraphQL over HTTP, GraphiQL, and a health check that asks Neo4j."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from neo4j.exceptions import DriverError, Neo4jError
from starlette.applications import Starlette
from starlette.datastructures import QueryParams as StarletteQueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http.types import QueryParams
from strawberry.subscriptions import MULTIPART_SUBSCRIPTION_PROTOCOL

from authz.audit import AuditSink, AuditWriter, note_recipients
from authz.audit_wal import AuditWal
from authz.catalogue import default_catalogue
from authz.tokens import TokenVerifier
from graph.database import Database
from graph.lifecycle.rules import LifecycleRules
from graph.migrations import migrate
from hub.api.notices_api import feed_of
from hub.api.schema import build_schema
from hub.auth import BearerAuth
from hub.errors import DUPLICATE_KEY, UPLOAD_REQUIRED
from hub.exports import quarantine_csv
from hub.graphiql import graphiql_routes, render_page
from hub.guards.cross_site import CrossSiteRequests
from hub.guards.http import RequestLimits
from hub.guards.rate_limit import RateLimits
from hub.guards.streams import StreamCounter, StreamLimitsMiddleware
from hub.guards.strict_json import RefusedJson, decode_request_json
from hub.guards.url_size import UrlLimits
from hub.kernel import Kernel, RequestContext, asker, request_context
from hub.reports.routes import report_routes
from hub.settings import Settings
from hub.signin.sessions import EndedSessions, SessionAuth, session_middleware
from hub.site.account import account_routes, signin_routes
from hub.site.error_pages import ErrorPages, server_error
from hub.site.routes import site_routes

log = logging.getLogger("credithub")


_HTTP_ERROR_CODES = {
    400: "MALFORMED_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class GraphQLApp(GraphQL[RequestContext, None]):
    """Strawberry's ASGI GraphQL endpoint with the hub's per-request context."""

    def __init__(self, kernel: Kernel) -> None:
        # Multipart requests carry feed files (submitFeed), and only with a header a cross-site
        # form cannot send (hub/guards/cross_site.py). Tokens travel in a header, and a
        # signed-in session's cookie reaches this endpoint only with that same header, so a
        # cross-site form cannot submit in a user's name (the CSRF concern).
        # Subscriptions (noticeAdded) stream over HTTP with the multipart subscription protocol,
        # so they pass the same authentication and limits as every other request.
        super().__init__(
            kernel.schema,
            graphql_ide="graphiql",
            multipart_uploads_enabled=True,
            subscription_protocols=(MULTIPART_SUBSCRIPTION_PROTOCOL,),
        )
        self.kernel = kernel

    @property
    def audit(self) -> AuditSink | None:
        """The audit writer this endpoint's requests submit to (the kernel's)."""
        return self.kernel.audit

    @audit.setter
    def audit(self, writer: AuditSink | None) -> None:
        # Only tests swap it (an unreachable audit store); the endpoint then has its own kernel.
        self.kernel = replace(self.kernel, audit=writer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's endpoint, with its plain-text HTTP errors answered as JSON instead.

        A multipart body without an operation, or a GET without a query, is refused by
        Strawberry with a text/plain 400; clients of the hub parse one error shape, the one
        hub/guards/http.py and hub/auth.py answer with.
        """
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response: Response = await self.run(request)
        except RefusedJson as error:
            response = JSONResponse(
                {"error": {"code": error.code, "message": error.reason}},
                status_code=error.status_code,
            )
        except HTTPException as error:
            code = _HTTP_ERROR_CODES.get(error.status_code, "BAD_REQUEST")
            response = JSONResponse(
                {"error": {"code": code, "message": f"请求格式错误 ({error.reason})"}},
                status_code=error.status_code,
            )
        finally:
            # An upload's files are spooled to temporary files: closed now, not when collected.
            await request.close()
        await response(scope, receive, send)

    def encode_json(self, data: object) -> bytes:
        """Every GraphQL response as JSON, by orjson (a credit check's hundred fields encode
        several times faster than with `json`); non-ASCII text as UTF-8, not escapes."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """Every JSON of a request (body, multipart operations and map, GET variables), decoded
        strictly: duplicate members and lone surrogates refused (hub/guards/strict_json.py)."""
        return decode_request_json(data)

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """A GET's parameters; one named twice (``?query=…&query=…``) is refused, as in JSON."""
        names = params.multi_items() if isinstance(params, StarletteQueryParams) else params.items()
        for name, count in Counter(name for name, _ in names).items():
            if count > 1:
                raise RefusedJson(
                    DUPLICATE_KEY,
                    f"请求参数 {name!r} 重复，无法确定以哪个为准 "
                    f"(the query parameter {name!r} is given more than once)",
                )
        return super().parse_query_params(params)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """A multipart request's operations, only when it uploads a file (`UPLOAD_REQUIRED`).

        Multipart exists for files (the GraphQL multipart request spec); an operation without one
        is sent as JSON, which a cross-site page cannot send without a preflight.
        """
        operations = await super().parse_multipart(request)
        form = await request.get_form_data()
        files_map = form.form.get("map")
        if not form.files or not self.parse_json(files_map or "{}"):
            raise RefusedJson(
                UPLOAD_REQUIRED,
                "multipart 请求仅用于上传文件，其他操作请以 application/json 发送 "
                "(a multipart request must upload a file named in its `map`; send other "
                "operations as application/json)",
            )
        return operations

    async def render_graphql_ide(self, request: Request) -> Response:
        """The hub's own GraphiQL page (hub/graphiql/): its files from the hub, never a CDN."""
        return render_page(self.kernel.settings, request)

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        # BearerAuth has verified the token (or its absence: the public) before we get here.
        context = request_context(self.kernel, asker(request), request)
        response.headers["X-Request-ID"] = context.request_id
        return context


def start_kernel(settings: Settings) -> Kernel:
    """The one kernel of a hub process: its database, schema, catalogue, audit writer, rules."""
    db = Database(settings.connection())
    audit: AuditSink = (
        AuditWal(db, settings.audit_wal_dir, batch_window=settings.audit_wal_batch_ms / 1000)
        if settings.audit_wal
        else AuditWriter(db)
    )
    return Kernel(
        db=db,
        schema=build_schema(settings.guards()),
        settings=settings,
        person_secret=settings.person_secret(),
        catalogue=default_catalogue(),
        rules=LifecycleRules.from_env(),
        audit=audit,
    )


def freeze_start_up() -> None:
    """Leave what start-up made (modules, the schema, the catalogue, the driver) out of the
    garbage collector's work from now on.

    A served hub allocates and frees thousands of objects per request, so the collector runs
    often, and each full collection walked every object alive: about 150,000 of them, 0.1 s a
    time, 17 % of a worker's CPU serving the public search (gc callbacks, 8 clients). Frozen, a
    full collection walks only what came after (4 ms). Only for a serving process: objects
    frozen are never collected, so a process building many apps (the tests) would keep them.
    """
    gc.collect()
    gc.freeze()


async def shut_down(app: Starlette) -> None:
    """What a hub does as its server stops: ship its audit log into the chain, then close the
    database once the units of work under way have ended. A test that builds an app ends it
    so too, or the app's shipper would live on in the suite's event loop."""
    kernel: Kernel = app.state.kernel
    if kernel.audit is not None:
        await kernel.audit.close()
    await kernel.db.close()


def create_app(
    settings: Settings | None = None, *, run_migrations: bool = True, serving: bool = False
) -> Starlette:
    """Build the hub for `settings` (from the environment when not given); `serving` for the
    one app of a server process (`freeze_start_up` once it has started)."""
    settings = settings or Settings.from_env()
    kernel = start_kernel(settings)
    db = kernel.db
    graphql_app = GraphQLApp(kernel)
    streams = StreamCounter()
    verifier = TokenVerifier(settings.token_config())
    ended_sessions = EndedSessions(db)

    async def healthz(request: Request) -> JSONResponse:
        # Open subscription streams (hub/guards/streams.py) and the one outbox poll feeding
        # them (hub/api/notices_api.py), so a monitor sees streams pile up.
        counts = {**streams.snapshot(), "feed": feed_of(db).snapshot()}
        try:
            await db.ping()
        except (DriverError, Neo4jError, OSError) as error:
            return JSONResponse(
                {"status": "unavailable", "neo4j": type(error).__name__, "streams": counts},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "neo4j": "ok", "streams": counts})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_migrations:
            try:
                applied = await migrate(db)
                if applied:
                    log.info("applied migrations %s", ", ".join(applied))
                await note_recipients(db)  # once per database, for entries older than the notes
            except (DriverError, Neo4jError, OSError) as error:
                # Serve anyway: /healthz says 503 until Neo4j answers, requests get a clear
                # error, and `credithub migrate` applies the schema once it is reachable.
                log.warning("could not migrate at start-up: %s", type(error).__name__)
        if kernel.audit is not None:
            # Ships the audit logs of processes that died (with the write-ahead log).
            await kernel.audit.start()
        if serving:
            freeze_start_up()
        yield
        await shut_down(app)

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/feeds/{batch}/quarantine.csv", quarantine_csv, methods=["GET"]),
            *report_routes(kernel),
            *graphiql_routes(kernel),
            *site_routes(kernel),
            *signin_routes(kernel, settings, ended_sessions),
            *account_routes(kernel),
        ],
        middleware=[
            # Outermost: a browser asking for a page gets a refusal as a Chinese page of the
            # site (404, 429 …); API clients keep JSON (hub/site/error_pages.py).
            Middleware(ErrorPages),
            # Cross-site requests before anything: a multipart request without the preflight
            # header is refused, and no code after this sees a cookie such a request carried.
            Middleware(CrossSiteRequests),
            # The site's signed session cookie (hub/signin/sessions.py), read after the guard
            # has removed cookies a cross-site request must not use.
            session_middleware(settings.signin, settings.session_secret()),
            # Then authentication: a bad token is refused before its body is read, and the
            # body limit can allow feed uploads to identified organisations only.
            Middleware(BearerAuth, verifier=verifier),
            # Without a bearer header, the signed-in consumer of the session (if any).
            Middleware(
                SessionAuth, verifier=verifier, idle=settings.signin.idle, ended=ended_sessions
            ),
            # Then the budget of who is asking, so a refused request's body is never read.
            Middleware(RateLimits, config=settings.rate_limits),
            # Open streams per organisation and address (issue 20): after authentication, like
            # the rates, and before the body is read, so a refused stream's body never is.
            Middleware(StreamLimitsMiddleware, limits=settings.streams, counter=streams),
            # A GET's query string is held to the body limit (issue 20).
            Middleware(UrlLimits, config=settings.guards()),
            Middleware(RequestLimits, config=settings.guards()),
        ],
        # An exception nothing caught: a Chinese page for a browser, JSON for API clients.
        exception_handlers={Exception: server_error},
        lifespan=lifespan,
    )
    app.state.kernel = kernel
    app.state.db = db
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory hub.app:app_from_env` (several workers)."""
    return create_app(serving=True)
