"""The measures catalogue (联合奖惩措施清单) and the commitment item catalogue, from their files.

Measures are keyed by code; a measure whose name, category, basis, business, implementing
department or catalogue version changed gets an Event holding its previous values (the
catalogue's history), and an identical one is left alone. Commitment items go through the
lifecycle (graph/lifecycle/commitments.py `save_item`), which keeps their revisions and events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import neo4j

from graph.database import Database
from graph.lifecycle.base import Actor, add_event, single
from graph.lifecycle.commitments import save_item
from graph.model import Label, OrganisationKind
from loaders.reference.files import Problem, ReferenceFileError
from loaders.reference.models import CommitmentItemEntry, MeasureCatalogueFile, MeasureEntry
from loaders.reference.organisations import (
    ImportSummary,
    find_organisations,
)

__all__ = ["import_commitment_items", "import_measures"]

_MEASURE_FIELDS: Final = (
    "name",
    "category",
    "basis",
    "business",
    "implementedBy",
    "catalogueTitle",
    "catalogueVersion",
    "basisDocuments",
)


async def _one_code(
    db: Database, wanted: str, kinds: list[OrganisationKind], file: str, row: int, field: str
) -> tuple[str | None, Problem | None]:
    found = await find_organisations(db, wanted, kinds=kinds)
    if len(found) == 1:
        return found[0].code, None
    if not found:
        why = f"未找到机构 {wanted!r} (no registered organisation of that name or code)"
    else:
        names = "; ".join(f"{o.name} ({o.code})" for o in found)
        why = f"{wanted!r} 对应多个机构，请填写代码 (ambiguous, use the code): {names}"
    return None, Problem(file, row, field, why)


async def import_measures(
    db: Database,
    catalogue: MeasureCatalogueFile,
    measures: Sequence[MeasureEntry],
    *,
    actor: Actor,
    today: date,
    file: str = "measures.toml",
) -> ImportSummary:
    """Write the catalogue's measures in one transaction; the same file again changes nothing.

    `implemented_by` names a registered department (code, name or short name); a name that
    matches none or several refuses the whole file, naming the row.
    """
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for number, measure in enumerate(measures, start=1):
        implementer = None
        if measure.implemented_by:
            implementer, problem = await _one_code(
                db,
                measure.implemented_by,
                [OrganisationKind.DEPARTMENT, OrganisationKind.CREDIT_OFFICE],
                file,
                number,
                "implemented_by",
            )
            if problem:
                problems.append(problem)
        documents = [
            f"{d.reference}：{d.title}"
            for d in catalogue.basis_document
            if d.reference in measure.basis
        ]
        rows.append(
            {
                "code": measure.code,
                "name": measure.name,
                "category": measure.category.value,
                "basis": measure.basis,
                "business": measure.business,
                "implementedBy": implementer,
                "catalogueTitle": catalogue.title,
                "catalogueVersion": catalogue.version,
                "basisDocuments": documents,
            }
        )
    if problems:
        raise ReferenceFileError(problems)

    async def work(tx: neo4j.AsyncManagedTransaction) -> ImportSummary:
        summary = ImportSummary()
        for row in rows:
            found = await single(
                tx,
                "MATCH (m:$($label) {code: $code}) "
                "RETURN properties(m) AS props, elementId(m) AS element",
                {"label": Label.MEASURE.value, "code": row["code"]},
            )
            before = found["props"] if found else None
            if before is not None and all(before.get(k) == row.get(k) for k in _MEASURE_FIELDS):
                summary.unchanged += 1
                continue
            written = await single(
                tx,
                "MERGE (m:$($label) {code: $code}) SET m += $props, "
                "m.updatedOn = date($today) RETURN elementId(m) AS element",
                {
                    "label": Label.MEASURE.value,
                    "code": row["code"],
                    "props": row,
                    "today": today.isoformat(),
                },
            )
            assert written is not None
            previous = {k: before.get(k) for k in _MEASURE_FIELDS} if before else None
            await add_event(
                tx,
                actor,
                "MEASURE_UPDATED" if before else "MEASURE_REGISTERED",
                [written["element"]],
                today=today,
                from_state=before.get("catalogueVersion") if before else None,
                to_state=row["catalogueVersion"],
                detail={"code": row["code"], "previous": previous},
            )
            if before:
                summary.updated += 1
                summary.changes.append(f"变更 (changed) {row['code']} {row['name']}")
            else:
                summary.created += 1
                summary.changes.append(f"新增 (registered) {row['code']} {row['name']}")
        return summary

    return await db.write_transaction(work)


async def import_commitment_items(
    db: Database,
    items: Sequence[CommitmentItemEntry],
    *,
    actor: Actor,
    today: date,
    file: str = "commitment_items.toml",
) -> ImportSummary:
    """Save every item through the commitment lifecycle; the same file again changes nothing.

    `offered_by` names a registered department or association (code, name or short name).
    """
    problems: list[Problem] = []
    offerers: list[str] = []
    for number, item in enumerate(items, start=1):
        code, problem = await _one_code(
            db,
            item.offered_by,
            [OrganisationKind.DEPARTMENT, OrganisationKind.ASSOCIATION],
            file,
            number,
            "offered_by",
        )
        if problem:
            problems.append(problem)
        offerers.append(code or "")
    if problems:
        raise ReferenceFileError(problems)
    summary = ImportSummary()
    for item, offerer in zip(items, offerers, strict=True):
        before = await db.read(
            "MATCH (i:$($label) {code: $code}) RETURN i.revision AS revision",
            {"label": Label.COMMITMENT_ITEM.value, "code": item.code},
        )
        saved = await save_item(
            db,
            actor,
            offerer,
            code=item.code,
            name=item.name,
            template=item.template,
            active=item.active,
            today=today,
        )
        if not before:
            summary.created += 1
            summary.changes.append(f"新增 (registered) {item.code} {item.name}")
        elif before[0]["revision"] != saved.revision:
            summary.updated += 1
            summary.changes.append(f"变更 (changed) {item.code} {item.name}")
        else:
            summary.unchanged += 1
    return summary
