"""Kept compiles (hub/compile_cache.py, issue 18): a document asked again is compiled once for
the same consumer and day, its variables staying parameters — and answers, withheld notes and
audit notes are those a fresh compile gives.

The suite runs with ``CREDITHUB_VERIFY_COMPILE_CACHE=1`` (tests/conftest.py): every kept compile
used anywhere in it is compiled again and compared. The tests here switch that off where they
show what a kept compile alone gives, and show that the check catches a compile that looks at a
value behind the symbols' back.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from starlette.applications import Starlette

from authz.identity import PUBLIC, Consumer
from graph.database import Database
from hub import compile_cache
from hub.api import types
from hub.compile_cache import CACHE, Opaque, Symbol
from hub.kernel import Execution, Kernel
from hub.projection import GRAPH
from tests.consumers import ASKERS
from tests.fixtures import E1, E2, E3

BANK = next(asker for asker in ASKERS if asker.name == "bank with consent").consumer
DEPARTMENT = next(asker for asker in ASKERS if asker.name == "department (duty)").consumer

CREDIT_CHECK = """query Check($uscc: String!) { enterprise(uscc: $uscc) {
  uscc name blackListed
  legalRepresentative { nameMasked enterprises(excludeUscc: $uscc) { uscc name } }
  records(first: 5) { totalCount edges { node { id kind title } } }
} }"""

PAGED = """query Paged($uscc: String!, $first: Int) { enterprise(uscc: $uscc) {
  records(first: $first) { totalCount edges { node { id } } } } }"""

CURSORED = """query Cursored($uscc: String!, $after: String) { enterprise(uscc: $uscc) {
  records(first: 1, after: $after) { totalCount edges { node { id } }
    pageInfo { hasNextPage endCursor } } } }"""


@pytest.fixture
def kernel(hub_app: Starlette) -> Kernel:
    kept: Kernel = hub_app.state.kernel
    return kept


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The Cypher and parameters the hub sends while the test runs (still run for real)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    read = Database.read

    async def spy(self: Database, cypher: str, params: Any = None, **kwargs: Any) -> Any:
        seen.append((cypher, dict(params or {})))
        return await read(self, cypher, params, **kwargs)

    monkeypatch.setattr(Database, "read", spy)
    yield seen


@pytest.fixture
def unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept compiles served as they are, as in a running hub (not compiled again)."""
    monkeypatch.setattr(compile_cache, "VERIFY", False)
    CACHE.clear()


def _rep(run: Execution) -> dict[str, Any]:
    assert run.data is not None
    rep: dict[str, Any] = run.data["enterprise"]["legalRepresentative"]
    return rep


def _records(run: Execution) -> dict[str, Any]:
    assert run.data is not None
    records: dict[str, Any] = run.data["enterprise"]["records"]
    return records


def _notes(run: Execution) -> dict[str, Any]:
    context = run.context
    return {
        "released": context.released_fields(),
        "withheld_fields": context.withheld_fields,
        "withheld": [(w["path"], w["reason"]) for w in context.withheld],
        "filtered": context.filtered,
        "subjects": context.subjects,
    }


async def _ask(
    kernel: Kernel, consumer: Consumer, document: str, variables: Mapping[str, Any]
) -> Execution:
    run = await kernel.execute(consumer, document, variables)
    assert not run.errors, run.errors
    return run


async def test_the_same_document_about_another_enterprise_reuses_the_text_with_its_own_values(
    kernel: Kernel, db: Database, reads: list[tuple[str, dict[str, Any]]], unverified: None
) -> None:
    first = await _ask(kernel, DEPARTMENT, CREDIT_CHECK, {"uscc": E1})
    second = await _ask(kernel, DEPARTMENT, CREDIT_CHECK, {"uscc": E2})
    [(text_1, params_1), (text_2, params_2)] = [r for r in reads if "Enterprise {uscc" in r[0]]
    assert text_1 == text_2
    assert params_1["uscc"] == E1 and params_2["uscc"] == E2
    # excludeUscc: $uscc went into a parameter of its own, filled per request.
    assert E1 in params_1.values() and E1 not in params_2.values()
    assert len(CACHE._entries) == 1
    others = {
        asked: sorted(e["uscc"] for e in _rep(run)["enterprises"])
        for asked, run in ((E1, first), (E2, second))
    }
    assert others == {E1: sorted([E2, E3]), E2: sorted([E1, E3])}


