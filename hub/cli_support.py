"""What every `credithub` command needs: settings from the environment and a database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable, SessionExpired

from graph.database import Database
from hub.settings import Settings, SettingsError

__all__ = ["DATABASE_UNAVAILABLE_EXIT", "Neo4jUnavailable", "settings_or_exit", "with_db"]

DATABASE_UNAVAILABLE_EXIT = 3
"""Exit status of a command that could not reach Neo4j, or lost it half-way."""


class Neo4jUnavailable(click.ClickException):
    """Neo4j could not be reached, or went away while the command ran."""

    exit_code = DATABASE_UNAVAILABLE_EXIT


T = TypeVar("T")


def settings_or_exit() -> Settings:
    """The settings, or a clean command-line error naming the bad variable."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured Neo4j and close the driver afterwards."""

    async def run() -> T:
        async with Database(settings.connection()) as db:
            return await work(db)

    try:
        return asyncio.run(run())
    except (ServiceUnavailable, SessionExpired, DatabaseUnavailable) as error:
        # The operator needs where and what, not the driver's stack.
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise Neo4jUnavailable(
            f"Neo4j 不可用 (database unavailable at {settings.neo4j_uri}): {reason}"
        ) from None
