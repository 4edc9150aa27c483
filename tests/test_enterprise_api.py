"""The core read API about enterprises: what a bank's credit check and a department read."""

from __future__ import annotations

import httpx

from tests.fixtures import A1, E1, E2, E3, E4, E5, P1, P2, R1, R2, R3, R4, R5_V1, R5_V2
from tests.graphql import errors, query


async def test_enterprise_by_uscc_returns_its_registration(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) {
            uscc name category categoryLabel region entityType status foundedOn address
            registeredCapital businessScope industry } }""",
        u=E1,
    )
    assert data["enterprise"] == {
        "uscc": E1,
        "name": "舞钢市鑫源钢铁有限公司",
        "category": "91",
        "categoryLabel": "企业",
        "region": "410481",
        "entityType": "有限责任公司(自然人投资或控股)",
        "status": "ACTIVE",
        "foundedOn": "2008-04-12",
        "address": "舞钢市垭口街道建设路18号",
        "registeredCapital": 5000.0,
        "businessScope": "钢材冶炼、轧制及销售",
        "industry": "制造业",
    }


async def test_uscc_is_matched_case_and_space_insensitively(client: httpx.AsyncClient) -> None:
    data = await query(
        client, "query($u: String!) { enterprise(uscc: $u) { uscc } }", u=f"  {E1.lower()} "
    )
    assert data["enterprise"] == {"uscc": E1}


async def test_unknown_but_valid_uscc_is_null(client: httpx.AsyncClient) -> None:
    data = await query(client, '{ enterprise(uscc: "91310110666007217T") { name } }')
    assert data["enterprise"] is None


async def test_invalid_uscc_gets_a_clear_error(client: httpx.AsyncClient) -> None:
    [error] = await errors(client, '{ enterprise(uscc: "91350203M0001QAY9B") { name } }')
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "统一社会信用代码" in error["message"] and "uscc" in error["message"]
    assert "Traceback" not in error["message"]


async def test_legal_representative_and_their_other_enterprises(
    client: httpx.AsyncClient,
) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) { legalRepresentative {
            key name nameMasked enterprises(excludeUscc: $u) { uscc name status } } } }""",
        u=E1,
    )
    rep = data["enterprise"]["legalRepresentative"]
    assert rep["key"] == P1 and rep["name"] == "张伟" and rep["nameMasked"] == "张*"
    assert [e["uscc"] for e in rep["enterprises"]] == [E3, E2]  # by name: 中原 < 宏达
    assert rep["enterprises"][0]["status"] == "CANCELLED"


async def test_people_behind_an_enterprise_with_roles(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) {
            people { role title share person { key } }
            principals: people(roles: [PRINCIPAL]) { title person { name } } } }""",
        u=E1,
    )
    people = data["enterprise"]["people"]
    assert {(p["role"], p["person"]["key"]) for p in people} == {
        ("LEGAL_REPRESENTATIVE", P1),
        ("ACTUAL_CONTROLLER", P1),
        ("SHAREHOLDER", P1),
        ("PRINCIPAL", P2),
    }
    assert data["enterprise"]["principals"] == [{"title": "总经理", "person": {"name": "李娜"}}]


async def test_shareholders_are_persons_or_enterprises(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) { shareholders {
            share person { key }
            enterprise { uscc investments { share enterprise { uscc } } } } } }""",
        u=E1,
    )
    assert data["enterprise"]["shareholders"] == [
        {"share": 0.6, "person": {"key": P1}, "enterprise": None},
        {
            "share": 0.4,
            "person": None,
            "enterprise": {"uscc": E4, "investments": [{"share": 0.4, "enterprise": {"uscc": E1}}]},
        },
    ]


async def test_associations_of_a_member(client: httpx.AsyncClient) -> None:
    data = await query(
        client, "query($u: String!) { enterprise(uscc: $u) { associations { code name } } }", u=E5
    )
    assert data["enterprise"]["associations"] == [{"code": A1, "name": "舞钢市钢铁行业协会"}]


