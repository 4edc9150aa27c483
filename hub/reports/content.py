"""The report's content: the standard sections, built from what the consumer was served.

The content is plain JSON — every value already a string as people read it — because it is
what gets hashed, stored and verified: the HTML and the PDF only lay it out. Its shape::

    {format, title, number, edition, editionLabel, generatedAt, cutoff, issuer, verifyUrl,
     subject: {uscc, name}, labels: [..], recipient: {..} | null,
     sections: [{key, title, text | null, groups: [{title, empty, items: [
         {title, fields: [[label, value], ..]}]}]}],
     notes: [..], catalogueVersion}

Sections, in the order of DOMAIN.md "Credit report": 基本信息, 行政管理, 诚实守信, 严重失信,
经营异常, 信用承诺, 信用评价, 司法判决, 其他. Excluded everywhere: versions that were repaired,
revoked or superseded, records whose publication period has ended (expired) and list entries
that ended; the public edition also keeps only what is inside its publication window.

`verifyUrl` is the absolute address of the report's verification page (the hub's public URL,
hub/settings.py CREDITHUB_PUBLIC_URL, or the address the issuing request came to), printed with
its QR code; reports issued before it existed carry none. The 信用概况 table at the head of the
report is `overview`, read off the sections, so it says only what the edition says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from authz.identity import Consumer
from graph.model import (
    CommitmentStatus,
    EnterpriseStatus,
    ListEntryStatus,
    ListType,
    RecordKind,
    RecordStatus,
    SanctionStatus,
    SeverityTier,
)
from graph.publication import STANDING_STATUSES, is_listed
from hub.reports.data import ReportData
from hub.reports.edition import ReportEdition

FORMAT = "credithub.credit-report.v1"
TITLE = "公共信用信息报告"
ISSUER = "舞钢市公共信用信息平台（信用信息“一张网”）"
NO_EVALUATION = "暂无评价结果"
EVALUATION_NOT_PUBLIC = (
    "公共信用综合评价结果不向社会公开，仅向履职部门、信息主体本人及经其授权的机构提供。"
)
RED_LABEL = "守信激励对象"
BLACK_LABEL = "失信惩戒对象"

INCLUDED_STATUSES = frozenset(STANDING_STATUSES)
"""Record statuses a report includes: those that stand (graph/publication.py)."""


@dataclass(frozen=True)
class Group:
    """Where records of some kinds go: section key and group title."""

    section: str
    title: str


SECTIONS: tuple[tuple[str, str], ...] = (
    ("basic", "基本信息"),
    ("administrative", "行政管理"),
    ("honest", "诚实守信"),
    ("serious", "严重失信"),
    ("abnormal", "经营异常"),
    ("commitment", "信用承诺"),
    ("evaluation", "信用评价"),
    ("judicial", "司法判决"),
    ("other", "其他"),
)

# The acts of 四(三) besides licences and penalties are 行政管理 information (双公示 and the
# other administrative acts public within 7 working days); 行政奖励 and 表彰奖励 are 诚实守信;
# a court's 虚假诉讼失信人 list is a 失信名单 like 失信被执行人, so 严重失信.
ADMINISTRATIVE_ACTS: tuple[RecordKind, ...] = (
    RecordKind.COERCION,
    RecordKind.CONFIRMATION,
    RecordKind.LEVY,
    RecordKind.BENEFIT,
    RecordKind.ADJUDICATION,
    RecordKind.COMPENSATION,
    RecordKind.SUPERVISION_CHECK,
)

KIND_GROUPS: dict[str, Group] = {
    RecordKind.LICENSE.value: Group("administrative", "行政许可"),
    RecordKind.PENALTY.value: Group("administrative", "行政处罚"),
    **{kind.value: Group("administrative", kind.label) for kind in ADMINISTRATIVE_ACTS},
    RecordKind.REWARD.value: Group("honest", "行政奖励"),
    RecordKind.HONOR.value: Group("honest", "表彰奖励"),
    RecordKind.TAX_GRADE.value: Group("honest", "纳税信用等级"),
    RecordKind.ENFORCEMENT.value: Group("serious", "失信被执行人"),
    RecordKind.FALSE_LITIGATION.value: Group("serious", "虚假诉讼失信人"),
    RecordKind.ABNORMAL_OPERATION.value: Group("abnormal", "经营异常名录"),
    RecordKind.COMMITMENT.value: Group("commitment", "信用承诺"),
    RecordKind.COMMITMENT_BREACH.value: Group("commitment", "违反信用承诺"),
    RecordKind.JUDGMENT.value: Group("judicial", "司法判决"),
    RecordKind.VOLUNTARY.value: Group("other", "自愿注册信息（已核实）"),
    RecordKind.RECTIFICATION.value: Group("other", "限期整改"),
    RecordKind.INTERVIEW.value: Group("other", "约谈"),
    RecordKind.LIABILITY.value: Group("other", "失信责任追究"),
}
OTHER = Group("other", "其他信息")

# Groups each section shows even when empty ("无…"), so a reader sees what was looked for; the
# other kinds' groups (行政奖励, 虚假诉讼失信人, the acts of 四(三) …) appear when there is one.
FIXED_GROUPS: dict[str, tuple[str, ...]] = {
    "administrative": ("行政许可", "行政处罚"),
    "honest": ("守信激励名单", "表彰奖励", "纳税信用等级"),
    "serious": ("严重失信主体名单", "失信被执行人", "市场、行业禁入"),
    "abnormal": ("经营异常名录",),
    "commitment": ("信用承诺", "违反信用承诺"),
    "judicial": ("司法判决",),
}

Field = list[str]
Item = dict[str, Any]


# -- values as people read them -------------------------------------------------------------
def _amount(value: float) -> str:
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


def _label(enum: Callable[[str], Any], value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(enum(value).label)
    except ValueError:
        return value  # a value this version does not know: shown as stored, not dropped


def _span(start: str | None, end: str | None, *, open_end: str) -> str | None:
    if start is None and end is None:
        return None
    return f"{start or '—'} 至 {end or open_end}"


def _fields(*pairs: tuple[str, Any]) -> list[Field]:
    """Label–value pairs with a value; absent values are left out rather than shown empty."""
    return [[label, str(value)] for label, value in pairs if value not in (None, "")]


# -- which records a report includes ----------------------------------------------------------
def _expired(record: dict[str, Any], cutoff: date) -> bool:
    until = record.get("publishUntil")
    return until is not None and date.fromisoformat(until) < cutoff


def included(record: dict[str, Any], edition: ReportEdition, cutoff: date) -> bool:
    """Whether a served record belongs in the report of this edition at `cutoff`.

    Only current versions are served at all. Repaired, revoked and superseded versions and
    expired records are left out of both editions (DOMAIN.md: repaired and expired records are
    excluded); the public edition keeps only records inside their publication window, while
    the full edition also keeps shared records that are not published (a 轻微 finding).
    """
    if record.get("status") not in INCLUDED_STATUSES or _expired(record, cutoff):
        return False
    return edition is ReportEdition.FULL or bool(record.get("inPublicationWindow"))


# -- items ----------------------------------------------------------------------------------
def _record_item(record: dict[str, Any], edition: ReportEdition) -> Item:
    kind = record["kind"]
    provider = record.get("provider") or {}
    changed = record.get("changeReason")
    if changed and record.get("changedOn"):
        changed = f"{changed}（{record['changedOn']}）"
    window = _span(record.get("publishFrom"), record.get("publishUntil"), open_end="—")
    fields = _fields(
        ("信息类别", _label(RecordKind.of, kind)),
        ("决定书文号", record.get("documentNumber")),
        ("决定日期", record.get("decisionDate")),
        ("决定机关", record.get("issuingAuthority")),
        ("类别", record.get("category")),
        ("内容", record.get("content")),
        ("罚款金额", _amount(record["amount"]) if record.get("amount") is not None else None),
        ("失信程度", _label(SeverityTier.of, record.get("severity"))),
        ("有效期", _span(record.get("validFrom"), record.get("validTo"), open_end="长期")),
        ("公示期", window or "不予公示（依法共享）"),
        ("状态", _label(RecordStatus.of, record.get("status"))),
        ("数据来源单位", provider.get("name")),
        ("备注", record.get("remarks")),
        ("更正说明", changed),
    )
    if edition is ReportEdition.FULL:
        previous = record.get("previousVersion") or {}
        fields += _fields(
            ("报送批次", record.get("batchId")),
            ("批次行号", record.get("sourceRow")),
            ("更正前版本", previous.get("id")),
        )
    return {"title": record.get("title") or _label(RecordKind.of, kind), "fields": fields}


def _commitment_item(record: dict[str, Any], edition: ReportEdition, breached: set[str]) -> Item:
    item = _record_item(record, edition)
    if record.get("documentNumber") in breached:
        outcome = CommitmentStatus.BREACHED.label
    elif record.get("fulfilment"):
        outcome = str(record["fulfilment"])
    else:
        outcome = f"{CommitmentStatus.PENDING.label}（尚未核查）"
    item["fields"].insert(1, ["履约情况", outcome])
    return item


def _sanctions(entry: dict[str, Any]) -> str:
    parts = []
    for sanction in entry.get("sanctions") or []:
        if sanction.get("status") != SanctionStatus.ACTIVE.value:
            continue  # lifted measures no longer apply
        measure = sanction.get("measure") or {}
        name = measure.get("name") or "惩戒措施"
        span = _span(sanction.get("startsOn"), sanction.get("endsOn"), open_end="—")
        parts.append(f"{name}（{span}）" if span else name)
    return "；".join(parts) or "无"


def _list_entry_item(entry: dict[str, Any]) -> Item:
    black = entry.get("listType") == ListType.BLACK.value
    decided_by = entry.get("decidedBy") or {}
    fields = _fields(
        ("名单类型", _label(ListType.of, entry.get("listType"))),
        ("认定文书号", entry.get("decisionNumber")),
        ("认定日期", entry.get("decisionDate")),
        ("认定部门", decided_by.get("name")),
        ("认定依据", entry.get("basis")),
        ("有效期", _span(entry.get("effectiveFrom"), entry.get("effectiveUntil"), open_end="—")),
        ("移出条件", entry.get("removalConditions") if black else None),
        ("状态", _label(ListEntryStatus.of, entry.get("status"))),
        ("异议", "异议中" if entry.get("underObjection") else None),
    )
    if black:
        fields.append(["惩戒措施", _sanctions(entry)])
    return {
        "title": entry.get("listName") or _label(ListType.of, entry.get("listType")),
        "fields": fields,
    }


def _basic_item(enterprise: dict[str, Any]) -> Item:
    representative = enterprise.get("legalRepresentative") or {}
    capital = enterprise.get("registeredCapital")
    return {
        "title": enterprise["name"],
        "fields": _fields(
            ("统一社会信用代码", enterprise["uscc"]),
            ("名称", enterprise["name"]),
            ("机构类别", enterprise.get("categoryLabel")),
            ("企业类型", enterprise.get("entityType")),
            ("登记状态", _label(EnterpriseStatus.of, enterprise.get("status"))),
            ("成立日期", enterprise.get("foundedOn")),
            ("注册资本", _amount(capital) if capital is not None else None),
            ("法定代表人", representative.get("nameMasked")),
            ("住所", enterprise.get("address")),
            ("行业门类", enterprise.get("industry")),
            ("经营范围", enterprise.get("businessScope")),
            ("行政区划代码", enterprise.get("region")),
        ),
    }


def _ban_items(enterprise: dict[str, Any]) -> list[Item]:
    items = []
    if enterprise.get("banned"):
        items.append({"title": "本主体处于市场或行业禁入期内", "fields": [["情况", "禁入期内"]]})
    if enterprise.get("representativeBanned"):
        items.append(
            {
                "title": "法定代表人、主要负责人或实际控制人处于禁入期内",
                "fields": [["情况", "相关人员禁入期内"]],
            }
        )
    return items


# -- assembly --------------------------------------------------------------------------------
def labels(enterprise: dict[str, Any]) -> list[str]:
    """守信激励对象 / 失信惩戒对象, as the enterprise's list flags say."""
    found = []
    if enterprise.get("redListed"):
        found.append(RED_LABEL)
    if enterprise.get("blackListed"):
        found.append(BLACK_LABEL)
    return found


