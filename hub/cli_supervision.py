"""`credithub assessment`: the yearly department assessment report (考核评估, 七(四)) as a file."""

from __future__ import annotations

from pathlib import Path

import click

from graph.lifecycle.base import china_today
from hub.assessment.figures import yearly_report
from hub.assessment.html import render_html
from hub.assessment.xlsx import render_xlsx
from hub.cli_support import settings_or_exit, with_db

__all__ = ["register_supervision_commands"]


@click.command(name="assessment")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="The year assessed.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["html", "xlsx"]),
    default="html",
    show_default=True,
    help="A printable page, or a workbook with one sheet per family of figures.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Where to write it (default: assessment-YEAR.html / .xlsx here).",
)
def assessment_command(year: int, file_format: str, output: Path | None) -> None:
    """Write the year's 考核评估 report: every department's figures, due 12-25."""
    settings = settings_or_exit()
    today = china_today()
    report = with_db(settings, lambda db: yearly_report(db, year, today=today))
    target = output or Path(f"assessment-{year}.{file_format}")
    if file_format == "xlsx":
        target.write_bytes(render_xlsx(report))
    else:
        target.write_text(render_html(report), encoding="utf-8")
    click.echo(
        f"{report.title}: {len(report.departments)} 个部门，报送截止 {report.due_on.isoformat()}"
        f" → {target}"
    )


def register_supervision_commands(group: click.Group) -> None:
    """Add the supervision and assessment commands to the `credithub` group."""
    group.add_command(assessment_command)
