"""Connection guard: stalled and surplus connections are closed, so a few clients cannot hold
a worker's sockets.

Uvicorn closes an idle keep-alive connection only after a response (``timeout_keep_alive``);
a connection that never finishes its request line and headers, or declares a body and sends
part of it, is held for as long as the client likes (issue 20: a ``Content-Length: 100`` with
50 bytes sent was still held after 40 s, 200 idle connections after 30 s). This is uvicorn's
h11 protocol with a deadline per request: the headers must be complete within
``header_timeout`` of the first byte (or of the connection opening), the body within
``body_timeout`` of the headers. A request that misses its deadline is answered 408 with a
code when any of it arrived, and the connection is closed; one that sent nothing is closed
quietly (as a keep-alive timeout is). The deadline is for the whole phase, not per byte, so
trickling one byte a second does not keep a connection open.

It also caps open connections: beyond ``max_per_address`` from one client address, or
``max_connections`` in all, a new connection is answered 503 (``TOO_MANY_CONNECTIONS``) and
closed at once. Uvicorn's own ``limit_concurrency`` (set to ``max_connections`` too, and also
counting running requests) answers 503 in plain text and keeps the socket, and lets one client
take all of it. Behind a proxy every client has the proxy's address: raise the cap or set it to 0
(off) there, and let the proxy cap its clients.

A protocol, not an ASGI middleware, because the headers' deadline runs before any ASGI
application is called. `hub/cli.py` serves with it (``http=guarded_protocol(limits)``).

It is uvicorn's httptools protocol (llhttp parses in C: 0.65 against 0.80 ms of a worker's CPU
per `{ __typename }` with 8 clients on uvicorn's pure-Python h11, which the guard was first
built on). llhttp, unlike h11, has no limit on the request line and headers, so the guard counts
their bytes and answers 431 beyond the limit uvicorn's config carries for h11
(``h11_max_incomplete_event_size``; `hub/cli.py` sets it from the body limit).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
"""The request line and headers allowed when uvicorn's config names no limit (h11's default)."""


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a request may take to arrive, and how many connections a client may hold."""

    header_timeout: float = 10.0
    """Seconds from a connection's first byte (or its opening) to the end of the headers."""
    body_timeout: float = 30.0
    """Seconds from the end of the headers to the end of the body (a 32 MB feed file at
    about 1 MB/s fits)."""
    keep_alive_timeout: int = 5
    """Seconds an idle connection is kept between requests (uvicorn's ``timeout_keep_alive``)."""
    max_connections: int = 2000
    """Open connections and running requests in one hub process, all clients together
    (uvicorn's ``limit_concurrency``: beyond, 503)."""
    max_per_address: int = 100
    """Open connections from one client address in one hub process; 0 switches it off."""

    def __post_init__(self) -> None:
        if self.header_timeout <= 0 or self.body_timeout <= 0 or self.keep_alive_timeout < 1:
            raise ValueError("connection timeouts must be positive")
        if self.max_connections < 1 or self.max_per_address < 0:
            raise ValueError("max_connections must be positive, max_per_address not negative")


