"""`credithub evaluate`: the public credit comprehensive evaluation (公共信用综合评价)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click

from graph.database import Database
from graph.evaluation.model import IndicatorModel, IndicatorModelError, default_model, load_model
from graph.evaluation.run import EvaluationSettings, RunSummary, evaluate_all, evaluate_subject
from graph.evaluation.scoring import Scored
from graph.lifecycle.base import china_today
from graph.model import CreditGrade
from hub.cli_orgs import enterprise_code_or_exit
from hub.cli_support import settings_or_exit, with_db

__all__ = ["register_evaluation_commands"]

MANUAL_REASON = "手动重新评价"


def render_summary(summary: RunSummary) -> str:
    """The run as people read it."""
    total = summary.enterprises or 1
    lines = [
        f"公共信用综合评价 {summary.run_id}（模型 {summary.model_version}，"
        f"评价日 {summary.evaluated_on.isoformat()}）",
        f"评价主体 {summary.enterprises} 户",
    ]
    for grade in CreditGrade:
        count = summary.grade_counts.get(grade, 0)
        lines.append(f"  {grade.value}级（{grade.label}）{count:>8} 户  {count / total:6.1%}")
    lines += [
        f"等级变化 {summary.changed} 户；首次评价 {summary.first_evaluated} 户",
        f"通知 {summary.notices} 条",
        f"用时 {summary.seconds:.1f} 秒",
    ]
    return "\n".join(lines)


def render_subject(scored: Scored, model: IndicatorModel) -> str:
    """One subject's grade and why."""
    lines = [
        f"{scored.uscc}：{scored.grade.value}级（{scored.grade.label}），"
        f"{scored.score:g} 分（模型 {model.version}）"
    ]
    for indicator in scored.indicators:
        lines.append(
            f"  [{indicator.family_name}] {indicator.code} {indicator.name}："
            f"{indicator.value:g} → {indicator.points:+g}"
        )
        for source in indicator.sources:
            lines.append(f"      {source.kind} {source.id} {source.title}")
        if indicator.more_sources:
            lines.append(f"      …另有 {indicator.more_sources} 条")
    for rule in scored.rules:
        lines.append(f"  一票否决 {rule.code}：{rule.name}")
    return "\n".join(lines)


@click.command(name="evaluate")
@click.option("--uscc", default=None, help="Re-evaluate one enterprise only.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Indicator model TOML (default: graph/evaluation/indicator_model.toml).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Evaluate as of this day (default: today, Beijing time).",
)
@click.option("--batch-size", type=click.IntRange(100, 50_000), default=5000, show_default=True)
def evaluate_command(
    uscc: str | None, model_path: Path | None, as_of: datetime | None, batch_size: int
) -> None:
    """Evaluate every enterprise (a new run), or one with --uscc; print the outcome."""
    try:
        model = load_model(model_path) if model_path else default_model()
    except IndicatorModelError as error:
        raise click.ClickException(str(error)) from None
    settings = settings_or_exit()
    today = as_of.date() if as_of is not None else china_today()
    if uscc:
        code = enterprise_code_or_exit(settings, uscc)
        started = time.perf_counter()

        async def one(db: Database) -> Scored | None:
            return await evaluate_subject(db, code, today=today, reason=MANUAL_REASON, model=model)

        scored = with_db(settings, one)
        if scored is None:
            raise click.ClickException(f"信用信息库中没有统一社会信用代码为 {code} 的市场主体")
        click.echo(render_subject(scored, model))
        click.echo(f"用时 {time.perf_counter() - started:.2f} 秒")
        return

    async def whole(db: Database) -> RunSummary:
        return await evaluate_all(
            db, today=today, model=model, settings=EvaluationSettings(batch_size=batch_size)
        )

    click.echo(render_summary(with_db(settings, whole)))


def register_evaluation_commands(group: click.Group) -> None:
    """Add the evaluation commands to the `credithub` group."""
    group.add_command(evaluate_command)
