"""公共信用信息报告 (三(三)): issued per consumer, rendered as HTML and PDF, verified by number.

The report is read through the schema as the consumer who asks, so the sharing catalogue
decides the edition: the enterprise itself and a bank with its consent get the full edition,
everyone else the public one. Repaired and expired records are left out of both. The number
verifies publicly, showing the content hash that anyone can recompute from the stored content.

Besides the fixture graph, this module gives E1 an unpublished 轻微 penalty (shared with the
enterprise and consenting banks, never public) carrying a feed batch, and a title with markup.
The fixture graph is restored after the module.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Database
from graph.evaluation.model import default_model
from graph.evaluation.run import evaluate_all
from graph.identifiers import make_uscc
from graph.lifecycle.base import china_today
from hub.reports.content import EVALUATION_NOT_PUBLIC, numbered
from hub.reports.fonts import FONT_VARIABLE, PACKAGE, ReportFontMissing, font_file
from hub.reports.issuing import public_base_url
from hub.reports.pdf import PLATFORM
from hub.settings import Settings, SettingsError
from tests.conftest import ClientFor
from tests.fixtures import (
    B1,
    B2,
    CONSENT_PURPOSE,
    E1,
    E2,
    E5,
    R1,
    R2,
    R4,
    R5_V2,
    SAMR,
    load_fixture_graph,
)
from tests.graphql import errors, query
from tests.lifecycle import OFFICE, org

E1_ITSELF = org(OrgKind.ENTERPRISE, E1)
OTHER_ENTERPRISE = org(OrgKind.ENTERPRISE, E2)
CONSENTING_BANK = org(OrgKind.BANK, B1, purpose=CONSENT_PURPOSE)
BANK_OTHER_PURPOSE = org(OrgKind.BANK, B1, purpose="贷后管理")
BANK_WITHOUT_CONSENT = org(OrgKind.BANK, B2, purpose=CONSENT_PURPOSE)

UNKNOWN_USCC = make_uscc("91", "410481", "FX000099")
MINOR_NUMBER = "舞市监罚字〔2026〕第0099号"
MINOR_TITLE = "<b>占道经营</b>"
MINOR_BATCH = "BATCH-REPORT-TEST"

SECTIONS = [
    "基本信息",
    "行政管理",
    "诚实守信",
    "严重失信",
    "经营异常",
    "信用承诺",
    "信用评价",
    "司法判决",
    "其他",
]

ISSUE = """mutation($uscc: String!) { issueCreditReport(uscc: $uscc) {
  number uscc enterpriseName generatedAt cutoff edition contentHash htmlUrl pdfUrl verifyUrl } }"""

VERIFY = """query($number: String!) { verifyCreditReport(number: $number) {
  number uscc enterpriseName generatedAt cutoff edition contentHash } }"""

NUMBER = re.compile(r"^WG-\d{8}-[0-9A-HJKMNP-TV-Z]{10}$")


@pytest.fixture(scope="module", autouse=True)
async def unpublished_minor_penalty(db: Database) -> AsyncIterator[None]:
    """A 轻微 penalty of E1: current and effective, but never published (Order 36)."""
    key = f"PENALTY|{SAMR}|{MINOR_NUMBER}"
    await db.write(
        "MATCH (e:Enterprise {uscc: $e1}), (d:Department {code: $samr}) "
        "CREATE (r:Record {uid: $key + '#v1', key: $key, version: 1, current: true, "
        "kind: 'PENALTY', title: $title, documentNumber: $number, "
        "decisionDate: date('2026-10-10'), issuingAuthority: d.name, issuingAuthorityCode: $samr, "
        "severity: 'MINOR', category: '警告', content: '责令改正', status: 'EFFECTIVE', "
        "batchId: $batch, sourceRow: 7}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e) CREATE (r)-[:PROVIDED_BY]->(d)",
        {
            "e1": E1,
            "samr": SAMR,
            "key": key,
            "title": MINOR_TITLE,
            "number": MINOR_NUMBER,
            "batch": MINOR_BATCH,
        },
    )
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def issue(client_for: ClientFor, who: Consumer, uscc: str = E1) -> dict[str, Any]:
    """Issue a report on `uscc` as `who` through the GraphQL mutation."""
    async with client_for(who) as http:
        data = await query(http, ISSUE, uscc=uscc)
    report: dict[str, Any] = data["issueCreditReport"]
    return report


async def stored(db: Database, number: str) -> dict[str, Any]:
    """The stored node's properties, read straight from Neo4j."""
    [row] = await db.read(
        "MATCH (r:CreditReport {number: $number}) RETURN properties(r) AS r", {"number": number}
    )
    props: dict[str, Any] = row["r"]
    return props


