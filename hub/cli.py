"""`credithub`: run the hub, its local Neo4j, migrations, demo data, the schema and the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import click

from authz import audit
from authz.identity import Consumer, OrgKind
from authz.tokens import mint
from graph.database import Database
from graph.migrations import migrate
from graph.provision import ProvisionError
from hub.cli_evaluation import register_evaluation_commands
from hub.cli_exchange import register_exchange_commands
from hub.cli_feeds import register_feed_commands
from hub.cli_help import apply_help
from hub.cli_lifecycle import register_lifecycle_commands
from hub.cli_orgs import register_org_commands, resolve_or_exit
from hub.cli_risk import register_risk_commands
from hub.cli_supervision import register_supervision_commands
from hub.cli_support import settings_or_exit, with_db
from hub.graphiql.assets import assets_command
from hub.identities import organisation_consumer
from hub.settings import Settings, SettingsError

T = TypeVar("T")


def _ensure_local_neo4j(settings: Settings) -> None:
    if not settings.uses_local_server:
        click.echo(f"Using the Neo4j at {settings.neo4j_uri} (NEO4J_URI).")
        return
    server = settings.local_server()
    if not server.is_installed():
        click.echo(
            f"Fetching the Neo4j server with Maven (once; cached in {server.home / 'lib'}) …"
        )
    started = time.monotonic()
    try:
        server.start()
    except ProvisionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Neo4j is up at {server.uri} ({time.monotonic() - started:.1f} s).")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    if not _port_free(host, port):
        raise click.ClickException(
            f"{host}:{port} is already in use; stop what runs there or pass --port."
        )
    from hub.guards.connections import guarded_protocol
    from hub.serving import serve

    click.echo(f"Credit Hub serves http://{host}:{port}/graphql (GraphiQL in a browser).")
    limits = settings.connections
    # uvicorn.run, but with several workers each listens on a socket of its own (SO_REUSEPORT),
    # so the kernel spreads connections over them (issue 18; hub/serving.py).
    serve(
        "hub.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # libuv's event loop: less time per request in the loop itself than asyncio's.
        loop="uvloop",
        log_level="info",
        access_log=settings.access_log,
        # Stalled requests are closed and one address's connections capped (issue 20);
        # the request line and headers may hold a GET's query string up to the body limit.
        http=guarded_protocol(limits),
        # One above the protocol's own cap, which refuses a surplus connection with a code
        # first; uvicorn's would count the connection itself and answer in plain text.
        limit_concurrency=limits.max_connections + 1,
        timeout_keep_alive=limits.keep_alive_timeout,
        # The guard's limit on a request's line and headers (uvicorn names it for h11).
        h11_max_incomplete_event_size=settings.guards().max_query_bytes + 16 * 1024,
    )


@click.group()
def main() -> None:
    """舞钢市信用信息“一张网” — the city's credit network and its sharing hub."""


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--workers", type=int, default=1, show_default=True)
@click.option(
    "--enterprises",
    type=int,
    default=None,
    help="Demo size when the graph is empty (default: the demo default).",
)
def up(host: str | None, port: int | None, workers: int, enterprises: int | None) -> None:
    """Start Neo4j (unless NEO4J_URI), migrate, load demo data into an empty graph, serve."""
    from graph.evaluation.run import evaluate_all
    from graph.lifecycle.base import china_today
    from graph.risk.scan import run_scan
    from loaders.demo_data import DemoSpec, graph_is_empty, load_demo_data

    settings = settings_or_exit()
    _ensure_local_neo4j(settings)

    async def prepare(db: Database) -> None:
        await migrate(db)
        if await graph_is_empty(db):
            spec = DemoSpec() if enterprises is None else DemoSpec(enterprises=enterprises)
            click.echo(
                f"Empty graph: loading the 舞钢市 demo data ({spec.enterprises} enterprises) …"
            )
            counts = await load_demo_data(db, spec, settings.person_secret())
            click.echo("Loaded " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            # A demo with grades and alerts to show: what `credithub evaluate` and
            # `credithub risk-scan` would otherwise be needed for after the first start.
            today = china_today()
            graded = await evaluate_all(db, today=today)
            click.echo(f"Evaluated {graded.enterprises} enterprises")
            scanned = await run_scan(db, today=today)
            click.echo(f"Risk scan: {sum(scanned.found.values())} alerts")

    with_db(settings, prepare)
    _serve(settings, host or settings.host, port or settings.port, workers)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the hub (Neo4j must be reachable; migrations run at start-up)."""
    settings = settings_or_exit()
    _serve(settings, host or settings.host, port or settings.port, workers)


@main.command(name="migrate")
def migrate_command() -> None:
    """Apply the graph's schema migrations (idempotent)."""
    from authz.audit import note_recipients

    async def upgrade(db: Database) -> list[str]:
        applied = await migrate(db)
        await note_recipients(db)  # once per database: who was served what before it was noted
        return applied

    settings = settings_or_exit()
    applied = with_db(settings, upgrade)
    click.echo("Applied: " + ", ".join(applied) if applied else "Schema is up to date.")


@main.command(name="demo-data")
@click.option("--enterprises", type=int, default=None, help="Number of enterprises.")
@click.option("--seed", type=int, default=None, help="Random seed (same seed, same data).")
def demo_data(enterprises: int | None, seed: int | None) -> None:
    """Load the deterministic 舞钢市 demo dataset (idempotent: MERGE on natural keys)."""
    from loaders.demo_data import DemoSpec, load_demo_data

    settings = settings_or_exit()
    spec = DemoSpec()
    if enterprises is not None:
        spec = DemoSpec(enterprises=enterprises, seed=spec.seed, today=spec.today)
    if seed is not None:
        spec = DemoSpec(enterprises=spec.enterprises, seed=seed, today=spec.today)

    async def load(db: Database) -> dict[str, int]:
        await migrate(db)
        return await load_demo_data(db, spec, settings.person_secret())

    started = time.monotonic()
    counts = with_db(settings, load)
    click.echo(
        "Loaded "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f" in {time.monotonic() - started:.1f} s"
    )


@main.command()
@click.option(
    "--output", type=click.Path(path_type=Path), default=Path("schema.graphql"), show_default=True
)
@click.option("--check", is_flag=True, help="Fail if the file differs from the code.")
def schema(output: Path, check: bool) -> None:
    """Write (or check) schema.graphql, generated from the code."""
    from hub.api.schema import schema_sdl

    sdl = schema_sdl()
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            raise click.ClickException(f"{output} is out of date: run `credithub schema`.")
        click.echo(f"{output} matches the code.")
        return
    output.write_text(sdl, encoding="utf-8")
    click.echo(f"Wrote {output}.")


@main.group()
def neo4j() -> None:
    """The project's own local Neo4j server."""


@neo4j.command()
def start() -> None:
    """Fetch (once) and start the local Neo4j; returns when it answers queries."""
    _ensure_local_neo4j(settings_or_exit())


@neo4j.command()
def stop() -> None:
    """Stop the local Neo4j cleanly."""
    server = settings_or_exit().local_server()
    click.echo("Neo4j stopped." if server.stop() else "Neo4j was not running.")


@neo4j.command()
def status() -> None:
    """Is the local Neo4j installed and running, and where?"""
    state = settings_or_exit().local_server().status()
    click.echo(
        f"Neo4j {state.version}: installed={'yes' if state.installed else 'no'}, "
        f"running={'yes' if state.running else 'no'}"
        + (f", pid {state.pid}" if state.pid else "")
        + f", {state.uri}"
    )
    if not state.running:
        sys.exit(3)


_TTL_UNITS = {"m": 60, "h": 3600, "d": 86400}


def _ttl(ctx: click.Context, param: click.Parameter, text: str) -> timedelta:
    """Parse a lifetime such as 30m, 8h or 7d (a click callback, so errors name --ttl)."""
    text = text.strip().lower()
    try:
        amount = int(text[:-1])
        unit = _TTL_UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise click.BadParameter("use a whole number and m, h or d, e.g. 30m, 8h, 7d") from None
    if amount <= 0:
        raise click.BadParameter("the lifetime must be positive")
    return timedelta(seconds=amount * unit)


@main.command()
@click.argument("org", required=False)
@click.option("--purpose", default=None, help="Purpose of the requests (consent is bound to it).")
@click.option(
    "--ttl",
    "lifetime",
    default="8h",
    show_default=True,
    callback=_ttl,
    help="Lifetime: 30m, 8h, 7d …",
)
@click.option("--subject", default=None, help="Who the token is for (default: local@<code>).")
@click.option("--admin", is_flag=True, help="A token for the credit office (sees everything).")
def token(
    org: str | None, purpose: str | None, lifetime: timedelta, subject: str | None, admin: bool
) -> None:
    """Mint a local token for an organisation in the graph (by 统一社会信用代码, full name,
    short name or alias, e.g. `credithub token 工行舞钢支行`; an enterprise by code or name).

    Only the token goes to stdout, so TOKEN=$(credithub token 市发改委) works; a description
    goes to stderr. The hub verifies it with the same secret (CREDITHUB_JWT_SECRET, or the
    one generated under CREDITHUB_HOME).
    """
    settings = settings_or_exit()
    if admin:
        if org:
            raise click.UsageError("--admin names no organisation; drop ORG or --admin")
        consumer = Consumer(subject=subject or "admin", org_kind=OrgKind.ADMIN, purpose=purpose)
    else:
        if not org or not org.strip():
            raise click.UsageError("name an organisation (or pass --admin)")
        found = resolve_or_exit(settings, org.strip(), include_enterprises=True)
        try:
            # The same consumer the GraphiQL role switcher mints for (local mode).
            consumer = organisation_consumer(found, purpose=purpose, subject=subject)
        except ValueError as error:
            raise click.ClickException(f"{found.name} ({found.code}): {error}") from None
    try:
        minted = mint(settings.token_config(), consumer, ttl=lifetime)
    except (ValueError, SettingsError) as error:
        raise click.ClickException(str(error)) from None
    until = datetime.now(UTC) + lifetime
    who = (
        f"{consumer.org_name} ({consumer.org_code})"
        if consumer.org_code
        else f"subject {consumer.subject}"
    )
    click.echo(
        f"{consumer.org_kind.label} {who}"
        + (f", purpose {purpose}" if purpose else "")
        + (f", duty {', '.join(sorted(consumer.duty))}" if consumer.duty else "")
        + f", valid until {until:%Y-%m-%d %H:%M} UTC",
        err=True,
    )
    click.echo(minted)


@main.group(name="audit")
def audit_group() -> None:
    """The tamper-evident access log (查询留痕)."""


@audit_group.command(name="verify")
def audit_verify() -> None:
    """Check the whole audit chain; fail if any entry was altered, removed or reordered."""
    report = with_db(settings_or_exit(), audit.verify)
    for request in report.unfinished:
        click.echo(f"unfinished: {request}", err=True)
    if report.ok:
        click.echo(f"Audit chain intact: {report.entries} entries verified.")
        return
    for problem in report.problems:
        click.echo(problem, err=True)
    raise click.ClickException(
        f"Audit chain broken: {len(report.problems)} problem(s) in {report.entries} entries."
    )


@audit_group.command(name="prune")
@click.option(
    "--days",
    type=int,
    default=audit.RETENTION.days,
    show_default=True,
    help=f"Retention in days (at least {audit.MIN_RETENTION.days}: 5 years).",
)
def audit_prune(days: int) -> None:
    """Delete entries older than the retention (default: 5 years), keeping the chain provable."""

    if timedelta(days=days) < audit.MIN_RETENTION:
        # Refused before connecting: the law sets the floor, not the operator.
        raise click.BadParameter(
            str(audit.RetentionTooShort(timedelta(days=days))), param_hint="--days"
        )

    async def run(db: Database) -> int:
        return await audit.prune(db, retain=timedelta(days=days))

    click.echo(f"Deleted {with_db(settings_or_exit(), run)} entries older than {days} days.")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(pytest_args: tuple[str, ...]) -> None:
    """Lint, type-check and run the whole test suite (pytest starts its own Neo4j)."""
    root = Path(__file__).resolve().parent.parent
    python = sys.executable
    steps = [
        ("ruff", [python, "-m", "ruff", "check", "."]),
        ("ruff format", [python, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [python, "-m", "mypy"]),
        ("pytest", [python, "-m", "pytest", *pytest_args]),
    ]
    for name, command in steps:
        click.echo(f"== {name}", err=True)
        result = subprocess.run(command, cwd=root, env=os.environ.copy(), check=False)
        if result.returncode != 0:
            raise click.ClickException(f"{name} failed (exit {result.returncode}).")


register_feed_commands(main)
register_evaluation_commands(main)
register_exchange_commands(main)
register_lifecycle_commands(main)
register_org_commands(main)
register_risk_commands(main)
register_supervision_commands(main)
main.add_command(assets_command)
# Last, over every command registered above: the officials' manual (hub/cli_help.py).
apply_help(main)

if __name__ == "__main__":
    main()
