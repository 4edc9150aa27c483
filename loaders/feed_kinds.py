"""The feed kinds departments send (信用信息采集目录's formats) and the checks on each row.

A feed kind lists its columns: our English name, the national Chinese header of the 双公示 and
registration formats, accepted alternative headers, the cell parser and whether the cell is
required. Rules that involve several cells of a row (a person needs an ID number, validity ranges
are ordered, a fine needs an amount) are small functions next to the kind that uses them.

Headers are matched after removing spaces and unifying full-width brackets, so ``罚款金额（万元）``
and ``罚款金额(万元)`` are the same column.

A kind's *signature* is its required national columns: `detect_kind` (loaders/pipeline.py)
scores a whole header against every signature, so a file is recognised by what it is, not by
one column it shares with other kinds.

Columns that are the hub's own and not in the national format (失信程度 of a penalty) are
optional. When a penalty comes without one, `derive_severity` applies the rule that fixes the
tier where a rule does (the heaviest 处罚类别 are 严重) and otherwise a documented default;
``severityBasis`` on the record says which (报送 / 按处罚类别推定 / 未报送，按默认).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from graph.model import EnterpriseStatus, ListType, RecordKind, RoleKind, SeverityTier
from loaders.fields import (
    Parser,
    amount,
    choice,
    day,
    resident_id,
    share,
    text,
    uscc,
    uscc_or_resident_id,
    year,
)

__all__ = [
    "FEED_KINDS",
    "PENALTY_CATEGORIES",
    "SERIOUS_PENALTY_CATEGORIES",
    "Column",
    "FeedKind",
    "Problem",
    "SeverityBasis",
    "Target",
    "derive_severity",
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
    ANNUAL_REPORT = "ANNUAL_REPORT"


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
    disclosed: bool = False
    """Published within 7 working days of the decision (双公示 and the acts of 四(三)): its
    records carry a publish-by date and count in the timeliness report."""
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

    @property
    def signature(self) -> tuple[Column, ...]:
        """The required columns: what a header must have to be this kind."""
        return tuple(c for c in self.columns if c.required)

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

_ID_TYPES: Final = {
    "身份证": "身份证",
    "居民身份证": "身份证",
    "中华人民共和国居民身份证": "身份证",
    "001": "身份证",
}
"""证件类型: the resident ID is the one document a person is keyed by in the network."""

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
        aliases=(
            "相对人名称",
            "当事人名称",
            "被执行人名称",
            "被执行人姓名/名称",
            "主体名称",
            "承诺主体名称",
            "企业名称",
            "纳税人名称",
        ),
    ),
    Column(
        "subjectType",
        "行政相对人类别",
        choice(_SUBJECT_TYPES, what="行政相对人类别"),
        aliases=("相对人类别", "主体类别"),
    ),
    Column(
        "subjectUscc",
        "统一社会信用代码",
        uscc,
        aliases=(
            "行政相对人代码_1(统一社会信用代码)",
            "相对人统一社会信用代码",
            "主体统一社会信用代码",
            "纳税人识别号",
        ),
    ),
    # Natural persons: the national format has 证件类型 and 证件号码. Only the resident ID is
    # accepted as a person's key (GB 11643); another document type is refused with its reason.
    Column(
        "subjectIdType", "证件类型", choice(_ID_TYPES, what="证件类型"), aliases=("相对人证件类型",)
    ),
    Column("subjectIdNumber", "证件号码", resident_id, aliases=("身份证号码", "相对人证件号码")),
    Column(
        "legalRepresentative",
        "法定代表人",
        _NAME,
        aliases=("法定代表人姓名", "法定代表人或者负责人姓名", "经营者"),
    ),
    Column(
        "legalRepresentativeIdType",
        "法定代表人证件类型",
        choice(_ID_TYPES, what="法定代表人证件类型"),
    ),
    Column("legalRepresentativeId", "法定代表人证件号码", resident_id),
)

SOURCE_COLUMNS: Final = (
    Column("sourceUnit", "数据来源单位", _NAME),
    Column("sourceUnitCode", "数据来源单位统一社会信用代码", uscc),
    Column("remarks", "备注", _T),
)


def _authority(
    label: str, *aliases: str, code_label: str | None = None, code_required: bool = True
) -> tuple[Column, Column]:
    """The deciding authority (决定机关) and its code: who made the decision, not who sent it.

    Where the national format has no code column (the court's 失信被执行人 fields name the
    执行法院 only), the code is optional and found from the registered organisations by name
    (loaders/validation.py).
    """
    return (
        Column("issuingAuthority", label, _NAME, required=True, aliases=aliases),
        Column(
            "issuingAuthorityCode",
            code_label or f"{label}统一社会信用代码",
            uscc,
            required=code_required,
            aliases=tuple(f"{a}统一社会信用代码" for a in aliases)
            + ((f"{label}统一社会信用代码",) if code_label else ()),
        ),
    )


# -- rules -------------------------------------------------------------------------------------


def _subject_identified(row: Row) -> list[Problem]:
    """An organisation is named by its USCC, a person by a resident ID: records need a subject."""
    kind = row.get("subjectType")
    if kind is None:
        kind = "PERSON" if row.get("subjectIdNumber") and not row.get("subjectUscc") else None
        row["subjectType"] = kind or "ORGANISATION"
    if (
        row["subjectType"] == "INDIVIDUAL_BUSINESS"
        and not row.get("subjectUscc")
        and row.get("subjectIdNumber")
    ):
        # A 个体工商户 named by its operator's resident ID: the subject is that person, handled
        # as personal data like any natural person.
        row["subjectType"] = "PERSON"
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


class SeverityBasis(StrEnum):
    """How a record's severity tier was set (stored as ``severityBasis``)."""

    SUPPLIED = "SUPPLIED"
    """报送: the department sent 失信程度."""
    DERIVED = "DERIVED"
    """按处罚类别推定: a rule fixes the tier from the 处罚类别."""
    DEFAULT = "DEFAULT"
    """未报送，按默认: nothing fixes it; the documented default (`DEFAULT_SEVERITY`) applies."""


