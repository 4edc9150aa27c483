"""The feed kinds departments send (信用信息采集目录's formats) and the checks on each row.

A feed kind lists its columns: our English name, the national Chinese header of the 双公示 and
registration formats, accepted alternative headers, the cell parser and whether the cell is
required. Rules that involve several cells of a row (a person needs an ID number, validity ranges
are ordered, a fine needs an amount) are small functions next to the kind that uses them.

Headers are matched after removing spaces and unifying full-width brackets, so ``罚款金额（万元）``
and ``罚款金额(万元)`` are the same column.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from graph.model import EnterpriseStatus, ListType, RecordKind, RoleKind, SeverityTier
from loaders.fields import Parser, amount, choice, day, resident_id, share, text, uscc

__all__ = [
    "FEED_KINDS",
    "PENALTY_CATEGORIES",
    "Column",
    "FeedKind",
    "Problem",
    "Target",
    "feed_kind",
    "normalise_header",
]


@dataclass(frozen=True)
class Problem:
    """Why one cell (or one row, when ``field`` is empty) of a feed was not accepted."""

    field: str
    code: str
    reason: str


Row = dict[str, Any]
RowRule = Callable[[Row], list[Problem]]


class Target(StrEnum):
    """Which part of the graph a feed kind writes."""

    RECORD = "RECORD"
    ENTERPRISE = "ENTERPRISE"
    ROLE = "ROLE"
    SHAREHOLDING = "SHAREHOLDING"
    LIST_ENTRY = "LIST_ENTRY"
    MEMBERSHIP = "MEMBERSHIP"


@dataclass(frozen=True)
class Column:
    """One column of a feed: English name, national Chinese header, parser, required or not."""

    name: str
    label: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header that names this column."""
        return (self.name, self.label, *self.aliases)


