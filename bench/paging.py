"""Page 1 against a deep page: what a connection costs as a client pages further (issue 18).

Each case is one connection a consumer pages through — the public search over enterprise names,
the 双公示 listing, the largest association's member roll — asked for its first page and for a
page `--depth` items in, with and without ``totalCount``, in this process through the hub's own
kernel (schema, catalogue, compiled Cypher; no HTTP), requests interleaved one by one. The deep
page is reached the way a client reaches it: with the cursor of the item before it (an offset
cursor on a hub that hands those out; on a keyset hub, the endCursor of the page before, got
once through an offset cursor, which it still takes).

``--shapes`` also times the member roll with ``totalCount`` compiled the other way (the count
as its own ``COUNT {}`` and a keyset page, instead of one bound list of the ordered matches),
to choose between them by measurement.

    .venv/bin/python -m bench.paging --size 100000 --requests 20 [--depth 10000] [--shapes]
    # CREDITHUB_BENCH_NEO4J_PORT selects the bench Neo4j; a graph of exactly --size demo
    # enterprises is reused, otherwise loaded

Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import hub.projection
from authz.identity import PUBLIC, Consumer, OrgKind
from bench.credit_check import (
    BenchmarkError,
    graph_of_size,
    log,
    percentile,
    read_rows,
    run_benchmark,
)
from graph.database import Connection
from hub.app import start_kernel
from hub.kernel import Kernel, request_context
from hub.projection import encode_cursor
from hub.settings import Settings

WARM_UP = 3
PAGE = 20
OFFICE = Consumer(subject="bench", org_kind=OrgKind.ADMIN)

EDGES = "edges {{ cursor node {{ {fields} }} }} pageInfo {{ hasNextPage endCursor }}"

SEARCH = (
    "query($q: String!, $after: String, $counted: Boolean!) { searchEnterprises(query: $q, "
    f"first: {PAGE}, after: $after) {{ totalCount @include(if: $counted) "
    + EDGES.format(fields="uscc name")
    + " } }"
)
DISCLOSED = (
    f"query($after: String, $counted: Boolean!) {{ disclosedRecords(first: {PAGE}, "
    "after: $after) { totalCount @include(if: $counted) "
    + EDGES.format(fields="id title decisionDate")
    + " } }"
)
MEMBERS = (
    "query($code: String!, $after: String, $counted: Boolean!) { association(code: $code) { "
    f"members(first: {PAGE}, after: $after) {{ totalCount @include(if: $counted) "
    + EDGES.format(fields="uscc name")
    + " } } }"
)

LARGEST_ASSOCIATION = (
    "MATCH (a:Association)<-[:MEMBER_OF]-(e:Enterprise) "
    "RETURN a.code AS code, count(e) AS members ORDER BY members DESC LIMIT 1"
)


@dataclass(frozen=True)
class Case:
    """One connection paged by one consumer: its document, variables and where it sits."""

    name: str
    consumer: Consumer
    document: str
    variables: Mapping[str, Any]
    path: tuple[str, ...]


Ask = Callable[[str | None, bool], Awaitable[Mapping[str, Any]]]


def asker(kernel: Kernel, case: Case) -> Ask:
    """The case's connection after `after`, with or without totalCount."""

    async def ask(after: str | None, counted: bool) -> Mapping[str, Any]:
        context = request_context(kernel, case.consumer)
        variables = {**case.variables, "after": after, "counted": counted}
        result = await kernel.schema.execute(
            case.document, variable_values=variables, context_value=context
        )
        if result.errors:
            raise BenchmarkError(f"{case.name}: {result.errors[0].message}")
        data: Any = result.data
        for key in case.path:
            data = data[key]
        return dict(data)

    return ask


async def deep_cursor(ask: Ask, depth: int) -> str:
    """The cursor a client holds after `depth` items (see the module's note)."""
    offset_cursor = encode_cursor(depth - 1)
    if depth <= PAGE:
        return offset_cursor
    page = await ask(encode_cursor(depth - PAGE - 1), False)
    cursor = str(page["pageInfo"]["endCursor"])
    return offset_cursor if cursor.startswith(offset_cursor[:8]) else cursor


