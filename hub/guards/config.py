"""Limits every request is held to, with defaults a real credit check fits well inside."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuardConfig:
    """Request guard rails; `production` also hides the schema from the public."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 5000
    max_body_bytes: int = 20_000
    production: bool = False
