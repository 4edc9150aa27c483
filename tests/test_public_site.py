"""信用舞钢 level with 信用中国: 双公示 searched by keyword and 文号, the 红黑名单 lookup, the
信用承诺 listing, and refusals a reader sees as Chinese pages (API clients keep JSON).

Against the fixture graph (tests/fixtures.py), on today's real date: E1's penalty R1 and
licence R3 are published; its repaired penalty R2, expired penalty R4 and expired licence R5
are not. E1 (鑫源钢铁) is on a black list, E5 (石漫滩旅游) on a red list, E2's black-list entry
was removed. The module makes one commitment; the fixture graph is restored after it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from html import unescape
from typing import NoReturn
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from authz.identity import PUBLIC
from graph.database import Database
from graph.lifecycle.base import china_today
from hub.app import create_app, shut_down
from hub.guards.rate_limit import RateLimitConfig
from hub.settings import Settings
from hub.site.public_graph import PublicGraph
from tests.conftest import ADMIN, ClientFor
from tests.fixtures import E1, E2, E5, R1, R2, R3, R4, R5_V1, R5_V2, load_fixture_graph
from tests.graphql import errors, query
from tests.lifecycle import e5_commits

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
"""What Chromium sends for a page."""

ITEM = "PUB-SITE-01"
TEMPLATE = "本企业承诺：旅游经营场所符合安全生产条件，如有不实愿意承担相应法律责任。"

INTERNAL = ("Argument `", "catalogue", "目录条目", "Traceback", '{"error"', "Not Found")
"""What a public page never shows: API argument names, policy citations, raw JSON, English."""

SEARCH = """query($keyword: String, $number: String, $kinds: [RecordKind!]) {
  disclosedRecords(keyword: $keyword, documentNumber: $number, kinds: $kinds) {
    totalCount edges { node { key documentNumber title } } } }"""


@pytest.fixture(scope="module")
async def web(db: Database, client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """A browser without a token; the fixture graph is restored after the module."""
    async with client_for(PUBLIC) as http:
        http.headers.update(BROWSER)
        yield http
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


@pytest.fixture(scope="module")
async def commitment(web: httpx.AsyncClient, client_for: ClientFor) -> str:
    """E5 commits to a market-regulation item; the commitment's number."""
    return await e5_commits(
        client_for,
        item=ITEM,
        name="旅游经营告知承诺",
        template=TEMPLATE,
        due=china_today() + timedelta(days=60),
    )


