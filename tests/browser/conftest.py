"""The browser harness: Debian's Chromium, driven by Playwright, against the hub served for real.

`site_url` serves the hub application (what `hub_app` is: `create_app` on the test settings
and database) with uvicorn on a free loopback port, in a background thread with its own event
loop — its own instance, since the Neo4j driver's connections belong to one event loop. The
browser is the Chromium Debian packages (`/usr/bin/chromium`; Playwright's own browser
download cannot reach this network); `./credithub test` installs it with a CJK font when it
runs as root. Without a browser the tests fail, saying how to get one, unless
``CREDITHUB_BROWSER_TESTS=skip`` is set: then they are skipped with the reason.

For tests: `browser_page` (a fresh page in its own browser context, with ``base_url`` set, so
``await browser_page.goto("/")`` works), `site_url`, and `screenshot(page, name)`, which saves
``test-artifacts/screenshots/<name>.png``.
Every context blocks requests to any host but this machine's (127.0.0.1, localhost): the
pages must work on a closed network, with no CDN.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, Route, async_playwright
from playwright.async_api import Error as PlaywrightError

from graph.database import Database
from hub.app import create_app
from hub.settings import Settings
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium (package `chromium`)."""

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
"""Where `screenshot` puts its PNGs (ignored by git; CI keeps them as artifacts)."""

SKIP_VARIABLE = "CREDITHUB_BROWSER_TESTS"

SERVER_START_SECONDS = 20.0


def browser_unavailable(reason: str) -> NoReturn:
    """Fail — or, with CREDITHUB_BROWSER_TESTS=skip, skip — because there is no browser."""
    if os.environ.get(SKIP_VARIABLE) == "skip":
        pytest.skip(f"browser tests skipped ({SKIP_VARIABLE}=skip): {reason}")
    pytest.fail(
        f"{reason}. The browser tests need Debian's chromium and a CJK font: run "
        "`./credithub test` as root (it installs them with apt-get) or "
        "`apt-get install chromium fonts-wqy-zenhei`; to skip these tests instead, set "
        f"{SKIP_VARIABLE}=skip.",
        pytrace=False,
    )


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def site_url(db: Database, settings: Settings) -> Iterator[str]:
    """Base URL of the hub served by uvicorn on a free loopback port (no trailing slash)."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, run_migrations=False),
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="site-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the hub did not start serving for the browser tests", pytrace=False)
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # One request before any browser arrives: the first page pays for the new driver's
    # connections and template compilation, which a slow CI machine can make take seconds.
    httpx.get(f"{url}/", timeout=60).raise_for_status()
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for the whole run."""
    if not CHROMIUM.exists():
        browser_unavailable(f"{CHROMIUM} is not installed")
    async with async_playwright() as playwright:
        try:
            chromium = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            browser_unavailable(f"{CHROMIUM} did not start: {error.message.splitlines()[0]}")
        yield chromium
        await chromium.close()


@pytest.fixture
async def browser_page(browser: Browser, site_url: str) -> AsyncIterator[Page]:
    """A fresh page (own cookies and cache) whose relative URLs go to the served hub."""
    context = await browser.new_context(
        base_url=site_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    # Playwright's own default; a loaded 2-core CI machine has been seen to need more than 10 s.
    context.set_default_timeout(30_000)
    # A closed network, as on a government one: whatever a page asks of another host fails.
    await context.route(lambda url: not is_loopback_url(url), _abort)
    page = await context.new_page()
    yield page
    await context.close()


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback_url(url: str) -> bool:
    """Whether `url` stays on this machine (or in the page: data:, blob:, about:)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK_HOSTS


async def _abort(route: Route) -> None:
    await route.abort("blockedbyclient")


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole of `page` as ``test-artifacts/screenshots/<name>.png``; return the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path
