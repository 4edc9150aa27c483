"""Keyset cursors (issue 18): walking a connection page by page returns every item exactly once,
in the order of one big page, whatever the depth — for every kind of connection, with ties in
the sort key, descending keys and null keys; a cursor is taken only as the hub sealed it for
that list; an offset cursor of an older hub still continues once.

The module adds its own enterprise, association, records, list entries, sanctions and search
names to the fixture graph (ties on purpose) and removes them afterwards.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authz.identity import PUBLIC, Consumer
from graph.database import Database
from graph.identifiers import make_uscc
from hub.projection import (
    MAX_CURSOR_LENGTH,
    cursor_seal,
    encode_cursor,
    encode_keyset_cursor,
)
from tests.conftest import ADMIN, ClientFor
from tests.fixtures import NDRC, PERSON_SECRET, SAMR, _record
from tests.graphql import errors, query
from tests.lifecycle import DEVELOPMENT

KE = make_uscc("91", "410481", "KX000001")
"""The enterprise whose records, list entries and sanctions are paged."""
KA = make_uscc("51", "410481", "KX000002")
"""The association whose member roll is paged."""
MEMBERS = [make_uscc("91", "410481", f"KM{i:06d}") for i in range(13)]
SAME_NAME = "键集翻页同名有限公司"
"""Five members share this name (and so a full-text score): the USCC breaks the tie."""
NAMES: list[str | None] = [SAME_NAME] * 5
NAMES += [f"键集翻页第{i}号有限公司" for i in range(6)]
NAMES += [None, None]  # no name: last in an ascending order, then by USCC
NAMED = MEMBERS[:11]
KP = "keyset-test-person"
"""A person named by list entries, one of them both as subject and as linked person."""
TIED_DAY = datetime.date(2026, 2, 3)
KEYSET_NOTE = "键集测试"


def _records() -> list[dict[str, Any]]:
    dates: list[datetime.date | None] = [TIED_DAY] * 6
    dates += [datetime.date(2026, 1, 1 + i) for i in range(5)]
    dates += [None, None]  # no decision date: first in a newest-first order
    rows = []
    for index, decided in enumerate(dates):
        row = _record(
            f"键集罚字〔2026〕{index:03d}号",
            "PENALTY" if index % 2 else "LICENSE",
            KE,
            SAMR,
            decided or TIED_DAY,
            publish=(datetime.date(2026, 1, 1), datetime.date(2029, 1, 1)),
            title=f"{KEYSET_NOTE}{index:02d}",
        )
        row["decisionDate"] = decided
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
async def keyset_graph(db: Database) -> AsyncIterator[None]:
    await db.write(
        "CREATE (ke:Enterprise {uscc: $ke, name: '键集翻页主体有限公司', status: 'ACTIVE'}) "
        "CREATE (:Association {code: $ka, name: '键集翻页协会', sector: '测试'}) "
        "WITH 1 AS one UNWIND range(0, size($members) - 1) AS i "
        "MATCH (a:Association {code: $ka}) "
        "CREATE (:Enterprise {uscc: $members[i], name: $names[i], status: 'ACTIVE'})"
        "-[:MEMBER_OF {since: date('2021-01-01')}]->(a)",
        {"ke": KE, "ka": KA, "members": MEMBERS, "names": NAMES},
    )
    await db.write(
        "CREATE (p:Person {key: $kp, name: '键集人', nameMasked: '键*', idMasked: '4104**'}) "
        "WITH p MATCH (d:Department {code: $ndrc}) UNWIND range(0, 4) AS i "
        "CREATE (l:ListEntry {id: 'KS-PE-' + i, listType: 'BLACK', listName: '键集名单', "
        "status: 'ACTIVE', decisionDate: $tied, decisionNumber: '键集人' + i})"
        "-[:HAS_SUBJECT]->(p) CREATE (l)-[:DECIDED_BY]->(d) "
        "WITH p, l, i WHERE i = 2 CREATE (l)-[:LINKED_PERSON {role: 'LEGAL_REPRESENTATIVE'}]->(p)",
        {"kp": KP, "ndrc": NDRC, "tied": TIED_DAY},
    )
    rows = [{k: v for k, v in r.items() if k not in ("subject", "provider")} for r in _records()]
    await db.write(
        "UNWIND $rows AS row CREATE (r:Record) SET r = row WITH r "
        "MATCH (e:Enterprise {uscc: $ke}), (d:Department {code: $samr}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e) CREATE (r)-[:PROVIDED_BY]->(d)",
        {"rows": rows, "ke": KE, "samr": SAMR},
    )
    await db.write(
        "UNWIND range(0, 6) AS i MATCH (e:Enterprise {uscc: $ke}), (d:Department {code: $ndrc}) "
        "CREATE (l:ListEntry {id: 'KS-LE-' + i, listType: 'BLACK', listName: '键集名单', "
        "status: 'ACTIVE', decisionDate: CASE WHEN i < 4 THEN $tied ELSE date('2025-12-01') + "
        "duration({days: i}) END, decisionNumber: '键集' + i})-[:HAS_SUBJECT]->(e) "
        "CREATE (l)-[:DECIDED_BY]->(d) "
        "CREATE (s:Sanction {id: 'KS-SN-' + i, status: 'ACTIVE', from: CASE WHEN i < 5 "
        "THEN $tied ELSE date('2025-11-01') END, until: date('2029-01-01')})-[:HAS_SUBJECT]->(e) "
        "CREATE (s)-[:UNDER]->(l) CREATE (s)-[:IMPOSED_BY]->(d)",
        {"ke": KE, "ndrc": NDRC, "tied": TIED_DAY},
    )
    yield
    await db.write(
        "MATCH (n) WHERE (n:Association AND n.code = $ka) OR (n:Enterprise AND n.uscc IN $es) "
        "OR (n:Person AND n.key = $kp) OR ((n:Record OR n:ListEntry OR n:Sanction) "
        "AND EXISTS { (n)-[:HAS_SUBJECT]->(s) WHERE s.uscc = $ke OR s.key = $kp }) "
        "DETACH DELETE n",
        {"ka": KA, "es": [KE, *MEMBERS], "ke": KE, "kp": KP},
    )


async def _walk(
    http: httpx.AsyncClient,
    document: str,
    path: list[str],
    first: int,
    *,
    counted: bool = True,
    **variables: Any,
) -> tuple[list[str], int | None]:
    """Every item of a connection, walking pages of `first` by endCursor (ids in order), and
    the totalCount of the first page. `document` has $first and $after and selects
    `totalCount @include(if: $counted)`, `edges { cursor node { id: … } }` and pageInfo."""
    seen: list[str] = []
    after: str | None = None
    total: int | None = None
    for _ in range(200):
        data: Any = await query(
            http, document, first=first, after=after, counted=counted, **variables
        )
        for key in path:
            data = data[key]
        if total is None:
            total = data.get("totalCount")
        assert data.get("totalCount") == total, "every page counts the whole list"
        edges, info = data["edges"], data["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        seen += [edge["node"]["id"] for edge in edges]
        if not info["hasNextPage"]:
            return seen, total
        assert len(edges) == first
        after = info["endCursor"]
    raise AssertionError("the walk did not end")


PAGE = (
    "totalCount @include(if: $counted) edges { cursor node { id: %s } } "
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
)

RECORDS = f"""query($first: Int, $after: String, $counted: Boolean!, $kinds: [RecordKind!]) {{
  enterprise(uscc: "{KE}") {{ records(first: $first, after: $after, kinds: $kinds) {{
    {PAGE % "id"} }} }} }}"""
LIST_ENTRIES = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  enterprise(uscc: "{KE}") {{ listEntries(first: $first, after: $after) {{
    {PAGE % "id"} }} }} }}"""
