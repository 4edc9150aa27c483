"""One real Neo4j for the whole run.

Without NEO4J_URI the suite starts the project's own server in a home of its own
(`.credithub/test-neo4j-<port>`, Bolt on port 17688 unless CREDITHUB_TEST_NEO4J_PORT), so it never
touches the data of a hub you run yourself, and stops it at the end if it started it.
With NEO4J_URI (and NEO4J_PASSWORD) the suite uses that server — and empties it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from graph.database import Connection, Database
from graph.migrations import migrate
from graph.provision import LocalNeo4j, ServerConfig
from hub.app import create_app
from hub.settings import Settings
from tests.fixtures import PERSON_SECRET, load_fixture_graph

ROOT = Path(__file__).resolve().parent.parent


def test_server_home(port: int) -> Path:
    """Where the suite's own Neo4j lives for a given Bolt port."""
    return ROOT / ".credithub" / f"test-neo4j-{port}"


@pytest.fixture(scope="session")
def neo4j_connection() -> Iterator[Connection]:
    """A reachable Neo4j, started here unless NEO4J_URI names one."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Connection(
            uri,
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ["NEO4J_PASSWORD"],
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    port = int(os.environ.get("CREDITHUB_TEST_NEO4J_PORT", "17688"))
    # One home per port, so several suites (say, two worktrees) can run side by side.
    server = LocalNeo4j(ServerConfig(home=test_server_home(port), bolt_port=port))
    started_here = server.pid() is None
    server.start()
    yield Connection(server.uri, "neo4j", server.password(), "neo4j")
    if started_here and not os.environ.get("CREDITHUB_KEEP_TEST_NEO4J"):
        server.stop()


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
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the hub app in-process (no network, same ASGI stack)."""
    app = create_app(settings, run_migrations=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http
    await app.state.db.close()
