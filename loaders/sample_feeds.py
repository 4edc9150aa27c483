"""Sample department feeds: the small files under ``loaders/samples/`` and large generated ones.

The samples are what a department would really send, in the formats the plan's departments
export: a registration feed and a penalty feed as CSV in GBK with the national Chinese headers,
licences as XLSX, court judgments as JSON Lines with our English names. ``penalties-national-
gb18030.csv`` is a penalty file exactly as a department's 双公示 system exports it (the national
headers in their order, full-width brackets, 2026/10/01 dates, GB18030, no 失信程度) about
subjects the registration feed has not sent yet; one file per further kind (the acts of 四(三),
经营异常名录, 纳税信用等级, 表彰奖励, 企业年报, 虚假诉讼失信人) uses that kind's national-style
headers. Each has deliberate bad rows (a wrong check character, a future date, a missing 文号, a
fine without an amount, a formula in a cell …) so a reader sees the quarantine at work. They
are sent by the demo city's departments, so after `credithub up` they load as the README shows.

`write_samples` regenerates the committed files; `generated_rows` makes any number of valid
licence or penalty rows for the load benchmark.
"""

from __future__ import annotations

import csv
import datetime
import functools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from graph.publication import add_years

__all__ = [
    "BIG_DATA",
    "COURT",
    "HUMAN_RESOURCES",
    "NATIONAL_PENALTY_HEADERS",
    "NEW_KIND_SAMPLES",
    "SAMPLES_DIR",
    "SAMPLE_ENTERPRISES",
    "SAMR",
    "TAX",
    "generated_rows",
    "national_penalty_subjects",
    "sample_enterprise_codes",
    "write_csv",
    "write_jsonl",
    "write_samples",
    "write_xlsx",
]

SAMPLES_DIR: Final = Path(__file__).with_name("samples")

# The demo city's departments (loaders/demo_data.py builds them from the same numbers).
SAMR: Final = ("舞钢市市场监督管理局", make_uscc("11", WUGANG_REGION, f"00{570100 + 37 * 1:06d}"))
COURT: Final = ("舞钢市人民法院", make_uscc("11", WUGANG_REGION, f"00{570100 + 37 * 15:06d}"))
TAX: Final = (
    "国家税务总局舞钢市税务局",
    make_uscc("11", WUGANG_REGION, f"00{570100 + 37 * 2:06d}"),
)
HUMAN_RESOURCES: Final = (
    "舞钢市人力资源和社会保障局",
    make_uscc("11", WUGANG_REGION, f"00{570100 + 37 * 4:06d}"),
)
BIG_DATA: Final = (
    "舞钢市政务服务和大数据管理办公室",
    make_uscc("11", WUGANG_REGION, f"00{570100 + 37 * 13:06d}"),
)

SAMPLE_ENTERPRISES: Final = (
    ("舞钢市豫兴特钢制品有限公司", "有限责任公司(自然人投资或控股)", "制造业", 3000.0),
    ("舞钢市龙泉湖农业发展有限公司", "有限责任公司(自然人独资)", "农、林、牧、渔业", 500.0),
    ("舞钢市恒通运输有限公司", "有限责任公司(自然人投资或控股)", "交通运输、仓储和邮政业", 800.0),
    ("舞钢市九头崖酒店管理有限公司", "有限责任公司(自然人投资或控股)", "住宿和餐饮业", 200.0),
    ("舞钢市智诚建筑工程有限公司", "有限责任公司(自然人投资或控股)", "建筑业", 2000.0),
    ("舞钢市绿源环保科技有限公司", "有限责任公司(自然人独资)", "科学研究和技术服务业", 100.0),
)


def sample_enterprise_codes() -> list[str]:
    """The USCCs the sample registration feed registers (MA7 bodies: not used by the demo)."""
    return [
        make_uscc("91", WUGANG_REGION, f"MA7TMP{k:02d}") for k in range(len(SAMPLE_ENTERPRISES))
    ]


_PEOPLE: Final = ("王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽")


def _person(k: int) -> tuple[str, str]:
    return _PEOPLE[k % len(_PEOPLE)], make_resident_id(
        WUGANG_REGION, datetime.date(1970 + k, 1 + k % 12, 1 + k % 27), 11 + 2 * k
    )