SANCTIONS = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  enterprise(uscc: "{KE}") {{ sanctions(first: $first, after: $after) {{
    {PAGE % "id"} }} }} }}"""
PERSON_ENTRIES = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  person(key: "{KP}") {{ listEntries(first: $first, after: $after) {{
    {PAGE % "id"} }} }} }}"""
MEMBER_ROLL = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  association(code: "{KA}") {{ members(first: $first, after: $after) {{
    {PAGE % "uscc"} }} }} }}"""
SEARCH = f"""query($first: Int, $after: String, $counted: Boolean!, $q: String!) {{
  searchEnterprises(query: $q, first: $first, after: $after) {{ {PAGE % "uscc"} }} }}"""
DISCLOSED = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  disclosedRecords(first: $first, after: $after) {{ {PAGE % "id"} }} }}"""
DECIDED = f"""query($first: Int, $after: String, $counted: Boolean!) {{
  decidedListEntries(first: $first, after: $after) {{ {PAGE % "id"} }} }}"""

CONNECTIONS: dict[str, tuple[str, list[str], Consumer, dict[str, Any]]] = {
    # name: (document, path to the connection, consumer, extra variables)
    "records": (RECORDS, ["enterprise", "records"], ADMIN, {}),
    "list entries": (LIST_ENTRIES, ["enterprise", "listEntries"], ADMIN, {}),
    "sanctions": (SANCTIONS, ["enterprise", "sanctions"], ADMIN, {}),
    "a person's list entries": (PERSON_ENTRIES, ["person", "listEntries"], ADMIN, {}),
    "members": (MEMBER_ROLL, ["association", "members"], ADMIN, {}),
    "search by name": (SEARCH, ["searchEnterprises"], ADMIN, {"q": "键集翻页"}),
    "search by code prefix": (SEARCH, ["searchEnterprises"], ADMIN, {"q": "91410481KM"}),
    "disclosure": (DISCLOSED, ["disclosedRecords"], PUBLIC, {}),
    "decided list entries": (DECIDED, ["decidedListEntries"], DEVELOPMENT, {}),
}


