"""Statement parameters of a feed load, in the shape the driver sends cheapest.

The Python driver (neo4j 6.4) formats every RUN message for its debug log before it knows
whether anyone logs at that level: ``" ".join(map(repr, (query, parameters, extra)))``. For a
chunk of 5,000 records that text is about 7 MB and costs 50-70 µs a row, more than packing the
rows for the wire. A list whose ``repr`` is its length packs exactly like a list (the packer
takes any list) and skips that cost; the debug log then says how many rows went, not what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import neo4j

__all__ = ["QuietList", "quiet", "quiet_transaction"]


class QuietList(list[Any]):
    """A list parameter whose ``repr`` is its length (see the module docstring)."""

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


def quiet(parameters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``parameters`` with every list value made a `QuietList` (the rest as it was)."""
    if parameters is None:
        return None
    return {
        # Exactly a list: a QuietList (or another subclass) is left as it is.
        k: QuietList(v) if type(v) is list else v
        for k, v in parameters.items()
    }


class _QuietTransaction:
    """A managed transaction whose ``run`` sends list parameters as `QuietList`."""

    def __init__(self, tx: neo4j.AsyncManagedTransaction) -> None:
        self._tx = tx

    async def run(
        self, query: Any, parameters: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> neo4j.AsyncResult:
        return await self._tx.run(query, quiet(parameters), **(quiet(kwargs) or {}))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


def quiet_transaction(tx: neo4j.AsyncManagedTransaction) -> neo4j.AsyncManagedTransaction:
    """``tx`` as the writers use it (``run`` and the rest), its list parameters quiet."""
    return cast(neo4j.AsyncManagedTransaction, _QuietTransaction(tx))