def _group(title: str, items: list[Item]) -> dict[str, Any]:
    return {"title": title, "empty": f"无{title}信息", "items": items}


def _groups(section: str, grouped: dict[tuple[str, str], list[Item]]) -> list[dict[str, Any]]:
    fixed = FIXED_GROUPS.get(section, ())
    titles = list(fixed) + sorted(
        {title for key, title in grouped if key == section and title not in fixed}
    )
    return [_group(title, grouped.get((section, title), [])) for title in titles]


def _recipient(consumer: Consumer, edition: ReportEdition) -> dict[str, Any] | None:
    # The public edition may be shown to anyone: it does not say who asked for it.
    if edition is ReportEdition.PUBLIC:
        return None
    return {
        "kind": consumer.org_kind.value,
        "kindLabel": consumer.org_kind.label,
        "code": consumer.org_code,
        "name": consumer.org_name,
        "purpose": consumer.purpose,
    }


def verification_url(base_url: str, number: str) -> str:
    """The absolute address of the verification page of report `number` on `base_url`."""
    return f"{base_url.rstrip('/')}/reports/verify?number={quote(number)}"


def _notes(
    edition: ReportEdition, cutoff: date, catalogue_version: str, verify_url: str | None
) -> list[str]:
    where = f"：{verify_url}（或扫描报告上的二维码）" if verify_url else ""
    notes = [
        f"本报告依据舞钢市信用信息共享目录（版本 {catalogue_version}）出具。公开版仅含依法向社会"
        "公开的信息；完整版另含经信息主体授权或依职责共享的信息。",
        "已修复、已撤销或已更正的信息版本，超过公示期限的信息，以及已移出的名单，均不纳入本报告。",
        f"信息截至 {cutoff.isoformat()}。个人信息已作去标识化处理。",
        "报告内容以报告编号和内容摘要（SHA-256）为准，可凭报告编号在本平台“信用报告核验”"
        f"页面核验{where}。",
    ]
    if edition is ReportEdition.FULL:
        notes.append("本报告为完整版，仅供报告使用方在授权或职责范围内使用，不得向第三方提供。")
    return notes


