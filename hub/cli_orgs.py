"""`credithub orgs …`, `measures import`, `commitment-items import`: the city's reference data.

The clerk's files (loaders/reference/: organisations as CSV in UTF-8 or GBK with Chinese
headers, or TOML; catalogues as TOML) are checked whole before anything is written, imported
idempotently, and every change keeps the previous state and writes an event. `resolve_or_exit`
is the one way a command turns what a user typed (code, full name, short name, alias) into an
organisation, so `token`, `load --department` and the rest accept the same names.
"""

from __future__ import annotations

import datetime
import getpass
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TypeVar

import click
from neo4j.exceptions import DriverError, Neo4jError

from graph.database import Database
from graph.identifiers import is_valid_uscc
from graph.lifecycle.base import Actor, LifecycleError, china_today
from graph.migrations import migrate
from graph.model import OrganisationKind
from hub.cli_support import Neo4jUnavailable, settings_or_exit, with_db
from hub.settings import Settings, SettingsError
from loaders.reference import (
    KIND_NAMES,
    ImportSummary,
    Organisation,
    OrganisationEntry,
    ReferenceFileError,
    close_organisation,
    correct_code,
    import_commitment_items,
    import_measures,
    import_organisations,
    list_organisations,
    merge_organisation,
    read_commitment_items,
    read_measure_catalogue,
    read_organisations,
    register_organisation,
    rename_organisation,
    resolve_organisation,
)

__all__ = ["register_org_commands", "resolve_or_exit"]

T = TypeVar("T")

_KIND_WORDS = {
    "department": OrganisationKind.DEPARTMENT,
    "bank": OrganisationKind.BANK,
    "agency": OrganisationKind.CREDIT_AGENCY,
    "association": OrganisationKind.ASSOCIATION,
    "office": OrganisationKind.CREDIT_OFFICE,
}
_KIND_CHOICE = click.Choice(list(_KIND_WORDS))
_KIND_HELP = (
    "department 部门 | bank 银行 | agency 信用服务机构 | association 行业协会 | office 信用管理部门"
)


def _actor() -> Actor:
    """The clerk at the terminal acts as the credit office (信用管理部门)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor("ADMIN", None, f"cli:{user}")


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work`, turning refusals into clean command-line errors."""
    try:
        return with_db(settings, work)
    except Neo4jUnavailable:
        raise
    except (ReferenceFileError, LifecycleError) as error:
        raise click.ClickException(str(error)) from None
    except (DriverError, Neo4jError, OSError, SettingsError) as error:
        where = settings.neo4j_uri or "the local Neo4j (start it: credithub neo4j start)"
        raise click.ClickException(f"Cannot reach {where}: {error}") from None


def resolve_or_exit(
    settings: Settings,
    wanted: str,
    *,
    kinds: Iterable[OrganisationKind] | None = None,
    include_enterprises: bool = False,
) -> Organisation:
    """The one open organisation `wanted` names (code, full name, short name or alias), or a
    clear error: not found, closed, or ambiguous (naming the candidates and asking for the code).
    """
    chosen = list(kinds) if kinds else None

    async def lookup(db: Database) -> Organisation:
        return await resolve_organisation(
            db, wanted, kinds=chosen, include_enterprises=include_enterprises
        )

    return _run(settings, lookup)


def enterprise_code_or_exit(settings: Settings, given: str) -> str:
    """A 统一社会信用代码 as given (spaces and case normalised), or the code of the one
    enterprise or organisation whose full name (or an organisation's short name) `given` is:
    wherever a command asks for a code, an official may type the name instead."""
    code = given.strip().upper().replace(" ", "")
    if is_valid_uscc(code):
        return code
    return resolve_or_exit(settings, given.strip(), include_enterprises=True).code


def _today(value: datetime.datetime | None) -> datetime.date:
    return value.date() if value else china_today()


def _echo_summary(summary: ImportSummary) -> None:
    click.echo(summary.render())


def _row(org: Organisation) -> str:
    kind = org.kind.label if org.kind else "市场主体"
    names = "、".join(org.aliases) or "-"
    closed = f"  [已撤销 closed {org.closed_on}]" if org.closed_on else ""
    return f"{org.code}  {kind:<6}\t{org.name}\t{names}{closed}"


@click.group(name="orgs")
def orgs_group() -> None:
    """机构名录 (registered organisations): departments, banks, credit agencies, associations and
    the credit office, kept as reference data.

    \b
    例 (example): credithub orgs import loaders/reference/demo/organisations.csv
    """


