"""The report's figures as people read them: the Chinese headers and cell values, shared by the
HTML and the XLSX renderings so both say the same thing in the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from hub.assessment.figures import DeadlineFigures, DepartmentAssessment, Ranked

MISSING: Final = "—"


def share(value: float | None) -> str:
    """A share as a percentage with one decimal, or the missing mark."""
    return MISSING if value is None else f"{value:.1%}"


SUMMARY: Final[tuple[tuple[str, Callable[[DepartmentAssessment], int | str]], ...]] = (
    ("部门", lambda d: d.name),
    ("统一社会信用代码", lambda d: d.code),
    ("报送信用记录(条)", lambda d: d.records_total),
    ("双公示应公示(条)", lambda d: d.publication_total),
    ("7个工作日内公示率", lambda d: share(d.publication_on_time_share)),
    ("受理异议(件)", lambda d: d.objections.received),
    ("异议按时办结率", lambda d: share(d.objections.on_time_share)),
    ("受理信用修复(件)", lambda d: d.repairs.received),
    ("修复按时办结率", lambda d: share(d.repairs.on_time_share)),
    ("实施惩戒措施(项)", lambda d: d.sanctions_imposed),
    ("反馈措施实施(次)", lambda d: d.measure_applications),
    ("双随机抽查任务(个)", lambda d: d.inspection_tasks),
    ("抽取检查对象(户)", lambda d: d.objects_drawn),
    ("录入抽查结果(户)", lambda d: d.results_recorded),
)
"""Columns of the summary table: one row per department."""

DEADLINE_COLUMNS: Final = ("受理", "按时办结", "逾期办结", "办理中", "逾期未办结", "按时办结率")


def deadline_cells(f: DeadlineFigures) -> tuple[int | str, ...]:
    """One process's figures in `DEADLINE_COLUMNS` order."""
    return (
        f.received,
        f.decided_on_time,
        f.decided_late,
        f.pending,
        f.pending_overdue,
        share(f.on_time_share),
    )


PUBLICATION_COLUMNS: Final = ("应公示", "按时公示", "逾期公示", "按时公示率")


def publication_cells(d: DepartmentAssessment) -> tuple[int | str, ...]:
    """双公示 timeliness in `PUBLICATION_COLUMNS` order."""
    return (
        d.publication_total,
        d.publication_on_time,
        d.publication_late,
        share(d.publication_on_time_share),
    )


MEASURE_COLUMNS: Final = ("实施惩戒措施(项)", "反馈措施实施(次)")

INSPECTION_COLUMNS: Final = (
    "抽查任务",
    "已抽取任务",
    "抽取检查对象",
    "录入结果",
    "结果录入率",
    "发现问题",
)


def inspection_cells(d: DepartmentAssessment) -> tuple[int | str, ...]:
    """双随机 figures in `INSPECTION_COLUMNS` order."""
    return (
        d.inspection_tasks,
        d.inspection_tasks_drawn,
        d.objects_drawn,
        d.results_recorded,
        share(d.results_share),
        d.problems_found,
    )


RANKING_COLUMNS: Final = (
    "名次",
    "部门",
    "统一社会信用代码",
    "应办事项(件)",
    "按时办理(件)",
    "综合按时率",
)
"""The ranking table: 综合按时率 pools publications and decided objections and repairs."""

NOT_RANKED: Final = "不参与排名"


def ranking_cells(ranked: Ranked) -> tuple[int | str, ...]:
    """One department's place in `RANKING_COLUMNS` order."""
    d = ranked.department
    return (
        NOT_RANKED if ranked.rank is None else ranked.rank,
        d.name,
        d.code,
        d.due_items,
        d.timely_items,
        share(d.timely_share),
    )


# Chart titles and axes, the same in the HTML's SVG and the workbook's native charts.
PUBLICATION_CHART: Final = "各部门双公示7个工作日内公示率"
DEADLINE_CHART: Final = "各部门异议处理、信用修复按时办结率"
GRADE_CHART: Final = "公共信用综合评价等级分布（当前）"
RANKING_CHART: Final = "各部门综合按时率排名"
DEPARTMENT_AXIS: Final = "部门"
GRADE_AXIS: Final = "评价等级"
ENTERPRISE_AXIS: Final = "企业数(户)"
OBJECTION_SERIES: Final = "异议按时办结率"
REPAIR_SERIES: Final = "修复按时办结率"
PUBLICATION_SERIES: Final = "7个工作日内公示率"
TIMELY_SERIES: Final = "综合按时率"
