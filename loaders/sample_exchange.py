"""Sample files the upper systems send down, with deliberate bad rows (loaders/samples/).

- ``province-dishonest-debtors-gb18030.csv``: 失信被执行人 in the court's national fields, as the
  provincial platform relays them (GB18030): the city's sample enterprises and a person, one row
  the city court already sent itself (linked, not duplicated), and bad rows: a mistyped check
  character, a court that is not registered, no 案号, a 发布时间 in the future;
- ``province-dishonest-lists-gb18030.csv``: 严重失信主体名单 / 重大税收违法失信主体 / 红名单 as
  list decisions: one duplicates the city market regulator's own black-list entry, one names a
  subject outside the city (not registered: quarantined), one black-list entry lacks its removal
  conditions;
- ``province-measures.toml``: the provincial joint punishment measures catalogue;
- ``internet-supervision-results.json``: inspection results recorded in “互联网+监管”.

The rows are built from the same numbers as loaders/sample_feeds.py, so after the sample
registration feed they name registered subjects.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Final

from graph.identifiers import WUGANG_REGION, make_resident_id, make_uscc
from loaders.sample_feeds import (
    COURT,
    SAMPLE_ENTERPRISES,
    SAMPLES_DIR,
    SAMR,
    TAX,
    sample_enterprise_codes,
    write_csv,
)

__all__ = [
    "CITY_COURT_DEBTOR",
    "CITY_SAMR_LIST",
    "DEBTOR_HEADERS",
    "EXCHANGE_SAMPLES",
    "LIST_HEADERS",
    "PINGDINGSHAN_COURT",
    "PROVINCIAL_TAX",
    "write_exchange_samples",
]

PINGDINGSHAN_COURT: Final = ("平顶山市中级人民法院", "11410400005700049G")
PROVINCIAL_TAX: Final = ("国家税务总局河南省税务局", "11410000005700057N")
PROVINCE_SYSTEM: Final = ("河南省发展和改革委员会", "114100000057000149")

EXCHANGE_SAMPLES: Final = {
    "debtors": "province-dishonest-debtors-gb18030.csv",
    "lists": "province-dishonest-lists-gb18030.csv",
    "measures": "province-measures.toml",
    "inspections": "internet-supervision-results.json",
}

DEBTOR_HEADERS: Final = (
    "被执行人姓名/名称", "证件号码/统一社会信用代码", "法定代表人或者负责人姓名", "执行法院",
    "省份", "执行依据文号", "立案时间", "案号", "做出执行依据单位", "生效法律文书确定的义务",
    "被执行人的履行情况", "失信被执行人行为具体情形", "发布时间", "已履行部分", "未履行部分",
)  # fmt: skip

LIST_HEADERS: Final = (
    "主体名称", "统一社会信用代码", "名单类型", "名单名称", "认定依据", "认定文书号", "认定日期",
    "告知日期", "有效期至", "移出条件", "认定部门", "认定部门统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码",
)  # fmt: skip

CITY_COURT_DEBTOR: Final = {
    "被执行人姓名/名称": SAMPLE_ENTERPRISES[1][0],
    "证件号码/统一社会信用代码": "",  # filled in by _city_rows (the code is computed)
    "执行法院": COURT[0],
    "执行法院统一社会信用代码": COURT[1],
    "案号": "（2026）豫0481执588号",
    "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
    "生效法律文书确定的义务": "支付货款12万元",
    "被执行人的履行情况": "全部未履行",
    "发布时间": "2026-09-15",
}
"""The city court's own 失信被执行人 entry that the provincial file repeats (test fixture)."""

CITY_SAMR_LIST: Final = {
    "主体名称": SAMPLE_ENTERPRISES[2][0],
    "统一社会信用代码": "",
    "名单类型": "黑名单",
    "名单名称": "严重违法失信名单",
    "认定依据": "《市场监督管理严重违法失信名单管理办法》第九条",
    "认定文书号": "舞市监严失〔2026〕7号",
    "认定日期": "2026-08-20",
    "告知日期": "2026-08-01",
    "移出条件": "自列入之日起满一年且已履行处罚义务，可申请移出",
    "认定部门": SAMR[0],
    "认定部门统一社会信用代码": SAMR[1],
}
"""The city market regulator's own black-list entry that the provincial file repeats."""


def city_rows() -> tuple[dict[str, str], dict[str, str]]:
    """The city court's debtor row and the regulator's list row, with the subjects' codes."""
    codes = sample_enterprise_codes()
    debtor = {**CITY_COURT_DEBTOR, "证件号码/统一社会信用代码": codes[1]}
    entry = {**CITY_SAMR_LIST, "统一社会信用代码": codes[2]}
    return debtor, entry


