"""The signed-in pages of banks (/bank) and departments (/department) on the real Neo4j.

Each page runs GraphQL as the signed-in organisation (here: a bearer token, which is where a
session puts its consumer too), so what it shows is what the catalogue serves that
organisation: the bank B1 sees E1, which consented to it, and its notices; the market
department sees its own batches' quarantine and the objections it must decide, never another
department's. Whoever the catalogue does not admit gets a Chinese page, the public is sent to
sign in. Forms that change something need the session's CSRF token. The module adds watches,
notices, a batch and an objection; the fixture graph is restored after it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
from starlette.applications import Starlette

from authz.identity import PUBLIC, Consumer, OrgKind
from graph.database import Database
from tests.conftest import ClientFor
from tests.fixtures import B1, E1, E2, NDRC, R1, SAMR, load_fixture_graph
from tests.lifecycle import (
    BANK_B1,
    BANK_B2,
    DEVELOPMENT,
    ENTERPRISE_E1,
    MARKET,
    OFFICE,
    ask,
    org,
    refused,
)
from tests.test_signin import browser, sign_in

BANK = org(OrgKind.BANK, B1, purpose="贷前审查")
"""B1 asking for the purpose E1's consent names (tests/fixtures.py: CONSENT-1)."""

PENALTY_ROW = {
    "行政相对人名称": "舞钢市鑫源钢铁有限公司",
    "相对人类别": "法人及非法人组织",
    "统一社会信用代码": E1,
    "行政处罚决定书文号": "舞市监罚字〔2026〕第0901号",
    "违法行为类型": "超标排放",
    "处罚类别": "罚款",
    "处罚内容": "罚款人民币三万元",
    "罚款金额(万元)": "3",
    "处罚决定日期": "2026-11-20",
    "失信程度": "一般",
    "处罚机关": "舞钢市市场监督管理局",
    "处罚机关统一社会信用代码": SAMR,
}

INTERNAL = re.compile(r"operations\.|rows\.|NOT_PERMITTED|FORBIDDEN|\{\"error")
"""What a page must never show: catalogue entry names, codes, raw JSON."""


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Watches, notices, batches and objections are added; put the fixture graph back."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def csrf_of(page: str) -> str:
    """The value of the page's hidden ``csrf_token`` input (the test fails without one)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no CSRF token"
    return unescape(found.group(1))


def text_of(response: httpx.Response) -> str:
    """The page's visible text, tags removed (for plain `in` checks)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


async def get(client_for: ClientFor, who: Consumer, path: str) -> httpx.Response:
    """GET `path` as `who`."""
    async with client_for(who) as http:
        return await http.get(path)


# -- the bank ---------------------------------------------------------------------------------
async def test_the_bank_sees_its_consenting_enterprise_with_the_full_report_form(
    client_for: ClientFor,
) -> None:
    page = await get(client_for, BANK, "/bank")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "已授权本机构查询的企业" in text
    assert "舞钢市鑫源钢铁有限公司" in text  # E1 granted B1 consent (CONSENT-1)
    assert "舞钢市宏达建材有限公司" not in text  # E2 did not
    assert 'action="/reports"' in page.text and f'value="{E1}"' in page.text
    assert page.headers["cache-control"] == "no-store"

    # The other bank has no consent: nobody is listed.
    other = text_of(await get(client_for, BANK_B2, "/bank"))
    assert "舞钢市鑫源钢铁有限公司" not in other
    assert "目前没有企业向本机构授权" in other


async def test_the_report_form_issues_the_full_edition_to_the_consented_bank(
    client_for: ClientFor,
) -> None:
    for who, full in ((BANK, True), (BANK_B2, False)):
        async with client_for(who) as http:
            issued = await http.post("/reports", data={"uscc": E1})
            assert issued.status_code == 303, issued.text
            report = await http.get(issued.headers["location"])
        assert report.status_code == 200
        assert ("本报告为完整版" in report.text) is full


