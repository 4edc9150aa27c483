"""The README's journeys name real things: the sample enterprises are what the table says in
the demo city `credithub up` loads, and the batch id the department journey quotes is the one
its sample file makes. (The journeys themselves were run against a real `credithub up`.)

Pure Python: the demo generator is deterministic, so no database is needed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from graph.model import ListEntryStatus, ListType
from loaders.batches import batch_id
from loaders.demo_data import DemoData, DemoSpec, generate
from loaders.sources import open_feed

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
JOURNEYS = README[README.index("## Journeys") : README.index("\n## CLI")]
SAMR = "11410481005701375R"
RESTAURANT_ASSOCIATION = "514104815340029403"


def _samples() -> dict[str, str]:
    """The sample table: code → what it is said to show."""
    rows = re.findall(r"^\| `([0-9A-Z]{18})` \| (.+?) \| (.+?) \|$", JOURNEYS, re.M)
    return {code: f"{name} {why}" for code, name, why in rows}


SAMPLES = _samples()


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(DemoSpec(), b"any secret: codes do not depend on it")


def _code(words: str) -> str:
    [code] = [c for c, text in SAMPLES.items() if words in text]
    return code


def _entries(demo: DemoData, code: str, list_type: ListType) -> list[dict[str, object]]:
    subjects = {s["entry"] for s in demo.list_entry_subjects if s["enterprise"] == code}
    return [
        e
        for e in demo.list_entries
        if e["id"] in subjects
        and e["listType"] == list_type.value
        and e["status"] == ListEntryStatus.ACTIVE.value
    ]


def test_the_table_names_four_samples() -> None:
    assert len(SAMPLES) == 4


def test_the_black_listed_sample_is_black_listed_and_a_member(demo: DemoData) -> None:
    code = _code("black-listed")
    assert _entries(demo, code, ListType.BLACK)
    assert {"enterprise": code, "association": RESTAURANT_ASSOCIATION} in [
        {"enterprise": m["enterprise"], "association": m["association"]} for m in demo.memberships
    ]
    assert f'association(code: \\"{RESTAURANT_ASSOCIATION}\\")' in JOURNEYS


def test_the_red_listed_sample_is_red_listed(demo: DemoData) -> None:
    assert _entries(demo, _code("red-listed"), ListType.RED)


def test_the_layered_sample_has_shareholders_three_companies_up(demo: DemoData) -> None:
    holders: dict[str, list[str]] = defaultdict(list)
    for row in demo.enterprise_shareholdings:
        holders[str(row["enterprise"])].append(str(row["holder"]))

    def layers(code: str, seen: frozenset[str]) -> int:
        above = [layers(h, seen | {h}) for h in holders.get(code, []) if h not in seen]
        return 1 + max(above, default=0)

    code = _code("layered ownership")
    assert layers(code, frozenset({code})) >= 4  # the enterprise and three companies above it


def test_the_unregistered_sample_is_in_the_national_file_and_not_in_the_demo(
    demo: DemoData,
) -> None:
    code = _code("待登记核实")
    assert code not in {e["uscc"] for e in demo.enterprises}
    national = ROOT / "loaders/samples/penalties-national-gb18030.csv"
    assert code in national.read_bytes().decode("gb18030")


def test_the_quoted_batch_id_is_the_one_the_national_file_makes() -> None:
    feed = open_feed(ROOT / "loaders/samples/penalties-national-gb18030.csv")
    expected = batch_id(SAMR, "penalty", feed.content_hash)
    assert f"quarantine list {expected}" in JOURNEYS
    assert f"quarantine export {expected}" in README
