"""Sample department feeds: the small files under ``loaders/samples/`` and large generated ones.

The samples are what a department would really send, in the formats the plan's departments
export: a registration feed and a penalty feed as CSV in GBK with the national Chinese headers,
licences as XLSX, court judgments as JSON Lines with our English names. Each has deliberate bad
rows (a wrong check character, a future date, a fine without an amount, a formula in a cell …)
so a reader sees the quarantine at work. They are sent by the demo city's departments, so after
`credithub up` they load as the README shows.

`write_samples` regenerates the committed files; `generated_rows` makes any number of valid
licence or penalty rows for the load benchmark.
"""

from __future__ import annotations

import csv
import datetime
import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from graph.publication import add_years

__all__ = [
    "COURT",
    "SAMPLES_DIR",
    "SAMPLE_ENTERPRISES",
    "SAMR",
    "generated_rows",
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
         "罚款", 0.2, "2026-04-04", "", "轻微", samr, samr_code, samr, samr_code, "主体未登记"],
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
    }
    paths = []
    for name, write in files.items():
        path = directory / name
        write(path)
        paths.append(path)
    return paths


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