def _evaluation_section(key: str, title: str, data: ReportData) -> dict[str, Any]:
    """信用评价: grade, label, date and model in the full edition; never in the public one."""
    if data.edition is not ReportEdition.FULL:
        return {"key": key, "title": title, "text": EVALUATION_NOT_PUBLIC, "groups": []}
    found = data.evaluation
    if found is None:
        return {"key": key, "title": title, "text": NO_EVALUATION, "groups": []}
    grade = f"{found['grade']}级（{found['gradeLabel']}）"
    item = {
        "title": f"公共信用综合评价：{grade}",
        "fields": _fields(
            ("评价等级", grade),
            ("评价分数", f"{found['score']:g}"),
            ("评价日期", found.get("evaluatedOn")),
            ("评价模型版本", found.get("modelVersion")),
            ("评价批次", found.get("runId")),
        ),
    }
    group = {"title": "公共信用综合评价", "empty": NO_EVALUATION, "items": [item]}
    return {"key": key, "title": title, "text": None, "groups": [group]}


def build_content(
    data: ReportData,
    *,
    number: str,
    generated_at: datetime,
    cutoff: date,
    consumer: Consumer,
    catalogue_version: str,
    verify_url: str | None = None,
) -> dict[str, Any]:
    """The report's content for the consumer's edition, ready to be hashed and stored.

    `verify_url` is the absolute address of the report's verification page (every issued
    report has one: hub/reports/issuing.py)."""
    edition = data.edition
    enterprise = data.enterprise
    records = [r for r in data.records if included(r, edition, cutoff)]
    breached = {
        str(r.get("documentNumber"))
        for r in records
        if r["kind"] == RecordKind.COMMITMENT_BREACH.value
    }
    grouped: dict[tuple[str, str], list[Item]] = {}
    for record in records:
        group = KIND_GROUPS.get(record["kind"], OTHER)
        if record["kind"] == RecordKind.COMMITMENT.value:
            item = _commitment_item(record, edition, breached)
        else:
            item = _record_item(record, edition)
        grouped.setdefault((group.section, group.title), []).append(item)
    for entry in data.list_entries:
        # Ended entries (removed, or past their period even before the expiry job ran) are
        # not in the report: the same rule every reader applies (graph/publication.py).
        until = entry.get("effectiveUntil")
        if not is_listed(entry.get("status"), date.fromisoformat(until) if until else None, cutoff):
            continue
        black = entry.get("listType") == ListType.BLACK.value
        place = ("serious", "严重失信主体名单") if black else ("honest", "守信激励名单")
        grouped.setdefault(place, []).append(_list_entry_item(entry))
    grouped[("serious", "市场、行业禁入")] = _ban_items(enterprise)

    sections: list[dict[str, Any]] = []
    for key, title in SECTIONS:
        groups: list[dict[str, Any]]
        if key == "basic":
            groups = [
                {"title": "登记信息", "empty": "无登记信息", "items": [_basic_item(enterprise)]}
            ]
            sections.append({"key": key, "title": title, "text": None, "groups": groups})
        elif key == "evaluation":
            sections.append(_evaluation_section(key, title, data))
        else:
            groups = _groups(key, grouped)
            text = None if groups else "无其他信息"
            sections.append({"key": key, "title": title, "text": text, "groups": groups})
    return {
        "format": FORMAT,
        "title": TITLE,
        "number": number,
        "edition": edition.value,
        "editionLabel": edition.label,
        "generatedAt": generated_at.isoformat(),
        "cutoff": cutoff.isoformat(),
        "issuer": ISSUER,
        "verifyUrl": verify_url,
        "subject": {"uscc": enterprise["uscc"], "name": enterprise["name"]},
        "labels": labels(enterprise),
        "recipient": _recipient(consumer, edition),
        "sections": sections,
        "notes": _notes(edition, cutoff, catalogue_version, verify_url),
        "catalogueVersion": catalogue_version,
    }


