"""信用舞钢, the public disclosure site, through the hub over HTTP (in-process ASGI).

The pages read only through GraphQL as the public, so what they show is what the sharing
catalogue serves the public: E1's penalty R1 is there, its repaired penalty R2 and expired
penalty R4 are not, persons appear de-identified. Today (the real date) is after R5's window
closed (2026-08-08) and inside R1's, R3's and E5's licences' windows. The module adds a ban, a
commitment and an enterprise with a hostile name; the fixture graph is restored after it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import httpx
import pytest

from authz.identity import PUBLIC
from graph.database import Database
from graph.identifiers import make_uscc
from graph.lifecycle.base import china_today
from graph.publication import add_months
from tests.conftest import ADMIN, ClientFor
from tests.consumers import ASKERS
from tests.fixtures import (
    E1,
    E2,
    E5,
    NDRC,
    P1,
    R1,
    R2,
    R3,
    R4,
    R5_V2,
    SAMR,
    load_fixture_graph,
)
from tests.graphql import errors, query
from tests.lifecycle import MARKET, ask, e5_commits

HOSTILE = make_uscc("91", "410481", "XE000001")
HOSTILE_NAME = '<script>alert("x")</script>舞钢市"恶意"钢铁&有限公司'

DISCLOSED = """query($kinds: [RecordKind!], $department: String, $from: Date, $to: Date,
                    $first: Int, $after: String) {
  disclosedRecords(kinds: $kinds, department: $department, decidedFrom: $from, decidedTo: $to,
                   first: $first, after: $after) {
    totalCount edges { node { key title status kind } } pageInfo { hasNextPage endCursor } } }"""

BATCH_OF_PENALTIES = "{ disclosedRecords(kinds: [PENALTY]) { edges { node { key batchId } } } }"

FOOD_ITEM = "SITE-FOOD-01"
FOOD_TEMPLATE = "本企业承诺：所提交材料真实有效，如有虚假愿意承担相应法律责任并接受信用惩戒。"


@pytest.fixture(scope="module")
async def web(db: Database, client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client without a token; the fixture graph is restored after the module."""
    async with client_for(PUBLIC) as http:
        yield http
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@pytest.fixture(scope="module")
async def lifecycle_changes(web: httpx.AsyncClient, client_for: ClientFor) -> None:
    """张伟 (P1, E1's legal representative) is banned from the market; E5 makes a commitment."""
    await ask(
        client_for,
        MARKET,
        """mutation($ban: BanInput!) { imposeBan(ban: $ban) { id } }""",
        ban={
            "scope": "MARKET",
            "personKey": P1,
            "endsOn": add_months(china_today(), 36).isoformat(),
            "basis": "《中华人民共和国食品安全法》第一百三十五条",
            "decisionNumber": "舞市监禁〔2026〕90号",
        },
    )
    await e5_commits(
        client_for,
        item=FOOD_ITEM,
        name="食品经营许可告知承诺",
        template=FOOD_TEMPLATE,
        due=china_today() + timedelta(days=90),
    )


@pytest.fixture(scope="module")
async def hostile_enterprise(web: httpx.AsyncClient, db: Database) -> str:
    """An enterprise whose registered name is markup (names come from department feeds)."""
    await db.write(
        "CREATE (:Enterprise {uscc: $uscc, name: $name, status: 'ACTIVE', category: '91', "
        "region: '410481', address: '<b>舞钢市</b>建设路1号'})",
        {"uscc": HOSTILE, "name": HOSTILE_NAME},
    )
    return HOSTILE


async def page(web: httpx.AsyncClient, path: str, status: int = 200) -> str:
    """The HTML of `path`, which must answer `status`."""
    response = await web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def text_of(html: str) -> str:
    """What a reader sees: the markup and scripts taken away, entities decoded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(html: str, section_id: str) -> str:
    """The markup of the page's ``<section>`` headed by the element with `section_id`."""
    start = html.index(f'aria-labelledby="{section_id}"')
    return html[start : html.index("</section>", start)]


