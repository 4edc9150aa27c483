"""Bearer tokens name the consumer; anything doubtful is refused with one precise reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authz import tokens
from authz.identity import Consumer, OrgKind
from authz.tokens import (
    KeySetUnavailable,
    TokenClaimsInvalid,
    TokenConfig,
    TokenError,
    TokenExpired,
    TokenKeyUnknown,
    TokenMalformed,
    TokenNotYetValid,
    TokenSignatureInvalid,
    TokenVerifier,
    mint,
)

SECRET = b"s" * 32
CONFIG = TokenConfig(hs256_secret=SECRET)
BANK = Consumer(
    subject="officer-7",
    org_kind=OrgKind.BANK,
    org_code="91410481BK0000017X",
    org_name="中国工商银行舞钢支行",
    sectors=frozenset({"金融"}),
    purpose="贷前审查",
)


def _now() -> int:
    return int(time.time())


def _claims(**changes: object) -> dict[str, object]:
    """Valid claims of a bank token; a change to None drops that claim."""
    now = _now()
    claims: dict[str, object] = {
        "sub": "officer-7",
        "org_kind": "BANK",
        "org": "91410481BK0000017X",
        "jti": "t-1",
        "iat": now,
        "exp": now + 600,
        "iss": "credithub",
        "aud": "credithub",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256(
    header: dict[str, object] | bytes, payload: dict[str, object] | bytes, key: bytes
) -> str:
    """A token built by hand, for what `jwt.encode` refuses to produce."""
    parts = [
        _b64(part if isinstance(part, bytes) else json.dumps(part).encode())
        for part in (header, payload)
    ]
    signing_input = ".".join(parts).encode()
    return f"{parts[0]}.{parts[1]}.{_b64(hmac.new(key, signing_input, hashlib.sha256).digest())}"


# --- HS256: local tokens ---------------------------------------------------------------------


def test_a_minted_token_names_the_consumer_it_was_minted_for() -> None:
    verified = TokenVerifier(CONFIG).verify(mint(CONFIG, BANK, ttl=timedelta(hours=1)))
    assert verified.token_id
    assert replace(verified, token_id=None) == BANK


def test_a_department_token_carries_the_classes_its_registered_duty_grants() -> None:
    department = Consumer(
        subject="officer-3",
        org_kind=OrgKind.DEPARTMENT,
        org_code="11410481005701375R",
        duty=frozenset({"personal_id"}),
    )
    verified = TokenVerifier(CONFIG).verify(mint(CONFIG, department, ttl=timedelta(hours=1)))
    assert verified.duty == frozenset({"personal_id"})
    assert TokenVerifier(CONFIG).verify(mint(CONFIG, BANK, ttl=timedelta(hours=1))).duty == set()


def test_every_minted_token_has_its_own_id() -> None:
    verifier = TokenVerifier(CONFIG)
    ids = {verifier.verify(mint(CONFIG, BANK, ttl=timedelta(minutes=5))).token_id for _ in "ab"}
    assert len(ids) == 2


def test_an_admin_token_needs_no_organisation() -> None:
    admin = Consumer(subject="admin", org_kind=OrgKind.ADMIN)
    verified = TokenVerifier(CONFIG).verify(mint(CONFIG, admin, ttl=timedelta(hours=1)))
    assert verified.org_kind is OrgKind.ADMIN and verified.org_code is None


def test_mint_refuses_what_verify_would_refuse() -> None:
    public = Consumer(subject="x", org_kind=OrgKind.PUBLIC)
    orgless = Consumer(subject="x", org_kind=OrgKind.BANK)
    with pytest.raises(ValueError, match="at most"):
        mint(CONFIG, BANK, ttl=timedelta(days=8))
    with pytest.raises(ValueError, match="positive"):
        mint(CONFIG, BANK, ttl=timedelta(0))
    with pytest.raises(ValueError, match="public"):
        mint(CONFIG, public, ttl=timedelta(hours=1))
    with pytest.raises(ValueError, match="code"):
        mint(CONFIG, orgless, ttl=timedelta(hours=1))
    with pytest.raises(ValueError, match="secret"):
        mint(TokenConfig(), BANK, ttl=timedelta(hours=1))


def test_a_short_secret_is_refused_at_configuration() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenConfig(hs256_secret=b"short")


def test_expired_tokens_are_refused_saying_when() -> None:
    issued = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    old = mint(CONFIG, BANK, ttl=timedelta(hours=1), now=issued)
    with pytest.raises(TokenExpired) as refused:
        TokenVerifier(CONFIG).verify(old)
    assert str(refused.value) == "令牌已过期 (token expired at 2026-11-28T10:00:00Z)"
    assert refused.value.code == "TOKEN_EXPIRED"


def test_clocks_may_disagree_by_the_leeway() -> None:
    verifier = TokenVerifier(CONFIG)  # leeway 30 s
    just_expired = _hs256({"alg": "HS256"}, _claims(iat=_now() - 600, exp=_now() - 10), SECRET)
    from_the_near_future = _hs256({"alg": "HS256"}, _claims(iat=_now() + 10), SECRET)
    assert verifier.verify(just_expired).subject == "officer-7"
    assert verifier.verify(from_the_near_future).subject == "officer-7"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_tokens_from_the_future_are_not_yet_valid(claim: str) -> None:
    claims = _claims(**{claim: _now() + 3600})
    with pytest.raises(TokenNotYetValid, match="not valid before"):
        TokenVerifier(CONFIG).verify(_hs256({"alg": "HS256"}, claims, SECRET))


def test_a_tampered_payload_breaks_the_signature() -> None:
    header, payload, signature = mint(CONFIG, BANK, ttl=timedelta(hours=1)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["org_kind"] = "ADMIN"
    with pytest.raises(TokenSignatureInvalid):
        TokenVerifier(CONFIG).verify(f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


def test_a_token_of_another_secret_is_refused() -> None:
    token = mint(CONFIG, BANK, ttl=timedelta(hours=1))
    with pytest.raises(TokenSignatureInvalid):
        TokenVerifier(TokenConfig(hs256_secret=b"t" * 32)).verify(token)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "a.b.c",
        "not-a-jwt",
        "@@@.@@@.@@@",
        f"{_b64(b'not json')}.{_b64(b'{}')}.{_b64(b'sig')}",
        f"{_b64(b'[1, 2]')}.{_b64(b'{}')}.{_b64(b'sig')}",
        _hs256({"alg": "HS256"}, b"not json", SECRET),
        _hs256({"alg": "HS256"}, b"[1, 2]", SECRET),
        _hs256({"typ": "JWT"}, _claims(), SECRET),
    ],
)
def test_what_is_not_a_jwt_is_malformed(garbage: str) -> None:
    with pytest.raises(TokenMalformed):
        TokenVerifier(CONFIG).verify(garbage)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"org_kind": None}, "missing claim 'org_kind'"),
        ({"org_kind": "KING"}, "unknown org_kind 'KING'"),
        ({"org_kind": 7}, "unknown org_kind"),
        ({"org_kind": "PUBLIC"}, "PUBLIC"),
        ({"org": None}, "missing claim 'org'"),
        ({"org": ""}, "missing claim 'org'"),
        ({"aud": "elsewhere"}, "wrong audience"),
        ({"aud": ["a", "b"]}, "wrong audience"),
        ({"aud": None}, "wrong audience"),
        ({"iss": "elsewhere"}, "wrong issuer"),
        ({"iss": None}, "wrong issuer"),
        ({"sub": None}, "missing claim 'sub'"),
        ({"sub": 42}, "'sub' must be a string"),
        ({"jti": None}, "missing claim 'jti'"),
        ({"exp": None}, "missing claim 'exp'"),
        ({"exp": "9999999999"}, "'exp'"),
        ({"exp": True}, "'exp'"),
        ({"iat": None}, "missing claim 'iat'"),
        ({"sectors": "税务"}, "sectors"),
        ({"sectors": ["税务", 3]}, "sectors"),
        ({"duty": "personal_id"}, "duty"),
        ({"duty": ["personal_id", ""]}, "duty"),
        ({"purpose": ["贷前审查"]}, "'purpose' must be a string"),
    ],
)
def test_claims_that_do_not_name_a_consumer_are_refused(
    changes: dict[str, object], says: str
) -> None:
    token = _hs256({"alg": "HS256"}, _claims(**changes), SECRET)
    with pytest.raises(TokenClaimsInvalid, match=says):
        TokenVerifier(CONFIG).verify(token)


def test_a_lifetime_above_the_maximum_is_refused() -> None:
    claims = _claims(exp=_now() + 7 * 86400 + 1)  # max_ttl 7 days, counted from iat
    with pytest.raises(TokenClaimsInvalid, match="lifetime above the maximum of 7 days"):
        TokenVerifier(CONFIG).verify(_hs256({"alg": "HS256"}, claims, SECRET))


def test_an_audience_list_that_names_the_hub_is_accepted() -> None:
    token = _hs256({"alg": "HS256"}, _claims(aud=["other", "credithub"]), SECRET)
    assert TokenVerifier(CONFIG).verify(token).org_kind is OrgKind.BANK


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_tokens_are_never_accepted(alg: str) -> None:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    unsigned = f"{header}.{_b64(json.dumps(_claims()).encode())}."
    with pytest.raises(TokenSignatureInvalid, match="alg none"):
        TokenVerifier(CONFIG).verify(unsigned)


def test_other_hmac_algorithms_are_not_accepted() -> None:
    token = jwt.encode(_claims(), SECRET + SECRET, algorithm="HS512")
    with pytest.raises(TokenKeyUnknown, match="HS512"):
        TokenVerifier(CONFIG).verify(token)


# --- RS256 / ES256: an identity provider's keys ---------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _jwk(kid: str, alg: str | None, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Any:
    public = json.loads(jwt.get_algorithm_by_name(alg or "RS256").to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", **({"alg": alg} if alg else {})}


def _jwks_document(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> str:
    return json.dumps({"keys": [_jwk("r1", "RS256", rsa_key), _jwk("e1", "ES256", ec_key)]})


@pytest.fixture
def jwks_file(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(_jwks_document(rsa_key, ec_key))
    return path


def _signed(key: Any, alg: str, kid: str | None, **changes: object) -> str:
    return jwt.encode(_claims(**changes), key, algorithm=alg, headers={"kid": kid} if kid else {})


def test_rs256_and_es256_verify_with_keys_from_a_jwks_file(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_file=jwks_file))
    for kid, alg, key in (("r1", "RS256", rsa_key), ("e1", "ES256", ec_key)):
        consumer = verifier.verify(_signed(key, alg, kid, purpose="贷前审查"))
        assert consumer.org_kind is OrgKind.BANK and consumer.purpose == "贷前审查"


def test_a_jwks_key_without_alg_gets_it_from_its_type(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk("r1", None, rsa_key)]}))
    consumer = TokenVerifier(TokenConfig(jwks_file=path)).verify(_signed(rsa_key, "RS256", "r1"))
    assert consumer.subject == "officer-7"


def test_the_kid_selects_the_key(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_file=jwks_file))
    with pytest.raises(TokenKeyUnknown, match="no key with kid 'zz'"):
        verifier.verify(_signed(rsa_key, "RS256", "zz"))
    with pytest.raises(TokenKeyUnknown, match="must name its key"):
        verifier.verify(_signed(rsa_key, "RS256", None))
    with pytest.raises(TokenKeyUnknown, match="not an ES256 key"):
        verifier.verify(_signed(ec_key, "ES256", "r1"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenSignatureInvalid):
        verifier.verify(_signed(other, "RS256", "r1"))


def test_identity_provider_tokens_are_checked_like_local_ones(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_file=jwks_file))
    with pytest.raises(TokenExpired):
        verifier.verify(_signed(rsa_key, "RS256", "r1", iat=_now() - 7200, exp=_now() - 3600))
    with pytest.raises(TokenClaimsInvalid, match="wrong audience"):
        verifier.verify(_signed(rsa_key, "RS256", "r1", aud="elsewhere"))


def test_without_a_jwks_asymmetric_tokens_have_no_key(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TokenKeyUnknown, match="RS256"):
        TokenVerifier(CONFIG).verify(_signed(rsa_key, "RS256", "r1"))


def test_without_a_secret_hs256_tokens_have_no_key(jwks_file: Path) -> None:
    with pytest.raises(TokenKeyUnknown, match="HS256"):
        TokenVerifier(TokenConfig(jwks_file=jwks_file)).verify(mint(CONFIG, BANK, ttl=timedelta(1)))


def test_a_public_key_cannot_be_used_as_an_hs256_secret(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = _hs256({"alg": "HS256", "typ": "JWT", "kid": "r1"}, _claims(), pem)
    # Only the identity provider's keys configured: HS256 has no key at all.
    with pytest.raises(TokenKeyUnknown):
        TokenVerifier(TokenConfig(jwks_file=jwks_file)).verify(confused)
    # Both configured: HS256 is checked against our secret only, never against a JWKS key.
    with pytest.raises(TokenSignatureInvalid):
        TokenVerifier(TokenConfig(hs256_secret=SECRET, jwks_file=jwks_file)).verify(confused)


def test_symmetric_private_and_weak_keys_in_a_jwks_are_ignored(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(rsa_key))
    keys = [
        {"kty": "oct", "kid": "o1", "k": _b64(SECRET), "alg": "HS256"},
        {"kty": "oct", "kid": "o2", "k": _b64(SECRET)},
        {**private, "kid": "p1", "alg": "RS256"},
        _jwk("w1", "RS256", weak),
        {**_jwk("u1", "RS256", rsa_key), "use": "enc"},
        {"kty": "RSA", "kid": "b1", "alg": "RS256", "n": "!", "e": "AQAB"},
        _jwk("r1", "RS256", rsa_key),
    ]
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    verifier = TokenVerifier(TokenConfig(jwks_file=path))
    assert verifier.verify(_signed(rsa_key, "RS256", "r1")).subject == "officer-7"
    # Had any of these been kept, the token would verify (p1, u1) or fail differently.
    for kid in ("o1", "o2", "p1", "w1", "u1", "b1"):
        with pytest.raises(TokenKeyUnknown, match="no key with kid"):
            verifier.verify(_signed(rsa_key, "RS256", kid))


class _JwksServer:
    """A JWKS endpoint on localhost that counts its fetches; `document=None` answers 500."""

    def __init__(self, document: str) -> None:
        self.document: str | None = document
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = (owner.document or "").encode()
                self.send_response(200 if owner.document is not None else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def jwks_server(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Iterator[_JwksServer]:
    server = _JwksServer(_jwks_document(rsa_key, ec_key))
    yield server
    server.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A monotonic clock the test moves; only authz.tokens sees it."""
    fake = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=time.time, monotonic=lambda: fake.now))
    return fake