NUMERALS = "一二三四五六七八九十"


def numbered(index: int, title: str) -> str:
    """A section title as printed: 一、基本信息 (index counts from 1)."""
    numeral = NUMERALS[index - 1] if 1 <= index <= len(NUMERALS) else str(index)
    return f"{numeral}、{title}"


# -- 信用概况: the summary at the head of the report ---------------------------------------------
LISTS = frozenset(
    {"守信激励名单", "严重失信主体名单", "失信被执行人", "虚假诉讼失信人", "经营异常名录"}
)
"""Groups that say whether the subject is on a list: 已列入 / 未列入 rather than a count."""
ADVERSE = frozenset(
    {
        "行政处罚",
        "严重失信主体名单",
        "失信被执行人",
        "虚假诉讼失信人",
        "市场、行业禁入",
        "经营异常名录",
        "违反信用承诺",
    }
)
FAVOURABLE = frozenset({"守信激励名单", "行政奖励", "表彰奖励"})
BANNED = "市场、行业禁入"
GRADE_FIELD = "评价等级"


@dataclass(frozen=True)
class OverviewRow:
    """One line of 信用概况: what was looked for, what was found, and its tone for colour
    (``adverse`` / ``favourable`` when something of that kind was found, else ``plain``)."""

    label: str
    value: str
    tone: str = "plain"


