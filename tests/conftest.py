"""One real Neo4j for the whole run.

Without NEO4J_URI the suite starts the project's own server in a home of its own
(`.credithub/test-neo4j-<port>`, Bolt on port 17688 unless CREDITHUB_TEST_NEO4J_PORT), so it never
touches the data of a hub you run yourself, and stops it at the end if it started it.
With NEO4J_URI (and NEO4J_PASSWORD) the suite uses that server — and empties it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

# Every use of a kept compile is compiled again and compared (hub/compile_cache.py), in this
# process and in the hubs the tests start: the whole suite checks that keeping is faithful.
os.environ["CREDITHUB_VERIFY_COMPILE_CACHE"] = "1"

from authz.identity import PUBLIC, Consumer, OrgKind
from authz.tokens import mint
from graph.database import Connection, Database
from graph.migrations import migrate
from graph.provision import LocalNeo4j, ServerConfig
from hub.app import create_app, shut_down
from hub.guards.rate_limit import RateLimitConfig
from hub.settings import Settings
from tests.fixtures import PERSON_SECRET, load_fixture_graph

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Consumer(subject="credit-office", org_kind=OrgKind.ADMIN)


def suite_server_home(port: int) -> Path:
    """Where the suite's own Neo4j lives for a given Bolt port."""
    return ROOT / ".credithub" / f"test-neo4j-{port}"


@pytest.fixture(scope="session")
def suite_server() -> Iterator[LocalNeo4j | None]:
    """The suite's own Neo4j server, started here; None when NEO4J_URI names another one.

    The fault tests stop and restart it through this object, so the process it started is
    the one it stops at the end.
    """
    if os.environ.get("NEO4J_URI"):
        yield None
        return
    port = int(os.environ.get("CREDITHUB_TEST_NEO4J_PORT", "17688"))
    # One home per port, so several suites (say, two worktrees) can run side by side.
    server = LocalNeo4j(ServerConfig(home=suite_server_home(port), bolt_port=port))
    started_here = server.pid() is None
    server.start()
    yield server
    if os.environ.get("CREDITHUB_KEEP_TEST_NEO4J"):
        server.detach()
    elif started_here:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_connection(suite_server: LocalNeo4j | None) -> Connection:
    """A reachable Neo4j: the suite's own, or the one NEO4J_URI names."""
    if suite_server is None:
        return Connection(
            os.environ["NEO4J_URI"],
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ["NEO4J_PASSWORD"],
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    return Connection(suite_server.uri, "neo4j", suite_server.password(), "neo4j")


@pytest.fixture(scope="session")
def settings(neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Hub settings pointing at the test server."""
    return Settings(
        home=tmp_path_factory.mktemp("credithub-home"),
        neo4j_uri=neo4j_connection.uri,
        neo4j_user=neo4j_connection.user,
        neo4j_password=neo4j_connection.password,
        neo4j_database=neo4j_connection.database,
        person_key_secret=PERSON_SECRET,
        # The suite sends hundreds of requests as one organisation in seconds; the limits
        # themselves are specified in tests/test_rate_limits.py.
        rate_limits=RateLimitConfig(public_per_minute=0, organisation_per_minute=0),
    )


@pytest.fixture(scope="session")
async def db(neo4j_connection: Connection) -> AsyncIterator[Database]:
    """The test database: emptied, migrated and loaded with the fixture graph once per run."""
    database = Database(neo4j_connection)
    await database.write("MATCH (n) DETACH DELETE n")
    await migrate(database)
    await load_fixture_graph(database)
    yield database
    await database.close()


@pytest.fixture(scope="session")
async def hub_app(db: Database, settings: Settings) -> AsyncIterator[Starlette]:
    """The hub application, on the test database (one instance for the whole run)."""
    app = create_app(settings, run_migrations=False)
    yield app
    await shut_down(app)


def bearer(settings: Settings, consumer: Consumer) -> dict[str, str]:
    """An Authorization header carrying a freshly minted token for `consumer`."""
    token = mint(settings.token_config(), consumer, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


ClientFor = Callable[[Consumer], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def client_for(hub_app: Starlette, settings: Settings) -> ClientFor:
    """Open an in-process HTTP client that asks as `consumer` (PUBLIC: no token)."""

    @contextlib.asynccontextmanager
    async def open_client(consumer: Consumer) -> AsyncIterator[httpx.AsyncClient]:
        headers = {} if consumer.is_public else bearer(settings, consumer)
        transport = httpx.ASGITransport(app=hub_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test", headers=headers
        ) as http:
            yield http

    return open_client


@pytest.fixture(scope="session")
async def client(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the credit office (ADMIN): sees everything, so API tests see all data."""
    async with client_for(ADMIN) as http:
        yield http


@pytest.fixture(scope="session")
async def anon(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a token: the public, as the disclosure site asks."""
    async with client_for(PUBLIC) as http:
        yield http
