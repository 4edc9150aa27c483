"""The public credit evaluation API (公共信用综合评价, 五(一)): grades, their explanation, runs.

The grade is not public (DOMAIN.md). Who may read an enterprise's evaluation is the sharing
catalogue's `operations.readEvaluation`: `kinds` says which consumer kinds may ask at all and
`subject` the per-subject relation of each, judged by the one policy (authz/policy.py) — ``any``
(departments, the credit office), ``own`` (an enterprise: itself, PIPL Art. 24 — an automated
grade is explained on request), ``consent`` (a bank or credit agency: subjects that granted it
consent, checked exactly as the graph's conditional fields are), ``member`` (an association:
its current members). A refusal names the rule and carries a stable code.

The explanation holds only what the evaluation counted: published records, list entries in
force, filed annual reports, verified voluntary items, related enterprises on a black list —
public-class facts that name no person (graph/evaluation/facts.py). Every read is an audit
entry naming the subject.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

import strawberry

from authz.policy import Decision, Subject
from graph.evaluation import reading
from graph.evaluation.run import evaluate_all
from graph.identifiers import validate_uscc
from graph.model import CreditGrade, RecordKind
from hub.api.lifecycle_support import decide, permission, refuse, require
from hub.api.query import GraphInfo
from hub.errors import ClientError, Forbidden, InvalidArgument, InvalidUscc

COMPUTED_TYPES = (
    "CreditEvaluation",
    "EvaluationIndicator",
    "EvaluationSource",
    "EvaluationFamilyScore",
    "EvaluationRule",
    "EvaluationRunView",
    "GradeCount",
)
"""Types of this module: answered by hub code under operations.readEvaluation & co."""

READ_OPERATION = "readEvaluation"
_RECORD_KINDS = frozenset(kind.label for kind in RecordKind)
MAX_HISTORY = 100


# -- refusals --------------------------------------------------------------------------------
class EvaluationNotShared(ClientError):
    """The consumer's kind may ask, but not about this subject."""

    code: ClassVar[str] = "EVALUATION_NOT_SHARED"
    rule: ClassVar[str] = ""
    why: ClassVar[str] = ""

    def __init__(self, citation: str) -> None:
        super().__init__(f"{self.why} ({citation})")


class NotOwnEvaluation(EvaluationNotShared):
    """An enterprise reads its own evaluation only."""

    code = "NOT_OWN_SUBJECT"
    rule = "own"
    why = "市场主体只能查询本企业的评价结果 (an enterprise may read its own evaluation only)"


class NoConsentForEvaluation(EvaluationNotShared):
    """A bank or credit agency needs the subject's consent."""

    code = "NO_CONSENT"
    rule = "consent"
    why = (
        "该市场主体未向本机构授权查询（授权用途须与本次查询用途一致） (the enterprise has not "
        "granted your organisation consent for this purpose)"
    )


class NotAMember(EvaluationNotShared):
    """An association reads its members' evaluations only."""

    code = "NOT_A_MEMBER"
    rule = "member"
    why = "行业协会商会只能查询本会会员的评价结果 (an association may read its members' only)"


_REFUSALS: dict[str, type[EvaluationNotShared]] = {
    NotOwnEvaluation.rule: NotOwnEvaluation,
    NoConsentForEvaluation.rule: NoConsentForEvaluation,
    NotAMember.rule: NotAMember,
}


