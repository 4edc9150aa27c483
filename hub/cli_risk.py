"""`credithub risk-scan`, `risk-alerts` and `ownership`: risk early warning and penetration.

These commands run with the server's own credentials, as the credit office would: the scan
writes alerts and sends notices; `ownership` prints persons by masked name only (a terminal is
no place for full names).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from graph import ownership
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.model import RiskAlertStatus, RiskSignal
from graph.risk import alerts
from graph.risk.scan import ScanSummary, run_scan
from graph.risk.thresholds import THRESHOLDS_FILE, ThresholdError, load_thresholds
from hub.cli_help import has_chinese
from hub.cli_orgs import enterprise_code_or_exit
from hub.cli_support import settings_or_exit, with_db
from hub.diagrams.ownership import hops_of, ownership_tree

__all__ = ["register_risk_commands"]


def render_summary(summary: ScanSummary) -> str:
    """A scan's summary as a person reads it."""
    lines = [
        f"风险扫描 {summary.scan_id}（基准日 {summary.today}，"
        f"阈值版本 {summary.thresholds_version}）",
    ]
    for signal, count in summary.found.items():
        seconds = summary.seconds.get(signal, 0.0)
        lines.append(f"  {signal.label}（{signal.value}）：{count} 条，{seconds:.2f} s")
    lines.append(
        f"新增 {summary.new} 条，持续 {summary.persisting} 条，解除 {summary.resolved} 条；"
        f"发送通知 {summary.notices} 份"
    )
    return "\n".join(lines)


@click.command(name="risk-scan")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the scan is as of (default: today in China).",
)
@click.option(
    "--thresholds",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"Thresholds file (default: {THRESHOLDS_FILE.name} beside graph/risk).",
)
def risk_scan_command(as_of: datetime | None, thresholds: Path | None) -> None:
    """Run the risk signals over the whole graph, store alerts, notify departments."""
    settings = settings_or_exit()
    try:
        config = load_thresholds(thresholds) if thresholds else load_thresholds()
    except ThresholdError as error:
        raise click.ClickException(str(error)) from None
    day: date = as_of.date() if isinstance(as_of, datetime) else china_today()
    summary = with_db(settings, lambda db: run_scan(db, thresholds=config, today=day))
    click.echo(render_summary(summary))


@click.command(name="risk-alerts")
@click.option(
    "--signal",
    type=click.Choice([s.value for s in RiskSignal]),
    default=None,
    help="Only this signal.",
)
@click.option("--min-score", type=float, default=None, help="Only alerts scoring at least this.")
@click.option("--all", "show_all", is_flag=True, help="Resolved alerts too.")
@click.option("--limit", type=click.IntRange(1, alerts.MAX_PAGE), default=20)
def risk_alerts_command(
    signal: str | None, min_score: float | None, show_all: bool, limit: int
) -> None:
    """The alerts, highest score first, each with its explaining paths."""
    settings = settings_or_exit()
    total, found = with_db(
        settings,
        lambda db: alerts.list_alerts(
            db,
            signal=RiskSignal.of(signal) if signal else None,
            min_score=min_score,
            status=None if show_all else RiskAlertStatus.ACTIVE,
            limit=limit,
        ),
    )
    click.echo(f"共 {total} 条预警（显示 {len(found)} 条）")
    for alert in found:
        click.echo(
            f"{alert.score:5.1f}  {alert.signal.label}  {alert.subject_name}（{alert.subject}）"
            f"  [{alert.status.label}] {alert.id}"
        )
        click.echo(f"       {alert.summary}")
        for item in alert.evidence[:3]:
            click.echo(f"       · {item.get('summary', '')}")


def _pct(share: float) -> str:
    return f"{share * 100:.2f}%"


def _who(party: ownership.Party) -> str:
    if party.is_person:
        return f"{party.name_masked or '自然人'}（{party.code[:8]}…）"
    return f"{party.name}（{party.code}）"


async def _ownership_text(db: Database, uscc: str | None, person: str | None, depth: int) -> str:
    settings = ownership.load_settings()
    if uscc:
        up = await ownership.penetrate(db, uscc, max_depth=depth, settings=settings)
        if up is None:
            raise click.ClickException(f"未找到市场主体 {uscc}")
        lines = [f"股权穿透：{_who(up.subject)}"]
        for h in up.holders:
            flags = "".join(
                mark
                for mark, on in (
                    ("［最终股东］", h.ultimate),
                    ("［受益所有人］", h.beneficial_owner),
                    ("［控制］", h.controls),
                )
                if on
            )
            lines.append(f"  {_pct(h.effective_share):>8}  第{h.layer}层  {_who(h.party)}{flags}")
        for c in up.controllers:
            lines.append(f"  控制人：{_who(c.party)}（{ownership.ControlBasis.LABELS[c.basis]}）")
        if up.circular_share:
            lines.append(f"  循环持股（不归属任何股东）：{_pct(up.circular_share)}")
        if up.depth_limit_reached:
            lines.append(f"  已达穿透层数上限 {up.max_depth}")
        # The same holders as a tree (股权结构): each holding with its direct share.
        parties = {up.subject.code: up.subject} | {h.party.code: h.party for h in up.holders}
        hops = hops_of(
            ((hop.holder, hop.held, hop.share) for hop in path)
            for h in up.holders
            for path in h.paths
        )
        lines.append("股权结构（直接持股比例）：")
        lines += ownership_tree(
            up.subject.code,
            hops,
            lambda code: _who(parties[code]) if code in parties else code,
            indent="  ",
        )
        return "\n".join(lines)
    down = await ownership.holdings_of(db, person or "", max_depth=depth, settings=settings)
    if down is None:
        raise click.ClickException("未找到该人员或市场主体")
    lines = [f"实际控制与对外投资：{_who(down.origin)}"]
    for holding in down.holdings:
        mark = (
            f"［控制：{ownership.ControlBasis.LABELS[holding.control_basis]}］"
            if holding.control_basis
            else ""
        )
        lines.append(
            f"  {_pct(holding.effective_share):>8}  第{holding.layer}层  "
            f"{_who(holding.enterprise)}{mark}"
        )
    return "\n".join(lines)


@click.command(name="ownership")
@click.option("--uscc", default=None, help="Penetrate upward from this enterprise.")
@click.option("--person", default=None, help="Holdings of this person key (or USCC) downward.")
@click.option("--depth", type=click.IntRange(1, ownership.DEPTH_CAP), default=10)
def ownership_command(uscc: str | None, person: str | None, depth: int) -> None:
    """股权穿透: the ultimate holders of an enterprise, or what a person holds and controls."""
    if (uscc is None) == (person is None):
        raise click.UsageError("give exactly one of --uscc and --person")
    settings = settings_or_exit()
    # A name is accepted wherever a code is; a person is named by their key (never by name).
    code = enterprise_code_or_exit(settings, uscc) if uscc else None
    if person is not None and has_chinese(person):
        person = enterprise_code_or_exit(settings, person)
    click.echo(with_db(settings, lambda db: _ownership_text(db, code, person, depth)))


def register_risk_commands(group: click.Group) -> None:
    """Add the risk and ownership commands to the `credithub` group."""
    group.add_command(risk_scan_command)
    group.add_command(risk_alerts_command)
    group.add_command(ownership_command)
