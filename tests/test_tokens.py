"""Bearer tokens name the consumer; anything doubtful is refused with a clear reason."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authz.identity import Consumer, OrgKind
from authz.tokens import (
    TokenClaimsInvalid,
    TokenConfig,
    TokenExpired,
    TokenKeyUnknown,
    TokenMalformed,
    TokenSignatureInvalid,
    TokenVerifier,
    mint,
)

CONFIG = TokenConfig(hs256_secret=b"s" * 32)
BANK = Consumer(
    subject="officer-7",
    org_kind=OrgKind.BANK,
    org_code="91410481BK0000017X",
    org_name="中国工商银行舞钢支行",
    purpose="贷前审查",
)


def _claims(**extra: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "sub": "x",
        "org_kind": "BANK",
        "org": "91410481BK0000017X",
        "iat": now,
        "exp": now + 600,
        "iss": "credithub",
        "aud": "credithub",
        **extra,
    }


def test_a_minted_token_names_the_consumer() -> None:
    consumer = TokenVerifier(CONFIG).verify(mint(CONFIG, BANK, ttl=timedelta(hours=1)))
    assert consumer.subject == "officer-7" and consumer.org_kind is OrgKind.BANK
    assert consumer.org_code == BANK.org_code and consumer.purpose == "贷前审查"
    assert consumer.token_id


def test_expired_tokens_are_refused_saying_when() -> None:
    old = mint(CONFIG, BANK, ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(TokenExpired, match="expired at"):
        TokenVerifier(CONFIG).verify(old)


def test_tampered_or_foreign_signatures_are_refused() -> None:
    token = mint(CONFIG, BANK, ttl=timedelta(hours=1))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["org_kind"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(TokenSignatureInvalid):
        TokenVerifier(CONFIG).verify(f"{header}.{forged}.{signature}")
    with pytest.raises(TokenSignatureInvalid):
        TokenVerifier(TokenConfig(hs256_secret=b"t" * 32)).verify(token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y"])
def test_garbage_is_malformed(garbage: str) -> None:
    with pytest.raises(TokenMalformed):
        TokenVerifier(CONFIG).verify(garbage)


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        (_claims(org_kind="KING"), "org_kind"),
        (_claims(org_kind="PUBLIC"), "public"),
        (_claims(org=None), "org"),
        (_claims(aud="elsewhere"), "audience"),
        (_claims(iss="elsewhere"), "issuer"),
        ({k: v for k, v in _claims().items() if k != "sub"}, "sub"),
        (_claims(exp=int(datetime.now(UTC).timestamp()) + 30 * 86400), "lifetime"),
    ],
)
def test_claims_that_do_not_name_a_consumer_are_refused(
    claims: dict[str, object], says: str
) -> None:
    token = jwt.encode({k: v for k, v in claims.items() if v is not None}, b"s" * 32, "HS256")
    with pytest.raises(TokenClaimsInvalid, match=says):
        TokenVerifier(CONFIG).verify(token)


def test_alg_none_is_never_accepted() -> None:
    unsigned = jwt.encode(_claims(), "", algorithm="none")
    with pytest.raises(TokenKeyUnknown):
        TokenVerifier(CONFIG).verify(unsigned)


def _jwks(tmp_path: Path) -> tuple[Path, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, alg, key in (("r1", "RS256", rsa_key), ("e1", "ES256", ec_key)):
        algorithm = jwt.get_algorithm_by_name(alg)
        jwk = json.loads(algorithm.to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return path, rsa_key, ec_key


def test_rs256_and_es256_verify_with_keys_from_a_jwks_file(tmp_path: Path) -> None:
    path, rsa_key, ec_key = _jwks(tmp_path)
    verifier = TokenVerifier(TokenConfig(jwks_file=path))
    for kid, alg, key in (("r1", "RS256", rsa_key), ("e1", "ES256", ec_key)):
        token = jwt.encode(_claims(), key, algorithm=alg, headers={"kid": kid})
        assert verifier.verify(token).org_kind is OrgKind.BANK
    with pytest.raises(TokenKeyUnknown, match="kid"):
        verifier.verify(jwt.encode(_claims(), rsa_key, algorithm="RS256", headers={"kid": "zz"}))


def test_a_public_key_cannot_be_used_as_an_hs256_secret(tmp_path: Path) -> None:
    path, rsa_key, _ = _jwks(tmp_path)
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"r1"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(
        hmac.new(pem, header + b"." + body, hashlib.sha256).digest()
    ).rstrip(b"=")
    confused = b".".join((header, body, signature)).decode()
    with pytest.raises(TokenKeyUnknown):
        TokenVerifier(TokenConfig(jwks_file=path)).verify(confused)


def test_messages_never_contain_the_token() -> None:
    old = mint(CONFIG, BANK, ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(TokenExpired) as failure:
        TokenVerifier(CONFIG).verify(old)
    assert old not in str(failure.value) and old.split(".")[1] not in str(failure.value)
