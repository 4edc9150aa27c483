"""The development identity provider: a tiny OpenID Connect provider inside a local hub.

「开发用身份提供方，仅限本地演示」: for `./credithub up` only, so the site's sign-in can be tried
without the city's unified identity service. Its authorize page lets whoever opens it pick any
organisation of the register, or type an enterprise's code, and be signed in as it — there is no
password. It is never mounted when `Settings.production` is true (its paths answer 404), nor
when a real provider is configured.

    GET  /signin/dev/.well-known/openid-configuration   discovery document
    GET  /signin/dev/authorize                          pick who to sign in as
    POST /signin/dev/authorize                          → redirect_uri?code=…&state=…
    POST /signin/dev/token                              code → ID token (RS256) + access token
    GET  /signin/dev/jwks                               the public key

An authorization code is the request's parameters signed (itsdangerous), valid for
`CODE_SECONDS` and redeemed once (per process: it is a development provider); the signing key
is generated once under the hub's home, so several workers agree on it.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from graph.database import Database
from graph.model import Label
from hub.signin.config import DEV_PROVIDER_PATH
from loaders.reference import list_organisations
from loaders.reference.organisations import ORGANISATION_LABELS

DEV_CLIENT_ID: Final = "credithub-site"
CODE_SECONDS: Final = 120
ID_TOKEN_SECONDS: Final = 300
SAMPLE_ENTERPRISES: Final = 12
MARK: Final = "开发用身份提供方，仅限本地演示"

_ENTERPRISES: Final = (
    f"MATCH (e:{Label.ENTERPRISE}) WHERE e.name IS NOT NULL "
    "RETURN e.uscc AS code, e.name AS name ORDER BY e.uscc LIMIT $limit"
)


def _load_key(home: Path) -> RSAKey:
    """The provider's RSA key, generated once into ``<home>/dev-idp-key.json`` (mode 600)."""
    path = home / "dev-idp-key.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dev-idp-key.")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(RSAKey.generate_key(2048, private=True).as_dict(private=True), handle)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)  # the first worker's key wins
        finally:
            os.unlink(temporary)
    return RSAKey.import_key(json.loads(path.read_text()))


@dataclass(frozen=True)
class DevProvider:
    """The provider's keys and secrets (derived from the hub's session secret), and the codes
    this process has redeemed (a code is used once; kept for its `CODE_SECONDS`)."""

    key: RSAKey
    client_secret: str
    codes: URLSafeTimedSerializer
    redeemed: dict[str, float] = field(default_factory=dict)

    def redeem(self, code: str) -> bool:
        """True the first time `code` is redeemed here, False after that."""
        now = time.monotonic()
        for old in [c for c, at in self.redeemed.items() if now - at > CODE_SECONDS]:
            del self.redeemed[old]
        if code in self.redeemed:
            return False
        self.redeemed[code] = now
        return True

    @classmethod
    def create(cls, home: Path, secret: bytes) -> DevProvider:
        """The provider of a hub whose home is `home` and whose session secret is `secret`."""
        client_secret = hmac.new(secret, b"dev-idp-client", "sha256").hexdigest()
        return cls(
            key=_load_key(home),
            client_secret=client_secret,
            codes=URLSafeTimedSerializer(secret.decode(), salt="dev-idp-code"),
        )

    @property
    def kid(self) -> str:
        """The key id in the JWKS and the ID tokens' header."""
        return self.key.thumbprint()

    def id_token(self, issuer: str, audience: str, code: str, name: str, nonce: str) -> str:
        """An RS256 ID token for the organisation `code`."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": f"dev:{code}",
            "aud": audience,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "nonce": nonce,
            "uscc": code,
            "name": name,
        }
        return jwt.encode({"alg": "RS256", "kid": self.kid}, claims, self.key)


def issuer_of(request: Request) -> str:
    """The provider's issuer: its address as the request reached it."""
    return str(request.base_url).rstrip("/") + DEV_PROVIDER_PATH


def _client_credentials(request: Request, form: Any) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        return user, password
    return form.get("client_id"), form.get("client_secret")


def _token_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


Render = Callable[..., str]
"""Fills one of the site's templates (hub.site.rendering.render: the site sits above sign-in)."""


