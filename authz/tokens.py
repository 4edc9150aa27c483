"""Bearer tokens (JWT) that name the consumer of a request.

Verified with a configured secret (HS256, for local use: `credithub token`) or with public keys
from a JWKS file or URL (RS256 / ES256, an external identity provider). Which key verifies a
token is decided by *our* configuration, never by the token's header alone: an HS256 token is
checked only against the configured secret and an RS256/ES256 token only against a JWKS key
bound to that algorithm, so a published RSA key can never serve as an HMAC secret (algorithm
confusion) and ``alg: none`` is never accepted.

PyJWT checks structure and signature; the claims are checked here, after the signature, so
every refusal names one precise reason (`TokenError.code`) and a forged token never learns
more than "the signature does not verify".
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import jwt
from jwt import PyJWK
from jwt.types import Options

from authz.identity import Consumer, OrgKind

log = logging.getLogger("credithub.tokens")

HS256 = "HS256"
ASYMMETRIC = frozenset({"RS256", "ES256"})
JWKS_CACHE_SECONDS = 600.0
# A kid we do not know may be a freshly rotated key, so the set is fetched again early, but at
# most this often: unknown kids are free to invent and must not make every request a fetch.
JWKS_REFRESH_MIN_SECONDS = 30.0
JWKS_FETCH_TIMEOUT_SECONDS = 5.0
JWKS_MAX_BYTES = 1 << 20
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_SECRET_BYTES = 32
# Anything taken from the token that goes into a message is cut to this length, so a message
# can never carry the token (or a large part of it) back into logs and headers.
_ECHO_LIMIT = 32


def _echo(value: object) -> str:
    """A short ASCII rendering of an untrusted value for a message."""
    text = ascii(value)
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 3] + "..."


def _utc(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{timestamp:.0f}"


class TokenError(Exception):
    """A token that does not identify a consumer.

    `code` is stable and machine-readable; the message is Chinese, then English in parentheses
    (the part a ``WWW-Authenticate`` header can carry). Messages never contain the token.
    """

    code: ClassVar[str] = "INVALID_TOKEN"
    chinese: ClassVar[str] = "令牌无效"

    def __init__(self, english: str) -> None:
        self.english = english
        super().__init__(f"{self.chinese} ({english})")


class TokenMalformed(TokenError):
    """Not a JWT: wrong number of segments, bad base64, bad JSON, no algorithm."""

    code = "TOKEN_MALFORMED"
    chinese = "令牌格式错误"

    def __init__(self, detail: str = "not a well-formed JWT") -> None:
        super().__init__(f"malformed token: {detail}")


class TokenSignatureInvalid(TokenError):
    """The signature does not verify with the key configured for its algorithm."""

    code = "TOKEN_SIGNATURE_INVALID"
    chinese = "令牌签名无效"

    def __init__(self, detail: str = "the signature does not verify") -> None:
        super().__init__(f"invalid token signature: {detail}")


class TokenExpired(TokenError):
    """Past its `exp` (beyond the leeway)."""

    code = "TOKEN_EXPIRED"
    chinese = "令牌已过期"

    def __init__(self, expired_at: float) -> None:
        self.expired_at = expired_at
        super().__init__(f"token expired at {_utc(expired_at)}")


class TokenNotYetValid(TokenError):
    """Before its `nbf`, or issued in the future (`iat`), beyond the leeway."""

    code = "TOKEN_NOT_YET_VALID"
    chinese = "令牌尚未生效"

    def __init__(self, valid_from: float) -> None:
        super().__init__(f"token not valid before {_utc(valid_from)}")


class TokenKeyUnknown(TokenError):
    """No configured key for the token's key id (`kid`) or algorithm."""

    code = "TOKEN_KEY_UNKNOWN"
    chinese = "未知的签名密钥"

    def __init__(self, detail: str) -> None:
        super().__init__(f"unknown signing key: {detail}")


class TokenClaimsInvalid(TokenError):
    """A claim is missing or unusable: issuer, audience, org_kind, org, lifetime …"""

    code = "TOKEN_CLAIMS_INVALID"
    chinese = "令牌声明无效"

    def __init__(self, detail: str) -> None:
        super().__init__(f"invalid token claims: {detail}")