async def test_the_credit_check_shows_more_with_consent(client_for: ClientFor) -> None:
    consented = await get(client_for, BANK, f"/bank/check?q={E1}")
    assert consented.status_code == 200, consented.text
    text = text_of(consented)
    assert "该企业已向本机构授权" in text
    assert "超标排放" in text  # R1, published penalty
    assert "需经企业授权" not in text  # history and the evaluation are served under consent
    assert "公共信用综合评价 未评价" in text  # the fixture graph has no evaluation run

    # The same bank asking for another purpose: the grant is there, but not for this purpose.
    other_purpose = text_of(await get(client_for, BANK_B1, f"/bank/check?q={E1}"))
    assert "该企业已向本机构授权" in other_purpose
    assert "声明的查询用途“贷后管理”与授权用途“贷前审查”不一致" in other_purpose
    assert "需经企业授权" in other_purpose

    without = await get(client_for, BANK_B2, f"/bank/check?q={E1}")
    text = text_of(without)
    assert "该企业尚未向本机构授权" in text
    assert "超标排放" in text
    assert "需经企业授权" in text  # Record.history withheld: NEEDS_CONSENT
    assert "公共信用综合评价 需经企业授权" in text  # creditEvaluation refused: NO_CONSENT
    assert "未提供的信息" in text and "需经信息主体授权" in text
    assert not INTERNAL.search(without.text)


async def test_the_credit_check_finds_enterprises_by_name(client_for: ClientFor) -> None:
    page = await get(client_for, BANK, "/bank/check?q=鑫源钢铁")
    assert page.status_code == 200
    assert f"/bank/check?q={E1}" in page.text
    empty = text_of(await get(client_for, BANK, "/bank/check?q=不存在的企业名称"))
    assert "没有找到" in empty


async def test_the_bank_watches_a_consenting_borrower_and_reads_its_notice(
    client_for: ClientFor,
) -> None:
    async with client_for(BANK) as http:
        page = await http.get("/bank/watches")
        assert "开始监测" in page.text and f'value="{E1}"' in page.text
        added = await http.post("/bank/watches", data={"uscc": E1, "purpose": "贷后管理"})
        assert added.status_code == 303, added.text
        watched = text_of(await http.get("/bank/watches"))
        assert "舞钢市鑫源钢铁有限公司" in watched and "停止监测" in watched
        # Watching E2, which did not consent, is refused in Chinese.
        refused = await http.post("/bank/watches", data={"uscc": E2, "purpose": "贷后管理"})
        assert refused.status_code == 400
        assert "未向本机构授权" in text_of(refused)
        assert not INTERNAL.search(refused.text)

    fed = await ask(
        client_for,
        MARKET,
        """mutation($row: JSON!) { submitRecord(kind: "penalty", row: $row) {
             batch { new } } }""",
        row=PENALTY_ROW,
    )
    assert fed["submitRecord"]["batch"]["new"] == 1

    async with client_for(BANK) as http:
        notices = text_of(await http.get("/bank/notices"))
        assert "新增失信记录" in notices
        assert "舞钢市鑫源钢铁有限公司" in notices or E1 in notices
        assert "新增失信记录" in text_of(await http.get("/bank"))
        read = await http.post("/bank/notices/read", data={})
        assert read.status_code == 303
        assert "没有未读通知" in text_of(await http.get("/bank/notices"))
        assert "新增失信记录" in text_of(await http.get("/bank/notices?all=1"))

    # The other bank was told nothing.
    assert "新增失信记录" not in text_of(await get(client_for, BANK_B2, "/bank/notices?all=1"))


# -- who may not -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/bank", "/bank/check?q=x", "/bank/notices"])
async def test_the_public_is_sent_to_sign_in(client_for: ClientFor, path: str) -> None:
    page = await get(client_for, PUBLIC, path)
    assert page.status_code == 401
    assert "请先登录" in text_of(page)
    assert 'href="/signin?next=' in page.text


@pytest.mark.parametrize(
    "who", [ENTERPRISE_E1, MARKET, OFFICE], ids=["enterprise", "dept", "office"]
)
async def test_who_the_catalogue_does_not_admit_is_refused_in_chinese(
    client_for: ClientFor, who: Consumer
) -> None:
    page = await get(client_for, who, "/bank")
    assert page.status_code == 403
    text = text_of(page)
    assert "无权使用本服务" in text and "贷后监测" in text
    assert not INTERNAL.search(page.text)
    posted = None
    async with client_for(who) as http:
        posted = await http.post("/bank/watches", data={"uscc": E1, "purpose": "x"})
    assert posted.status_code == 403