async def page(web: httpx.AsyncClient, path: str, status: int = 200) -> str:
    """The HTML of `path`, which must answer `status`."""
    response = await web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def text_of(html: str) -> str:
    """What a reader sees: markup and scripts taken away, entities decoded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def rows(html: str) -> list[str]:
    """The rows of the page's results table, as text."""
    start = html.index('aria-labelledby="results"')
    body = html[start : html.index("</section>", start)]
    return [text_of(row) for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", body, re.S)]


# -- 双公示: keyword and 文号 -----------------------------------------------------------------
async def test_a_search_by_document_number_finds_the_record(web: httpx.AsyncClient) -> None:
    found = rows(await page(web, "/disclosure?number=" + quote(R1["documentNumber"])))
    assert len(found) == 1 and "超标排放" in found[0] and R1["documentNumber"] in found[0]


async def test_a_document_number_matches_in_part_and_whatever_brackets_were_typed(
    web: httpx.AsyncClient,
) -> None:
    # R1 is 舞市监罚字〔2026〕第0031号: typed with square, round and full-width brackets.
    for typed in ("[2026]第0031号", "（2026）第0031", "舞市监罚字［２０２６］ 第0031号", "0031"):
        found = rows(await page(web, "/disclosure?number=" + quote(typed)))
        assert len(found) == 1 and "超标排放" in found[0], typed


async def test_a_keyword_search_matches_titles_and_enterprise_names(
    web: httpx.AsyncClient,
) -> None:
    by_title = rows(await page(web, "/disclosure?q=" + quote("超标排放")))
    assert len(by_title) == 1 and R1["documentNumber"] in by_title[0]
    # E1's published 双公示 records: R1 and R3 (R2 repaired, R4 and R5 expired).
    by_name = await page(web, "/disclosure?q=" + quote("鑫源钢铁"))
    assert "（共 2 条）" in text_of(by_name)
    by_code = rows(await page(web, "/disclosure?q=" + E1))
    assert len(by_code) == 2
    both_words = rows(await page(web, "/disclosure?q=" + quote("鑫源钢铁 核准")))
    assert len(both_words) == 1 and "固定资产投资项目核准" in both_words[0]


async def test_the_tabs_keep_the_search_and_limit_the_kind(web: httpx.AsyncClient) -> None:
    html = await page(web, "/disclosure?kind=PENALTY&q=" + quote("鑫源钢铁"))
    found = rows(html)
    assert len(found) == 1 and "超标排放" in found[0]
    tabs = html[html.index('class="tabs"') : html.index("</nav>", html.index('class="tabs"'))]
    assert 'aria-current="page">行政处罚</a>' in tabs
    licences = re.search(r'href="([^"]+)"[^>]*>行政许可</a>', tabs)
    assert licences is not None and "q=" in licences.group(1)
    other_tab = rows(await page(web, unescape(licences.group(1))))
    assert len(other_tab) == 1 and "固定资产投资项目核准" in other_tab[0]


@pytest.mark.parametrize(
    "record", [R2, R4, R5_V1, R5_V2], ids=["repaired", "expired", "superseded", "expired-v2"]
)
async def test_unpublished_and_expired_records_never_appear_in_a_search(
    web: httpx.AsyncClient, client_for: ClientFor, record: dict[str, object]
) -> None:
    number = str(record["documentNumber"])
    html = await page(web, "/disclosure?number=" + quote(number))
    assert "没有符合条件的公示信息" in html and rows(html) == []
    assert rows(await page(web, "/disclosure?q=" + quote(str(record["title"])))) == []
    # Whoever asks: the credit office sees everything elsewhere, but not in 双公示.
    async with client_for(ADMIN) as office:
        data = await query(office, SEARCH, number=number)
    assert data["disclosedRecords"]["totalCount"] == 0


async def test_the_api_search_normalises_numbers_and_refuses_long_text(
    anon: httpx.AsyncClient,
) -> None:
    data = await query(anon, SEARCH, number="舞市监罚字［２０２６］第００３１号")
    assert [e["node"]["key"] for e in data["disclosedRecords"]["edges"]] == [R1["key"]]
    licence = await query(anon, SEARCH, keyword=str(R3["title"]), kinds=["LICENSE"])
    assert licence["disclosedRecords"]["totalCount"] == 1
    refused = await errors(anon, SEARCH, keyword="钢" * 101)
    assert refused[0]["extensions"]["code"] == "INVALID_ARGUMENT"
    too_many = await errors(anon, SEARCH, keyword="一 二 三 四 五 六")
    assert too_many[0]["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_an_over_long_keyword_is_explained_on_the_page(web: httpx.AsyncClient) -> None:
    html = await page(web, "/disclosure?q=" + quote("钢" * 101), status=400)
    assert "关键词过长" in html
    for internal in INTERNAL:
        assert internal not in html, internal


# -- 红黑名单 ---------------------------------------------------------------------------------
async def test_the_list_lookup_says_which_black_list_since_when_and_by_whom(
    web: httpx.AsyncClient,
) -> None:
    seen = text_of(await page(web, "/lists?q=" + quote("鑫源钢铁")))
    assert "黑名单：已列入" in seen and "红名单：未列入" in seen
    assert "严重失信主体名单" in seen and "2026-04-01" in seen
    assert "舞钢市发展和改革委员会" in seen and "舞发改信〔2026〕3号" in seen


async def test_the_list_lookup_by_code_shows_a_red_list(web: httpx.AsyncClient) -> None:
    seen = text_of(await page(web, f"/lists?q={E5}"))
    assert "红名单：已列入" in seen and "黑名单：未列入" in seen
    assert "A级纳税人" in seen and "舞税信〔2026〕1号" in seen


async def test_a_removed_entry_is_not_on_the_list_lookup(web: httpx.AsyncClient) -> None:
    seen = text_of(await page(web, f"/lists?q={E2}"))
    assert "黑名单：未列入" in seen
    assert "舞发改信〔2024〕1号" not in seen


async def test_the_list_lookup_without_a_name_asks_for_one(web: httpx.AsyncClient) -> None:
    html = await page(web, "/lists")
    assert '<label for="list-q">' in html and "查询结果" not in html


# -- 信用承诺 ---------------------------------------------------------------------------------
async def test_the_commitments_listing_shows_a_published_commitment(
    web: httpx.AsyncClient, commitment: str
) -> None:
    found = rows(await page(web, "/commitments"))
    mine = [row for row in found if commitment in row]
    assert len(mine) == 1
    assert "旅游经营告知承诺" in mine[0] and "舞钢市石漫滩旅游开发有限公司" in mine[0]
    assert "舞钢市市场监督管理局" in mine[0] and "履约中" in mine[0]


async def test_the_commitments_listing_searches_by_keyword(
    web: httpx.AsyncClient, commitment: str
) -> None:
    by_name = rows(await page(web, "/commitments?q=" + quote("石漫滩")))
    assert any(commitment in row for row in by_name)
    by_code = rows(await page(web, f"/commitments?q={E5}"))
    assert any(commitment in row for row in by_code)
    assert rows(await page(web, "/commitments?q=" + quote("鑫源钢铁"))) == []


# -- links ----------------------------------------------------------------------------------
async def test_home_and_enterprise_pages_link_the_report_and_its_verification(
    web: httpx.AsyncClient,
) -> None:
    for path in ("/", f"/enterprise/{E1}"):
        html = await page(web, path)
        assert 'href="/reports/verify"' in html, path
        assert 'href="/reports/new' in html, path
    home = await page(web, "/")
    for target in (
        "/lists",
        "/commitments",
        "/disclosure?kind=LICENSE",
        "/disclosure?kind=PENALTY",
    ):
        assert f'href="{target}"' in home, target


# -- errors as pages ------------------------------------------------------------------------
async def test_a_missing_page_is_a_chinese_404_page(web: httpx.AsyncClient) -> None:
    html = await page(web, "/no-such-page", status=404)
    assert "页面不存在" in html and '<html lang="zh-CN">' in html and 'href="/"' in html
    for internal in INTERNAL:
        assert internal not in html, internal


async def test_an_api_client_gets_json_for_a_missing_path(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_graphql_keeps_json_errors_for_a_browser(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"


async def test_a_bad_code_or_page_link_is_explained_without_argument_names(
    web: httpx.AsyncClient,
) -> None:
    invalid = await page(web, "/enterprise/91350203M0001QAY9B", status=400)
    assert "不是有效的统一社会信用代码" in invalid
    stale = await page(web, "/disclosure?after=not-a-cursor", status=400)
    assert "翻页链接已失效" in stale
    for html in (invalid, stale):
        for internal in (*INTERNAL, "`after`", "`uscc`", "check character"):
            assert internal not in html, internal


async def test_a_bad_inspection_year_is_explained_in_the_readers_words(
    web: httpx.AsyncClient,
) -> None:
    html = await page(web, "/inspections?year=abc", status=400)
    seen = text_of(html)
    assert "年度应为 2000 至 2100 之间的整数" in seen
    assert "参数 year" not in seen


async def test_an_unexpected_failure_is_a_chinese_500_page_or_json(
    hub_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("a bug in a page: secret detail")

    monkeypatch.setattr(PublicGraph, "run", broken)
    transport = httpx.ASGITransport(app=hub_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        as_page = await http.get("/measures", headers=BROWSER)
        as_api = await http.get("/measures", headers={"Accept": "application/json"})
    assert as_page.status_code == 500 and as_page.headers["content-type"].startswith("text/html")
    assert "系统暂时无法显示此页面" in as_page.text
    for internal in (*INTERNAL, "secret detail", "RuntimeError", "Internal Server Error"):
        assert internal not in as_page.text, internal
    assert as_api.status_code == 500
    assert as_api.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret detail" not in as_api.text


@pytest.fixture
async def limited(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on a hub allowing one public request at a time (one a minute)."""
    limits = RateLimitConfig(public_per_minute=1, public_burst=1)
    app = create_app(replace(settings, rate_limits=limits), run_migrations=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.70", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=BROWSER
    ) as http:
        yield http
    await shut_down(app)


async def test_too_many_requests_is_a_chinese_429_page_with_retry_after(
    limited: httpx.AsyncClient,
) -> None:
    assert (await limited.get("/guide")).status_code == 200
    refused = await limited.get("/guide")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert refused.headers["retry-after"] == "60"
    seen = text_of(refused.text)
    assert "访问过于频繁" in seen and "60 秒后再试" in seen
    for internal in (*INTERNAL, "RATE_LIMITED", "requests per minute"):
        assert internal not in refused.text, internal
    # The API's clients keep the JSON refusal.
    api = await limited.post("/graphql", json={"query": "{ departments { code } }"})
    assert api.status_code == 429 and api.json()["error"]["code"] == "RATE_LIMITED"