async def time_case(ask: Ask, total: int, depth: int, requests: int) -> dict[str, Any]:
    """p50/p99/mean of page 1 and of the page at `depth`, counted and not, interleaved."""
    deep = await deep_cursor(ask, depth)
    sides = {
        f"{where} {'counted' if counted else 'uncounted'}": (cursor, counted)
        for where, cursor in (("page 1", None), (f"item {depth:,}", deep))
        for counted in (True, False)
    }
    for _ in range(WARM_UP):
        for cursor, counted in sides.values():
            await ask(cursor, counted)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(requests):
        order = list(sides.items())
        for name, (cursor, counted) in order if n % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            await ask(cursor, counted)
            times[name].append((time.perf_counter() - started) * 1000.0)
    return {
        "total": total,
        "depth": depth,
        **{
            name: {
                "p50_ms": round(percentile(values, 0.5), 2),
                "p99_ms": round(percentile(values, 0.99), 2),
                "mean_ms": round(statistics.fmean(values), 2),
            }
            for name, values in times.items()
        },
    }


def cases(connection: Connection, query: str) -> list[Case]:
    """The connections timed, on this graph."""
    [largest] = read_rows(connection, LARGEST_ASSOCIATION)
    log(f"largest association {largest['code']}: {largest['members']:,} member links")
    return [
        Case("search", PUBLIC, SEARCH, {"q": query}, ("searchEnterprises",)),
        Case("disclosure", PUBLIC, DISCLOSED, {}, ("disclosedRecords",)),
        Case("members", OFFICE, MEMBERS, {"code": largest["code"]}, ("association", "members")),
    ]


def unbound(connection_value: Callable[..., str]) -> Callable[..., str]:
    """`connection_value` always compiling totalCount as its own COUNT {} (never bound)."""

    @functools.wraps(connection_value)
    def compile_unbound(*args: Any, **kwargs: Any) -> str:
        return connection_value(*args, **{**kwargs, "bound": False})

    return compile_unbound


async def measure(env: Mapping[str, str], todo: Sequence[Case], options: Any) -> dict[str, Any]:
    """Every case, page 1 against the deep page."""
    kernel = start_kernel(Settings.from_env(env))
    results: dict[str, Any] = {}
    try:
        runs = [(case.name, case) for case in todo]
        if options.shapes:
            runs += [
                (f"{case.name} (count + keyset)", case) for case in todo if case.name == "members"
            ]
        for name, case in runs:
            ask = asker(kernel, case)
            original = hub.projection.connection_value
            if name.endswith("(count + keyset)"):
                hub.projection.connection_value = unbound(original)
            try:
                first = await ask(None, True)
                total = int(first["totalCount"])
                depth = max(PAGE, min(options.depth, total - 2 * PAGE))
                log(f"{name}: {total:,} items, page 1 against item {depth:,} …")
                results[name] = await time_case(ask, total, depth, options.requests)
            finally:
                hub.projection.connection_value = original
        return results
    finally:
        await kernel.db.close()


def work(options: argparse.Namespace) -> Callable[[Connection, dict[str, str]], dict[str, Any]]:
    """The benchmark on the bench Neo4j: reuse or load the graph, then measure."""

    def run(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        graph_of_size(options.size, connection, env)
        result = asyncio.run(measure(env, cases(connection, options.query), options))
        return {"size": options.size, "requests": options.requests, "cases": result}

    return run


def render(result: dict[str, Any]) -> str:
    """A Markdown table: per case, page 1 and the deep page, with and without totalCount."""
    lines = [
        f"### Page 1 against a deep page, {result['size']:,} enterprises, "
        f"{result['requests']} interleaved requests per cell (in-process), p50 / p99 ms",
        "",
        "| connection | items | depth | page 1, counted | page 1, no count "
        "| deep, counted | deep, no count |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, case in result["cases"].items():
        cells = [
            f"{cell['p50_ms']:.1f} / {cell['p99_ms']:.1f}"
            for key, cell in case.items()
            if isinstance(cell, dict)
        ]
        lines.append(
            f"| {name} | {case['total']:,} | {case['depth']:,} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run on the bench Neo4j."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="demo enterprises")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per cell")
    parser.add_argument("--depth", type=int, default=10_000, help="items before the deep page")
    parser.add_argument("--query", default="有限公司", help="the search's words")
    parser.add_argument("--shapes", action="store_true", help="also time count + keyset")
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    options = parser.parse_args(argv)
    return run_benchmark(work(options), keep=options.keep, save_as="paging", render=render)


if __name__ == "__main__":
    raise SystemExit(main())
