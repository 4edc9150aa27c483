"""Hostile clients (issue 20, items 1, 2 and 6): bounded streams, stalled connections closed,
GET held to the body limit — against a real `credithub serve` process over real sockets.

The hub here runs with small limits so the tests are quick: three streams per organisation and
five per address, a second for headers and a second and a half for a body, and 250 connections
per address. Attackers connect from other loopback addresses (127.0.0.2 …) so their counts do
not touch the test's own requests from 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from authz.identity import Consumer, OrgKind
from authz.tokens import TokenConfig, mint
from graph.database import Connection
from hub.api.notices_api import POLL_SECONDS
from hub.settings import Settings, SettingsError
from tests.fixtures import E1, E2, PERSON_SECRET
from tests.processes import free_port, hub_env, serving_hub

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hostile-clients-test-secret-of-32-bytes!!"
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
PER_ORG, PER_ADDRESS, CONNECTIONS_PER_ADDRESS, CONNECTIONS = 3, 5, 250, 600
SUBSCRIBE = "subscription { noticeAdded(timeoutSeconds: 60) { kind title } }"
STREAMING = 'multipart/mixed;subscriptionSpec="1.0",application/json'


@pytest.fixture(scope="module")
def hub(neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `credithub serve` process with small limits; its port."""
    port = free_port()
    env = hub_env(
        neo4j_connection,
        tmp_path_factory.mktemp("hostile-hub"),
        CREDITHUB_JWT_SECRET=SECRET,
        CREDITHUB_PERSON_KEY_SECRET=PERSON_SECRET.decode(),
        CREDITHUB_RATE_ORG_PER_MINUTE="0",
        CREDITHUB_RATE_PUBLIC_PER_MINUTE="0",
        CREDITHUB_MAX_STREAMS_PER_ORG=str(PER_ORG),
        CREDITHUB_MAX_STREAMS_PER_ADDRESS=str(PER_ADDRESS),
        CREDITHUB_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        CREDITHUB_BODY_TIMEOUT=str(BODY_TIMEOUT),
        CREDITHUB_MAX_CONNECTIONS_PER_ADDRESS=str(CONNECTIONS_PER_ADDRESS),
        CREDITHUB_MAX_CONNECTIONS=str(CONNECTIONS),
    )
    with serving_hub(port, env, ROOT):
        yield str(port)


def _token(org_code: str) -> str:
    who = Consumer(subject=f"{org_code}-staff", org_kind=OrgKind.ENTERPRISE, org_code=org_code)
    return mint(TokenConfig(hs256_secret=SECRET.encode()), who, ttl=timedelta(hours=1))


