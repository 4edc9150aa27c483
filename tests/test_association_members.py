"""The association's journey (issue 15) and looking a person up by resident ID (issue 16, 9).

An association lists its own current members (one Cypher query), each member's fields and
records shared as the catalogue says; any other consumer but departments and the credit office
gets the roll withheld with the reason and the catalogue entry. The association keeps the roll
itself: add and end a membership, audited, an Event each, history kept.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from authz.catalogue import default_catalogue
from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Database, QueryLog
from graph.identifiers import make_uscc
from graph.lifecycle.base import china_today
from tests.conftest import ClientFor
from tests.consumers import ASKERS
from tests.fixtures import A1, E1, E5, HOUSING, P1, P1_ID, R1, R4, SAMR
from tests.graphql import errors, query
from tests.lifecycle import BANK_B1, OFFICE, org

A2 = make_uscc("51", "410481", "XH000002")
M1 = make_uscc("91", "410481", "HY000001")
M2 = make_uscc("91", "410481", "HY000002")
M3 = make_uscc("91", "410481", "HY000003")
ASSOCIATION_A1 = org(OrgKind.ASSOCIATION, A1)
ASSOCIATION_A2 = org(OrgKind.ASSOCIATION, A2)
HOUSING_DEPT = org(OrgKind.DEPARTMENT, HOUSING, sector="住房城乡建设")


@pytest.fixture(scope="module")
async def second_association(db: Database) -> AsyncIterator[None]:
    """A2 (平顶山 chamber) with members M1 (graded A, a 2026 penalty) and M2 (graded C, a
    repaired 2026 penalty), and M3 (not a member yet, with a record outside publication).
    Removed again afterwards: the fixture graph stays as other modules expect it."""
    await db.write(
        "CREATE (:Association {code: $a2, name: '舞钢市建材商会', sector: '建材'}) "
        "WITH 1 AS one UNWIND $members AS m "
        "CREATE (e:Enterprise {uscc: m.uscc, name: m.name, status: 'ACTIVE'}) "
        "CREATE (:Evaluation {id: 'EV-TEST-' + m.uscc, uscc: m.uscc, grade: m.grade, "
        "current: true})-[:EVALUATES]->(e)",
        {
            "a2": A2,
            "members": [
                {"uscc": M1, "name": "会员测试甲建材有限公司", "grade": "A"},
                {"uscc": M2, "name": "会员测试乙建材有限公司", "grade": "C"},
                {"uscc": M3, "name": "会员测试丙建材有限公司", "grade": "B"},
            ],
        },
    )
    await db.write(
        "MATCH (a:Association {code: $a2}) UNWIND [$m1, $m2] AS m "
        "MATCH (e:Enterprise {uscc: m}) CREATE (e)-[:MEMBER_OF {since: date('2021-01-01')}]->(a)",
        {"a2": A2, "m1": M1, "m2": M2},
    )
    records = [
        (M1, "EFFECTIVE", datetime.date(2026, 2, 1), datetime.date(2029, 2, 1)),
        (M2, "REPAIRED", datetime.date(2026, 2, 1), datetime.date(2029, 2, 1)),
        (M3, "EFFECTIVE", None, None),  # never published: members' associations only
    ]
    await db.write(
        "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.subject}), "
        "(d:Department {code: $samr}) "
        "CREATE (r:Record {uid: 'PENALTY|' + row.subject + '#v1', key: 'PENALTY|' + row.subject, "
        "version: 1, current: true, kind: 'PENALTY', severity: 'GENERAL', status: row.status, "
        "decisionDate: date('2026-02-01'), publishFrom: row.from, publishUntil: row.until, "
        "title: '测试处罚'})-[:HAS_SUBJECT]->(e) CREATE (r)-[:PROVIDED_BY]->(d)",
        {
            "samr": SAMR,
            "rows": [
                {"subject": s, "status": st, "from": f, "until": u} for s, st, f, u in records
            ],
        },
    )
    yield
    await db.write(
        "MATCH (n) WHERE (n:Association AND n.code = $a2) OR (n:Enterprise AND n.uscc IN $ms) "
        "OR ((n:Record OR n:Evaluation) AND EXISTS { (n)-[:HAS_SUBJECT|EVALUATES]->(e:Enterprise) "
        "WHERE e.uscc IN $ms }) DETACH DELETE n",
        {"a2": A2, "ms": [M1, M2, M3]},
    )


MEMBERS = """query($code: String!, $first: Int, $after: String, $since: Date, $listed: ListType,
  $grades: [CreditGrade!]) {
  association(code: $code) { code name
    members(first: $first, after: $after, adverseSince: $since, listed: $listed, grades: $grades)
    { totalCount edges { cursor node { uscc name blackListed redListed
        records(kinds: [PENALTY], first: 5) { totalCount edges { node { id } } } } }
      pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""


async def _as(client_for: ClientFor, who: Consumer, document: str, **variables: Any) -> Any:
    async with client_for(who) as http:
        response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def _usccs(body: dict[str, Any]) -> list[str]:
    members = body["data"]["association"]["members"]
    return [edge["node"]["uscc"] for edge in members["edges"]]


# -- reading the roll --------------------------------------------------------------------------
async def test_an_association_lists_its_members_with_the_records_shared_with_it(
    client_for: ClientFor,
) -> None:
    body = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1.lower())
    assert "errors" not in body, body
    members = body["data"]["association"]["members"]
    assert members["totalCount"] == 2
    by_uscc = {edge["node"]["uscc"]: edge["node"] for edge in members["edges"]}
    assert set(by_uscc) == {E1, E5}
    assert by_uscc[E1]["blackListed"] is True and by_uscc[E5]["redListed"] is True
    # A member's records as the member rule shares them: R4 is past its publication window
    # (not public) but its association sees it — the same answer as asking for E1 directly.
    penalties = {e["node"]["id"] for e in by_uscc[E1]["records"]["edges"]}
    assert {R1["uid"], R4["uid"]} <= penalties
    direct = await _as(
        client_for,
        ASSOCIATION_A1,
        "query($u: String!) { enterprise(uscc: $u) { records(kinds: [PENALTY]) "
        "{ edges { node { id } } } } }",
        u=E1,
    )
    assert penalties == {e["node"]["id"] for e in direct["data"]["enterprise"]["records"]["edges"]}
    public = await _as(
        client_for,
        PUBLIC,
        "query($u: String!) { enterprise(uscc: $u) { records(kinds: [PENALTY]) "
        "{ edges { node { id } } } } }",
        u=E1,
    )
    assert R4["uid"] not in {
        e["node"]["id"] for e in public["data"]["enterprise"]["records"]["edges"]
    }


async def test_the_roll_is_one_cypher_query_and_audited_per_member(
    client_for: ClientFor, db: Database
) -> None:
    with QueryLog() as log:
        body = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, since="2020-01-01")
    assert body["data"]["association"]["members"]["totalCount"] == 1
    # The roll, every member's fields and records: one compiled read; and the audit entry.
    assert log.reads == 1 and log.count == 2
    request = body["extensions"]["access"]["requestId"]
    [entry] = await db.read(
        "MATCH (a:AuditEntry {requestId: $r}) RETURN a.orgCode AS org, a.subjects AS subjects",
        {"r": request},
    )
    # The member looked at is in the entry, so its accessLog shows the association.
    assert entry["org"] == A1 and entry["subjects"] == [E1]


async def test_filters_adverse_records_since_a_day_and_lists(client_for: ClientFor) -> None:
    recent = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, since="2026-01-01")
    assert _usccs(recent) == [E1]  # R1, 2026-03-10; E5 has licences only
    none = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, since="2026-06-01")
    assert none["data"]["association"]["members"]["totalCount"] == 0
    black = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, listed="BLACK")
    red = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, listed="RED")
    assert (_usccs(black), _usccs(red)) == ([E1], [E5])


