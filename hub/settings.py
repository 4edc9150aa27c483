"""Typed settings, read once from the environment, with defaults that need no configuration.

Without ``NEO4J_URI`` the hub runs its own local Neo4j (graph/provision.py) under
``CREDITHUB_HOME``; with it, the hub uses that server instead (a ``neo4j://`` URI routes reads
and writes across a cluster), and the local server is never started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from authz.tokens import MIN_SECRET_BYTES, TokenConfig
from graph.database import Connection
from graph.provision import LocalNeo4j, ServerConfig
from hub.guards.config import GuardConfig
from hub.guards.connections import ConnectionLimits
from hub.guards.rate_limit import RateLimitConfig
from hub.guards.streams import StreamLimits
from hub.signin.config import SignInConfig


class SettingsError(ValueError):
    """An environment variable has a value the hub cannot use."""


_URI_SCHEMES: Final = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_TRUE: Final = ("1", "true", "yes", "on")
_FALSE: Final = ("0", "false", "no", "off")


def _flag(value: Any) -> Any:
    """`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off` (any case); anything else is refused."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"must be one of {', '.join(_TRUE + _FALSE)}")
    return value


def _neo4j_uri(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in _URI_SCHEMES or not rest:
        raise ValueError(f"must be a Neo4j URI ({', '.join(s + '://…' for s in _URI_SCHEMES)})")
    return value


def _jwt_secret(value: str) -> str:
    # A short HMAC key can be brute-forced offline from any one token it signed.
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s):// URL")
    return value


