"""What the sharing catalogue costs a request: the credit check with enforcement on and off.

Issue 18's target is on ÷ off ≤ 1.1. Both sides run in this process through the hub's own
kernel (`hub.app.start_kernel`: the schema with every extension, the catalogue, the audit
sink), on the same bench Neo4j and the same sampled enterprises, with requests interleaved one
by one, so the only difference is `RequestContext.enforce`: with it the catalogue's field
rules, row rules and withheld notes are compiled into the Cypher; without it the same document
compiles bare. HTTP, token checks and guards are left out on purpose — they are the same on
both sides and would only dilute the ratio. Each consumer is timed separately, because what
the catalogue compiles depends on who asks: a bank (whose rows and fields are ruled) and the
credit office (whose are not).

    .venv/bin/python -m bench.enforcement --size 300 --requests 300
    # options: --keep, CREDITHUB_BENCH_NEO4J_PORT to use another bench Neo4j

A graph holding exactly `--size` demo enterprises is reused; otherwise it is emptied and
loaded. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from authz.identity import Consumer, OrgKind
from bench.credit_check import (
    CREDIT_CHECK,
    BenchmarkError,
    graph_of_size,
    log,
    percentile,
    read_rows,
    run_benchmark,
    sample_usccs,
)
from graph.database import Connection
from hub.app import start_kernel
from hub.kernel import Kernel, request_context
from hub.settings import Settings

WARM_UP = 30
PURPOSE = "贷前审查"

Check = Callable[[str], Awaitable[Any]]


def consumers(connection: Connection) -> dict[str, Consumer]:
    """The askers: a bank of the register (stating the purpose banks ask for) and the office."""
    rows = read_rows(connection, "MATCH (b:Bank) RETURN b.code AS code ORDER BY code LIMIT 1")
    if not rows:
        raise BenchmarkError("the graph has no bank: load the demo data first")
    return {
        "bank": Consumer(
            subject="bench", org_kind=OrgKind.BANK, org_code=rows[0]["code"], purpose=PURPOSE
        ),
        "credit office": Consumer(subject="bench", org_kind=OrgKind.ADMIN),
    }


def check(kernel: Kernel, consumer: Consumer, *, enforce: bool) -> Check:
    """One credit check through the kernel's schema, enforced or not (everything else equal)."""

    async def run(uscc: str) -> Any:
        context = request_context(kernel, consumer)
        context.enforce = enforce
        result = await kernel.schema.execute(
            CREDIT_CHECK, variable_values={"uscc": uscc}, context_value=context
        )
        if result.errors:
            raise BenchmarkError(f"{uscc}: {result.errors[0].message}")
        return result.data

    return run


async def interleaved(on: Check, off: Check, usccs: Sequence[str], requests: int) -> dict[str, Any]:
    """Sequential latencies of both sides, request n to each side in turn (order alternating)."""
    for n in range(WARM_UP):
        await on(usccs[n % len(usccs)])
        await off(usccs[n % len(usccs)])
    times: dict[str, list[float]] = {"on": [], "off": []}
    sides = [("on", on), ("off", off)]
    for n in range(requests):
        uscc = usccs[n % len(usccs)]
        for name, call in sides if n % 2 == 0 else sides[::-1]:
            started = time.perf_counter()
            await call(uscc)
            times[name].append((time.perf_counter() - started) * 1000.0)
    summary: dict[str, Any] = {}
    for name, values in times.items():
        summary[name] = {
            "p50_ms": round(percentile(values, 0.5), 3),
            "p99_ms": round(percentile(values, 0.99), 3),
            "mean_ms": round(statistics.fmean(values), 3),
        }
    summary["ratio_p50"] = round(summary["on"]["p50_ms"] / summary["off"]["p50_ms"], 3)
    summary["ratio_mean"] = round(summary["on"]["mean_ms"] / summary["off"]["mean_ms"], 3)
    return summary


async def measure(
    connection: Connection, env: Mapping[str, str], usccs: Sequence[str], requests: int
) -> dict[str, Any]:
    """Both consumers, enforcement on against off."""
    kernel = start_kernel(Settings.from_env(env))
    try:
        results: dict[str, Any] = {}
        for name, consumer in consumers(connection).items():
            log(f"{name}: {requests} requests per side …")
            results[name] = await interleaved(
                check(kernel, consumer, enforce=True),
                check(kernel, consumer, enforce=False),
                usccs,
                requests,
            )
        return results
    finally:
        await kernel.db.close()


def work(options: argparse.Namespace) -> Callable[[Connection, dict[str, str]], dict[str, Any]]:
    """The benchmark on the bench Neo4j: reuse or load the graph, then measure."""

    def run(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        loaded = graph_of_size(options.size, connection, env)
        usccs, _ = sample_usccs(connection)
        result = asyncio.run(measure(connection, env, usccs, options.requests))
        return {"size": options.size, "requests": options.requests, "load": loaded, **result}

    return run


def render(result: dict[str, Any]) -> str:
    """A Markdown table: per consumer, p50/p99/mean on and off and the ratios."""
    lines = [
        f"### Enforcement on ÷ off, {result['size']:,} enterprises, "
        f"{result['requests']} interleaved requests per side (in-process)",
        "",
        "| asker | on p50 ms | off p50 ms | on p99 ms | off p99 ms "
        "| on ÷ off p50 | on ÷ off mean |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("bank", "credit office"):
        side = result[name]
        lines.append(
            f"| {name} | {side['on']['p50_ms']:.2f} | {side['off']['p50_ms']:.2f} | "
            f"{side['on']['p99_ms']:.2f} | {side['off']['p99_ms']:.2f} | "
            f"{side['ratio_p50']:.3f} | {side['ratio_mean']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run on the bench Neo4j."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=300, help="demo enterprises in the graph")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per side")
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    options = parser.parse_args(argv)
    return run_benchmark(work(options), keep=options.keep, save_as="enforcement", render=render)


if __name__ == "__main__":
    raise SystemExit(main())
