"""Stream guard: how many subscription streams one organisation, or one address, may hold open.

A subscription (``noticeAdded``) is a request that stays open. Unbounded, one enterprise token
opened 1,000 of them (issue 20), each a socket, a task and (then) a poll of Neo4j, and a public
search slowed from 25 ms to 4 s. Each organisation (all its tokens together) may hold
``per_organisation`` streams open in one hub process and each client address ``per_address``;
one more is refused with 429 and ``TOO_MANY_STREAMS`` before any of it runs, in the GraphQL
response shape (``errors[0].extensions.code``), and counted again when a stream ends.

A stream is a request to ``/graphql`` accepting ``multipart/mixed`` (how the hub serves
subscriptions, see hub/guards/subscription_transport.py); a query sent with that header is
counted too, for the moment it runs. The counts are per process, like the rate limits
(hub/guards/rate_limit.py): with N hub processes an organisation may hold N times as many.
`/healthz` shows them (`StreamCounter.snapshot`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import Consumer
from hub.guards.http import GRAPHQL_PATH


@dataclass(frozen=True)
class StreamLimits:
    """Open streams allowed in one hub process; 0 switches a limit off."""

    per_organisation: int = 20
    """Streams one organisation (all its tokens together) may hold open."""
    per_address: int = 50
    """Streams one client address may hold open, whoever's tokens it sends."""

    def __post_init__(self) -> None:
        if self.per_organisation < 0 or self.per_address < 0:
            raise ValueError("stream limits must not be negative")


class StreamCounter:
    """The streams open now, by organisation and by address."""

    def __init__(self) -> None:
        self.by_organisation: Counter[str] = Counter()
        self.by_address: Counter[str] = Counter()
        self.open = 0
        self.refused = 0

    def snapshot(self) -> dict[str, int]:
        """What `/healthz` shows: open streams, organisations and addresses holding them, and
        how many were refused since the process started."""
        return {
            "open": self.open,
            "organisations": len(self.by_organisation),
            "addresses": len(self.by_address),
            "refused": self.refused,
        }


class StreamLimitsMiddleware:
    """ASGI middleware refusing a stream beyond its organisation's or address's limit (429).

    Runs after authentication (hub/auth.py puts the consumer in ``scope["state"]``), so an
    organisation is counted as itself whichever address it streams from.
    """

    def __init__(self, app: ASGIApp, limits: StreamLimits, counter: StreamCounter) -> None:
        self.app = app
        self.limits = limits
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH or not _streaming(scope):
            await self.app(scope, receive, send)
            return
        organisation = _organisation(scope)
        client = scope.get("client")
        address = client[0] if client else "unknown"
        counter, limits = self.counter, self.limits
        over = None
        if (
            organisation is not None
            and limits.per_organisation
            and counter.by_organisation[organisation] >= limits.per_organisation
        ):
            over = f"本机构同时打开的订阅已达上限 {limits.per_organisation} 个"
        elif limits.per_address and counter.by_address[address] >= limits.per_address:
            over = f"本地址同时打开的订阅已达上限 {limits.per_address} 个"
        if over is not None:
            counter.refused += 1
            await _too_many_streams(send, over)
            return
        counter.open += 1
        counter.by_address[address] += 1
        if organisation is not None:
            counter.by_organisation[organisation] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            counter.open -= 1
            _forget(counter.by_address, address)
            if organisation is not None:
                _forget(counter.by_organisation, organisation)


def _streaming(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"accept" and b"multipart/mixed" in value.lower():
            return True
    return False


def _organisation(scope: Scope) -> str | None:
    consumer: Consumer | None = scope.get("state", {}).get("consumer")
    if consumer is None or consumer.is_public:
        return None
    return consumer.org_code or f"{consumer.org_kind.value}:{consumer.subject}"


def _forget(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]


async def _too_many_streams(send: Send, reason: str) -> None:
    body = json.dumps(
        {
            "data": None,
            "errors": [
                {
                    "message": f"{reason}，请先关闭不用的订阅 (too many open subscription streams; "
                    "close one first)",
                    "extensions": {"code": "TOO_MANY_STREAMS"},
                }
            ],
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"60"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
