"""Helpers for the lifecycle tests: ask as an organisation, read notices, move time."""

from __future__ import annotations

from datetime import date
from typing import Any

from authz.identity import Consumer, OrgKind
from graph.database import Database
from tests.conftest import ClientFor
from tests.consumers import ID_DUTY
from tests.fixtures import B1, B2, CA1, E1, E2, E5, NDRC, SAMR, TAX
from tests.graphql import errors, query


def org(
    kind: OrgKind,
    code: str,
    *,
    sector: str = "",
    purpose: str | None = None,
    duty: frozenset[str] = frozenset(),
) -> Consumer:
    """A consumer acting for organisation `code` (`duty`: the classes its registered duty
    grants)."""
    return Consumer(
        subject=f"officer@{code}",
        org_kind=kind,
        org_code=code,
        sectors=frozenset({sector}) if sector else frozenset(),
        purpose=purpose,
        duty=duty,
    )


ENTERPRISE_E1 = org(OrgKind.ENTERPRISE, E1)
ENTERPRISE_E2 = org(OrgKind.ENTERPRISE, E2)
ENTERPRISE_E5 = org(OrgKind.ENTERPRISE, E5)
MARKET = org(OrgKind.DEPARTMENT, SAMR, sector="市场监管", duty=ID_DUTY)
TAXATION = org(OrgKind.DEPARTMENT, TAX, sector="税务", duty=ID_DUTY)
DEVELOPMENT = org(OrgKind.DEPARTMENT, NDRC, sector="发展改革", duty=ID_DUTY)
BANK_B1 = org(OrgKind.BANK, B1, purpose="贷后管理")
BANK_B2 = org(OrgKind.BANK, B2, purpose="贷后管理")
AGENCY = org(OrgKind.CREDIT_AGENCY, CA1, purpose="信用修复代理")
OFFICE = Consumer(subject="credit-office", org_kind=OrgKind.ADMIN)


async def ask(client_for: ClientFor, who: Consumer, document: str, **variables: Any) -> Any:
    """`document` as `who`; the test fails on any error."""
    async with client_for(who) as http:
        return await query(http, document, **variables)


async def refused(
    client_for: ClientFor, who: Consumer, document: str, **variables: Any
) -> dict[str, Any]:
    """The single error `document` gets as `who` (the test fails if it succeeds)."""
    async with client_for(who) as http:
        [error] = await errors(http, document, **variables)
    return error


NOTICES = "query($unread: Boolean!) { notices(unreadOnly: $unread) { id kind title subject ref } }"


async def notices_of(client_for: ClientFor, who: Consumer, unread: bool = True) -> list[Any]:
    """The organisation's notices, newest first."""
    data = await ask(client_for, who, NOTICES, unread=unread)
    return list(data["notices"])


async def move_into_past(db: Database, label: str, key: str, value: str, **dates: str) -> None:
    """Simulate time passing: set date properties of one node to the given ISO dates."""
    assignments = ", ".join(f"n.{name} = date(${name})" for name in dates)
    await db.write(
        f"MATCH (n:{label} {{{key}: $value}}) SET {assignments}",
        {"value": value, **dates},
    )


async def e5_commits(
    client_for: ClientFor, *, item: str, name: str, template: str, due: date
) -> str:
    """The market regulator offers commitment item `item` (`name`, `template`) and E5 accepts
    it, due on `due`; the commitment's id."""
    await ask(
        client_for,
        MARKET,
        """mutation($code: String!, $name: String!, $template: String!) {
          saveCommitmentItem(code: $code, name: $name, template: $template) { code } }""",
        code=item,
        name=name,
        template=template,
    )
    made = await ask(
        client_for,
        ENTERPRISE_E5,
        """mutation($item: String!, $text: String!, $due: Date) {
          makeCommitment(item: $item, acceptedText: $text, dueBy: $due) { id } }""",
        item=item,
        text=template,
        due=due.isoformat(),
    )
    number: str = made["makeCommitment"]["id"]
    return number
