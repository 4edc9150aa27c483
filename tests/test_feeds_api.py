"""Submitting feeds through the API: the same pipeline as `credithub load`, behind the catalogues.

A department submits rows, one record or a file; the sharing catalogue's `operations` decide who
may submit and whose batches one may read, the collection catalogue which feed kinds an
organisation sends. The fixture graph is put back after the module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authz.identity import OrgKind
from graph.database import Database
from tests.conftest import ClientFor
from tests.consumers import ADMIN, ASKERS
from tests.fixtures import COURT, E1, SAMR, TAX, load_fixture_graph
from tests.graphql import errors, query

MARKET = next(a.consumer for a in ASKERS if a.name == "department (market)")
BANK = next(a.consumer for a in ASKERS if a.name == "bank with consent")
HOUSING = next(a.consumer for a in ASKERS if a.name == "department (no ID duty)")

SUBMIT_ROWS = """mutation($rows: [JSON!], $kind: String, $supplier: String) {
  submitFeed(kind: $kind, rows: $rows, supplier: $supplier) {
    batch { id kind kindLabel supplier status rowsRead new newVersions unchanged quarantined
            quarantinedByReason { code rows } }
    refused { rowNumber problems { field fieldLabel code reason } cells } } }"""

SUBMIT_RECORD = """mutation($row: JSON!) {
  submitRecord(kind: "license", row: $row) {
    batch { new quarantined } refused { rowNumber problems { field fieldLabel code } } } }"""


def licence(number: str, **overrides: Any) -> dict[str, Any]:
    """A licence row keyed by the national Chinese headers, issued by the market regulator."""
    row = {
        "行政相对人名称": "舞钢市鑫源钢铁有限公司",
        "相对人类别": "法人及非法人组织",
        "统一社会信用代码": E1,
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": number,
        "许可类别": "普通",
        "许可内容": "预包装食品销售",
        "许可决定日期": "2026-01-05",
        "有效期自": "2026-01-05",
        "有效期至": "2031-01-04",
        "许可机关": "舞钢市市场监督管理局",
        "许可机关统一社会信用代码": SAMR,
    }
    row.update(overrides)
    return row


@pytest.fixture(scope="module")
async def market(db: Database, client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """The market regulator's client; the fixture graph is restored after the module."""
    async with client_for(MARKET) as http:
        yield http
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def test_a_department_submits_rows_and_sees_what_was_refused_and_why(
    market: httpx.AsyncClient,
) -> None:
    bad = licence("舞市监许〔2026〕502号", 许可类别="一般")
    data = await query(
        market, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕501号"), bad]
    )
    result = data["submitFeed"]
    assert result["batch"]["supplier"] == SAMR and result["batch"]["kindLabel"] == "行政许可"
    assert (result["batch"]["new"], result["batch"]["quarantined"]) == (1, 1)
    [refused] = result["refused"]
    assert refused["rowNumber"] == 2
    assert refused["problems"] == [
        {
            "field": "category",
            "fieldLabel": "许可类别",
            "code": "NOT_IN_LIST",
            "reason": refused["problems"][0]["reason"],
        }
    ]
    assert refused["cells"]["许可类别"] == "一般", "the row is kept as sent"
    again = await query(
        market, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕501号"), bad]
    )
    assert again["submitFeed"]["batch"]["id"] == result["batch"]["id"]
    assert again["submitFeed"]["batch"]["unchanged"] == 1, "the same rows again change nothing"


async def test_one_record_with_a_bad_code_is_refused_with_the_field(
    market: httpx.AsyncClient,
) -> None:
    wrong = E1[:17] + ("0" if E1[17] != "0" else "1")
    data = await query(
        market, SUBMIT_RECORD, row=licence("舞市监许〔2026〕511号", 统一社会信用代码=wrong)
    )
    [refused] = data["submitRecord"]["refused"]
    assert refused["problems"] == [
        {"field": "subjectUscc", "fieldLabel": "统一社会信用代码", "code": "USCC_CHECK_CHAR"}
    ]


async def test_a_department_uploads_a_gbk_csv_file(market: httpx.AsyncClient) -> None:
    row = licence("舞市监许〔2026〕521号")
    csv_text = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    operations = {
        "query": 'mutation($file: Upload!) { submitFeed(file: $file, fileName: "许可.csv") '
        "{ batch { kind new fileName } } }",
        "variables": {"file": None},
    }
    response = await market.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("许可.csv", csv_text.encode("gbk"), "text/csv")},
        # Multipart only with a header a cross-site form cannot send (hub/guards/cross_site.py).
        headers={"X-Credithub-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["submitFeed"]["batch"] == {
        "kind": "license",
        "new": 1,
        "fileName": "许可.csv",
    }


