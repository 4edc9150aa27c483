"""The draw itself, as a pure function of its inputs and a seed (双随机: random objects, random
inspectors).

Given each stratum's enterprises in scope (population), those the frequency limits leave
eligible, the department's active roster, the ratios and the seed, `plan_draw` decides every
drawn object and its inspectors. Inputs are sorted before anything is drawn and the strata are
sampled in a fixed order (A, B, C, D, 未评价), so the same inputs and seed give the same draw on
any machine, and `input_hash` says whether the inputs of a replay are those of the draw.

The rounding rule (`stratum_size`): a stratum of n enterprises under ratio r draws ⌊n·r⌋
objects, and one more with probability equal to the fraction n·r − ⌊n·r⌋, decided by the
seeded generator. So the expected number drawn is exactly n·r, every enterprise's chance of
being drawn in a task is r, and over a year's draws each grade is inspected at its band's
frequency: a lone A-grade enterprise under 5 % is drawn in about one task in twenty, not in
every one, as rounding up (at least one per non-empty stratum) had it. No grade is exempt:
the policy refuses a ratio of 0, so every enterprise keeps its chance. A stratum never strays
from n·r by a whole object.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.supervision.policy import STRATA


@dataclass(frozen=True)
class StratumDraw:
    """How one stratum was sampled (never public: it reveals grades)."""

    stratum: str
    population: int
    eligible: int
    ratio: float
    planned: int
    drawn: int


@dataclass(frozen=True)
class DrawnObject:
    """One enterprise drawn, its place in the draw and its inspectors' ids in drawn order."""

    position: int
    uscc: str
    stratum: str
    inspectors: tuple[str, ...]


@dataclass(frozen=True)
class DrawPlan:
    """The outcome of a draw."""

    seed: int
    input_hash: str
    strata: tuple[StratumDraw, ...]
    objects: tuple[DrawnObject, ...]


def input_hash(
    population: Mapping[str, Sequence[str]],
    eligible: Mapping[str, Sequence[str]],
    roster: Sequence[str],
    ratios: Mapping[str, float],
    per_object: int,
) -> str:
    """SHA-256 of the draw's inputs in canonical form (everything but the seed)."""
    canonical = json.dumps(
        {
            "population": {s: sorted(population.get(s, ())) for s in STRATA},
            "eligible": {s: sorted(eligible.get(s, ())) for s in STRATA},
            "roster": sorted(roster),
            "ratios": {s: ratios[s] for s in STRATA},
            "perObject": per_object,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stratum_size(population: int, ratio: float, rng: random.Random) -> int:
    """Objects to draw from a stratum of `population` under `ratio`: ⌊population·ratio⌋, plus
    one with probability equal to the fraction left over (drawn from `rng`, so a seed replays
    it). The expectation is population·ratio exactly."""
    if population == 0:
        return 0
    # Rounding guards against 0.1 * 30 = 3.0000000000000004 leaving a fraction to draw for.
    exact = round(population * ratio, 9)
    whole = math.floor(exact)
    fraction = exact - whole
    # The generator is consulted only when there is a fraction to decide.
    return whole + (1 if fraction > 0 and rng.random() < fraction else 0)


def plan_draw(
    population: Mapping[str, Sequence[str]],
    eligible: Mapping[str, Sequence[str]],
    roster: Sequence[str],
    ratios: Mapping[str, float],
    per_object: int,
    seed: int,
) -> DrawPlan:
    """Draw each stratum's share — the ratio of its population, its fraction rounded at random
    (`stratum_size`, see the module's docstring) — from its eligible enterprises, then
    `per_object` distinct inspectors for each drawn object. Positions are a seeded shuffle of
    all drawn objects, so the published order says nothing about grades. `roster` must hold at
    least `per_object` ids when anything is drawn. The sizes follow the task's ratios alone
    (already checked against the sampling policy's bands when the task was made)."""
    rng = random.Random(seed)
    strata: list[StratumDraw] = []
    picked: list[tuple[str, str]] = []
    for stratum in STRATA:
        members = sorted(population.get(stratum, ()))
        pool = sorted(eligible.get(stratum, ()))
        planned = stratum_size(len(members), ratios[stratum], rng)
        chosen = rng.sample(pool, min(planned, len(pool)))
        picked += [(uscc, stratum) for uscc in chosen]
        strata.append(
            StratumDraw(stratum, len(members), len(pool), ratios[stratum], planned, len(chosen))
        )
    # The published list is in position order: positions must not reveal the strata (grades).
    rng.shuffle(picked)
    inspectors = sorted(roster)
    if picked and len(inspectors) < per_object:
        raise ValueError("the roster is smaller than the inspectors needed per object")
    objects = tuple(
        DrawnObject(position, uscc, stratum, tuple(rng.sample(inspectors, per_object)))
        for position, (uscc, stratum) in enumerate(picked, start=1)
    )
    return DrawPlan(
        seed=seed,
        input_hash=input_hash(population, eligible, roster, ratios, per_object),
        strata=tuple(strata),
        objects=objects,
    )