@orgs_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", default=None, help="CSV 编码 (detected: utf-8 or gbk/gb18030).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, hidden=True)
def orgs_import(file: Path, encoding: str | None, today: datetime.datetime | None) -> None:
    """导入机构名录文件 (CSV: UTF-8 或 GBK，中文表头；或 TOML)；重复导入不产生变化。

    \b
    表头: 统一社会信用代码, 名称, 简称/别名 (用 、 或 ; 分隔),
    类别 (部门/银行/信用服务机构/行业协会/信用管理部门), 行业领域,
    职责/可查看个人信息, 决定类型, 决定文号前缀, 业务范围, 撤销日期
    例 (example): credithub orgs import 机构名录.csv
    """
    settings = settings_or_exit()
    try:
        entries = read_organisations(file, encoding=encoding)
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None

    async def work(db: Database) -> ImportSummary:
        await migrate(db)
        return await import_organisations(db, entries, actor=_actor(), today=_today(today))

    _echo_summary(_run(settings, work))


@orgs_group.command(name="list")
@click.option("--kind", type=_KIND_CHOICE, default=None, help=_KIND_HELP)
@click.option("--all", "include_closed", is_flag=True, help="包括已撤销的机构 (closed ones too).")
def orgs_list(kind: str | None, include_closed: bool) -> None:
    """列出已登记的机构：代码、类别、名称、简称/别名。

    \b
    例 (example): credithub orgs list --kind bank
    """
    settings = settings_or_exit()
    chosen = _KIND_WORDS[kind] if kind else None
    found = _run(settings, lambda db: list_organisations(db, chosen, include_closed=include_closed))
    click.echo("统一社会信用代码    类别  \t名称\t简称/别名")
    for org in found:
        click.echo(_row(org))
    click.echo(f"共 {len(found)} 个 ({len(found)} organisations)", err=True)


@orgs_group.command(name="add")
@click.option("--kind", type=_KIND_CHOICE, required=True, help=_KIND_HELP)
@click.option("--code", required=True, help="统一社会信用代码 (checked).")
@click.option("--name", required=True, help="全称 (full registered name).")
@click.option("--short", "short", multiple=True, help="简称/别名, repeatable.")
@click.option("--sector", default=None, help="行业领域 (departments: required).")
@click.option("--services", default=None, help="业务范围 (credit agencies).")
@click.option("--reason", default=None, help="登记原因 (kept in the event).")
def orgs_add(
    kind: str,
    code: str,
    name: str,
    short: tuple[str, ...],
    sector: str | None,
    services: str | None,
    reason: str | None,
) -> None:
    """登记一个新机构 (register one organisation).

    \b
    例 (example): credithub orgs add --kind bank --code 91410481MA44XXXXXX \\
        --name 中国建设银行股份有限公司舞钢支行 --short 建行舞钢支行
    """
    settings = settings_or_exit()
    try:
        entry = OrganisationEntry.model_validate(
            {
                "code": code,
                "name": name,
                "kind": _KIND_WORDS[kind],
                "short_names": list(short),
                "sector": sector,
                "services": services,
            }
        )
    except ValueError as error:
        raise click.ClickException(f"参数有误 (invalid option): {error}") from None

    async def work(db: Database) -> Organisation:
        await migrate(db)
        return await register_organisation(
            db, entry, actor=_actor(), today=china_today(), reason=reason
        )

    click.echo(_row(_run(settings, work)))


def _code_of(settings: Settings, wanted: str) -> str:
    return resolve_or_exit(settings, wanted).code


@orgs_group.command(name="rename")
@click.argument("org")
@click.argument("new_name")
@click.option("--short", "short", multiple=True, help="新的简称 (replace the short names).")
@click.option("--reason", default=None, help="更名原因 (kept in the event).")
def orgs_rename(org: str, new_name: str, short: tuple[str, ...], reason: str | None) -> None:
    """机构更名：旧名称保留为别名，变更前状态与事件留存。

    \b
    例 (example): credithub orgs rename 市教体局 舞钢市教育局 --short 市教育局
    """
    settings = settings_or_exit()
    code = _code_of(settings, org)
    renamed = _run(
        settings,
        lambda db: rename_organisation(
            db,
            code,
            new_name,
            short_names=list(short) if short else None,
            actor=_actor(),
            today=china_today(),
            reason=reason,
        ),
    )
    click.echo(_row(renamed))