def _debtor_rows() -> list[list[Any]]:
    codes = sample_enterprise_codes()
    debtor, _ = city_rows()
    person = make_resident_id(WUGANG_REGION, datetime.date(1979, 4, 12), 35)
    court = PINGDINGSHAN_COURT[0]
    rows: list[list[Any]] = [
        [SAMPLE_ENTERPRISES[0][0], codes[0], "王建国", court, "河南", "（2025）豫04民初112号",
         "2026-03-02", "（2026）豫04执301号", court, "偿还借款本金50万元及利息", "全部未履行",
         "有履行能力而拒不履行生效法律文书确定义务", "2026-07-10", "", "50万元"],
        ["孙某强", person, "", court, "河南", "（2025）豫04民终77号", "2026-02-11",
         "（2026）豫04执198号", court, "支付劳动报酬8万元", "部分履行",
         "违反限制消费令", "2026-06-30", "3万元", "5万元"],
        # The city court's own entry, relayed by the province: linked to the city's record.
        [debtor["被执行人姓名/名称"], debtor["证件号码/统一社会信用代码"], "", COURT[0], "河南",
         "", "", debtor["案号"], "", debtor["生效法律文书确定的义务"],
         debtor["被执行人的履行情况"], debtor["失信被执行人行为具体情形"], debtor["发布时间"],
         "", ""],
        # Deliberate mistakes: a mistyped check character, a court not registered, no 案号, a
        # 发布时间 in the future.
        [SAMPLE_ENTERPRISES[3][0], codes[3][:17] + ("0" if codes[3][17] != "0" else "1"), "",
         court, "河南", "", "", "（2026）豫04执402号", "", "支付工程款", "全部未履行",
         "转移财产规避执行", "2026-07-01", "", ""],
        [SAMPLE_ENTERPRISES[4][0], codes[4], "", "外省某某县人民法院", "某省", "", "",
         "（2026）某0101执9号", "", "支付货款", "全部未履行", "拒不履行", "2026-07-01", "", ""],
        [SAMPLE_ENTERPRISES[5][0], codes[5], "", court, "河南", "", "", "", "", "支付租金",
         "全部未履行", "拒不履行", "2026-07-01", "", ""],
        [SAMPLE_ENTERPRISES[5][0], codes[5], "", court, "河南", "", "", "（2026）豫04执555号",
         "", "支付租金", "全部未履行", "拒不履行", "2099-01-01", "", ""],
    ]  # fmt: skip
    return rows


def _list_rows() -> list[list[Any]]:
    codes = sample_enterprise_codes()
    _, entry = city_rows()
    tax, system = PROVINCIAL_TAX, PROVINCE_SYSTEM
    outside = make_uscc("91", "410100", "MA9XQT01")  # a Zhengzhou company, not in the city
    return [
        [SAMPLE_ENTERPRISES[0][0], codes[0], "黑名单", "重大税收违法失信主体",
         "《重大税收违法失信主体信息公布管理办法》第六条", "豫税稽罚〔2026〕31号", "2026-07-20",
         "2026-07-01", "2029-07-19", "按规定缴清税款、滞纳金和罚款后可申请提前停止公布",
         tax[0], tax[1], system[0], system[1]],
        [SAMPLE_ENTERPRISES[3][0], codes[3], "红名单", "河南省诚信示范企业",
         "《河南省社会信用条例》第三十二条", "豫信用办〔2026〕12号", "2026-06-01", "",
         "2027-05-31", "", system[0], system[1], system[0], system[1]],
        # The city regulator's own black-list decision, relayed: linked to the city's entry.
        [entry["主体名称"], entry["统一社会信用代码"], entry["名单类型"], entry["名单名称"],
         entry["认定依据"], entry["认定文书号"], entry["认定日期"], entry["告知日期"], "",
         entry["移出条件"], entry["认定部门"], entry["认定部门统一社会信用代码"], system[0],
         system[1]],
        # Deliberate mistakes: a subject outside the city (not registered), a black-list entry
        # without removal conditions, a decision number missing.
        ["郑州某某贸易有限公司", outside, "黑名单", "重大税收违法失信主体",
         "《重大税收违法失信主体信息公布管理办法》第六条", "豫税稽罚〔2026〕44号", "2026-07-22",
         "2026-07-02", "", "缴清税款后可申请", tax[0], tax[1], system[0], system[1]],
        [SAMPLE_ENTERPRISES[4][0], codes[4], "黑名单", "重大税收违法失信主体",
         "《重大税收违法失信主体信息公布管理办法》第六条", "豫税稽罚〔2026〕45号", "2026-07-22",
         "2026-07-02", "", "", tax[0], tax[1], system[0], system[1]],
        [SAMPLE_ENTERPRISES[5][0], codes[5], "红名单", "河南省诚信示范企业",
         "《河南省社会信用条例》", "", "2026-06-01", "", "", "", system[0], system[1], system[0],
         system[1]],
    ]  # fmt: skip


