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
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol


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


class GuardedH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol with a deadline on each request's headers and body, and a cap on
    the connections of one address."""

    # Open connections per client address, in this process (one uvicorn server per process).
    _open: ClassVar[Counter[str]] = Counter()

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: Any = None
        self._received = False  # any byte of the current request
        self._address: str | None = None
        configured = self.config.h11_max_incomplete_event_size
        self.max_header_bytes = configured or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE

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
        self._arm(h11.IDLE)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection: its address's count and its deadline."""
        self._disarm()
        if self._address is not None:
            self._open[self._address] -= 1
            if self._open[self._address] <= 0:
                del self._open[self._address]
            self._address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Let uvicorn handle the bytes, then follow the request's phase: a deadline while its
        headers or body are arriving, none once it is whole."""
        if self.conn.their_state is h11.IDLE:
            self._received = True
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE or state is h11.SEND_BODY:
            if self._phase is not state:
                self._arm(state)
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        """A new request may follow on this connection: its bytes start afresh."""
        self._received = False
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """h11 refused the request line or headers: say so with a code, as every refusal does
        (uvicorn answers in plain text). Over-long headers (a GET's URL past h11's buffer) are
        431."""
        self._disarm()
        buffered, _ = self.conn.trailing_data
        if len(buffered) >= self.max_header_bytes:
            self._refuse(
                431,
                "HEADERS_TOO_LARGE",
                f"请求行或请求头过长 (the request line and headers exceed {self.max_header_bytes} "
                "bytes; send long operations as a POST body)",
            )
        else:
            self._refuse(400, "MALFORMED_REQUEST", "请求格式错误 (not a valid HTTP request)")

    def _arm(self, phase: Any) -> None:
        self._disarm()
        self._phase = phase
        seconds = self.limits.header_timeout if phase is h11.IDLE else self.limits.body_timeout
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
        if phase is h11.SEND_BODY:
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
        # Written as raw bytes: h11 cannot send a response to a request it has not read. The
        # application (if one runs for a body that stalled) sees a disconnect.
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


def guarded_protocol(limits: ConnectionLimits) -> Any:
    """The protocol factory to give uvicorn as ``http=``: picklable, so workers get it too."""
    return functools.partial(GuardedH11Protocol, limits=limits)
