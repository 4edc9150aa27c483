"""Compiled projections, kept: a document asked again compiles once, its variables staying
parameters.

Compiling a root field's selection (`hub.projection.Projection.project`: the catalogue's
decision for every field, its conditions and row rules, the Cypher text) was a sixth of the
hub's CPU for a bank's credit check, and it comes out the same every time the same consumer
sends the same document on the same day: only the variables' values differ, and those mostly
pass straight into query parameters (`$p8` for ``excludeUscc: $uscc``).

So the first compile runs with every string variable replaced by a `Symbol`: an
object that may be carried into a parameter but refuses every other use — compared, tested for
truth, hashed, formatted into text, asked for an attribute — by raising `Opaque`. A compile that
finishes never looked at those values, so its text and effects hold for any values: it is kept
(`Compiled`) under the key of everything it may have looked at (built in `Projection.project`),
and a request with that key takes the text, the parameters with its own values put in for the
symbols, and the compile's effects on the audit notes (gathered apart while it ran, `Notes`). A
compile that did look (a cursor decoded, a filter tested for emptiness) raises `Opaque`; its
notes are dropped, it runs again with the real values, and the key is remembered as not kept.

Everything else a compile may read is in the key: the document's field nodes (held by the entry,
so that an id is not reused while it exists), the field and its path, the scope, the consumer
(the whole verified identity), whether enforcement is on, the catalogue (held too), the city's
date, and the values of the variables that are not symbols (null, numbers, booleans, enums,
lists, input objects). With
``CREDITHUB_VERIFY_COMPILE_CACHE=1`` (the test suite sets it) every use of a kept compile is
compiled again for real and must match: text, parameters and effects.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, NoReturn, Protocol

CACHED_COMPILES = 2048
"""Kept compiles (an entry is a few kilobytes of Cypher)."""

VERIFY = os.environ.get("CREDITHUB_VERIFY_COMPILE_CACHE", "") == "1"
"""Compile every cached use again and compare (tests): a compile that inspected a variable
without raising `Opaque` would otherwise serve another request's text."""


class Opaque(Exception):
    """A compile used a variable's value for more than a parameter: it cannot be kept."""


class Symbol:
    """Stands for one variable's value while a selection is compiled for keeping.

    Passing it on (into a parameter, a list, a dict) is all it allows; anything that would make
    the compiled text or its effects depend on the value raises `Opaque`. A symbol stands only
    for a value that is not null, so ``is None`` tests answer as they would for the real value.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _refuse(self, *_: Any, **__: Any) -> NoReturn:
        raise Opaque(self.name)

    def __getattr__(self, attribute: str) -> Any:
        raise Opaque(self.name)

    __bool__ = __len__ = __iter__ = __contains__ = __getitem__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _refuse
    __str__ = __repr__ = __format__ = __bytes__ = _refuse
    __int__ = __float__ = __index__ = __complex__ = __round__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __floordiv__ = __mod__ = __rmod__ = __neg__ = __abs__ = _refuse


_SYMBOLISED = (str,)
"""Variable values a symbol stands for: strings (codes, names, cursors), which are many. Numbers
are few in practice (page sizes, hops, years) and often checked or turned into text (a LIMIT):
they are keyed by value, so such a compile is kept once per value instead of not at all."""


class Unkeyable(Exception):
    """A variable's value cannot be part of a key (an unhashable custom scalar)."""


def _frozen(value: Any) -> Any:
    if value is None or value.__class__ in (bool, str, int, float) or isinstance(value, Enum):
        return value
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, date):
        return value
    raise Unkeyable(type(value).__name__)


