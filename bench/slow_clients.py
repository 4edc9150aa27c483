"""Slow and idle clients: does the credit check keep its p99 while hostile connections pile up?

    .venv/bin/python -m bench.slow_clients [--enterprises 300] [--rounds 3] [--seconds 30]
        [--slow 20] [--idle 200] [--keep]

Issue 20: 20 slow-header/slow-body connections and 200 idle ones were held for as long as the
clients liked. This starts ``credithub serve`` with its default limits on the bench Neo4j (the
demo graph at ``--enterprises``, loaded unless already there), and measures the bank's credit
check (bench/credit_check.py's request, as the credit office) one request at a time in
alternating blocks of ``--seconds`` (longer than the hub's header timeout, so its closing and
the attackers' reconnecting are inside the hostile blocks): a quiet block, then a hostile
block while

* ``--slow`` connections (from 127.0.0.2) trickle a request one byte every 0.5 s: half of them
  their headers, half a body (headers sent at once, a body declared longer than what comes),
  and
* ``--idle`` connections (from 127.0.0.3 and 127.0.0.4, half each) connect and send nothing,

every attacker reconnecting 0.5 s after the hub closes or refuses it, so the pressure stays on.
The blocks alternate ``--rounds`` times, so the machine's background load hits both sides
alike: quiet and hostile are measured side by side in one run. It reports p50/p99 of each side,
their p99 ratio (the target: at most 1.5), and how the hub treated the attackers (answered 408,
refused 503, closed quietly). Nothing asserts on timings. Results go to
``bench/results/slow_clients.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bench.credit_check import (
    RESULTS,
    BenchmarkError,
    credithub,
    hub_call,
    load_graph,
    log,
    percentile,
    run_benchmark,
    running_hub,
    sample_usccs,
    wait_healthy,
)
from bench.graph_signals import graph_ready
from graph.database import Connection

WARM_UP = 30
TRICKLE_SECONDS = 0.5
RECONNECT_SECONDS = 0.5
TARGET_RATIO = 1.5


@dataclass(frozen=True)
class Options:
    """The command line."""

    enterprises: int
    rounds: int
    seconds: float
    slow: int
    idle: int
    keep: bool


class Attack:
    """Slow and idle connections against one port, on while `active` is set."""

    def __init__(self, port: int, slow: int, idle: int) -> None:
        self.port = port
        self.slow = slow
        self.idle = idle
        self.active = asyncio.Event()
        self.outcomes: Counter[str] = Counter()
        self.open = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Every attacker until `stop` is set."""
        tasks = [
            *(self._attacker("127.0.0.2", *_slow_request(k), stop) for k in range(self.slow)),
            *(self._attacker(f"127.0.0.{3 + k % 2}", b"", b"", stop) for k in range(self.idle)),
        ]
        await asyncio.gather(*tasks)

    async def _attacker(
        self, source: str, at_once: bytes, trickled: bytes, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            if not self.active.is_set():
                await asyncio.sleep(0.1)
                continue
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(source, 0)
                )
            except OSError:
                self.outcomes["connect failed"] += 1
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            self.open += 1
            try:
                writer.write(at_once)
                self.outcomes[await self._hold(reader, writer, trickled, stop)] += 1
            finally:
                self.open -= 1
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _hold(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: bytes,
        stop: asyncio.Event,
    ) -> str:
        """Trickle `request` (or nothing) until the hub closes; what the hub answered."""
        sent = 0
        while not stop.is_set() and self.active.is_set():
            if sent < len(request):
                try:
                    writer.write(request[sent : sent + 1])
                    await writer.drain()
                except OSError:
                    return "closed while sending"
                sent += 1
            try:
                answer = await asyncio.wait_for(reader.read(4096), TRICKLE_SECONDS)
            except TimeoutError:
                continue
            except OSError:
                return "reset"
            if not answer:
                return "closed quietly"
            return "answered " + answer.split(b" ", 2)[1].decode("latin-1", "replace")
        return "still open when the block ended"


def _slow_request(k: int) -> tuple[bytes, bytes]:
    """What a slow attacker sends at once, and what it then trickles."""
    if k % 2 == 0:  # slow headers: the request line and headers never finish quickly
        return b"", b"GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: hub\r\nX-Pad: " + (
            b"a" * 200
        )
    body = b'{"query": "{ __typename }"}'
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body) + 100}\r\n\r\n".encode()
    )
    return head, body + b" " * 200


