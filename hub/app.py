"""The ASGI application: GraphQL over HTTP, GraphiQL, and a health check that asks Neo4j."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from cross_web import HTTPException
from neo4j.exceptions import DriverError, Neo4jError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import MULTIPART_SUBSCRIPTION_PROTOCOL

from authz.audit import AuditWriter
from authz.identity import PUBLIC
from authz.tokens import TokenVerifier
from graph.database import Database
from graph.lifecycle.rules import LifecycleRules
from graph.migrations import migrate
from hub.api.query import RequestContext
from hub.api.schema import build_schema
from hub.auth import BearerAuth
from hub.exports import quarantine_csv
from hub.guards.http import RequestLimits
from hub.guards.rate_limit import RateLimits
from hub.reports.routes import report_routes
from hub.settings import Settings
from hub.site.routes import site_routes

log = logging.getLogger("credithub")


_HTTP_ERROR_CODES = {
    400: "MALFORMED_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class GraphQLApp(GraphQL[RequestContext, None]):
    """Strawberry's ASGI GraphQL endpoint with the hub's per-request context."""

    def __init__(self, db: Database, settings: Settings) -> None:
        # Multipart requests carry feed files (submitFeed). Tokens travel in a header, never a
        # cookie, so a cross-site form cannot submit in a user's name (the CSRF concern).
        # Subscriptions (noticeAdded) stream over HTTP with the multipart subscription protocol,
        # so they pass the same authentication and limits as every other request.
        super().__init__(
            build_schema(settings.guards()),
            graphql_ide="graphiql",
            multipart_uploads_enabled=True,
            subscription_protocols=(MULTIPART_SUBSCRIPTION_PROTOCOL,),
        )
        self.db = db
        self.person_secret = settings.person_secret()
        self.audit = AuditWriter(db)
        self.rules = LifecycleRules.from_env()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's endpoint, with its plain-text HTTP errors answered as JSON instead.

        A multipart body without an operation, or a GET without a query, is refused by
        Strawberry with a text/plain 400; clients of the hub parse one error shape, the one
        hub/guards/http.py and hub/auth.py answer with.
        """
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response: Response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            code = _HTTP_ERROR_CODES.get(error.status_code, "BAD_REQUEST")
            response = JSONResponse(
                {"error": {"code": code, "message": f"请求格式错误 ({error.reason})"}},
                status_code=error.status_code,
            )
        await response(scope, receive, send)

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        # BearerAuth has verified the token (or its absence: the public) before we get here.
        consumer = getattr(request.state, "consumer", PUBLIC)
        context = RequestContext(
            db=self.db,
            person_secret=self.person_secret,
            consumer=consumer,
            audit=self.audit,
            rules=self.rules,
            streaming="multipart/mixed" in request.headers.get("accept", ""),
        )
        response.headers["X-Request-ID"] = context.request_id
        return context


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> Starlette:
    """Build the hub for `settings` (from the environment when not given)."""
    settings = settings or Settings.from_env()
    db = Database(settings.connection())
    graphql_app = GraphQLApp(db, settings)

    async def healthz(request: Request) -> JSONResponse:
        try:
            await db.ping()
        except (DriverError, Neo4jError, OSError) as error:
            return JSONResponse(
                {"status": "unavailable", "neo4j": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "neo4j": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_migrations:
            try:
                applied = await migrate(db)
                if applied:
                    log.info("applied migrations %s", ", ".join(applied))
            except (DriverError, Neo4jError, OSError) as error:
                # Serve anyway: /healthz says 503 until Neo4j answers, requests get a clear
                # error, and `credithub migrate` applies the schema once it is reachable.
                log.warning("could not migrate at start-up: %s", type(error).__name__)
        yield
        await db.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/feeds/{batch}/quarantine.csv", quarantine_csv, methods=["GET"]),
            *report_routes(graphql_app),
            *site_routes(graphql_app),
        ],
        middleware=[
            # Authentication first: a bad token is refused before its body is read, and the
            # body limit can allow feed uploads to identified organisations only.
            Middleware(BearerAuth, verifier=TokenVerifier(settings.token_config())),
            # Then the budget of who is asking, so a refused request's body is never read.
            Middleware(RateLimits, config=settings.rate_limits),
            Middleware(RequestLimits, config=settings.guards()),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory hub.app:app_from_env` (several workers)."""
    return create_app()