def write_csv(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str
) -> None:
    """Write a feed as CSV in ``encoding`` (``gbk`` like government exports, or ``utf-8``)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a feed as a one-sheet XLSX workbook."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)


def write_jsonl(path: Path, rows: Sequence[dict[str, Any] | str]) -> None:
    """Write a feed as JSON Lines (a ``str`` row is written as it is, e.g. a broken line)."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            line = row if isinstance(row, str) else json.dumps(row, ensure_ascii=False, default=str)
            handle.write(line + "\n")


REGISTRATION_HEADERS: Final = (
    "统一社会信用代码", "企业名称", "市场主体类型", "行业", "注册资本(万元)", "成立日期",
    "登记状态", "住所", "经营范围", "登记机关", "法定代表人", "法定代表人证件号码",
)  # fmt: skip

PENALTY_HEADERS: Final = (
    "行政相对人名称", "相对人类别", "统一社会信用代码", "法定代表人", "证件号码",
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额(万元)", "处罚决定日期", "处罚有效期", "失信程度", "处罚机关",
    "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码", "备注",
)  # fmt: skip

LICENCE_HEADERS: Final = (
    "行政相对人名称", "相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称",
    "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期",
    "有效期自", "有效期至", "当前状态", "许可机关", "许可机关统一社会信用代码",
    "数据来源单位", "数据来源单位统一社会信用代码",
)  # fmt: skip


def _registration_rows() -> list[list[Any]]:
    codes = sample_enterprise_codes()
    rows: list[list[Any]] = []
    for k, ((name, kind, industry, capital), code) in enumerate(
        zip(SAMPLE_ENTERPRISES, codes, strict=True)
    ):
        rep, rep_id = _person(k)
        rows.append(
            [code, name, kind, industry, capital, f"20{10 + k}-0{1 + k % 9}-1{k}", "存续",
             f"舞钢市垭口街道{k + 1}号", "依法须经批准的项目，经相关部门批准后方可开展经营活动",
             SAMR[0], rep, rep_id]
        )  # fmt: skip
    bad_check = codes[0][:17] + ("0" if codes[0][17] != "0" else "1")
    rows += [
        # Deliberate mistakes: a mistyped check character, no name, a person without an ID,
        # a date that does not exist.
        [bad_check, "舞钢市错码示例有限公司", "有限责任公司", "制造业", 10, "2020-01-01", "存续",
         "", "", SAMR[0], "", ""],
        [make_uscc("91", WUGANG_REGION, "MA7TMP90"), "", "有限责任公司", "制造业", 10,
         "2020-01-01", "存续", "", "", SAMR[0], "", ""],
        [make_uscc("91", WUGANG_REGION, "MA7TMP91"), "舞钢市缺证件示例有限公司", "有限责任公司",
         "制造业", 10, "2020-01-01", "存续", "", "", SAMR[0], "孙七", ""],
        [make_uscc("91", WUGANG_REGION, "MA7TMP92"), "舞钢市日期示例有限公司", "有限责任公司",
         "制造业", 10, "2021-02-30", "存续", "", "", SAMR[0], "", ""],
    ]  # fmt: skip
    return rows