SERIOUS_PENALTY_CATEGORIES: Final = frozenset(
    {"吊销许可证件", "责令停产停业", "责令关闭", "限制从业", "限制开展生产经营活动", "行政拘留"}
)
"""处罚类别 that make a penalty 严重 by themselves. They are the heaviest types of 行政处罚法
第九条 — the ones that take away the licence, the business or the person's liberty — and the ones
NDRC Order 36 excludes from early repair (DOMAIN: 停产停业, 吊销 cannot be repaired early), which
only makes sense for serious-tier findings."""

DEFAULT_SEVERITY: Final = SeverityTier.GENERAL
"""The tier of a penalty sent without 失信程度 and without a serious category: 一般 (published
for at most a year, repairable after three months). Not 轻微: 双公示 requires every penalty to be
published (only market regulation's 警告-only penalties are exempt, which is its own rule), so
the hub never hides a penalty on a guess. A fine's amount fixes no tier: the 较大数额 thresholds
are set by each sector and province, so no single threshold could be justified here."""


def derive_severity(row: Row) -> list[Problem]:
    """Fill ``severity`` and ``severityBasis`` of a penalty sent without 失信程度; never refuses."""
    if row.get("severity"):
        row["severityBasis"] = SeverityBasis.SUPPLIED.value
        return []
    categories = set((row.get("category") or "").split("、"))
    if categories & SERIOUS_PENALTY_CATEGORIES:
        row["severity"] = SeverityTier.SERIOUS.value
        row["severityBasis"] = SeverityBasis.DERIVED.value
    else:
        row["severity"] = DEFAULT_SEVERITY.value
        row["severityBasis"] = SeverityBasis.DEFAULT.value
    return []


def _default_severity(tier: SeverityTier) -> RowRule:
    def rule(row: Row) -> list[Problem]:
        if row.get("severity"):
            row["severityBasis"] = SeverityBasis.SUPPLIED.value
        else:
            row["severity"] = tier.value
            row["severityBasis"] = SeverityBasis.DEFAULT.value
        return []

    rule.__doc__ = f"Without 失信程度 the record is {tier.label} (the kind's documented default)."
    return rule


def _split_identifier(row: Row) -> list[Problem]:
    """The court's ``证件号码/统一社会信用代码`` names a person or an organisation."""
    given = row.pop("subjectIdentifier", None)
    if given is not None:
        which, value = given
        if which == "ID":
            row["subjectIdNumber"] = row.get("subjectIdNumber") or value
            row["subjectType"] = row.get("subjectType") or "PERSON"
        else:
            row["subjectUscc"] = row.get("subjectUscc") or value
    return []


def _tax_grade_identity(row: Row) -> list[Problem]:
    """A grade is the grade of one taxpayer for one year: that is its key, whatever 文书号 the
    tax office gives (kept as ``basisDocument``), so a re-evaluation is a new version."""
    year_ = row.get("evaluationYear")
    who = row.get("subjectUscc") or ""
    grade = row.get("category")
    row["basisDocument"] = row.pop("documentNumber", None)
    row["documentNumber"] = f"{year_}年度纳税信用评价-{who}"
    row["title"] = f"{year_}年度纳税信用等级评价结果"
    row["content"] = row.get("content") or f"经评价，该纳税人{year_}年度纳税信用级别为{grade}级。"
    return []