PROVINCE_MEASURES: Final = """\
# 河南省失信惩戒措施清单 — as 全省统一的联合奖惩系统 publishes it (sample, loaders/exchange/).
title = "河南省失信惩戒措施补充清单"
version = "2026.2"
published_on = 2026-10-01

[[measure]]
code = "M01"
name = "限制参与招标投标活动"
category = "行政性惩戒"

[[measure]]
code = "M02"
name = "限制参加政府采购活动"
category = "行政性惩戒"

[[measure]]
code = "M03"
name = "限制申请财政性资金项目"
category = "行政性惩戒"

[[measure]]
code = "M04"
name = "限制享受税收优惠政策"
category = "行政性惩戒"

[[measure]]
code = "M05"
name = "从严审核授信、限制获得信贷支持"
category = "市场性惩戒"

[[measure]]
code = "M06"
name = "限制乘坐飞机、高等级列车和席次"
category = "市场性惩戒"

[[measure]]
code = "M07"
name = "限制发行股票、企业债券"
category = "市场性惩戒"

[[measure]]
code = "M08"
name = "依法依规实施市场和行业禁入"
category = "行政性惩戒"

[[measure]]
code = "M09"
name = "限制担任企业法定代表人及董事、监事、高级管理人员"
category = "行政性惩戒"

[[measure]]
code = "M10"
name = "限制录用为公务员或事业单位工作人员"
category = "行政性惩戒"

[[measure]]
code = "M11"
name = "取消参加评优评先资格"
category = "社会性惩戒"

[[measure]]
code = "M14"
name = "限制高消费及非生活和工作必需的消费行为"
category = "市场性惩戒"

[[measure]]
code = "HA-21"
name = "限制取得政府供应土地"
category = "行政性惩戒"

# Deliberate mistakes: a measure without a name, a category that is not one of the four.
[[measure]]
code = "HA-22"
name = ""
category = "行政性惩戒"

[[measure]]
code = "HA-23"
name = "限制参加国有企业采购"
category = "经济性惩戒"
"""
"""The city catalogue's M12 (行业协会通报批评) and M13 (信用舞钢曝光) are not in it: flagged."""


def _inspection_results() -> dict[str, Any]:
    codes = sample_enterprise_codes()
    return {
        "format": "internet-supervision.results.v1",
        "system": "河南省“互联网+监管”系统",
        "results": [
            {"resultId": "HNJG-2026-000101", "uscc": codes[0], "name": SAMPLE_ENTERPRISES[0][0],
             "department": SAMR[1], "documentNumber": "舞市监查〔2026〕101号",
             "inspectedOn": "2026-10-12", "outcome": "NO_PROBLEM",
             "title": "产品质量监督检查", "findings": "未发现问题"},
            {"resultId": "HNJG-2026-000102", "uscc": codes[1], "name": SAMPLE_ENTERPRISES[1][0],
             "department": TAX[1], "documentNumber": "舞钢税查〔2026〕17号",
             "inspectedOn": "2026-10-20", "outcome": "RECTIFICATION_ORDERED",
             "title": "发票使用情况检查", "findings": "发票保管不规范，责令限期改正"},
            # Deliberate mistakes: an unknown outcome, a department that is not registered, a
            # date in the future, no USCC.
            {"resultId": "HNJG-2026-000103", "uscc": codes[2], "name": SAMPLE_ENTERPRISES[2][0],
             "department": SAMR[1], "documentNumber": "舞市监查〔2026〕103号",
             "inspectedOn": "2026-10-21", "outcome": "BAD", "title": "食品安全检查",
             "findings": "-"},
            {"resultId": "HNJG-2026-000104", "uscc": codes[3], "name": SAMPLE_ENTERPRISES[3][0],
             "department": make_uscc("11", "410100", "00999999"),
             "documentNumber": "郑查〔2026〕1号", "inspectedOn": "2026-10-21",
             "outcome": "NO_PROBLEM", "title": "检查", "findings": "未发现问题"},
            {"resultId": "HNJG-2026-000105", "uscc": codes[4], "name": SAMPLE_ENTERPRISES[4][0],
             "department": SAMR[1], "documentNumber": "舞市监查〔2026〕105号",
             "inspectedOn": "2099-01-01", "outcome": "NO_PROBLEM", "title": "检查",
             "findings": "未发现问题"},
            {"resultId": "HNJG-2026-000106", "uscc": "", "name": "无代码示例",
             "department": SAMR[1], "documentNumber": "舞市监查〔2026〕106号",
             "inspectedOn": "2026-10-21", "outcome": "NO_PROBLEM", "title": "检查",
             "findings": "未发现问题"},
        ],
    }  # fmt: skip


def write_exchange_samples(directory: Path) -> list[Path]:
    """Write the upper systems' sample files (deterministic) and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    debtors = directory / EXCHANGE_SAMPLES["debtors"]
    write_csv(debtors, DEBTOR_HEADERS, _debtor_rows(), "gb18030")
    lists = directory / EXCHANGE_SAMPLES["lists"]
    write_csv(lists, LIST_HEADERS, _list_rows(), "gb18030")
    measures = directory / EXCHANGE_SAMPLES["measures"]
    measures.write_text(PROVINCE_MEASURES, encoding="utf-8")
    inspections = directory / EXCHANGE_SAMPLES["inspections"]
    inspections.write_text(
        json.dumps(_inspection_results(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return [debtors, lists, measures, inspections]


if __name__ == "__main__":
    for written in write_exchange_samples(SAMPLES_DIR):
        print(written)