# -- every page ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/", "/search?q=钢铁", f"/enterprise/{E1}", "/disclosure", "/measures", "/guide"]
)
async def test_every_page_is_chinese_html_with_landmarks_one_h1_and_no_inline_script(
    web: httpx.AsyncClient, path: str
) -> None:
    html = await page(web, path)
    assert '<html lang="zh-CN">' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html, landmark
    assert html.count("<h1") == 1
    assert '<a class="skip-link" href="#main">' in html
    # Scripts come from the site itself only (the CSP forbids inline ones).
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert '<a href="/reports/verify">' in html


async def test_pages_forbid_other_origins_framing_and_sniffing(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_style_sheet_and_the_script_are_served(web: httpx.AsyncClient) -> None:
    css = await web.get("/static/site/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    script = await web.get("/static/site/suggest.js")
    assert script.status_code == 200 and "/search/suggest?q=" in script.text


async def test_every_form_field_has_a_label(web: httpx.AsyncClient) -> None:
    for path in ("/", "/disclosure"):
        html = await page(web, path)
        ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
        assert ids, path
        for field_id in ids:
            assert f'<label for="{field_id}">' in html, (path, field_id)


# -- search -------------------------------------------------------------------------------
async def test_searching_a_name_lists_the_enterprise_linked_to_its_page(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/search?q={quote('鑫源钢铁')}")
    assert f'href="/enterprise/{E1}"' in html
    assert "舞钢市鑫源钢铁有限公司" in html
    assert "共找到 1 个市场主体" in text_of(html)
    assert 'value="鑫源钢铁"' in html  # the form keeps what was asked


async def test_searching_a_complete_code_goes_straight_to_the_enterprise(
    web: httpx.AsyncClient,
) -> None:
    response = await web.get(f"/search?q={E1.lower()}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/enterprise/{E1}"


async def test_searching_the_beginning_of_a_code_lists_every_match(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/search?q={E1[:8]}")
    for uscc in (E1, E2, E5):
        assert f'href="/enterprise/{uscc}"' in html


async def test_an_empty_search_says_what_to_enter(web: httpx.AsyncClient) -> None:
    html = await page(web, "/search?q=+", status=400)
    assert 'role="alert">请输入企业名称或统一社会信用代码' in html


async def test_a_search_finding_nothing_says_so(web: httpx.AsyncClient) -> None:
    html = await page(web, f"/search?q={quote('不存在的公司名')}")
    assert "未找到匹配的市场主体" in html


async def test_suggestions_are_a_small_fragment_of_links(web: httpx.AsyncClient) -> None:
    fragment = await page(web, f"/search/suggest?q={quote('鑫源')}")
    assert "<html" not in fragment and "<main" not in fragment
    assert f'<a href="/enterprise/{E1}">舞钢市鑫源钢铁有限公司</a>' in fragment
    assert "找到 1 个市场主体" in fragment


async def test_no_suggestions_for_a_single_character(web: httpx.AsyncClient) -> None:
    fragment = await page(web, f"/search/suggest?q={quote('钢')}")
    assert fragment.strip() == ""


# -- enterprise page ----------------------------------------------------------------------
async def test_the_enterprise_page_shows_its_basic_information(web: httpx.AsyncClient) -> None:
    seen = text_of(section(await page(web, f"/enterprise/{E1}"), "basic"))
    for value in (
        "舞钢市鑫源钢铁有限公司",
        E1,
        "存续",
        "有限责任公司(自然人投资或控股)",
        "2008-04-12",
        "5,000 万元",
        "舞钢市垭口街道建设路18号",
        "钢材冶炼、轧制及销售",
        "法定代表人 张*",
    ):
        assert value in seen, value


async def test_the_enterprise_page_shows_penalty_r1_but_not_repaired_r2_or_expired_r4(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/enterprise/{E1}")
    penalties = text_of(section(html, "penalties"))
    assert R1["documentNumber"] in penalties and "超标排放" in penalties
    assert "12.5 万元" in penalties and "一般" in penalties and "2027-03-10" in penalties
    assert "（1 条）" in penalties
    seen = text_of(html)
    for hidden in (R2, R4, R5_V2):  # repaired; expired; window closed 2026-08-08
        assert hidden["documentNumber"] not in seen, hidden["documentNumber"]
        assert hidden["title"] not in seen, hidden["title"]


async def test_the_enterprise_page_shows_licences_in_their_window(
    web: httpx.AsyncClient,
) -> None:
    licences = text_of(section(await page(web, f"/enterprise/{E1}"), "licences"))
    assert R3["documentNumber"] in licences and "固定资产投资项目核准" in licences
    assert "（1 条）" in licences


async def test_the_black_list_entry_is_shown_with_its_measures_and_masked_persons(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/enterprise/{E1}")
    status = text_of(section(html, "status"))
    assert "失信惩戒对象（黑名单） 是" in status and "守信激励对象（红名单） 否" in status
    lists = text_of(section(html, "lists"))
    for value in (
        "严重失信主体名单（黑名单）",
        "舞钢市发展和改革委员会",
        "舞发改信〔2026〕3号",
        "履行处罚决定并完成信用修复",
        "法定代表人 张*",
        "限制参与政府采购",
        "限制参与招标投标",
        "招投标",
        "执行中",
    ):
        assert value in lists, value
    # Full names are personal information: the public never gets them.
    assert "张伟" not in html and "李娜" not in html


async def test_a_removed_list_entry_and_its_lifted_measure_are_not_shown(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/enterprise/{E2}")
    assert "失信惩戒对象（黑名单） 否" in text_of(section(html, "status"))
    lists = text_of(section(html, "lists"))
    assert "未列入红名单或黑名单" in lists and "舞发改信〔2024〕1号" not in lists


async def test_the_enterprise_page_links_a_credit_report_and_the_objection_guide(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/enterprise/{E1}")
    # Following the link issues a report, so crawlers are asked not to.
    assert f'<a class="button" href="/reports/new?uscc={E1}" rel="nofollow">信用报告</a>' in html
    assert '<a href="/guide#objection">' in html


async def test_a_long_section_is_paged_with_a_link_to_the_next_page(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, f"/enterprise/{E5}")
    licences = section(html, "licences")
    assert "（25 条）" in licences and licences.count('<article class="record"') == 20
    [next_page] = re.findall(r'<a href="([^"]+)" rel="next">下一页</a>', licences)
    rest = section(await page(web, unescape(next_page)), "licences")
    assert rest.count('<article class="record"') == 5
    assert "经营许可00" in text_of(rest)  # the oldest licence comes last
    assert 'rel="next"' not in rest


async def test_a_lowercase_code_redirects_to_the_one_address_of_the_enterprise(
    web: httpx.AsyncClient,
) -> None:
    response = await web.get(f"/enterprise/{E1.lower()}")
    assert response.status_code == 301
    assert response.headers["location"] == f"/enterprise/{E1}"


async def test_an_unknown_enterprise_is_404_and_an_invalid_code_400(
    web: httpx.AsyncClient,
) -> None:
    missing = await page(web, "/enterprise/91310110666007217T", status=404)
    assert "未找到该市场主体" in missing and "91310110666007217T" in missing
    invalid = await page(web, "/enterprise/91350203M0001QAY9B", status=400)
    assert "不是有效的统一社会信用代码" in invalid
    assert "Traceback" not in invalid


async def test_the_site_asks_as_the_public_even_when_a_token_is_sent(
    client_for: ClientFor,
) -> None:
    async with client_for(ADMIN) as office:
        html = (await office.get(f"/enterprise/{E1}")).text
    assert "张*" in html and "张伟" not in html
    assert R2["documentNumber"] not in html


async def test_each_page_view_is_an_audit_entry_of_the_public(
    web: httpx.AsyncClient, db: Database
) -> None:
    await page(web, f"/enterprise/{E1}")
    [entry] = await db.read(
        "MATCH (a:AuditEntry) WHERE a.detail = $detail "
        "RETURN a.orgKind AS kind, a.subjects AS subjects, a.released AS released "
        "ORDER BY a.seq DESC LIMIT 1",
        {"detail": f"信用舞钢 /enterprise/{E1}"},
    )
    assert entry["kind"] == "PUBLIC"
    assert E1 in entry["subjects"]
    assert "Person.nameMasked" in entry["released"] and "Person.name" not in entry["released"]


async def test_names_and_record_text_are_escaped(
    web: httpx.AsyncClient, hostile_enterprise: str
) -> None:
    html = await page(web, f"/enterprise/{hostile_enterprise}")
    assert "<script>alert" not in html and "<b>舞钢市</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert HOSTILE_NAME in text_of(html)
    results = await page(web, f"/search?q={quote('恶意')}")
    assert "<script>alert" not in results and HOSTILE_NAME in text_of(results)


async def test_bans_of_the_representative_are_flagged_on_each_enterprise_they_represent(
    web: httpx.AsyncClient, lifecycle_changes: None
) -> None:
    for uscc in (E1, E2):
        status = text_of(section(await page(web, f"/enterprise/{uscc}"), "status"))
        assert "市场、行业禁入 否" in status
        assert "法定代表人或主要负责人被禁入 是" in status
    status = text_of(section(await page(web, f"/enterprise/{E5}"), "status"))
    assert "法定代表人或主要负责人被禁入 否" in status


async def test_commitments_are_shown_with_the_committed_text(
    web: httpx.AsyncClient, lifecycle_changes: None
) -> None:
    commitments = text_of(section(await page(web, f"/enterprise/{E5}"), "commitments"))
    assert "信用承诺：食品经营许可告知承诺" in commitments
    assert FOOD_TEMPLATE in commitments and "舞钢市市场监督管理局" in commitments
    assert "（1 条）" in commitments


# -- 双公示 listings ----------------------------------------------------------------------
def _rows(html: str) -> list[str]:
    body = section(html, "results")
    return [text_of(row) for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", body, re.S)]


async def test_the_listing_shows_published_licences_and_penalties_newest_first(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, "/disclosure")
    # R1, R3 and E5's 25 licences; R2 (repaired), R4 and R5 (expired), R6 (a judgment) not.
    assert "（共 27 条）" in text_of(section(html, "results"))
    rows = _rows(html)
    assert len(rows) == 20
    assert "超标排放" in rows[0] and R1["documentNumber"] in rows[0] and "12.5 万元" in rows[0]
    assert "舞钢市鑫源钢铁有限公司" in rows[0], "行政相对人名称 is part of every 双公示 row"
    seen = text_of(html)
    for hidden in (R2, R4, R5_V2):
        assert hidden["documentNumber"] not in seen


async def test_the_listing_pages_on_to_the_rest(web: httpx.AsyncClient) -> None:
    html = await page(web, "/disclosure")
    [next_page] = re.findall(r'<a href="([^"]+)" rel="next">下一页</a>', html)
    rest = await page(web, unescape(next_page))
    rows = _rows(rest)
    assert len(rows) == 7 and "固定资产投资项目核准" in rows[-1]  # R3, decided 2024: last
    assert 'rel="next"' not in rest and ">第一页</a>" in rest


async def test_the_listing_filters_by_deciding_department(web: httpx.AsyncClient) -> None:
    html = await page(web, f"/disclosure?department={NDRC}")
    rows = _rows(html)
    assert len(rows) == 1 and "固定资产投资项目核准" in rows[0]
    assert f'<option value="{NDRC}" selected>舞钢市发展和改革委员会</option>' in html
    assert "舞钢市发展和改革委员会作出的行政许可和行政处罚" in text_of(html)


async def test_the_listing_filters_by_kind_and_decision_dates(web: httpx.AsyncClient) -> None:
    penalties = _rows(await page(web, "/disclosure?kind=PENALTY"))
    assert len(penalties) == 1 and "超标排放" in penalties[0]
    recent = _rows(await page(web, "/disclosure?from=2026-01-01"))
    assert len(recent) == 1 and "超标排放" in recent[0]
    window = await page(
        web, f"/disclosure?kind=LICENSE&department={SAMR}&from=2025-01-03&to=2025-01-05"
    )
    assert "（共 3 条）" in text_of(section(window, "results"))
    assert [re.search(r"经营许可\d\d", row).group(0) for row in _rows(window)] == [  # type: ignore[union-attr]
        "经营许可04",
        "经营许可03",
        "经营许可02",
    ]


async def test_bad_filters_are_explained_and_the_form_kept(web: httpx.AsyncClient) -> None:
    html = await page(web, "/disclosure?from=2026-13-01&to=2026-01-01&kind=JUDGMENT", status=400)
    alert = text_of(html[html.index('role="alert"') :])
    assert "起始日期“2026-13-01”不是有效日期" in alert
    assert "信息类别只能是行政许可或行政处罚" in alert
    assert 'value="2026-01-01"' in html
    reversed_range = await page(web, "/disclosure?from=2026-02-01&to=2026-01-01", status=400)
    assert "起始日期不能晚于截止日期" in reversed_range


async def test_no_matching_records_says_so(web: httpx.AsyncClient) -> None:
    html = await page(web, "/disclosure?from=2030-01-01")
    assert "没有符合条件的公示信息" in html


# -- the disclosedRecords query itself ------------------------------------------------------
async def test_disclosed_records_are_the_published_ones_whoever_asks(
    client_for: ClientFor,
) -> None:
    for asker in (
        PUBLIC,
        ADMIN,
        next(a.consumer for a in ASKERS if a.name == "department (market)"),
    ):
        async with client_for(asker) as http:
            data = await query(http, DISCLOSED, kinds=["PENALTY"])
        connection = data["disclosedRecords"]
        assert connection["totalCount"] == 1, asker
        assert [e["node"]["key"] for e in connection["edges"]] == [R1["key"]]


async def test_disclosed_records_apply_the_public_row_rule_and_say_so(
    web: httpx.AsyncClient,
) -> None:
    response = await web.post("/graphql", json={"query": DISCLOSED, "variables": {"first": 1}})
    body = response.json()
    assert body["data"]["disclosedRecords"]["pageInfo"]["hasNextPage"] is True
    [rule] = body["extensions"]["access"]["rowsFiltered"]
    assert (
        rule["path"] == "disclosedRecords"
        and rule["citation"] == "rows.Record.PUBLIC = ['published']"
    )


async def test_disclosed_records_withhold_per_subject_fields(client_for: ClientFor) -> None:
    bank = next(a.consumer for a in ASKERS if a.name == "bank with consent")
    async with client_for(bank) as http:
        body = (
            await http.post(
                "/graphql",
                json={"query": BATCH_OF_PENALTIES},
            )
        ).json()
    assert body["data"]["disclosedRecords"]["edges"] == [
        {"node": {"key": R1["key"], "batchId": None}}
    ]
    assert body["extensions"]["access"]["withheld"][0]["field"] == "Record.batchId"


async def test_disclosed_records_refuse_other_kinds_and_a_reversed_range(
    web: httpx.AsyncClient,
) -> None:
    [error] = await errors(web, DISCLOSED, kinds=["JUDGMENT"])
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "JUDGMENT" in error["message"]
    [error] = await errors(web, DISCLOSED, **{"from": "2026-02-01", "to": "2026-01-01"})
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "decidedFrom" in error["message"]


# -- measures and guide ---------------------------------------------------------------------
async def test_the_measures_page_lists_the_catalogue_by_family(web: httpx.AsyncClient) -> None:
    seen = text_of(await page(web, "/measures"))
    assert "共 2 项" in seen and "行政性惩戒" in seen
    for value in (
        "M01",
        "限制参与政府采购",
        "政府采购",
        "M02",
        "限制参与招标投标",
        "国办发〔2020〕49号",
    ):
        assert value in seen, value


async def test_the_guide_states_the_deadlines_periods_and_what_to_bring(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, "/guide")
    objection = text_of(section(html, "objection"))
    for value in ("3 个工作日", "7 个工作日", "异议中", "信息错误", "应移出而未移出", "证明材料"):
        assert value in objection, value
    repair = text_of(section(html, "repair"))
    for value in (
        "一般失信信息：自处罚决定之日起公示满 3个月",
        "严重失信信息：自处罚决定之日起公示满 1年",
        "1 个工作日",
        "信用修复承诺书",
        "信用修复培训证明",
        "停产停业、吊销、责令关闭",
        "谁认定、谁修复",
    ):
        assert value in repair, value
    periods = text_of(section(html, "periods"))
    assert "一般 3个月 1年" in periods and "严重 1年 3年" in periods


# -- 双随机一公开 ---------------------------------------------------------------------------
async def test_the_inspections_page_is_linked_from_every_page_and_lists_tasks_as_the_public(
    web: httpx.AsyncClient,
) -> None:
    home = await page(web, "/")
    assert 'href="/inspections"' in home
    listing = await page(web, "/inspections")
    assert "<h1>双随机、一公开</h1>" in listing and 'aria-current="page"' in listing
    assert "信用等级不予公开" in text_of(listing)
    await page(web, "/inspections?year=abc", 400)
    await page(web, "/inspections/INS-unknown", 404)
