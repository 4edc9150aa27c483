"""Consent (授权查询): an enterprise lets a bank or credit agency see more of its data.

A grant names the grantee organisation, the sharing classes it may see (only those the catalogue
lets that kind receive under consent), the purpose the grantee's requests must state, and an
expiry. It is stored as ``(:Consent)-[:GRANTED_BY]->(:Enterprise)`` and read by the compiled
query of every request (authz/enforcement.py), so a revocation counts from the next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from authz.catalogue import Catalogue
from authz.identity import Consumer, OrgKind
from graph.database import Database, Row
from graph.lifecycle.base import china_today

MAX_CONSENT_DAYS = 366


class ConsentError(Exception):
    """A consent request that cannot be honoured; the message says why."""

    code: ClassVar[str] = "CONSENT_REFUSED"


class OnlyEnterprisesGrant(ConsentError):
    """Only the subject itself grants access to its data."""

    code = "FORBIDDEN"

    def __init__(self) -> None:
        super().__init__(
            "只有信息主体本身可以授权 (only the enterprise itself can grant or revoke consent)"
        )


class UnknownGrantee(ConsentError):
    """The grantee is not a bank or credit agency of the network."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"被授权机构 {code} 不是本网络的金融机构或信用服务机构 "
            "(the grantee must be a bank or credit agency registered in the network)"
        )


class ClassNotGrantable(ConsentError):
    """The catalogue does not let this kind of grantee receive that class under consent."""

    def __init__(self, sharing_class: str, kind: OrgKind, allowed: list[str]) -> None:
        super().__init__(
            f"共享类别 {sharing_class} 不能授权给{kind.label} "
            f"(class {sharing_class!r} cannot be granted to {kind.value}; grantable: {allowed})"
        )


class BadExpiry(ConsentError):
    """Expiry in the past or too far ahead."""

    def __init__(self) -> None:
        super().__init__(
            f"授权期限须在今天之后且不超过{MAX_CONSENT_DAYS}天 "
            f"(expiry must be after today and within {MAX_CONSENT_DAYS} days)"
        )


class ConsentNotFound(ConsentError):
    """No such grant of this enterprise."""

    code = "NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("未找到该授权 (no such consent of yours)")


@dataclass(frozen=True)
class ConsentGrant:
    """One grant as stored."""

    id: str
    grantor: str
    grantee: str
    grantee_kind: str
    classes: tuple[str, ...]
    purpose: str
    granted_at: datetime
    expires_on: date
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> ConsentGrant:
        """Build from a `RETURN c {.*, grantor: e.uscc}` row."""
        c: dict[str, Any] = row["c"]
        revoked = c.get("revokedAt")
        return cls(
            id=c["id"],
            grantor=c["grantor"],
            grantee=c["grantee"],
            grantee_kind=c["granteeKind"],
            classes=tuple(c["classes"]),
            purpose=c["purpose"],
            granted_at=c["grantedAt"].to_native(),
            expires_on=c["expiresOn"].to_native(),
            revoked_at=revoked.to_native() if revoked is not None else None,
        )


_RETURN = "RETURN c {.*, grantor: e.uscc} AS c"


async def grant(
    db: Database,
    catalogue: Catalogue,
    grantor: Consumer,
    *,
    grantee: str,
    classes: list[str],
    purpose: str,
    expires_on: date,
    today: date | None = None,
) -> ConsentGrant:
    """Record a grant by `grantor` (an enterprise consumer) to `grantee`."""
    if grantor.org_kind is not OrgKind.ENTERPRISE or not grantor.org_code:
        raise OnlyEnterprisesGrant()
    today = today or china_today()
    if not today < expires_on <= today + timedelta(days=MAX_CONSENT_DAYS):
        raise BadExpiry()
    rows = await db.read(
        "OPTIONAL MATCH (b:Bank {code: $code}) OPTIONAL MATCH (a:CreditAgency {code: $code}) "
        "RETURN CASE WHEN b IS NOT NULL THEN 'BANK' WHEN a IS NOT NULL THEN 'CREDIT_AGENCY' "
        "END AS kind",
        {"code": grantee},
    )
    kind_name = rows[0]["kind"] if rows else None
    if kind_name is None:
        raise UnknownGrantee(grantee)
    kind = OrgKind.of(kind_name)
    grantable = list(catalogue.consumers[kind.value].get("consent", []))
    for sharing_class in classes:
        if sharing_class not in grantable:
            raise ClassNotGrantable(sharing_class, kind, grantable)
    if not purpose.strip():
        raise ConsentError("授权须写明用途 (state the purpose the grant is for)")
    [row] = await db.write(
        "MATCH (e:Enterprise {uscc: $grantor}) "
        "CREATE (c:Consent {id: $id, grantee: $grantee, granteeKind: $kind, classes: $classes, "
        "purpose: $purpose, grantedAt: datetime(), expiresOn: $expires, "
        "expiresAt: datetime({date: $expires, timezone: 'Asia/Shanghai'}) + duration('P1D')})"
        "-[:GRANTED_BY]->(e) " + _RETURN,
        {
            "grantor": grantor.org_code,
            "id": uuid.uuid4().hex,
            "grantee": grantee,
            "kind": kind.value,
            "classes": sorted(set(classes)),
            "purpose": purpose.strip(),
            "expires": expires_on,
        },
    )
    return ConsentGrant.from_row(row)


async def revoke(db: Database, grantor: Consumer, consent_id: str) -> ConsentGrant:
    """Revoke a grant; the grantee's next request no longer sees the granted data."""
    if grantor.org_kind is not OrgKind.ENTERPRISE or not grantor.org_code:
        raise OnlyEnterprisesGrant()
    rows = await db.write(
        "MATCH (c:Consent {id: $id})-[:GRANTED_BY]->(e:Enterprise {uscc: $grantor}) "
        "SET c.revokedAt = coalesce(c.revokedAt, datetime()) " + _RETURN,
        {"id": consent_id, "grantor": grantor.org_code},
    )
    if not rows:
        raise ConsentNotFound()
    return ConsentGrant.from_row(rows[0])


async def consents_for(db: Database, consumer: Consumer) -> list[ConsentGrant]:
    """Grants the consumer is party to: its own (enterprise), to it (grantee), all (admin)."""
    kind = consumer.org_kind
    if kind is OrgKind.ADMIN:
        where, params = "", {}
    elif kind is OrgKind.ENTERPRISE:
        where, params = "WHERE e.uscc = $org", {"org": consumer.org_code}
    elif kind in (OrgKind.BANK, OrgKind.CREDIT_AGENCY):
        where, params = "WHERE c.grantee = $org", {"org": consumer.org_code}
    else:
        return []
    rows = await db.read(
        "MATCH (c:Consent)-[:GRANTED_BY]->(e:Enterprise) "
        + where
        + " WITH c, e ORDER BY c.grantedAt DESC "
        + _RETURN,
        params,
    )
    return [ConsentGrant.from_row(row) for row in rows]
