"""`credithub deadline-report`: objections and repair applications against their deadlines;
`credithub expire-lists`: the daily job ending list entries past their period."""

from __future__ import annotations

import click

from graph.lifecycle.base import china_today
from graph.lifecycle.deadlines import deadline_report, render
from graph.lifecycle.list_removal import expire_list_entries
from hub.cli_orgs import resolve_or_exit
from hub.cli_support import settings_or_exit, with_db

__all__ = ["register_lifecycle_commands"]


@click.command(name="deadline-report")
@click.option("--year", type=int, default=None, help="Applications received in this year.")
@click.option(
    "--department", default=None, help="One department: USCC, name or short name (default: all)."
)
def deadline_report_command(year: int | None, department: str | None) -> None:
    """Per department: objections and repairs received, on time, late, pending and overdue."""
    settings = settings_or_exit()
    today = china_today()
    code = resolve_or_exit(settings, department).code if department else None
    rows = with_db(settings, lambda db: deadline_report(db, today, year=year, department=code))
    click.echo(render(rows, today))


@click.command(name="expire-lists")
def expire_lists_command() -> None:
    """End every list entry past its effectiveUntil (已到期), releasing its measures; run daily."""
    settings = settings_or_exit()
    today = china_today()
    ended = with_db(settings, lambda db: expire_list_entries(db, today=today))
    click.echo(f"{today}: {len(ended)} 条名单已到期 (entries ended)")
    for entry in ended:
        click.echo(f"  {entry}")


def register_lifecycle_commands(group: click.Group) -> None:
    """Add the lifecycle commands to the `credithub` group."""
    group.add_command(deadline_report_command)
    group.add_command(expire_lists_command)