async def test_a_kept_compile_gives_a_request_the_notes_a_fresh_compile_gives(
    kernel: Kernel, unverified: None
) -> None:
    for consumer in (BANK, DEPARTMENT, PUBLIC):
        # E2 fresh, E1 from E2's kept compile — against E1 fresh (the cache emptied).
        CACHE.clear()
        await _ask(kernel, consumer, CREDIT_CHECK, {"uscc": E2})
        kept = _notes(await _ask(kernel, consumer, CREDIT_CHECK, {"uscc": E1}))
        CACHE.clear()
        fresh = _notes(await _ask(kernel, consumer, CREDIT_CHECK, {"uscc": E1}))
        assert kept == fresh, consumer.org_kind


async def test_each_consumer_has_its_own_compile(kernel: Kernel, unverified: None) -> None:
    department = await _ask(kernel, DEPARTMENT, CREDIT_CHECK, {"uscc": E1})
    public = await _ask(kernel, PUBLIC, CREDIT_CHECK, {"uscc": E1})
    assert len(CACHE._entries) == 2
    # The public's answer is not the department's compile: its records are the published ones.
    assert department.data is not None and public.data is not None
    records = [d["enterprise"]["records"]["totalCount"] for d in (department.data, public.data)]
    assert records[0] > records[1]
    rules = [_notes(run)["filtered"]["enterprise.records"]["rule"] for run in (department, public)]
    assert rules == ["shared OR provided_by_me", "published"]


async def test_a_number_is_keyed_by_its_value(kernel: Kernel, unverified: None) -> None:
    # A page size is checked and turned into a LIMIT: one kept compile per size.
    sizes = []
    for first in (1, 2, 1):
        run = await _ask(kernel, DEPARTMENT, PAGED, {"uscc": E1, "first": first})
        sizes.append(len(_records(run)["edges"]))
    assert sizes == [1, 2, 1]
    assert len(CACHE._entries) == 2 and None not in CACHE._entries.values()
    # Null is keyed too: the default page applies.
    run = await _ask(kernel, DEPARTMENT, PAGED, {"uscc": E1, "first": None})
    assert len(_records(run)["edges"]) > 2


async def test_a_compile_that_reads_a_string_is_not_kept_and_each_value_is_honoured(
    kernel: Kernel, unverified: None
) -> None:
    # A cursor is decoded while compiling: that compile looks at $after.
    pages: list[list[str]] = []
    after = None
    while True:
        run = await _ask(kernel, DEPARTMENT, CURSORED, {"uscc": E1, "after": after})
        records = _records(run)
        pages.append([edge["node"]["id"] for edge in records["edges"]])
        if not records["pageInfo"]["hasNextPage"]:
            break
        after = records["pageInfo"]["endCursor"]
    ids = [record for page in pages for record in page]
    assert len(pages) > 2 and len(ids) == len(set(ids)) == records["totalCount"]
    # The first page (after: null) is kept; a page after a cursor is compiled for real.
    assert sorted(entry is None for entry in CACHE._entries.values()) == [False, True]


SEARCH = """query Search($q: String!, $after: String) {
  searchEnterprises(query: $q, first: 1, after: $after) {
    totalCount edges { node { uscc name } } pageInfo { hasNextPage endCursor } } }"""


def _search(run: Execution) -> dict[str, Any]:
    assert run.data is not None
    found: dict[str, Any] = run.data["searchEnterprises"]
    return found


