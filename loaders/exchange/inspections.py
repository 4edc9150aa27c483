"""“互联网+监管” inspection results, imported as INSPECTION records (issue 17).

The exchange format (``internet-supervision.results.v1``, JSON, documented in the README)::

    {"format": "internet-supervision.results.v1", "system": "河南省“互联网+监管”系统",
     "results": [{"resultId": "...", "uscc": "...", "name": "...", "department": "<USCC>",
                  "documentNumber": "...", "inspectedOn": "2026-10-12",
                  "outcome": "NO_PROBLEM" | "未发现问题" | ..., "title": "...",
                  "findings": "...", "taskId": "<optional: the city's 双随机 task>"}]}

Each result is checked like a feed row (a valid USCC of a registered enterprise, a registered
department, a 文号, a date not in the future, one of the 抽查结果 outcomes, findings for a
problem outcome); a refused one is quarantined in the import's batch with its row (its position
in ``results``, from 1), field and reason. A good one becomes version 1 of an INSPECTION record
``INSPECTION|department|文号`` through the one lifecycle record path
(graph/lifecycle/versions.create_decision_record), provided by the department that inspected,
with provenance (``exchangeSource``, ``provenance``, ``externalId``, batch and row).

When the result belongs to one of the city's 双随机 draws — the department's drawn task names the
enterprise and has no result for it yet (``taskId`` narrows it to one task) — the drawn object
gets the result as if the department had recorded it (``RESULTED_IN`` the record, the task's
result count). Otherwise it is a plain INSPECTION record. A result whose record already exists
(the department recorded it in the hub itself) is linked to it (``ALSO_SENT_BY``), and the same
file imported again changes nothing (the batch id follows the content).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.identifiers import is_valid_uscc
from graph.lifecycle.base import CHINA_TIME, Actor, single
from graph.lifecycle.versions import create_decision_record
from graph.model import InspectionOutcome, InspectionTaskStatus, Label, RecordKind, Rel
from loaders.batches import FINISH, START, batch_id, write_quarantine
from loaders.exchange.sources import INTERNET_SUPERVISION
from loaders.feed_kinds import Problem
from loaders.validation import RejectedRow
from loaders.writers.base import LOADER_VERSION

__all__ = [
    "INSPECTION_FORMAT",
    "InspectionFileError",
    "InspectionImportSummary",
    "import_inspection_results",
]

INSPECTION_FORMAT: Final = "internet-supervision.results.v1"
_KIND: Final = "internet_supervision"
_PROBLEM_OUTCOMES: Final = frozenset(
    {
        InspectionOutcome.UNREACHABLE,
        InspectionOutcome.RECTIFICATION_ORDERED,
        InspectionOutcome.CASE_FILED,
        InspectionOutcome.REFERRED,
        InspectionOutcome.OBSTRUCTED,
    }
)
_OUTCOMES: Final = {
    **{o.value: o for o in InspectionOutcome},
    **{o.label: o for o in InspectionOutcome},
}


class InspectionFileError(ValueError):
    """The file is not a results file in the exchange format: nothing is read."""


@dataclass
class InspectionImportSummary:
    """What an import of 互联网+监管 results did."""

    batch_id: str
    file_name: str
    rows_read: int = 0
    new: int = 0
    in_draws: int = 0
    linked: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)

    def render(self) -> str:
        """The summary as a person reads it."""
        lines = [
            f"批次 (batch)        {self.batch_id}",
            f"文件 (file)         {self.file_name}",
            f"来源 (source)       {INTERNET_SUPERVISION.name} {INTERNET_SUPERVISION.code}",
            f"读取 (rows read)    {self.rows_read}",
            f"新增 (new)          {self.new}  其中属本市双随机抽查任务 (of the city's draws) "
            f"{self.in_draws}",
            f"已关联 (linked)     {self.linked}",
            f"未变化 (unchanged)  {self.unchanged}",
            f"隔离 (quarantined)  {self.quarantined}",
        ]
        for code, count in sorted(self.quarantined_by_reason.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {code:<28} {count}")
        return "\n".join(lines)


_REGISTERED: Final = f"""
CALL () {{ MATCH (d:{Label.DEPARTMENT}) WHERE d.closedOn IS NULL
          RETURN collect([d.code, d.name]) AS departments }}
CALL () {{ UNWIND $codes AS code MATCH (e:{Label.ENTERPRISE} {{uscc: code}})
          RETURN collect(e.uscc) AS enterprises }}
RETURN departments, enterprises
"""

_HELD: Final = f"""
MATCH (r:{Label.RECORD} {{key: $key, current: true}})
RETURN elementId(r) AS element, r.exchangeSource AS source
"""

_LINK: Final = f"""
MATCH (r) WHERE elementId(r) = $element
MATCH (o:{Label.DEPARTMENT} {{code: $system}})
MERGE (r)-[l:{Rel.ALSO_SENT_BY}]->(o)
ON CREATE SET l.batchId = $batch, l.sourceRow = $row, l.at = $at, l.provenance = $level,
              l.created = true