# -- the department --------------------------------------------------------------------------
SUBMIT = """mutation($kind: String!, $rows: [JSON!]!) {
  submitFeed(kind: $kind, rows: $rows) { batch { id quarantined } } }"""

FILE_OBJECTION = """mutation($key: String!) {
  fileObjection(recordKey: $key, grounds: WRONG_DATA, statement: "罚款已于当日缴清",
                evidence: "缴款凭证") { id dueBy decider } }"""


def licence(number: str, authority: str, code: str, **overrides: str) -> dict[str, str]:
    """A licence row in the national headers, issued by `authority` (`code`)."""
    return {
        "行政相对人名称": "舞钢市鑫源钢铁有限公司",
        "相对人类别": "法人及非法人组织",
        "统一社会信用代码": E1,
        "行政许可决定文书名称": "许可决定书",
        "行政许可决定文书号": number,
        "许可类别": "普通",
        "许可内容": "经营许可",
        "许可决定日期": "2026-01-05",
        "有效期自": "2026-01-05",
        "有效期至": "2031-01-04",
        "许可机关": authority,
        "许可机关统一社会信用代码": code,
        **overrides,
    }


@pytest.fixture(scope="module")
async def batches(client_for: ClientFor) -> dict[str, str]:
    """One batch of the market regulator and one of the development commission, each with a
    refused row (许可类别 一般 is not a licence category)."""
    market = await ask(
        client_for,
        MARKET,
        SUBMIT,
        kind="license",
        rows=[
            licence("舞市监许〔2026〕701号", "舞钢市市场监督管理局", SAMR),
            licence("舞市监许〔2026〕702号", "舞钢市市场监督管理局", SAMR, 许可类别="一般"),
        ],
    )
    development = await ask(
        client_for,
        DEVELOPMENT,
        SUBMIT,
        kind="license",
        rows=[
            licence("舞发改许〔2026〕801号", "舞钢市发展和改革委员会", NDRC),
            licence("舞发改许〔2026〕802号", "舞钢市发展和改革委员会", NDRC, 许可类别="一般"),
        ],
    )
    assert market["submitFeed"]["batch"]["quarantined"] == 1
    assert development["submitFeed"]["batch"]["quarantined"] == 1
    return {
        "market": market["submitFeed"]["batch"]["id"],
        "development": development["submitFeed"]["batch"]["id"],
    }


async def test_the_department_sees_its_batches_and_their_quarantined_rows(
    client_for: ClientFor, batches: dict[str, str]
) -> None:
    feeds = await get(client_for, MARKET, "/department/feeds")
    assert feeds.status_code == 200, feeds.text
    assert batches["market"] in feeds.text
    assert batches["development"] not in feeds.text  # another department's batch

    page = await get(client_for, MARKET, f"/department/feeds/{batches['market']}")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "第 2 行" in text  # the second row sent was refused
    assert "许可类别" in text and "舞市监许〔2026〕702号" in text
    assert f"/feeds/{batches['market']}/quarantine.csv" in page.text
    assert "舞市监许〔2026〕701号" not in text  # the accepted row is not quarantined

    unknown = await get(client_for, MARKET, "/department/feeds/license-no-such-batch")
    assert unknown.status_code == 400 and "batchId" not in unknown.text

    # Another department's quarantine is refused, in Chinese.
    other = await get(client_for, MARKET, f"/department/feeds/{batches['development']}")
    assert other.status_code == 403
    assert "舞发改许〔2026〕802号" not in other.text
    assert not INTERNAL.search(other.text)