@dataclass(frozen=True)
class FeedKind:
    """A kind of feed: its columns, its cross-cell rules and what it writes."""

    code: str
    label: str
    target: Target
    columns: tuple[Column, ...]
    record_kind: RecordKind | None = None
    rules: tuple[RowRule, ...] = ()
    by_header: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Column] = {}
        for column in self.columns:
            for header in column.headers:
                key = normalise_header(header)
                if key in index and index[key] is not column:
                    raise ValueError(f"{self.code}: header {header!r} names two columns")
                index[key] = column
        object.__setattr__(self, "by_header", index)

    def column(self, name: str) -> Column:
        """The column with English name ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def label_of(self, name: str) -> str:
        """The Chinese header of column ``name`` (for messages); the name itself if unknown."""
        try:
            return self.column(name).label
        except KeyError:
            return name


def normalise_header(header: str) -> str:
    """Compare headers without spaces, case, full-width forms or a UTF-8 byte-order mark."""
    folded = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return "".join(folded.split()).lower()


# -- closed lists ------------------------------------------------------------------------------


def _labels(*labels: str) -> dict[str, str]:
    return {label: label for label in labels}


PENALTY_CATEGORIES: Final = (
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得",
    "没收非法财物",
    "暂扣许可证件",
    "降低资质等级",
    "吊销许可证件",
    "限制开展生产经营活动",
    "责令停产停业",
    "责令关闭",
    "限制从业",
    "行政拘留",
    "其他",
)
"""处罚类别 of 行政处罚法 第九条, as the national penalty format names them."""

_LICENCE_CATEGORIES: Final = _labels("普通", "特许", "认可", "核准", "登记", "其他")

_SUBJECT_TYPES: Final = {
    "法人及非法人组织": "ORGANISATION",
    "法人": "ORGANISATION",
    "非法人组织": "ORGANISATION",
    "ORGANISATION": "ORGANISATION",
    "个体工商户": "INDIVIDUAL_BUSINESS",
    "INDIVIDUAL_BUSINESS": "INDIVIDUAL_BUSINESS",
    "自然人": "PERSON",
    "PERSON": "PERSON",
}

_SEVERITY: Final = {
    **{tier.label: tier.value for tier in SeverityTier},
    **{tier.value: tier.value for tier in SeverityTier},
    "较重": SeverityTier.GENERAL.value,
    "严重失信": SeverityTier.SERIOUS.value,
}

_LICENCE_STATE: Final = {"有效": "有效", "1": "有效", "无效": "无效", "2": "无效"}

_ENTERPRISE_STATUS: Final = {
    **{s.label: s.value for s in EnterpriseStatus},
    **{s.value: s.value for s in EnterpriseStatus},
    "在业": EnterpriseStatus.ACTIVE.value,
    "开业": EnterpriseStatus.ACTIVE.value,
    "存续(在营、开业、在册)": EnterpriseStatus.ACTIVE.value,
}

_LIST_TYPES: Final = {
    **{t.label: t.value for t in ListType},
    **{t.value: t.value for t in ListType},
    "守信激励": ListType.RED.value,
    "失信惩戒": ListType.BLACK.value,
    "严重失信主体名单": ListType.BLACK.value,
}

_HOLDER_TYPES: Final = {
    "自然人": "PERSON",
    "自然人股东": "PERSON",
    "PERSON": "PERSON",
    "企业": "ENTERPRISE",
    "企业法人": "ENTERPRISE",
    "法人": "ENTERPRISE",
    "非自然人": "ENTERPRISE",
    "ENTERPRISE": "ENTERPRISE",
}

_ROLES: Final = {
    RoleKind.PRINCIPAL.label: RoleKind.PRINCIPAL.value,
    RoleKind.ACTUAL_CONTROLLER.label: RoleKind.ACTUAL_CONTROLLER.value,
    RoleKind.PRINCIPAL.value: RoleKind.PRINCIPAL.value,
    RoleKind.ACTUAL_CONTROLLER.value: RoleKind.ACTUAL_CONTROLLER.value,
}

_PERFORMANCE: Final = _labels("全部未履行", "部分履行", "全部履行")
_FULFILMENT: Final = {"履约中": "履约中", "已履约": "已履约", "未履约": "未履约", "违诺": "未履约"}


def _multi_choice(options: tuple[str, ...], *, what: str) -> Parser:
    """Several entries of a closed list separated by ;；,，、 — stored joined by ``、``."""
    one = choice(_labels(*options), what=what)

    def parse(raw: Any, context: Any) -> str | None:
        if raw is None or not str(raw).strip():
            return None
        parts = str(raw)
        for separator in ";；,，":
            parts = parts.replace(separator, "、")
        values = [one(part, context) for part in parts.split("、") if part.strip()]
        return "、".join(dict.fromkeys(v for v in values if v))

    return parse


# -- columns shared by several kinds -----------------------------------------------------------

_T = text()
_NAME = text(200)
_CODE = text(100)

SUBJECT_COLUMNS: Final = (
    Column(
        "subjectName",
        "行政相对人名称",
        _NAME,
        required=True,
        aliases=("相对人名称", "当事人名称", "被执行人名称", "主体名称", "承诺主体名称"),
    ),
    Column(
        "subjectType",
        "相对人类别",
        choice(_SUBJECT_TYPES, what="相对人类别"),
        aliases=("主体类别",),
    ),
    Column(
        "subjectUscc",
        "统一社会信用代码",
        uscc,
        aliases=(
            "行政相对人代码_1(统一社会信用代码)",
            "相对人统一社会信用代码",
            "主体统一社会信用代码",
        ),
    ),
    Column("subjectIdNumber", "证件号码", resident_id, aliases=("身份证号码", "相对人证件号码")),
    Column("legalRepresentative", "法定代表人", _NAME, aliases=("法定代表人姓名",)),
)

SOURCE_COLUMNS: Final = (
    Column("sourceUnit", "数据来源单位", _NAME),
    Column("sourceUnitCode", "数据来源单位统一社会信用代码", uscc),
    Column("remarks", "备注", _T),
)


def _authority(label: str, *aliases: str) -> tuple[Column, Column]:
    return (
        Column("issuingAuthority", label, _NAME, required=True, aliases=aliases),
        Column(
            "issuingAuthorityCode",
            f"{label}统一社会信用代码",
            uscc,
            required=True,
            aliases=tuple(f"{a}统一社会信用代码" for a in aliases),
        ),
    )


# -- rules -------------------------------------------------------------------------------------


def _subject_identified(row: Row) -> list[Problem]:
    """An organisation is named by its USCC, a person by a resident ID: records need a subject."""
    kind = row.get("subjectType")
    if kind is None:
        kind = "PERSON" if row.get("subjectIdNumber") and not row.get("subjectUscc") else None
        row["subjectType"] = kind or "ORGANISATION"
    if row["subjectType"] == "PERSON":
        if not row.get("subjectIdNumber"):
            return [
                Problem(
                    "subjectIdNumber",
                    "REQUIRED",
                    "自然人须填写证件号码 (a person needs an ID number)",
                )
            ]
        return []
    if not row.get("subjectUscc"):
        return [
            Problem(
                "subjectUscc",
                "REQUIRED",
                "法人、非法人组织和个体工商户须填写统一社会信用代码 "
                "(an organisation or individual business needs its USCC)",
            )
        ]
    return []


def _ordered(first: str, second: str) -> RowRule:
    def rule(row: Row) -> list[Problem]:
        a, b = row.get(first), row.get(second)
        if isinstance(a, datetime.date) and isinstance(b, datetime.date) and b < a:
            return [
                Problem(
                    second,
                    "DATE_ORDER",
                    f"{b.isoformat()}早于{a.isoformat()} (must not be before {first})",
                )
            ]
        return []

    rule.__doc__ = f"{second} is not before {first}."
    return rule


def _fine_has_amount(row: Row) -> list[Problem]:
    """A 罚款 penalty states the amount, and an amount needs 罚款 among the categories."""
    categories = (row.get("category") or "").split("、")
    fine = row.get("amount")
    if "罚款" in categories and not fine:
        return [
            Problem(
                "amount", "REQUIRED", "处罚类别含罚款时须填写罚款金额 (a fine needs its amount)"
            )
        ]
    if fine and "罚款" not in categories:
        return [
            Problem(
                "category",
                "INCONSISTENT",
                "填写了罚款金额但处罚类别不含罚款 (amount given without 罚款)",
            )
        ]
    return []


def _person_needs_id(name_field: str, id_field: str) -> RowRule:
    def rule(row: Row) -> list[Problem]:
        if row.get(name_field) and not row.get(id_field):
            return [
                Problem(
                    id_field,
                    "REQUIRED",
                    "填写人员姓名时须同时填写其证件号码 (a named person needs an ID number)",
                )
            ]
        if row.get(id_field) and not row.get(name_field):
            return [
                Problem(name_field, "REQUIRED", "填写证件号码时须填写姓名 (an ID needs a name)")
            ]
        return []

    return rule


def _holder_identified(row: Row) -> list[Problem]:
    """A natural-person shareholder is keyed by ID number, an enterprise shareholder by USCC."""
    if row.get("holderType") == "PERSON" and not row.get("holderIdNumber"):
        return [
            Problem("holderIdNumber", "REQUIRED", "自然人股东须填写证件号码 (person needs an ID)")
        ]
    if row.get("holderType") == "ENTERPRISE" and not row.get("holderUscc"):
        return [Problem("holderUscc", "REQUIRED", "企业股东须填写统一社会信用代码 (needs a USCC)")]
    return []


def _black_list_requirements(row: Row) -> list[Problem]:
    """A black-list entry needs removal conditions and prior notice (DOMAIN: Lists)."""
    if row.get("listType") != ListType.BLACK.value:
        return []
    problems = []
    if not row.get("removalConditions"):
        problems.append(
            Problem(
                "removalConditions", "REQUIRED", "黑名单认定须载明移出条件 (removal conditions)"
            )
        )
    notice = row.get("noticeDate")
    if notice is None:
        problems.append(
            Problem("noticeDate", "REQUIRED", "黑名单认定前须告知当事人 (prior notice date)")
        )
    elif isinstance(row.get("decisionDate"), datetime.date) and notice > row["decisionDate"]:
        problems.append(
            Problem("noticeDate", "DATE_ORDER", "告知日期晚于认定日期 (notice after the decision)")
        )
    return problems


# -- the kinds ---------------------------------------------------------------------------------

_PENALTY = FeedKind(
    "penalty",
    "行政处罚",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column(
            "documentNumber", "行政处罚决定书文号", _CODE, True, ("决定书文号", "处罚决定书文号")
        ),
        Column("violationType", "违法行为类型", _NAME),
        Column("facts", "违法事实", _T, aliases=("主要违法事实",)),
        Column("basis", "处罚依据", _T),
        Column(
            "category",
            "处罚类别",
            _multi_choice(PENALTY_CATEGORIES, what="处罚类别"),
            True,
        ),
        Column("content", "处罚内容", _T, True),
        Column("amount", "罚款金额(万元)", amount(), aliases=("罚款金额",)),
        Column(
            "confiscated",
            "没收违法所得、没收非法财物的金额(万元)",
            amount(),
            aliases=("没收金额(万元)",),
        ),
        Column("licenceAction", "暂扣或吊销证照名称及编号", _T, aliases=("暂扣/吊销证照",)),
        Column("decisionDate", "处罚决定日期", day(not_future=True), True),
        Column("validTo", "处罚有效期", day(), aliases=("有效期至",)),
        Column("suppliedPublishUntil", "公示截止期", day()),
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度"), True, ("失信等级",)),
        *_authority("处罚机关"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.PENALTY,
    (_subject_identified, _fine_has_amount, _ordered("decisionDate", "validTo")),
)

_LICENCE = FeedKind(
    "license",
    "行政许可",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("title", "行政许可决定文书名称", _NAME, True),
        Column("documentNumber", "行政许可决定文书号", _CODE, True, ("许可文书号",)),
        Column("category", "许可类别", choice(_LICENCE_CATEGORIES, what="许可类别"), True),
        Column("certificateName", "许可证书名称", _NAME),
        Column("licenceNumber", "许可编号", _CODE),
        Column("content", "许可内容", _T, True),
        Column("decisionDate", "许可决定日期", day(not_future=True), True),
        Column("validFrom", "有效期自", day(), True),
        Column("validTo", "有效期至", day()),
        Column("licenceState", "当前状态", choice(_LICENCE_STATE, what="当前状态")),
        *_authority("许可机关"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.LICENSE,
    (_subject_identified, _ordered("validFrom", "validTo"), _ordered("decisionDate", "validTo")),
)

_JUDGMENT = FeedKind(
    "judgment",
    "司法判决",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("documentNumber", "案号", _CODE, True),
        Column("title", "案由", _NAME, True),
        Column("content", "判决结果", _T, True, ("裁判结果",)),
        Column("decisionDate", "判决日期", day(not_future=True), True, ("裁判日期",)),
        Column("validTo", "履行期限", day()),
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度")),
        *_authority("审理法院", "法院"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.JUDGMENT,
    (_subject_identified, _ordered("decisionDate", "validTo")),
)

_ENFORCEMENT = FeedKind(
    "enforcement",
    "失信被执行人",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("documentNumber", "案号", _CODE, True),
        Column("title", "失信被执行人行为具体情形", _T, True, ("失信情形",)),
        Column("content", "生效法律文书确定的义务", _T, True),
        Column(
            "performance",
            "被执行人的履行情况",
            choice(_PERFORMANCE, what="履行情况"),
            aliases=("履行情况",),
        ),
        Column("decisionDate", "发布时间", day(not_future=True), True, ("发布日期",)),
        Column("validTo", "移除日期", day(), aliases=("屏蔽日期",)),
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度")),
        *_authority("执行法院"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.ENFORCEMENT,
    (_subject_identified, _ordered("decisionDate", "validTo")),
)

_COMMITMENT = FeedKind(
    "commitment",
    "信用承诺",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("documentNumber", "承诺书编号", _CODE, True),
        Column("title", "承诺事项", _NAME, True, ("承诺类型",)),
        Column("content", "承诺内容", _T, True),
        Column("decisionDate", "承诺日期", day(not_future=True), True),
        Column("validTo", "有效期至", day()),
        Column("fulfilment", "履约状态", choice(_FULFILMENT, what="履约状态")),
        *_authority("受理部门", "承诺受理单位"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.COMMITMENT,
    (_subject_identified, _ordered("decisionDate", "validTo")),
)

_REGISTRATION = FeedKind(
    "registration",
    "市场主体登记",
    Target.ENTERPRISE,
    (
        Column("uscc", "统一社会信用代码", uscc, True),
        Column("name", "企业名称", _NAME, True, ("市场主体名称", "名称")),
        Column("entityType", "市场主体类型", _NAME, aliases=("企业类型", "类型")),
        Column("industry", "行业", _NAME, aliases=("所属行业", "行业门类")),
        Column("registeredCapital", "注册资本(万元)", amount(100_000_000.0), aliases=("注册资本",)),
        Column("foundedOn", "成立日期", day(not_future=True)),
        Column(
            "status", "登记状态", choice(_ENTERPRISE_STATUS, what="登记状态"), True, ("经营状态",)
        ),
        Column("address", "住所", _T, aliases=("经营场所", "地址")),
        Column("businessScope", "经营范围", _T),
        Column("registrationAuthority", "登记机关", _NAME),
        Column("legalRepresentative", "法定代表人", _NAME, aliases=("经营者", "负责人")),
        Column(
            "legalRepresentativeId", "法定代表人证件号码", resident_id, aliases=("经营者证件号码",)
        ),
    ),
    rules=(_person_needs_id("legalRepresentative", "legalRepresentativeId"),),
)

_ROLE = FeedKind(
    "principal",
    "主要人员",
    Target.ROLE,
    (
        Column("uscc", "统一社会信用代码", uscc, True, ("企业统一社会信用代码",)),
        Column("name", "姓名", _NAME, True),
        Column("idNumber", "证件号码", resident_id, True, ("身份证号码",)),
        Column("role", "人员类别", choice(_ROLES, what="人员类别")),
        Column("title", "职务", _NAME),
    ),
)

_SHAREHOLDING = FeedKind(
    "shareholding",
    "股东及出资",
    Target.SHAREHOLDING,
    (
        Column("uscc", "统一社会信用代码", uscc, True, ("企业统一社会信用代码",)),
        Column("holderName", "股东名称", _NAME, True, ("股东",)),
        Column("holderType", "股东类型", choice(_HOLDER_TYPES, what="股东类型"), True),
        Column("holderUscc", "股东统一社会信用代码", uscc),
        Column("holderIdNumber", "股东证件号码", resident_id),
        Column("share", "持股比例", share, True, ("出资比例",)),
        Column("subscribedCapital", "认缴出资额(万元)", amount(100_000_000.0)),
    ),
    rules=(_holder_identified,),
)

_LIST_DECISION = FeedKind(
    "list_decision",
    "红黑名单认定",
    Target.LIST_ENTRY,
    (
        *SUBJECT_COLUMNS,
        Column("listType", "名单类型", choice(_LIST_TYPES, what="名单类型"), True),
        Column("listName", "名单名称", _NAME, True),
        Column("basis", "认定依据", _T, True),
        Column("documentNumber", "认定文书号", _CODE, True, ("认定决定书文号",)),
        Column("decisionDate", "认定日期", day(not_future=True), True),
        Column("noticeDate", "告知日期", day(not_future=True), aliases=("事先告知日期",)),
        Column("effectiveFrom", "生效日期", day()),
        Column("effectiveUntil", "有效期至", day()),
        Column("removalConditions", "移出条件", _T),
        Column("principal", "主要负责人", _NAME),
        Column("principalId", "主要负责人证件号码", resident_id),
        Column("actualController", "实际控制人", _NAME),
        Column("actualControllerId", "实际控制人证件号码", resident_id),
        Column("legalRepresentativeId", "法定代表人证件号码", resident_id),
        *_authority("认定部门"),
        *SOURCE_COLUMNS,
    ),
    rules=(
        _subject_identified,
        _black_list_requirements,
        _ordered("decisionDate", "effectiveUntil"),
        _ordered("effectiveFrom", "effectiveUntil"),
        _person_needs_id("legalRepresentative", "legalRepresentativeId"),
        _person_needs_id("principal", "principalId"),
        _person_needs_id("actualController", "actualControllerId"),
    ),
)

_MEMBERSHIP = FeedKind(
    "membership",
    "协会会员",
    Target.MEMBERSHIP,
    (
        Column("uscc", "会员统一社会信用代码", uscc, True, ("统一社会信用代码",)),
        Column("name", "会员名称", _NAME),
        Column("since", "入会日期", day(not_future=True)),
    ),
)

FEED_KINDS: Final[Mapping[str, FeedKind]] = {
    kind.code: kind
    for kind in (
        _REGISTRATION,
        _ROLE,
        _SHAREHOLDING,
        _LICENCE,
        _PENALTY,
        _JUDGMENT,
        _ENFORCEMENT,
        _COMMITMENT,
        _LIST_DECISION,
        _MEMBERSHIP,
    )
}
"""Every feed kind by its code, in the order a fresh city would load them."""


class UnknownFeedKind(ValueError):
    """A feed kind code that is not one of `FEED_KINDS`."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"unknown feed kind {code!r}; known kinds: "
            + ", ".join(f"{k.code} ({k.label})" for k in FEED_KINDS.values())
        )


def feed_kind(code: str) -> FeedKind:
    """The feed kind called ``code`` (English code or Chinese label)."""
    if code in FEED_KINDS:
        return FEED_KINDS[code]
    for kind in FEED_KINDS.values():
        if kind.label == code:
            return kind
    raise UnknownFeedKind(code)
