"""`credithub load`, `batches`, `quarantine`, `uscc-report`, `publication-report`: feeds in.

These are the department-facing commands of 归集共享: load a feed file (with a progress bar and
the summary at the end; exit status 2 when rows were quarantined, so scripts notice), list
batches, list or export a batch's quarantine for the sender to fix, and the two governance
reports of the plan — USCC errors and duplicates (重错码治理) and 双公示 timeliness.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from graph.database import Database
from graph.identifiers import is_valid_uscc
from graph.migrations import migrate
from graph.model import OrganisationKind
from hub.cli_orgs import resolve_or_exit
from hub.cli_support import Neo4jUnavailable, settings_or_exit, with_db
from hub.settings import Settings
from loaders.batches import (
    BatchInfo,
    QuarantinedRow,
    export_quarantine_csv,
    get_batch,
    list_batches,
    list_quarantine,
)
from loaders.feed_kinds import FEED_KINDS, FeedKind, normalise_header
from loaders.pipeline import LOAD_REFUSALS, LoadOptions, LoadSummary, load_file
from loaders.timeliness import publication_timeliness
from loaders.timeliness import render as render_timeliness
from loaders.uscc_report import render as render_uscc_report
from loaders.uscc_report import uscc_report

__all__ = ["QUARANTINED_EXIT", "register_feed_commands"]

QUARANTINED_EXIT = 2
"""Exit status of `credithub load` when the load finished but rows went to quarantine."""

_SUPPLIER_KINDS = (OrganisationKind.DEPARTMENT, OrganisationKind.ASSOCIATION)
_KINDS_HELP = "; ".join(f"{k.code} {k.label}" for k in FEED_KINDS.values())


def _supplier_code(settings: Settings, given: str) -> str:
    """A code as given; a name or short name: the one department or association it names."""
    if is_valid_uscc(given.strip().upper()):
        return given
    return resolve_or_exit(settings, given, kinds=_SUPPLIER_KINDS).code


@click.command(name="load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--department",
    "supplier",
    required=True,
    help="The sender: USCC, full name or short name (部门或协会，如 市市场监管局).",
)
@click.option("--kind", default=None, help=f"Feed kind (detected from the header). {_KINDS_HELP}")
@click.option("--encoding", default=None, help="CSV/JSONL encoding (detected: utf-8 or gb18030).")
@click.option("--batch-size", type=int, default=5000, show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, hidden=True)
def load_command(
    file: Path,
    supplier: str,
    kind: str | None,
    encoding: str | None,
    batch_size: int,
    today: datetime.datetime | None,
) -> None:
    """Load a department feed (CSV in UTF-8/GBK, XLSX or JSON Lines) into the credit graph."""
    settings = settings_or_exit()
    options = LoadOptions(batch_size=batch_size, today=today.date() if today else None)
    supplier = _supplier_code(settings, supplier)

    async def work(db: Database) -> LoadSummary:
        await migrate(db)
        bar: Any = None

        def opened(total: int) -> None:
            nonlocal bar
            bar = click.progressbar(length=total, label=file.name, file=sys.stderr)
            bar.__enter__()

        try:
            return await load_file(
                db,
                file,
                supplier,
                person_secret=settings.person_secret(),
                kind=kind,
                encoding=encoding,
                options=options,
                progress=lambda n: bar.update(n) if bar is not None else None,
                on_opened=opened,
            )
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)

    try:
        summary = with_db(settings, work)
    except Neo4jUnavailable as error:
        raise Neo4jUnavailable(
            f"{error.message}\n"
            "已写入的分块完整保留；Neo4j 恢复后重新运行同一命令即可补齐，不会重复。"
            "\n(The chunks already written are whole and kept; run the same command again once "
            "Neo4j is back: it completes the load without duplicates.)"
        ) from None
    except LOAD_REFUSALS as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary.render())
    if summary.quarantined:
        click.echo(
            f"{summary.quarantined} 行已隔离，导出: credithub quarantine export {summary.batch_id}",
            err=True,
        )
        sys.exit(QUARANTINED_EXIT)


@click.command(name="batches")
@click.option("--department", "supplier", default=None, help="Only this sender's batches.")
@click.option("--limit", type=int, default=20, show_default=True)
def batches_command(supplier: str | None, limit: int) -> None:
    """List loaded batches, newest first, with their summaries."""
    settings = settings_or_exit()
    if supplier is not None:
        supplier = _supplier_code(settings, supplier)
    rows = with_db(settings, lambda db: list_batches(db, supplier=supplier, limit=limit))
    for b in rows:
        click.echo(
            f"{b.id}  {b.status:<9} {b.file_name}  read {b.rows_read}  new {b.new}  "
            f"versions {b.new_versions}  unchanged {b.unchanged}  quarantined {b.quarantined}"
        )


@click.group(name="quarantine")
def quarantine_group() -> None:
    """Rows refused by a load, kept with their reasons (隔离区)."""


def sent_header(kind: FeedKind | None, field: str, headers: Iterable[str]) -> str:
    """The column a problem is about, as the department's file headed it: the header of the
    row that names `field` (any of its accepted headers); the national header when the file
    lacked the column; the field itself for a kind not known here; ``-`` for the whole row."""
    if not field:
        return "-"
    if kind is None:
        return field
    try:
        column = kind.column(field)
    except KeyError:
        return field
    accepted = {normalise_header(header) for header in column.headers}
    return next((h for h in headers if normalise_header(h) in accepted), column.label)


@quarantine_group.command(name="list")
@click.argument("batch")
def quarantine_list(batch: str) -> None:
    """Show a batch's refused rows: row number, field and reason."""
    settings = settings_or_exit()

    async def work(db: Database) -> tuple[BatchInfo | None, list[QuarantinedRow]]:
        return await get_batch(db, batch), await list_quarantine(db, batch)

    info, rows = with_db(settings, work)
    if info is None:
        raise click.ClickException(f"没有批次 {batch} (no batch {batch!r})")
    kind = FEED_KINDS.get(info.kind)
    for row in rows:
        for problem in row.problems:
            header = sent_header(kind, problem.field, row.cells)
            click.echo(f"第{row.row_number}行  {header}  {problem.reason}  [{problem.code}]")


