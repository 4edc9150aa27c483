"""Values kept per identity of some long-lived objects (a parsed document, its field nodes, a
schema), most recently used first, at most a bound.

Strawberry hands the same parsed document for the same query text, so what is worked out from a
document's nodes can be looked up by their identity. Their own hash walks the whole tree (the
AST's nodes are frozen dataclasses). An entry holds the objects it was keyed by, so that an id
cannot be reused by another object while the entry exists.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from enum import Enum
from typing import Generic, Literal, TypeVar

V = TypeVar("V")


class _Missing(Enum):
    MISSING = 0


MISSING: Literal[_Missing.MISSING] = _Missing.MISSING
"""What `IdentityLru.get` answers for objects it keeps nothing for."""


class IdentityLru(Generic[V]):
    """A bounded map from (the identities of some objects, a hashable extra) to a value."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[
            tuple[tuple[int, ...], Hashable], tuple[tuple[object, ...], V]
        ] = OrderedDict()

    def get(
        self, objects: tuple[object, ...], extra: Hashable = ()
    ) -> V | Literal[_Missing.MISSING]:
        """The value kept for exactly these objects and `extra`, or `MISSING`."""
        key = (tuple(map(id, objects)), extra)
        found = self._entries.get(key)
        if found is None or any(a is not b for a, b in zip(found[0], objects, strict=True)):
            return MISSING
        self._entries.move_to_end(key)
        return found[1]

    def put(self, objects: tuple[object, ...], value: V, extra: Hashable = ()) -> None:
        """Keep `value` for these objects and `extra`, forgetting the least recently used entry
        beyond the bound."""
        self._entries[(tuple(map(id, objects)), extra)] = (objects, value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
