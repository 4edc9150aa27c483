"""`credithub`: run the hub, its local Neo4j, migrations, demo data, the schema and the tests."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from graph.database import Database
from graph.migrations import migrate
from graph.provision import ProvisionError
from hub.settings import Settings, SettingsError

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        async with Database(settings.connection()) as db:
            return await work(db)

    return asyncio.run(run())


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
    import uvicorn

    if not _port_free(host, port):
        raise click.ClickException(
            f"{host}:{port} is already in use; stop what runs there or pass --port."
        )
    click.echo(f"Credit Hub serves http://{host}:{port}/graphql (GraphiQL in a browser).")
    uvicorn.run(
        "hub.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
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
    from loaders.demo_data import DemoSpec, graph_is_empty, load_demo_data

    settings = _settings()
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

    _with_db(settings, prepare)
    _serve(settings, host or settings.host, port or settings.port, workers)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the hub (Neo4j must be reachable; migrations run at start-up)."""
    settings = _settings()
    _serve(settings, host or settings.host, port or settings.port, workers)


@main.command(name="migrate")
def migrate_command() -> None:
    """Apply the graph's schema migrations (idempotent)."""
    settings = _settings()
    applied = _with_db(settings, migrate)
    click.echo("Applied: " + ", ".join(applied) if applied else "Schema is up to date.")


@main.command(name="demo-data")
@click.option("--enterprises", type=int, default=None, help="Number of enterprises.")
@click.option("--seed", type=int, default=None, help="Random seed (same seed, same data).")
def demo_data(enterprises: int | None, seed: int | None) -> None:
    """Load the deterministic 舞钢市 demo dataset (idempotent: MERGE on natural keys)."""
    from loaders.demo_data import DemoSpec, load_demo_data

    settings = _settings()
    spec = DemoSpec()
    if enterprises is not None:
        spec = DemoSpec(enterprises=enterprises, seed=spec.seed, today=spec.today)
    if seed is not None:
        spec = DemoSpec(enterprises=spec.enterprises, seed=seed, today=spec.today)

    async def load(db: Database) -> dict[str, int]:
        await migrate(db)
        return await load_demo_data(db, spec, settings.person_secret())

    started = time.monotonic()
    counts = _with_db(settings, load)
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
    _ensure_local_neo4j(_settings())


@neo4j.command()
def stop() -> None:
    """Stop the local Neo4j cleanly."""
    server = _settings().local_server()
    click.echo("Neo4j stopped." if server.stop() else "Neo4j was not running.")


@neo4j.command()
def status() -> None:
    """Is the local Neo4j installed and running, and where?"""
    state = _settings().local_server().status()
    click.echo(
        f"Neo4j {state.version}: installed={'yes' if state.installed else 'no'}, "
        f"running={'yes' if state.running else 'no'}"
        + (f", pid {state.pid}" if state.pid else "")
        + f", {state.uri}"
    )
    if not state.running:
        sys.exit(3)


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


if __name__ == "__main__":
    main()