@orgs_group.command(name="close")
@click.argument("org")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="撤销日期.")
@click.option("--reason", default=None, help="撤销原因 (kept in the event).")
def orgs_close(org: str, on: datetime.datetime | None, reason: str | None) -> None:
    """撤销机构 (closedOn)：不再能登录、报送或被解析，历史保留。

    \b
    例 (example): credithub orgs close 中原银行舞钢支行 --on 2026-12-31 --reason 机构撤并
    """
    settings = settings_or_exit()
    code = _code_of(settings, org)
    closed = _run(
        settings,
        lambda db: close_organisation(
            db, code, on=_today(on), actor=_actor(), today=china_today(), reason=reason
        ),
    )
    click.echo(_row(closed))


@orgs_group.command(name="correct-code")
@click.argument("org")
@click.argument("new_code")
@click.option("--reason", default=None, help="更正原因 (kept in the event).")
def orgs_correct_code(org: str, new_code: str, reason: str | None) -> None:
    """更正登记错误的统一社会信用代码：旧代码保留 (formerCodes)，仍可解析。

    \b
    例 (example): credithub orgs correct-code 市农业农村局 11410481005705XXXX --reason 登记错码
    """
    settings = settings_or_exit()
    code = _code_of(settings, org)
    corrected = _run(
        settings,
        lambda db: correct_code(
            db, code, new_code, actor=_actor(), today=china_today(), reason=reason
        ),
    )
    click.echo(_row(corrected))


@orgs_group.command(name="merge")
@click.argument("org")
@click.option("--into", "into", required=True, help="并入的机构 (code or name).")
@click.option("--reason", default=None, help="合并原因 (kept in the event).")
def orgs_merge(org: str, into: str, reason: str | None) -> None:
    """机构合并：关系转入目标机构，原机构撤销并指向目标 (MERGED_INTO)，名称成为目标的别名。

    \b
    例 (example): credithub orgs merge 舞钢市个体劳动者协会 --into 舞钢市总商会
    """
    settings = settings_or_exit()
    code = _code_of(settings, org)
    target = _code_of(settings, into)
    merged = _run(
        settings,
        lambda db: merge_organisation(
            db, code, target, actor=_actor(), today=china_today(), reason=reason
        ),
    )
    click.echo(_row(merged))


@click.group(name="measures")
def measures_group() -> None:
    """联合奖惩措施清单 (the joint punishment measures catalogue).

    \b
    例 (example): credithub measures import loaders/reference/demo/measures.toml
    """


@measures_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def measures_import(file: Path) -> None:
    """导入措施清单 (TOML: title, version, [[basis_document]], [[measure]])；重复导入不产生变化。

    \b
    例 (example): credithub measures import 联合奖惩措施清单.toml
    """
    settings = settings_or_exit()
    try:
        catalogue, measures = read_measure_catalogue(file)
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None

    async def work(db: Database) -> ImportSummary:
        await migrate(db)
        return await import_measures(
            db, catalogue, measures, actor=_actor(), today=china_today(), file=file.name
        )

    _echo_summary(_run(settings, work))


@click.group(name="commitment-items")
def commitment_items_group() -> None:
    """信用承诺事项目录 (the commitment item catalogue).

    \b
    例 (example): credithub commitment-items import loaders/reference/demo/commitment_items.toml
    """


@commitment_items_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def commitment_items_import(file: Path) -> None:
    """导入承诺事项 (TOML: [[item]] code, name, offered_by, template, active)；重复导入不产生变化。

    \b
    例 (example): credithub commitment-items import 承诺事项目录.toml
    """
    settings = settings_or_exit()
    try:
        items = read_commitment_items(file)
    except ReferenceFileError as error:
        raise click.ClickException(str(error)) from None

    async def work(db: Database) -> ImportSummary:
        await migrate(db)
        return await import_commitment_items(
            db, items, actor=_actor(), today=china_today(), file=file.name
        )

    _echo_summary(_run(settings, work))


def register_org_commands(group: click.Group) -> None:
    """Add the reference-data commands to the `credithub` command group."""
    for command in (orgs_group, measures_group, commitment_items_group):
        group.add_command(command)


# The CLI's kind words are the reference models' words too (a file may say `bank`).
assert all(KIND_NAMES[word] is kind for word, kind in _KIND_WORDS.items())