WITH l, coalesce(l.created, false) AS created
REMOVE l.created
RETURN created
"""

_STAMP: Final = f"""
MATCH (r:{Label.RECORD}) WHERE elementId(r) = $element
SET r += $props
"""

# The city's draw this result belongs to: a drawn task of the same department naming the
# enterprise with no result yet (the given task only, when the result names one).
_DRAW: Final = f"""
MATCH (t:{Label.INSPECTION_TASK} {{department: $department, status: $drawn}})
WHERE $task IS NULL OR t.id = $task
MATCH (o:{Label.INSPECTION_OBJECT} {{taskId: t.id, uscc: $uscc}})
WHERE o.outcome IS NULL
WITH t, o ORDER BY t.id LIMIT 1
MATCH (r:{Label.RECORD}) WHERE elementId(r) = $element
SET o.outcome = $outcome, o.findings = $findings, o.inspectedOn = date($on),
    o.recordKey = r.key, o.resultBy = $who, o.resultRecordedOn = date($today),
    o.resultSource = $source
CREATE (o)-[:{Rel.RESULTED_IN}]->(r)
SET t.resultCount = t.resultCount + 1
SET t.status = CASE WHEN t.resultCount >= t.objectCount THEN $completed ELSE t.status END
RETURN t.id AS task
"""


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    return value.strip() if isinstance(value, str) else ""


def _check(
    entry: Any, today: datetime.date, departments: dict[str, str], enterprises: set[str]
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One result checked: its values, or the problems that quarantine it."""
    if not isinstance(entry, dict):
        return None, [Problem("", "ROW_SHAPE", "检查结果须为对象 (a result must be an object)")]
    problems: list[Problem] = []
    for name in ("resultId", "documentNumber", "title"):
        if not _text(entry, name):
            problems.append(Problem(name, "REQUIRED", f"{name} 为必填项 (required)"))
    uscc = _text(entry, "uscc").upper()
    if not uscc:
        problems.append(Problem("uscc", "REQUIRED", "统一社会信用代码为必填项 (required)"))
    elif not is_valid_uscc(uscc):
        problems.append(Problem("uscc", "INVALID_USCC", "统一社会信用代码校验不通过 (invalid)"))
    elif uscc not in enterprises:
        problems.append(
            Problem(
                "uscc",
                "SUBJECT_NOT_REGISTERED",
                "该统一社会信用代码的市场主体尚未登记入网 (no registered entity has this USCC)",
            )
        )
    department = _text(entry, "department").upper()
    if department not in departments:
        problems.append(
            Problem(
                "department",
                "DECIDER_NOT_REGISTERED",
                f"检查部门代码{department or '（空）'}不是已登记的部门 "
                "(the inspecting department is not a registered department)",
            )
        )
    on: datetime.date | None = None
    try:
        on = datetime.date.fromisoformat(_text(entry, "inspectedOn"))
    except ValueError:
        problems.append(Problem("inspectedOn", "INVALID_DATE", "检查日期须为 YYYY-MM-DD (a date)"))
    if on is not None and on > today:
        problems.append(
            Problem("inspectedOn", "FUTURE_DATE", "检查日期不能晚于今天 (not in the future)")
        )
    outcome = _OUTCOMES.get(_text(entry, "outcome"))
    if outcome is None:
        problems.append(
            Problem(
                "outcome",
                "INVALID_CHOICE",
                "检查结果须为：" + "、".join(o.label for o in InspectionOutcome),
            )
        )
    findings = _text(entry, "findings")
    if outcome in _PROBLEM_OUTCOMES and not findings:
        problems.append(
            Problem("findings", "REQUIRED", "发现问题的检查结果须写明检查情况 (findings)")
        )
    if problems or outcome is None or on is None:
        return None, problems
    return {
        "resultId": _text(entry, "resultId"),
        "uscc": uscc,
        "name": _text(entry, "name") or None,
        "department": department,
        "departmentName": departments[department],
        "documentNumber": _text(entry, "documentNumber"),
        "title": _text(entry, "title"),
        "inspectedOn": on,
        "outcome": outcome,
        "findings": findings or outcome.label,
        "task": _text(entry, "taskId") or None,
    }, []