@pytest.mark.usefixtures("second_association")
async def test_adverse_filter_counts_only_records_shared_with_the_asker(
    client_for: ClientFor,
) -> None:
    # M2's penalty is repaired: the credit office still sees it; a department that did not
    # provide it does not, so the filter must not reveal it either.
    office = await _as(client_for, OFFICE, MEMBERS, code=A2, since="2026-01-01")
    assert sorted(_usccs(office)) == sorted([M1, M2])
    department = await _as(client_for, HOUSING_DEPT, MEMBERS, code=A2, since="2026-01-01")
    assert _usccs(department) == [M1]


@pytest.mark.usefixtures("second_association")
async def test_grade_filter_where_grades_are_shared(client_for: ClientFor) -> None:
    own = await _as(client_for, ASSOCIATION_A2, MEMBERS, code=A2, grades=["A"])
    assert _usccs(own) == [M1]
    office = await _as(client_for, OFFICE, MEMBERS, code=A2, grades=["B", "C"])
    assert _usccs(office) == [M2]  # M3 is graded B but not a member


async def test_pages_with_cursors(client_for: ClientFor) -> None:
    first = await _as(client_for, ASSOCIATION_A1, MEMBERS, code=A1, first=1)
    page = first["data"]["association"]["members"]
    assert page["totalCount"] == 2 and len(page["edges"]) == 1
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _as(
        client_for, ASSOCIATION_A1, MEMBERS, code=A1, first=1, after=page["pageInfo"]["endCursor"]
    )
    second = rest["data"]["association"]["members"]
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["edges"][0]["cursor"],
    }
    names = [page["edges"][0]["node"]["name"], second["edges"][0]["node"]["name"]]
    assert names == sorted(names) and _usccs(first) + _usccs(rest) != [E1, E1]


