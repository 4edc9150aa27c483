"""`credithub` for officials: every command explains itself in Chinese with examples to copy,
names are accepted where codes are, refused rows are shown under the headers the department
sent, and an expired token says how to get a new one.

The help checks walk the real command tree (no database). The name checks run the commands
against the fixture graph: E1 (舞钢市鑫源钢铁有限公司, 40 % held by E4) and 市市场监管局 (SAMR).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from graph.database import Database
from hub.cli import main
from hub.cli_feeds import sent_header
from hub.cli_help import HELP, commands_of, has_chinese
from loaders.feed_kinds import FEED_KINDS
from tests.fixtures import E1, SAMR
from tests.processes import hub_env

COMMANDS = dict(commands_of(main))


def _help(path: str) -> str:
    result = CliRunner().invoke(main, [*path.split(), "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_help_table_names_only_commands_that_exist() -> None:
    assert set(HELP) - set(COMMANDS) == set(), "manual entries for commands that do not exist"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_explains_itself_in_chinese_with_an_example(path: str) -> None:
    assert path in HELP, f"`credithub {path}` has no entry in hub/cli_help.py"
    text = _help(path)
    description = text.split("\n\n")[1]  # after the usage line: the first paragraph
    assert has_chinese(description), description
    assert "示例" in text
    examples = text[text.index("示例") :]
    invoked = f"credithub {path}".strip()
    assert any(line.strip().startswith(invoked) for line in examples.splitlines()), examples


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_visible_option_is_explained_in_chinese(path: str) -> None:
    command: click.Command = COMMANDS[path]
    unexplained = [
        param.opts[0]
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not has_chinese(param.help)
    ]
    assert unexplained == [], f"credithub {path}: options without Chinese help"


def test_the_command_list_is_chinese() -> None:
    text = _help("")
    listed = text[text.index("Commands:") : text.index("示例")]
    lines = [line for line in listed.splitlines()[1:] if line.strip()]
    assert lines and all(has_chinese(line) for line in lines), lines


# -- the headers that were sent --------------------------------------------------------------
def test_a_problem_is_named_by_the_header_the_file_used() -> None:
    penalty = FEED_KINDS["penalty"]
    sent = ["相对人名称", "相对人统一社会信用代码", "处罚决定书文号"]
    assert sent_header(penalty, "subjectUscc", sent) == "相对人统一社会信用代码"
    assert sent_header(penalty, "documentNumber", sent) == "处罚决定书文号"
    # A column the file lacked: its national header; a whole-row problem: a dash.
    assert sent_header(penalty, "decisionDate", sent) == "处罚决定日期"
    assert sent_header(penalty, "", sent) == "-"


# -- with the database -----------------------------------------------------------------------
@pytest.fixture
def cli_env(db: Database, neo4j_connection: object, tmp_path: Path) -> dict[str, str]:
    """The environment of a `credithub` run against the loaded test graph."""
    return hub_env(neo4j_connection, tmp_path / "home")  # type: ignore[arg-type]


def _run(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    return result


def test_ownership_takes_the_enterprise_name_where_it_takes_the_code(
    cli_env: dict[str, str],
) -> None:
    by_code = _run(cli_env, "ownership", "--uscc", E1)
    by_name = _run(cli_env, "ownership", "--uscc", "舞钢市鑫源钢铁有限公司")
    assert by_code.exit_code == 0, by_code.output
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout == by_code.stdout and E1 in by_code.stdout


def test_an_unknown_name_is_refused_clearly(cli_env: dict[str, str]) -> None:
    result = _run(cli_env, "ownership", "--uscc", "舞钢市没有这家有限公司")
    assert result.exit_code != 0
    assert "舞钢市没有这家有限公司" in result.output and "Traceback" not in result.output


def test_reports_take_a_department_name_where_they_take_its_code(
    cli_env: dict[str, str],
) -> None:
    window = ("--from", "2026-01-01", "--to", "2026-06-30")
    by_code = _run(cli_env, "publication-report", *window, "--department", SAMR)
    by_name = _run(cli_env, "publication-report", *window, "--department", "市市场监管局")
    assert by_code.exit_code == 0 and by_name.exit_code == 0, by_name.output
    assert by_name.stdout == by_code.stdout


@pytest.fixture
async def refused_batch(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Result, str | None]]:
    """A one-row penalty file under the aliases a department uses, its code mistyped; the
    batch is removed afterwards."""
    feed = tmp_path / "处罚.csv"
    feed.write_text(
        "相对人名称,相对人统一社会信用代码,处罚决定书文号,处罚类别,处罚内容,罚款金额,"
        "处罚决定日期,处罚机关,处罚机关统一社会信用代码,失信程度\n"
        f"舞钢市鑫源钢铁有限公司,{E1[:-1]}0,舞市监罚〔2026〕901号,罚款,罚款一万元,1,"
        f"2026-03-01,舞钢市市场监督管理局,{SAMR},一般\n",
        encoding="utf-8",
    )
    # In a thread: the command runs its own event loop.
    loaded = await asyncio.to_thread(
        _run, cli_env, "load", str(feed), "--department", "市市场监管局"
    )
    batches = await db.read(
        "MATCH (b:Batch {fileName: $file}) RETURN b.id AS id", {"file": feed.name}
    )
    yield loaded, batches[0]["id"] if batches else None
    await db.write(
        "MATCH (n) WHERE (n:Batch AND n.fileName = $file) OR n:QuarantinedRow AND n.batchId "
        "IN $ids DETACH DELETE n",
        {"file": feed.name, "ids": [row["id"] for row in batches]},
    )


def test_quarantined_rows_are_listed_under_the_headers_that_were_sent(
    cli_env: dict[str, str], refused_batch: tuple[Result, str | None]
) -> None:
    loaded, batch = refused_batch
    assert loaded.exit_code == 2, loaded.output  # quarantined
    assert batch is not None
    listed = _run(cli_env, "quarantine", "list", batch)
    assert listed.exit_code == 0, listed.output
    assert "第2行  相对人统一社会信用代码" in listed.stdout  # row 1 is the header
    assert "subjectUscc" not in listed.stdout


# -- tokens ----------------------------------------------------------------------------------
def test_the_token_help_says_how_to_renew_an_expired_token() -> None:
    assert "令牌过期后" in _help("token")
