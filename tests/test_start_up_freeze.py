"""A serving process leaves what start-up made out of the garbage collector's work
(`hub.app.freeze_start_up`, issue 18): a full collection walked the schema, the modules and the
driver every time, 17 % of a worker's CPU. Only a serving process freezes: objects frozen are
never collected, so an app built by a test or a script must not.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

import hub.app as app_module
from hub.app import app_from_env, create_app
from hub.settings import Settings


async def test_a_serving_app_freezes_once_started_and_a_built_app_does_not(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def collect(*_: Any) -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    for serving, expected in ((False, []), (True, ["collect", "freeze"])):
        calls.clear()
        app = create_app(settings, run_migrations=False, serving=serving)
        assert calls == []  # nothing before start-up has finished
        async with app.router.lifespan_context(app):
            assert calls == expected, serving


def test_the_server_factory_builds_a_serving_app(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(app_module, "create_app", lambda **kwargs: asked.append(kwargs))
    app_from_env()
    assert asked == [{"serving": True}]
