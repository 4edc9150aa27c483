"""How sign-in is configured: the OpenID Connect provider and the session's lifetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

DEV_PROVIDER_PATH: Final = "/signin/dev"
"""Where the development identity provider is mounted (never in production)."""


@dataclass(frozen=True)
class SignInConfig:
    """The identity provider the site signs people in with, and how long a session lasts.

    `metadata_url` is the provider's discovery document (``…/.well-known/openid-configuration``),
    in production the city's unified identity service. Without it, a local hub signs in with
    its own development provider and a production hub has no sign-in at all. `public_url` is the
    hub's address as browsers see it (the redirect URI is built on it; ``https://`` makes the
    session cookie Secure). `org_claim` names the ID-token claim holding the organisation's
    统一社会信用代码.
    """

    metadata_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    public_url: str | None = None
    org_claim: str = "uscc"
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)

    @property
    def external(self) -> bool:
        """True when a real provider is configured (metadata URL and client id)."""
        return bool(self.metadata_url and self.client_id)

    @property
    def secure_cookies(self) -> bool:
        """Session cookies are Secure when browsers reach the hub over https."""
        return bool(self.public_url and self.public_url.startswith("https://"))
