"""Checking and preparing feed rows, in the loading thread's helper or in worker processes.

Preparing a row (parse and check every cell, apply the kind's rules, compute its key, content
hash and publication dates) is pure Python and costs more than writing it. On a worker thread
it competes for the GIL with the driver packing the previous chunk's parameters, so a large
load prepares its chunks in a process pool instead: chunks of source rows go in, one `Verdict`
per row comes out, in the same order. What depends on the order of the whole file (the keys
seen so far, duplicates within the file) stays with the pipeline, so both paths give the same
chunks row for row.

A worker builds its `RowChecker` and `Writer` once, from a picklable `Recipe` (the kind by code,
the supplier, the permit's terms, the organisations read for this load, the provenance); the
pool belongs to one load and is shut down when it ends.
"""

from __future__ import annotations

import datetime
import multiprocessing
import multiprocessing.context
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import forkserver
from typing import Any, Final

from graph.workdays import WorkdayCalendar, mainland_calendar
from loaders.collection import Permit, Supplier
from loaders.feed_kinds import Problem, feed_kind
from loaders.fields import ParseContext
from loaders.sources import SourceRow
from loaders.validation import CheckedRow, Organisations, RowChecker
from loaders.writers import Prepared, Provenance, writer_for
from loaders.writers.base import Writer

__all__ = [
    "DEFAULT_POOL_THRESHOLD",
    "PreparingFailed",
    "Recipe",
    "Verdicts",
    "default_workers",
    "landed",
    "prepare_rows",
    "prepare_shipped",
    "ship",
    "start_pool",
    "warm_pool",
]

DEFAULT_POOL_THRESHOLD: Final = 50_000
"""Rows from which a load prepares in a process pool. Below it the pool does not pay: the first
pool of a process waits for the fork server to start and import the loaders (measured 1-4 s on
the shared 2-core VM), later ones about 0.1-0.25 s, while the GIL contention it removes is a
fraction of the ~170-230 µs a row of preparing: about 10 s for 50,000 rows. Small feeds, API
submissions and the test suite stay on the thread."""

Verdict = Prepared | tuple[Problem, ...]
"""One row's outcome: ready to write, or the problems it is quarantined for."""


@dataclass(frozen=True)
class Verdicts:
    """The verdicts on one chunk's rows, in row order, and how the accepted rows' tiers were set."""

    rows: list[Verdict]
    severity_basis: Counter[str]


class PreparingFailed(RuntimeError):
    """A worker process preparing rows died (killed, out of memory): the load cannot go on."""


@dataclass(frozen=True)
class Recipe:
    """Everything a worker needs to check and prepare one load's rows; picklable.

    The feed kind travels by code (its parsers are closures) and the mainland calendar as
    ``None`` (each process reads its own copy once).
    """

    kind: str
    supplier: Supplier
    permit_fields: frozenset[str] | None
    permit_relay: bool
    permit_entry: str
    context: ParseContext
    headers: tuple[str, ...]
    organisations: Organisations
    batch: str
    loaded_at: datetime.datetime
    person_secret: bytes
    calendar: WorkdayCalendar | None
    wrap_writer: Callable[[Writer], Writer] | None

    @classmethod
    def of(
        cls,
        checker: RowChecker,
        provenance: Provenance,
        headers: Sequence[str],
        wrap_writer: Callable[[Writer], Writer] | None,
    ) -> Recipe:
        """The recipe of the checker and writer a load built for its own thread."""
        permit = checker.permit
        return cls(
            checker.kind.code,
            checker.supplier,
            permit.fields,
            permit.relay,
            permit.entry,
            checker.context,
            tuple(headers),
            checker.organisations or Organisations(),
            provenance.batch_id,
            provenance.loaded_at,
            provenance.person_secret,
            None if provenance.calendar is mainland_calendar() else provenance.calendar,
            wrap_writer,
        )

    def build(self) -> tuple[RowChecker, Writer]:
        """The checker and writer this recipe describes."""
        kind = feed_kind(self.kind)
        permit = Permit(kind, self.permit_fields, self.permit_relay, self.permit_entry)
        checker = RowChecker(
            kind, self.supplier, permit, self.context, self.headers, self.organisations
        )
        provenance = Provenance(
            self.batch,
            self.supplier,
            kind,
            self.loaded_at,
            self.person_secret,
            self.calendar or mainland_calendar(),
        )
        writer = writer_for(kind.target)(provenance)
        if self.wrap_writer is not None:
            writer = self.wrap_writer(writer)
        return checker, writer