def dev_provider_routes(provider: DevProvider, db: Database, render: Render) -> list[Route]:
    """The provider's routes (mounted only outside production, without a real provider)."""

    async def discovery(request: Request) -> Response:
        issuer = issuer_of(request)
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "claims_supported": ["sub", "name", "uscc", "nonce"],
                "x_credithub_note": MARK,
            }
        )

    async def jwks(request: Request) -> Response:
        public = {**provider.key.as_dict(private=False), "kid": provider.kid}
        return JSONResponse({"keys": [{**public, "use": "sig", "alg": "RS256"}]})

    def _params(source: Any) -> dict[str, str]:
        names = ("client_id", "redirect_uri", "state", "nonce", "response_type", "scope")
        return {name: str(source.get(name) or "") for name in names}

    def _problem(params: dict[str, str], host: str) -> str | None:
        if params["client_id"] != DEV_CLIENT_ID:
            return "未知的客户端 (unknown client_id)"
        if params["response_type"] != "code" or "openid" not in params["scope"].split():
            return "仅支持 OpenID Connect 授权码流程 (response_type=code, scope openid)"
        target = urlsplit(params["redirect_uri"])
        # Only the hub itself may receive a code: its own host, its callback path.
        if target.netloc.lower() != host or target.path != "/signin/callback":
            return "回调地址不是本平台的登录回调 (redirect_uri must be this hub's callback)"
        if not params["state"] or not params["nonce"]:
            return "缺少 state 或 nonce"
        return None

    async def authorize(request: Request) -> Response:
        host = request.headers.get("host", "").lower()
        if request.method == "GET":
            params = _params(request.query_params)
            chosen = ""
        else:
            form = await request.form()
            params = _params(form)
            chosen = str(form.get("org") or form.get("uscc") or "").strip().upper()
        problem = _problem(params, host)
        if problem is None and chosen:
            names = await _names(db, chosen)
            name = names.get(chosen)
            if name is not None:
                code = provider.codes.dumps({**params, "uscc": chosen, "name": name})
                query = urlencode({"code": code, "state": params["state"]})
                return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=303)
            problem = f"统一社会信用代码 {chosen} 不在机构名录或市场主体库中"
        organisations = await list_organisations(db, include_closed=False)
        enterprises = await db.read(_ENTERPRISES, {"limit": SAMPLE_ENTERPRISES})
        page = render(
            "signin_dev_authorize.html",
            active="",
            mark=MARK,
            params=params,
            problem=problem,
            organisations=organisations,
            enterprises=enterprises,
        )
        headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
        return HTMLResponse(page, status_code=400 if problem else 200, headers=headers)

    async def token(request: Request) -> Response:
        form = await request.form()
        client_id, client_secret = _client_credentials(request, form)
        if client_id != DEV_CLIENT_ID or not hmac.compare_digest(
            str(client_secret or ""), provider.client_secret
        ):
            return _token_error("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "only authorization_code")
        try:
            granted = provider.codes.loads(str(form.get("code") or ""), max_age=CODE_SECONDS)
        except BadSignature:
            return _token_error("invalid_grant", "the code is invalid or expired")
        if granted.get("redirect_uri") != form.get("redirect_uri"):
            return _token_error("invalid_grant", "redirect_uri differs from the authorization")
        if not provider.redeem(str(form.get("code"))):
            return _token_error("invalid_grant", "the code was used already")
        id_token = provider.id_token(
            issuer_of(request), DEV_CLIENT_ID, granted["uscc"], granted["name"], granted["nonce"]
        )
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": ID_TOKEN_SECONDS,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    base = DEV_PROVIDER_PATH
    return [
        Route(f"{base}/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route(f"{base}/jwks", jwks, methods=["GET"]),
        Route(f"{base}/authorize", authorize, methods=["GET", "POST"]),
        Route(f"{base}/token", token, methods=["POST"]),
    ]


async def _names(db: Database, code: str) -> dict[str, str]:
    """The name of the organisation or enterprise with this exact code (empty when none)."""
    rows = await db.read(
        f"OPTIONAL MATCH (e:{Label.ENTERPRISE} {{uscc: $code}}) "
        "OPTIONAL MATCH (o:$any($labels) {code: $code}) WHERE o.closedOn IS NULL "
        "RETURN coalesce(o.name, e.name) AS name",
        {"code": code, "labels": ORGANISATION_LABELS},
    )
    name = rows[0]["name"] if rows else None
    return {code: name} if name else {}