def _penalty_rows() -> list[list[Any]]:
    codes = sample_enterprise_codes()
    samr, samr_code = SAMR
    rows: list[list[Any]] = []
    for k, ((name, *_), code) in enumerate(zip(SAMPLE_ENTERPRISES[:4], codes, strict=False)):
        rows.append(
            [name, "法人及非法人组织", code, _person(k)[0], "", f"舞市监罚〔2026〕{101 + k}号",
             "违反产品质量法", "生产销售不合格产品", "《中华人民共和国产品质量法》第四十九条",
             "罚款;没收违法所得", "罚款并没收违法所得", 2.5 + k, f"2026-0{3 + k}-1{k}", "",
             "一般", samr, samr_code, samr, samr_code, ""]
        )  # fmt: skip
    person_name, person_id = _person(7)
    rows.append(
        [person_name, "自然人", "", "", person_id, "舞市监罚〔2026〕120号", "无照经营",
         "未取得营业执照从事经营活动", "《无证无照经营查处办法》第十三条", "罚款", "罚款",
         0.5, "2026-05-20", "", "一般", samr, samr_code, samr, samr_code, ""]
    )  # fmt: skip
    rows += [
        # Deliberate mistakes, one per row.
        [SAMPLE_ENTERPRISES[0][0], "法人及非法人组织", codes[0], "", "", "舞市监罚〔2026〕130号",
         "违反广告法", "发布虚假广告", "《广告法》第五十五条", "罚款", "罚款", 1.0, "2099-01-01",
         "", "一般", samr, samr_code, samr, samr_code, "决定日期在未来"],
        [SAMPLE_ENTERPRISES[1][0], "法人及非法人组织", codes[1], "", "", "舞市监罚〔2026〕131号",
         "违反食品安全法", "经营超过保质期的食品", "《食品安全法》第一百二十四条", "罚款", "罚款",
         "", "2026-04-02", "", "一般", samr, samr_code, samr, samr_code, "罚款未填金额"],
        [SAMPLE_ENTERPRISES[2][0], "法人及非法人组织", codes[2], "", "", "舞市监罚〔2026〕132号",
         "违反计量法", "使用不合格计量器具", "《计量法》第二十七条", "罚金", "罚金", 1.0,
         "2026-04-03", "", "一般", samr, samr_code, samr, samr_code, "处罚类别不在规定取值中"],
        ["舞钢市未登记示例有限公司", "法人及非法人组织", make_uscc("91", WUGANG_REGION, "MA7TMP99"),
         "", "", "舞市监罚〔2026〕133号", "违反价格法", "不明码标价", "《价格法》", "罚款",
         "罚款", 0.2, "2026-04-04", "", "轻微", samr, samr_code, samr, samr_code,
         "主体尚未登记：作为待登记核实主体入网"],
        [SAMPLE_ENTERPRISES[3][0], "法人及非法人组织", codes[3], "", "", "舞市监罚〔2026〕134号",
         "违反消费者权益保护法", '=HYPERLINK("http://x.invalid")', "《消法》",
         "警告", "警告", "", "2026-04-05", "", "轻微", samr, samr_code, samr, samr_code, "含公式"],
        [SAMPLE_ENTERPRISES[0][0], "法人及非法人组织", codes[0], "", "", "舞市监罚〔2026〕101号",
         "违反产品质量法", "生产销售不合格产品(更正)", "《产品质量法》第四十九条", "罚款", "罚款",
         9.9, "2026-03-10", "", "一般", samr, samr_code, samr, samr_code, "同一文号内容不同"],
    ]  # fmt: skip
    return rows


def _licence_rows() -> list[list[Any]]:
    codes = sample_enterprise_codes()
    samr, samr_code = SAMR
    rows: list[list[Any]] = []
    for k, ((name, *_), code) in enumerate(zip(SAMPLE_ENTERPRISES, codes, strict=True)):
        rows.append(
            [name, "法人及非法人组织", code, _person(k)[0], "食品经营许可决定书",
             f"舞市监许〔2026〕{201 + k}号", "普通", "食品经营许可证", f"JY14104810{k:05d}",
             "预包装食品销售", datetime.date(2026, 2, 2 + k), datetime.date(2026, 2, 2 + k),
             datetime.date(2031, 2, 1 + k), "有效", samr, samr_code, samr, samr_code]
        )  # fmt: skip
    rows += [
        [SAMPLE_ENTERPRISES[0][0], "法人及非法人组织", codes[0], "", "食品经营许可决定书",
         "舞市监许〔2026〕230号", "普通", "食品经营许可证", "JY1", "预包装食品销售",
         datetime.date(2026, 3, 1), datetime.date(2026, 3, 1), datetime.date(2025, 3, 1), "有效",
         samr, samr_code, samr, samr_code],
        [SAMPLE_ENTERPRISES[1][0], "法人及非法人组织", codes[1], "", "食品经营许可决定书",
         "舞市监许〔2026〕231号", "一般", "食品经营许可证", "JY2", "预包装食品销售",
         datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), datetime.date(2031, 3, 1), "有效",
         samr, samr_code, samr, samr_code],
        [SAMPLE_ENTERPRISES[2][0], "法人及非法人组织", codes[2], "", "食品经营许可决定书",
         "舞市监许〔2026〕232号", "普通", "食品经营许可证", "JY3", "=1+1",
         datetime.date(2026, 3, 3), datetime.date(2026, 3, 3), datetime.date(2031, 3, 1), "有效",
         samr, samr_code, samr, samr_code],
    ]  # fmt: skip
    return rows