def prepare_rows(checker: RowChecker, writer: Writer, rows: Sequence[SourceRow]) -> Verdicts:
    """Check and prepare ``rows``: one verdict per row, in order (no state across chunks)."""
    verdicts: list[Verdict] = []
    basis: Counter[str] = Counter()
    for source in rows:
        checked = checker.check(source)
        if not isinstance(checked, CheckedRow):
            verdicts.append(checked.problems)
            continue
        if checked.values.get("severityBasis"):
            basis[checked.values["severityBasis"]] += 1
        ready = writer.prepare(checked)
        verdicts.append(ready if isinstance(ready, Prepared) else ready.problems)
    return Verdicts(verdicts, basis)


# -- worker processes --------------------------------------------------------------------------

_WORKER: tuple[RowChecker, Writer] | None = None
"""This worker process's checker and writer, built once by `_start_worker`."""

Shipped = tuple[int, dict[str, Any], str | None, str | None]
"""A source row as it travels to a worker: a tuple pickles in half the time of the dataclass."""

Answer = tuple[list[tuple[int, str, str, dict[str, Any]] | tuple[Problem, ...]], Counter[str]]
"""A worker's verdicts as they travel back: a prepared row as a tuple, a refusal as its
problems (never empty)."""


def _start_worker(recipe: Recipe) -> None:
    # One checker and writer per worker process, built once.
    global _WORKER
    _WORKER = recipe.build()


def prepare_shipped(rows: list[Shipped]) -> Answer:
    """What a pool's worker runs on each chunk (module level, so it pickles by name)."""
    if _WORKER is None:  # pragma: no cover - the pool's initializer always ran first
        raise RuntimeError("preparing worker started without its recipe")
    checker, writer = _WORKER
    verdicts = prepare_rows(checker, writer, [SourceRow(*row) for row in rows])
    return (
        [
            (v.number, v.key, v.hash, v.data) if isinstance(v, Prepared) else v
            for v in verdicts.rows
        ],
        verdicts.severity_basis,
    )


def ship(rows: Sequence[SourceRow]) -> list[Shipped]:
    """Source rows in the form `prepare_shipped` takes."""
    return [(r.number, r.cells, r.problem, r.raw) for r in rows]


def landed(answer: Answer) -> Verdicts:
    """A worker's answer as `Verdicts`."""
    shipped, basis = answer
    rows: list[Verdict] = []
    for v in shipped:
        if isinstance(v[0], Problem):
            rows.append(v)
        else:
            rows.append(Prepared(*v))
    return Verdicts(rows, basis)


def default_workers() -> int:
    """Worker processes for a pooled load: half the cores, since Neo4j and the writer share them.

    One worker prepares faster than Neo4j writes on the 2-core machine the benchmarks run on,
    so more would only take CPU from the server.
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def start_pool(recipe: Recipe, workers: int) -> ProcessPoolExecutor:
    """A pool whose workers each build ``recipe`` once.

    Workers come from a fork server, not a fork of this process (which holds the driver's
    threads and sockets) and not a fresh interpreter each (spawn imports everything again per
    worker): the server imports this module once, and each worker forked from it starts ready.
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_fork_server(),
        initializer=_start_worker,
        initargs=(recipe,),
    )


def _fork_server() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def warm_pool() -> None:
    """Start the fork server a pool's workers come from, if it is not running yet.

    It imports the loaders once (1-4 s on the shared 2-core VM); started while a large file's
    first pass reads it, the pool that follows starts at once. Idempotent and thread-safe
    (the standard library's own lock)."""
    _fork_server()
    forkserver.ensure_running()