def summary(latencies: Sequence[float]) -> dict[str, float]:
    """p50, p99, mean and max (ms)."""
    return {
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "mean_ms": round(sum(latencies) / len(latencies), 2),
        "max_ms": round(max(latencies), 2),
        "requests": len(latencies),
    }


async def measure(url: str, token: str, usccs: Sequence[str], options: Options) -> dict[str, Any]:
    """Alternating quiet and hostile blocks of credit checks; both sides' latencies."""
    port = int(url.rsplit(":", 1)[1])
    attack = Attack(port, options.slow, options.idle)
    stop = asyncio.Event()
    attackers = asyncio.create_task(attack.run(stop))
    sides: dict[str, list[float]] = {"quiet": [], "hostile": []}
    held: list[int] = []
    headers = {"Authorization": f"Bearer {token}"}
    order = random.Random(20).sample(list(usccs), len(usccs))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        call = hub_call(client)
        for n in range(WARM_UP):
            await call(order[n % len(order)])
        n = 0
        for round_ in range(options.rounds):
            for side in ("quiet", "hostile"):
                if side == "hostile":
                    attack.active.set()
                    await asyncio.sleep(3.0)  # let the attackers connect
                    held.append(attack.open)
                ends = time.monotonic() + options.seconds
                while time.monotonic() < ends:
                    started = time.perf_counter()
                    await call(order[n % len(order)])
                    sides[side].append((time.perf_counter() - started) * 1000.0)
                    n += 1
                attack.active.clear()
                await asyncio.sleep(1.0)  # attackers let go before the quiet block
            log(f"round {round_ + 1}/{options.rounds} done")
        health = (await client.get("/healthz")).json()
    stop.set()
    await attackers
    quiet, hostile = summary(sides["quiet"]), summary(sides["hostile"])
    ratio = hostile["p99_ms"] / quiet["p99_ms"]
    return {
        "quiet": quiet,
        "hostile": hostile,
        "p99_ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "within_target": ratio <= TARGET_RATIO,
        "attackers_open_at_block_start": held,
        "attacker_outcomes": dict(attack.outcomes),
        "healthz": health,
    }


def report(result: Mapping[str, Any]) -> str:
    """The result as Markdown."""
    quiet, hostile = result["quiet"], result["hostile"]
    lines = [
        f"## Slow clients: the credit check, quiet vs {result['slow']} slow + "
        f"{result['idle']} idle connections ({result['enterprises']} enterprises)",
        "",
        "| side | requests | p50 ms | p99 ms | mean ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, side in (("quiet", quiet), ("hostile", hostile)):
        lines.append(
            f"| {name} | {side['requests']} | {side['p50_ms']} | {side['p99_ms']} | "
            f"{side['mean_ms']} | {side['max_ms']} |"
        )
    verdict = "within" if result["within_target"] else "OVER"
    lines += [
        "",
        f"p99 hostile/quiet: {result['p99_ratio']} ({verdict} the target of "
        f"{result['target_ratio']})",
        f"attacker connections open as each hostile block began: "
        f"{result['attackers_open_at_block_start']}",
        "what the hub did to the attackers: "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["attacker_outcomes"].items())),
    ]
    return "\n".join(lines)


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients", description=__doc__)
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per block")
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    for name in ("enterprises", "rounds", "seconds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(args.enterprises, args.rounds, args.seconds, args.slow, args.idle, args.keep)


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, measure, report; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        if not graph_ready(connection, options.enterprises):
            log(f"loading the demo graph ({options.enterprises} enterprises) …")
            load_graph(options.enterprises, connection, env)
        token = credithub(env, "token", "--admin", "--subject", "bench", "--ttl", "8h")
        usccs, _ = sample_usccs(connection)
        with running_hub(env, 1, RESULTS / "hub-slow_clients.log") as hub:

            async def run() -> dict[str, Any]:
                async with httpx.AsyncClient(base_url=hub.url) as probe:
                    await wait_healthy(hub, probe)
                return await measure(hub.url, token.stdout.strip(), usccs, options)

            result = asyncio.run(run())
        if not result["quiet"]["requests"]:
            raise BenchmarkError("no request was measured")
        return {
            **result,
            "enterprises": options.enterprises,
            "slow": options.slow,
            "idle": options.idle,
        }

    return run_benchmark(work, keep=options.keep, save_as="slow_clients", render=report)


if __name__ == "__main__":
    sys.exit(main())
