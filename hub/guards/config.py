"""Limits every request is held to, with defaults a real credit check fits well inside."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuardConfig:
    """Request guard rails (hub/guards); one instance per application.

    The bank's credit check in the README has depth 7, no aliases, 97 tokens and an estimated
    cost of 901 (a body of under 1 KB), so the defaults leave room for real queries while one
    request can no longer ask the graph for millions of rows.
    """

    max_depth: int = 10
    """Deepest selection, fields counted level by level (leaves included, fragments followed)."""
    max_aliases: int = 15
    """Aliased fields in one document."""
    max_tokens: int = 2000
    """Lexical tokens (comments included) the parser reads before giving up."""
    max_cost: int = 5000
    """Static cost estimate of one operation (see hub/guards/cost.py)."""
    max_query_bytes: int = 20_000
    """Request body size, refused with HTTP 413 before the body is parsed."""
    max_upload_bytes: int = 32 * 1024 * 1024
    """Body size of a multipart request (a feed file for `submitFeed`), for callers with a token.

    The public never uploads: its multipart bodies are held to `max_query_bytes` like any other.
    """
    max_batch: int = 1
    """Operations in one request; a JSON array body holding more is refused with HTTP 400.
    At 1 (the default) there is no batching: every JSON array body, even of one operation, is
    refused, and the operation is sent as a JSON object.

    Above 1, the operations of a batch would share one `RequestContext` (and so one audit
    entry's bookkeeping); give each its own context before raising it.
    """
    production: bool = False
    """Production mode: the public (no token) gets no introspection and no "Did you mean"."""