async def test_the_department_sends_a_file_and_lands_on_its_quarantine(
    client_for: ClientFor,
) -> None:
    rows = [
        licence("舞市监许〔2026〕711号", "舞钢市市场监督管理局", SAMR),
        licence("舞市监许〔2026〕712号", "舞钢市市场监督管理局", SAMR, 许可类别="一般"),
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    content = buffer.getvalue().encode("gbk")
    async with client_for(MARKET) as http:
        missing = await http.post("/department/feeds", data={"kind": "license"})
        assert missing.status_code == 400 and "请选择要报送的文件" in text_of(missing)
        sent = await http.post(
            "/department/feeds",
            data={"kind": ""},
            files={"file": ("许可-11月.csv", content, "text/csv")},
        )
        assert sent.status_code == 303, sent.text
        batch = await http.get(sent.headers["location"])
    text = text_of(batch)
    assert "行政许可 · 许可-11月.csv" in text  # the kind recognised from the national headers
    assert "第 3 行" in text and "舞市监许〔2026〕712号" in text  # header = row 1
    assert "舞市监许〔2026〕711号" not in text

    # A file that is no feed is refused as a whole, in Chinese, and nothing is loaded.
    async with client_for(MARKET) as http:
        refused_file = await http.post(
            "/department/feeds",
            data={"kind": ""},
            files={"file": ("备忘.csv", "甲,乙\n1,2\n".encode(), "text/csv")},
        )
    assert refused_file.status_code == 400
    assert "无法根据表头判断信息类别" in text_of(refused_file)
    assert not INTERNAL.search(refused_file.text)


async def test_the_department_sees_the_objections_it_must_decide_with_their_deadline(
    client_for: ClientFor,
) -> None:
    filed = (await ask(client_for, ENTERPRISE_E1, FILE_OBJECTION, key=R1["key"]))["fileObjection"]
    assert filed["decider"] == SAMR

    due = await get(client_for, MARKET, "/department/due")
    assert due.status_code == 200, due.text
    text = text_of(due)
    assert "待处理异议 （1 件）" in text
    assert "罚款已于当日缴清" in text and filed["dueBy"] in text
    assert "舞钢市鑫源钢铁有限公司" in text
    home = text_of(await get(client_for, MARKET, "/department"))
    assert "待处理异议" in home and "1 件" in home and filed["dueBy"] in home

    # The development commission does not decide it and does not see it.
    other = text_of(await get(client_for, DEVELOPMENT, "/department/due"))
    assert "罚款已于当日缴清" not in other
    assert "没有待处理的异议" in other

    # Only the deciding department decides it (谁认定、谁修复), in Chinese when refused.
    decide = f"/department/due/objections/{filed['id']}"
    async with client_for(DEVELOPMENT) as http:
        foreign = await http.post(decide, data={"outcome": "REJECT", "reason": "不予采纳"})
    assert foreign.status_code == 400
    assert "异议由信息提供单位" in text_of(foreign)
    assert not INTERNAL.search(foreign.text)
    async with client_for(MARKET) as http:
        assert f'action="{decide}"' in (await http.get("/department/due")).text
        empty = await http.post(decide, data={"outcome": "REJECT", "reason": ""})
        assert empty.status_code == 400 and "不能为空" in text_of(empty)
        done = await http.post(decide, data={"outcome": "REJECT", "reason": "经核实处罚无误"})
        assert done.status_code == 303, done.text
        after = text_of(await http.get("/department/due"))
    assert "没有待处理的异议" in after
    assert "异议不成立，维持原记录" in after  # under 已办结


DECIDED = """query($department: String) {
  decidedListEntries(department: $department) {
    totalCount edges { node { id status subjectEnterprise { uscc } decidedBy { code } } } } }"""


async def test_a_department_lists_the_entries_it_decided_and_nobody_elses(
    client_for: ClientFor,
) -> None:
    mine = (await ask(client_for, DEVELOPMENT, DECIDED))["decidedListEntries"]
    assert mine["totalCount"] == 2  # LE-1 (E1, in force) and LE-3 (E2, removed)
    assert [e["node"]["id"] for e in mine["edges"]] == ["LE-1", "LE-3"]  # newest decision first
    assert [e["node"]["subjectEnterprise"]["uscc"] for e in mine["edges"]] == [E1, E2]
    assert (await ask(client_for, MARKET, DECIDED))["decidedListEntries"]["totalCount"] == 0
    # The credit office names the department; a department cannot name another.
    office = await ask(client_for, OFFICE, DECIDED, department=NDRC)
    assert office["decidedListEntries"]["totalCount"] == 2
    other = await refused(client_for, MARKET, DECIDED, department=NDRC)
    assert other["extensions"]["code"] == "FORBIDDEN"
    bank = await refused(client_for, BANK, DECIDED)
    assert bank["extensions"]["code"] == "FORBIDDEN"

    page = await get(client_for, DEVELOPMENT, "/department/lists")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "本单位认定的名单 （2 条）" in text
    assert "舞钢市鑫源钢铁有限公司 · 严重失信主体名单" in text
    assert "舞钢市宏达建材有限公司 · 严重失信主体名单" in text and "已移出" in text
    market = text_of(await get(client_for, MARKET, "/department/lists"))
    assert "本单位尚未认定红黑名单" in market and "舞发改信" not in market


async def test_the_lists_page_marks_the_departments_own_decisions(
    client_for: ClientFor,
) -> None:
    page = await get(client_for, DEVELOPMENT, f"/department/lists?q={E1}")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "严重失信主体名单" in text and "舞发改信〔2026〕3号" in text
    mark = '<span class="tag">本单位认定</span>'
    assert mark in page.text  # LE-1 was decided by the development commission
    assert "法定代表人 张伟" in text  # its linked person, by name for a department
    other = await get(client_for, MARKET, f"/department/lists?q={E1}")
    assert "严重失信主体名单" in text_of(other) and mark not in other.text


async def test_the_network_shows_names_to_a_department_and_draws_the_diagram(
    client_for: ClientFor,
) -> None:
    page = await get(client_for, MARKET, f"/department/network?q={E1}")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "张伟" in text  # departments hold the personal class: full names
    assert "本单位可查看人员姓名" in text
    assert "<svg" in page.text
    assert "舞钢市宏达建材有限公司" in text  # E2 shares its legal representative with E1
    found = await get(client_for, MARKET, "/department/network?q=鑫源")
    assert f"/department/network?q={E1}" in found.text


@pytest.mark.parametrize("who", [PUBLIC, BANK, ENTERPRISE_E1, OFFICE], ids=lambda c: c.subject)
@pytest.mark.parametrize("path", ["/department", "/department/due", f"/department/network?q={E1}"])
async def test_the_department_pages_are_refused_to_others(
    client_for: ClientFor, who: Consumer, path: str
) -> None:
    page = await get(client_for, who, path)
    text = text_of(page)
    if who.is_public:
        assert page.status_code == 401 and "请先登录" in text
    else:
        assert page.status_code == 403 and "无权使用本服务" in text
        assert "处理异议申请" in text
    assert "张伟" not in text and "罚款已于当日缴清" not in text
    assert not INTERNAL.search(page.text)


# -- CSRF --------------------------------------------------------------------------------------
async def test_a_signed_in_banks_forms_need_the_sessions_csrf_token(
    hub_app: Starlette, client_for: ClientFor
) -> None:
    """Signed in through the development provider, the bank's session cookie alone changes
    nothing: the form must carry the session's token (hub/signin/csrf.py)."""
    watch = await ask(
        client_for,
        BANK,
        'mutation($uscc: String!) { watchEnterprise(uscc: $uscc, purpose: "贷后管理") { id } }',
        uscc=E1,
    )
    stop = f"/bank/watches/{watch['watchEnterprise']['id']}/stop"
    async with browser(hub_app) as http:
        await sign_in(http, B1, next_path="/bank/watches")
        page = await http.get("/bank/watches")
        assert page.status_code == 200, page.text
        assert f'action="{stop}"' in page.text
        token = csrf_of(page.text)
        for sent in ({}, {"csrf_token": "forged"}):
            refused = await http.post(stop, data=sent)
            assert refused.status_code == 403, refused.text
            assert "表单已失效" in text_of(refused)
        assert f'action="{stop}"' in (await http.get("/bank/watches")).text, "still watched"
        # From another site's page even the right token does not help.
        elsewhere = await http.post(
            stop, data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        assert elsewhere.status_code == 403
        done = await http.post(stop, data={"csrf_token": token})
        assert done.status_code == 303, done.text
        after = await http.get("/bank/watches")
        assert f'action="{stop}"' not in after.text
        assert f'<option value="{E1}">' in after.text, "E1 can be watched again"