def _connect(port: str, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(
        ("127.0.0.1", int(port)), timeout=10, source_address=(source, 0)
    )
    return sock


def _read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float | None]:
    """Everything the hub sends until it closes the connection; and how long that took (None
    when it was still open after `within` seconds)."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.2)
    while time.monotonic() - started < within:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, time.monotonic() - started
        if not chunk:
            return received, time.monotonic() - started
        received += chunk
    return received, None


def _json_of(response: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.split(b"\r\n\r\n", 1)[1])
    return body


def _open_stream(port: str, org_code: str) -> tuple[socket.socket, bytes]:
    """A subscription over a raw socket: the socket (left open) and the response head."""
    body = json.dumps({"query": SUBSCRIBE}).encode()
    sock = _connect(port)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        + f"Accept: {STREAMING}\r\nAuthorization: Bearer {_token(org_code)}\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        assert chunk, "the hub closed the stream"
        head += chunk
    return sock, head


def _healthz(port: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
    return body


# -- item 1: subscriptions ---------------------------------------------------------------------
def test_streams_are_bounded_per_organisation_and_address_share_one_poll_and_are_counted(
    hub: str,
) -> None:
    opened: list[socket.socket] = []
    try:
        for _ in range(PER_ORG):
            sock, head = _open_stream(hub, E1)
            opened.append(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
        refused = httpx.post(
            f"http://127.0.0.1:{hub}/graphql",
            json={"query": SUBSCRIBE},
            headers={"Accept": STREAMING, "Authorization": f"Bearer {_token(E1)}"},
            timeout=10,
        )
        assert refused.status_code == 429
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "TOO_MANY_STREAMS"
        assert "本机构" in error["message"]

        # Another organisation from the same address: up to the address's limit, then refused.
        for _ in range(PER_ADDRESS - PER_ORG):
            sock, head = _open_stream(hub, E2)
            opened.append(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
        sock, head = _open_stream(hub, E2)
        opened.append(sock)
        assert head.startswith(b"HTTP/1.1 429"), head
        assert b"TOO_MANY_STREAMS" in head + sock.recv(65536)

        streams = _healthz(hub)["streams"]
        assert streams["open"] == PER_ADDRESS
        assert streams["organisations"] == 2
        assert streams["refused"] >= 2
        # One poll of the outbox per tick for all five streams, not one per stream.
        before = streams["feed"]["polls"]
        started = time.monotonic()
        while (feed := _healthz(hub)["streams"]["feed"])["polls"] - before < 3:
            assert time.monotonic() - started < 20, f"the feed does not poll: {feed}"
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        assert feed["streams"] == PER_ADDRESS
        assert feed["recipients"] == 2
        assert feed["polls"] - before <= elapsed / POLL_SECONDS + 1, (feed, elapsed)
    finally:
        for sock in opened:
            sock.close()

    # Closed streams are counted out, and the organisation may stream again.
    deadline = time.monotonic() + 10
    while _healthz(hub)["streams"]["open"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _healthz(hub)["streams"]["open"] == 0
    assert _healthz(hub)["streams"]["feed"]["streams"] == 0, "the feed still fills closed streams"
    sock, head = _open_stream(hub, E1)
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), head


# -- item 2: stalled and surplus connections ---------------------------------------------------
def test_a_body_that_stops_half_way_is_answered_408_and_closed(hub: str) -> None:
    sock = _connect(hub)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"query": "{ __typename }"' + b" " * 24
    )
    response, closed_after = _read_until_closed(sock, within=BODY_TIMEOUT + 5)
    sock.close()
    assert closed_after is not None, "the connection was still held"
    assert response.startswith(b"HTTP/1.1 408"), response
    assert _json_of(response)["error"]["code"] == "REQUEST_TIMEOUT"


def test_slow_headers_and_idle_connections_are_closed_while_others_are_served(hub: str) -> None:
    idle = [_connect(hub, "127.0.0.2") for _ in range(200)]
    slow = [_connect(hub, "127.0.0.2") for _ in range(20)]
    try:
        started = time.monotonic()
        # Slow headers: a byte every 0.2 s, which no single-byte deadline would ever catch.
        request = b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: " + b"a" * 100
        sent = 0
        closed: set[int] = set()
        while time.monotonic() - started < HEADER_TIMEOUT + 4 and len(closed) < len(slow):
            for k, sock in enumerate(slow):
                if k in closed:
                    continue
                try:
                    sock.sendall(request[sent : sent + 1])
                except OSError:
                    closed.add(k)
            sent += 1
            # Meanwhile an ordinary request from elsewhere is answered.
            assert httpx.get(f"http://127.0.0.1:{hub}/healthz", timeout=5).status_code == 200
            time.sleep(0.2)
        for k, sock in enumerate(slow):
            if k not in closed:
                response, closed_after = _read_until_closed(sock, within=2)
                assert closed_after is not None, "a slow-header connection was still held"
                assert response.startswith(b"HTTP/1.1 408"), response
        for sock in idle:
            _, closed_after = _read_until_closed(sock, within=1)
            assert closed_after is not None, "an idle connection was still held"
        assert time.monotonic() - started < HEADER_TIMEOUT + 8
    finally:
        for sock in idle + slow:
            sock.close()


def test_headers_over_the_limit_are_refused_with_a_code(hub: str) -> None:
    """The parser keeps no limit of its own on a request's line and headers: the guard counts
    them (the body limit plus 16 KiB) and answers 431 before reading further."""
    sock = _connect(hub)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Pad: " + b"a" * 60_000 + b"\r\n\r\n")
    response, closed_after = _read_until_closed(sock, within=5)
    sock.close()
    assert closed_after is not None, "the connection was still held"
    assert response.startswith(b"HTTP/1.1 431"), response[:300]
    assert _json_of(response)["error"]["code"] == "HEADERS_TOO_LARGE"


def test_a_body_arriving_with_its_headers_is_held_to_the_body_limit_not_the_headers(
    hub: str,
) -> None:
    """A large body sent in one go arrives in the same reads as its headers: it is judged by
    the body limit (413), and its bytes never count as header bytes (431)."""
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "z" * 60_000}}).encode()
    sock = _connect(hub)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    response, _ = _read_until_closed(sock, within=5)
    sock.close()
    assert response.startswith(b"HTTP/1.1 413"), response[:300]
    assert _json_of(response)["error"]["code"] == "REQUEST_TOO_LARGE"


def test_what_is_not_http_is_refused_with_a_code(hub: str) -> None:
    sock = _connect(hub)
    sock.sendall(b"HELLO THERE\r\n\r\n")
    response, closed_after = _read_until_closed(sock, within=5)
    sock.close()
    assert closed_after is not None
    assert response.startswith(b"HTTP/1.1 400"), response[:300]
    assert _json_of(response)["error"]["code"] == "MALFORMED_REQUEST"


def test_the_next_request_on_a_kept_connection_has_its_own_deadline(hub: str) -> None:
    """After an answered request the connection is kept; a second request that stalls in its
    headers is refused 408 within the headers' deadline of its first byte."""
    sock = _connect(hub)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
    first = b""
    while b"\r\n\r\n" not in first or not first.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        assert chunk, "the hub closed a kept connection"
        first += chunk
    assert first.startswith(b"HTTP/1.1 200"), first[:200]
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: a")
    response, closed_after = _read_until_closed(sock, within=HEADER_TIMEOUT + 5)
    sock.close()
    assert closed_after is not None, "the stalled second request held the connection"
    assert response.startswith(b"HTTP/1.1 408"), response[:300]
    assert time.monotonic() - started < HEADER_TIMEOUT + 2


