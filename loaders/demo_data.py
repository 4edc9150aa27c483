"""Demo data: a deterministic, realistic credit network of 舞钢市 and the code that loads it.

`generate` builds the whole network in memory as plain dict rows, from ``DemoSpec.seed`` alone
(one `random.Random`, no clock), so the same spec and person secret always give the same graph;
`load` writes it with batched, MERGE-based statements, so loading twice changes nothing.

The content follows the city's implementation plan (舞钢市加快推进社会信用体系建设构建以信用为基础的
新型监管机制实施方案) and /work/shared/DOMAIN.md: the departments it names, market entities with
valid unified social credit codes, people with valid resident ID numbers (stored in full only
as protected data, keyed by `person_key`), ownership chains with a cycle, 双公示 licences and
penalties with NDRC Order 36 publication windows, court judgments and 失信被执行人, red and black
list decisions with linked persons (六(五)), and joint-punishment measures from a catalogue
(六(三), 国办发〔2020〕49号).

Rows per `DemoData` field (dates are `datetime.date`, stored by the driver as Neo4j DATE):

Nodes
    departments        code, name, shortName, sector
    banks              code, name, shortName
    associations       code, name, sector
    credit_agencies    code, name, services
    measures           code, name, category, basis, business
    enterprises        uscc, name, category, region, entityType, status, foundedOn, address,
                       registeredCapital, businessScope, industry
    persons            key, name, nameMasked, idNumber, idMasked, gender, birthYear
    records            uid, key, version, current, kind, title, documentNumber, decisionDate,
                       issuingAuthority, issuingAuthorityCode, severity, category, content,
                       amount, validFrom, validTo, publishFrom, publishUntil, status
    list_entries       id, listType, listName, basis, decisionNumber, decisionDate,
                       effectiveFrom, effectiveUntil, removalConditions, status, removedOn
    sanctions          id, from, until, status

Relationships (each row names both ends by key)
    legal_representatives      person, enterprise
    principals                 person, enterprise, title
    actual_controllers         person, enterprise
    person_shareholdings       person, enterprise, share
    enterprise_shareholdings   holder, enterprise, share
    memberships                enterprise, association, since
    record_enterprise_subjects record, enterprise
    record_person_subjects     record, person
    record_providers           record, department
    record_supersedes          record, previous
    list_entry_subjects        entry, enterprise
    list_entry_deciders        entry, department
    linked_persons             entry, person, role
    list_entry_records         entry, record      the finding a black-list entry rests on
    sanction_measures          sanction, measure
    sanction_entries           sanction, entry
    sanction_subjects          sanction, enterprise
    sanction_imposers          sanction, department
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, LiteralString, NamedTuple, TypeVar

from graph.database import Database
from graph.identifiers import (
    USCC_ALPHABET,
    WUGANG_REGION,
    mask_id_number,
    mask_name,
    org_code_check_char,
    person_key,
    resident_id_check_char,
    uscc_check_char,
)
from graph.lifecycle.base import CHINA_TIME, Actor
from graph.model import (
    EnterpriseStatus,
    ListEntryStatus,
    ListType,
    OrganisationKind,
    RecordKind,
    RecordStatus,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from graph.publication import ADVERSE_KINDS, add_months, add_years
from graph.records import (
    RECORD_DATES,
    iso,
    publication_stamps,
    version_props,
    write_records,
)
from graph.workdays import mainland_calendar
from loaders.demo_annual_reports import load_annual_reports
from loaders.demo_inspectors import seed_inspectors
from loaders.demo_representative_changes import load_representative_changes
from loaders.reference import (
    MeasureCatalogueFile,
    MeasureEntry,
    OrganisationEntry,
    import_commitment_items,
    import_measures,
    import_organisations,
    read_commitment_items,
    read_measure_catalogue,
    read_organisations,
)
from loaders.writers.records import DISCLOSED_KINDS

__all__ = [
    "DemoData",
    "DemoSpec",
    "generate",
    "graph_is_empty",
    "load",
    "load_demo_data",
    "load_reference_data",
]

Row = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: the number of enterprises, the seed, and the day the data is as of."""

    enterprises: int = 300
    seed: int = 20261128
    today: date = date(2026, 11, 28)


