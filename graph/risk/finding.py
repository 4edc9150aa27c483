"""What every signal produces: a finding about one enterprise, its score and the paths that
explain it.

Evidence is a list of paths; each path is a list of steps, a step being one node of the graph
(``kind`` = its label, ``code`` = its key, ``name``; persons carry the key and the masked name
only, never the full name, which the hub adds for readers whose class allows it) and, when a
next step follows, the relationship that links them (``rel``) and whether it points from this
step to the next (``forward``). Records, list entries and bans a path rests on are listed by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graph.model import RiskSignal
from graph.risk.thresholds import MAX_SCORE

__all__ = ["Evidence", "Finding", "capped", "departments_of", "node_step"]

Evidence = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One signal about one enterprise in one scan."""

    signal: RiskSignal
    subject: str
    subject_name: str | None
    score: float
    summary: str
    evidence: tuple[Evidence, ...]
    departments: tuple[str, ...]
    """Departments concerned: they provided the records or decided the list entry or ban."""


def node_step(
    kind: str,
    code: str,
    name: str | None,
    *,
    rel: str | None = None,
    forward: bool | None = None,
) -> dict[str, Any]:
    """One step of an explaining path (see the module docstring)."""
    step: dict[str, Any] = {"kind": kind, "code": code, "name": name}
    if rel is not None:
        step["rel"] = rel
        step["forward"] = bool(forward)
    return step


def capped(score: float) -> float:
    """A score within 0..100, rounded to one decimal."""
    return round(max(0.0, min(MAX_SCORE, score)), 1)


def departments_of(evidence: Sequence[Evidence]) -> tuple[str, ...]:
    """Every department named by the evidence, sorted."""
    return tuple(sorted({d for item in evidence for d in item.get("departments", ())}))