def test_a_jwks_url_is_fetched_once_per_cache_period(
    jwks_server: _JwksServer, clock: SimpleNamespace, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_url=jwks_server.url))
    for _ in range(3):
        verifier.verify(_signed(rsa_key, "RS256", "r1"))
    assert jwks_server.fetches == 1
    clock.now += tokens.JWKS_CACHE_SECONDS
    verifier.verify(_signed(rsa_key, "RS256", "r1"))
    assert jwks_server.fetches == 2


def test_unknown_kids_refetch_the_jwks_at_most_every_half_minute(
    jwks_server: _JwksServer, clock: SimpleNamespace, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_url=jwks_server.url))
    verifier.verify(_signed(rsa_key, "RS256", "r1"))
    for kid in ("x1", "x2", "x3"):
        with pytest.raises(TokenKeyUnknown):
            verifier.verify(_signed(rsa_key, "RS256", kid))
    assert jwks_server.fetches == 1

    # The provider rotates in a new key: found without waiting for the cache to expire.
    rotated = json.loads(jwks_server.document or "")
    rotated["keys"].append(_jwk("r2", "RS256", rsa_key))
    jwks_server.document = json.dumps(rotated)
    clock.now += tokens.JWKS_REFRESH_MIN_SECONDS
    assert verifier.verify(_signed(rsa_key, "RS256", "r2")).subject == "officer-7"
    assert jwks_server.fetches == 2


