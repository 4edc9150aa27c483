"""The running service: health, surviving a Neo4j outage, the CLI serving over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from graph.database import Connection, Database
from hub.app import create_app, shut_down
from hub.settings import Settings
from tests.conftest import ROOT
from tests.fixtures import E1
from tests.graphql import query
from tests.processes import free_port, hub_env


async def test_healthz_reports_ok_when_neo4j_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {"status": body["status"], "neo4j": body["neo4j"]} == {"status": "ok", "neo4j": "ok"}
    assert body["streams"]["open"] == 0  # open subscription streams (issue 20)


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


class Proxy:
    """A TCP proxy to Neo4j that a test can cut and restore, to play a network outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = free_port()
        self.links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.close()
        self.links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Tracked before anything can fail, so `cut` closes every transport it opened (an
        # unclosed one would surface later as a ResourceWarning when collected).
        self.links.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.links.add(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def proxied_app(
    db: Database, settings: Settings
) -> AsyncIterator[tuple[Proxy, httpx.AsyncClient]]:
    target = urlparse(str(settings.neo4j_uri))
    proxy = Proxy(target.hostname or "127.0.0.1", target.port or 7687)
    await proxy.open()
    app = create_app(
        replace(settings, neo4j_uri=f"bolt://127.0.0.1:{proxy.port}"), run_migrations=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield proxy, http
    await proxy.cut()
    await shut_down(app)


async def test_neo4j_outage_gives_503_and_clear_errors_then_recovers_by_itself(
    proxied_app: tuple[Proxy, httpx.AsyncClient],
) -> None:
    proxy, http = proxied_app
    assert (await http.get("/healthz")).status_code == 200
    await query(http, "query($u: String!) { enterprise(uscc: $u) { name } }", u=E1)

    await proxy.cut()
    started = time.monotonic()
    health = await http.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    response = await http.post(
        "/graphql",
        json={
            "query": "query($u: String!) { enterprise(uscc: $u) { name } }",
            "variables": {"u": E1},
        },
    )
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert "Traceback" not in response.text and "bolt" not in response.text.lower()
    assert time.monotonic() - started < 30, "an outage must fail fast, not hang"

    await proxy.open()
    assert (await http.get("/healthz")).status_code == 200
    data = await query(http, "query($u: String!) { enterprise(uscc: $u) { name } }", u=E1)
    assert data["enterprise"]["name"] == "舞钢市鑫源钢铁有限公司"


@pytest.mark.parametrize("access_log", [None, "on"], ids=["default", "access log on"])
def test_credithub_serve_answers_over_real_http(
    db: Database, neo4j_connection: Connection, tmp_path: Path, access_log: str | None
) -> None:
    """`credithub serve` answers over HTTP; it logs a line per request only when
    CREDITHUB_ACCESS_LOG says so (every GraphQL request is in the audit chain either way)."""
    port = free_port()
    env = hub_env(neo4j_connection, tmp_path)
    env.pop("CREDITHUB_ACCESS_LOG", None)
    if access_log is not None:
        env["CREDITHUB_ACCESS_LOG"] = access_log
    output = ""
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the hub did not come up within 60 s"
            time.sleep(0.3)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": "query($u: String!) { enterprise(uscc: $u) { name } }",
                "variables": {"u": E1},
            },
            timeout=10,
        )
        assert response.json() == {"data": {"enterprise": {"name": "舞钢市鑫源钢铁有限公司"}}}
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            output = process.stdout.read().decode()
            process.stdout.close()
    assert "Application startup complete" in output, output
    assert ('"POST /graphql HTTP/1.1" 200' in output) is (access_log == "on"), output


def test_serve_refuses_a_taken_port_clearly(tmp_path: object) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env={
                **os.environ,
                "NEO4J_URI": "bolt://127.0.0.1:1",
                "NEO4J_PASSWORD": "x",
                "CREDITHUB_HOME": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is already in use" in result.stderr


async def test_routing_uris_work_against_a_single_server(neo4j_connection: Connection) -> None:
    routed = replace(neo4j_connection, uri=neo4j_connection.uri.replace("bolt://", "neo4j://"))
    async with Database(routed) as database:
        [row] = await database.read(
            "MATCH (e:Enterprise {uscc: $u}) RETURN e.name AS name", {"u": E1}
        )
        assert row["name"] == "舞钢市鑫源钢铁有限公司"
        await database.write("MERGE (t:RoutingProbe {id: 1}) DELETE t")


async def test_every_session_of_a_process_is_causally_chained(
    neo4j_connection: Connection,
) -> None:
    """On a cluster a read may go to a secondary; the process's bookmarks make it wait there
    for the process's own earlier writes. One manager sees every session's latest bookmark."""
    routed = replace(neo4j_connection, uri=neo4j_connection.uri.replace("bolt://", "neo4j://"))
    async with Database(routed) as database:
        assert await database.bookmarks() == []
        await database.write("MERGE (t:CausalProbe {id: 1}) SET t.n = coalesce(t.n, 0) + 1")
        after_write = await database.bookmarks()
        assert after_write, "a committed write leaves a bookmark"
        [row] = await database.read("MATCH (t:CausalProbe {id: 1}) RETURN t.n AS n")
        assert row["n"] >= 1
        await database.write("MATCH (t:CausalProbe) DELETE t")
        assert await database.bookmarks() != after_write