async def content_of(db: Database, number: str) -> dict[str, Any]:
    """The stored content, decoded."""
    decoded: dict[str, Any] = json.loads((await stored(db, number))["content"])
    return decoded


def text_of(content: dict[str, Any]) -> str:
    """Every title and value of the content, for searching."""
    return json.dumps(content, ensure_ascii=False)


def section(content: dict[str, Any], title: str) -> dict[str, Any]:
    """The section with this title."""
    found: list[dict[str, Any]] = [s for s in content["sections"] if s["title"] == title]
    assert len(found) == 1, title
    return found[0]


async def get(client_for: ClientFor, who: Consumer, path: str) -> httpx.Response:
    """GET `path` as `who`."""
    async with client_for(who) as http:
        return await http.get(path)


# -- content -----------------------------------------------------------------------------------
async def test_the_public_report_of_e1_holds_its_current_penalty_but_no_repaired_or_expired_one(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC)
    assert report["edition"] == "PUBLIC"
    content = text_of(await content_of(db, report["number"]))
    assert R1["documentNumber"] in content  # the 2026 penalty, in its window
    assert R2["documentNumber"] not in content  # repaired
    assert R4["documentNumber"] not in content  # its publication period ended in 2022
    assert R5_V2["documentNumber"] not in content  # a licence whose window has ended
    assert MINOR_NUMBER not in content  # never published
    html = (await get(client_for, PUBLIC, report["htmlUrl"])).text
    assert R1["documentNumber"] in html
    assert R2["documentNumber"] not in html and R4["documentNumber"] not in html


async def test_the_report_has_the_standard_sections_in_order(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC)
    content = await content_of(db, report["number"])
    assert [s["title"] for s in content["sections"]] == SECTIONS
    html = (await get(client_for, PUBLIC, report["htmlUrl"])).text
    headings = re.findall(r"<h2 id=\"section-[a-z]+\">(.+?)</h2>", html)
    assert headings == [
        "信用概况",
        "一、基本信息",
        "二、行政管理",
        "三、诚实守信",
        "四、严重失信",
        "五、经营异常",
        "六、信用承诺",
        "七、信用评价",
        "八、司法判决",
        "九、其他",
        "报告说明",
    ]
    penalties = [g for g in section(content, "行政管理")["groups"] if g["title"] == "行政处罚"]
    assert [item["title"] for item in penalties[0]["items"]] == [R1["title"]]


async def test_e1_on_a_black_list_is_labelled_for_punishment_with_its_measures(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC)
    content = await content_of(db, report["number"])
    assert content["labels"] == ["失信惩戒对象"]
    [black_list] = [
        g for g in section(content, "严重失信")["groups"] if g["title"] == "严重失信主体名单"
    ]
    [entry] = black_list["items"]
    fields = dict(entry["fields"])
    assert entry["title"] == "严重失信主体名单"
    assert fields["认定文书号"] == "舞发改信〔2026〕3号"
    assert "限制参与政府采购" in fields["惩戒措施"] and "限制参与招标投标" in fields["惩戒措施"]
    html = (await get(client_for, PUBLIC, report["htmlUrl"])).text
    assert "失信惩戒对象" in html