def test_a_provider_outage_keeps_the_last_good_keys(
    jwks_server: _JwksServer, clock: SimpleNamespace, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(jwks_url=jwks_server.url))
    verifier.verify(_signed(rsa_key, "RS256", "r1"))
    jwks_server.document = None
    clock.now += tokens.JWKS_CACHE_SECONDS
    for _ in range(3):  # one failed fetch, then no more until the refresh interval has passed
        assert verifier.verify(_signed(rsa_key, "RS256", "r1")).subject == "officer-7"
    assert jwks_server.fetches == 2
    clock.now += tokens.JWKS_REFRESH_MIN_SECONDS
    verifier.verify(_signed(rsa_key, "RS256", "r1"))
    assert jwks_server.fetches == 3


def test_no_keys_at_all_is_the_hubs_problem_not_the_tokens(
    jwks_server: _JwksServer, rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    jwks_server.document = None
    verifier = TokenVerifier(TokenConfig(jwks_url=jwks_server.url))
    for kid in ("r1", "r1", "zz"):  # still "unavailable" (not "unknown kid") between attempts
        with pytest.raises(KeySetUnavailable):
            verifier.verify(_signed(rsa_key, "RS256", kid))
    assert jwks_server.fetches == 1
    with pytest.raises(KeySetUnavailable):
        TokenVerifier(TokenConfig(jwks_file=tmp_path / "missing.json")).verify(
            _signed(rsa_key, "RS256", "r1")
        )


# --- Messages ---------------------------------------------------------------------------------


def test_messages_never_contain_the_token(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = TokenVerifier(TokenConfig(hs256_secret=SECRET, jwks_file=jwks_file))
    old = mint(CONFIG, BANK, ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(days=1))
    forged = old[:-4] + ("AAAA" if not old.endswith("AAAA") else "BBBB")
    long_kid = "k" * 400
    refused = [
        old,
        forged,
        _hs256({"alg": "HS256"}, _claims(org_kind="X" * 400), SECRET),
        _hs256({"alg": "HS256"}, _claims(iss="I" * 400), SECRET),
        _signed(rsa_key, "RS256", long_kid),
        _signed(ec_key, "ES256", "r1"),
        _hs256({"alg": "H" * 400}, _claims(), SECRET),
        "x" * 300,
    ]
    for token in refused:
        with pytest.raises(TokenError) as failure:
            verifier.verify(token)
        message = str(failure.value)
        assert token not in message
        assert all(part not in message for part in token.split(".") if len(part) > 8)
        assert len(message) < 200, message
        assert failure.value.english in message and failure.value.english.isascii()


# --- a token verified once ------------------------------------------------------------------


def test_a_token_verified_before_still_expires_the_second_its_time_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(CONFIG)
    token = mint(CONFIG, BANK, ttl=timedelta(minutes=5))
    assert verifier.verify(token) == verifier.verify(token)  # the second from memory
    later = time.time() + 5 * 60 + CONFIG.leeway_seconds + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(TokenExpired):
        verifier.verify(token)


def test_a_key_taken_out_of_the_jwks_stops_tokens_verified_with_it(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    verifier = TokenVerifier(TokenConfig(jwks_file=jwks_file))
    token = _signed(rsa_key, "RS256", "r1")
    assert verifier.verify(token).subject == "officer-7"
    # The identity provider rotates r1 out; the next refresh of the key set drops it.
    jwks_file.write_text(json.dumps({"keys": [_jwk("e1", "ES256", ec_key)]}))
    monkeypatch.setattr(tokens, "JWKS_CACHE_SECONDS", 0.0)
    monkeypatch.setattr(tokens, "JWKS_REFRESH_MIN_SECONDS", 0.0)
    with pytest.raises(TokenKeyUnknown, match="no key with kid 'r1'"):
        verifier.verify(token)


def test_a_token_altered_after_one_was_verified_is_checked_afresh() -> None:
    verifier = TokenVerifier(CONFIG)
    token = mint(CONFIG, BANK, ttl=timedelta(minutes=5))
    verifier.verify(token)
    header, _payload, signature = token.split(".")
    forged = _b64(json.dumps(_claims(org_kind="ADMIN", org=None)).encode())
    with pytest.raises(TokenSignatureInvalid):
        verifier.verify(f"{header}.{forged}.{signature}")
