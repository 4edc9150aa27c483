"""Exports up to the connected systems (issue 17): one directory of data files and a manifest.

An export of target T is ``<out>/<T>/<exportId>/`` holding one data file per kind T receives
(``penalty.csv``, ``black_list.xlsx`` …) and ``manifest.json`` (format
``credithub.exchange.v1``: target, exportId, cursor range, the hub's identity and each file's
kind, rows, withdrawals and sha256).

What goes up:

- Publication targets get what the catalogue shows the PUBLIC consumer (authz/enforcement.py
  compiles the PUBLIC row rules: records ``published``, list entries ``listed``), in the
  national headers the departments send them in (loaders/feed_kinds.py ``FeedKind.columns``:
  one vocabulary in and out). Personal identity columns stay empty: a record keeps only the
  masked name the public sees. A correction goes as the new version (数据状态 更正). A record
  or list entry that was shown and no longer is — revoked, repaired, its objection upheld,
  expired, removed — goes as a *withdrawal row*: 数据状态 撤销/修复/到期/移出 and 撤销日期, with
  only the columns that identify it, so a repaired record never goes up as a published one.
- The joint-punishment system gets 惩戒措施实施反馈 from the MeasureApplication nodes.
- “互联网+监管” gets 双随机一公开 tasks, drawn objects and results, and the current credit grades
  (departments only; a publication target cannot even be configured to receive them).

Incremental by the target's ``(:ExchangeCursor {target, position})``: an export covers the
changes in ``(from, to]`` — record versions loaded, Events on records, list entries, repair
applications and inspection tasks, feed batches loaded, measure applications reported, grades
evaluated, and publication windows that opened or closed on the days in between. ``--full``
exports everything the target should have now (no withdrawals: what is not there is not
shown). The same range always gives the same exportId and byte-identical files: rows are
sorted by their key, and the XLSX package carries the range's end as its timestamps.

Each kind is one streamed read (graph/database.py ``stream``), rows written as they arrive.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any, Final, LiteralString, Protocol, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from authz.catalogue import default_catalogue
from authz.enforcement import Enforcer
from authz.identity import Consumer, OrgKind
from graph.database import Database
from graph.lifecycle.base import CHINA_TIME, china_today
from graph.model import (
    CreditGrade,
    InspectionOutcome,
    InspectionTaskStatus,
    Label,
    LabelledEnum,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    RecordKind,
    RecordStatus,
    Rel,
    RepairStatus,
    SeverityTier,
    SubjectType,
)
from graph.publication import current_version
from hub.exchange.targets import ExchangeFormat, Feed, Target, Targets, load_targets
from loaders.feed_kinds import FEED_KINDS, FeedKind

__all__ = [
    "HUB_NAME",
    "MANIFEST_FORMAT",
    "Column",
    "ExportError",
    "Sheet",
    "export",
    "export_id",
    "file_sha256",
    "read_manifest",
    "sheet_for",
]

MANIFEST_FORMAT: Final = "credithub.exchange.v1"
HUB_NAME: Final = "舞钢市信用信息共享平台"

# 数据状态 of a row: shown (new or corrected) or withdrawn, and why.
NORMAL: Final = "正常"
CORRECTED: Final = "更正"
REVOKED: Final = "撤销"
REPAIRED: Final = "修复"
EXPIRED: Final = "到期"
REMOVED: Final = "移出"
WITHDRAWN: Final = frozenset({REVOKED, REPAIRED, EXPIRED, REMOVED})


class ExportError(RuntimeError):
    """The export cannot be made (unknown target, nothing to identify the hub …)."""


@dataclass(frozen=True)
class Column:
    """One output column: the row's value under `name`, written under the header `label`."""

    name: str
    label: str


@dataclass(frozen=True)
class Sheet:
    """One data file: the feed it carries and its columns."""

    feed: str
    label: str
    columns: tuple[Column, ...]

    @property
    def stem(self) -> str:
        """The file name without extension (``penalty``, ``black_list`` …)."""
        return self.feed.lower()


# -- columns -----------------------------------------------------------------------------------