def _evaluation_value(section: dict[str, Any]) -> str:
    for group in section["groups"]:
        for item in group["items"]:
            grade = dict(item["fields"]).get(GRADE_FIELD)
            if grade:
                return str(grade)
    if section.get("text") == EVALUATION_NOT_PUBLIC:
        return "不向社会公开"
    return str(section.get("text") or NO_EVALUATION)


def overview(content: dict[str, Any]) -> list[OverviewRow]:
    """信用概况: the labels, then per group of every section what the report holds — a count,
    or whether the subject is listed — and the evaluation as the edition shows it.

    Read off the stored sections, so the summary never says more than the edition does.
    """
    labels_found = content.get("labels") or []
    tone = "adverse" if BLACK_LABEL in labels_found else "favourable" if labels_found else "plain"
    rows = [OverviewRow("信用标签", "、".join(labels_found) or "无", tone)]
    for section in content["sections"]:
        if section["key"] == "basic":
            continue
        if section["key"] == "evaluation":
            rows.append(OverviewRow(section["title"], _evaluation_value(section)))
            continue
        for group in section["groups"]:
            title, found = group["title"], len(group["items"])
            if title == BANNED:
                value = "禁入期内" if found else "无"
            elif title in LISTS:
                value = f"已列入（{found} 项）" if found else "未列入"
            else:
                value = f"{found} 条" if found else "无"
            if not found:
                tone = "plain"
            elif title in ADVERSE:
                tone = "adverse"
            elif title in FAVOURABLE:
                tone = "favourable"
            else:
                tone = "plain"
            rows.append(OverviewRow(title, value, tone))
    return rows