class KeySetUnavailable(RuntimeError):
    """The JWKS cannot be read and no earlier copy is cached: the hub's fault, not the token's."""

    code: ClassVar[str] = "TOKEN_KEYS_UNAVAILABLE"


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

    def __post_init__(self) -> None:
        if self.hs256_secret is not None and len(self.hs256_secret) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes "
                f"(got {len(self.hs256_secret)})"
            )

    @property
    def uses_jwks(self) -> bool:
        """True when RS256/ES256 tokens of an identity provider are accepted."""
        return self.jwks_file is not None or self.jwks_url is not None


VERIFIED_CACHE_SIZE = 4096
"""Signature-checked tokens remembered per process (least recently used dropped first)."""


@dataclass(frozen=True)
class _Verified:
    algorithm: str
    kid: object
    key: bytes | PyJWK
    claims: Mapping[str, Any]


class TokenVerifier:
    """Turns a bearer token into the `Consumer` it names, or raises a `TokenError`.

    One instance per process: it caches the JWKS for `JWKS_CACHE_SECONDS`. `verify` is
    synchronous; a JWKS URL is fetched (with a short timeout) at most once per cache period, or
    per `JWKS_REFRESH_MIN_SECONDS` when a token names a kid the cached set lacks.
    """

    def __init__(self, config: TokenConfig) -> None:
        self.config = config
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at = -math.inf
        # Tokens whose signature verified, with the algorithm, kid, key and claims: a client
        # sends the same token with every request, and decoding and checking its signature
        # again is a tenth of what a small request costs the hub.
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    def verify(self, token: str) -> Consumer:
        """Verify signature, then time and claims; return the consumer the token names.

        A token verified before is not decoded again, but its key is looked up again (a key
        taken out of the JWKS stops its tokens at once) and its time and claims are checked
        on every call (an expired token is refused the second it expires).
        """
        known = self._verified.get(token)
        if known is not None and self._key(known.algorithm, known.kid) is known.key:
            self._verified.move_to_end(token)
            return self._consumer(known.claims)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            # Includes bad base64 and bad JSON (DecodeError) and unusable header fields.
            raise TokenMalformed() from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or not algorithm:
            raise TokenMalformed("the header names no algorithm")
        kid = header.get("kid")
        key = self._key(algorithm, kid)
        try:
            payload: object = jwt.decode(
                token, key, algorithms=[algorithm], options=_SIGNATURE_ONLY
            )
        except jwt.InvalidSignatureError:
            raise TokenSignatureInvalid() from None
        except jwt.InvalidKeyError:
            # Only a key that is not fit for the algorithm gets here; we refuse those on load.
            raise TokenKeyUnknown(f"no usable key for {_echo(algorithm)}") from None
        except jwt.InvalidTokenError:
            raise TokenMalformed() from None
        if not isinstance(payload, dict):
            raise TokenMalformed("the payload is not a JSON object")
        consumer = self._consumer(payload)
        self._verified[token] = _Verified(algorithm, kid, key, MappingProxyType(payload))
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return consumer

    def _key(self, algorithm: str, kid: object) -> bytes | PyJWK:
        # The accepted algorithms follow from the configuration: HS256 only with a secret,
        # RS256/ES256 only with a JWKS. Everything else ("none", HS512, PS256 …) has no key.
        if algorithm.lower() == "none":
            raise TokenSignatureInvalid("unsigned tokens (alg none) are never accepted")
        if algorithm == HS256 and self.config.hs256_secret is not None:
            return self.config.hs256_secret
        if algorithm in ASYMMETRIC and self.config.uses_jwks:
            if not isinstance(kid, str) or not kid:
                raise TokenKeyUnknown(f"an {algorithm} token must name its key (kid)")
            jwk = self._jwk(kid)
            if jwk is None:
                raise TokenKeyUnknown(f"no key with kid {_echo(kid)}")
            if jwk.algorithm_name != algorithm:
                raise TokenKeyUnknown(f"key {_echo(kid)} is not an {algorithm} key")
            return jwk
        raise TokenKeyUnknown(f"this hub has no key for {_echo(algorithm)} tokens")

    def _consumer(self, claims: Mapping[str, Any]) -> Consumer:
        now = time.time()
        leeway = self.config.leeway_seconds
        expires = _numeric_date(claims, "exp")
        issued = _numeric_date(claims, "iat")
        not_before = _numeric_date(claims, "nbf", required=False)
        if expires <= now - leeway:
            raise TokenExpired(expires)
        for start in (issued, not_before):
            if start > now + leeway:
                raise TokenNotYetValid(start)
        if expires - issued > self.config.max_ttl.total_seconds():
            raise TokenClaimsInvalid(f"lifetime above the maximum of {self.config.max_ttl}")
        if claims.get("iss") != self.config.issuer:
            raise TokenClaimsInvalid(f"wrong issuer {_echo(claims.get('iss'))}")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.config.audience not in audiences:
            raise TokenClaimsInvalid(f"wrong audience {_echo(audience)}")

        subject = _required_text(claims, "sub")
        token_id = _required_text(claims, "jti")
        raw_kind = claims.get("org_kind")
        if raw_kind is None:
            raise TokenClaimsInvalid("missing claim 'org_kind'")
        try:
            kind = OrgKind.of(raw_kind) if isinstance(raw_kind, str) else None
        except ValueError:
            kind = None
        if kind is None:
            raise TokenClaimsInvalid(f"unknown org_kind {_echo(raw_kind)}")
        if kind is OrgKind.PUBLIC:
            raise TokenClaimsInvalid("org_kind PUBLIC is the absence of a token, not a token")
        # Everyone but the credit office acts for an organisation the sharing rules look up.
        org = _text(claims, "org") if kind is OrgKind.ADMIN else _required_text(claims, "org")
        sectors = claims.get("sectors")
        if sectors is None:
            sectors = []
        if not isinstance(sectors, list) or not all(isinstance(s, str) and s for s in sectors):
            raise TokenClaimsInvalid("sectors must be a list of strings")
        # The sharing classes the organisation's registered duty grants (the catalogue decides
        # which classes a duty may grant at all; an unknown name grants nothing).
        duty = claims.get("duty")
        if duty is None:
            duty = []
        if not isinstance(duty, list) or not all(isinstance(d, str) and d for d in duty):
            raise TokenClaimsInvalid("duty must be a list of sharing class names")
        return Consumer(
            subject=subject,
            org_kind=kind,
            org_code=org,
            org_name=_text(claims, "org_name"),
            sectors=frozenset(sectors),
            purpose=_text(claims, "purpose"),
            token_id=token_id,
            duty=frozenset(duty),
        )

    def _jwk(self, kid: str) -> PyJWK | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at >= JWKS_CACHE_SECONDS
        # At most one fetch per JWKS_REFRESH_MIN_SECONDS, whatever asks for it: unknown kids
        # are free to invent, and during an outage every request would otherwise block on one.
        if (stale or kid not in self._keys) and (
            now - self._attempted_at >= JWKS_REFRESH_MIN_SECONDS
        ):
            self._refresh(now)
        if self._fetched_at is None:
            raise KeySetUnavailable(f"the JWKS at {self._source} has not been read yet")
        return self._keys.get(kid)

    @property
    def _source(self) -> str:
        return str(self.config.jwks_file or self.config.jwks_url)

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = _parse_jwks(self._read_jwks())
        except (OSError, ValueError) as error:
            if self._fetched_at is None:
                raise KeySetUnavailable(
                    f"cannot read the JWKS at {self._source}: {error}"
                ) from error
            # An identity provider's hiccup must not lock everyone out: keep the last good set.
            log.warning(
                "JWKS refresh from %s failed (%s); keeping the cached keys", self._source, error
            )
            return
        self._keys = keys
        self._fetched_at = now

    def _read_jwks(self) -> str:
        if self.config.jwks_file is not None:
            return self.config.jwks_file.read_text(encoding="utf-8")
        assert self.config.jwks_url is not None
        # The URL is configuration, not input, so any scheme urllib knows is the operator's call.
        try:
            with urllib.request.urlopen(
                self.config.jwks_url, timeout=JWKS_FETCH_TIMEOUT_SECONDS
            ) as response:
                body: bytes = response.read(JWKS_MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()  # it holds the error response open
            raise OSError(f"HTTP {error.code} from the JWKS URL") from None
        if len(body) > JWKS_MAX_BYTES:
            raise ValueError(f"the JWKS is larger than {JWKS_MAX_BYTES} bytes")
        return body.decode("utf-8")


# PyJWT verifies structure and signature only; `_consumer` checks every claim after that.
_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_iss": False,
    "verify_aud": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
    "enforce_minimum_key_length": True,
}