@pytest.mark.usefixtures("second_association")
@pytest.mark.parametrize(
    ("who", "reason", "citation"),
    [
        (ASSOCIATION_A2, "NOT_YOUR_OWN", "consumers.ASSOCIATION.own ∋ membership"),
        (BANK_B1, "NOT_SHARED", "consumers.BANK.classes ∌ membership"),
        (PUBLIC, "NOT_SHARED", "consumers.PUBLIC.classes ∌ membership"),
        (org(OrgKind.ENTERPRISE, E1), "NOT_SHARED", "consumers.ENTERPRISE.classes ∌ membership"),
    ],
    ids=["other association", "bank", "public", "a member itself"],
)
async def test_anyone_else_gets_the_roll_withheld_with_reason_and_citation(
    client_for: ClientFor, who: Consumer, reason: str, citation: str
) -> None:
    body = await _as(client_for, who, MEMBERS, code=A1)
    assert "errors" not in body, body
    assert body["data"]["association"]["code"] == A1
    assert body["data"]["association"]["members"] is None
    [withheld] = body["extensions"]["access"]["withheld"]
    assert withheld["path"] == ["association", "members"]
    assert (withheld["field"], withheld["reason"]) == ("Association.members", reason)
    assert "types.Association.fields.members.class = membership" in withheld["citation"]
    assert citation in withheld["citation"]
    assert E1 not in json.dumps(body) or who.org_code == E1


async def test_departments_and_the_credit_office_list_any_roll(client_for: ClientFor) -> None:
    for who in (HOUSING_DEPT, OFFICE):
        body = await _as(client_for, who, MEMBERS, code=A1)
        assert sorted(_usccs(body)) == sorted([E1, E5]), body


async def test_an_unknown_or_malformed_code(client_for: ClientFor) -> None:
    unknown = await _as(client_for, OFFICE, MEMBERS, code=make_uscc("51", "410481", "XH000099"))
    assert unknown["data"] == {"association": None}
    async with client_for(OFFICE) as http:
        [error] = await errors(http, MEMBERS, code="51410481XH00000")
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"


