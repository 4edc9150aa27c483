"""Rate limits (issue 8): a bank's month-end run or a scraper must not crowd out everyone else.

Each organisation, whichever of its tokens it uses, and each public client address has its own
budget; over it, the hub answers 429 with Retry-After before any Cypher runs. The hub here is
the real application on the suite's Neo4j, with small budgets and a clock the test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette

from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Database
from hub.app import create_app, shut_down
from hub.guards.rate_limit import RateLimitConfig
from hub.settings import Settings
from tests.conftest import bearer
from tests.fixtures import B1, B2

BANK_B1 = Consumer("loan-officer-1", OrgKind.BANK, B1, purpose="贷前审查")
BANK_B1_OTHER_DESK = Consumer("loan-officer-2", OrgKind.BANK, B1, purpose="贷后管理")
BANK_B2 = Consumer("loan-officer-9", OrgKind.BANK, B2, purpose="贷前审查")
QUERY = {"query": "{ __typename }"}


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited_app(
    settings: Settings, db: Database, clock: FakeClock
) -> AsyncIterator[Starlette]:
    """The hub with budgets of 2 at once and 60 a minute (one a second), on the test clock."""
    limits = RateLimitConfig(
        public_per_minute=60,
        public_burst=2,
        organisation_per_minute=60,
        organisation_burst=2,
        clock=clock,
    )
    app = create_app(replace(settings, rate_limits=limits), run_migrations=False)
    yield app
    await shut_down(app)


def client(
    app: Starlette, settings: Settings, consumer: Consumer, address: str
) -> httpx.AsyncClient:
    headers = {} if consumer.is_public else bearer(settings, consumer)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://hub.test",
        headers=headers,
    )


async def statuses(http: httpx.AsyncClient, n: int) -> list[int]:
    return [(await http.post("/graphql", json=QUERY)).status_code for _ in range(n)]


async def test_the_public_gets_429_with_retry_after_once_its_address_spent_its_budget(
    limited_app: Starlette, settings: Settings
) -> None:
    async with client(limited_app, settings, PUBLIC, "203.0.113.7") as http:
        assert await statuses(http, 2) == [200, 200]
        refused = await http.post("/graphql", json=QUERY)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert "60 requests per minute" in error["message"] and "请求过于频繁" in error["message"]


async def test_the_budget_refills_at_the_configured_rate(
    limited_app: Starlette, settings: Settings, clock: FakeClock
) -> None:
    async with client(limited_app, settings, PUBLIC, "203.0.113.8") as http:
        assert await statuses(http, 3) == [200, 200, 429]
        clock.now += 1.0  # 60 a minute: one request's worth back
        assert await statuses(http, 2) == [200, 429]
        clock.now += 60.0  # never more than the burst is saved up
        assert await statuses(http, 3) == [200, 200, 429]


async def test_every_public_address_has_its_own_budget(
    limited_app: Starlette, settings: Settings
) -> None:
    async with client(limited_app, settings, PUBLIC, "203.0.113.9") as first:
        assert await statuses(first, 3) == [200, 200, 429]
    async with client(limited_app, settings, PUBLIC, "198.51.100.4") as second:
        assert await statuses(second, 2) == [200, 200]


async def test_an_organisation_is_limited_as_one_whichever_token_or_address_it_uses(
    limited_app: Starlette, settings: Settings
) -> None:
    async with client(limited_app, settings, BANK_B1, "10.0.0.1") as desk:
        assert await statuses(desk, 2) == [200, 200]
    async with client(limited_app, settings, BANK_B1_OTHER_DESK, "10.0.0.2") as other_desk:
        assert await statuses(other_desk, 1) == [429]
    async with client(limited_app, settings, BANK_B2, "10.0.0.1") as other_bank:
        assert await statuses(other_bank, 2) == [200, 200], "another bank is not held back"


async def test_health_checks_are_never_limited(limited_app: Starlette, settings: Settings) -> None:
    async with client(limited_app, settings, PUBLIC, "203.0.113.10") as http:
        assert await statuses(http, 3) == [200, 200, 429]
        assert [(await http.get("/healthz")).status_code for _ in range(5)] == [200] * 5


async def test_the_disclosure_site_pages_share_the_public_budget(
    limited_app: Starlette, settings: Settings
) -> None:
    async with client(limited_app, settings, PUBLIC, "203.0.113.11") as http:
        assert (await http.get("/guide")).status_code == 200
        assert (await http.post("/graphql", json=QUERY)).status_code == 200
        page = await http.get("/guide")
    assert page.status_code == 429 and page.headers["retry-after"] == "1"


def test_a_rate_of_zero_switches_the_limit_off_and_negative_rates_are_refused() -> None:
    assert RateLimitConfig(public_per_minute=0).public_per_minute == 0
    with pytest.raises(ValueError, match="public_per_minute must not be negative"):
        RateLimitConfig(public_per_minute=-1)


def test_the_rates_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"CREDITHUB_RATE_PUBLIC_PER_MINUTE": "120", "CREDITHUB_RATE_ORG_PER_MINUTE": "0"}
    )
    assert settings.rate_limits.public_per_minute == 120
    assert settings.rate_limits.organisation_per_minute == 0
    assert Settings.from_env({}).rate_limits == RateLimitConfig()