@dataclass
class DemoData:
    """The generated network: one list of plain dict rows per node or relationship kind.

    The module docstring lists the keys of each kind's rows.
    """

    departments: list[Row] = field(default_factory=list)
    banks: list[Row] = field(default_factory=list)
    associations: list[Row] = field(default_factory=list)
    credit_agencies: list[Row] = field(default_factory=list)
    measures: list[Row] = field(default_factory=list)
    enterprises: list[Row] = field(default_factory=list)
    persons: list[Row] = field(default_factory=list)
    records: list[Row] = field(default_factory=list)
    list_entries: list[Row] = field(default_factory=list)
    sanctions: list[Row] = field(default_factory=list)
    legal_representatives: list[Row] = field(default_factory=list)
    principals: list[Row] = field(default_factory=list)
    actual_controllers: list[Row] = field(default_factory=list)
    person_shareholdings: list[Row] = field(default_factory=list)
    enterprise_shareholdings: list[Row] = field(default_factory=list)
    memberships: list[Row] = field(default_factory=list)
    record_enterprise_subjects: list[Row] = field(default_factory=list)
    record_person_subjects: list[Row] = field(default_factory=list)
    record_providers: list[Row] = field(default_factory=list)
    record_supersedes: list[Row] = field(default_factory=list)
    list_entry_subjects: list[Row] = field(default_factory=list)
    list_entry_deciders: list[Row] = field(default_factory=list)
    linked_persons: list[Row] = field(default_factory=list)
    list_entry_records: list[Row] = field(default_factory=list)
    sanction_measures: list[Row] = field(default_factory=list)
    sanction_entries: list[Row] = field(default_factory=list)
    sanction_subjects: list[Row] = field(default_factory=list)
    sanction_imposers: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of rows of every kind."""
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


# ---------------------------------------------------------------------------------------------
# Reference tables
# ---------------------------------------------------------------------------------------------

# The organisations and the measures catalogue are reference data (loaders/reference/demo/),
# loaded through the same import functions as `credithub orgs import` and `measures import`.
# The associations' order in the file is the index _ASSOCIATION_OF_INDUSTRY uses.
DEMO_REFERENCE: Final = Path(__file__).with_name("reference") / "demo"
DEMO_ORGANISATIONS: Final = DEMO_REFERENCE / "organisations.csv"
DEMO_MEASURES: Final = DEMO_REFERENCE / "measures.toml"
DEMO_COMMITMENT_ITEMS: Final = DEMO_REFERENCE / "commitment_items.toml"
_DEMO_ACTOR: Final = Actor("ADMIN", None, "demo-loader")


@functools.cache
def _demo_organisations() -> tuple[OrganisationEntry, ...]:
    return tuple(read_organisations(DEMO_ORGANISATIONS))


@functools.cache
def _demo_measures() -> tuple[MeasureCatalogueFile, tuple[MeasureEntry, ...]]:
    catalogue, measures = read_measure_catalogue(DEMO_MEASURES)
    return catalogue, tuple(measures)


_ASSOCIATION_OF_INDUSTRY: Final = {
    "制造业": 0,
    "采矿业": 0,
    "建筑业": 1,
    "房地产业": 1,
    "住宿和餐饮业": 2,
    "交通运输、仓储和邮政业": 3,
}
_SELF_EMPLOYED_ASSOCIATION: Final = 4
_CHAMBER_OF_COMMERCE: Final = 5

# title, 许可类别, department, years valid (None: open-ended), 许可内容
_LICENCES: Final[dict[str, tuple[str, str, str, int | None, str]]] = {
    "food_trade": (
        "食品经营许可证",
        "普通",
        "市市场监管局",
        5,
        "经营项目：预包装食品销售（含冷藏冷冻食品）、散装食品销售、热食类食品制售",
    ),
    "food_prod": (
        "食品生产许可证",
        "普通",
        "市市场监管局",
        5,
        "食品类别：粮食加工品、食用油、油脂及其制品",
    ),
    "drug": (
        "药品经营许可证",
        "普通",
        "市市场监管局",
        5,
        "经营范围：中成药、化学药制剂、抗生素制剂、生化药品",
    ),
    "construction": (
        "建筑业企业资质证书",
        "认可",
        "市住建局",
        5,
        "资质类别及等级：建筑工程施工总承包三级、市政公用工程施工总承包三级",
    ),
    "permit": (
        "建筑工程施工许可证",
        "普通",
        "市住建局",
        1,
        "建设规模：框架结构厂房及配套用房，建筑面积约8600平方米",
    ),
    "realty": ("房地产开发企业资质证书", "认可", "市住建局", 3, "资质等级：二级"),
    "gas": (
        "燃气经营许可证",
        "特许",
        "市住建局",
        3,
        "经营区域：舞钢市城区；经营类别：管道天然气",
    ),
    "safety_mine": ("安全生产许可证", "普通", "市应急局", 3, "许可范围：铁矿露天开采"),
    "hazchem": (
        "危险化学品经营许可证",
        "普通",
        "市应急局",
        3,
        "许可范围：汽油、柴油、液化石油气（不带储存设施经营）",
    ),
    "pollution": (
        "排污许可证",
        "普通",
        "生态环境局舞钢分局",
        5,
        "行业类别：钢压延加工；主要污染物类别：颗粒物、二氧化硫、氮氧化物",
    ),
    "mining": (
        "采矿许可证",
        "特许",
        "市自然资源局",
        5,
        "开采矿种：铁矿；开采方式：露天开采；生产规模：30万吨/年",
    ),
    "land": (
        "建设用地规划许可证",
        "核准",
        "市自然资源局",
        None,
        "用地性质：工业用地；用地面积：20000平方米",
    ),
    "transport": (
        "道路运输经营许可证",
        "普通",
        "市交通运输局",
        4,
        "经营范围：道路普通货物运输、货物专用运输（集装箱）",
    ),
    "hygiene": (
        "公共场所卫生许可证",
        "普通",
        "市卫健委",
        4,
        "许可项目：住宿场所、美容美发场所",
    ),
    "hr": (
        "人力资源服务许可证",
        "普通",
        "市人社局",
        None,
        "服务范围：职业介绍、人力资源供求信息的收集和发布、就业和创业指导",
    ),
    "dispatch": ("劳务派遣经营许可证", "普通", "市人社局", 3, "许可经营事项：劳务派遣"),
    "school": (
        "民办学校办学许可证",
        "普通",
        "市教体局",
        5,
        "办学内容：文化艺术、体育类非学科类培训",
    ),
    "animal": (
        "动物防疫条件合格证",
        "认可",
        "市农业农村局",
        None,
        "场所类型：动物饲养场；饲养规模：生猪存栏500头",
    ),
    "seed": (
        "农作物种子生产经营许可证",
        "普通",
        "市农业农村局",
        5,
        "生产经营范围：小麦、玉米种子",
    ),
    "pesticide": (
        "农药经营许可证",
        "普通",
        "市农业农村局",
        5,
        "经营范围：农药（不含限制使用农药）",
    ),
    "project": (
        "企业投资项目核准",
        "核准",
        "市发改委",
        2,
        "项目名称：年产20万吨特种钢材深加工项目",
    ),
    "registration": (
        "营业执照变更登记",
        "登记",
        "市市场监管局",
        None,
        "变更事项：住所、经营范围、注册资本",
    ),
}

_SCOPE_TAIL: Final = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


class _Profile(NamedTuple):
    word: str  # the industry word in the enterprise's name
    industry: str  # GB/T 4754-2017 门类
    scope: str
    licences: tuple[str, ...]


def _profiles(rows: Sequence[tuple[str, str, str, tuple[str, ...]]]) -> tuple[_Profile, ...]:
    # The scope tail is attached once here so that every row shares one string object.
    return tuple(_Profile(w, i, s + _SCOPE_TAIL, lic) for w, i, s, lic in rows)


_COMPANY_PROFILES: Final = _profiles(
    (
        ("钢铁", "制造业", "钢材轧制、加工及销售；金属材料销售", ("pollution", "project")),
        ("特钢", "制造业", "特种钢材冶炼、轧制及销售；钢材深加工", ("pollution", "project")),
        ("金属制品", "制造业", "金属结构件、钢构件加工制作及销售", ("pollution", "registration")),
        ("机械制造", "制造业", "矿山机械、通用设备及零部件制造、销售、维修", ("pollution",)),
        ("耐火材料", "制造业", "耐火材料、冶金辅料生产及销售", ("pollution",)),
        ("粮油", "制造业", "粮食收购；粮油加工及销售", ("food_prod", "food_trade")),
        ("矿业", "采矿业", "铁矿石开采、选矿；矿产品销售", ("mining", "safety_mine", "pollution")),
        ("建材", "批发和零售业", "建筑材料、装饰材料、五金交电、钢材销售", ("registration",)),
        ("商贸", "批发和零售业", "日用百货、预包装食品、五金交电、办公用品销售", ("food_trade",)),
        ("医药", "批发和零售业", "药品零售；第二类医疗器械销售；保健食品销售", ("drug",)),
        (
            "石化",
            "批发和零售业",
            "成品油零售；润滑油、化工产品（不含危险化学品）销售",
            ("hazchem",),
        ),
        (
            "建筑工程",
            "建筑业",
            "房屋建筑工程、市政公用工程、土石方工程施工",
            ("construction", "permit"),
        ),
        ("装饰工程", "建筑业", "室内外装饰装修工程设计与施工；建筑幕墙工程", ("construction",)),
        ("物流", "交通运输、仓储和邮政业", "道路普通货物运输；仓储服务；装卸搬运", ("transport",)),
        ("运输", "交通运输、仓储和邮政业", "道路普通货物运输；汽车租赁", ("transport",)),
        (
            "农业科技",
            "农、林、牧、渔业",
            "农作物种植；农业技术推广服务；农产品初加工",
            ("seed", "pesticide"),
        ),
        ("生态农业", "农、林、牧、渔业", "花卉苗木、蔬菜、水果种植及销售；休闲观光农业", ("seed",)),
        ("牧业", "农、林、牧、渔业", "生猪、牛羊、家禽养殖及销售；饲料销售", ("animal",)),
        ("餐饮管理", "住宿和餐饮业", "餐饮服务；餐饮管理；食品销售", ("food_trade", "hygiene")),
        (
            "酒店管理",
            "住宿和餐饮业",
            "住宿服务；餐饮服务；会议及展览服务",
            ("hygiene", "food_trade"),
        ),
        (
            "旅游开发",
            "水利、环境和公共设施管理业",
            "旅游景区开发与管理；游览景区管理",
            ("registration",),
        ),
        (
            "房地产开发",
            "房地产业",
            "房地产开发经营；物业管理；房屋租赁",
            ("realty", "land", "permit"),
        ),
        ("物业服务", "房地产业", "物业管理；家政服务；停车场服务", ("registration",)),
        (
            "人力资源",
            "租赁和商务服务业",
            "人力资源服务；劳务派遣；职业中介活动",
            ("hr", "dispatch"),
        ),
        (
            "信息技术",
            "信息传输、软件和信息技术服务业",
            "软件开发；信息系统集成服务",
            ("registration",),
        ),
        ("环保科技", "科学研究和技术服务业", "环保技术开发、咨询；固体废物治理", ("pollution",)),
        (
            "新能源",
            "电力、热力、燃气及水生产和供应业",
            "太阳能发电；燃气经营；新能源技术开发",
            ("gas", "project"),
        ),
        (
            "汽车服务",
            "居民服务、修理和其他服务业",
            "机动车维修；汽车配件销售；洗车服务",
            ("transport",),
        ),
        (
            "文化传媒",
            "文化、体育和娱乐业",
            "广告设计、制作、发布；文化艺术交流活动策划",
            ("registration",),
        ),
        ("教育咨询", "教育", "非学科类校外培训；教育咨询服务", ("school",)),
    )
)
# 舞钢 is a steel town: metal and construction dominate.
_COMPANY_CUM: Final = tuple(
    itertools.accumulate(
        (9, 4, 5, 4, 2, 2, 2, 7, 9, 2, 2, 7, 4, 5, 4, 4, 3, 3, 4, 2, 2, 3, 2, 2, 2, 2, 2, 3, 2, 2)
    )
)

# Trades a sole proprietorship or partnership with a few 万元 of capital can plausibly run.
_SMALL_TRADES: Final = _words(
    "建材 商贸 农业科技 生态农业 牧业 餐饮管理 信息技术 文化传媒 "
    "汽车服务 运输 物流 物业服务 教育咨询"
)
_SMALL_PROFILES: Final = tuple(p for p in _COMPANY_PROFILES if p.word in _SMALL_TRADES)
_HOLDING_PROFILE: Final = _profiles(
    (
        (
            "实业",
            "租赁和商务服务业",
            "以自有资金从事投资活动；企业总部管理；企业管理咨询；钢材、建材销售",
            ("registration", "project"),
        ),
    )
)[0]

_SHOP_PROFILES: Final = tuple(
    _Profile(w, i, s, lic)
    for w, i, s, lic in (
        ("便民超市", "批发和零售业", "预包装食品、日用百货零售", ("food_trade",)),
        ("饭店", "住宿和餐饮业", "热食类食品制售", ("food_trade",)),
        ("烩面馆", "住宿和餐饮业", "热食类食品制售", ("food_trade",)),
        ("五金建材门市部", "批发和零售业", "五金交电、建筑材料零售", ("registration",)),
        ("汽车修理部", "居民服务、修理和其他服务业", "机动车维修；汽车配件零售", ("registration",)),
        ("农资店", "批发和零售业", "化肥、农药（不含危险化学品）、种子零售", ("pesticide",)),
        ("副食门市部", "批发和零售业", "预包装食品、烟酒零售", ("food_trade",)),
        ("理发店", "居民服务、修理和其他服务业", "美容美发服务", ("hygiene",)),
        ("家电维修部", "居民服务、修理和其他服务业", "家用电器维修及销售", ("registration",)),
        ("服装店", "批发和零售业", "服装鞋帽零售", ("registration",)),
        ("通讯器材店", "批发和零售业", "手机及配件零售；通讯器材维修", ("registration",)),
        ("宾馆", "住宿和餐饮业", "住宿服务", ("hygiene",)),
        ("大药房", "批发和零售业", "药品零售；医疗器械零售", ("drug",)),
    )
)

_COOP_PROFILES: Final = tuple(
    _Profile(w, "农、林、牧、渔业", s, lic)
    for w, s, lic in (
        ("种植专业合作社", "组织收购、销售成员种植的粮食、蔬菜；引进新技术、新品种", ("seed",)),
        ("养殖专业合作社", "组织成员生猪、肉牛养殖及销售；提供养殖技术服务", ("animal",)),
        ("果蔬专业合作社", "水果、蔬菜种植、收购及销售；农业技术培训", ("registration",)),
        ("中药材种植专业合作社", "中药材种植、初加工及销售", ("registration",)),
        ("食用菌专业合作社", "食用菌种植、收购及销售", ("registration",)),
        ("农机专业合作社", "为成员提供农机作业、维修服务", ("registration",)),
        ("养蜂专业合作社", "蜜蜂养殖；蜂产品收购及销售", ("registration",)),
    )
)


_LLC_NATURAL: Final = "有限责任公司(自然人投资或控股)"
_LLC_SOLE: Final = "有限责任公司(自然人独资)"
_LLC_CORPORATE_SOLE: Final = "有限责任公司(非自然人投资或控股的法人独资)"
_LLC_OTHER: Final = "其他有限责任公司"
_JOINT_STOCK: Final = "股份有限公司(非上市、自然人投资或控股)"
_SOLE_PROPRIETORSHIP: Final = "个人独资企业"
_PARTNERSHIP: Final = "普通合伙企业"
_SELF_EMPLOYED: Final = "个体工商户"
_COOPERATIVE: Final = "农民专业合作社"
_COMPANY_TYPES: Final = (_LLC_NATURAL, _LLC_SOLE, _JOINT_STOCK, _SOLE_PROPRIETORSHIP, _PARTNERSHIP)
_COMPANY_TYPE_CUM: Final = tuple(itertools.accumulate((62, 20, 5, 8, 5)))

_CURATED_TRADE_NAMES: Final = _words(
    "鑫源 宏达 中原 华钢 龙泉 石漫滩 金鼎 恒泰 瑞丰 永盛 昌盛 兴旺 天成 祥和 顺达 嘉禾 正和 泰丰 "
    "盛源 博远 汇通 宏图 鼎盛 鸿运 锦程 万通 金石 银鹭 灯台架 二郎山 九头崖 钢城 铁山 秋山 华瑞 "
    "恒信 诚达 豫丰 宏鑫 金盾 福源 聚源 广源 德润 润泽 佳和 联创 新锐 腾达 凯达 远航 晨光 龙腾 "
    "凤鸣 金谷 丰收 绿源 沃野 青山 碧水 湖滨 星辉 恒通 安泰 康达 益民 利民 惠民 众诚 信达 永兴 "
    "宏远 鑫泰 金诚 华宇 天润 鼎泰 合力 同心 兴业 华兴 振兴 百川 千禧 万家 明珠 金桥 长青"
)
_TRADE_NAME_CHARS: Final = tuple(
    dict.fromkeys(
        "鑫源宏达华恒泰瑞丰永盛昌兴旺天成祥和顺嘉禾正博远汇通鼎鸿运锦程"
        "万金石银龙凤腾飞德润泽佳联创锐凯航晨光聚广益众诚信安康亿隆"
    )
)

_TOWNS: Final = (
    ("垭口街道", ("建设路", "湖滨大道", "钢城路", "朝阳路")),
    ("寺坡街道", ("寺坡路", "工业路", "人民路")),
    ("院岭街道", ("院岭路", "龙山路", "钢花路")),
    ("矿建街道", ("矿建路", "铁山路", "经山路")),
    ("朱兰街道", ("朱兰大道", "银鹭大道", "玉泉路", "福州路")),
    ("八台镇", ("八台街", "滨湖路")),
    ("尹集镇", ("尹集街", "红山路")),
    ("枣林镇", ("枣林街", "平舞路")),
    ("尚店镇", ("尚店街",)),
    ("武功乡", ("武功街",)),
    ("杨庄乡", ("杨庄街",)),
    ("庙街乡", ("庙街大街",)),
    ("铁山乡", ("铁山街",)),
)
_TOWN_CUM: Final = tuple(itertools.accumulate((16, 12, 10, 8, 18, 6, 6, 5, 4, 4, 4, 4, 3)))
_TOWN_INDEXES: Final = range(len(_TOWNS))
_VILLAGE_ENDINGS: Final = ("庄", "湾", "沟", "楼", "营", "寨", "店")
_OTHER_REGIONS: Final = {
    "410402": ("平顶山市新华区", ("建设路", "中兴路", "光明路")),
    "410411": ("平顶山市湛河区", ("开源路", "曙光街", "南环路")),
}

# Surnames weighted roughly by their frequency in Henan; the compound ones are rare on purpose.
_SURNAMES: Final = (
    ("王", 70), ("李", 70), ("张", 70), ("刘", 50), ("陈", 30), ("杨", 30), ("赵", 30),
    ("郭", 25), ("孙", 20), ("马", 20), ("朱", 20), ("周", 15), ("吴", 15), ("高", 15),
    ("郑", 12), ("徐", 12), ("胡", 12), ("何", 10), ("宋", 10), ("韩", 10), ("冯", 10),
    ("田", 10), ("曹", 10), ("魏", 10), ("许", 10), ("董", 8), ("袁", 8), ("程", 8), ("杜", 8),
    ("贾", 8), ("牛", 8), ("薛", 6), ("乔", 6), ("范", 6), ("邓", 6), ("常", 6), ("付", 6),
    ("段", 5), ("尚", 5), ("崔", 5), ("苗", 5), ("秦", 5), ("岳", 5), ("闫", 5), ("姚", 5),
    ("任", 5), ("孟", 5), ("潘", 4), ("史", 4), ("侯", 4), ("耿", 4), ("梁", 4), ("黄", 4),
    ("谢", 3), ("罗", 3), ("雷", 3), ("申", 3), ("欧阳", 1), ("司马", 1), ("上官", 1),
    ("诸葛", 1), ("东方", 1),
)  # fmt: skip
_SURNAME_NAMES: Final = tuple(s for s, _ in _SURNAMES)
_SURNAME_CUM: Final = tuple(itertools.accumulate(w for _, w in _SURNAMES))
_MALE_CHARS: Final = (
    "伟强军磊勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林国建志海东文永庆春晓亮振兴德成"
)
_FEMALE_CHARS: Final = "芳娜敏静丽艳娟霞燕玲桂英秀兰萍红梅琳雪婷慧莉倩颖洁晶丹佳欣悦芬琴凤"
_PERSON_REGIONS: Final = (
    "410481",
    "410402",
    "410403",
    "410411",
    "410422",
    "410423",
    "410482",
    "411121",
)
_PERSON_REGION_CUM: Final = tuple(itertools.accumulate((70, 6, 4, 4, 4, 4, 4, 4)))


class _Violation(NamedTuple):
    department: str
    kind: str  # 违法行为类型
    fact: str  # 违法事实
    law: str  # 处罚依据
    categories: tuple[str, ...]  # 处罚类别 it may lead to
    industries: frozenset[str] | None  # None: any industry


_ANY: Final = None
_VIOLATIONS: Final = (
    _Violation(
        "市市场监管局",
        "销售不符合食品安全标准的食品",
        "经营的食品经抽样检验不合格",
        "《中华人民共和国食品安全法》第一百二十四条",
        ("罚款", "没收违法所得", "警告"),
        frozenset({"批发和零售业", "住宿和餐饮业", "制造业"}),
    ),
    _Violation(
        "市市场监管局",
        "发布虚假广告",
        "在网络平台发布含有虚假内容的商品广告",
        "《中华人民共和国广告法》第五十五条",
        ("罚款", "警告"),
        _ANY,
    ),
    _Violation(
        "市市场监管局",
        "不明码标价",
        "销售商品未按规定明码标价",
        "《明码标价和禁止价格欺诈规定》第二十一条",
        ("警告", "罚款"),
        frozenset({"批发和零售业", "住宿和餐饮业", "居民服务、修理和其他服务业"}),
    ),
    _Violation(
        "市市场监管局",
        "使用未经检验的特种设备",
        "使用未经定期检验的起重机械和压力容器",
        "《中华人民共和国特种设备安全法》第八十四条",
        ("罚款", "责令停产停业"),
        frozenset({"制造业", "采矿业", "建筑业"}),
    ),
    _Violation(
        "市市场监管局",
        "销售不合格产品",
        "销售的钢材产品经监督抽查不合格",
        "《中华人民共和国产品质量法》第四十九条",
        ("罚款", "没收违法所得"),
        frozenset({"制造业", "批发和零售业"}),
    ),
    _Violation(
        "市税务局",
        "未按期办理纳税申报",
        "未按照规定期限办理纳税申报和报送纳税资料",
        "《中华人民共和国税收征收管理法》第六十二条",
        ("罚款",),
        _ANY,
    ),
    _Violation(
        "市税务局",
        "未按规定开具发票",
        "未按规定开具发票",
        "《中华人民共和国发票管理办法》第三十五条",
        ("罚款", "没收违法所得"),
        _ANY,
    ),
    _Violation(
        "市应急局",
        "未按规定开展安全生产教育培训",
        "未如实记录安全生产教育和培训情况",
        "《中华人民共和国安全生产法》第九十七条",
        ("罚款",),
        frozenset({"制造业", "采矿业", "建筑业", "批发和零售业"}),
    ),
    _Violation(
        "市应急局",
        "重大事故隐患未采取措施消除",
        "对重大事故隐患未采取措施消除",
        "《中华人民共和国安全生产法》第一百零二条",
        ("罚款", "责令停产停业"),
        frozenset({"制造业", "采矿业"}),
    ),
    _Violation(
        "生态环境局舞钢分局",
        "超标排放大气污染物",
        "烧结机头颗粒物排放浓度超过国家规定的排放标准",
        "《中华人民共和国大气污染防治法》第九十九条",
        ("罚款", "责令停产停业"),
        frozenset({"制造业", "采矿业", "电力、热力、燃气及水生产和供应业"}),
    ),
    _Violation(
        "生态环境局舞钢分局",
        "未批先建",
        "建设项目环境影响报告表未经批准擅自开工建设",
        "《中华人民共和国环境影响评价法》第三十一条",
        ("罚款",),
        frozenset({"制造业", "采矿业", "农、林、牧、渔业"}),
    ),
    _Violation(
        "市住建局",
        "未取得施工许可证擅自施工",
        "未取得施工许可证擅自开工建设",
        "《中华人民共和国建筑法》第六十四条",
        ("罚款",),
        frozenset({"建筑业", "房地产业"}),
    ),
    _Violation(
        "市住建局",
        "施工工地扬尘污染防治不到位",
        "施工工地未设置硬质围挡、未采取覆盖等扬尘污染防治措施",
        "《中华人民共和国大气污染防治法》第一百一十五条",
        ("罚款", "警告"),
        frozenset({"建筑业", "房地产业"}),
    ),
    _Violation(
        "市人社局",
        "未按时足额缴纳社会保险费",
        "未按时足额缴纳职工社会保险费，经责令限期缴纳逾期仍不缴纳",
        "《中华人民共和国社会保险法》第八十六条",
        ("罚款",),
        _ANY,
    ),
    _Violation(
        "市交通运输局",
        "违法超限运输",
        "所属货运车辆超限运输",
        "《公路安全保护条例》第六十六条",
        ("罚款", "暂扣许可证"),
        frozenset({"交通运输、仓储和邮政业"}),
    ),
    _Violation(
        "市卫健委",
        "公共场所卫生检测不合格",
        "公共场所空气质量、公共用品卫生检测不合格",
        "《公共场所卫生管理条例实施细则》第三十六条",
        ("警告", "罚款"),
        frozenset({"住宿和餐饮业", "居民服务、修理和其他服务业"}),
    ),
    _Violation(
        "市自然资源局",
        "非法占用土地",
        "未经批准擅自占用集体土地建设厂房",
        "《中华人民共和国土地管理法》第七十七条",
        ("罚款", "没收违法所得"),
        frozenset({"制造业", "农、林、牧、渔业", "批发和零售业"}),
    ),
    _Violation(
        "市自然资源局",
        "越界开采矿产资源",
        "超越批准的矿区范围开采铁矿石",
        "《中华人民共和国矿产资源法》第四十条",
        ("罚款", "没收违法所得", "吊销许可证"),
        frozenset({"采矿业"}),
    ),
    _Violation(
        "市教体局",
        "未经批准举办校外培训机构",
        "未经批准擅自开展校外培训活动",
        "《中华人民共和国民办教育促进法》第六十四条",
        ("罚款", "责令停产停业"),
        frozenset({"教育"}),
    ),
    _Violation(
        "市农业农村局",
        "经营假劣农药",
        "经营的农药经抽检为劣质农药",
        "《农药管理条例》第五十六条",
        ("罚款", "没收违法所得", "暂扣许可证"),
        frozenset({"农、林、牧、渔业", "批发和零售业"}),
    ),
)
_PERSON_VIOLATIONS: Final = (
    _Violation(
        "市自然资源局",
        "非法占用土地",
        "未经批准擅自占用集体土地建房",
        "《中华人民共和国土地管理法》第七十七条",
        ("罚款",),
        _ANY,
    ),
    _Violation(
        "市交通运输局",
        "违法超限运输",
        "驾驶货车超限运输，车货总质量超过限定标准",
        "《公路安全保护条例》第六十六条",
        ("罚款",),
        _ANY,
    ),
    _Violation(
        "市市场监管局",
        "无照经营",
        "未依法取得营业执照从事经营活动",
        "《无证无照经营查处办法》第十三条",
        ("警告", "罚款"),
        _ANY,
    ),
    _Violation(
        "生态环境局舞钢分局",
        "露天焚烧",
        "在人口集中地区露天焚烧产生有毒有害烟尘的物质",
        "《中华人民共和国大气污染防治法》第一百一十九条",
        ("罚款",),
        _ANY,
    ),
)

# Violations behind black-list decisions, all serious.
_SERIOUS_VIOLATIONS: Final = {
    "市市场监管局": _Violation(
        "市市场监管局",
        "生产销售不合格产品情节严重",
        "生产销售不合格产品，货值金额较大，经责令改正拒不改正",
        "《中华人民共和国产品质量法》第四十九条",
        ("罚款",),
        _ANY,
    ),
    "市税务局": _Violation(
        "市税务局",
        "偷税",
        "采取虚假申报手段少缴税款",
        "《中华人民共和国税收征收管理法》第六十三条",
        ("罚款",),
        _ANY,
    ),
    "市人社局": _Violation(
        "市人社局",
        "拖欠农民工工资",
        "克扣、无故拖欠农民工工资，经责令限期支付逾期未支付",
        "《保障农民工工资支付条例》第五十七条",
        ("罚款",),
        _ANY,
    ),
    "市应急局": _Violation(
        "市应急局",
        "发生生产安全事故",
        "未履行安全生产管理职责，导致发生一般生产安全事故",
        "《中华人民共和国安全生产法》第一百一十四条",
        ("责令停产停业",),
        _ANY,
    ),
}

# cause, whether the plaintiff is typically a bank
_JUDGMENT_CAUSES: Final = (
    ("买卖合同纠纷", False),
    ("建设工程施工合同纠纷", False),
    ("金融借款合同纠纷", True),
    ("租赁合同纠纷", False),
    ("承揽合同纠纷", False),
    ("追索劳动报酬纠纷", False),
    ("民间借贷纠纷", False),
)
_ENFORCEMENT_GROUNDS: Final = (
    "有履行能力而拒不履行生效法律文书确定的义务",
    "违反财产报告制度",
    "违反限制消费令",
)
_ABNORMAL_REASONS: Final = (
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "未在责令的期限内公示有关企业信息",
)
_RECTIFICATIONS: Final = (
    ("市应急局", "安全生产检查发现消防通道堵塞、特种作业人员无证上岗等隐患"),
    ("生态环境局舞钢分局", "废气治理设施未正常运行"),
    ("市住建局", "施工现场扬尘治理措施不到位"),
    ("市市场监管局", "经营场所未公示营业执照和食品经营许可证"),
    ("市卫健委", "从业人员未取得健康合格证明"),
    ("市人社局", "未与劳动者订立书面劳动合同"),
    ("市税务局", "未按照规定设置、保管账簿和记账凭证"),
)
_INTERVIEWS: Final = (
    ("市发改委", "失信行为整改不到位"),
    ("市人社局", "拖欠劳动者工资"),
    ("市应急局", "安全生产隐患整改不到位"),
    ("市税务局", "欠缴税款"),
    ("生态环境局舞钢分局", "环境违法问题整改不到位"),
    ("市市场监管局", "食品安全主体责任落实不到位"),
)
_COMMITMENT_TEXT: Final = (
    "本单位承诺所提交材料真实、合法、有效，严格遵守相关法律法规和行业规范；"
    "如违背承诺，自愿接受相关部门依法依规实施的惩戒，并将承诺履约情况记入信用记录。"
)
_VOLUNTARY_TYPES: Final = ("资质证照", "市场经营", "合同履约", "社会公益")
_VOLUNTARY_TEXT: Final = {
    t: f"通过“信用舞钢”网站自愿注册{t}信息，并对信息真实性作出公开信用承诺。"
    for t in _VOLUNTARY_TYPES
}
_HONOURS: Final = (
    ("市发改委", "舞钢市诚信建设示范企业"),
    ("市市场监管局", "“守合同重信用”企业"),
    ("市应急局", "安全生产先进单位"),
    ("市人社局", "劳动保障诚信示范单位"),
    ("市住建局", "建筑施工安全文明标准化工地"),
    ("市民政局", "慈善公益先进单位"),
    ("市农业农村局", "农业产业化重点龙头企业"),
)
_TAX_GRADES: Final = ("A", "B", "M", "C", "D")
_TAX_GRADE_CUM: Final = tuple(itertools.accumulate((15, 55, 20, 7, 3)))


class _BlackList(NamedTuple):
    name: str
    department: str
    basis: str
    removal: str
    measures: tuple[str, ...]


_BLACK_LISTS: Final = (
    _BlackList(
        "严重失信主体名单",
        "市市场监管局",
        "《河南省社会信用条例》第三十三条；《市场监督管理严重违法失信名单管理办法》第二条",
        "自列入之日起满1年，已履行行政处罚决定规定的义务、纠正违法行为且未再受到较重行政处罚的，"
        "可申请信用修复并移出名单；列入满3年的自动移出。",
        ("M01", "M02", "M03", "M08", "M11", "M13"),
    ),
    _BlackList(
        "失信被执行人名单",
        "市法院",
        "《中华人民共和国民事诉讼法》第二百六十六条；《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "被执行人全部履行生效法律文书确定的义务，或与申请执行人达成执行和解协议并经申请执行人确认"
        "履行完毕，或人民法院依法裁定终结执行的，删除失信信息。",
        ("M06", "M14", "M09", "M02", "M05"),
    ),
    _BlackList(
        "重大税收违法失信主体名单",
        "市税务局",
        "《重大税收违法失信主体信息公布管理办法》第六条",
        "自公布之日起满3年的停止公布并移出名单；按规定缴清税款、滞纳金和罚款且符合条件的，"
        "可申请提前停止公布。",
        ("M04", "M02", "M05", "M09", "M13"),
    ),
    _BlackList(
        "拖欠农民工工资失信联合惩戒对象名单",
        "市人社局",
        "《保障农民工工资支付条例》第四十八条；《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        "已改正拖欠工资行为且自列入之日起满1年未再发生拖欠的，可申请提前移出；列入满3年的自动移出。",
        ("M01", "M02", "M03", "M05", "M11"),
    ),
    _BlackList(
        "安全生产严重失信主体名单",
        "市应急局",
        "《安全生产严重失信主体名单管理办法》第六条",
        "纠正失信行为、消除不良影响，自列入之日起满1年未再发生安全生产失信行为的，可申请移出；"
        "列入满3年的自动移出。",
        ("M08", "M01", "M11", "M12"),
    ),
)
_BLACK_LIST_CUM: Final = tuple(itertools.accumulate((35, 35, 15, 10, 5)))

_RED_TAX = (
    "A级纳税人",
    "市税务局",
    "《纳税信用管理办法（试行）》（国家税务总局公告2014年第40号）第二十九条",
    "纳税信用级别下调或发生严重失信行为的即时移出；下一年度评价结果发布后自动更新。",
)
_RED_HONOUR = (
    "守信激励对象名单",
    "市发改委",
    "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
    "（国发〔2016〕33号）；《河南省社会信用条例》第二十九条",
    "有效期内发生严重失信行为或受到较重行政处罚的，撤销守信激励对象资格并移出名单。",
)

_FAVOURABLE_KINDS: Final = (
    RecordKind.LICENSE,
    RecordKind.COMMITMENT,
    RecordKind.VOLUNTARY,
    RecordKind.HONOR,
    RecordKind.TAX_GRADE,
)
_FAVOURABLE_CUM: Final = tuple(itertools.accumulate((55, 20, 8, 7, 10)))
_ADVERSE_KINDS: Final = (
    RecordKind.PENALTY,
    RecordKind.ABNORMAL_OPERATION,
    RecordKind.JUDGMENT,
    RecordKind.ENFORCEMENT,
    RecordKind.RECTIFICATION,
    RecordKind.INTERVIEW,
)
_ADVERSE_CUM: Final = tuple(itertools.accumulate((40, 18, 14, 6, 11, 11)))
_FAVOURABLE_COUNT_CUM: Final = tuple(itertools.accumulate((26, 30, 20, 12, 7, 5)))

# Document numbers (文号) by record kind; p is the department's prefix (the court's is 豫0481).
_DOCUMENT_PATTERNS: Final = {
    RecordKind.PENALTY.value: "{p}罚字〔{y}〕第{n:04d}号",
    RecordKind.LICENSE.value: "{p}许〔{y}〕{n}号",
    RecordKind.COMMITMENT.value: "{p}诺〔{y}〕{n}号",
    RecordKind.VOLUNTARY.value: "{p}自注〔{y}〕{n}号",
    RecordKind.HONOR.value: "{p}〔{y}〕{n}号",
    RecordKind.TAX_GRADE.value: "{p}信评〔{y}〕{n}号",
    RecordKind.ABNORMAL_OPERATION.value: "{p}异字〔{y}〕第{n:04d}号",
    RecordKind.RECTIFICATION.value: "{p}责改〔{y}〕{n}号",
    RecordKind.INTERVIEW.value: "{p}约谈〔{y}〕{n}号",
    RecordKind.JUDGMENT.value: "（{y}）{p}民初{n}号",
    RecordKind.ENFORCEMENT.value: "（{y}）{p}执{n}号",
}

_RECORDS_FROM: Final = date(2021, 1, 1)
# Companies here go back to the 1990s, 个体工商户 to 2000, cooperatives to their law (2007-07-01).
_EARLIEST_FOUNDING: Final = {"91": date(1995, 1, 1), "92": date(2000, 1, 1), "93": date(2008, 7, 1)}
_MA_SPACE: Final = 31**5
_LEGACY_SPACE: Final = 10**7
_CN_ORDINALS: Final = "一二三四五六七八九十"
_PRINCIPAL_TITLES: Final = ("总经理", "财务负责人", "监事")
_DAY: Final = timedelta(days=1)
_NO_SHARE_TYPES: Final = frozenset({_SELF_EMPLOYED, _COOPERATIVE, _LLC_CORPORATE_SOLE})


class _Department(NamedTuple):
    name: str
    code: str
    prefix: str


class _Subject(NamedTuple):
    name: str  # shown in titles and content; a person's is masked
    key: str  # USCC of an enterprise or key of a person
    is_person: bool
    position: int  # index into the generator's per-enterprise or per-person lists


def _base31(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        chars.append(USCC_ALPHABET[digit])
    return "".join(reversed(chars))


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _fits_in_one(shares: Sequence[float]) -> bool:
    """Whether every summation order of ``shares`` stays ≤ 1.0 in floating point.

    Shares are exact to 1/10000, but their binary floats may add up to 1.0000000000000002 in
    some orders; Cypher's sum() picks its own order, so all of them are checked.
    """
    if len(shares) <= 2:
        return sum(shares) <= 1.0
    if len(shares) > 6:
        return False
    for order in itertools.permutations(shares):
        total = 0.0
        for share in order:
            total += share
        if total > 1.0:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


class _Generator:
    """Builds a `DemoData` from one `random.Random`; every method appends to ``self.data``."""

    def __init__(self, spec: DemoSpec, secret: bytes) -> None:
        if spec.enterprises < 1:
            raise ValueError("at least one enterprise is needed")
        self.spec = spec
        self.secret = secret
        self.today = spec.today
        self.rng = random.Random(spec.seed)
        self.calendar = mainland_calendar()
        # Lifecycle additions (breaches) draw from their own stream, so the rest of the
        # dataset stays exactly what it was for a given seed.
        self.lifecycle_rng = random.Random(spec.seed + 1)
        self._random = self.rng.random
        self.data = DemoData()
        self.departments: dict[str, _Department] = {}
        self.measure_imposer: dict[str, str] = {}
        self.association_codes: list[str] = []
        self.bank_names: list[str] = []
        self.doc_numbers: dict[tuple[str, str, int], int] = {}
        # 文号 of list decisions: two decisions never share one (the liability records of an
        # entry are keyed by its number).
        self.decision_numbers: set[str] = set()
        self.names: set[str] = set()
        # per enterprise
        self.subjects: list[_Subject] = []
        self.category: list[str] = []
        self.profile: list[_Profile] = []
        self.entity_type: list[str] = []
        self.founded: list[date] = []
        self.status: list[EnterpriseStatus] = []
        self.risk: list[int] = []
        self.rep: list[int] = []
        self.controller: list[int | None] = []
        self.manager: list[int | None] = []
        self.parent: dict[int, tuple[int, int]] = {}
        self.group_root: dict[int, int] = {}
        self.roots: list[int] = []
        self.cross_holdings: list[tuple[int, int, int]] = []
        # per person
        self.person_keys: list[str] = []
        self.person_subjects: list[_Subject] = []
        # penalties and licences that can get a corrected second version
        self.correctable: list[tuple[Row, _Subject, str]] = []
        self.regions: list[str] = []
        self.group_names: dict[int, str] = {}
        self.black: set[int] = set()
        self._violation_cache: dict[str, tuple[_Violation, ...]] = {}

    def run(self) -> DemoData:
        self._organisations()
        self._groups()
        self._enterprises()
        self._persons()
        self._roles()
        self._shareholdings()
        self._memberships()
        self._records()
        self._black_lists()
        self._red_lists()
        self._corrections()
        return self.data

    # -- helpers ------------------------------------------------------------------------------
    # random.Random's randint/choice/choices cost microseconds each in pure Python; these draw
    # from rng.random() directly, which matters at a few million draws per 100,000 enterprises.

    def _below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return int(self._random() * n)

    def _between(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return lo + int(self._random() * (hi - lo + 1))

    def _pick(self, options: Sequence[_T]) -> _T:
        return options[int(self._random() * len(options))]

    def _weighted(self, options: Sequence[_T], cumulative: Sequence[int]) -> _T:
        return options[bisect.bisect(cumulative, self._random() * cumulative[-1])]

    def _date_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return date.fromordinal(self._between(lo.toordinal(), hi.toordinal()))

    def _other_person(self, avoid: int) -> int:
        count = len(self.person_keys)
        pick = self._below(count)
        if pick == avoid and count > 1:
            pick = (pick + 1) % count
        return pick

    def _trade_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.45:
            return self._pick(_CURATED_TRADE_NAMES)
        # Doubled characters (鑫鑫, 顺顺) are common in shop names, so no need to avoid them.
        return self._pick(_TRADE_NAME_CHARS) + self._pick(_TRADE_NAME_CHARS)

    def _claim(self, name: str) -> bool:
        if name in self.names:
            return False
        self.names.add(name)
        return True

    def _document_number(self, kind: str, dept_short: str, year: int) -> str:
        key = (kind, dept_short, year)
        # Numbers start somewhere and leave gaps: the other decisions of the year are not ours.
        last = self.doc_numbers.get(key)
        n = (self._between(1, 30) if last is None else last) + self._between(1, 3)
        self.doc_numbers[key] = n
        return _DOCUMENT_PATTERNS[kind].format(p=self.departments[dept_short].prefix, y=year, n=n)

    def _decision_number(self, pattern: str, drawn: int) -> str:
        """A list decision's 文号 from `pattern` (with an `{n}`): the number drawn, or the next
        one no earlier decision has taken. (The draw itself stays, so the rest of the data is
        what the seed always gave.)"""
        n = drawn
        while (number := pattern.format(n=n)) in self.decision_numbers:
            n += 1
        self.decision_numbers.add(number)
        return number

    # -- organisations ------------------------------------------------------------------------

    def _organisations(self) -> None:
        d = self.data
        for org in _demo_organisations():
            short = org.short_names[0] if org.short_names else None
            if org.kind is OrganisationKind.DEPARTMENT:
                assert short is not None and org.document_prefixes, org.code
                self.departments[short] = _Department(org.name, org.code, org.document_prefixes[0])
                d.departments.append(
                    {"code": org.code, "name": org.name, "shortName": short, "sector": org.sector}
                )
            elif org.kind is OrganisationKind.BANK:
                self.bank_names.append(org.name)
                d.banks.append({"code": org.code, "name": org.name, "shortName": short})
            elif org.kind is OrganisationKind.ASSOCIATION:
                self.association_codes.append(org.code)
                d.associations.append({"code": org.code, "name": org.name, "sector": org.sector})
            elif org.kind is OrganisationKind.CREDIT_AGENCY:
                d.credit_agencies.append(
                    {"code": org.code, "name": org.name, "services": org.services}
                )
        for measure in _demo_measures()[1]:
            assert measure.implemented_by is not None, measure.code
            self.measure_imposer[measure.code] = measure.implemented_by
            d.measures.append(
                {
                    "code": measure.code,
                    "name": measure.name,
                    "category": measure.category.value,
                    "basis": measure.basis,
                    "business": measure.business,
                }
            )

    # -- enterprises --------------------------------------------------------------------------

    def _groups(self) -> None:
        """Choose the categories and regions, then the holding groups among the companies.

        A group is a root holding company owning subsidiaries over 2-4 layers; the first group
        always reaches three layers so that it can carry the ownership cycle.
        """
        rng = self.rng
        n = self.spec.enterprises
        for _ in range(n):
            r = rng.random()
            category = "91" if r < 0.75 else "92" if r < 0.95 else "93"
            self.category.append(category)
            region = WUGANG_REGION
            if category == "91" and rng.random() < 0.04:
                region = "410402" if rng.random() < 0.5 else "410411"
            self.regions.append(region)

        pool = [
            i for i in range(n) if self.category[i] == "91" and self.regions[i] == WUGANG_REGION
        ]
        rng.shuffle(pool)
        taken = 0

        def take() -> int | None:
            nonlocal taken
            if taken >= len(pool):
                return None
            taken += 1
            return pool[taken - 1]

        n_groups = max(1, len(pool) // 45) if len(pool) >= 4 else 0
        for g in range(n_groups):
            root = take()
            if root is None:
                break
            self.roots.append(root)
            self.group_root[root] = root
            layers = 3 if g == 0 else self._pick((2, 2, 3, 3, 4))
            layer = [root]
            for depth in range(1, layers):
                below: list[int] = []
                for position, holder in enumerate(layer):
                    kids = self._between(2, 4) if depth == 1 else self._pick((0, 1, 1, 2))
                    if kids == 0 and not below and position == len(layer) - 1:
                        kids = 1  # reach the planned depth
                    for _ in range(kids):
                        child = take()
                        if child is None:
                            break
                        units = 10000 if rng.random() < 0.45 else self._between(51, 95) * 100
                        self.parent[child] = (holder, units)
                        self.group_root[child] = root
                        below.append(child)
                if not below:
                    break
                layer = below

        # Cross-holdings: a grandchild owning part of the root (R -> A -> B -> R) in the first
        # group, and a subsidiary owning part of its parent (R -> A -> R) in the second.
        for child, (holder, _units) in self.parent.items():
            grand = self.parent.get(holder)
            if grand is not None and grand[0] == self.roots[0]:
                self.cross_holdings.append((child, self.roots[0], 500))
                break
        if len(self.roots) > 1:
            for child, (holder, _units) in self.parent.items():
                if holder == self.roots[1]:
                    self.cross_holdings.append((child, holder, 300))
                    break

    def _entity_type(self, i: int) -> str:
        category = self.category[i]
        if category == "92":
            return _SELF_EMPLOYED
        if category == "93":
            return _COOPERATIVE
        if i in self.parent:
            return _LLC_CORPORATE_SOLE if self.parent[i][1] == 10000 else _LLC_OTHER
        if i in self.group_root:
            return _LLC_NATURAL
        return self._weighted(_COMPANY_TYPES, _COMPANY_TYPE_CUM)

    def _capital(self, i: int, entity_type: str) -> float:
        choice = self._pick
        if i in self.group_root:
            if i == self.group_root[i]:
                return float(choice((5000, 10000, 20000, 30000, 50000)))
            return float(choice((500, 1000, 2000, 3000, 5000)))
        if entity_type == _SELF_EMPLOYED:
            return float(choice((1, 2, 3, 5, 10, 20, 30)))
        if entity_type == _COOPERATIVE:
            return float(choice((10, 50, 100, 200, 300, 500)))
        if entity_type in (_SOLE_PROPRIETORSHIP, _PARTNERSHIP):
            return float(choice((5, 10, 20, 50, 100)))
        if entity_type == _JOINT_STOCK:
            return float(choice((1000, 2000, 3000, 5000, 8000)))
        return float(choice((10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 2000, 5000)))

    def _address(self, region: str, town: str, roads: tuple[str, ...], village: bool) -> str:
        if region != WUGANG_REGION:
            district, district_roads = _OTHER_REGIONS[region]
            return f"{district}{self._pick(district_roads)}{self._between(1, 399)}号"
        if village:
            surname = _SURNAME_NAMES[self._below(30)]
            return f"舞钢市{town}{surname}{self._pick(_VILLAGE_ENDINGS)}村"
        return f"舞钢市{town}{self._pick(roads)}{self._between(1, 299)}号"

    def _name(self, i: int, entity_type: str, town: str) -> tuple[str, _Profile]:
        """A unique name and the profile (industry) it names; retried on a clash."""
        rng = self.rng
        category = self.category[i]
        prefix = "舞钢市" if self.regions[i] == WUGANG_REGION else "平顶山市"
        root = self.group_root.get(i)
        name = ""
        profile = _COMPANY_PROFILES[0]
        for attempt in range(8):
            if category == "92":
                profile = self._pick(_SHOP_PROFILES)
                name = f"舞钢市{town}{self._trade_name()}{profile.word}"
            elif category == "93":
                profile = self._pick(_COOP_PROFILES)
                name = f"舞钢市{town}{self._trade_name()}{profile.word}"
            else:
                if root == i:
                    profile = _HOLDING_PROFILE
                    self.group_names[i] = trade = self._trade_name()
                    kind = self._pick(("实业集团", "投资控股", "控股集团", "实业"))
                    name = f"{prefix}{trade}{kind}有限公司"
                    if self._claim(name):
                        return name, profile
                    continue
                if entity_type in (_SOLE_PROPRIETORSHIP, _PARTNERSHIP):
                    profile = self._pick(_SMALL_PROFILES)
                else:
                    profile = self._weighted(_COMPANY_PROFILES, _COMPANY_CUM)
                # A subsidiary carries its group's trade name (华钢物流 under 华钢集团).
                trade = self.group_names[root] if root is not None else self._trade_name()
                if root is None and attempt == 0 and rng.random() < 0.1:
                    prefix = "河南"
                if entity_type == _JOINT_STOCK:
                    suffix = "股份有限公司"
                elif entity_type == _SOLE_PROPRIETORSHIP:
                    suffix = self._pick(("经营部", "商行", "中心"))
                elif entity_type == _PARTNERSHIP:
                    suffix = "中心（普通合伙）"
                else:
                    suffix = "有限公司"
                if attempt >= 5:
                    # Many companies share a trade name across towns (舞钢市尹集鑫源商贸有限公司).
                    trade = town[:2] + trade
                name = f"{prefix}{trade}{profile.word}{suffix}"
            if self._claim(name):
                return name, profile
        k = 2
        while True:
            ordinal = _CN_ORDINALS[k - 1] if k <= len(_CN_ORDINALS) else str(k)
            candidate = f"{name}第{ordinal}分公司"
            if self._claim(candidate):
                return candidate, profile
            k += 1

    def _enterprises(self) -> None:
        rng = self.rng
        today = self.today
        latest = today - timedelta(days=60)
        # Roots before their subsidiaries, so a subsidiary's name can use its group's.
        order = [*self.roots, *self.parent, *(i for i in range(self.spec.enterprises))]
        seen: set[int] = set()
        rows: dict[int, Row] = {}
        profiles: dict[int, _Profile] = {}
        types: dict[int, str] = {}
        statuses: dict[int, EnterpriseStatus] = {}
        for i in order:
            if i in seen:
                continue
            seen.add(i)
            category = self.category[i]
            region = self.regions[i]
            entity_type = self._entity_type(i)
            earliest = _EARLIEST_FOUNDING[category]
            span = latest.toordinal() - earliest.toordinal()
            # More entities were registered after the 2014 商事制度改革: skew towards recent.
            founded = date.fromordinal(earliest.toordinal() + int(span * rng.random() ** 0.6))
            if i in self.parent:
                parent_founded = rows[self.parent[i][0]]["foundedOn"]
                if founded < parent_founded + timedelta(days=30):
                    founded = min(parent_founded + timedelta(days=self._between(30, 720)), latest)
            if category == "91" and founded < date(2015, 10, 1):
                # Before the USCC reform the body is the old 组织机构代码 (digits).
                body = f"7{(i * 7919 + 1234567) % _LEGACY_SPACE:07d}"
            else:
                body = f"MA4{_base31((i * 7919 + 12345) % _MA_SPACE, 5)}"
            first17 = f"{category}{region}{body}{org_code_check_char(body)}"
            uscc = first17 + uscc_check_char(first17)

            town_index = self._weighted(_TOWN_INDEXES, _TOWN_CUM)
            town, roads = _TOWNS[town_index]
            village = category == "93" or (town_index >= 5 and rng.random() < 0.4)
            name, profile = self._name(i, entity_type, town)
            if i in self.group_root:
                status = EnterpriseStatus.ACTIVE
            else:
                r = rng.random()
                status = (
                    EnterpriseStatus.ACTIVE
                    if r < 0.88
                    else EnterpriseStatus.CANCELLED
                    if r < 0.93
                    else EnterpriseStatus.REVOKED
                    if r < 0.985
                    else EnterpriseStatus.MOVED_OUT
                )
            rows[i] = {
                "uscc": uscc,
                "name": name,
                "category": category,
                "region": region,
                "entityType": entity_type,
                "status": status.value,
                "foundedOn": founded,
                "address": self._address(region, town, roads, village),
                "registeredCapital": self._capital(i, entity_type),
                "businessScope": profile.scope,
                "industry": profile.industry,
            }
            profiles[i] = profile
            types[i] = entity_type
            statuses[i] = status

        for i in range(self.spec.enterprises):
            row = rows[i]
            self.data.enterprises.append(row)
            self.subjects.append(_Subject(row["name"], row["uscc"], False, i))
            self.profile.append(profiles[i])
            self.entity_type.append(types[i])
            self.founded.append(row["foundedOn"])
            self.status.append(statuses[i])
            r = rng.random()
            self.risk.append(2 if r < 0.04 else 1 if r < 0.2 else 0)

    # -- persons and their roles --------------------------------------------------------------

    def _persons(self) -> None:
        rng = self.rng
        count = max(2, round(self.spec.enterprises * 0.8))
        first_birth = date(1955, 1, 1).toordinal()
        last_birth = date(2000, 12, 31).toordinal()
        seen: set[str] = set()
        for _ in range(count):
            region = self._weighted(_PERSON_REGIONS, _PERSON_REGION_CUM)
            birth = date.fromordinal(self._between(first_birth, last_birth))
            sequence = self._below(1000)
            stem = f"{region}{birth.year}{birth.month:02d}{birth.day:02d}"
            while f"{stem}{sequence:03d}" in seen:
                sequence = (sequence + 2) % 1000  # keep the parity, which is the sex
            first17 = f"{stem}{sequence:03d}"
            seen.add(first17)
            # resident_id_check_char rather than make_resident_id: same result, without
            # re-validating a date we just drew (this loop runs once per person).
            id_number = first17 + resident_id_check_char(first17)
            male = sequence % 2 == 1
            chars = _MALE_CHARS if male else _FEMALE_CHARS
            given = self._pick(chars)
            if rng.random() < 0.7:
                given += self._pick(chars)
            name = self._weighted(_SURNAME_NAMES, _SURNAME_CUM) + given
            key = person_key(id_number, self.secret)
            masked = mask_name(name)
            self.person_keys.append(key)
            self.person_subjects.append(_Subject(masked, key, True, len(self.person_keys) - 1))
            self.data.persons.append(
                {
                    "key": key,
                    "name": name,
                    "nameMasked": masked,
                    "idNumber": id_number,
                    "idMasked": mask_id_number(id_number),
                    "gender": "M" if male else "F",
                    "birthYear": birth.year,
                }
            )

    def _roles(self) -> None:
        """Legal representatives, principals.

        About 18 % of people represent 2-5 enterprises each (family businesses, group bosses);
        with 0.8 people per enterprise that leaves roughly one in eight who represents none.
        """
        rng = self.rng
        n = self.spec.enterprises
        people = list(range(len(self.person_keys)))
        rng.shuffle(people)
        multi = round(len(people) * 0.18)
        slots: list[int] = []
        for person in people[:multi]:
            slots.extend([person] * self._weighted((2, 3, 4, 5), (40, 65, 85, 100)))
        for person in people[multi:]:
            if len(slots) >= n:
                break
            slots.append(person)
        while len(slots) < n:
            slots.append(people[len(slots) % len(people)])
        slots = slots[:n]
        rng.shuffle(slots)
        self.rep = slots
        for i, root in self.group_root.items():
            if i != root and rng.random() < 0.5:
                self.rep[i] = self.rep[root]

        d = self.data
        for i, subject in enumerate(self.subjects):
            rep = self.rep[i]
            d.legal_representatives.append(
                {"person": self.person_keys[rep], "enterprise": subject.key}
            )
            manager: int | None = None
            first = self._below(3)
            titles = [first] if rng.random() < 0.5 else [first, (first + 1 + self._below(2)) % 3]
            for title in (_PRINCIPAL_TITLES[t] for t in titles):
                if title == "总经理":
                    person = rep if rng.random() < 0.55 else self._other_person(rep)
                    manager = person
                else:
                    person = self._other_person(rep)
                d.principals.append(
                    {"person": self.person_keys[person], "enterprise": subject.key, "title": title}
                )
            self.manager.append(manager)

    def _split(self, total: int, parts: int) -> list[int]:
        """Split ``total`` units (1/10000) into ``parts`` positive parts, the first the largest."""
        if parts == 1:
            return [total]
        rng = self.rng
        step = 100 if total % 100 == 0 and total >= 100 * parts else 1
        slots = total // step
        first = min(max(1, round(slots * (0.4 + 0.5 * rng.random()))), slots - (parts - 1))
        rest = slots - first
        cuts = sorted(rng.sample(range(1, rest), parts - 2)) if parts > 2 else []
        bounds = [0, *cuts, rest]
        shares = [first] + [b - a for a, b in itertools.pairwise(bounds)]
        return [s * step for s in shares]

    def _shareholdings(self) -> None:
        """Shareholders, then actual controllers (who follow the money)."""
        rng = self.rng
        d = self.data
        enterprise_holders: dict[int, list[tuple[int, int]]] = {}
        for child, (holder, units) in self.parent.items():
            enterprise_holders.setdefault(child, []).append((holder, units))
        for holder, child, units in self.cross_holdings:
            enterprise_holders.setdefault(child, []).append((holder, units))

        largest_person: list[tuple[int, int] | None] = []
        for i, subject in enumerate(self.subjects):
            entity_type = self.entity_type[i]
            companies = enterprise_holders.get(i, [])
            remaining = 10000 - sum(units for _, units in companies)
            rep = self.rep[i]
            people: list[int] = []
            if entity_type in _NO_SHARE_TYPES or remaining <= 0:
                pass
            elif entity_type in (_SOLE_PROPRIETORSHIP, _LLC_SOLE):
                people = [rep]
            else:
                low, high = {
                    _JOINT_STOCK: (3, 5),
                    _PARTNERSHIP: (2, 3),
                    _LLC_OTHER: (1, 2),
                }.get(entity_type, (1, 4))
                wanted = self._between(low, high)
                # Some representatives are hired managers without a stake.
                people = [rep] if rng.random() < 0.85 else []
                while len(people) < wanted:
                    other = self._other_person(rep)
                    if other not in people:
                        people.append(other)
                    elif len(self.person_keys) <= wanted:
                        break
            if entity_type == _JOINT_STOCK and people:
                # Small holders of a joint-stock company are not all on record.
                remaining = remaining * self._between(70, 100) // 100 // 100 * 100
            person_units = self._split(remaining, len(people)) if people else []
            holders: list[tuple[bool, int, int]] = [(False, h, u) for h, u in companies]
            holders += [(True, p, u) for p, u in zip(people, person_units, strict=True)]
            # Below 10000 units the float error cannot reach 1.0; at exactly 10000 it can.
            total = sum(u for _, _, u in holders)
            if total == 10000 and not _fits_in_one([u / 10000 for _, _, u in holders]):
                biggest = max(range(len(holders)), key=lambda k: holders[k][2])
                is_person, who, units = holders[biggest]
                holders[biggest] = (is_person, who, units - 1)
            best: tuple[int, int] | None = None
            for is_person, who, units in holders:
                share = units / 10000
                if is_person:
                    d.person_shareholdings.append(
                        {"person": self.person_keys[who], "enterprise": subject.key, "share": share}
                    )
                    if best is None or units > best[1]:
                        best = (who, units)
                else:
                    d.enterprise_shareholdings.append(
                        {
                            "holder": self.subjects[who].key,
                            "enterprise": subject.key,
                            "share": share,
                        }
                    )
            largest_person.append(best)

        for i, subject in enumerate(self.subjects):
            controller: int | None
            root = self.group_root.get(i)
            best = largest_person[root if root is not None else i]
            if root is not None:
                controller = best[0] if best is not None else self.rep[root]
            elif self.category[i] == "92":
                controller = self.rep[i] if rng.random() < 0.9 else None
            elif self.category[i] == "93":
                controller = self.rep[i] if rng.random() < 0.5 else None
            elif rng.random() < 0.12:
                controller = None
            elif best is not None and best[1] >= 3400:
                controller = best[0]
            else:
                controller = self.rep[i]
            self.controller.append(controller)
            if controller is not None:
                d.actual_controllers.append(
                    {"person": self.person_keys[controller], "enterprise": subject.key}
                )

    def _memberships(self) -> None:
        rng = self.rng
        joined_from = date(2005, 6, 1)
        for i, subject in enumerate(self.subjects):
            if rng.random() >= 0.3:
                continue
            if self.category[i] == "92":
                association = _SELF_EMPLOYED_ASSOCIATION
            else:
                association = _ASSOCIATION_OF_INDUSTRY.get(
                    self.profile[i].industry, _CHAMBER_OF_COMMERCE
                )
            since = self._date_between(max(joined_from, self.founded[i]), self.today)
            self.data.memberships.append(
                {
                    "enterprise": subject.key,
                    "association": self.association_codes[association],
                    "since": since,
                }
            )

    # -- records ------------------------------------------------------------------------------

    def _emit(
        self,
        kind: RecordKind,
        subject: _Subject,
        dept_short: str,
        decision: date,
        title: str,
        *,
        severity: SeverityTier | None = None,
        category: str | None = None,
        content: str,
        amount: float | None = None,
        valid_to: date | None = None,
        status: RecordStatus | None = None,
        warning_only: bool = False,
        document_number: str | None = None,
    ) -> Row:
        dept = self.departments[dept_short]
        # _value_ rather than .value: the property costs more than the rest of a row.
        kind_value: str = kind._value_
        doc = document_number or self._document_number(kind_value, dept_short, decision.year)
        key = f"{kind_value}|{dept.code}|{doc}"
        # The stamps every record gets (graph/records.py): window, publish-by for 双公示 kinds;
        # a demo decision reached the network on its day.
        stamps = publication_stamps(
            kind,
            severity,
            decision,
            valid_to,
            warning_only=warning_only,
            calendar=self.calendar if kind in DISCLOSED_KINDS else None,
        )
        if status is None:
            status = self._status(kind, severity, decision, category)
        row: Row = {
            **version_props(key, 1, status),
            "kind": kind_value,
            "title": title,
            "documentNumber": doc,
            "decisionDate": decision,
            "issuingAuthority": dept.name,
            "issuingAuthorityCode": dept.code,
            "severity": severity._value_ if severity is not None else None,
            "category": category,
            "content": content,
            "amount": amount,
            "validFrom": decision,
            "validTo": valid_to,
            **stamps,
            "firstPublishedOn": decision,
        }
        d = self.data
        d.records.append(row)
        if subject.is_person:
            d.record_person_subjects.append({"record": row["uid"], "person": subject.key})
        else:
            d.record_enterprise_subjects.append({"record": row["uid"], "enterprise": subject.key})
            if (
                kind is RecordKind.PENALTY or kind is RecordKind.LICENSE
            ) and status is RecordStatus.EFFECTIVE:
                self.correctable.append((row, subject, dept.code))
        d.record_providers.append({"record": row["uid"], "department": dept.code})
        return row

    def _status(
        self,
        kind: RecordKind,
        severity: SeverityTier | None,
        decision: date,
        category: str | None,
    ) -> RecordStatus:
        r = self.rng.random()
        if kind not in ADVERSE_KINDS:
            return RecordStatus.REVOKED if r < 0.02 else RecordStatus.EFFECTIVE
        if r < 0.03:
            return RecordStatus.UNDER_OBJECTION
        if r < 0.06:
            return RecordStatus.REVOKED
        if r < 0.14 and severity is not None and severity is not SeverityTier.MINOR:
            # Order 36: repair only after the minimum period; 停产停业 and 吊销 never early.
            minimum = 3 if severity is SeverityTier.GENERAL else 12
            if add_months(decision, minimum) <= self.today and category not in (
                "责令停产停业",
                "吊销许可证",
            ):
                return RecordStatus.REPAIRED
        return RecordStatus.EFFECTIVE

    def _licence(self, subject: _Subject, decision: date) -> None:
        lic = self._pick(self.profile[subject.position].licences)
        title, category, dept, years, content = _LICENCES[lic]
        valid_to = add_years(decision, years) - _DAY if years else None
        self._emit(
            RecordKind.LICENSE,
            subject,
            dept,
            decision,
            title,
            category=category,
            content=content,
            valid_to=valid_to,
        )

    def _penalty(
        self,
        subject: _Subject,
        decision: date,
        violation: _Violation | None = None,
        *,
        serious: bool = False,
        status: RecordStatus | None = None,
    ) -> Row:
        rng = self.rng
        if violation is None:
            if subject.is_person:
                violation = self._pick(_PERSON_VIOLATIONS)
            else:
                violation = self._pick(
                    self._violations_for(self.profile[subject.position].industry)
                )
        category = self._pick(violation.categories)
        fine = confiscated = 0
        valid_to: date | None = None
        severity = SeverityTier.GENERAL
        if category == "警告":
            severity = SeverityTier.MINOR
            decided = "给予警告"
        elif category == "暂扣许可证":
            months = self._pick((1, 3, 6))
            valid_to = add_months(decision, months)
            decided = f"暂扣相关许可证{months}个月"
        elif category == "吊销许可证":
            severity = SeverityTier.SERIOUS
            decided = "吊销采矿许可证"
        else:
            if subject.is_person:
                fine = self._pick((200, 500, 1000, 2000, 5000))
            elif serious:
                fine = self._pick((100000, 200000, 300000, 500000, 800000))
            else:
                fine = self._pick((2000, 5000, 10000, 20000, 30000, 50000, 100000, 200000))
            if category == "没收违法所得":
                confiscated = self._between(5, 500) * 100
                decided = f"没收违法所得人民币{confiscated}元，并处罚款人民币{fine}元"
            elif category == "责令停产停业":
                days = self._pick((15, 30, 60))
                valid_to = decision + timedelta(days=days)
                severity = SeverityTier.SERIOUS
                decided = f"责令停产停业整顿{days}日，并处罚款人民币{fine}元"
            else:
                decided = f"罚款人民币{fine}元"
            if fine + confiscated < 5000:
                severity = SeverityTier.MINOR if rng.random() < 0.4 else SeverityTier.GENERAL
            elif fine + confiscated > 100000:
                severity = SeverityTier.SERIOUS if rng.random() < 0.5 else SeverityTier.GENERAL
        if serious:
            severity = SeverityTier.SERIOUS
        title = f"{violation.kind}案" if subject.is_person else f"{subject.name}{violation.kind}案"
        content = (
            f"当事人{violation.fact}，违反了{violation.law}的规定。"
            f"依据{violation.law}，决定：{decided}。"
        )
        return self._emit(
            RecordKind.PENALTY,
            subject,
            violation.department,
            decision,
            title,
            severity=severity,
            category=category,
            content=content,
            amount=round((fine + confiscated) / 10000, 4),
            valid_to=valid_to,
            status=status,
            warning_only=category == "警告" and violation.department == "市市场监管局",
        )

    def _violations_for(self, industry: str) -> tuple[_Violation, ...]:
        cached = self._violation_cache.get(industry)
        if cached is None:
            cached = tuple(
                v for v in _VIOLATIONS if v.industries is None or industry in v.industries
            )
            self._violation_cache[industry] = cached
        return cached

    def _revocation(self, subject: _Subject, decision: date) -> None:
        self._emit(
            RecordKind.PENALTY,
            subject,
            "市市场监管局",
            decision,
            f"{subject.name}无正当理由超过六个月未开业案",
            severity=SeverityTier.SERIOUS,
            category="吊销许可证",
            content=(
                "当事人成立后无正当理由超过六个月未开业，违反了《中华人民共和国公司法》"
                "第二百六十条的规定。依据《中华人民共和国公司法》第二百六十条，决定：吊销营业执照。"
            ),
            amount=0.0,
            status=RecordStatus.EFFECTIVE,
        )

    def _judgment(
        self,
        subject: _Subject,
        decision: date,
        *,
        serious: bool = False,
        performed: date | None = None,
        status: RecordStatus | None = None,
    ) -> Row:
        rng = self.rng
        cause, bank = self._pick(_JUDGMENT_CAUSES)
        if subject.is_person:
            cause, bank = "民间借贷纠纷", False
        if bank:
            plaintiff = self._pick(self.bank_names)
        elif cause in ("追索劳动报酬纠纷", "民间借贷纠纷"):
            plaintiff = self.person_subjects[self._below(len(self.person_subjects))].name
        else:
            plaintiff = self.subjects[self._below(len(self.subjects))].name
        amount = self._between(2, 3000) * 1000
        if performed is None and rng.random() < 0.4:
            candidate = decision + timedelta(days=self._between(30, 400))
            performed = candidate if candidate <= self.today else None
        return self._emit(
            RecordKind.JUDGMENT,
            subject,
            "市法院",
            decision,
            f"{cause}一审民事判决书",
            severity=SeverityTier.SERIOUS
            if serious or rng.random() < 0.2
            else SeverityTier.GENERAL,
            content=(
                f"原告{plaintiff}与被告{subject.name}{cause}一案，判决被告于判决生效之日起十日内"
                f"支付原告人民币{amount}元。"
            ),
            valid_to=performed,
            status=status,
        )

    def _enforcement(
        self,
        subject: _Subject,
        decision: date,
        *,
        performed: date | None = None,
        status: RecordStatus | None = None,
        random_performance: bool = True,
    ) -> Row:
        rng = self.rng
        if performed is None and random_performance and rng.random() < 0.3:
            candidate = decision + timedelta(days=self._between(30, 500))
            performed = candidate if candidate <= self.today else None
        basis_year = max(decision.year - self._pick((0, 1)), 2020)
        return self._emit(
            RecordKind.ENFORCEMENT,
            subject,
            "市法院",
            decision,
            "失信被执行人信息",
            severity=SeverityTier.SERIOUS,
            content=(
                f"被执行人{subject.name}{self._pick(_ENFORCEMENT_GROUNDS)}。执行依据："
                f"（{basis_year}）豫0481民初{self._between(100, 4999)}号民事判决书；"
                f"执行标的：人民币{self._between(2, 3000) * 1000}元。"
            ),
            valid_to=performed,
            status=status,
        )

    def _abnormal(self, subject: _Subject, decision: date) -> None:
        rng = self.rng
        removed: date | None = None
        if rng.random() < 0.5:
            candidate = decision + timedelta(days=self._between(20, 300))
            removed = candidate if candidate <= self.today else None
        self_employed = self.category[subject.position] == "92"
        reason = self._pick(_ABNORMAL_REASONS)
        self._emit(
            RecordKind.ABNORMAL_OPERATION,
            subject,
            "市市场监管局",
            decision,
            "标记为经营异常状态" if self_employed else "列入经营异常名录",
            severity=SeverityTier.GENERAL,
            content=(
                f"该主体因{reason}，依据《企业经营异常名录管理暂行办法》第四条，"
                + ("标记为经营异常状态。" if self_employed else "列入经营异常名录。")
            ),
            valid_to=removed,
        )

    def _rectification(self, subject: _Subject, decision: date) -> None:
        rng = self.rng
        dept, problem = self._pick(_RECTIFICATIONS)
        deadline = decision + timedelta(days=self._pick((7, 15, 30)))
        self._emit(
            RecordKind.RECTIFICATION,
            subject,
            dept,
            decision,
            "责令限期整改通知书",
            severity=SeverityTier.MINOR if rng.random() < 0.6 else SeverityTier.GENERAL,
            content=f"检查发现{problem}，责令于{_cn_date(deadline)}前整改完毕，逾期未整改的依法查处。",
            valid_to=deadline,
        )

    def _interview(self, subject: _Subject, decision: date) -> None:
        rng = self.rng
        dept, reason = self._pick(_INTERVIEWS)
        warning = rng.random() < 0.4
        kind = "警示约谈" if warning else "提示约谈"
        self._emit(
            RecordKind.INTERVIEW,
            subject,
            dept,
            decision,
            f"信用{kind}记录",
            severity=SeverityTier.GENERAL if warning else SeverityTier.MINOR,
            content=(
                f"因{reason}，按照“谁认定、谁约谈”的原则，对该主体法定代表人进行{kind}，"
                "督促其履行相关义务、消除不良影响。"
            ),
        )

    def _commitment(self, subject: _Subject, decision: date) -> None:
        rng = self.rng
        r = rng.random()
        valid_to: date | None = add_years(decision, 1) - _DAY
        if r < 0.55:
            title, _category, dept, _years, _content = _LICENCES[
                self._pick(self.profile[subject.position].licences)
            ]
            kind = "审批替代型" if r < 0.4 else "容缺受理型"
            title = f"{title}{'告知承诺书' if kind == '审批替代型' else '容缺受理承诺书'}"
        elif r < 0.75:
            kind, dept, title, valid_to = "主动型", "市发改委", "主动型信用承诺书", None
        elif r < 0.9:
            kind, dept, title = "行业自律型", "市民政局", "行业自律信用承诺书"
        else:
            kind, dept, title = "信用修复型", "市发改委", "信用修复承诺书"
        commitment = self._emit(
            RecordKind.COMMITMENT,
            subject,
            dept,
            decision,
            title,
            category=kind,
            content=_COMMITMENT_TEXT,
            valid_to=valid_to,
        )
        breached = decision + timedelta(days=120)
        if breached < self.today and self.lifecycle_rng.random() < 0.05:
            self._emit(
                RecordKind.COMMITMENT_BREACH,
                subject,
                dept,
                breached,
                f"违反{title}",
                severity=SeverityTier.GENERAL,
                category="违反信用承诺",
                content=f"未履行{commitment['documentNumber']}所作承诺",
                status=RecordStatus.EFFECTIVE,
                document_number=f"{commitment['documentNumber']}-违诺",
            )

    def _voluntary(self, subject: _Subject, decision: date) -> None:
        kind = self._pick(_VOLUNTARY_TYPES)
        self._emit(
            RecordKind.VOLUNTARY,
            subject,
            "市发改委",
            decision,
            f"信用信息自愿注册（{kind}）",
            content=_VOLUNTARY_TEXT[kind],
            valid_to=add_years(decision, 1) - _DAY,
        )

    def _honour(
        self, subject: _Subject, decision: date, choice: tuple[str, str] | None = None
    ) -> Row:
        dept, honour = choice or self._pick(_HONOURS)
        return self._emit(
            RecordKind.HONOR,
            subject,
            dept,
            decision,
            f"{decision.year - 1}年度{honour}",
            content=f"经评审，被{self.departments[dept].name}评为{decision.year - 1}年度{honour}。",
        )

    def _tax_grade(
        self, subject: _Subject, lo: date, grade: str | None = None
    ) -> tuple[Row, int] | None:
        """A grade for a year whose results (published in April) fall in [lo, today]."""
        years = [y for y in range(2020, self.today.year) if lo <= date(y + 1, 4, 25) <= self.today]
        if not years:
            return None
        year = self._pick(years)
        decision = date(year + 1, 4, self._between(10, 25))
        if decision < lo:
            decision = lo
        grade = grade or self._weighted(_TAX_GRADES, _TAX_GRADE_CUM)
        row = self._emit(
            RecordKind.TAX_GRADE,
            subject,
            "市税务局",
            decision,
            f"{year}年度纳税信用等级评价结果",
            category=grade,
            content=f"经评价，该纳税人{year}年度纳税信用级别为{grade}级。",
            valid_to=date(year + 2, 4, 9),
        )
        return row, year

    def _records(self) -> None:
        rng = self.rng
        today = self.today
        favourable_counts = range(len(_FAVOURABLE_COUNT_CUM))
        for i, subject in enumerate(self.subjects):
            lo = max(_RECORDS_FROM, self.founded[i])
            if lo > today:
                continue
            favourable = self._weighted(favourable_counts, _FAVOURABLE_COUNT_CUM)
            risk = self.risk[i]
            if risk == 2:
                adverse = self._between(4, 12)
            elif risk == 1:
                adverse = self._between(1, 4)
            else:
                adverse = 1 if rng.random() < 0.25 else 0
            for _ in range(favourable):
                kind = self._weighted(_FAVOURABLE_KINDS, _FAVOURABLE_CUM)
                if kind is RecordKind.TAX_GRADE:
                    if self.category[i] == "91" and self._tax_grade(subject, lo) is not None:
                        continue
                    kind = RecordKind.LICENSE
                decision = self._date_between(lo, today)
                if kind is RecordKind.LICENSE:
                    self._licence(subject, decision)
                elif kind is RecordKind.COMMITMENT:
                    self._commitment(subject, decision)
                elif kind is RecordKind.VOLUNTARY:
                    self._voluntary(subject, decision)
                else:
                    self._honour(subject, decision)
            for _ in range(adverse):
                kind = self._weighted(_ADVERSE_KINDS, _ADVERSE_CUM)
                decision = self._date_between(lo, today)
                if kind is RecordKind.PENALTY:
                    self._penalty(subject, decision)
                elif kind is RecordKind.ABNORMAL_OPERATION:
                    self._abnormal(subject, decision)
                elif kind is RecordKind.JUDGMENT:
                    self._judgment(subject, decision)
                elif kind is RecordKind.ENFORCEMENT:
                    self._enforcement(subject, decision)
                elif kind is RecordKind.RECTIFICATION:
                    self._rectification(subject, decision)
                else:
                    self._interview(subject, decision)
            if self.status[i] is EnterpriseStatus.REVOKED:
                self._revocation(subject, self._date_between(lo, today))

        # Some people have records of their own: private loans, 失信被执行人, small penalties.
        for subject in self.person_subjects:
            if rng.random() >= 0.04:
                continue
            decision = self._date_between(_RECORDS_FROM, today)
            r = rng.random()
            if r < 0.45:
                self._judgment(subject, decision)
            elif r < 0.7:
                self._enforcement(subject, decision)
            else:
                self._penalty(subject, decision)

    # -- lists and sanctions ------------------------------------------------------------------

    def _new_entry(
        self,
        list_type: ListType,
        list_name: str,
        basis: str,
        decision_number: str,
        decision: date,
        effective_from: date,
        effective_until: date | None,
        removal: str,
        status: ListEntryStatus,
        removed_on: date | None,
        subject: _Subject,
        dept_short: str,
    ) -> str:
        d = self.data
        entry_id = f"LE-{len(d.list_entries) + 1:06d}"
        d.list_entries.append(
            {
                "id": entry_id,
                "listType": list_type.value,
                "listName": list_name,
                "basis": basis,
                "decisionNumber": decision_number,
                "decisionDate": decision,
                "effectiveFrom": effective_from,
                "effectiveUntil": effective_until,
                "removalConditions": removal,
                "status": status.value,
                "removedOn": removed_on,
            }
        )
        d.list_entry_subjects.append({"entry": entry_id, "enterprise": subject.key})
        d.list_entry_deciders.append(
            {"entry": entry_id, "department": self.departments[dept_short].code}
        )
        return entry_id

    def _black_lists(self) -> None:
        """~3 % of enterprises on a black list, chosen among the riskiest, each with the
        serious record it rests on, its linked persons (六(五)) and 1-3 measures."""
        rng = self.rng
        today = self.today
        n = self.spec.enterprises
        wanted = max(1, round(n * 0.03))
        severe = [i for i in range(n) if self.risk[i] == 2]
        risky = [i for i in range(n) if self.risk[i] == 1]
        rest = [i for i in range(n) if self.risk[i] == 0]
        for group in (severe, risky, rest):
            rng.shuffle(group)
        for i in itertools.chain(severe, risky, rest):
            if len(self.black) >= wanted:
                break
            lo = max(_RECORDS_FROM, self.founded[i])
            latest = today - timedelta(days=60)
            if lo > latest:
                continue
            self.black.add(i)
            subject = self.subjects[i]
            spec = self._weighted(_BLACK_LISTS, _BLACK_LIST_CUM)
            court = spec.department == "市法院"
            supported = self._date_between(lo, latest)
            decision = min(supported + timedelta(days=self._between(10, 45)), today)
            until = None if court else add_years(decision, 3)
            status = ListEntryStatus.ACTIVE
            removed: date | None = None
            if until is not None and until < today:
                status, removed = ListEntryStatus.REMOVED, until
            else:
                earliest = decision + timedelta(days=30) if court else add_years(decision, 1)
                if earliest <= today and rng.random() < 0.25:
                    status, removed = ListEntryStatus.REMOVED, self._date_between(earliest, today)

            repaired = status is ListEntryStatus.REMOVED and not court and removed != until
            record_status = RecordStatus.REPAIRED if repaired else RecordStatus.EFFECTIVE
            if court:
                judged = supported - timedelta(days=self._between(60, 300))
                if judged >= lo:
                    self._judgment(
                        subject, judged, serious=True, status=RecordStatus.EFFECTIVE,
                        performed=removed,
                    )  # fmt: skip
                record = self._enforcement(
                    subject,
                    supported,
                    performed=removed,
                    status=RecordStatus.EFFECTIVE,
                    random_performance=False,
                )
                # The enforcement case's number is the generator's own sequence: unique.
                decision_number = f"{record['documentNumber'][:-1]}号之一"
                self.decision_numbers.add(decision_number)
            else:
                record = self._penalty(
                    subject,
                    supported,
                    _SERIOUS_VIOLATIONS[spec.department],
                    serious=True,
                    status=record_status,
                )
                dept = self.departments[spec.department]
                decision_number = self._decision_number(
                    f"{dept.prefix}失信〔{decision.year}〕{{n}}号", self._between(1, 60)
                )
            entry_id = self._new_entry(
                ListType.BLACK,
                spec.name,
                f"{spec.basis}；依据{record['documentNumber']}",
                decision_number,
                decision,
                decision,
                until,
                spec.removal,
                status,
                removed,
                subject,
                spec.department,
            )
            links = self._link_persons(entry_id, i)
            self.data.list_entry_records.append({"entry": entry_id, "record": record["uid"]})
            self._liability(links, decision_number, decision, spec.department, repaired)
            self._sanctions(entry_id, subject, spec, decision, until, removed)

    def _link_persons(self, entry_id: str, i: int) -> list[tuple[int, RoleKind]]:
        links = [(self.rep[i], RoleKind.LEGAL_REPRESENTATIVE)]
        controller = self.controller[i]
        if controller is not None:
            links.append((controller, RoleKind.ACTUAL_CONTROLLER))
        manager = self.manager[i]
        if manager is not None and manager != self.rep[i]:
            links.append((manager, RoleKind.PRINCIPAL))
        for person, role in links:
            self.data.linked_persons.append(
                {"entry": entry_id, "person": self.person_keys[person], "role": role.value}
            )
        return links

    def _liability(
        self,
        links: list[tuple[int, RoleKind]],
        decision_number: str,
        decision: date,
        dept: str,
        repaired: bool,
    ) -> None:
        """六(五): each person the entry names gets a personal record of the liability."""
        seen: set[int] = set()
        for person, role in links:
            if person in seen:
                continue
            seen.add(person)
            self._emit(
                RecordKind.LIABILITY,
                self.person_subjects[person],
                dept,
                decision,
                f"失信责任追究（{role.label}）",
                severity=SeverityTier.SERIOUS,
                category="失信责任追究",
                content=f"依据{decision_number}，对所在单位严重失信行为负有责任",
                status=RecordStatus.REPAIRED if repaired else RecordStatus.EFFECTIVE,
                document_number=f"{decision_number}-{len(seen)}",
            )

    def _sanctions(
        self,
        entry_id: str,
        subject: _Subject,
        spec: _BlackList,
        start: date,
        until: date | None,
        removed: date | None,
    ) -> None:
        d = self.data
        k = self._between(1, min(3, len(spec.measures)))
        for measure in self.rng.sample(spec.measures, k):
            sanction_id = f"SN-{len(d.sanctions) + 1:06d}"
            d.sanctions.append(
                {
                    "id": sanction_id,
                    "from": start,
                    "until": removed if removed is not None else until,
                    "status": (
                        SanctionStatus.LIFTED if removed is not None else SanctionStatus.ACTIVE
                    ).value,
                }
            )
            d.sanction_measures.append({"sanction": sanction_id, "measure": measure})
            d.sanction_entries.append({"sanction": sanction_id, "entry": entry_id})
            d.sanction_subjects.append({"sanction": sanction_id, "enterprise": subject.key})
            imposer = self.departments[self.measure_imposer[measure]].code
            d.sanction_imposers.append({"sanction": sanction_id, "department": imposer})

    def _red_lists(self) -> None:
        """~3 % of enterprises on a red list: A-grade taxpayers and 守信激励 subjects, some of
        the latter still announced (公示中) before they take effect."""
        rng = self.rng
        today = self.today
        n = self.spec.enterprises
        wanted = max(1, round(n * 0.03))
        candidates = [
            i
            for i in range(n)
            if self.risk[i] == 0
            and i not in self.black
            and self.status[i] is EnterpriseStatus.ACTIVE
            and self.category[i] in ("91", "92")
        ]
        rng.shuffle(candidates)
        made = 0
        for i in candidates:
            if made >= wanted:
                break
            subject = self.subjects[i]
            lo = max(_RECORDS_FROM, self.founded[i])
            if lo > today - timedelta(days=30):
                continue
            if self.category[i] == "91" and rng.random() < 0.6:
                graded = self._tax_grade(subject, lo, grade="A")
                if graded is None:
                    continue
                record, year = graded
                list_name, dept, basis, removal = _RED_TAX
                decision = record["decisionDate"]
                until: date | None = record["validTo"]
                number = self._decision_number(
                    f"国家税务总局舞钢市税务局公告{year + 1}年第{{n}}号", self._between(1, 12)
                )
                start = decision
                status = ListEntryStatus.ACTIVE
            else:
                list_name, dept, basis, removal = _RED_HONOUR
                if rng.random() < 0.3:
                    # Announced during the 公示期 (7 working days) before taking effect.
                    decision = today - timedelta(days=self._between(0, 6))
                    start = decision + timedelta(days=10)
                    status = ListEntryStatus.ANNOUNCED
                else:
                    decision = self._date_between(lo + timedelta(days=30), today)
                    start = decision + timedelta(days=10)
                    status = ListEntryStatus.ACTIVE
                honoured = max(lo, decision - timedelta(days=self._between(10, 60)))
                record = self._honour(subject, honoured, ("市发改委", "舞钢市诚信建设示范企业"))
                until = add_years(start, 2)
                number = self._decision_number(
                    f"舞发改信用〔{decision.year}〕{{n}}号", self._between(1, 40)
                )
            removed: date | None = None
            if until is not None and until < today:
                status, removed = ListEntryStatus.REMOVED, until
            self._new_entry(
                ListType.RED,
                list_name,
                f"{basis}；依据{record['documentNumber']}",
                number,
                decision,
                start,
                until,
                removal,
                status,
                removed,
                subject,
                dept,
            )
            made += 1

    # -- corrections --------------------------------------------------------------------------

    def _corrections(self) -> None:
        """A few records corrected after an objection: v2 is current, v1 is SUPERSEDED."""
        rng = self.rng
        d = self.data
        count = min(len(self.correctable), max(3, len(d.records) // 250))
        for old, subject, dept_code in rng.sample(self.correctable, count):
            new = {**old, **version_props(old["key"], 2, RecordStatus.EFFECTIVE)}
            if old["kind"] == RecordKind.LICENSE.value and old["validTo"] is not None:
                new["validTo"] = add_years(old["validTo"], 1)
                new.update(
                    publication_stamps(
                        RecordKind.LICENSE,
                        None,
                        old["decisionDate"],
                        new["validTo"],
                        calendar=self.calendar,
                    )
                )
                new["content"] = old["content"] + "（更正：有效期截止日期录入有误，已予更正。）"
            else:
                new["content"] = old["content"] + "（更正：原记录违法事实表述有误，已予更正。）"
            old["current"] = False
            old["status"] = RecordStatus.SUPERSEDED.value
            d.records.append(new)
            d.record_enterprise_subjects.append({"record": new["uid"], "enterprise": subject.key})
            d.record_providers.append({"record": new["uid"], "department": dept_code})
            d.record_supersedes.append({"record": new["uid"], "previous": old["uid"]})


def generate(spec: DemoSpec, person_secret: bytes) -> DemoData:
    """Build the demo network for ``spec``; the same spec and secret always give the same rows.

    Pure Python: one `random.Random(spec.seed)` drives every choice and ``spec.today`` stands
    in for the clock. ``person_secret`` keys `person_key`, so it changes person keys only.
    """
    if not person_secret:
        raise ValueError("person_secret must not be empty")
    return _Generator(spec, person_secret).run()


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

# One literal per statement (LiteralString for the driver): nodes first, then relationships.
# Organisations and measures are reference data: `load` imports them from DEMO_REFERENCE.
_STATEMENTS: Final[tuple[tuple[str, LiteralString], ...]] = (
    ("enterprises", "UNWIND $rows AS row MERGE (n:Enterprise {uscc: row.uscc}) SET n += row"),
    ("persons", "UNWIND $rows AS row MERGE (n:Person {key: row.key}) SET n += row"),
    ("list_entries", "UNWIND $rows AS row MERGE (n:ListEntry {id: row.id}) SET n += row"),
    ("sanctions", "UNWIND $rows AS row MERGE (n:Sanction {id: row.id}) SET n += row"),
    (
        "legal_representatives",
        "UNWIND $rows AS row "
        "MATCH (p:Person {key: row.person}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e)",
    ),
    (
        "principals",
        "UNWIND $rows AS row "
        "MATCH (p:Person {key: row.person}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (p)-[:PRINCIPAL_OF {title: row.title}]->(e)",
    ),
    (
        "actual_controllers",
        "UNWIND $rows AS row "
        "MATCH (p:Person {key: row.person}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (p)-[:ACTUAL_CONTROLLER_OF]->(e)",
    ),
    (
        "person_shareholdings",
        "UNWIND $rows AS row "
        "MATCH (p:Person {key: row.person}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (p)-[r:SHAREHOLDER_OF]->(e) SET r.share = row.share",
    ),
    (
        "enterprise_shareholdings",
        "UNWIND $rows AS row "
        "MATCH (h:Enterprise {uscc: row.holder}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (h)-[r:SHAREHOLDER_OF]->(e) SET r.share = row.share",
    ),
    (
        "memberships",
        "UNWIND $rows AS row "
        "MATCH (e:Enterprise {uscc: row.enterprise}) MATCH (a:Association {code: row.association}) "
        "MERGE (e)-[r:MEMBER_OF]->(a) SET r.since = row.since",
    ),
    (
        "list_entry_subjects",
        "UNWIND $rows AS row "
        "MATCH (l:ListEntry {id: row.entry}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (l)-[:HAS_SUBJECT]->(e)",
    ),
    (
        "list_entry_deciders",
        "UNWIND $rows AS row "
        "MATCH (l:ListEntry {id: row.entry}) MATCH (d:Department {code: row.department}) "
        "MERGE (l)-[:DECIDED_BY]->(d)",
    ),
    (
        "linked_persons",
        "UNWIND $rows AS row "
        "MATCH (l:ListEntry {id: row.entry}) MATCH (p:Person {key: row.person}) "
        "MERGE (l)-[:LINKED_PERSON {role: row.role}]->(p)",
    ),
    (
        "list_entry_records",
        "UNWIND $rows AS row "
        "MATCH (l:ListEntry {id: row.entry}) MATCH (r:Record {uid: row.record}) "
        "MERGE (l)-[:BASED_ON]->(r)",
    ),
    (
        "sanction_measures",
        "UNWIND $rows AS row "
        "MATCH (s:Sanction {id: row.sanction}) MATCH (m:Measure {code: row.measure}) "
        "MERGE (s)-[:APPLIES]->(m)",
    ),
    (
        "sanction_entries",
        "UNWIND $rows AS row "
        "MATCH (s:Sanction {id: row.sanction}) MATCH (l:ListEntry {id: row.entry}) "
        "MERGE (s)-[:UNDER]->(l)",
    ),
    (
        "sanction_subjects",
        "UNWIND $rows AS row "
        "MATCH (s:Sanction {id: row.sanction}) MATCH (e:Enterprise {uscc: row.enterprise}) "
        "MERGE (s)-[:HAS_SUBJECT]->(e)",
    ),
    (
        "sanction_imposers",
        "UNWIND $rows AS row "
        "MATCH (s:Sanction {id: row.sanction}) MATCH (d:Department {code: row.department}) "
        "MERGE (s)-[:IMPOSED_BY]->(d)",
    ),
)


async def load(db: Database, data: DemoData, *, batch_size: int = 5000) -> dict[str, int]:
    """Write ``data`` to the graph; return the number of rows written per kind.

    Every node is MERGEd on its key and every relationship between nodes matched by key, so
    loading the same data twice changes nothing (the key constraints make the MATCHes index
    lookups). Nodes go first so that the relationship statements find both ends.
    """
    counts = await load_reference_data(db, today=DemoSpec().today)
    for name, cypher in _STATEMENTS:
        if name == _RECORDS_AFTER:
            counts.update(await _load_records(db, data, batch_size=batch_size))
        rows: list[Row] = getattr(data, name)
        counts[name] = await db.write_batches(cypher, rows, batch_size=batch_size)
    return counts


_RECORDS_AFTER: Final = "legal_representatives"
"""Records are written once enterprises and persons exist (their subjects), before the list
entries that rest on them."""

_EXISTING_RECORDS: Final = (
    "UNWIND $uids AS uid MATCH (r:Record {uid: uid}) RETURN collect(r.uid) AS existing"
)


async def _load_records(db: Database, data: DemoData, *, batch_size: int) -> dict[str, int]:
    """Write the demo's records through the one record writer (graph/records.py), as a feed
    would: with subject, supplier, deciding authority and, for a correction, ``SUPERSEDES``
    the version it replaces. First versions go before the versions that supersede them;
    records already in the graph are skipped, so loading twice changes nothing."""
    subjects: dict[str, dict[str, Any]] = {}
    for link in data.record_enterprise_subjects:
        subjects[link["record"]] = {"enterprise": link["enterprise"]}
    for link in data.record_person_subjects:
        subjects[link["record"]] = {"person": {"key": link["person"], "props": {}}}
    providers = {link["record"]: link["department"] for link in data.record_providers}
    previous = {link["record"]: link["previous"] for link in data.record_supersedes}
    loaded_at = datetime.combine(DemoSpec().today, time(), tzinfo=CHINA_TIME)
    # Every decision has its own 文号, so every record its own uid: a repeat is a generator
    # bug, refused rather than silently merged.
    unique = {record["uid"]: record for record in data.records}
    if len(unique) != len(data.records):
        raise ValueError("the demo data names a record uid twice")
    passes: list[dict[str, list[dict[str, Any]]]] = [{}, {}]
    for uid, record in unique.items():
        props = {k: v for k, v in record.items() if k not in RECORD_DATES}
        row = {
            "props": props,
            "dates": {name: iso(record.get(name)) for name in RECORD_DATES},
            "decider": record["issuingAuthorityCode"],
            "previous": previous.get(uid),
            **subjects.get(uid, {}),
        }
        passes[uid in previous].setdefault(providers[uid], []).append(row)
    for by_provider in passes:
        for provider, rows in sorted(by_provider.items()):
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                uids = [row["props"]["uid"] for row in batch]
                [found] = await db.read(_EXISTING_RECORDS, {"uids": uids})
                existing = set(found["existing"])
                fresh = [row for row in batch if row["props"]["uid"] not in existing]
                if fresh:
                    write = functools.partial(
                        write_records, rows=fresh, provider=provider, loaded_at=loaded_at
                    )
                    await db.write_transaction(write)
    return {
        "records": len(data.records),
        "record_enterprise_subjects": len(data.record_enterprise_subjects),
        "record_person_subjects": len(data.record_person_subjects),
        "record_providers": len(data.record_providers),
        "record_supersedes": len(data.record_supersedes),
    }


async def load_reference_data(db: Database, *, today: date) -> dict[str, int]:
    """Import the demo organisations and measures catalogue as a clerk would (idempotent).

    Returns the organisations per kind (as `load` counts nodes), the measures, and
    ``reference_events``: the events the import wrote (none when nothing changed).
    """
    organisations = _demo_organisations()
    catalogue, measures = _demo_measures()
    orgs = await import_organisations(db, organisations, actor=_DEMO_ACTOR, today=today)
    catalogue_summary = await import_measures(
        db, catalogue, measures, actor=_DEMO_ACTOR, today=today, file=DEMO_MEASURES.name
    )
    per_kind = {
        OrganisationKind.DEPARTMENT: "departments",
        OrganisationKind.BANK: "banks",
        OrganisationKind.ASSOCIATION: "associations",
        OrganisationKind.CREDIT_AGENCY: "credit_agencies",
        OrganisationKind.CREDIT_OFFICE: "credit_offices",
    }
    counts = dict.fromkeys(per_kind.values(), 0)
    for org in organisations:
        counts[per_kind[org.kind]] += 1
    counts["measures"] = len(measures)
    counts["reference_events"] = (
        orgs.created + orgs.updated + catalogue_summary.created + catalogue_summary.updated
    )
    return counts


async def load_demo_data(db: Database, spec: DemoSpec, person_secret: bytes) -> dict[str, int]:
    """Generate the demo network for ``spec`` and load it; return the rows written per kind."""
    data = generate(spec, person_secret)
    counts = await load(db, data)
    counts["commitment_items"] = await seed_commitment_items(db, data, spec.today)
    counts["annual_reports"] = await load_annual_reports(
        db, data.enterprises, seed=spec.seed, today=spec.today
    )
    counts["inspectors"] = await seed_inspectors(db, data.departments, spec.seed)
    counts["representative_changes"] = await load_representative_changes(
        db, data, seed=spec.seed, today=spec.today
    )
    return counts


async def seed_commitment_items(db: Database, data: DemoData, today: date) -> int:
    """The commitment catalogue (三(一)) from DEMO_COMMITMENT_ITEMS: each licence of the demo
    accepts a 告知承诺 from its department, and each association runs a 行业自律 programme.

    Imported like `credithub commitment-items import` (through the lifecycle, so each item has
    its event); importing the same items again changes nothing. Returns the number of items.
    """
    items = read_commitment_items(DEMO_COMMITMENT_ITEMS)
    summary = await import_commitment_items(
        db, items, actor=_DEMO_ACTOR, today=today, file=DEMO_COMMITMENT_ITEMS.name
    )
    return summary.created + summary.updated + summary.unchanged


async def graph_is_empty(db: Database) -> bool:
    """Whether the graph holds no Enterprise yet (so the demo data may be loaded)."""
    rows = await db.read("MATCH (e:Enterprise) RETURN 1 AS found LIMIT 1")
    return not rows