def _content_from(*fields: str) -> RowRule:
    def rule(row: Row) -> list[Problem]:
        if not row.get("content"):
            row["content"] = "；".join(str(row[f]) for f in fields if row.get(f)) or None
        return []

    rule.__doc__ = f"Without a content column, the content is {', '.join(fields)}."
    return rule


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
        # Ours, not national: optional; `derive_severity` fills it when absent.
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度"), aliases=("失信等级",)),
        *_authority("处罚机关"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.PENALTY,
    (_subject_identified, _fine_has_amount, _ordered("decisionDate", "validTo"), derive_severity),
    disclosed=True,
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
    disclosed=True,
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
        Column("subjectIdentifier", "证件号码/统一社会信用代码", uscc_or_resident_id),
        Column("province", "省份", _NAME),
        Column("basisDocument", "执行依据文号", _CODE),
        Column("filedOn", "立案时间", day(not_future=True)),
        Column("basisIssuer", "做出执行依据单位", _NAME),
        Column("performedPart", "已履行部分", _T),
        Column("unperformedPart", "未履行部分", _T),
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
        *_authority("执行法院", code_required=False),
        *SOURCE_COLUMNS,
    ),
    RecordKind.ENFORCEMENT,
    (_split_identifier, _subject_identified, _ordered("decisionDate", "validTo")),
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


def _act(
    code: str,
    kind: RecordKind,
    *,
    number: str,
    category: str | None = None,
    content: str,
    decided: str,
    authority: str,
    extra: tuple[Column, ...] = (),
) -> FeedKind:
    """An administrative act of 四(三) in the national 双公示 style: the subject columns, the
    decision's 文书号, category, content, date and validity, the deciding authority and its code,
    the data source and 备注 — published within 7 working days like licences and penalties."""
    act = kind.label
    columns = (
        *SUBJECT_COLUMNS,
        Column("title", f"{act}决定文书名称", _NAME, aliases=(f"{act}名称",)),
        Column("documentNumber", number, _CODE, True, (f"{act}决定文书号",)),
        *((Column("category", category, _NAME),) if category else ()),
        Column("content", content, _T, True),
        *extra,
        Column("decisionDate", decided, day(not_future=True), True),
        Column("validFrom", "有效期自", day()),
        Column("validTo", "有效期至", day()),
        *_authority(authority),
        *SOURCE_COLUMNS,
    )
    return FeedKind(
        code,
        act,
        Target.RECORD,
        columns,
        kind,
        (_subject_identified, _ordered("decisionDate", "validTo")),
        disclosed=True,
    )


_COERCION = _act(
    "coercion",
    RecordKind.COERCION,
    number="行政强制决定书文号",
    category="行政强制类别",
    content="行政强制内容",
    decided="行政强制决定日期",
    authority="实施机关",
    extra=(Column("measureKind", "强制措施种类", _NAME),),
)
_CONFIRMATION = _act(
    "confirmation",
    RecordKind.CONFIRMATION,
    number="行政确认文书号",
    category="确认类别",
    content="确认内容",
    decided="确认决定日期",
    authority="确认机关",
)
_LEVY = _act(
    "levy",
    RecordKind.LEVY,
    number="行政征收决定书文号",
    category="征收类别",
    content="征收内容",
    decided="征收决定日期",
    authority="征收机关",
    extra=(Column("amount", "征收金额(万元)", amount()),),
)
_BENEFIT = _act(
    "benefit",
    RecordKind.BENEFIT,
    number="行政给付决定书文号",
    category="给付类别",
    content="给付内容",
    decided="给付决定日期",
    authority="给付机关",
    extra=(Column("amount", "给付金额(万元)", amount()),),
)
_ADJUDICATION = _act(
    "adjudication",
    RecordKind.ADJUDICATION,
    number="行政裁决书文号",
    category="裁决类别",
    content="裁决结果",
    decided="裁决日期",
    authority="裁决机关",
    extra=(Column("facts", "争议事项", _T),),
)
_COMPENSATION = _act(
    "compensation",
    RecordKind.COMPENSATION,
    number="行政补偿决定书文号",
    category="补偿类别",
    content="补偿内容",
    decided="补偿决定日期",
    authority="补偿机关",
    extra=(Column("amount", "补偿金额(万元)", amount()),),
)
_REWARD = _act(
    "reward",
    RecordKind.REWARD,
    number="行政奖励决定书文号",
    category="奖励类别",
    content="奖励内容",
    decided="奖励决定日期",
    authority="奖励机关",
    extra=(Column("amount", "奖励金额(万元)", amount()),),
)
_SUPERVISION_CHECK = _act(
    "supervision_check",
    RecordKind.SUPERVISION_CHECK,
    number="检查文书号",
    category="检查类别",
    content="检查结果",
    decided="检查日期",
    authority="检查机关",
    extra=(Column("facts", "检查事项", _T),),
)