def _judgment_rows() -> list[dict[str, Any] | str]:
    codes = sample_enterprise_codes()
    court, court_code = COURT
    rows: list[dict[str, Any] | str] = [
        {
            "subjectName": SAMPLE_ENTERPRISES[k][0],
            "subjectType": "法人及非法人组织",
            "subjectUscc": codes[k],
            "documentNumber": f"(2026)豫0481民初{301 + k}号",
            "title": "买卖合同纠纷",
            "content": "被告于判决生效之日起十日内支付货款",
            "decisionDate": f"2026-0{4 + k}-15",
            "issuingAuthority": court,
            "issuingAuthorityCode": court_code,
        }
        for k in range(3)
    ]
    rows += [
        '{"subjectName": "舞钢市半行示例有限公司", "documentNumber": ',
        {
            "subjectName": SAMPLE_ENTERPRISES[3][0],
            "subjectUscc": codes[3],
            "title": "借款合同纠纷",
            "decisionDate": "2026-05-01",
            "issuingAuthority": court,
            "issuingAuthorityCode": court_code,
        },
    ]
    return rows


NATIONAL_PENALTY_HEADERS: Final = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "法定代表人证件类型",
    "法定代表人证件号码", "证件类型", "证件号码", "行政处罚决定书文号", "违法行为类型",
    "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）", "处罚决定日期", "处罚有效期", "公示截止期",
    "处罚机关", "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码",
    "备注",
)  # fmt: skip
"""The national 双公示 行政处罚 header as departments' systems export it (DOMAIN.md order), with
the 法定代表人 and natural-person ID columns and full-width brackets."""

_NATIONAL_NAMES: Final = (
    "舞钢市新铸精密机械有限公司",
    "舞钢市石漫滩文旅发展有限公司",
    "舞钢市垭口老张烧饼店",
)


def national_penalty_subjects() -> list[tuple[str, str]]:
    """Name and USCC of the national penalty file's organisations, none of them registered."""
    return [
        (_NATIONAL_NAMES[0], make_uscc("91", WUGANG_REGION, "MA7NAT01")),
        (_NATIONAL_NAMES[1], make_uscc("91", WUGANG_REGION, "MA7NAT02")),
        (_NATIONAL_NAMES[2], make_uscc("92", WUGANG_REGION, "MA7NAT03")),
    ]


def _wrong_check(code: str) -> str:
    """``code`` with a check character that does not match (a typo the gate must catch)."""
    return code[:17] + ("0" if code[17] != "0" else "1")


def _national_penalty_rows() -> list[list[Any]]:
    (n1, c1), (n2, c2), (n3, c3) = national_penalty_subjects()
    samr, samr_code = SAMR
    org = "法人及非法人组织"
    boss, boss_id = _person(2)
    operator, operator_id = _person(3)
    person, person_id = _person(5)
    return [
        [n1, org, c1, boss, "身份证", boss_id, "", "", "舞市监罚〔2026〕501号", "违反产品质量法",
         "生产销售不合格产品", "《中华人民共和国产品质量法》第四十九条", "罚款;没收违法所得",
         "罚款并没收违法所得", "3.5", "0.8", "2026/10/12", "2027/10/12", "2027/10/12",
         samr, samr_code, samr, samr_code, ""],
        [n2, org, c2, "", "", "", "", "", "舞市监罚〔2026〕502号", "违反食品安全法",
         "使用非食品原料生产食品，情节严重", "《中华人民共和国食品安全法》第一百二十三条",
         "吊销许可证件", "吊销食品经营许可证", "", "", "2026-10-20", "", "",
         samr, samr_code, samr, samr_code, "吊销许可证件：严重"],
        [n3, "个体工商户", c3, operator, "身份证", operator_id, "", "", "舞市监罚〔2026〕503号",
         "违反食品安全法", "未按规定公示健康证明", "《中华人民共和国食品安全法》第一百二十六条",
         "警告", "警告", "", "", "2026/11/02", "", "", samr, samr_code, samr, samr_code,
         "仅警告：市场监管部门不予公示"],
        [person, "自然人", "", "", "", "", "身份证", person_id, "舞市监罚〔2026〕504号",
         "无照经营", "未取得营业执照从事经营活动", "《无证无照经营查处办法》第十三条", "罚款",
         "罚款", "0.5", "", "2026/11/05", "", "", samr, samr_code, samr, samr_code, ""],
        # Deliberate mistakes, one per row.
        [n1, org, _wrong_check(c1), "", "", "", "", "", "舞市监罚〔2026〕505号", "违反广告法",
         "发布虚假广告", "《中华人民共和国广告法》第五十五条", "罚款", "罚款", "1.2",
         "", "2026/11/06", "", "", samr, samr_code, samr, samr_code, "校验码错误"],
        [n2, org, c2, "", "", "", "", "", "舞市监罚〔2026〕506号", "违反价格法", "不明码标价",
         "《中华人民共和国价格法》第四十二条", "罚款", "罚款", "0.3", "", "2099/01/01", "", "",
         samr, samr_code, samr, samr_code, "决定日期在未来"],
        [n1, org, c1, "", "", "", "", "", "", "违反计量法", "使用不合格计量器具",
         "《中华人民共和国计量法》第二十七条", "罚款", "罚款", "0.6", "", "2026/11/09", "",
         "", samr, samr_code, samr, samr_code, "缺少决定书文号"],
        [n2, org, c2, "", "", "", "", "", "舞市监罚〔2026〕508号", "违反消费者权益保护法",
         "拒不履行退货义务", "《中华人民共和国消费者权益保护法》第五十六条", "罚款", "罚款",
         "0.4", "", "2026/11/10", "", "", "舞钢市市场监管局稽查大队", samr_code, samr, samr_code,
         "处罚机关名称与代码不符"],
    ]  # fmt: skip