@pytest.mark.parametrize("name", CONNECTIONS)
async def test_walking_every_page_gives_each_item_once_in_the_big_pages_order(
    client_for: ClientFor, keyset_graph: None, name: str
) -> None:
    document, path, consumer, variables = CONNECTIONS[name]
    async with client_for(consumer) as http:
        whole, total = await _walk(http, document, path, 100, **variables)
        assert whole and total == len(whole) and len(set(whole)) == len(whole), whole
        assert len(whole) < 100, "one page holds the whole list"
        for first in (1, 2, 3):
            walked, walked_total = await _walk(http, document, path, first, **variables)
            assert walked == whole, (first, walked, whole)
            assert walked_total == total
        # The shape without totalCount (no list bound, no count) pages the same.
        uncounted, none = await _walk(http, document, path, 2, counted=False, **variables)
        assert uncounted == whole and none is None


async def test_the_walked_lists_hold_the_ties_nulls_and_doubles_they_were_built_with(
    client_for: ClientFor, db: Database, keyset_graph: None
) -> None:
    """What the walks above covered: records tied on their date and without one, an entry
    naming the person both ways listed once, same-name search hits tied on their score."""
    async with client_for(ADMIN) as http:
        records, _ = await _walk(http, RECORDS, ["enterprise", "records"], 2)
        members, _ = await _walk(http, MEMBER_ROLL, ["association", "members"], 2)
        entries, _ = await _walk(http, PERSON_ENTRIES, ["person", "listEntries"], 2)
        hits, _ = await _walk(http, SEARCH, ["searchEnterprises"], 2, q="键集翻页")
    expected = [row["uid"] for row in _records()]
    # Newest first: the two without a date (nulls first when descending), then the tied day
    # in uid order, then older days.
    undated = sorted(expected[-2:])
    tied = sorted(expected[:6])
    older = [expected[6 + i] for i in reversed(range(5))]
    assert records == undated + tied + older
    named = sorted(NAMED, key=lambda code: (NAMES[MEMBERS.index(code)] or "", code))
    assert members == named + sorted(MEMBERS[11:])
    assert entries == [f"KS-PE-{i}" for i in range(5)]
    # Today's search order (score, then name) with the element id deciding ties.
    rows = await db.read(
        "CALL db.index.fulltext.queryNodes('enterprise_name_fulltext', $q) YIELD node, score "
        "RETURN node.uscc AS uscc, score, node.name AS name "
        "ORDER BY score DESC, node.name, elementId(node)",
        {"q": '"键集翻页"'},
    )
    assert hits == [row["uscc"] for row in rows] and set(NAMED) <= set(hits)
    same = [row for row in rows if row["uscc"] in MEMBERS[:5]]
    assert len({(row["score"], row["name"]) for row in same}) == 1, "five tied hits"


async def _first_page(http: httpx.AsyncClient, document: str, **variables: Any) -> Any:
    return await query(http, document, first=3, after=None, counted=True, **variables)