# -- keeping the roll --------------------------------------------------------------------------
ADD = """mutation($e: String!, $since: Date!, $a: String) {
  addMembership(enterprise: $e, since: $since, association: $a) {
    association enterprise enterpriseName since until current } }"""
END = """mutation($e: String!, $until: Date!, $a: String) {
  endMembership(enterprise: $e, until: $until, reason: "会员主动退会", association: $a) {
    association enterprise since until current endReason } }"""
M3_RECORDS = """query($u: String!) { enterprise(uscc: $u) {
  records(kinds: [PENALTY]) { totalCount } } }"""


async def _refused(client_for: ClientFor, who: Consumer, document: str, **v: Any) -> Any:
    async with client_for(who) as http:
        [error] = await errors(http, document, **v)
    return error


@pytest.mark.usefixtures("second_association")
async def test_an_association_adds_and_ends_its_own_memberships(
    client_for: ClientFor, db: Database
) -> None:
    today = china_today()
    # Not a member yet: the unpublished record is not the chamber's to see.
    async with client_for(ASSOCIATION_A2) as http:
        before = await query(http, M3_RECORDS, u=M3)
        assert before["enterprise"]["records"]["totalCount"] == 0
        added = await query(http, ADD, e=M3.lower(), since="2025-06-01")
    assert added["addMembership"] == {
        "association": A2,
        "enterprise": M3,
        "enterpriseName": "会员测试丙建材有限公司",
        "since": "2025-06-01",
        "until": None,
        "current": True,
    }
    body = await _as(client_for, ASSOCIATION_A2, MEMBERS, code=A2)
    assert M3 in _usccs(body)
    async with client_for(ASSOCIATION_A2) as http:
        member = await query(http, M3_RECORDS, u=M3)
    assert member["enterprise"]["records"]["totalCount"] == 1

    again = await _refused(client_for, ASSOCIATION_A2, ADD, e=M3, since="2025-07-01")
    assert again["extensions"]["code"] == "WRONG_STATE"
    future = await _refused(
        client_for,
        ASSOCIATION_A2,
        ADD,
        e=M1,
        since=(today + datetime.timedelta(days=3)).isoformat(),
    )
    assert future["extensions"]["code"] == "INVALID_ARGUMENT"

    async with client_for(ASSOCIATION_A2) as http:
        ended = await query(http, END, e=M3, until=today.isoformat())
    assert ended["endMembership"] == {
        "association": A2,
        "enterprise": M3,
        "since": "2025-06-01",
        "until": today.isoformat(),
        "current": False,
        "endReason": "会员主动退会",
    }
    # No longer a member: off the roll, its non-public records closed to the chamber again,
    # but the membership stays as history.
    body = await _as(client_for, ASSOCIATION_A2, MEMBERS, code=A2)
    assert M3 not in _usccs(body)
    async with client_for(ASSOCIATION_A2) as http:
        after = await query(http, M3_RECORDS, u=M3)
        gone = await query(
            http, "query($u: String!) { enterprise(uscc: $u) { associations { code } } }", u=M3
        )
    assert after["enterprise"]["records"]["totalCount"] == 0
    assert gone["enterprise"]["associations"] == []
    [kept] = await db.read(
        "MATCH (:Enterprise {uscc: $m})-[m:MEMBER_OF]->(:Association {code: $a}) "
        "RETURN m.since AS since, m.until AS until, m.endReason AS reason",
        {"m": M3, "a": A2},
    )
    assert kept["until"].to_native() == today and kept["reason"] == "会员主动退会"
    not_member = await _refused(client_for, ASSOCIATION_A2, END, e=M3, until=today.isoformat())
    assert not_member["extensions"]["code"] == "WRONG_STATE"

    events = await db.read(
        "MATCH (ev:Event)-[:CONCERNS]->(:Enterprise {uscc: $m}) "
        "MATCH (ev)-[:CONCERNS]->(:Association {code: $a}) "
        "RETURN ev.type AS type, ev.actorCode AS actor ORDER BY ev.at",
        {"m": M3, "a": A2},
    )
    assert [(e["type"], e["actor"]) for e in events] == [
        ("MEMBERSHIP_ADDED", A2),
        ("MEMBERSHIP_ENDED", A2),
    ]
    audits = await db.read(
        "MATCH (a:AuditEntry) WHERE a.action IN ['add_membership', 'end_membership'] "
        "AND $m IN a.subjects RETURN a.action AS action, a.orgCode AS org ORDER BY a.at",
        {"m": M3},
    )
    assert [(a["action"], a["org"]) for a in audits] == [
        ("add_membership", A2),
        ("end_membership", A2),
    ]

    # The credit office records a new period on the chamber's behalf; the old one is kept.
    early = await _refused(client_for, OFFICE, ADD, e=M3, since="2025-07-01", a=A2)
    assert early["extensions"]["code"] == "INVALID_ARGUMENT"
    async with client_for(OFFICE) as http:
        rejoined = await query(http, ADD, e=M3, since=today.isoformat(), a=A2)
    assert rejoined["addMembership"]["current"] is True
    periods = await db.read(
        "MATCH (:Enterprise {uscc: $m})-[m:MEMBER_OF]->(:Association {code: $a}) "
        "RETURN m.until AS until ORDER BY m.since",
        {"m": M3, "a": A2},
    )
    assert [p["until"] is None for p in periods] == [False, True]