async def test_the_public_cannot_send_a_feed_sized_body(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/graphql",
        data={"operations": "{}", "map": "{}"},
        files={"0": ("big.csv", b"x" * 100_000, "text/csv")},
        headers={"X-Credithub-Request": "1"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("asker", [BANK, None], ids=["bank", "public"])
async def test_only_departments_associations_and_the_credit_office_submit(
    client_for: ClientFor, asker: Any, anon: httpx.AsyncClient
) -> None:
    if asker is None:
        [error] = await errors(anon, SUBMIT_ROWS, kind="license", rows=[licence("x")])
    else:
        async with client_for(asker) as http:
            [error] = await errors(http, SUBMIT_ROWS, kind="license", rows=[licence("x")])
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "operations.submitFeed" in error["message"]


async def test_a_department_submits_for_itself_only_the_credit_office_for_anyone(
    market: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    [error] = await errors(market, SUBMIT_ROWS, kind="license", rows=[licence("x")], supplier=TAX)
    assert error["extensions"]["code"] == "FORBIDDEN"
    data = await query(
        client, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕531号")], supplier=SAMR
    )
    assert data["submitFeed"]["batch"]["new"] == 1


async def test_a_feed_kind_outside_the_collection_catalogue_is_refused_whole(
    client: httpx.AsyncClient,
) -> None:
    registration = {"统一社会信用代码": E1, "企业名称": "x", "登记状态": "存续"}
    [error] = await errors(
        client, SUBMIT_ROWS, kind="registration", rows=[registration], supplier=COURT
    )
    assert error["extensions"]["code"] == "FEED_REFUSED"
    assert "信用信息采集目录" in error["message"]


async def test_batches_and_quarantine_are_shown_to_their_supplier_only(
    market: httpx.AsyncClient, client_for: ClientFor
) -> None:
    data = await query(
        market, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕541号", 许可类别="?")]
    )
    batch = data["submitFeed"]["batch"]["id"]
    mine = await query(market, "{ feedBatches { id supplier } }")
    assert batch in {b["id"] for b in mine["feedBatches"]}
    assert {b["supplier"] for b in mine["feedBatches"]} == {SAMR}
    rows = await query(
        market, "query($b: String!) { quarantine(batchId: $b) { rowNumber } }", b=batch
    )
    assert rows["quarantine"] == [{"rowNumber": 1}]
    async with client_for(HOUSING) as other:
        [error] = await errors(
            other, "query($b: String!) { quarantine(batchId: $b) { rowNumber } }", b=batch
        )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_publication_timeliness_reports_late_licences_by_working_days(
    market: httpx.AsyncClient,
) -> None:
    await query(market, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕551号")])
    data = await query(
        market,
        """{ publicationTimeliness(decidedFrom: "2026-01-01", decidedTo: "2026-01-31") {
             department total onTime late { documentNumber publishBy workingDaysLate } } }""",
    )
    [mine] = data["publicationTimeliness"]
    assert mine["department"] == SAMR and mine["onTime"] == 0
    late = {item["documentNumber"]: item for item in mine["late"]}
    assert late["舞市监许〔2026〕551号"]["publishBy"] == "2026-01-14"
    assert late["舞市监许〔2026〕551号"]["workingDaysLate"] > 200


async def test_the_credit_office_sees_every_departments_timeliness(
    client: httpx.AsyncClient,
) -> None:
    data = await query(
        client,
        """{ publicationTimeliness(decidedFrom: "2026-01-01", decidedTo: "2026-12-31")
             { department } }""",
    )
    assert SAMR in {d["department"] for d in data["publicationTimeliness"]}
    assert ADMIN.org_kind is OrgKind.ADMIN


async def test_a_submitted_record_shows_its_provenance_and_deadline(
    market: httpx.AsyncClient, client: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    submitted = await query(
        market, SUBMIT_ROWS, kind="license", rows=[licence("舞市监许〔2026〕561号")]
    )
    batch = submitted["submitFeed"]["batch"]["id"]
    document = """query($u: String!) { enterprise(uscc: $u) {
        records(first: 100, kinds: [LICENSE]) { edges { node {
          documentNumber publishBy firstPublishedOn batchId sourceRow } } } } }"""
    data = await query(client, document, u=E1)
    [node] = [
        e["node"]
        for e in data["enterprise"]["records"]["edges"]
        if e["node"]["documentNumber"] == "舞市监许〔2026〕561号"
    ]
    assert (node["batchId"], node["sourceRow"], node["publishBy"]) == (batch, 1, "2026-01-14")
    public = await anon.post("/graphql", json={"query": document, "variables": {"u": E1}})
    nodes = [e["node"] for e in public.json()["data"]["enterprise"]["records"]["edges"]]
    assert all(n["batchId"] is None for n in nodes), "provenance is not public"


async def test_the_supplier_downloads_its_quarantine_as_csv_for_excel(
    market: httpx.AsyncClient, client_for: ClientFor
) -> None:
    data = await query(
        market,
        SUBMIT_ROWS,
        kind="license",
        rows=[licence("舞市监许〔2026〕571号", 许可类别="=1+1")],
    )
    batch = data["submitFeed"]["batch"]["id"]
    response = await market.get(f"/feeds/{batch}/quarantine.csv")
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("行号,问题字段,原因代码,原因")
    assert "'=1+1" in text, "a formula-looking cell is exported inert"
    async with client_for(HOUSING) as other:
        assert (await other.get(f"/feeds/{batch}/quarantine.csv")).status_code == 403
    async with client_for(BANK) as bank:
        assert (await bank.get(f"/feeds/{batch}/quarantine.csv")).status_code == 403