def _read(path: Path) -> tuple[list[Any], str]:
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InspectionFileError(
            f"{path.name}: 不是 UTF-8 JSON (not UTF-8 JSON: {error})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != INSPECTION_FORMAT:
        raise InspectionFileError(
            f"{path.name}: format 须为 {INSPECTION_FORMAT!r} (not a 互联网+监管 results file)"
        )
    results = data.get("results")
    if not isinstance(results, list):
        raise InspectionFileError(f"{path.name}: 缺少 results 数组 (no results array)")
    return results, hashlib.sha256(raw).hexdigest()


async def import_inspection_results(
    db: Database, path: Path, *, today: datetime.date | None = None
) -> InspectionImportSummary:
    """Import a 互联网+监管 results file; the same file again changes nothing."""
    results, digest = _read(path)
    now = datetime.datetime.now(CHINA_TIME)
    today = today or now.date()
    at = now if today == now.date() else datetime.datetime.combine(today, now.timetz())
    system = INTERNET_SUPERVISION
    batch = batch_id(system.code, _KIND, digest)
    summary = InspectionImportSummary(batch, path.name)
    codes = [_text(e, "uscc").upper() for e in results if isinstance(e, dict)]
    [found] = await db.read(_REGISTERED, {"codes": codes})
    departments = {code: name for code, name in found["departments"]}
    enterprises = set(found["enterprises"])
    # The upper system is registered as a department (reference data); it records, as a feed does.
    actor = Actor(org_kind="DEPARTMENT", org_code=system.code, subject=f"exchange:{system.key}")
    await db.write(
        START,
        {
            "id": batch, "at": at, "kind": _KIND, "supplier": system.code,
            "supplierName": system.name, "contentHash": digest, "fileName": path.name,
            "format": "json", "encoding": "utf-8", "loaderVersion": LOADER_VERSION,
        },
    )  # fmt: skip
    for number, entry in enumerate(results, start=1):
        summary.rows_read += 1
        values, problems = _check(entry, today, departments, enterprises)

        async def work(
            tx: neo4j.AsyncManagedTransaction,
            values: dict[str, Any] | None = values,
            problems: list[Problem] = problems,
            number: int = number,
            entry: Any = entry,
        ) -> str:
            if values is None:
                cells = entry if isinstance(entry, dict) else {"value": entry}
                await write_quarantine(tx, batch, [RejectedRow(number, tuple(problems), cells)], at)
                return "QUARANTINED"
            return await _write(tx, values, number, batch, at, today, actor)

        outcome = await db.write_transaction(work, metadata={"app": "credithub-exchange"})
        if outcome == "QUARANTINED":
            summary.quarantined += 1
            for code in dict.fromkeys(p.code for p in problems):
                summary.quarantined_by_reason[code] += 1
        elif outcome == "LINKED":
            summary.linked += 1
        elif outcome == "UNCHANGED":
            summary.unchanged += 1
        else:
            summary.new += 1
            summary.in_draws += outcome == "IN_DRAW"
    await db.write(
        FINISH,
        {
            "id": batch,
            "summary": {
                "rowsRead": summary.rows_read, "new": summary.new, "linked": summary.linked,
                "unchanged": summary.unchanged, "quarantined": summary.quarantined,
                "quarantinedByReason": json.dumps(dict(summary.quarantined_by_reason)),
                "exchangeSource": system.key, "provenance": system.level.value,
            },
            "status": "COMPLETED",
            "at": at,
        },
    )  # fmt: skip
    return summary


async def _write(
    tx: neo4j.AsyncManagedTransaction,
    values: dict[str, Any],
    number: int,
    batch: str,
    at: datetime.datetime,
    today: datetime.date,
    actor: Actor,
) -> str:
    """One good result: linked, unchanged, or a new INSPECTION record (in a draw or not)."""
    system = INTERNET_SUPERVISION
    key = f"{RecordKind.INSPECTION.value}|{values['department']}|{values['documentNumber']}"
    held = await single(tx, _HELD, {"key": key})
    if held is not None:
        if held["source"] == system.key:
            return "UNCHANGED"
        linked = await single(
            tx,
            _LINK,
            {
                "element": held["element"], "system": system.code, "batch": batch,
                "row": number, "at": at, "level": system.level.value,
            },
        )  # fmt: skip
        return "LINKED" if linked and linked["created"] else "UNCHANGED"
    outcome: InspectionOutcome = values["outcome"]
    record = await create_decision_record(
        tx,
        kind=RecordKind.INSPECTION,
        provider=values["department"],
        provider_name=values["departmentName"],
        document_number=values["documentNumber"],
        subject=values["uscc"],
        subject_name=values["name"],
        title=f"{values['title']}：{outcome.label}",
        content=f"检查事项：{values['title']}；检查结果：{outcome.label}；"
        f"检查情况：{values['findings']}（“互联网+监管”系统记录）",
        severity=None,
        decided_on=values["inspectedOn"],
        valid_to=None,
        actor=actor,
    )
    await tx.run(
        _STAMP,
        {
            "element": record["element"],
            "props": {
                "exchangeSource": system.key, "provenance": system.level.value,
                "externalId": values["resultId"], "batchId": batch, "sourceRow": number,
                "outcome": outcome.value,
            },
        },
    )  # fmt: skip
    draw = await single(
        tx,
        _DRAW,
        {
            "department": values["department"], "drawn": InspectionTaskStatus.DRAWN.value,
            "task": values["task"], "uscc": values["uscc"], "element": record["element"],
            "outcome": outcome.value, "findings": values["findings"],
            "on": values["inspectedOn"].isoformat(), "who": actor.subject,
            "today": today.isoformat(), "source": system.key,
            "completed": InspectionTaskStatus.COMPLETED.value,
        },
    )  # fmt: skip
    return "IN_DRAW" if draw is not None else "NEW"
