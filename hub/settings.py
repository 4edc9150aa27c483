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
from pathlib import Path

from authz.tokens import MIN_SECRET_BYTES, TokenConfig
from graph.database import Connection
from graph.provision import LocalNeo4j, ServerConfig
from hub.guards.config import GuardConfig
from hub.guards.rate_limit import RateLimitConfig


class SettingsError(ValueError):
    """An environment variable has a value the hub cannot use."""


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
    # Requests per minute per organisation and per public address, in each hub process.
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from environment variables (see README: Configuration)."""
        env = os.environ if environ is None else environ

        def integer(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None

        secret = env.get("CREDITHUB_PERSON_KEY_SECRET")
        jwt_secret = env.get("CREDITHUB_JWT_SECRET")
        if jwt_secret and len(jwt_secret.encode()) < MIN_SECRET_BYTES:
            # A short HMAC key can be brute-forced offline from any one token it signed.
            raise SettingsError(
                f"CREDITHUB_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes "
                "(e.g. `openssl rand -hex 32`)"
            )
        jwks_file = env.get("CREDITHUB_JWKS_FILE")
        return cls(
            home=Path(env.get("CREDITHUB_HOME", ".credithub")),
            neo4j_uri=env.get("NEO4J_URI") or None,
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password=env.get("NEO4J_PASSWORD") or None,
            neo4j_database=env.get("NEO4J_DATABASE", "neo4j"),
            local_bolt_port=integer("CREDITHUB_NEO4J_PORT", 7687),
            local_heap=env.get("CREDITHUB_NEO4J_HEAP", "1g"),
            local_page_cache=env.get("CREDITHUB_NEO4J_PAGECACHE", "512m"),
            host=env.get("CREDITHUB_HOST", "127.0.0.1"),
            port=integer("CREDITHUB_PORT", 8000),
            person_key_secret=secret.encode() if secret else None,
            jwt_secret=jwt_secret.encode() if jwt_secret else None,
            jwks_file=Path(jwks_file) if jwks_file else None,
            jwks_url=env.get("CREDITHUB_JWKS_URL") or None,
            production=env.get("CREDITHUB_PRODUCTION", "").lower() in ("1", "true", "yes"),
            rate_limits=RateLimitConfig(
                public_per_minute=integer(
                    "CREDITHUB_RATE_PUBLIC_PER_MINUTE", RateLimitConfig.public_per_minute
                ),
                organisation_per_minute=integer(
                    "CREDITHUB_RATE_ORG_PER_MINUTE", RateLimitConfig.organisation_per_minute
                ),
            ),
        )

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