def test_one_address_cannot_open_more_than_its_connections(hub: str) -> None:
    opened = [_connect(hub, "127.0.0.3") for _ in range(CONNECTIONS_PER_ADDRESS + 5)]
    try:
        surplus, closed_after = _read_until_closed(opened[-1], within=3)
        assert closed_after is not None
        assert surplus.startswith(b"HTTP/1.1 503"), surplus
        assert _json_of(surplus)["error"]["code"] == "TOO_MANY_CONNECTIONS"
        # Another address is served meanwhile.
        assert httpx.get(f"http://127.0.0.1:{hub}/healthz", timeout=5).status_code == 200
    finally:
        for sock in opened:
            sock.close()


def test_connections_beyond_the_process_cap_are_refused_with_a_code(hub: str) -> None:
    # Four addresses, each within its own cap, together over the process's.
    opened = [_connect(hub, f"127.0.0.{5 + k % 4}") for k in range(CONNECTIONS + 5)]
    try:
        surplus, closed_after = _read_until_closed(opened[-1], within=3)
        assert closed_after is not None
        assert surplus.startswith(b"HTTP/1.1 503"), surplus
        assert _json_of(surplus)["error"]["code"] == "TOO_MANY_CONNECTIONS"
    finally:
        for sock in opened:
            sock.close()
    # Let go, the hub serves again.
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{hub}/healthz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the hub did not serve again"
        time.sleep(0.2)


# -- item 6: GET held to the body limit --------------------------------------------------------
@pytest.mark.parametrize("size", [25_000, 100_000])
def test_a_get_over_the_body_limit_is_refused_with_a_code(hub: str, size: int) -> None:
    # A raw socket: httpx itself refuses to send a URL this long.
    query = urlencode(
        {"query": "#" + "x" * size + "\n{ __typename }", "variables": json.dumps({"pad": "y"})}
    )
    sock = _connect(hub)
    sock.sendall(
        f"GET /graphql?{query} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n".encode()
    )
    response, closed_after = _read_until_closed(sock, within=10)
    sock.close()
    assert closed_after is not None
    status = response.split(b" ", 2)[1]
    assert status in (b"414", b"431"), response[:300]
    assert _json_of(response)["error"]["code"] in ("URI_TOO_LONG", "HEADERS_TOO_LARGE")


def test_get_variables_are_held_to_the_body_rules(hub: str) -> None:
    url = f"http://127.0.0.1:{hub}/graphql"
    big = httpx.get(
        url,
        params={"query": "{ __typename }", "variables": json.dumps({"pad": "y" * 30_000})},
        timeout=10,
    )
    assert big.status_code in (414, 431)
    nested = httpx.get(
        url, params={"query": "{ __typename }", "variables": '{"a":' * 80 + "1" + "}" * 80}
    )
    assert nested.status_code == 400
    assert nested.json()["error"]["code"] == "MALFORMED_REQUEST"
    small = httpx.get(url, params={"query": "{ __typename }"}, timeout=10)
    assert small.status_code == 200
    assert small.json()["data"] == {"__typename": "Query"}


def test_the_limits_are_read_from_the_environment_and_bad_values_refused() -> None:
    settings = Settings.from_env(
        {
            "CREDITHUB_MAX_STREAMS_PER_ORG": "7",
            "CREDITHUB_HEADER_TIMEOUT": "2.5",
            "CREDITHUB_MAX_CONNECTIONS_PER_ADDRESS": "0",
        }
    )
    assert settings.streams.per_organisation == 7
    assert settings.streams.per_address == Settings().streams.per_address
    assert settings.connections.header_timeout == 2.5
    assert settings.connections.max_per_address == 0
    for name, value in (
        ("CREDITHUB_HEADER_TIMEOUT", "0"),
        ("CREDITHUB_BODY_TIMEOUT", "soon"),
        ("CREDITHUB_MAX_STREAMS_PER_ADDRESS", "-1"),
        ("CREDITHUB_MAX_CONNECTIONS", "0"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