HEADERS, BODY = "headers", "body"
"""The phases of a request with a deadline: its line and headers arriving, its body arriving."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with a deadline on each request's headers and body, a limit
    on its line and headers, and a cap on the connections of one address; every refusal in the
    hub's error shape. llhttp's callbacks say which phase a request is in."""

    # Open connections per client address, in this process (one uvicorn server per process).
    _open: ClassVar[Counter[str]] = Counter()

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self._received = False  # any byte of the current request
        self._address: str | None = None
        configured = self.config.h11_max_incomplete_event_size
        self.max_header_bytes = configured or DEFAULT_MAX_HEADER_BYTES
        self._reading_headers = True  # until this request's headers are complete
        self._header_bytes = 0  # of chunks read while the headers were incomplete
        self._header_size = 0  # of the request line and headers as parsed
        self._too_large = False
        self._boundary = False  # a request's headers or message ended in the chunk being parsed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection against its address, refuse it beyond the cap, start the
        headers' deadline."""
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            # Uvicorn's limit_concurrency would keep the socket and answer each request 503 in
            # plain text; here the surplus connection is told with a code and let go.
            self._refuse(
                503,
                "TOO_MANY_CONNECTIONS",
                f"服务器连接已满 (the hub holds {self.limits.max_connections} connections; "
                "retry shortly)",
            )
            return
        self._address = self.client[0] if self.client else None
        if self._address is not None:
            self._open[self._address] += 1
            cap = self.limits.max_per_address
            if cap and self._open[self._address] > cap:
                self._refuse(
                    503,
                    "TOO_MANY_CONNECTIONS",
                    f"连接过多 (more than {cap} open connections from one address)",
                )
                return
        self._arm(HEADERS)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection: its address's count and its deadline."""
        self._disarm()
        if self._address is not None:
            self._open[self._address] -= 1
            if self._open[self._address] <= 0:
                del self._open[self._address]
            self._address = None
        super().connection_lost(exc)

    def _headers_too_large(self) -> None:
        self._refuse(
            431,
            "HEADERS_TOO_LARGE",
            f"请求行或请求头过长 (the request line and headers exceed {self.max_header_bytes} "
            "bytes; send long operations as a POST body)",
        )

    def _malformed(self) -> None:
        self._refuse(400, "MALFORMED_REQUEST", "请求格式错误 (not a valid HTTP request)")

    def _arm(self, phase: str) -> None:
        self._disarm()
        self._phase = phase
        seconds = self.limits.header_timeout if phase == HEADERS else self.limits.body_timeout
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _expired(self) -> None:
        phase = self._phase
        self._deadline = None
        self._phase = None
        if self.transport.is_closing():
            return
        if phase == BODY:
            if self.cycle is not None and not self.cycle.response_started:
                self._refuse(
                    408,
                    "REQUEST_TIMEOUT",
                    f"请求体未在 {self.limits.body_timeout:g} 秒内收齐，连接已关闭 (the request "
                    "body did not arrive in time; the connection is closed)",
                )
            else:
                self.transport.close()
        elif self._received:
            self._refuse(
                408,
                "REQUEST_TIMEOUT",
                f"请求头未在 {self.limits.header_timeout:g} 秒内收齐，连接已关闭 (the request "
                "headers did not arrive in time; the connection is closed)",
            )
        else:
            self.transport.close()  # an idle connection that never asked: closed quietly

    def _refuse(self, status: int, code: str, message: str) -> None:
        # Written as raw bytes: the parser cannot send a response to a request it has not
        # read. The application (if one runs for a body that stalled) sees a disconnect.
        self._disarm()
        body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
        payload = body.encode()
        reason = {
            400: "Bad Request",
            408: "Request Timeout",
            431: "Request Header Fields Too Large",
            503: "Service Unavailable",
        }[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            "content-type: application/json; charset=utf-8\r\n"
            f"content-length: {len(payload)}\r\n"
            "connection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + payload)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        """Let uvicorn parse (from a request's first byte its headers' deadline runs); a
        chunk that leaves the headers still incomplete counts against their limit, so a
        header section never ending cannot grow the parser's buffers."""
        if self._reading_headers and data and not self._received:
            self._received = True
            if self._phase != HEADERS:
                self._arm(HEADERS)
        self._boundary = False
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
            return
        if self._reading_headers and data and not self._boundary:
            # Headers incomplete before and after, nothing ended in between: the whole chunk
            # was header bytes. (A chunk in which a request ended counts from the next one.)
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._headers_too_large()

    def on_message_begin(self) -> None:
        """A request starts: its line and headers are measured afresh."""
        self._header_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        """Part of the request line, measured."""
        self._header_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header, measured (with its separators)."""
        self._header_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The headers are whole: over the limit the request is refused before it runs (the
        parser is stopped; `send_400_response` answers 431); else the body's deadline runs
        until the message is whole."""
        self._reading_headers, self._boundary = False, True
        if self._header_size > self.max_header_bytes:
            self._too_large = True
            raise ValueError("request line and headers over the limit")
        self._arm(BODY)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is whole: no deadline while it is answered; the next request's
        bytes are counted afresh."""
        self._disarm()
        self._reading_headers, self._header_bytes, self._received = True, 0, False
        self._boundary = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """llhttp refused the request line or headers (or `on_headers_complete` stopped it):
        say so with a code."""
        if self._too_large:
            self._headers_too_large()
        else:
            self._malformed()


def guarded_protocol(limits: ConnectionLimits) -> Any:
    """The protocol factory to give uvicorn as ``http=``: picklable, so workers get it too."""
    return functools.partial(GuardedHttpToolsProtocol, limits=limits)