@pytest.mark.usefixtures("second_association")
async def test_only_the_association_itself_or_the_credit_office_keeps_a_roll(
    client_for: ClientFor,
) -> None:
    other = await _refused(client_for, ASSOCIATION_A2, ADD, e=E1, since="2025-01-01", a=A1)
    assert other["extensions"]["code"] == "FORBIDDEN"
    assert "operations.manageMembership.on_behalf" in other["message"]
    bank = await _refused(client_for, BANK_B1, ADD, e=E1, since="2025-01-01", a=A1)
    assert bank["extensions"]["code"] == "FORBIDDEN"
    office = await _refused(client_for, OFFICE, ADD, e=E1, since="2025-01-01")
    assert office["extensions"]["code"] == "FORBIDDEN"  # acts on behalf: names the association
    unknown = await _refused(client_for, ASSOCIATION_A2, ADD, e=M1[:-1] + "0", since="2025-01-01")
    assert unknown["extensions"]["code"] == "NOT_FOUND"


# -- issue 16, defect 9 ------------------------------------------------------------------------
BY_ID = "query($id: String) { person(idNumber: $id) { key nameMasked enterprises { uscc } } }"


def _has_personal_class(consumer: Consumer) -> bool:
    entry = default_catalogue().consumers[consumer.org_kind.value]
    return "personal" in entry.get("classes", [])


def test_the_id_lookup_operation_is_given_to_exactly_the_kinds_with_the_personal_class() -> None:
    catalogue = default_catalogue()
    with_personal = {
        kind for kind, entry in catalogue.consumers.items() if "personal" in entry["classes"]
    }
    assert set(catalogue.operations["identifyPerson"]["kinds"]) == with_personal


async def test_only_consumers_with_the_personal_class_may_look_a_person_up_by_id(
    client_for: ClientFor,
) -> None:
    for asker in ASKERS:
        body = await _as(client_for, asker.consumer, BY_ID, id=P1_ID)
        if _has_personal_class(asker.consumer):
            assert body["data"]["person"]["key"] == P1, (asker.name, body)
            continue
        # Refused before anything is read: not even whether the number belongs to someone.
        assert body["data"] in (None, {"person": None}), (asker.name, body)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "PERSONAL_DATA", (asker.name, error)
        assert "operations.identifyPerson" in error["message"]
        assert P1_ID[6:14] not in json.dumps(body)
    assert not _has_personal_class(PUBLIC)
