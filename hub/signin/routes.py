"""Sign-in and sign-out for the site (OpenID Connect authorization code flow, Authlib).

    GET  /signin              the sign-in page (and, signed in, who you are and 退出)
    GET  /signin/start[?next=] redirect to the provider (state and nonce kept in the session)
    GET  /signin/callback      back from the provider: code → ID token checked (signature,
                               issuer, audience, expiry, nonce) → the register's consumer
    POST /signout              end the session (CSRF-checked)

The provider is the city's unified identity service when `SignInConfig.external` (discovery
document, client id and secret); otherwise a local hub uses its development provider
(hub/signin/dev_provider.py) and a production hub has no sign-in: /signin says so and the other
paths answer 404.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Final

import authlib.deprecate  # noqa: F401  (sets its own warning filter on import: before ours)
import httpx

with warnings.catch_warnings():
    # Authlib 1.9 announces that its httpx integration will move to the httpx2 package; the
    # Starlette client still uses it, and httpx is what the hub ships.
    warnings.simplefilter("ignore")
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.starlette_client import OAuth
from joserfc.errors import JoseError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from authz.catalogue import Catalogue
from authz.tokens import TokenConfig
from graph.database import Database
from hub.signin.config import DEV_PROVIDER_PATH, SignInConfig
from hub.signin.csrf import CsrfRejected, csrf_token, verify_csrf
from hub.signin.dev_provider import (
    DEV_CLIENT_ID,
    MARK,
    DevProvider,
    Render,
    dev_provider_routes,
)
from hub.signin.identity import UnknownOrganisation, signed_in_consumer
from hub.signin.sessions import EndedSessions, sign_in, sign_out, signed_in_name

log = logging.getLogger("credithub.signin")

CALLBACK_PATH: Final = "/signin/callback"
NEXT_KEY: Final = "signin_next"
_DEV_HOST: Final = "http://credithub-dev-provider"
"""The in-process address the hub reaches its own development provider at (no network)."""

HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}


def _local_path(value: object) -> str:
    """`value` if it is a path on this site (never another host: no open redirect), else /."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


class SignIn:
    """The site's sign-in: which provider, and the routes."""

    def __init__(
        self,
        config: SignInConfig,
        *,
        production: bool,
        db: Database,
        catalogue: Catalogue,
        tokens: TokenConfig,
        dev: DevProvider | None,
        render: Render,
        ended: EndedSessions | None = None,
    ) -> None:
        self.config = config
        self.render = render
        self.ended = ended
        self.db = db
        self.catalogue = catalogue
        self.tokens = tokens
        self.oauth = OAuth()
        self.dev = None if production or config.external else dev
        self.provider: str | None = None
        if config.external:
            self.oauth.register(
                "city",
                client_id=config.client_id,
                client_secret=config.client_secret,
                server_metadata_url=config.metadata_url,
                client_kwargs={"scope": "openid profile", "timeout": 10.0},
            )
            self.provider = "city"
        elif self.dev is not None:
            # The hub talks to its own development provider in-process; the browser is sent to
            # the provider's authorize page on the hub's own address.
            provider_app = Starlette(routes=dev_provider_routes(self.dev, db, render))
            self.oauth.register(
                "dev",
                client_id=DEV_CLIENT_ID,
                client_secret=self.dev.client_secret,
                server_metadata_url=(
                    f"{_DEV_HOST}{DEV_PROVIDER_PATH}/.well-known/openid-configuration"
                ),
                authorize_url=f"{DEV_PROVIDER_PATH}/authorize",
                client_kwargs={
                    "scope": "openid profile",
                    # In the form: an Authorization header would be read as a bearer token by
                    # the hub's own authentication when the provider is called over HTTP.
                    "token_endpoint_auth_method": "client_secret_post",
                    "transport": httpx.ASGITransport(app=provider_app),
                },
            )
            self.provider = "dev"

    def _page(self, request: Request, status: int = 200, problem: str | None = None) -> Response:
        name = signed_in_name(request)
        page = self.render(
            "signin.html",
            active="signin",
            provider=self.provider,
            mark=MARK,
            current=name,
            csrf_token=csrf_token(request) if name else "",
            problem=problem,
            next=_local_path(request.query_params.get("next")),
        )
        return HTMLResponse(page, status_code=status, headers=HEADERS)

    def _redirect_uri(self, request: Request) -> str:
        base = self.config.public_url or str(request.base_url).rstrip("/")
        return base + CALLBACK_PATH

    def routes(self) -> list[BaseRoute]:
        """The sign-in routes (and the development provider's, when it is on)."""

        async def page(request: Request) -> Response:
            return self._page(request)

        async def start(request: Request) -> Response:
            if self.provider is None:
                return self._page(request, 404)
            client: Any = self.oauth.create_client(self.provider)
            request.session[NEXT_KEY] = _local_path(request.query_params.get("next"))
            try:
                redirect: Response = await client.authorize_redirect(
                    request, self._redirect_uri(request)
                )
            except (httpx.HTTPError, OAuthError, ValueError, KeyError) as error:
                log.warning("sign-in: the identity provider is unavailable (%s)", error)
                return self._page(request, 503, "统一身份认证平台暂时无法访问，请稍后再试")
            return redirect

        async def callback(request: Request) -> Response:
            if self.provider is None:
                return self._page(request, 404)
            client: Any = self.oauth.create_client(self.provider)
            try:
                token = await client.authorize_access_token(request)
                claims = token.get("userinfo") or {}
                code = claims.get(self.config.org_claim)
                subject = claims.get("sub")
                if not isinstance(code, str) or not isinstance(subject, str):
                    raise ValueError(f"the ID token has no {self.config.org_claim!r} claim")
                consumer = await signed_in_consumer(
                    self.db, self.catalogue, code, f"oidc:{subject}"
                )
            except UnknownOrganisation as error:
                return self._page(request, 403, str(error))
            except (OAuthError, JoseError, httpx.HTTPError, ValueError, KeyError) as error:
                # A forged or expired ID token, a replayed or foreign state, a wrong nonce:
                # the reason goes to the log, the visitor starts again.
                log.warning("sign-in refused: %s: %s", type(error).__name__, error)
                return self._page(request, 400, "登录未完成：身份凭证校验失败或已过期，请重新登录")
            target = _local_path(request.session.get(NEXT_KEY))
            sign_in(request, consumer, self.tokens, self.config)
            return RedirectResponse(target, status_code=303, headers=HEADERS)

        async def signout(request: Request) -> Response:
            form = await request.form()
            try:
                verify_csrf(request, form)
            except CsrfRejected as error:
                return self._page(request, 403, str(error))
            await sign_out(request, self.ended, self.config)
            return RedirectResponse("/", status_code=303, headers=HEADERS)

        routes: list[BaseRoute] = [
            Route("/signin", page, methods=["GET"]),
            Route("/signin/start", start, methods=["GET"]),
            Route(CALLBACK_PATH, callback, methods=["GET"]),
            Route("/signout", signout, methods=["POST"]),
        ]
        if self.dev is not None:
            routes.extend(dev_provider_routes(self.dev, self.db, self.render))
        return routes
