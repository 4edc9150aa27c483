"""The yearly assessment report as one printable HTML page (Chinese, no script, no external
resources), for a person to read and file; its charts are inline SVG (hub/assessment/charts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hub.assessment import charts, labels
from hub.assessment.figures import AssessmentReport

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Chart:
    """One figure of the report: its anchor, the SVG and the caption under it."""

    key: str
    svg: Markup
    caption: str


def report_charts(report: AssessmentReport) -> list[Chart]:
    """The report's charts: publication timeliness, objection and repair on-time rates, the
    grade distribution and the ranking — drawn from the same figures as the tables."""
    # Rank order, as in the workbook's chart data: the best first, in every chart.
    ranked = report.ranking
    departments = [r.department for r in ranked]
    names = [d.name for d in departments]
    found = [
        Chart(
            "publication",
            charts.bar_chart(
                "chart-publication",
                labels.PUBLICATION_CHART,
                names,
                [
                    charts.Series(
                        labels.PUBLICATION_SERIES,
                        tuple(d.publication_on_time_share for d in departments),
                    )
                ],
                category_axis=labels.DEPARTMENT_AXIS,
                value_axis=labels.PUBLICATION_SERIES,
                maximum=1.0,
            ),
            "应公示的行政许可、行政处罚中，决定后7个工作日内首次公示的比例；“—”表示本年度无应公示信息。",
        ),
        Chart(
            "deadlines",
            charts.bar_chart(
                "chart-deadlines",
                labels.DEADLINE_CHART,
                names,
                [
                    charts.Series(
                        labels.OBJECTION_SERIES,
                        tuple(d.objections.on_time_share for d in departments),
                    ),
                    charts.Series(
                        labels.REPAIR_SERIES, tuple(d.repairs.on_time_share for d in departments)
                    ),
                ],
                category_axis=labels.DEPARTMENT_AXIS,
                value_axis="按时办结率",
                maximum=1.0,
            ),
            "本年度受理并已办结的异议、信用修复申请中按时办结的比例；“—”表示尚无办结事项。",
        ),
    ]
    if report.grades:
        found.append(
            Chart(
                "grades",
                charts.column_chart(
                    "chart-grades",
                    labels.GRADE_CHART,
                    [g.title for g in report.grades],
                    [float(g.enterprises) for g in report.grades],
                    category_axis=labels.GRADE_AXIS,
                    value_axis=labels.ENTERPRISE_AXIS,
                    colours=charts.GRADE_COLOURS,
                ),
                f"现行公共信用综合评价结果，共 {report.graded_enterprises} 户企业；"
                "仅统计各等级户数，不公开任何企业的等级。",
            )
        )
    found.append(
        Chart(
            "ranking",
            charts.bar_chart(
                "chart-ranking",
                labels.RANKING_CHART,
                [f"{r.rank}. {r.department.name}" if r.rank else r.department.name for r in ranked],
                [
                    charts.Series(
                        labels.TIMELY_SERIES, tuple(r.department.timely_share for r in ranked)
                    )
                ],
                category_axis=f"{labels.DEPARTMENT_AXIS}（按名次）",
                value_axis=labels.TIMELY_SERIES,
                maximum=1.0,
            ),
            "综合按时率 = 按时公示及按时办结的事项 ÷ 应公示及已办结的事项；并列者名次相同，"
            "无应办事项的部门不参与排名。",
        )
    )
    return found


def render_html(report: AssessmentReport) -> str:
    """The report as an HTML document."""
    return _ENV.get_template("assessment.html").render(
        r=report, labels=labels, charts=report_charts(report)
    )