_ABNORMAL = FeedKind(
    "abnormal",
    "经营异常名录",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("documentNumber", "列入决定书文号", _CODE, True, ("决定书文号",)),
        Column("title", "列入经营异常名录原因", _T, True, ("列入原因",)),
        Column("decisionDate", "列入日期", day(not_future=True), True),
        *_authority(
            "作出决定机关(列入)",
            "列入决定机关",
            code_label="列入决定机关统一社会信用代码",
        ),
        # Removal (移出) comes as the same 文书号 again with these filled: a new version whose
        # window ends on the removal day (graph/publication.py, _ENDS_WITH_RECORD).
        Column("validTo", "移出日期", day(not_future=True)),
        Column("removalReason", "移出经营异常名录原因", _T, aliases=("移出原因",)),
        Column("removalAuthority", "作出决定机关(移出)", _NAME, aliases=("移出决定机关",)),
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度")),
        *SOURCE_COLUMNS,
    ),
    RecordKind.ABNORMAL_OPERATION,
    (
        _subject_identified,
        _ordered("decisionDate", "validTo"),
        _content_from("title", "removalReason"),
        # The demo's and the evaluation's reading: being listed is a general-tier finding.
        _default_severity(SeverityTier.GENERAL),
    ),
)

_TAX_GRADES: Final = _labels("A", "B", "M", "C", "D")

_TAX_GRADE = FeedKind(
    "tax_grade",
    "纳税信用等级",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("evaluationYear", "评价年度", year, True),
        Column(
            "category",
            "纳税信用级别",
            choice(_TAX_GRADES, what="纳税信用级别"),
            True,
            ("纳税信用等级",),
        ),
        Column("decisionDate", "评价日期", day(not_future=True), True, ("发布日期",)),
        Column("validTo", "有效期至", day()),
        Column("documentNumber", "评价文书号", _CODE),
        Column("content", "评价内容", _T),
        *_authority("评价机关", "税务机关"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.TAX_GRADE,
    (_subject_identified, _tax_grade_identity, _ordered("decisionDate", "validTo")),
)

_HONOUR = FeedKind(
    "honor",
    "表彰奖励",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("title", "表彰奖励名称", _NAME, True, ("荣誉名称",)),
        Column("documentNumber", "表彰决定文号", _CODE, True, ("表彰文号",)),
        Column("category", "表彰奖励级别", _NAME, aliases=("荣誉级别",)),
        Column("content", "表彰奖励内容", _T, aliases=("表彰事由",)),
        Column("decisionDate", "表彰日期", day(not_future=True), True, ("授予日期",)),
        Column("validTo", "有效期至", day()),
        *_authority("表彰单位", "授予单位"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.HONOR,
    (_subject_identified, _ordered("decisionDate", "validTo"), _content_from("title")),
)

_FALSE_LITIGATION = FeedKind(
    "false_litigation",
    "虚假诉讼失信人",
    Target.RECORD,
    (
        *SUBJECT_COLUMNS,
        Column("subjectIdentifier", "证件号码/统一社会信用代码", uscc_or_resident_id),
        Column("documentNumber", "案号", _CODE, True),
        Column("title", "虚假诉讼情形", _T, True, ("失信情形",)),
        Column("content", "处理结果", _T, aliases=("处罚结果",)),
        Column("decisionDate", "认定日期", day(not_future=True), True),
        Column("validTo", "有效期至", day(), aliases=("公布期限至",)),
        Column("severity", "失信程度", choice(_SEVERITY, what="失信程度")),
        *_authority("认定法院"),
        *SOURCE_COLUMNS,
    ),
    RecordKind.FALSE_LITIGATION,
    (
        _split_identifier,
        _subject_identified,
        _ordered("decisionDate", "validTo"),
        _content_from("title"),
    ),
)

_ANNUAL_REPORT = FeedKind(
    "annual_report",
    "企业年报",
    Target.ANNUAL_REPORT,
    (
        Column("uscc", "统一社会信用代码", uscc, True, ("企业统一社会信用代码",)),
        Column("name", "企业名称", _NAME),
        Column("reportYear", "年报年度", year, True, ("报告年度",)),
        Column("filedOn", "报送日期", day(not_future=True), True, ("公示日期", "年报报送日期")),
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
        _COERCION,
        _CONFIRMATION,
        _LEVY,
        _BENEFIT,
        _ADJUDICATION,
        _COMPENSATION,
        _REWARD,
        _SUPERVISION_CHECK,
        _ABNORMAL,
        _TAX_GRADE,
        _HONOUR,
        _FALSE_LITIGATION,
        _ANNUAL_REPORT,
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