def _parse_jwks(text: str) -> dict[str, PyJWK]:
    """The RS256/ES256 public signing keys of a JWKS document, by kid (others are skipped)."""
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" list')
    keys: dict[str, PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
            continue
        if "d" in entry:
            # A private key in a published set is a leak; refuse to build trust on it.
            log.warning("JWKS key %s contains private material; ignored", _echo(kid))
            continue
        try:
            # Without "alg", PyJWK infers it from kty/crv (RSA → RS256, EC P-256 → ES256).
            jwk = PyJWK(entry)
        except jwt.PyJWTError as error:
            log.warning("JWKS key %s is unusable (%s); ignored", _echo(kid), error)
            continue
        if jwk.algorithm_name not in ASYMMETRIC:
            continue  # Never a symmetric ("oct") key from a JWKS, nor algorithms we don't use.
        weakness = jwk.Algorithm.check_key_length(jwk.key)
        if weakness:
            log.warning("JWKS key %s is too weak (%s); ignored", _echo(kid), weakness)
            continue
        keys[kid] = jwk
    return keys


def _numeric_date(claims: Mapping[str, Any], name: str, *, required: bool = True) -> float:
    value = claims.get(name)
    if value is None and not required:
        return -math.inf
    # bool is an int in Python, and NaN compares false with everything: refuse both.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        what = "missing claim" if value is None else "not a NumericDate:"
        raise TokenClaimsInvalid(f"{what} {name!r}")
    return float(value)


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TokenClaimsInvalid(f"claim {name!r} must be a string")
    return value


def _required_text(claims: Mapping[str, Any], name: str) -> str:
    value = _text(claims, name)
    if value is None:
        raise TokenClaimsInvalid(f"missing claim {name!r}")
    return value


def mint(
    config: TokenConfig, consumer: Consumer, *, ttl: timedelta, now: datetime | None = None
) -> str:
    """A signed HS256 token for `consumer` (local use: GraphiQL, curl, tests).

    Raises ValueError for what `TokenVerifier` would refuse anyway: no secret, a lifetime that
    is not positive or above `config.max_ttl`, the public, or an organisation without its code.
    """
    if config.hs256_secret is None:
        raise ValueError("minting needs an HS256 secret (CREDITHUB_JWT_SECRET)")
    if ttl <= timedelta(0) or ttl > config.max_ttl:
        raise ValueError(f"ttl must be positive and at most {config.max_ttl} (got {ttl})")
    if consumer.org_kind is OrgKind.PUBLIC:
        raise ValueError("the public has no token: send no Authorization header instead")
    if consumer.org_kind is not OrgKind.ADMIN and not consumer.org_code:
        raise ValueError(f"a {consumer.org_kind.value} token needs the org's code")
    issued = int((now or datetime.now(UTC)).timestamp())
    claims: dict[str, Any] = {
        "sub": consumer.subject,
        "org_kind": consumer.org_kind.value,
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
        "iss": config.issuer,
        "aud": config.audience,
        "jti": secrets.token_hex(16),
    }
    if consumer.org_code:
        claims["org"] = consumer.org_code
    if consumer.org_name:
        claims["org_name"] = consumer.org_name
    if consumer.sectors:
        claims["sectors"] = sorted(consumer.sectors)
    if consumer.purpose:
        claims["purpose"] = consumer.purpose
    if consumer.duty:
        claims["duty"] = sorted(consumer.duty)
    return jwt.encode(claims, config.hs256_secret, algorithm=HS256)