Port = Annotated[int, Field(ge=1, le=65535)]
Rate = Annotated[int, Field(ge=0)]
Memory = Annotated[str, Field(pattern=r"^[1-9][0-9]*[kKmMgG]?$")]
Text = Annotated[str, Field(min_length=1)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
Count = Annotated[int, Field(ge=0)]


class Environment(BaseModel):
    """The environment variables the hub reads, typed: the format documented in one place.

    Each field's alias is the variable's name; an absent or empty variable takes the default.
    """

    # Values are taken as given (not stripped): a password or secret may hold any character.
    model_config = ConfigDict(extra="ignore", frozen=True)

    home: Path = Field(Path(".credithub"), alias="CREDITHUB_HOME")
    neo4j_uri: Annotated[str, AfterValidator(_neo4j_uri)] | None = Field(None, alias="NEO4J_URI")
    neo4j_user: Text = Field("neo4j", alias="NEO4J_USER")
    neo4j_password: str | None = Field(None, alias="NEO4J_PASSWORD")
    neo4j_database: Text = Field("neo4j", alias="NEO4J_DATABASE")
    local_bolt_port: Port = Field(7687, alias="CREDITHUB_NEO4J_PORT")
    local_heap: Memory = Field("1g", alias="CREDITHUB_NEO4J_HEAP")
    local_page_cache: Memory = Field("512m", alias="CREDITHUB_NEO4J_PAGECACHE")
    host: Text = Field("127.0.0.1", alias="CREDITHUB_HOST")
    port: Port = Field(8000, alias="CREDITHUB_PORT")
    person_key_secret: str | None = Field(None, alias="CREDITHUB_PERSON_KEY_SECRET")
    jwt_secret: Annotated[str, AfterValidator(_jwt_secret)] | None = Field(
        None, alias="CREDITHUB_JWT_SECRET"
    )
    jwks_file: Path | None = Field(None, alias="CREDITHUB_JWKS_FILE")
    jwks_url: Annotated[str, AfterValidator(_http_url)] | None = Field(
        None, alias="CREDITHUB_JWKS_URL"
    )
    production: Annotated[bool, BeforeValidator(_flag)] = Field(False, alias="CREDITHUB_PRODUCTION")
    public_url: Annotated[str, AfterValidator(_http_url)] | None = Field(
        None, alias="CREDITHUB_PUBLIC_URL"
    )
    rate_public_per_minute: Rate = Field(
        RateLimitConfig.public_per_minute, alias="CREDITHUB_RATE_PUBLIC_PER_MINUTE"
    )
    rate_organisation_per_minute: Rate = Field(
        RateLimitConfig.organisation_per_minute, alias="CREDITHUB_RATE_ORG_PER_MINUTE"
    )
    max_streams_per_organisation: Count = Field(
        StreamLimits.per_organisation, alias="CREDITHUB_MAX_STREAMS_PER_ORG"
    )
    max_streams_per_address: Count = Field(
        StreamLimits.per_address, alias="CREDITHUB_MAX_STREAMS_PER_ADDRESS"
    )
    header_timeout: Seconds = Field(
        ConnectionLimits.header_timeout, alias="CREDITHUB_HEADER_TIMEOUT"
    )
    body_timeout: Seconds = Field(ConnectionLimits.body_timeout, alias="CREDITHUB_BODY_TIMEOUT")
    keep_alive_timeout: Annotated[int, Field(ge=1, le=3600)] = Field(
        ConnectionLimits.keep_alive_timeout, alias="CREDITHUB_KEEP_ALIVE_TIMEOUT"
    )
    max_connections: Annotated[int, Field(ge=1)] = Field(
        ConnectionLimits.max_connections, alias="CREDITHUB_MAX_CONNECTIONS"
    )
    max_connections_per_address: Count = Field(
        ConnectionLimits.max_per_address, alias="CREDITHUB_MAX_CONNECTIONS_PER_ADDRESS"
    )
    # Sign-in (hub/signin): the OpenID Connect provider, the hub's public address, sessions.
    oidc_metadata_url: Annotated[str, AfterValidator(_http_url)] | None = Field(
        None, alias="CREDITHUB_OIDC_METADATA_URL"
    )
    oidc_client_id: str | None = Field(None, alias="CREDITHUB_OIDC_CLIENT_ID")
    oidc_client_secret: str | None = Field(None, alias="CREDITHUB_OIDC_CLIENT_SECRET")
    oidc_org_claim: Text = Field("uscc", alias="CREDITHUB_OIDC_ORG_CLAIM")
    session_idle_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        30, alias="CREDITHUB_SESSION_IDLE_MINUTES"
    )
    session_max_hours: Annotated[int, Field(ge=1, le=168)] = Field(
        8, alias="CREDITHUB_SESSION_MAX_HOURS"
    )
    # The audit's local write-ahead log (authz/audit_wal.py) and how long it gathers a batch.
    audit_wal: Annotated[bool, BeforeValidator(_flag)] = Field(False, alias="CREDITHUB_AUDIT_WAL")
    audit_wal_batch_ms: Annotated[int, Field(ge=0, le=3_600_000)] = Field(
        500, alias="CREDITHUB_AUDIT_WAL_BATCH_MS"
    )
    access_log: Annotated[bool, BeforeValidator(_flag)] = Field(False, alias="CREDITHUB_ACCESS_LOG")

    def settings(self) -> Settings:
        """The hub's settings from these checked values."""
        return Settings(
            home=self.home,
            neo4j_uri=self.neo4j_uri,
            neo4j_user=self.neo4j_user,
            neo4j_password=self.neo4j_password,
            neo4j_database=self.neo4j_database,
            local_bolt_port=self.local_bolt_port,
            local_heap=self.local_heap,
            local_page_cache=self.local_page_cache,
            host=self.host,
            port=self.port,
            person_key_secret=self.person_key_secret.encode() if self.person_key_secret else None,
            jwt_secret=self.jwt_secret.encode() if self.jwt_secret else None,
            jwks_file=self.jwks_file,
            jwks_url=self.jwks_url,
            production=self.production,
            public_url=self.public_url.rstrip("/") if self.public_url else None,
            rate_limits=RateLimitConfig(
                public_per_minute=self.rate_public_per_minute,
                organisation_per_minute=self.rate_organisation_per_minute,
            ),
            streams=StreamLimits(
                per_organisation=self.max_streams_per_organisation,
                per_address=self.max_streams_per_address,
            ),
            connections=ConnectionLimits(
                header_timeout=self.header_timeout,
                body_timeout=self.body_timeout,
                keep_alive_timeout=self.keep_alive_timeout,
                max_connections=self.max_connections,
                max_per_address=self.max_connections_per_address,
            ),
            signin=SignInConfig(
                metadata_url=self.oidc_metadata_url,
                client_id=self.oidc_client_id,
                client_secret=self.oidc_client_secret,
                public_url=self.public_url.rstrip("/") if self.public_url else None,
                org_claim=self.oidc_org_claim,
                idle=timedelta(minutes=self.session_idle_minutes),
                absolute=timedelta(hours=self.session_max_hours),
            ),
            audit_wal=self.audit_wal,
            audit_wal_batch_ms=self.audit_wal_batch_ms,
            access_log=self.access_log,
        )


_VARIABLES: Final = frozenset(
    str(f.alias) for f in Environment.model_fields.values() if f.alias is not None
)
"""The environment variables `Environment` reads."""


def _settings_problems(error: ValidationError) -> str:
    """One line per bad variable: its name, what is wrong (the value is not echoed: it may
    be a secret)."""
    lines = []
    for detail in error.errors():
        loc = detail.get("loc", ())
        name = str(loc[0]) if loc else "?"
        message = str(detail.get("msg", "")).removeprefix("Value error, ")
        lines.append(f"{name} {message}")
    return "环境变量取值无效 (invalid environment variable): " + "; ".join(lines)


