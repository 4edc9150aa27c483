"""Rate limits: how many requests one organisation, or one address of the public, may send.

A month-end run of one bank's credit checks, or a scraper on the disclosure site, must not
crowd out everyone else. Each organisation (all its tokens together) and each public client
address has a token bucket: it holds up to ``burst`` requests and refills at ``per_minute``.
A request that finds its bucket empty is refused with HTTP 429 and a ``Retry-After`` saying
when one request's worth will be back, before any of its body is read or any Cypher runs.

The buckets are soft state in each hub process, deliberately: losing them on a restart only
forgives a little, and sharing them through Neo4j would cost a write per request and make one
organisation's requests queue on one node's lock. With N hub processes behind a balancer an
organisation may reach N times the per-process rate; set the rates to the total divided by N
(README: Reliability). Behind a proxy, run uvicorn with ``--proxy-headers`` and
``--forwarded-allow-ips`` so the public's address is the client's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from authz.identity import Consumer
from hub.guards.http import respond_error


@dataclass(frozen=True)
class RateLimitConfig:
    """Per-process request budgets; a rate of 0 switches that limit off."""

    public_per_minute: int = 300
    """Requests per minute from one public client address (the disclosure site, anonymous API)."""
    public_burst: int = 60
    """Requests one public address may send at once before the rate applies."""
    organisation_per_minute: int = 3000
    """Requests per minute from one organisation, all its tokens together."""
    organisation_burst: int = 300
    """Requests one organisation may send at once before the rate applies."""
    max_tracked: int = 100_000
    """Buckets kept; the least recently used are forgotten first (each is a few dozen bytes)."""
    exempt_paths: frozenset[str] = frozenset({"/healthz"})
    """Paths never limited: a load balancer's health checks must always get through."""
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    """Seconds from an arbitrary start; tests pass a clock they move by hand."""

    def __post_init__(self) -> None:
        for name in ("public_per_minute", "public_burst", "organisation_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"rate limit {name} must not be negative")
        if self.organisation_burst < 0 or self.max_tracked < 1:
            raise ValueError("rate limit burst must not be negative and max_tracked positive")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimits:
    """ASGI middleware refusing requests over their bucket's budget with 429 and Retry-After.

    Runs after authentication (hub/auth.py puts the consumer in ``scope["state"]``), so an
    organisation is limited as itself whichever address it calls from, and before the body
    limits, so a refused request's body is never read.
    """

    def __init__(self, app: ASGIApp, config: RateLimitConfig) -> None:
        self.app = app
        self.config = config
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.config.exempt_paths:
            await self.app(scope, receive, send)
            return
        key, per_minute, burst = self._budget(scope)
        if per_minute > 0:
            wait = self._take(key, per_minute, max(burst, 1))
            if wait is not None:
                await _too_many(send, wait, per_minute)
                return
        await self.app(scope, receive, send)

    def _budget(self, scope: Scope) -> tuple[str, int, int]:
        consumer: Consumer | None = scope.get("state", {}).get("consumer")
        if consumer is None or consumer.is_public:
            client = scope.get("client")
            address = client[0] if client else "unknown"
            return f"public:{address}", self.config.public_per_minute, self.config.public_burst
        organisation = consumer.org_code or f"{consumer.org_kind.value}:{consumer.subject}"
        return (
            f"org:{organisation}",
            self.config.organisation_per_minute,
            self.config.organisation_burst,
        )

    def _take(self, key: str, per_minute: int, burst: int) -> float | None:
        """Spend one request from `key`'s bucket; the seconds to wait when it is empty."""
        now = self.config.clock()
        rate = per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(burst), updated=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.config.max_tracked:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate


async def _too_many(send: Send, wait: float, per_minute: int) -> None:
    retry_after = max(1, math.ceil(wait))
    await respond_error(
        send,
        429,
        "RATE_LIMITED",
        f"请求过于频繁，请 {retry_after} 秒后重试 (more than {per_minute} requests "
        f"per minute; retry after {retry_after} s)",
        [(b"retry-after", str(retry_after).encode())],
    )
