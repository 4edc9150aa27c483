"""`credithub exchange`: exchange with the connected systems of the provincial network.

One click group; each helper's subcommands are small, separate functions below it, added to the
group where they are defined (export, deliver/status, import).
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from graph.database import Database
from graph.migrations import migrate
from hub.cli_support import settings_or_exit, with_db
from hub.exchange.delivery import (
    DeliveryResult,
    TargetStatus,
    deliver_pending,
    exchange_status,
)
from hub.exchange.targets import TARGETS_FILE, Target, Targets, TargetsError, load_targets
from hub.settings import Settings
from loaders.exchange.inspections import (
    InspectionFileError,
    InspectionImportSummary,
    import_inspection_results,
)
from loaders.exchange.lists import import_list
from loaders.exchange.measures import (
    ProvincialCatalogueError,
    ProvincialMeasuresSummary,
    import_provincial_measures,
)
from loaders.exchange.sources import EXCHANGE_SOURCES
from loaders.pipeline import LOAD_REFUSALS, LoadOptions, LoadSummary

__all__ = ["exchange", "register_exchange_commands"]


@click.group(name="exchange")
def exchange() -> None:
    """Exchange with 信用河南, 信用平顶山, the 公示系统, 联合奖惩 and 互联网+监管."""


def register_exchange_commands(group: click.Group) -> None:
    """Add the `exchange` group to the `credithub` group."""
    group.add_command(exchange)


# -- import: what comes down from the provincial and national systems (loaders/exchange/) -----

_MEASURES_SOURCE = "province-measures"
_INSPECTIONS_SOURCE = "internet-supervision"
_IMPORT_SOURCES = (*EXCHANGE_SOURCES, _MEASURES_SOURCE, _INSPECTIONS_SOURCE)
_IMPORTED_WITH_QUARANTINE = 2
"""Exit status when the import finished but rows went to quarantine (as `credithub load`)."""


@exchange.command(name="import")
@click.argument("source", type=click.Choice(_IMPORT_SOURCES))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", default=None, help="Feed kind (detected from the header).")
@click.option("--encoding", default=None, help="CSV encoding (detected: utf-8 or gb18030).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, hidden=True)
def exchange_import(
    source: str,
    file: Path,
    kind: str | None,
    encoding: str | None,
    today: datetime.datetime | None,
) -> None:
    """导入上级系统下发的文件 (import what an upper system sends down).

    \b
    province / national: 省级下发 / 国家下发 的失信被执行人、严重失信主体名单、
      重大税收违法失信主体、红名单 (as feeds: validation, quarantine, provenance);
      与本市部门已报送的同一主体同一文号的决定关联，不重复写入 (linked, not duplicated).
    province-measures: 全省统一的联合奖惩系统的措施清单 (TOML, versioned); 本市清单中
      不在省级清单的措施被标出 (city measures not in it are flagged).
    internet-supervision: “互联网+监管”系统的检查结果 (JSON internet-supervision.results.v1)
      → INSPECTION records; 属本市双随机抽查任务的计入该任务 (a draw's object gets it).
    重复导入同一文件不产生变化 (loading the same file again changes nothing).
    """
    settings = settings_or_exit()
    options = LoadOptions(today=today.date() if today else None)
    if source in (_MEASURES_SOURCE, _INSPECTIONS_SOURCE):
        _import_other(settings, source, file, options.today)
        return

    async def work(db: Database) -> LoadSummary:
        await migrate(db)
        return await import_list(
            db,
            source,
            file,
            person_secret=settings.person_secret(),
            kind=kind,
            encoding=encoding,
            options=options,
        )

    try:
        summary = with_db(settings, work)
    except LOAD_REFUSALS as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"来源 (provenance)   {source} {EXCHANGE_SOURCES[source].level.label}")
    click.echo(summary.render())
    if summary.quarantined:
        sys.exit(_IMPORTED_WITH_QUARANTINE)


# -- deliver and status: sending exports to their targets (hub/exchange/delivery.py) ---------

_UNDELIVERED = 1
"""Exit status when an export could not be delivered (it stays pending for the next run)."""


_TARGETS_OPTION = click.option(
    "--targets",
    "targets_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=TARGETS_FILE,
    show_default=True,
    help="The targets file (a copy pointing at a test endpoint, for instance).",
)


def _targets(path: Path) -> Targets:
    try:
        return load_targets(path)
    except TargetsError as error:
        raise click.ClickException(str(error)) from None


def _target_of(path: Path, code: str) -> Target:
    try:
        return _targets(path).get(code)
    except TargetsError as error:
        raise click.ClickException(str(error)) from None


def _when(value: datetime.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def echo_delivery(result: DeliveryResult) -> None:
    """One line per delivery run: export, status, requests, and why it failed."""
    line = (
        f"{result.export_id}  {result.status.label} ({result.status.value})  "
        f"第{result.attempt}次  {result.requests} 个请求  → {result.destination}"
    )
    click.echo(line)
    if result.why:
        click.echo(f"    {result.why}")


@exchange.command(name="deliver")
@click.argument("target")
@_TARGETS_OPTION
def exchange_deliver(target: str, targets_file: Path) -> None:
    """发送尚未送达的导出 (send every undelivered export of TARGET, oldest first).

    \b
    目录投递: 先写数据文件、最后写 manifest.json，整体改名到位 (a reader never sees half).
    HTTP: 每个文件 PUT 一次，带令牌与 Idempotency-Key；失败按指数退避重试 (4xx 除 408/429 不重试).
    遇到失败即停止，其余导出保留，下次再发 (stops at the first failure; the rest stay pending).
    """
    settings = settings_or_exit()
    chosen = _target_of(targets_file, target)

    async def work(db: Database) -> list[DeliveryResult]:
        return await deliver_pending(db, chosen, home=settings.home)

    results = with_db(settings, work)
    if not results:
        click.echo(f"{chosen.code} ({chosen.name}): 没有待发送的导出 (nothing pending)")
        return
    for result in results:
        echo_delivery(result)
    if not results[-1].delivered:
        sys.exit(_UNDELIVERED)


@exchange.command(name="status")
@click.argument("target", required=False)
@_TARGETS_OPTION
def exchange_status_command(target: str | None, targets_file: Path) -> None:
    """各对接系统的导出与投递状态 (each target's last export, cursor, pending and deliveries)."""
    settings = settings_or_exit()
    chosen = (
        list(_targets(targets_file).targets.values())
        if target is None
        else [_target_of(targets_file, target)]
    )

    async def work(db: Database) -> list[TargetStatus]:
        return await exchange_status(db, chosen)

    header = ("target", "last export", "cursor", "pending", "last delivery", "failures", "why")
    rows = [
        (
            f"{s.target} ({s.name})",
            f"{s.last_export} {_when(s.last_export_at)}" if s.last_export else "-",
            s.cursor or "-",
            str(s.pending),
            f"{s.last_delivery_status.value} {_when(s.last_delivery_at)}"
            if s.last_delivery_status
            else "-",
            str(s.failures),
            s.last_failure or "",
        )
        for s in with_db(settings, work)
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


# -- export (E1) -------------------------------------------------------------------------------


@exchange.command(name="export")
@click.argument("target")
@click.option("--full", is_flag=True, help="Everything the target should have now.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"]),
    default=None,
    help="Start of the range (a day: 00:00 Beijing time); default: the target's cursor.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where exports are written (default: <CREDITHUB_HOME>/exchange/exports).",
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Targets file (default: hub/exchange/targets.toml).",
)
def export_command(
    target: str,
    full: bool,
    since: datetime.datetime | None,
    out: Path | None,
    targets_file: Path | None,
) -> None:
    """Write an export of TARGET (data files and manifest.json) and print its directory."""
    from hub.exchange.export import ExportError, export, read_manifest

    settings = settings_or_exit()
    try:
        targets = load_targets(targets_file or TARGETS_FILE)
        targets.get(target)
    except TargetsError as error:
        raise click.ClickException(str(error)) from None
    start: datetime.datetime | datetime.date | None = since
    if since is not None and since.tzinfo is None:
        start = since.date()  # a bare day: from its 00:00 Beijing time
    destination = out or settings.home / "exchange" / "exports"
    try:
        directory = with_db(
            settings,
            lambda db: export(db, target, full=full, since=start, out=destination, targets=targets),
        )
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    manifest = read_manifest(directory)
    for entry in manifest["files"]:
        withdrawn = entry.get("withdrawals")
        extra = f"，撤回 {withdrawn} 行" if withdrawn else ""
        click.echo(f"  {entry['name']}: {entry['rows']} 行{extra}", err=True)
    click.echo(str(directory))


def _import_other(settings: Settings, source: str, file: Path, today: datetime.date | None) -> None:
    """The provincial measures catalogue or the 互联网+监管 results (not list feeds)."""

    async def work(db: Database) -> ProvincialMeasuresSummary | InspectionImportSummary:
        await migrate(db)
        if source == _MEASURES_SOURCE:
            return await import_provincial_measures(db, file, today=today)
        return await import_inspection_results(db, file, today=today)

    try:
        summary = with_db(settings, work)
    except (ProvincialCatalogueError, InspectionFileError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary.render())
    refused = (
        summary.refused if isinstance(summary, ProvincialMeasuresSummary) else summary.quarantined
    )
    if refused:
        sys.exit(_IMPORTED_WITH_QUARANTINE)