@quarantine_group.command(name="export")
@click.argument("batch")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV file to write (default: <batch>-quarantine.csv).",
)
def quarantine_export(batch: str, output: Path | None) -> None:
    """Export a batch's refused rows as CSV (UTF-8 with BOM, opens in Excel) to fix and resend."""
    settings = settings_or_exit()

    async def work(db: Database) -> str:
        info = await get_batch(db, batch)
        if info is None:
            raise click.ClickException(f"no batch {batch!r}")
        return export_quarantine_csv(info, await list_quarantine(db, batch))

    text = with_db(settings, work)
    target = output or Path(f"{batch}-quarantine.csv")
    target.write_text(text, encoding="utf-8-sig")
    click.echo(f"Wrote {target}")


@click.command(name="uscc-report")
@click.option("--fail-above-target", is_flag=True, help="Exit 1 when the rate misses 1/10,000.")
def uscc_report_command(fail_above_target: bool) -> None:
    """重错码治理: duplicate and erroneous USCCs in the graph and the quarantine, with the rate."""
    settings = settings_or_exit()
    report = with_db(settings, uscc_report)
    click.echo(render_uscc_report(report))
    if fail_above_target and not report.meets_target:
        sys.exit(1)


@click.command(name="publication-report")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--department", default=None, help="One department's USCC (default: all).")
def publication_report_command(
    start: datetime.datetime, end: datetime.datetime, department: str | None
) -> None:
    """双公示 timeliness: per department, licences and penalties published after 7 working days."""
    settings = settings_or_exit()
    if department is not None:
        department = _supplier_code(settings, department)
    report = with_db(
        settings,
        lambda db: publication_timeliness(db, start.date(), end.date(), department=department),
    )
    click.echo(render_timeliness(report, start.date(), end.date()))


def register_feed_commands(group: click.Group) -> None:
    """Add the feed commands to the `credithub` command group."""
    for command in (
        load_command,
        batches_command,
        quarantine_group,
        uscc_report_command,
        publication_report_command,
    ):
        group.add_command(command)
