"""Pushing evaluation results as notices (outboxes, graph/lifecycle/notices.py), set-based.

- After a whole run, every department (and the credit office) gets one summary notice: the
  run, counts by grade, how many grades changed.
- For every subject whose grade changed, each bank watching it (贷后监测) while it still holds
  the subject's consent gets one notice, and each association the subject is a member of gets
  one. A grade is not public, so nobody else is told, and a bank whose consent has lapsed is
  not told the new grade.
Each is one statement whatever the number of subjects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import neo4j

from graph.lifecycle.base import china_today, rows, single
from graph.lifecycle.memberships import current_membership
from graph.lifecycle.notices import ADMIN_RECIPIENT, notify
from graph.model import CreditGrade, Label, NoticeKind, Rel


@dataclass(frozen=True)
class GradeChange:
    """A subject whose current grade changed."""

    uscc: str
    name: str | None
    before: CreditGrade
    after: CreditGrade

    def title(self) -> str:
        """The notice title people read."""
        return (
            f"{self.name or self.uscc}公共信用综合评价等级由{self.before.value}级"
            f"（{self.before.label}）变为{self.after.value}级（{self.after.label}）"
        )


_TO_WATCHERS: Final = (
    "UNWIND $changes AS c "
    "MATCH (w:Watch {subject: c.uscc, active: true}) "
    "WHERE EXISTS { MATCH (consent:Consent {grantee: w.watcher})"
    "-[:GRANTED_BY]->(:Enterprise {uscc: c.uscc}) "
    "WHERE consent.revokedAt IS NULL AND consent.expiresAt > datetime() } "
    "CREATE (n:Notice {id: 'NT-' + randomUUID(), recipient: w.watcher, kind: $kind, "
    "title: c.title, body: $body, subjectCode: c.uscc, ref: $ref, createdAt: datetime()}) "
    "RETURN count(n) AS sent"
)

_TO_ASSOCIATIONS: Final = (
    "UNWIND $changes AS c "
    # Current members only: an ended membership keeps its relationship as history.
    f"MATCH (:{Label.ENTERPRISE} {{uscc: c.uscc}})-[m:{Rel.MEMBER_OF}]->(a:{Label.ASSOCIATION}) "
    f"WHERE {current_membership('m', 'date($today)')} "
    "CREATE (n:Notice {id: 'NT-' + randomUUID(), recipient: a.code, kind: $kind, "
    "title: c.title, body: $body, subjectCode: c.uscc, ref: $ref, createdAt: datetime()}) "
    "RETURN count(n) AS sent"
)

CHANGE_BODY: Final = (
    "评价等级不向社会公开，仅供贵单位在授权或会员服务范围内使用；"
    "评价依据可通过 creditEvaluation 查询。"
)


async def announce_changes(
    tx: neo4j.AsyncManagedTransaction,
    changes: list[GradeChange],
    *,
    ref: str,
    today: date | None = None,
) -> int:
    """Tell watching banks (with consent) and associations of members (current on `today`,
    the Beijing date by default); return notices sent."""
    if not changes:
        return 0
    payload = [{"uscc": c.uscc, "title": c.title()} for c in changes]
    sent = 0
    for cypher in (_TO_WATCHERS, _TO_ASSOCIATIONS):
        row = await single(
            tx,
            cypher,
            {
                "changes": payload,
                "kind": NoticeKind.GRADE_CHANGED.value,
                "body": CHANGE_BODY,
                "ref": ref,
                "today": (today or china_today()).isoformat(),
            },
        )
        sent += int(row["sent"]) if row else 0
    return sent


async def announce_run(
    tx: neo4j.AsyncManagedTransaction,
    *,
    run_id: str,
    model_version: str,
    counts: dict[CreditGrade, int],
    changed: int,
) -> int:
    """One summary notice to every department and to the credit office."""
    departments = await rows(tx, "MATCH (d:Department) RETURN d.code AS code", {})
    total = sum(counts.values())
    by_grade = "，".join(f"{g.value}级（{g.label}）{counts.get(g, 0)}户" for g in CreditGrade)
    return await notify(
        tx,
        [*(row["code"] for row in departments), ADMIN_RECIPIENT],
        NoticeKind.EVALUATION_RESULTS,
        f"公共信用综合评价结果已更新：{total}户市场主体，等级变化{changed}户",
        ref=run_id,
        body=(
            f"评价批次 {run_id}（模型版本 {model_version}）：{by_grade}；等级变化{changed}户。"
            "评价结果用于分级分类监管，不向社会公开。"
        ),
    )