async def test_an_altered_cursor_or_one_of_another_list_is_invalid_cursor(
    client_for: ClientFor, keyset_graph: None
) -> None:
    async with client_for(ADMIN) as http:
        page = (await _first_page(http, RECORDS))["enterprise"]["records"]
        cursor = page["pageInfo"]["endCursor"]
        middle = len(cursor) // 2
        flipped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
        licences = (await _first_page(http, RECORDS, kinds=["LICENSE"]))["enterprise"]["records"]
        entries = (await _first_page(http, LIST_ENTRIES))["enterprise"]["listEntries"]
        other_hub = encode_keyset_cursor(
            cursor_seal(b"another hub's secret"),
            b"\0" * 32,
            [TIED_DAY, "PENALTY|x#v1"],
        )
        refused = {
            "a character changed": (RECORDS, {"after": flipped}),
            "base64 written another way": (RECORDS, {"after": cursor + "="}),
            "too long": (RECORDS, {"after": cursor + "A" * MAX_CURSOR_LENGTH}),
            "another kind filter": (RECORDS, {"after": licences["pageInfo"]["endCursor"]}),
            "the same filter dropped": (
                RECORDS,
                {"after": licences["pageInfo"]["endCursor"], "kinds": None},
            ),
            "another connection": (LIST_ENTRIES, {"after": cursor}),
            "into records from list entries": (
                RECORDS,
                {"after": entries["pageInfo"]["endCursor"]},
            ),
            "another hub": (RECORDS, {"after": other_hub}),
        }
        for reason, (document, variables) in refused.items():
            variables = {"first": 3, "counted": True, **variables}
            [error] = await errors(http, document, **variables)
            assert error["extensions"]["code"] == "INVALID_CURSOR", (reason, error)
        # The cursor of the same list with the same filter continues it.
        rest = await query(
            http,
            RECORDS,
            first=3,
            after=licences["pageInfo"]["endCursor"],
            counted=True,
            kinds=["LICENSE"],
        )
        assert rest["enterprise"]["records"]["edges"]


async def test_a_cursor_does_not_show_the_sort_key_it_holds(
    client_for: ClientFor, keyset_graph: None
) -> None:
    """Sealed, not just encoded: the row's key (here a record's uid, which carries its 文号)
    cannot be read out of the cursor by a consumer who is not shared it."""
    async with client_for(ADMIN) as http:
        page = (await _first_page(http, RECORDS))["enterprise"]["records"]
    for edge in page["edges"]:
        raw = base64.urlsafe_b64decode(edge["cursor"])
        assert edge["node"]["id"].encode() not in raw
        assert "键集".encode() not in raw and b"PENALTY" not in raw and b"LICENSE" not in raw


async def test_an_offset_cursor_of_an_older_hub_continues_once_at_its_offset(
    client_for: ClientFor, keyset_graph: None
) -> None:
    async with client_for(ADMIN) as http:
        whole, _ = await _walk(http, RECORDS, ["enterprise", "records"], 100)
        for offset in (0, 4, len(whole) - 2):
            data = await query(http, RECORDS, first=3, after=encode_cursor(offset), counted=True)
            page = data["enterprise"]["records"]
            assert [edge["node"]["id"] for edge in page["edges"]] == whole[offset + 1 : offset + 4]
            assert page["pageInfo"]["hasPreviousPage"] is True
            if page["pageInfo"]["hasNextPage"]:
                # … and hands out keyset cursors from then on.
                after = page["pageInfo"]["endCursor"]
                assert not after.startswith(encode_cursor(0)[:8])
                more = await query(http, RECORDS, first=3, after=after, counted=True)
                ids = [edge["node"]["id"] for edge in more["enterprise"]["records"]["edges"]]
                assert ids == whole[offset + 4 : offset + 7]


def test_the_seal_is_the_hubs_own() -> None:
    """One row's cursor is the same string each time (an edge's cursor is the endCursor), and
    differs between lists and between secrets."""
    seal = cursor_seal(PERSON_SECRET)
    values = [TIED_DAY, "LICENSE|x#v1"]
    one = encode_keyset_cursor(seal, b"a" * 32, values)
    assert one == encode_keyset_cursor(seal, b"a" * 32, values)
    assert one != encode_keyset_cursor(seal, b"b" * 32, values)
    assert one != encode_keyset_cursor(cursor_seal(b"other"), b"a" * 32, values)
