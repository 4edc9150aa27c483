"""The draw itself, as a pure function of its inputs and a seed (双随机: random objects, random
inspectors).

Given each stratum's enterprises in scope (population), those the frequency limits leave
eligible, the department's active roster, the ratios and the seed, `plan_draw` decides every
drawn object and its inspectors. Inputs are sorted before anything is drawn and the strata are
sampled in a fixed order (A, B, C, D, 未评价), so the same inputs and seed give the same draw on
any machine, and `input_hash` says whether the inputs of a replay are those of the draw.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.supervision.policy import STRATA, SamplingPolicy


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


def plan_draw(
    population: Mapping[str, Sequence[str]],
    eligible: Mapping[str, Sequence[str]],
    roster: Sequence[str],
    ratios: Mapping[str, float],
    per_object: int,
    seed: int,
    policy: SamplingPolicy,
) -> DrawPlan:
    """Draw each stratum's share — the ratio of its population rounded up, at least one when it
    is non-empty — from its eligible enterprises, then `per_object` distinct inspectors for each
    drawn object. Positions are a seeded shuffle of all drawn objects, so the published order
    says nothing about grades. `roster` must hold at least `per_object` ids when anything is
    drawn."""
    rng = random.Random(seed)
    strata: list[StratumDraw] = []
    picked: list[tuple[str, str]] = []
    for stratum in STRATA:
        members = sorted(population.get(stratum, ()))
        pool = sorted(eligible.get(stratum, ()))
        planned = policy.rule(stratum).sample_size(len(members), ratios[stratum])
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