# Where a national column's value lives on a Record / ListEntry node when not under its name.
_PROPERTY: Final = {"subjectUscc": "subjectCode", "subjectIdentifier": "subjectCode"}
_LIST_PROPERTY: Final = {**_PROPERTY, "documentNumber": "decisionNumber"}
# Personal data: kept on the Person node for departments with the duty, never sent up.
_PERSONAL: Final = frozenset(
    {
        "subjectIdType",
        "subjectIdNumber",
        "legalRepresentativeIdType",
        "legalRepresentativeId",
        "principalId",
        "actualControllerId",
    }
)
# What a withdrawal row keeps: enough for the upper system to find what it must stop showing.
_IDENTIFYING: Final = frozenset(
    {
        "subjectName",
        "subjectType",
        "subjectUscc",
        "subjectIdentifier",
        "documentNumber",
        "listType",
        "listName",
        "decisionDate",
        "issuingAuthority",
        "issuingAuthorityCode",
    }
)

STATE_COLUMNS: Final = (
    Column("_state", "数据状态"),
    Column("_withdrawnOn", "撤销日期"),
    Column("_version", "版本号"),
    Column("_key", "信息标识"),
)
"""Appended to every publication file: withdrawal rows are told apart by 数据状态."""

_RECORD_FEEDS: Final[Mapping[RecordKind, FeedKind]] = {
    k.record_kind: k for k in FEED_KINDS.values() if k.record_kind is not None
}

_SUBJECT_TYPE_LABELS: Final = {
    "ORGANISATION": "法人及非法人组织",
    "INDIVIDUAL_BUSINESS": "个体工商户",
    "PERSON": "自然人",
    "ENTERPRISE": "法人及非法人组织",
}


def _labels(enum: type[LabelledEnum]) -> dict[str, str]:
    return {member.value: member.label for member in enum}


# Stored enum values written as the labels the departments use (anything else as stored).
_DISPLAY: Final[Mapping[str, Mapping[str, str]]] = {
    "subjectType": _SUBJECT_TYPE_LABELS,
    "severity": _labels(SeverityTier),
    "listType": _labels(ListType),
    "status": _labels(InspectionTaskStatus),
    "outcome": _labels(InspectionOutcome),
    "gradeLabel": _labels(CreditGrade),
    "measureCategory": _labels(MeasureCategory),
}


def _national(kind: FeedKind, feed: str, label: str) -> Sheet:
    return Sheet(feed, label, tuple(Column(c.name, c.label) for c in kind.columns) + STATE_COLUMNS)


_REPAIR: Final = Sheet(
    Feed.REPAIR,
    "信用修复结果",
    (
        Column("id", "修复申请编号"),
        Column("subjectName", "行政相对人名称"),
        Column("subjectType", "行政相对人类别"),
        Column("subjectUscc", "统一社会信用代码"),
        Column("infoKind", "信息类别"),
        Column("documentNumber", "原决定文书号"),
        Column("issuingAuthority", "原决定机关"),
        Column("issuingAuthorityCode", "原决定机关统一社会信用代码"),
        Column("decidedOn", "修复决定日期"),
        Column("decidedBy", "修复决定单位统一社会信用代码"),
        Column("result", "修复结果"),
        Column("_key", "信息标识"),
    ),
)

_MEASURE_APPLICATION: Final = Sheet(
    Feed.MEASURE_APPLICATION,
    "惩戒措施实施反馈",
    (
        Column("id", "反馈编号"),
        Column("subjectName", "惩戒对象名称"),
        Column("subjectType", "惩戒对象类别"),
        Column("subjectUscc", "统一社会信用代码"),
        Column("measureCode", "惩戒措施编码"),
        Column("measureName", "惩戒措施名称"),
        Column("measureCategory", "惩戒措施类别"),
        Column("listName", "惩戒依据名单"),
        Column("listDecisionNumber", "名单认定文书号"),
        Column("sanctionId", "惩戒措施实施编号"),
        Column("reporterName", "实施单位"),
        Column("reporter", "实施单位统一社会信用代码"),
        Column("business", "业务领域"),
        Column("matterReference", "业务事项"),
        Column("appliedOn", "实施日期"),
        Column("outcome", "实施结果"),
        Column("reportedAt", "反馈时间"),
    ),
)