def symbolised(variables: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The variables with a `Symbol` for each string, and what of them goes into
    the key (a symbol's type; any other value itself). `Unkeyable` if a value cannot be keyed."""
    symbols: dict[str, Any] = {}
    shape = []
    for name in sorted(variables):
        value = variables[name]
        if value.__class__ in _SYMBOLISED:
            symbols[name] = Symbol(name)
            shape.append((name, value.__class__))
        else:
            symbols[name] = value
            shape.append((name, _frozen(value)))
    return symbols, tuple(shape)


@dataclass(frozen=True)
class Derived:
    """A parameter computed from variables: `function` of `argument`, which holds symbols.

    For a value a compile needs of a variable other than passing it on, and which does not
    change the text: a connection's cursor tag hashes its filter arguments (the search text
    among them). Kept as the recipe and computed with each request's values when the
    parameters are filled."""

    function: Callable[[Any], Any]
    argument: Any


def derived(function: Callable[[Any], Any], argument: Any) -> Any:
    """`function(argument)`, or a `Derived` to compute it later if `argument` holds a symbol."""
    return Derived(function, argument) if _holds_symbol(argument) else function(argument)


def _holds_symbol(value: Any) -> bool:
    if value.__class__ is Symbol or value.__class__ is Derived:
        return True
    if isinstance(value, list | tuple):
        return any(_holds_symbol(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_symbol(item) for item in value.values())
    return False


def _filled(value: Any, variables: Mapping[str, Any]) -> Any:
    if value.__class__ is Symbol:
        return variables[value.name]
    if value.__class__ is Derived:
        return value.function(_filled(value.argument, variables))
    if isinstance(value, list | tuple):
        return type(value)(_filled(item, variables) for item in value)
    if isinstance(value, dict):
        return {k: _filled(v, variables) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Effects:
    """What a compile adds to the request's audit notes (`hub.kernel.RequestContext`)."""

    released: frozenset[str]
    withheld: frozenset[tuple[str, str]]
    filtered: tuple[tuple[str, Mapping[str, str]], ...]
    projected: frozenset[str]


class AuditNotes(Protocol):
    """The request context's audit notes a compile adds to (`hub.kernel.RequestContext`)."""

    released: set[str]
    withheld_fields: set[tuple[str, str]]
    filtered: dict[str, dict[str, str]]
    projected: set[str]


@dataclass
class Notes:
    """Audit notes gathered apart while one root field compiles."""

    released: set[str] = field(default_factory=set)
    withheld_fields: set[tuple[str, str]] = field(default_factory=set)
    filtered: dict[str, dict[str, str]] = field(default_factory=dict)
    projected: set[str] = field(default_factory=set)

    def effects(self) -> Effects:
        """The notes, frozen."""
        return Effects(
            frozenset(self.released),
            frozenset(self.withheld_fields),
            tuple((path, dict(note)) for path, note in self.filtered.items()),
            frozenset(self.projected),
        )


def apply(effects: Effects, notes: AuditNotes) -> None:
    """Add a kept compile's effects to this request's notes."""
    notes.released |= effects.released
    notes.withheld_fields |= effects.withheld
    for path, note in effects.filtered:
        notes.filtered.setdefault(path, dict(note))
    notes.projected |= effects.projected


@dataclass(frozen=True)
class Compiled:
    """One kept compile: its text, its parameters (some holding symbols), how many names it
    used, and its effects."""

    text: str
    params: Mapping[str, Any]
    symbolic: tuple[str, ...]
    """The parameters that hold a symbol: filled from each request's variables."""
    names: int
    effects: Effects
    held: tuple[Any, ...]
    """The field nodes of the key, held so that their ids are not reused while kept."""

    def params_for(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters with this request's values in place of the symbols."""
        params = dict(self.params)
        for name in self.symbolic:
            params[name] = _filled(params[name], variables)
        return params


class CompileCache:
    """Kept compiles by key; a key whose compile looked at a value is kept as None."""

    def __init__(self, size: int = CACHED_COMPILES) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Compiled | None] = OrderedDict()

    def get(self, key: Any) -> Compiled | Literal[False] | None:
        """The entry (None: not keepable), or False when the key is new."""
        if key not in self._entries:
            return False
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: Any, entry: Compiled | None) -> None:
        """Keep `entry` (or None: compile this key for real from now on)."""
        self._entries[key] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (tests)."""
        self._entries.clear()


CACHE = CompileCache()
"""The process's kept compiles (one schema's documents; bounded)."""


def keep(
    params: Mapping[str, Any],
    text: str,
    names: int,
    effects: Effects,
    held: tuple[Any, ...],
) -> Compiled:
    """The entry for a compile that finished with symbols in `params`."""
    symbolic = tuple(name for name, value in params.items() if _holds_symbol(value))
    return Compiled(text, dict(params), symbolic, names, effects, held)


class KeptCompileDiffers(AssertionError):
    """A kept compile gave another request's text, parameters or effects (`VERIFY` found it):
    a compile inspected a variable's value in a way a `Symbol` does not catch."""

    def __init__(self, what: str, kept: Any, fresh: Any) -> None:
        super().__init__(
            f"the kept compile's {what} differs:\n  kept:  {kept!r}\n  fresh: {fresh!r}"
        )


def verify(
    entry: Compiled,
    variables: Mapping[str, Any],
    fresh: tuple[str, Mapping[str, Any], int, Effects],
) -> None:
    """Raise `KeptCompileDiffers` unless a fresh compile equals what `entry` gives."""
    text, params, names, effects = fresh
    if text != entry.text:
        raise KeptCompileDiffers("text", entry.text, text)
    if dict(params) != entry.params_for(variables) or names != entry.names:
        raise KeptCompileDiffers("parameters", entry.params_for(variables), dict(params))
    if effects != entry.effects:
        raise KeptCompileDiffers("effects", entry.effects, effects)