def _uscc(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise InvalidArgument("uscc", "must not be empty")
    problems = validate_uscc(code)
    if problems:
        raise InvalidUscc("uscc", [p.reason for p in problems])
    return code


async def check_subject(info: GraphInfo, uscc: str) -> Decision:
    """Refuse, naming the catalogue rule, unless the policy lets the consumer read `uscc`'s
    evaluation (operations.readEvaluation: `kinds`, then the kind's `subject` relation)."""
    consumer = info.context.consumer
    kind_level = permission(info, READ_OPERATION)
    if not kind_level.allowed:
        raise Forbidden(
            f"{consumer.org_kind.label}不能查询公共信用综合评价结果，评价等级不向社会公开 "
            f"(the grade is not public: {kind_level.citation})"
        )
    decision = await decide(info, READ_OPERATION, Subject.enterprise(uscc))
    if decision.allowed:
        return decision
    refusal = _REFUSALS.get(decision.conditions[0] if decision.conditions else "")
    if refusal is None:
        refuse(decision)
    raise refusal(decision.citation)


# -- types -----------------------------------------------------------------------------------
@strawberry.type(description="A record, list entry, annual report or item behind an indicator")
class EvaluationSource:
    id: strawberry.ID = strawberry.field(description="Record uid, list entry id, item id …")
    kind: str = strawberry.field(description="What it is, e.g. 行政处罚, 黑名单, 年度报告")
    title: str


@strawberry.type(description="One indicator that applied: the fact's value and the points")
class EvaluationIndicator:
    family: str = strawberry.field(description="Indicator family code, e.g. COMPLIANCE")
    family_name: str = strawberry.field(description="指标类别, e.g. 合规信息")
    code: str
    name: str
    value: float = strawberry.field(description="The fact's value (a count, years, 万元 …)")
    points: float = strawberry.field(description="Points it added (negative: deducted)")
    sources: list[EvaluationSource] = strawberry.field(description="What it rests on (capped)")
    more_sources: int = strawberry.field(description="Further sources not listed")


@strawberry.type(description="A family's points after the family's bounds")
class EvaluationFamilyScore:
    code: str
    name: str
    points: float


@strawberry.type(description="A hard rule (一票否决) that held and capped the grade")
class EvaluationRule:
    code: str
    name: str
    max_grade: CreditGrade


@strawberry.type(
    description="A public credit comprehensive evaluation (公共信用综合评价); not public"
)
class CreditEvaluation:
    id: strawberry.ID
    uscc: str
    enterprise_name: str | None
    grade: CreditGrade
    grade_label: str = strawberry.field(description="优 / 良 / 中 / 差")
    grade_by_score: CreditGrade | None = strawberry.field(
        description="The grade the score alone gives, before hard rules"
    )
    score: float
    evaluated_on: datetime.date
    run_id: strawberry.ID
    model_version: str
    current: bool
    reason: str | None = strawberry.field(
        description="Why a single-subject refresh was made (e.g. 信用修复后重新评价)"
    )
    previous_grade: CreditGrade | None
    indicators: list[EvaluationIndicator]
    families: list[EvaluationFamilyScore]
    rules: list[EvaluationRule]

    @classmethod
    def of(cls, stored: reading.StoredEvaluation) -> CreditEvaluation:
        """From the stored evaluation."""
        return cls(
            id=strawberry.ID(stored.id),
            uscc=stored.uscc,
            enterprise_name=stored.enterprise_name,
            grade=stored.grade,
            grade_label=stored.grade.label,
            grade_by_score=stored.grade_by_score,
            score=stored.score,
            evaluated_on=stored.evaluated_on,
            run_id=strawberry.ID(stored.run_id),
            model_version=stored.model_version,
            current=stored.current,
            reason=stored.reason,
            previous_grade=stored.previous_grade,
            indicators=[
                EvaluationIndicator(
                    family=i.family,
                    family_name=i.family_name,
                    code=i.code,
                    name=i.name,
                    value=i.value,
                    points=i.points,
                    sources=[
                        EvaluationSource(id=strawberry.ID(s.id), kind=s.kind, title=s.title)
                        for s in i.sources
                    ],
                    more_sources=i.more_sources,
                )
                for i in stored.indicators
            ],
            families=[
                EvaluationFamilyScore(code=f.code, name=f.name, points=f.points)
                for f in stored.families
            ],
            rules=[
                EvaluationRule(code=r.code, name=r.name, max_grade=r.max_grade)
                for r in stored.rules
            ],
        )


@strawberry.type(description="How many subjects have a grade")
class GradeCount:
    grade: CreditGrade
    label: str
    count: int


def _counts(counts: dict[CreditGrade, int]) -> list[GradeCount]:
    return [GradeCount(grade=g, label=g.label, count=counts.get(g, 0)) for g in CreditGrade]


@strawberry.type(description="An evaluation run: the whole graph, or one subject's refresh")
class EvaluationRunView:
    id: strawberry.ID
    scope: str = strawberry.field(description="ALL (whole graph) or SUBJECT (a refresh)")
    reason: str | None
    subject: str | None = strawberry.field(description="SUBJECT runs: the enterprise")
    model_version: str
    evaluated_on: datetime.date
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    enterprises: int
    current: bool = strawberry.field(description="The whole run whose grades are current")
    changed: int = strawberry.field(description="Subjects whose grade changed")
    seconds: float | None
    grades: list[GradeCount]

    @classmethod
    def of(cls, run: reading.StoredRun) -> EvaluationRunView:
        """From the stored run."""
        return cls(
            id=strawberry.ID(run.id),
            scope=run.scope,
            reason=run.reason,
            subject=run.subject,
            model_version=run.model_version,
            evaluated_on=run.evaluated_on,
            started_at=run.started_at,
            finished_at=run.finished_at,
            enterprises=run.enterprises,
            current=run.current,
            changed=run.changed,
            seconds=run.seconds,
            grades=_counts(run.grade_counts),
        )


def _released(info: GraphInfo, evaluations: list[reading.StoredEvaluation]) -> None:
    released = info.context.released
    released.update({"CreditEvaluation.grade", "CreditEvaluation.indicators"})
    # Record titles shown as sources were served: a later withdrawal must reach this reader.
    if any(s.kind in _RECORD_KINDS for e in evaluations for i in e.indicators for s in i.sources):
        released.add("Record.title")


@strawberry.type
class EvaluationQuery:
    @strawberry.field(
        description="An enterprise's current public credit evaluation with its explanation "
        "(null: 未评价). Not public: departments; the enterprise itself; a bank or credit "
        "agency with the enterprise's consent; an association for its members"
    )
    async def credit_evaluation(self, info: GraphInfo, uscc: str) -> CreditEvaluation | None:
        context = info.context
        code = _uscc(uscc)
        await check_subject(info, code)
        found = await reading.current_evaluation(context.db, code)
        context.audit_action(
            "read_evaluation", subjects={code}, detail=found.id if found else "未评价"
        )
        if found is None:
            return None
        _released(info, [found])
        return CreditEvaluation.of(found)

    @strawberry.field(
        description="An enterprise's evaluations, current first, then newest first (history "
        "of runs and refreshes); same rules as creditEvaluation"
    )
    async def credit_evaluation_history(
        self, info: GraphInfo, uscc: str, first: int = 20
    ) -> list[CreditEvaluation]:
        context = info.context
        if not 1 <= first <= MAX_HISTORY:
            raise InvalidArgument("first", f"must be 1..{MAX_HISTORY}")
        code = _uscc(uscc)
        await check_subject(info, code)
        found = await reading.evaluation_history(context.db, code, limit=first)
        context.audit_action("read_evaluation_history", subjects={code}, detail=str(len(found)))
        _released(info, found)
        return [CreditEvaluation.of(e) for e in found]

    @strawberry.field(
        description="Evaluation runs, newest first (departments and the credit office); "
        "single-subject refreshes only with includeRefreshes"
    )
    async def evaluation_runs(
        self, info: GraphInfo, first: int = 20, include_refreshes: bool = False
    ) -> list[EvaluationRunView]:
        require(info, "readEvaluationRuns")
        if not 1 <= first <= MAX_HISTORY:
            raise InvalidArgument("first", f"must be 1..{MAX_HISTORY}")
        runs = await reading.evaluation_runs(
            info.context.db, limit=first, include_refreshes=include_refreshes
        )
        return [EvaluationRunView.of(run) for run in runs]

    @strawberry.field(
        description="Grade distribution of a run (by id), or with no runId of the grades "
        "current now (the last run and any refreshes since); departments and the credit office"
    )
    async def grade_distribution(
        self, info: GraphInfo, run_id: strawberry.ID | None = None
    ) -> list[GradeCount]:
        require(info, "readEvaluationRuns")
        if run_id is None:
            return _counts(await reading.current_grade_counts(info.context.db))
        run = await reading.evaluation_run(info.context.db, str(run_id))
        if run is None:
            raise InvalidArgument("runId", "no such evaluation run")
        return _counts(run.grade_counts)


@strawberry.type
class EvaluationMutation:
    @strawberry.mutation(
        description="As the credit office: evaluate every enterprise now as a new run; "
        "departments, watching banks and associations are notified"
    )
    async def run_evaluation(self, info: GraphInfo) -> EvaluationRunView:
        context = info.context
        require(info, "runEvaluation")
        summary = await evaluate_all(context.db, today=context.today())
        context.audit_action("run_evaluation", subjects=set(), detail=summary.run_id)
        run = await reading.evaluation_run(context.db, summary.run_id)
        assert run is not None
        return EvaluationRunView.of(run)