_INSPECTION_TASK: Final = Sheet(
    Feed.INSPECTION_TASK,
    "双随机抽查任务",
    (
        Column("id", "任务编号"),
        Column("title", "任务名称"),
        Column("department", "实施部门统一社会信用代码"),
        Column("departmentName", "实施部门"),
        Column("sectors", "抽查行业"),
        Column("year", "年度"),
        Column("start", "计划开始日期"),
        Column("end", "计划结束日期"),
        Column("status", "任务状态"),
        Column("drawnOn", "抽取日期"),
        Column("objectCount", "抽取对象数"),
        Column("resultCount", "已录入结果数"),
        Column("seed", "随机种子"),
        Column("inputHash", "抽取输入摘要"),
    ),
)

_INSPECTION_OBJECT: Final = Sheet(
    Feed.INSPECTION_OBJECT,
    "双随机抽查对象及结果",
    (
        Column("id", "对象编号"),
        Column("taskId", "任务编号"),
        Column("uscc", "统一社会信用代码"),
        Column("name", "市场主体名称"),
        Column("stratum", "抽取层级"),
        Column("inspectors", "检查人员编号"),
        Column("outcome", "检查结果"),
        Column("findings", "检查发现"),
        Column("inspectedOn", "检查日期"),
        Column("recordKey", "结果信息标识"),
    ),
)

_CREDIT_GRADE: Final = Sheet(
    Feed.CREDIT_GRADE,
    "公共信用综合评价等级",
    (
        Column("uscc", "统一社会信用代码"),
        Column("name", "市场主体名称"),
        Column("grade", "信用等级"),
        Column("gradeLabel", "等级名称"),
        Column("score", "评价得分"),
        Column("evaluatedOn", "评价日期"),
        Column("modelVersion", "评价模型版本"),
        Column("runId", "评价批次"),
    ),
)

_OTHER_SHEETS: Final[Mapping[str, Sheet]] = {
    s.feed: s
    for s in (_REPAIR, _MEASURE_APPLICATION, _INSPECTION_TASK, _INSPECTION_OBJECT, _CREDIT_GRADE)
}


def sheet_for(feed: str) -> Sheet:
    """The data file of `feed` (a RecordKind name or a `Feed`) with its columns."""
    if feed in _OTHER_SHEETS:
        return _OTHER_SHEETS[feed]
    if feed in (Feed.BLACK_LIST, Feed.RED_LIST):
        list_type = ListType.BLACK if feed == Feed.BLACK_LIST else ListType.RED
        return _national(FEED_KINDS["list_decision"], feed, list_type.label)
    kind = RecordKind.of(feed)
    if kind not in _RECORD_FEEDS:
        raise ExportError(f"no national format for record kind {feed}")
    return _national(_RECORD_FEEDS[kind], feed, kind.label)


# -- values ------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """One cell as text: dates ISO, whole amounts without ``.0``, lists joined by ``、``."""
    if value is None or type(value) is str:
        return value
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return "、".join(t for t in (_text(v) for v in value) if t)
    return str(value)


_Layout = tuple[tuple[str, bool, bool, Mapping[str, str] | None], ...]


def _layout(sheet: Sheet) -> _Layout:
    """Per column: name, personal (always empty), the exchange's own, its display labels."""
    return tuple(
        (c.name, c.name in _PERSONAL, c.name.startswith("_"), _DISPLAY.get(c.name))
        for c in sheet.columns
    )


def _cells(
    layout: _Layout, row: Mapping[str, Any], *, keep: frozenset[str] | None = None
) -> list[str | None]:
    out: list[str | None] = []
    for name, personal, own, shown in layout:
        if personal or (keep is not None and not own and name not in keep):
            out.append(None)
            continue
        value = _text(row.get(name))
        if value is not None and shown is not None:
            value = shown.get(value, value)
        out.append(value)
    return out


# -- file writers ------------------------------------------------------------------------------


class _Writer(Protocol):
    def row(self, cells: list[str | None]) -> None: ...

    def close(self) -> None: ...


class _CsvWriter:
    def __init__(self, path: Path, encoding: str, header: list[str]) -> None:
        self._file: IO[str] = path.open("w", encoding=encoding, newline="")
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow(header)

    def row(self, cells: list[str | None]) -> None:
        self._csv.writerow(["" if c is None else c for c in cells])

    def close(self) -> None:
        self._file.close()