async def test_e5_on_the_red_list_is_labelled_for_incentives(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC, E5)
    content = await content_of(db, report["number"])
    assert content["labels"] == ["守信激励对象"]
    [red_list] = [g for g in section(content, "诚实守信")["groups"] if g["title"] == "守信激励名单"]
    assert [item["title"] for item in red_list["items"]] == ["A级纳税人"]
    assert [g["items"] for g in section(content, "严重失信")["groups"]] == [[], [], []]


async def test_the_evaluation_section_of_the_public_edition_says_the_grade_is_not_public(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC)
    evaluation = section(await content_of(db, report["number"]), "信用评价")
    assert evaluation["text"] == EVALUATION_NOT_PUBLIC and evaluation["groups"] == []
    assert "不向社会公开" in (await get(client_for, PUBLIC, report["htmlUrl"])).text


# -- editions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "edition"),
    [
        (E1_ITSELF, "FULL"),
        (CONSENTING_BANK, "FULL"),
        (OFFICE, "FULL"),
        (BANK_WITHOUT_CONSENT, "PUBLIC"),
        (BANK_OTHER_PURPOSE, "PUBLIC"),
        (OTHER_ENTERPRISE, "PUBLIC"),
        (PUBLIC, "PUBLIC"),
    ],
    ids=[
        "enterprise itself",
        "bank with consent",
        "credit office",
        "bank without consent",
        "bank, purpose not consented",
        "other enterprise",
        "public",
    ],
)
async def test_the_edition_follows_what_the_catalogue_serves_the_consumer(
    client_for: ClientFor, db: Database, who: Consumer, edition: str
) -> None:
    report = await issue(client_for, who)
    assert report["edition"] == edition
    props = await stored(db, report["number"])
    assert props["edition"] == edition
    assert props.get("issuedTo") == who.org_code  # Neo4j keeps no null properties
    assert props["issuedToKind"] == who.org_kind.value
    content = text_of(await content_of(db, report["number"]))
    # Shared but unpublished data is in the full edition only; repaired and expired never.
    assert (MINOR_NUMBER in content) is (edition == "FULL")
    assert (MINOR_BATCH in content) is (edition == "FULL")
    assert R2["documentNumber"] not in content and R4["documentNumber"] not in content


async def test_the_full_edition_names_its_recipient_and_the_public_one_does_not(
    client_for: ClientFor, db: Database
) -> None:
    full = await content_of(db, (await issue(client_for, CONSENTING_BANK))["number"])
    assert full["recipient"]["code"] == B1
    assert full["recipient"]["purpose"] == CONSENT_PURPOSE
    public = await content_of(db, (await issue(client_for, BANK_WITHOUT_CONSENT))["number"])
    assert public["recipient"] is None
    assert B2 not in text_of(public)


