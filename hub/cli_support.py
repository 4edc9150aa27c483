"""What every `credithub` command needs: settings from the environment and a database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from graph.database import Database
from hub.settings import Settings, SettingsError

__all__ = ["settings_or_exit", "with_db"]

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

    return asyncio.run(run())