class _JsonWriter:
    """``{"kind", "label", "columns": [headers], "rows": [{header: value}]}``, streamed."""

    def __init__(self, path: Path, sheet: Sheet) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self._labels = [c.label for c in sheet.columns]
        head = {"kind": sheet.feed, "label": sheet.label, "columns": self._labels}
        self._file.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        self._first = True

    def row(self, cells: list[str | None]) -> None:
        self._file.write(
            ("\n" if self._first else ",\n")
            + json.dumps(dict(zip(self._labels, cells, strict=True)), ensure_ascii=False)
        )
        self._first = False

    def close(self) -> None:
        self._file.write("\n]}\n")
        self._file.close()


class _XlsxWriter:
    """A write-only workbook, its package made byte-stable on close (fixed timestamps)."""

    def __init__(self, path: Path, sheet: Sheet, stamp: datetime) -> None:
        self._path = path
        self._stamp = stamp.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        self._book = Workbook(write_only=True)
        self._book.properties.creator = HUB_NAME
        self._book.properties.created = self._stamp
        self._sheet = self._book.create_sheet(title=sheet.label[:31])
        self._sheet.append([c.label for c in sheet.columns])

    def row(self, cells: list[str | None]) -> None:
        out: list[Any] = []
        for value in cells:
            cell = WriteOnlyCell(self._sheet, value)
            if value is not None:
                cell.data_type = "s"  # a value that looks like a formula stays text
            out.append(cell)
        self._sheet.append(out)

    def close(self) -> None:
        buffer = io.BytesIO()
        self._book.save(buffer)
        stamp = self._stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        moment = self._stamp.timetuple()[:6]
        with (
            zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
            zipfile.ZipFile(self._path, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == "docProps/core.xml":
                    # openpyxl stamps the save time as `modified`: the range's end instead.
                    text = data.decode("utf-8")
                    start = text.find("<dcterms:modified")
                    end = text.find("</dcterms:modified>")
                    if start >= 0 and end > start:
                        opening = text[start : text.index(">", start) + 1]
                        text = text[:start] + opening + stamp + text[end:]
                    data = text.encode("utf-8")
                fixed = zipfile.ZipInfo(info.filename, date_time=moment)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = info.external_attr
                target.writestr(fixed, data)


def _open_writer(path: Path, sheet: Sheet, fmt: ExchangeFormat, stamp: datetime) -> _Writer:
    header = [c.label for c in sheet.columns]
    if fmt is ExchangeFormat.CSV_UTF8:
        return _CsvWriter(path, "utf-8", header)
    if fmt is ExchangeFormat.CSV_GB18030:
        return _CsvWriter(path, "gb18030", header)
    if fmt is ExchangeFormat.JSON:
        return _JsonWriter(path, sheet)
    return _XlsxWriter(path, sheet, stamp)


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks (manifests list it; delivery checks it)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- queries -----------------------------------------------------------------------------------


class _Params:
    """Collects the parameters the PUBLIC row rules compile to."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class _Range:
    start: datetime | None
    end: datetime
    today: date

    @property
    def params(self) -> dict[str, Any]:
        start_day = china_today(self.start) if self.start else None
        return {
            "from": self.start,
            "to": self.end,
            "fromDay": start_day,
            "toDay": self.today,
        }


def _public(type_name: str, node: str, today: date) -> tuple[str, dict[str, Any]]:
    """The catalogue's PUBLIC row rule for `type_name` as Cypher over `node`."""
    consumer = Consumer(subject="exchange", org_kind=OrgKind.PUBLIC)
    enforcer = Enforcer(default_catalogue(), consumer, today=today)
    params = _Params()
    predicate = enforcer.row_predicate(type_name, {"node": node}, params, f"exchange.{type_name}")
    return predicate or "true", params.values


# What the state of a row is judged on, read besides the sheet's own columns.
_STATE_FIELDS: Final = (
    "key",
    "id",
    "version",
    "status",
    "repairedOn",
    "revokedOn",
    "changedOn",
    "publicationStoppedOn",
    "publishUntil",
    "removedOn",
    "effectiveUntil",
)


def _fields(sheet: Sheet, stored: Mapping[str, str]) -> tuple[str, ...]:
    """The node properties one row of `sheet` needs, each once (a list is read, not a map:
    the driver builds no dict per row)."""
    names = [
        stored.get(c.name, c.name)
        for c in sheet.columns
        if not c.name.startswith("_") and c.name not in _PERSONAL
    ]
    return tuple(dict.fromkeys([*names, *_STATE_FIELDS]))


def _values(node: str, fields: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"{node}.{name}" for name in fields) + "]"


def _records_query(public: str, incremental: bool, fields: tuple[str, ...]) -> str:
    record = f"{Label.RECORD}"
    current = current_version("r")
    changed = (
        # Versions loaded or made in the range, records an Event in the range concerns, and
        # publication windows that opened or closed on the days in between — each found by
        # its index (migration 0013), not by a scan of the kind.
        "CALL () { "
        f"MATCH (r:{record}) USING INDEX r:{record}(loadedAt) "
        f"WHERE r.loadedAt > $from AND r.loadedAt <= $to AND r.kind = $kind AND {current} "
        "RETURN r "
        "UNION "
        f"MATCH (ev:{Label.EVENT}) USING INDEX ev:{Label.EVENT}(at) "
        "WHERE ev.at > $from AND ev.at <= $to "
        f"MATCH (ev)-[:{Rel.CONCERNS}]->(x:{record}) WHERE x.kind = $kind "
        f"MATCH (r:{record} {{key: x.key}}) WHERE {current} RETURN r "
        "UNION "
        f"MATCH (r:{record}) WHERE r.publishUntil >= $fromDay AND r.publishUntil < $toDay "
        f"AND r.kind = $kind AND {current} RETURN r "
        "UNION "
        f"MATCH (r:{record}) WHERE r.publishFrom > $fromDay AND r.publishFrom <= $toDay "
        f"AND r.kind = $kind AND {current} RETURN r "
        "} "
        "WITH r WHERE r.publishFrom IS NOT NULL AND r.publishFrom <= $toDay "
        if incremental
        else f"MATCH (r:{record}) WHERE r.key STARTS WITH $prefix AND {current} AND {public} "
    )
    return changed + f"RETURN {_values('r', fields)} AS v, {public} AS shown ORDER BY r.key"


def _record_state(p: Mapping[str, Any], shown: bool) -> tuple[str, date | None]:
    if shown:
        return (CORRECTED if (p.get("version") or 1) > 1 else NORMAL), None
    status = p.get("status")
    if status == RecordStatus.REPAIRED.value:
        return REPAIRED, p.get("repairedOn")
    if status == RecordStatus.REVOKED.value:
        return REVOKED, p.get("revokedOn") or p.get("changedOn")
    if p.get("publicationStoppedOn") is not None:
        # An objection upheld with 停止公示: withdrawn like a revocation, on the day decided.
        return REVOKED, p["publicationStoppedOn"]
    if status in (RecordStatus.EFFECTIVE.value, RecordStatus.UNDER_OBJECTION.value):
        return EXPIRED, p.get("publishUntil")
    # Anything else that stopped the showing (an objection upheld …) is a withdrawal too.
    return REVOKED, p.get("changedOn")


def _lists_query(public: str, incremental: bool, fields: tuple[str, ...]) -> str:
    changed = (
        "CALL () { "
        f"MATCH (l:{Label.LIST_ENTRY} {{listType: $listType}}) "
        f"WHERE EXISTS {{ MATCH (b:{Label.BATCH} {{id: l.batchId}}) "
        "WHERE b.lastLoadedAt > $from AND b.lastLoadedAt <= $to } RETURN l "
        "UNION "
        f"MATCH (ev:{Label.EVENT}) USING INDEX ev:{Label.EVENT}(at) "
        "WHERE ev.at > $from AND ev.at <= $to "
        f"MATCH (ev)-[:{Rel.CONCERNS}]->(l:{Label.LIST_ENTRY} {{listType: $listType}}) RETURN l "
        "UNION "
        f"MATCH (l:{Label.LIST_ENTRY} {{listType: $listType}}) "
        "WHERE (l.effectiveUntil >= $fromDay AND l.effectiveUntil < $toDay) "
        "OR (l.effectiveFrom > $fromDay AND l.effectiveFrom <= $toDay) RETURN l "
        "} "
        f"WITH l WHERE l.status <> '{ListEntryStatus.ANNOUNCED}' OR {public} "
        if incremental
        else f"MATCH (l:{Label.LIST_ENTRY} {{listType: $listType}}) WHERE {public} "
    )
    return changed + f"RETURN {_values('l', fields)} AS v, {public} AS shown ORDER BY l.id"


def _list_state(p: Mapping[str, Any], shown: bool) -> tuple[str, date | None]:
    if shown:
        return (CORRECTED if (p.get("version") or 1) > 1 else NORMAL), None
    if p.get("status") == ListEntryStatus.REMOVED.value:
        return REMOVED, p.get("removedOn")
    return EXPIRED, p.get("effectiveUntil")


def _repairs_query(incremental: bool) -> str:
    where = (
        f"AND EXISTS {{ MATCH (ev:{Label.EVENT})-[:{Rel.CONCERNS}]->(a) "
        "WHERE ev.at > $from AND ev.at <= $to } "
        if incremental
        else ""
    )
    return (
        f"MATCH (a:{Label.REPAIR_APPLICATION} {{status: '{RepairStatus.APPROVED}'}})"
        f"-[:{Rel.CONCERNS}]->(t) WHERE true {where}"
        "RETURN {id: a.id, subjectName: t.subjectName, subjectType: t.subjectType, "
        "subjectUscc: t.subjectCode, infoKind: coalesce(t.kind, t.listType), "
        "documentNumber: coalesce(t.documentNumber, t.decisionNumber), "
        "issuingAuthority: t.issuingAuthority, issuingAuthorityCode: t.issuingAuthorityCode, "
        "decidedOn: a.decidedOn, decidedBy: a.decidedBy, "
        "_key: coalesce(t.key, t.id)} AS p, a.id AS sortKey ORDER BY a.id"
    )


def _measures_query(incremental: bool) -> str:
    where = "WHERE a.reportedAt > $from AND a.reportedAt <= $to " if incremental else ""
    return (
        f"MATCH (a:{Label.MEASURE_APPLICATION}) {where}"
        f"OPTIONAL MATCH (a)-[:{Rel.TO}]->(s) "
        f"OPTIONAL MATCH (a)-[:{Rel.REPORTED_BY}]->(o) "
        f"OPTIONAL MATCH (a)-[:{Rel.APPLIED}]->(m:{Label.MEASURE}) "
        f"OPTIONAL MATCH (a)-[:{Rel.UNDER}]->(:{Label.SANCTION})-[:{Rel.UNDER}]->"
        f"(l:{Label.LIST_ENTRY}) "
        "WITH a, s, o, m, l ORDER BY a.id "
        "WITH a, head(collect({s: s, o: o, m: m, l: l})) AS x "
        "RETURN a {.*, subjectName: coalesce(x.s.nameMasked, x.s.name), "
        f"subjectType: CASE WHEN x.s:{Label.PERSON} THEN '{SubjectType.PERSON}' "
        f"ELSE '{SubjectType.ENTERPRISE}' END, "
        f"subjectUscc: CASE WHEN x.s:{Label.ENTERPRISE} THEN x.s.uscc END, "
        "reporterName: x.o.name, measureCategory: x.m.category, listName: x.l.listName, "
        "listDecisionNumber: x.l.decisionNumber} AS p, a.id AS sortKey ORDER BY a.id"
    )


def _tasks_query(incremental: bool) -> str:
    where = (
        f"WHERE EXISTS {{ MATCH (ev:{Label.EVENT})-[:{Rel.CONCERNS}]->(n) "
        f"WHERE (n = t OR (n)-[:{Rel.PART_OF}]->(t)) AND ev.at > $from AND ev.at <= $to }} "
        if incremental
        else ""
    )
    return (
        f"MATCH (t:{Label.INSPECTION_TASK}) {where}"
        f"OPTIONAL MATCH (d:{Label.DEPARTMENT} {{code: t.department}}) "
        "RETURN t {.*, departmentName: d.name} AS p, t.id AS sortKey ORDER BY t.id"
    )


def _objects_query(incremental: bool) -> str:
    where = (
        f"WHERE EXISTS {{ MATCH (ev:{Label.EVENT})-[:{Rel.CONCERNS}]->(n) "
        f"WHERE (n = t OR (n)-[:{Rel.PART_OF}]->(t)) AND ev.at > $from AND ev.at <= $to }} "
        if incremental
        else ""
    )
    return (
        f"MATCH (o:{Label.INSPECTION_OBJECT})-[:{Rel.PART_OF}]->(t:{Label.INSPECTION_TASK}) "
        f"{where}"
        f"OPTIONAL MATCH (o)-[:{Rel.HAS_SUBJECT}]->(e:{Label.ENTERPRISE}) "
        "RETURN o {.*, name: e.name, "
        f"inspectors: [(i:{Label.INSPECTOR})-[k:{Rel.INSPECTS}]->(o) | [k.order, i.id]]}} AS p, "
        "o.id AS sortKey ORDER BY o.taskId, o.position"
    )


def _grades_query(incremental: bool) -> str:
    where = "AND v.createdAt > $from AND v.createdAt <= $to " if incremental else ""
    return (
        f"MATCH (v:{Label.EVALUATION}) WHERE {current_version('v')} {where}"
        f"OPTIONAL MATCH (e:{Label.ENTERPRISE} {{uscc: v.uscc}}) "
        "RETURN v {.uscc, .grade, .score, .evaluatedOn, .modelVersion, .runId, "
        "gradeLabel: v.grade, name: e.name} AS p, v.uscc AS sortKey ORDER BY v.uscc"
    )


@dataclass(frozen=True)
class _Plan:
    cypher: str
    params: dict[str, Any]
    state: Callable[[Mapping[str, Any], bool], tuple[str, date | None]] | None = None
    list_columns: bool = False
    fields: tuple[str, ...] = ()
    """When set, the query returns ``v``: these properties in this order."""


def _plan(feed: str, span: _Range, incremental: bool) -> _Plan:
    params = span.params
    if feed in (Feed.BLACK_LIST, Feed.RED_LIST):
        public, extra = _public("ListEntry", "l", span.today)
        list_type = ListType.BLACK if feed == Feed.BLACK_LIST else ListType.RED
        fields = _fields(sheet_for(feed), _LIST_PROPERTY)
        return _Plan(
            _lists_query(public, incremental, fields),
            {**params, **extra, "listType": list_type.value},
            _list_state,
            list_columns=True,
            fields=fields,
        )
    if feed == Feed.REPAIR:
        return _Plan(_repairs_query(incremental), params)
    if feed == Feed.MEASURE_APPLICATION:
        return _Plan(_measures_query(incremental), params)
    if feed == Feed.INSPECTION_TASK:
        return _Plan(_tasks_query(incremental), params)
    if feed == Feed.INSPECTION_OBJECT:
        return _Plan(_objects_query(incremental), params)
    if feed == Feed.CREDIT_GRADE:
        return _Plan(_grades_query(incremental), params)
    kind = RecordKind.of(feed)
    public, extra = _public("Record", "r", span.today)
    fields = _fields(sheet_for(feed), _PROPERTY)
    return _Plan(
        _records_query(public, incremental, fields),
        {**params, **extra, "kind": kind.value, "prefix": f"{kind.value}|"},
        _record_state,
        fields=fields,
    )


def _prepared(feed: str, plan: _Plan, record: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The row's values by column name and whether it is a withdrawal."""
    p = dict(zip(plan.fields, record["v"], strict=True)) if plan.fields else dict(record["p"])
    if plan.list_columns:
        for name, stored in _LIST_PROPERTY.items():
            p[name] = p.get(stored)
    else:
        for name, stored in _PROPERTY.items():
            p.setdefault(name, p.get(stored))
    if feed == Feed.REPAIR:
        p["result"] = RepairStatus.APPROVED.label
        kind = p.get("infoKind")
        if kind in {k.value for k in RecordKind}:
            p["infoKind"] = RecordKind.of(kind).label
        elif kind in {t.value for t in ListType}:
            p["infoKind"] = ListType.of(kind).label
    if feed == Feed.INSPECTION_OBJECT:
        p["inspectors"] = [i for _, i in sorted(p.get("inspectors") or [])]
    if plan.state is None:
        return p, False
    state, withdrawn_on = plan.state(p, bool(record["shown"]))
    p["_state"] = state
    p["_withdrawnOn"] = withdrawn_on
    p["_version"] = p.get("version")
    p["_key"] = p.get("key") or p.get("id")
    return p, state in WITHDRAWN


# -- the export --------------------------------------------------------------------------------


def export_id(target: str, start: datetime | None, end: datetime, full: bool) -> str:
    """Deterministic from the range: the same range is the same export (idempotent resend)."""
    basis = f"{target}|{start.isoformat() if start else ''}|{end.isoformat()}|{full}"
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]
    return f"{end.astimezone(UTC):%Y%m%dT%H%M%S}-{digest}"


_CURSOR: Final[LiteralString] = (
    f"OPTIONAL MATCH (c:{Label.EXCHANGE_CURSOR} {{target: $target}}) RETURN c.position AS position"
)
_HUB: Final[LiteralString] = (
    f"MATCH (o:{Label.CREDIT_OFFICE}) RETURN o.code AS code ORDER BY o.code LIMIT 1"
)
_RECORD_EXPORT: Final[LiteralString] = (
    f"MERGE (c:{Label.EXCHANGE_CURSOR} {{target: $target}}) "
    "SET c.position = CASE WHEN c.position IS NULL OR c.position < $to THEN $to "
    "ELSE c.position END "
    f"MERGE (x:{Label.EXCHANGE_EXPORT} {{id: $id}}) "
    "SET x.target = $target, x.createdAt = $to, x.from = $from, x.to = $to, x.full = $full, "
    "x.dir = $dir, x.files = $files, x.rows = $rows, x.withdrawals = $withdrawals"
)


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


async def export(
    db: Database,
    target: str,
    *,
    full: bool = False,
    since: datetime | date | None = None,
    out: Path,
    until: datetime | None = None,
    targets: Targets | None = None,
) -> Path:
    """Write an export of `target` under ``out/<target>/<exportId>/`` and return that directory.

    The range starts at `since` (a day means its 00:00 Beijing time), else at the target's
    cursor; `full` exports everything the target should have (the range only names it). The
    range ends at `until` (default: now). The cursor moves to the end of the range unless it
    is already later, so re-exporting an older range leaves it alone.
    """
    config: Target = (targets or load_targets()).get(target)
    end = (until or datetime.now(UTC)).astimezone(UTC)
    if since is not None:
        start: datetime | None = (
            since
            if isinstance(since, datetime)
            else datetime.combine(since, time(), tzinfo=CHINA_TIME)
        ).astimezone(UTC)
    elif full:
        start = None
    else:
        found = await db.read(_CURSOR, {"target": target})
        position = _native(found[0]["position"]) if found else None
        start = position.astimezone(UTC) if isinstance(position, datetime) else None
    if start is not None and start >= end:
        raise ExportError(f"the range starts at {start.isoformat()}, after its end")
    hub = await db.read(_HUB)
    if not hub:
        raise ExportError("no credit office in the graph: the hub has no identity to send")
    span = _Range(start, end, china_today(end))
    # Without a start there is nothing to compare with: everything the target should have.
    incremental = not full and start is not None
    ident = export_id(target, start, end, full)
    directory = out / target / ident
    directory.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    for feed in config.receives:
        sheet = sheet_for(feed)
        plan = _plan(feed, span, incremental)
        path = directory / f"{sheet.stem}.{config.format.extension}"
        writer = _open_writer(path, sheet, config.format, end)
        layout = _layout(sheet)
        rows = withdrawals = 0
        try:
            async for record in db.stream(plan.cypher, plan.params):
                values, withdrawn = _prepared(feed, plan, record)
                writer.row(_cells(layout, values, keep=_IDENTIFYING if withdrawn else None))
                rows += 1
                withdrawals += withdrawn
        finally:
            writer.close()
        entry: dict[str, Any] = {"name": path.name, "kind": feed, "rows": rows}
        if plan.state is not None:
            entry["withdrawals"] = withdrawals
        entry["sha256"] = file_sha256(path)
        files.append(entry)
    manifest = {
        "format": MANIFEST_FORMAT,
        "target": target,
        "targetName": config.name,
        "exportId": ident,
        # The range's end, not the wall clock: the same range gives the same manifest.
        "createdAt": end.isoformat(),
        "hub": {"name": HUB_NAME, "code": hub[0]["code"]},
        "full": full,
        "fileFormat": config.format.value,
        "cursor": {"from": start.isoformat() if start else None, "to": end.isoformat()},
        "files": files,
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    await db.write(
        _RECORD_EXPORT,
        {
            "target": target,
            "id": ident,
            "from": start,
            "to": end,
            "full": full,
            "dir": str(directory),
            "files": [f["name"] for f in files],
            "rows": sum(f["rows"] for f in files),
            "withdrawals": sum(f.get("withdrawals", 0) for f in files),
        },
    )
    return directory


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of an export directory."""
    return cast(dict[str, Any], json.loads((directory / "manifest.json").read_text("utf-8")))