RECORDS = """query($u: String!, $kinds: [RecordKind!], $statuses: [RecordStatus!],
  $from: Date, $to: Date, $history: Boolean! = false, $first: Int, $after: String) {
  enterprise(uscc: $u) { records(kinds: $kinds, statuses: $statuses, decidedFrom: $from,
      decidedTo: $to, includeHistory: $history, first: $first, after: $after) {
    totalCount edges { cursor node { id kind status version current } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


def _ids(data: dict[str, object]) -> list[str]:
    records = data["enterprise"]["records"]  # type: ignore[index]
    return [edge["node"]["id"] for edge in records["edges"]]


async def test_records_are_current_versions_newest_first(client: httpx.AsyncClient) -> None:
    data = await query(client, RECORDS, u=E1)
    assert _ids(data) == [R1["uid"], R2["uid"], R3["uid"], R5_V2["uid"], R4["uid"]]
    assert data["enterprise"]["records"]["totalCount"] == 5


async def test_history_includes_corrected_versions(client: httpx.AsyncClient) -> None:
    data = await query(client, RECORDS, u=E1, history=True)
    assert R5_V1["uid"] in _ids(data)
    assert data["enterprise"]["records"]["totalCount"] == 6


async def test_records_filter_by_kind_status_and_date(client: httpx.AsyncClient) -> None:
    penalties = await query(client, RECORDS, u=E1, kinds=["PENALTY"])
    assert _ids(penalties) == [R1["uid"], R2["uid"], R4["uid"]]
    repaired = await query(client, RECORDS, u=E1, statuses=["REPAIRED"])
    assert _ids(repaired) == [R2["uid"]]
    in_2024_2025 = await query(client, RECORDS, u=E1, **{"from": "2024-01-01", "to": "2025-12-31"})
    assert _ids(in_2024_2025) == [R2["uid"], R3["uid"]]
    assert in_2024_2025["enterprise"]["records"]["totalCount"] == 2


async def test_a_misspelt_variable_is_the_callers_error_not_an_internal_one(
    client: httpx.AsyncClient,
) -> None:
    [error] = await errors(client, RECORDS, u=E1, kinds=["PENALTYY"])
    assert "PENALTYY" in error["message"] and "内部错误" not in error["message"]
    [error] = await errors(client, RECORDS, u=E1, **{"from": "2024-13-01"})
    assert "2024-13-01" in error["message"]


async def test_records_page_with_cursors(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = await query(client, RECORDS, u=E5, first=10, after=after)
        connection = data["enterprise"]["records"]
        assert connection["totalCount"] == 25
        seen += _ids(data)
        pages += 1
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] == (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 3 and len(seen) == 25 == len(set(seen))


async def test_a_forged_cursor_is_refused(client: httpx.AsyncClient) -> None:
    [error] = await errors(client, RECORDS, u=E5, after="bm90LWEtY3Vyc29y")
    assert "cursor" in error["message"]


async def test_record_details_version_chain_and_provider(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) {
          records(kinds: [LICENSE]) { edges { node { id version title
            previousVersion { id status current } history { id }
            provider { shortName } } } } } }""",
        u=E1,
    )
    nodes = [e["node"] for e in data["enterprise"]["records"]["edges"]]
    corrected = next(n for n in nodes if n["id"] == R5_V2["uid"])
    assert corrected["version"] == 2 and corrected["title"] == "食品经营许可(更正)"
    assert corrected["previousVersion"] == {
        "id": R5_V1["uid"],
        "status": "SUPERSEDED",
        "current": False,
    }
    assert corrected["history"] == [{"id": R5_V1["uid"]}]
    assert corrected["provider"] == {"shortName": "市市场监管局"}


async def test_publication_window_excludes_repaired_and_expired(
    client: httpx.AsyncClient,
) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) {
        records { edges { node { id inPublicationWindow } } } } }""",
        u=E1,
    )
    shown = {
        e["node"]["id"]: e["node"]["inPublicationWindow"]
        for e in data["enterprise"]["records"]["edges"]
    }
    assert shown[R1["uid"]] is True
    assert shown[R2["uid"]] is False  # repaired
    assert shown[R4["uid"]] is False  # its window ended in 2022


async def test_list_entries_with_linked_persons_and_measures(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) { blackListed redListed
          listEntries { totalCount edges { node { id listType listName status decidedBy
            { shortName } linkedPersons { role person { key } }
            sanctions { id status measure { code business } } } } } } }""",
        u=E1,
    )
    enterprise = data["enterprise"]
    assert enterprise["blackListed"] is True and enterprise["redListed"] is False
    [entry] = [e["node"] for e in enterprise["listEntries"]["edges"]]
    assert entry["id"] == "LE-1" and entry["listType"] == "BLACK"
    assert entry["decidedBy"] == {"shortName": "市发改委"}
    assert entry["linkedPersons"] == [{"role": "LEGAL_REPRESENTATIVE", "person": {"key": P1}}]
    assert [(s["id"], s["measure"]["business"]) for s in entry["sanctions"]] == [
        ("SN-1", "政府采购"),
        ("SN-2", "招投标"),
    ]


async def test_removed_black_list_entry_no_longer_marks_the_enterprise(
    client: httpx.AsyncClient,
) -> None:
    data = await query(
        client,
        """query($a: String!, $b: String!) {
        removed: enterprise(uscc: $a) { blackListed listEntries(statuses: [REMOVED]) {
          totalCount } sanctions { edges { node { status } } } }
        red: enterprise(uscc: $b) { redListed listEntries(listType: BLACK) { totalCount } } }""",
        a=E2,
        b=E5,
    )
    assert data["removed"]["blackListed"] is False
    assert data["removed"]["listEntries"]["totalCount"] == 1
    assert [e["node"]["status"] for e in data["removed"]["sanctions"]["edges"]] == ["LIFTED"]
    assert data["red"] == {"redListed": True, "listEntries": {"totalCount": 0}}


async def test_sanctions_filter_by_status(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!) { enterprise(uscc: $u) {
        active: sanctions(statuses: [ACTIVE]) { totalCount }
        lifted: sanctions(statuses: [LIFTED]) { totalCount } } }""",
        u=E1,
    )
    assert data["enterprise"] == {"active": {"totalCount": 2}, "lifted": {"totalCount": 0}}


async def test_aliases_fragments_and_directives_are_honoured(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        """query($u: String!, $withName: Boolean!) { enterprise(uscc: $u) {
            ...Basics
            name @include(if: $withName)
            licences: records(kinds: [LICENSE]) { totalCount }
            penalties: records(kinds: [PENALTY]) { totalCount edges { n: node { kind } } }
            ... on Enterprise { status @skip(if: true) }
          } }
          fragment Basics on Enterprise { code: uscc }""",
        u=E1,
        withName=False,
    )
    assert data["enterprise"] == {
        "code": E1,
        "licences": {"totalCount": 2},
        "penalties": {"totalCount": 3, "edges": [{"n": {"kind": "PENALTY"}}] * 3},
    }


async def test_catalogues(client: httpx.AsyncClient) -> None:
    data = await query(
        client,
        "{ departments { shortName sector } measures { code name category }"
        " associations { name } }",
    )
    assert {"shortName": "市发改委", "sector": "发展改革"} in data["departments"]
    assert [m["code"] for m in data["measures"]] == ["M01", "M02"]
    assert data["measures"][0]["category"] == "ADMINISTRATIVE"
    assert data["associations"] == [{"name": "舞钢市钢铁行业协会"}]