@dataclass(frozen=True)
class Settings:
    """Everything the hub needs to know about where it runs."""

    home: Path = Path(".credithub")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    local_bolt_port: int = 7687
    local_heap: str = "1g"
    local_page_cache: str = "512m"
    host: str = "127.0.0.1"
    port: int = 8000
    # Keys persons by an HMAC of the resident ID; generated on first use when not given.
    person_key_secret: bytes | None = field(default=None, repr=False)
    # Signs local tokens (HS256); generated on first use when not given.
    jwt_secret: bytes | None = field(default=None, repr=False)
    jwks_file: Path | None = None
    jwks_url: str | None = None
    # Production mode: no introspection and no "Did you mean" suggestions for the public.
    production: bool = False
    # The address the public reaches the hub at (https://xyxx.wugang.gov.cn, no trailing
    # slash): credit reports print their verification link and QR code with it. Unset: the
    # address of the request that issued the report.
    public_url: str | None = None
    # Requests per minute per organisation and per public address, in each hub process.
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Open subscription streams per organisation and per address, in each hub process.
    streams: StreamLimits = field(default_factory=StreamLimits)
    # Deadlines for a request's headers and body, and caps on open connections (`serve`).
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    # Sign-in for the site's organisations and enterprises (OpenID Connect) and its sessions.
    signin: SignInConfig = field(default_factory=SignInConfig)
    # Audit entries made durable in a local write-ahead log under `home` before each response,
    # shipped to the chain in Neo4j in batches (authz/audit_wal.py); off: each group of
    # requests commits its entries to Neo4j before answering (authz.audit.AuditWriter).
    audit_wal: bool = False
    audit_wal_batch_ms: int = 500
    # One line per HTTP request on the server's log (uvicorn's access log), for operators who
    # have no proxy logging requests in front. Off by default, as gunicorn's: every GraphQL
    # request is in the audit chain anyway, and the line cost 3-10 % of a sequential credit
    # check's latency (measured toggled inside one served process, 2026-12-07).
    access_log: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from environment variables (see README: Configuration).

        The variables are checked by `Environment` (pydantic); a bad value is refused with
        `SettingsError` naming each variable that is wrong and why.
        """
        env = os.environ if environ is None else environ
        given = {name: value for name, value in env.items() if name in _VARIABLES and value != ""}
        try:
            checked = Environment.model_validate(given)
        except ValidationError as error:
            raise SettingsError(_settings_problems(error)) from None
        return checked.settings()

    @property
    def uses_local_server(self) -> bool:
        """True when the hub runs its own Neo4j (no NEO4J_URI given)."""
        return self.neo4j_uri is None

    def local_server(self) -> LocalNeo4j:
        """The project's own Neo4j server under `home`."""
        return LocalNeo4j(
            ServerConfig(
                home=self.home / "neo4j",
                bolt_port=self.local_bolt_port,
                heap=self.local_heap,
                page_cache=self.local_page_cache,
                user=self.neo4j_user,
                database=self.neo4j_database,
            )
        )

    def connection(self) -> Connection:
        """Where the graph is: NEO4J_URI if given, else the local server."""
        if self.neo4j_uri is not None:
            if self.neo4j_password is None:
                raise SettingsError("NEO4J_URI is set, so NEO4J_PASSWORD must be set too")
            return Connection(
                self.neo4j_uri, self.neo4j_user, self.neo4j_password, self.neo4j_database
            )
        server = self.local_server()
        return Connection(server.uri, self.neo4j_user, server.password(), self.neo4j_database)

    def person_secret(self) -> bytes:
        """The HMAC key that turns a resident ID into a person key (kept under `home`)."""
        if self.person_key_secret is not None:
            return self.person_key_secret
        return self._generated_secret("person-key.secret")

    def session_secret(self) -> bytes:
        """The key that signs the site's session cookies (kept under `home`, shared by workers)."""
        return self._generated_secret("session.secret")

    @property
    def audit_wal_dir(self) -> Path:
        """Where the hub processes of this home keep their audit write-ahead logs."""
        return self.home / "audit-wal"

    @property
    def attachments_dir(self) -> Path:
        """Where uploaded 证明材料 are kept, by content (graph/attachments.py)."""
        return self.home / "attachments"

    def guards(self) -> GuardConfig:
        """Request limits (hub/guards)."""
        return GuardConfig(production=self.production)

    def token_config(self) -> TokenConfig:
        """How bearer tokens are verified: the HS256 secret and, when given, a JWKS.

        Without CREDITHUB_JWT_SECRET the secret is generated once into ``<home>/jwt.secret``,
        so `credithub token` and the hub agree as long as they share `home`.
        """
        return TokenConfig(
            hs256_secret=self.jwt_secret or self._generated_secret("jwt.secret"),
            jwks_file=self.jwks_file,
            jwks_url=self.jwks_url,
        )

    def _generated_secret(self, name: str) -> bytes:
        # Created once, readable by the owner only; several hub workers share it. Written in full
        # to a temporary file (mkstemp: mode 600) and then linked into place, so a worker that
        # starts at the same moment sees either no file or the whole secret, never an empty one.
        path = self.home / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
                # os.link fails if the name exists: the first worker's secret wins.
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
            finally:
                os.unlink(temporary)
        secret = path.read_text().strip().encode()
        if not secret:
            raise SettingsError(f"{path} is empty; delete it to generate a new secret")
        return secret
