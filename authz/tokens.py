"""Bearer tokens (JWT) that name the consumer of a request.

Verified with a configured secret (HS256, for local use) or with public keys from a JWKS file or
URL (RS256 / ES256). The algorithm is chosen by where the key comes from, never by the token's
header alone, so an HS256 token cannot be signed with a published RSA key (algorithm confusion)
and ``alg: none`` is never accepted.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import jwt
from jwt import PyJWK

from authz.identity import Consumer, OrgKind

ASYMMETRIC = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 600


class TokenError(Exception):
    """A token that does not identify a consumer. Messages never contain the token."""

    code: ClassVar[str] = "INVALID_TOKEN"


class TokenMalformed(TokenError):
    """Not a JWT at all."""

    code = "TOKEN_MALFORMED"

    def __init__(self) -> None:
        super().__init__("令牌格式错误 (the token is not a well-formed JWT)")


class TokenSignatureInvalid(TokenError):
    """The signature does not verify with the configured keys."""

    code = "TOKEN_SIGNATURE_INVALID"

    def __init__(self) -> None:
        super().__init__("令牌签名无效 (the token's signature does not verify)")


class TokenExpired(TokenError):
    """Past its `exp`."""

    code = "TOKEN_EXPIRED"

    def __init__(self, expired_at: datetime | None) -> None:
        when = f" at {expired_at:%Y-%m-%dT%H:%M:%SZ}" if expired_at else ""
        super().__init__(f"令牌已过期 (the token expired{when})")


class TokenNotYetValid(TokenError):
    """Before its `nbf` / `iat`."""

    code = "TOKEN_NOT_YET_VALID"

    def __init__(self) -> None:
        super().__init__("令牌尚未生效 (the token is not valid yet)")


class TokenKeyUnknown(TokenError):
    """Signed with a key (kid) or algorithm we have no key for."""

    code = "TOKEN_KEY_UNKNOWN"

    def __init__(self, detail: str) -> None:
        super().__init__(f"未知的签名密钥 (no key to verify this token: {detail})")


class TokenClaimsInvalid(TokenError):
    """A required claim is missing or has a value we cannot use."""

    code = "TOKEN_CLAIMS_INVALID"

    def __init__(self, detail: str) -> None:
        super().__init__(f"令牌声明无效 (invalid claims: {detail})")


@dataclass(frozen=True)
class TokenConfig:
    """Where verification keys come from and what tokens must say."""

    hs256_secret: bytes | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    issuer: str = "credithub"
    audience: str = "credithub"
    leeway_seconds: int = 30
    max_ttl: timedelta = timedelta(days=7)


class TokenVerifier:
    """Turns a bearer token into the `Consumer` it names, or raises a `TokenError`."""

    def __init__(self, config: TokenConfig) -> None:
        self.config = config
        self._jwks: dict[str, PyJWK] = {}
        self._jwks_loaded_at = 0.0

    def verify(self, token: str) -> Consumer:
        """Verify signature, time and claims; return the consumer."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenMalformed() from None
        algorithm = header.get("alg")
        key: Any
        if algorithm == "HS256" and self.config.hs256_secret:
            key = self.config.hs256_secret
        elif algorithm in ASYMMETRIC and (self.config.jwks_file or self.config.jwks_url):
            key = self._public_key(str(header.get("kid", "")), str(algorithm))
        else:
            raise TokenKeyUnknown(f"algorithm {algorithm!r} is not accepted here")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired(_expiry(token)) from None
        except jwt.ImmatureSignatureError:
            raise TokenNotYetValid() from None
        except jwt.InvalidSignatureError:
            raise TokenSignatureInvalid() from None
        except jwt.MissingRequiredClaimError as error:
            raise TokenClaimsInvalid(f"missing claim {error.claim!r}") from None
        except jwt.InvalidAudienceError:
            raise TokenClaimsInvalid("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise TokenClaimsInvalid("wrong issuer") from None
        except jwt.DecodeError:
            raise TokenMalformed() from None
        except jwt.InvalidTokenError as error:
            raise TokenClaimsInvalid(type(error).__name__) from None
        return self._consumer(claims)

    def _consumer(self, claims: dict[str, Any]) -> Consumer:
        if claims["exp"] - claims["iat"] > self.config.max_ttl.total_seconds():
            raise TokenClaimsInvalid(f"lifetime above the maximum {self.config.max_ttl}")
        try:
            kind = OrgKind.of(str(claims.get("org_kind")))
        except ValueError:
            raise TokenClaimsInvalid("org_kind must name a consumer kind") from None
        if kind is OrgKind.PUBLIC:
            raise TokenClaimsInvalid("the public needs no token")
        org = claims.get("org")
        if kind is not OrgKind.ADMIN and not isinstance(org, str):
            raise TokenClaimsInvalid("org (统一社会信用代码) is required")
        sectors = claims.get("sectors") or []
        if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
            raise TokenClaimsInvalid("sectors must be a list of strings")
        purpose = claims.get("purpose")
        return Consumer(
            subject=str(claims["sub"]),
            org_kind=kind,
            org_code=org if isinstance(org, str) else None,
            org_name=claims.get("org_name") if isinstance(claims.get("org_name"), str) else None,
            sectors=frozenset(sectors),
            purpose=purpose if isinstance(purpose, str) and purpose else None,
            token_id=str(claims["jti"]) if "jti" in claims else None,
        )

    def _public_key(self, kid: str, algorithm: str) -> Any:
        if time.monotonic() - self._jwks_loaded_at > JWKS_CACHE_SECONDS or kid not in self._jwks:
            self._load_jwks()
        jwk = self._jwks.get(kid)
        if jwk is None:
            raise TokenKeyUnknown(f"kid {kid!r}")
        if jwk.algorithm_name != algorithm:
            raise TokenKeyUnknown(f"key {kid!r} is not for {algorithm}")
        return jwk.key

    def _load_jwks(self) -> None:
        if self.config.jwks_file is not None:
            text = self.config.jwks_file.read_text(encoding="utf-8")
        else:
            assert self.config.jwks_url is not None
            with urllib.request.urlopen(self.config.jwks_url, timeout=5) as response:
                text = response.read().decode()
        keys: dict[str, PyJWK] = {}
        for entry in json.loads(text).get("keys", []):
            if entry.get("alg") in ASYMMETRIC and entry.get("kid"):
                keys[entry["kid"]] = PyJWK(entry)
        self._jwks = keys
        self._jwks_loaded_at = time.monotonic()


def _expiry(token: str) -> datetime | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        return None


def mint(
    config: TokenConfig, consumer: Consumer, *, ttl: timedelta, now: datetime | None = None
) -> str:
    """A signed HS256 token for `consumer` (local use: GraphiQL, curl, tests)."""
    if config.hs256_secret is None:
        raise ValueError("minting needs an HS256 secret (CREDITHUB_JWT_SECRET)")
    if ttl > config.max_ttl:
        raise ValueError(f"ttl {ttl} is above the maximum {config.max_ttl}")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": consumer.subject,
        "org_kind": consumer.org_kind.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "iss": config.issuer,
        "aud": config.audience,
        "jti": secrets.token_hex(8),
    }
    if consumer.org_code:
        claims["org"] = consumer.org_code
    if consumer.org_name:
        claims["org_name"] = consumer.org_name
    if consumer.sectors:
        claims["sectors"] = sorted(consumer.sectors)
    if consumer.purpose:
        claims["purpose"] = consumer.purpose
    return jwt.encode(claims, config.hs256_secret, algorithm="HS256")