def _subject_headers(*, id_columns: bool = False) -> tuple[str, ...]:
    extra = ("证件类型", "证件号码") if id_columns else ()
    return ("行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", *extra)


def _act_sample(
    headers: tuple[str, ...],
    good: list[dict[str, Any]],
    number: str,
    decided: str,
    code: str,
    *,
    missing: str | None = None,
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Good rows, then the three deliberate mistakes every sample shows: a wrong check
    character (row n+1), a decision date in the future (n+2) and a missing 文号 (n+3; the
    ``missing`` column instead for a kind whose key is not a 文号)."""
    first = good[0]
    bad = [
        {**first, code: _wrong_check(first[code]), number: first[number] + "-校验码",
         "备注": "统一社会信用代码校验码错误"},
        {**first, decided: "2099/01/01", number: first[number] + "-未来", "备注": "决定日期在未来"},
        {**first, (missing or number): "", "备注": f"缺少{missing or '文书号'}"},
    ]  # fmt: skip
    return headers, [[row.get(h, "") for h in headers] for row in (*good, *bad)]


def _sample_subjects() -> list[tuple[str, str]]:
    return list(zip((n for n, *_ in SAMPLE_ENTERPRISES), sample_enterprise_codes(), strict=True))


def _act_rows(
    act: str,
    *,
    number: str,
    category: tuple[str, str],
    content: tuple[str, str],
    decided: str,
    authority: str,
    decider: tuple[str, str],
    prefix: str,
    amount: str | None = None,
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A sample of one of the acts of 四(三), national style: two subjects, three bad rows."""
    headers = (
        *_subject_headers(),
        f"{act}决定文书名称", number, category[0], content[0],
        *((amount,) if amount else ()),
        decided, "有效期自", "有效期至", authority, f"{authority}统一社会信用代码",
        "数据来源单位", "数据来源单位统一社会信用代码", "备注",
    )  # fmt: skip
    good = [
        {
            "行政相对人名称": name,
            "行政相对人类别": "法人及非法人组织",
            "统一社会信用代码": code,
            f"{act}决定文书名称": f"{act}决定书",
            number: f"{prefix}〔2026〕{601 + k}号",
            category[0]: category[1],
            content[0]: content[1],
            **({amount: f"{1.5 + k}"} if amount else {}),
            decided: f"2026/10/{12 + k}",
            "有效期自": f"2026/10/{12 + k}",
            authority: decider[0],
            f"{authority}统一社会信用代码": decider[1],
            "数据来源单位": decider[0],
            "数据来源单位统一社会信用代码": decider[1],
        }
        for k, (name, code) in enumerate(_sample_subjects()[:2])
    ]
    return _act_sample(headers, good, number, decided, "统一社会信用代码")


def _act_samples() -> dict[str, tuple[tuple[str, ...], list[list[Any]]]]:
    samr, tax = SAMR, TAX
    return {
        "coercion": _act_rows(
            "行政强制", number="行政强制决定书文号", category=("行政强制类别", "行政强制措施"),
            content=("行政强制内容", "查封涉嫌不合格产品一批"), decided="行政强制决定日期",
            authority="实施机关", decider=samr, prefix="舞市监强",
        ),
        "confirmation": _act_rows(
            "行政确认", number="行政确认文书号", category=("确认类别", "资格确认"),
            content=("确认内容", "确认为小微企业"), decided="确认决定日期",
            authority="确认机关", decider=samr, prefix="舞市监确",
        ),
        "levy": _act_rows(
            "行政征收", number="行政征收决定书文号", category=("征收类别", "行政事业性收费"),
            content=("征收内容", "征收残疾人就业保障金"), decided="征收决定日期",
            authority="征收机关", decider=tax, prefix="舞钢税征", amount="征收金额（万元）",
        ),
        "benefit": _act_rows(
            "行政给付", number="行政给付决定书文号", category=("给付类别", "稳岗返还"),
            content=("给付内容", "失业保险稳岗返还"), decided="给付决定日期",
            authority="给付机关", decider=HUMAN_RESOURCES, prefix="舞人社给",
            amount="给付金额（万元）",
        ),
        "adjudication": _act_rows(
            "行政裁决", number="行政裁决书文号", category=("裁决类别", "商标权属争议"),
            content=("裁决结果", "驳回申请人请求"), decided="裁决日期",
            authority="裁决机关", decider=samr, prefix="舞市监裁",
        ),
        "compensation": _act_rows(
            "行政补偿", number="行政补偿决定书文号", category=("补偿类别", "征收补偿"),
            content=("补偿内容", "撤回许可补偿"), decided="补偿决定日期",
            authority="补偿机关", decider=samr, prefix="舞市监补", amount="补偿金额（万元）",
        ),
        "reward": _act_rows(
            "行政奖励", number="行政奖励决定书文号", category=("奖励类别", "举报奖励"),
            content=("奖励内容", "举报食品安全违法行为奖励"), decided="奖励决定日期",
            authority="奖励机关", decider=samr, prefix="舞市监奖", amount="奖励金额（万元）",
        ),
        "supervision_check": _act_rows(
            "行政监督检查", number="检查文书号", category=("检查类别", "双随机抽查"),
            content=("检查结果", "未发现问题"), decided="检查日期",
            authority="检查机关", decider=samr, prefix="舞市监查",
        ),
    }  # fmt: skip


def _abnormal_sample() -> tuple[tuple[str, ...], list[list[Any]]]:
    samr, samr_code = SAMR
    headers = (
        "企业名称", "统一社会信用代码", "列入决定书文号", "列入经营异常名录原因", "列入日期",
        "作出决定机关（列入）", "列入决定机关统一社会信用代码", "移出经营异常名录原因",
        "移出日期", "作出决定机关（移出）", "备注",
    )  # fmt: skip
    (n1, c1), (n2, c2) = _sample_subjects()[:2]
    good = [
        {"企业名称": n1, "统一社会信用代码": c1, "列入决定书文号": "舞市监异字〔2026〕第0001号",
         "列入经营异常名录原因": "未按照规定的期限公示年度报告", "列入日期": "2026/07/01",
         "作出决定机关（列入）": samr, "列入决定机关统一社会信用代码": samr_code},
        {"企业名称": n2, "统一社会信用代码": c2, "列入决定书文号": "舞市监异字〔2026〕第0002号",
         "列入经营异常名录原因": "通过登记的住所或者经营场所无法联系", "列入日期": "2026/05/10",
         "作出决定机关（列入）": samr, "列入决定机关统一社会信用代码": samr_code,
         "移出经营异常名录原因": "已更正登记住所", "移出日期": "2026/09/15",
         "作出决定机关（移出）": samr, "备注": "已移出"},
    ]  # fmt: skip
    return _act_sample(headers, good, "列入决定书文号", "列入日期", "统一社会信用代码")


def _tax_grade_sample() -> tuple[tuple[str, ...], list[list[Any]]]:
    tax, tax_code = TAX
    headers = (
        "纳税人名称", "纳税人识别号", "评价年度", "纳税信用级别", "评价日期", "有效期至",
        "评价文书号", "评价机关", "评价机关统一社会信用代码", "备注",
    )  # fmt: skip
    good = [
        {"纳税人名称": name, "纳税人识别号": code, "评价年度": "2025", "纳税信用级别": grade,
         "评价日期": "2026/04/20", "有效期至": "2027/04/09",
         "评价文书号": f"舞钢税信评〔2026〕{11 + k}号", "评价机关": tax,
         "评价机关统一社会信用代码": tax_code}
        for k, ((name, code), grade) in enumerate(zip(_sample_subjects()[:3], "ADB", strict=True))
    ]  # fmt: skip
    # A grade's key is the taxpayer and the year, not a 文号: the third mistake is a missing
    # grade.
    return _act_sample(
        headers, good, "评价文书号", "评价日期", "纳税人识别号", missing="纳税信用级别"
    )


def _honour_sample() -> tuple[tuple[str, ...], list[list[Any]]]:
    samr, samr_code = SAMR
    headers = (
        *_subject_headers(), "表彰奖励名称", "表彰决定文号", "表彰奖励级别", "表彰奖励内容",
        "表彰日期", "表彰单位", "表彰单位统一社会信用代码", "备注",
    )  # fmt: skip
    good = [
        {"行政相对人名称": name, "行政相对人类别": "法人及非法人组织", "统一社会信用代码": code,
         "表彰奖励名称": "2025年度守合同重信用企业", "表彰决定文号": f"舞市监〔2026〕{41 + k}号",
         "表彰奖励级别": "县级", "表彰奖励内容": "授予守合同重信用企业称号",
         "表彰日期": f"2026/03/{10 + k}", "表彰单位": samr, "表彰单位统一社会信用代码": samr_code}
        for k, (name, code) in enumerate(_sample_subjects()[:2])
    ]  # fmt: skip
    return _act_sample(headers, good, "表彰决定文号", "表彰日期", "统一社会信用代码")


def _false_litigation_sample() -> tuple[tuple[str, ...], list[list[Any]]]:
    court, court_code = COURT
    person, person_id = _person(6)
    headers = (
        "被执行人姓名/名称", "证件号码/统一社会信用代码", "案号", "虚假诉讼情形", "处理结果",
        "认定日期", "有效期至", "认定法院", "认定法院统一社会信用代码", "备注",
    )  # fmt: skip
    (name, code) = _sample_subjects()[4]
    good = [
        {"被执行人姓名/名称": name, "证件号码/统一社会信用代码": code,
         "案号": "(2026)豫0481民初701号", "虚假诉讼情形": "与他人恶意串通，捏造债务提起诉讼",
         "处理结果": "驳回诉讼请求，罚款五万元", "认定日期": "2026/08/18", "认定法院": court,
         "认定法院统一社会信用代码": court_code},
        {"被执行人姓名/名称": person, "证件号码/统一社会信用代码": person_id,
         "案号": "(2026)豫0481民初702号", "虚假诉讼情形": "伪造证据虚构民间借贷",
         "处理结果": "罚款一万元", "认定日期": "2026/09/01", "认定法院": court,
         "认定法院统一社会信用代码": court_code},
    ]  # fmt: skip
    return _act_sample(headers, good, "案号", "认定日期", "证件号码/统一社会信用代码")


def _annual_report_sample() -> tuple[tuple[str, ...], list[list[Any]]]:
    headers = ("统一社会信用代码", "企业名称", "年报年度", "报送日期")
    subjects = _sample_subjects()
    rows: list[list[Any]] = [
        [code, name, "2025", f"2026/0{3 + k}/1{k}"] for k, (name, code) in enumerate(subjects[:3])
    ]
    rows += [
        [_wrong_check(subjects[3][1]), subjects[3][0], "2025", "2026/05/20"],  # check character
        [subjects[4][1], subjects[4][0], "2025", "2099/01/01"],  # filed in the future
        [subjects[5][1], subjects[5][0], "", "2026/06/01"],  # no report year
    ]
    return headers, rows


NEW_KIND_SAMPLES: Final = {
    "coercion": "coercion-gb18030.csv",
    "confirmation": "confirmation-gb18030.csv",
    "levy": "levy-gb18030.csv",
    "benefit": "benefit-gb18030.csv",
    "adjudication": "adjudication-gb18030.csv",
    "compensation": "compensation-gb18030.csv",
    "reward": "reward-gb18030.csv",
    "supervision_check": "supervision-check-gb18030.csv",
    "abnormal": "abnormal-gb18030.csv",
    "tax_grade": "tax-grades-gb18030.csv",
    "honor": "honours-gb18030.csv",
    "false_litigation": "false-litigation-gb18030.csv",
    "annual_report": "annual-reports-gb18030.csv",
}
"""The sample file of each further feed kind (GB18030 CSV, national-style headers). Every one
has its good rows first and three deliberate mistakes last (a wrong check character, a date in
the future, a missing 文号 — for annual reports a missing 年报年度)."""


def _new_kind_samples() -> dict[str, tuple[tuple[str, ...], list[list[Any]]]]:
    return {
        **_act_samples(),
        "abnormal": _abnormal_sample(),
        "tax_grade": _tax_grade_sample(),
        "honor": _honour_sample(),
        "false_litigation": _false_litigation_sample(),
        "annual_report": _annual_report_sample(),
    }


def write_samples(directory: Path = SAMPLES_DIR) -> list[Path]:
    """Write the sample feeds (deterministic) and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Callable[[Path], None]] = {
        "registration-gbk.csv": lambda p: write_csv(
            p, REGISTRATION_HEADERS, _registration_rows(), "gbk"
        ),
        "penalties-gbk.csv": lambda p: write_csv(p, PENALTY_HEADERS, _penalty_rows(), "gbk"),
        "licences.xlsx": lambda p: write_xlsx(p, LICENCE_HEADERS, _licence_rows()),
        "judgments.jsonl": lambda p: write_jsonl(p, _judgment_rows()),
        "penalties-national-gb18030.csv": lambda p: write_csv(
            p, NATIONAL_PENALTY_HEADERS, _national_penalty_rows(), "gb18030"
        ),
    }
    for kind, (headers, rows) in _new_kind_samples().items():
        files[NEW_KIND_SAMPLES[kind]] = functools.partial(
            _write_gb18030, headers=headers, rows=rows
        )
    paths = []
    for name, write in files.items():
        path = directory / name
        write(path)
        paths.append(path)
    # What the provincial and national systems send down is written by
    # loaders/sample_exchange.py, which builds its rows from this module's numbers.
    return paths


def _write_gb18030(path: Path, *, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    write_csv(path, headers, rows, "gb18030")


def generated_rows(
    kind: str, count: int, subjects: Sequence[str], *, seed: int = 7, year: int = 2025
) -> Iterator[list[Any]]:
    """``count`` valid penalty or licence rows (PENALTY_HEADERS / LICENCE_HEADERS order).

    Subjects cycle through ``subjects`` (registered USCCs); document numbers are unique per
    row; dates fall in ``year``. Used by the load benchmark to make a million-row feed.
    """
    rng = random.Random(seed)
    samr, samr_code = SAMR
    start = datetime.date(year, 1, 2).toordinal()
    for n in range(count):
        code = subjects[n % len(subjects)]
        decided = datetime.date.fromordinal(start + rng.randrange(360))
        if kind == "penalty":
            fine = round(rng.uniform(0.1, 50), 2)
            yield [
                f"企业{n % len(subjects)}", "法人及非法人组织", code, "", "",
                f"舞市监罚〔{year}〕{n + 1}号", "违反产品质量法", "生产销售不合格产品",
                "《产品质量法》第四十九条", "罚款", "罚款", fine, decided.isoformat(), "",
                rng.choice(("一般", "严重", "轻微")), samr, samr_code, samr, samr_code, "",
            ]  # fmt: skip
        elif kind == "license":
            yield [
                f"企业{n % len(subjects)}", "法人及非法人组织", code, "", "食品经营许可决定书",
                f"舞市监许〔{year}〕{n + 1}号", "普通", "食品经营许可证", f"JY{n:011d}",
                "预包装食品销售", decided.isoformat(), decided.isoformat(),
                add_years(decided, 5).isoformat(), "有效", samr, samr_code, samr,
                samr_code,
            ]  # fmt: skip
        else:
            raise ValueError(f"generated_rows makes penalty or license rows, not {kind!r}")


if __name__ == "__main__":
    for written in write_samples():
        print(written)