# -- rendering ---------------------------------------------------------------------------------
async def test_the_html_header_shows_number_time_cutoff_edition_and_hash(
    client_for: ClientFor,
) -> None:
    report = await issue(client_for, PUBLIC)
    response = await get(client_for, PUBLIC, report["htmlUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<html lang="zh-CN">' in html
    for value in (report["number"], report["cutoff"], report["contentHash"], "公开版"):
        assert value in html
    assert report["generatedAt"][:10] in html and "北京时间" in html


async def test_department_supplied_text_is_escaped_in_the_html(client_for: ClientFor) -> None:
    report = await issue(client_for, E1_ITSELF)
    html = (await get(client_for, E1_ITSELF, report["htmlUrl"])).text
    assert "&lt;b&gt;占道经营&lt;/b&gt;" in html
    assert MINOR_TITLE not in html


async def test_the_pdf_is_a_real_pdf_with_number_and_hash_on_every_page(
    client_for: ClientFor,
) -> None:
    report = await issue(client_for, E1_ITSELF)
    response = await get(client_for, E1_ITSELF, report["pdfUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
    texts = [page.extract_text() for page in pages]
    for text in texts:
        assert report["number"] in text
        assert report["contentHash"] in text
    whole = "".join(texts)
    assert "公共信用信息报告" in whole and "舞钢市鑫源钢铁有限公司" in whole
    assert R1["documentNumber"] in whole and "完整版" in whole


# -- verification ------------------------------------------------------------------------------
async def test_verification_returns_the_hash_recomputed_from_the_stored_content(
    client_for: ClientFor, db: Database, anon: httpx.AsyncClient
) -> None:
    report = await issue(client_for, CONSENTING_BANK)
    props = await stored(db, report["number"])
    canonical = json.dumps(
        json.loads(props["content"]), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert canonical == props["content"]  # stored canonical, so the hash is reproducible
    recomputed = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    verified = (await query(anon, VERIFY, number=report["number"].lower()))["verifyCreditReport"]
    assert verified == {
        "number": report["number"],
        "uscc": E1,
        "enterpriseName": "舞钢市鑫源钢铁有限公司",
        "generatedAt": report["generatedAt"],
        "cutoff": report["cutoff"],
        "edition": "FULL",
        "contentHash": recomputed,
    }


async def test_the_verification_page_shows_the_proof_but_no_content(
    client_for: ClientFor,
) -> None:
    report = await issue(client_for, CONSENTING_BANK)
    response = await get(client_for, PUBLIC, report["verifyUrl"])
    assert response.status_code == 200
    html = response.text
    assert "核验通过" in html
    for value in (report["number"], E1, report["contentHash"], report["cutoff"], "完整版"):
        assert value in html
    assert R1["documentNumber"] not in html and MINOR_NUMBER not in html


async def test_an_unknown_number_verifies_as_not_found(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    unknown = "WG-20261129-0000000000"
    assert (await query(anon, VERIFY, number=unknown))["verifyCreditReport"] is None
    page = await get(client_for, PUBLIC, f"/reports/verify?number={unknown}")
    assert page.status_code == 404
    assert "未找到编号为 WG-20261129-0000000000 的信用报告" in page.text
    [error] = await errors(anon, VERIFY, number="no such thing")
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "WG-YYYYMMDD-XXXXXXXXXX" in error["message"]


# -- who may open a report ---------------------------------------------------------------------
async def test_a_full_report_is_refused_to_another_organisation(client_for: ClientFor) -> None:
    report = await issue(client_for, E1_ITSELF)
    for who in (OTHER_ENTERPRISE, BANK_WITHOUT_CONSENT, PUBLIC):
        for url in (report["htmlUrl"], report["pdfUrl"]):
            response = await get(client_for, who, url)
            assert response.status_code == 403, (who, url)
            assert "仅向报告出具对象和信用管理部门提供" in response.text
            assert R1["documentNumber"] not in response.text
    for who in (E1_ITSELF, OFFICE):
        assert (await get(client_for, who, report["htmlUrl"])).status_code == 200


async def test_a_public_report_opens_for_anyone_with_its_number(client_for: ClientFor) -> None:
    report = await issue(client_for, BANK_WITHOUT_CONSENT)
    for who in (PUBLIC, OTHER_ENTERPRISE):
        assert (await get(client_for, who, report["htmlUrl"])).status_code == 200
    missing = await get(client_for, PUBLIC, "/reports/WG-20261129-0000000000.html")
    assert missing.status_code == 404


# -- issuing -----------------------------------------------------------------------------------
async def test_issuing_for_an_unknown_uscc_is_a_clear_error(
    anon: httpx.AsyncClient, client_for: ClientFor
) -> None:
    [error] = await errors(anon, ISSUE, uscc=UNKNOWN_USCC)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert UNKNOWN_USCC in error["message"] and "无法出具信用报告" in error["message"]
    [invalid] = await errors(anon, ISSUE, uscc="91410481FX00009")
    assert invalid["extensions"]["code"] == "INVALID_ARGUMENT"
    page = await get(client_for, PUBLIC, f"/reports/new?uscc={UNKNOWN_USCC}")
    assert page.status_code == 404
    assert "无法出具信用报告" in page.text


async def test_numbers_are_readable_and_unique(client_for: ClientFor) -> None:
    numbers = {(await issue(client_for, PUBLIC))["number"] for _ in range(5)}
    assert len(numbers) == 5
    assert all(NUMBER.match(number) for number in numbers)


async def test_the_site_link_issues_a_public_report_and_redirects_to_it(
    client_for: ClientFor, db: Database
) -> None:
    async with client_for(PUBLIC) as http:
        response = await http.get(f"/reports/new?uscc={E1}")
        assert response.status_code == 303
        location = response.headers["location"]
        assert re.fullmatch(r"/reports/WG-\d{8}-[0-9A-Z]{10}\.html", location)
        page = await http.get(location)
        assert page.status_code == 200 and "公开版" in page.text
        posted = await http.post("/reports", data={"uscc": E5})
        assert posted.status_code == 303
        form = await http.get("/reports/new")
        assert form.status_code == 200 and 'name="uscc"' in form.text
    number = location.removeprefix("/reports/").removesuffix(".html")
    assert (await stored(db, number))["edition"] == "PUBLIC"


async def test_issuing_and_the_data_behind_it_are_in_the_audit_chain(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, CONSENTING_BANK)
    number = report["number"]
    rows = await db.read(
        "MATCH (a:AuditEntry {detail: $number}) "
        "RETURN a.action AS action, a.orgCode AS org, a.subjects AS subjects, "
        "a.released AS released ORDER BY a.seq",
        {"number": number},
    )
    actions = [row["action"] for row in rows]
    assert actions[0] == "credit_report_data" and actions[-1] == "issue_credit_report"
    assert all(row["org"] == B1 and E1 in row["subjects"] for row in rows)
    assert "Record.batchId" in rows[0]["released"]
    await get(client_for, CONSENTING_BANK, report["htmlUrl"])
    [opened] = await db.read(
        "MATCH (a:AuditEntry {detail: $number, action: 'read_credit_report'}) "
        "RETURN a.orgCode AS org",
        {"number": number},
    )
    assert opened["org"] == B1


# -- 信用评价 (graph/evaluation/) ----------------------------------------------------------------
async def test_the_full_edition_says_no_evaluation_exists_before_the_first_run(
    client_for: ClientFor, db: Database
) -> None:
    await db.write("MATCH (n:Evaluation|EvaluationRun) DETACH DELETE n")
    report = await issue(client_for, E1_ITSELF)
    assert report["edition"] == "FULL"
    evaluation = section(await content_of(db, report["number"]), "信用评价")
    assert evaluation["text"] == "暂无评价结果"


async def test_the_full_edition_shows_grade_label_date_and_model_version_the_public_one_not(
    client_for: ClientFor, db: Database
) -> None:
    today = china_today()
    await evaluate_all(db, today=today)
    urls = {}
    for who in (E1_ITSELF, CONSENTING_BANK, OFFICE):
        report = await issue(client_for, who)
        urls[who] = report["htmlUrl"]
        assert report["edition"] == "FULL"
        evaluation = section(await content_of(db, report["number"]), "信用评价")
        [group] = evaluation["groups"]
        [item] = group["items"]
        fields = dict(item["fields"])
        assert fields["评价等级"] == "D级（差）"
        assert fields["评价日期"] == today.isoformat()
        assert fields["评价模型版本"] == default_model().version
        assert evaluation["text"] is None
    html = (await get(client_for, E1_ITSELF, urls[E1_ITSELF])).text
    assert "D级（差）" in html
    public = await issue(client_for, PUBLIC)
    content = await content_of(db, public["number"])
    assert section(content, "信用评价")["text"] == EVALUATION_NOT_PUBLIC
    assert "D级" not in text_of(content) and "评价等级" not in text_of(content)


# -- a report people trust ----------------------------------------------------------------------
async def pdf_of(client_for: ClientFor, who: Consumer, report: dict[str, Any]) -> bytes:
    """The report's PDF as `who` fetches it."""
    response = await get(client_for, who, report["pdfUrl"])
    assert response.status_code == 200, response.text
    return response.content


def fonts_of(pdf: bytes) -> dict[str, Any]:
    """Every font the PDF's pages use (also inside form XObjects), by base font name."""
    found: dict[str, Any] = {}

    def walk(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"])

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return found


def embedded(font: Any) -> bool:
    """Whether a font's program is in the file (its descriptor, or its descendants')."""
    fonts = [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]
    for each in fonts:
        descriptor = each.get("/FontDescriptor")
        if descriptor is not None and any(
            key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            return True
    return False


async def test_every_font_of_the_pdf_is_embedded(client_for: ClientFor) -> None:
    report = await issue(client_for, E1_ITSELF)
    pdf = await pdf_of(client_for, E1_ITSELF, report)
    fonts = fonts_of(pdf)
    assert fonts, "the PDF names no font"
    assert {name: embedded(font) for name, font in fonts.items()} == dict.fromkeys(fonts, True)
    assert any("WenQuanYiZenHei" in name for name in fonts)
    assert all("+" in name for name in fonts)  # subsets (AAAAAA+Name), not whole fonts
    pdffonts = shutil.which("pdffonts")
    if pdffonts:  # poppler's own view, as its readers see the file
        lines = (
            subprocess.run([pdffonts, "-"], input=pdf, capture_output=True, check=True)
            .stdout.decode()
            .splitlines()[2:]
        )
        assert lines and all(line.split()[-5] == "yes" for line in lines), lines


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page, as pypdf extracts it."""
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


async def test_pages_are_numbered_of_the_total_and_headings_stay_with_their_content(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC, E5)  # 25 licences: several pages
    content = await content_of(db, report["number"])
    texts = page_texts(await pdf_of(client_for, PUBLIC, report))
    total = len(texts)
    assert total > 1
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 共 {total} 页" in text
    headings = {numbered(i, s["title"]) for i, s in enumerate(content["sections"], 1)}
    headings |= {g["title"] for s in content["sections"] for g in s["groups"]}
    headings |= {"信用概况", "报告说明"}
    for number, text in enumerate(texts, start=1):
        # The page's own lines come first, its header and footer (drawn last) after them.
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        body = lines[: next(i for i, line in enumerate(lines) if PLATFORM in line)]
        assert body[-1] not in headings, f"page {number} ends with the heading {body[-1]!r}"


async def test_the_pdf_is_dated_by_the_report_and_the_same_report_gives_the_same_bytes(
    client_for: ClientFor,
) -> None:
    report = await issue(client_for, E1_ITSELF)
    first = await pdf_of(client_for, E1_ITSELF, report)
    assert await pdf_of(client_for, E1_ITSELF, report) == first
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    issued = datetime.fromisoformat(report["generatedAt"])
    assert info.creation_date == issued and info.modification_date == issued
    assert str(info["/CreationDate"]).endswith("+08'00'")
    other = await issue(client_for, E1_ITSELF)
    identifier = pypdf.PdfReader(io.BytesIO(first)).trailer["/ID"]
    other_pdf = await pdf_of(client_for, E1_ITSELF, other)
    assert pypdf.PdfReader(io.BytesIO(other_pdf)).trailer["/ID"] != identifier  # one per report


async def test_the_report_carries_an_absolute_verification_url_with_its_qr_code(
    client_for: ClientFor, db: Database
) -> None:
    async with client_for(PUBLIC) as http:
        location = (await http.get(f"/reports/new?uscc={E1}")).headers["location"]
    number = location.removeprefix("/reports/").removesuffix(".html")
    url = f"http://hub.test/reports/verify?number={number}"
    assert (await content_of(db, number))["verifyUrl"] == url  # the issuing request's address
    html = (await get(client_for, PUBLIC, location)).text
    assert f'<a href="{url}">{url}</a>' in html
    [svg] = re.findall(r'<svg[^>]*class="qr"[^>]*>', html)
    assert f'data-text="{url}"' in svg and 'role="img"' in svg
    pdf = (await get(client_for, PUBLIC, f"/reports/{number}.pdf")).content
    first_page = page_texts(pdf)[0]
    assert url in first_page and "扫码核验本报告" in first_page
    assert "（/reports/verify）" not in json.dumps(await content_of(db, number), ensure_ascii=False)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:  # the QR code as a phone sees the printed page
        import zxingcpp
        from PIL import Image

        png = subprocess.run(
            [pdftoppm, "-r", "150", "-f", "1", "-l", "1", "-png", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout
        codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert [code.text for code in codes] == [url]


def test_the_public_url_setting_decides_the_verification_address() -> None:
    configured = Settings.from_env({"CREDITHUB_PUBLIC_URL": "https://xyxx.wugang.example/"})
    assert configured.public_url == "https://xyxx.wugang.example"
    assert public_base_url(configured, "http://10.0.0.5:8000/") == "https://xyxx.wugang.example"
    assert public_base_url(Settings(), "http://hub.test/") == "http://hub.test"
    assert public_base_url(Settings(host="0.0.0.0", port=9000), None) == "http://0.0.0.0:9000"
    with pytest.raises(SettingsError, match="CREDITHUB_PUBLIC_URL"):
        Settings.from_env({"CREDITHUB_PUBLIC_URL": "xyxx.wugang.example"})


async def test_the_graphql_issue_prints_the_address_the_hub_serves_on(
    client_for: ClientFor, db: Database, settings: Settings
) -> None:
    report = await issue(client_for, PUBLIC)
    content = await content_of(db, report["number"])
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    assert content["verifyUrl"] == f"{base}/reports/verify?number={report['number']}"


async def test_the_report_opens_with_a_credit_overview_of_what_its_edition_holds(
    client_for: ClientFor, db: Database
) -> None:
    report = await issue(client_for, PUBLIC)
    html = (await get(client_for, PUBLIC, report["htmlUrl"])).text
    overview = dict(
        re.findall(
            r"<tr><th scope=\"row\">([^<]+)</th><td class=\"tone-[a-z]+\">([^<]+)</td></tr>",
            html.split('id="section-overview"', 1)[1].split("</table>", 1)[0],
        )
    )
    assert overview["信用标签"] == "失信惩戒对象"
    assert overview["严重失信主体名单"] == "已列入（1 项）"
    assert overview["行政处罚"] == "1 条"  # R1; the repaired R2 and the unpublished 轻微 not
    assert overview["守信激励名单"] == "未列入"
    assert overview["信用评价"] == "不向社会公开"
    assert html.index('id="section-overview"') < html.index('id="section-basic"')
    assert "信用概况" in page_texts(await pdf_of(client_for, PUBLIC, report))[0]
    full = await issue(client_for, E1_ITSELF)
    full_html = (await get(client_for, E1_ITSELF, full["htmlUrl"])).text
    # The full edition counts the unpublished 轻微 penalty too.
    assert '<th scope="row">行政处罚</th><td class="tone-adverse">2 条</td>' in full_html


async def test_a_missing_report_font_is_a_clear_error(
    client_for: ClientFor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(FONT_VARIABLE, str(tmp_path / "wqy-zenhei.ttc"))
    with pytest.raises(ReportFontMissing, match=PACKAGE):
        font_file()
    report = await issue(client_for, PUBLIC)
    response = await get(client_for, PUBLIC, report["pdfUrl"])
    assert response.status_code == 503
    assert PACKAGE in response.text and "%PDF" not in response.text