async def test_the_search_is_kept_and_each_text_finds_its_own_and_pages_on(
    kernel: Kernel, reads: list[tuple[str, dict[str, Any]]], unverified: None
) -> None:
    # The search compiles its connection itself (a full-text call around the projection): kept
    # too, the text a parameter, the cursors' tag computed from each request's own text.
    everyone = await _ask(kernel, PUBLIC, SEARCH, {"q": "舞钢市"})
    steel = await _ask(kernel, PUBLIC, SEARCH, {"q": "钢铁"})
    assert len(CACHE._entries) == 1 and None not in CACHE._entries.values()
    texts = {cypher for cypher, _ in reads if "queryNodes" in cypher}
    assert len(texts) == 1
    assert _search(steel)["totalCount"] == 1 < _search(everyone)["totalCount"]
    assert _search(steel)["edges"][0]["node"]["name"] == "舞钢市鑫源钢铁有限公司"
    # Each page's cursor continues its own search: the tag is that of its own text.
    seen: list[str] = []
    after = None
    while True:
        page = _search(await _ask(kernel, PUBLIC, SEARCH, {"q": "舞钢市", "after": after}))
        seen += [edge["node"]["uscc"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == _search(everyone)["totalCount"]
    # Another text's cursor is refused, kept compile or not.
    wrong = await kernel.execute(PUBLIC, SEARCH, {"q": "钢铁", "after": after})
    assert [e.extensions["code"] for e in wrong.errors] == ["INVALID_CURSOR"]  # type: ignore[index]


async def test_a_search_by_code_prefix_has_a_compile_of_its_own(
    kernel: Kernel, unverified: None
) -> None:
    # Whether the text can be a code prefix changes the Cypher (a union with a range of the
    # USCC index): kept apart, each answering as a fresh compile does.
    by_name = await _ask(kernel, PUBLIC, SEARCH, {"q": "钢铁"})
    by_code = await _ask(kernel, PUBLIC, SEARCH, {"q": E1[:17]})
    assert len(CACHE._entries) == 2 and None not in CACHE._entries.values()
    assert _search(by_code)["totalCount"] == 1
    assert _search(by_code)["edges"][0]["node"]["uscc"] == E1
    CACHE.clear()
    assert (await _ask(kernel, PUBLIC, SEARCH, {"q": E1[:17]})).data == by_code.data
    assert (await _ask(kernel, PUBLIC, SEARCH, {"q": "钢铁"})).data == by_name.data


REFUSALS: list[Callable[[Symbol], Any]] = [
    bool,
    str,
    repr,
    hash,
    len,
    iter,
    int,
    float,
    lambda s: f"{s}",
    lambda s: s == "x",
    lambda s: s != "x",
    lambda s: s < "x",
    lambda s: "x" in s,
    lambda s: s + "x",
    lambda s: "x" + s,
    lambda s: "%s" % s,  # noqa: UP031
    lambda s: s.upper(),
    lambda s: s[0],
    lambda s: {s},
    operator.neg,
]


@pytest.mark.parametrize("use", REFUSALS, ids=range(len(REFUSALS)))
def test_a_symbol_refuses_every_use_but_being_passed_on(use: Callable[[Symbol], Any]) -> None:
    symbol = Symbol("uscc")
    assert symbol is not None and [symbol][0] is symbol and {"v": symbol}["v"] is symbol
    with pytest.raises(Opaque):
        use(symbol)


async def test_the_suite_check_catches_a_compile_that_looks_behind_a_symbol(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A filter that branches on the value's type (which a symbol cannot refuse) keeps a text
    # that is wrong for the real value: the check (on in the suite) must say so.
    filters = types._person_enterprise_filters

    def peeking(p: Any, args: Mapping[str, Any], scope: Mapping[str, str]) -> list[str]:
        conditions = filters(p, args, scope)
        excluded = args.get("excludeUscc")
        return [*conditions, "true"] if isinstance(excluded, str) else conditions

    monkeypatch.setattr(compile_cache, "VERIFY", True)
    CACHE.clear()
    spec = next(
        f.metadata[GRAPH]
        for f in types.Person.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if f.python_name == "enterprises"
    )
    assert spec.where is filters
    object.__setattr__(spec, "where", peeking)  # a frozen spec
    try:
        run = await kernel.execute(DEPARTMENT, CREDIT_CHECK, {"uscc": E1})
        # The request fails (an internal error to its asker) instead of answering wrongly.
        [error] = run.errors
        assert error.extensions == {"code": "INTERNAL_ERROR"}
        assert run.data == {"enterprise": None}
        assert "KeptCompileDiffers: the kept compile's text differs" in caplog.text
    finally:
        object.__setattr__(spec, "where", filters)
        CACHE.clear()
