"""For tests that run the hub's own commands as processes: a free port, their environment, and a
`credithub serve` that is up before the test starts."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from graph.database import Connection


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def hub_env(connection: Connection, home: Path, **extra: str) -> dict[str, str]:
    """This process's environment, pointed at `connection`, with `home` as CREDITHUB_HOME."""
    return {
        **os.environ,
        "NEO4J_URI": connection.uri,
        "NEO4J_USER": connection.user,
        "NEO4J_PASSWORD": connection.password,
        "NEO4J_DATABASE": connection.database,
        "CREDITHUB_HOME": str(home),
        **extra,
    }


@contextlib.contextmanager
def served_process(
    port: int, env: dict[str, str], cwd: Path, *, up_within: float = 60.0, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """`credithub serve --workers N` on `port` with `env`, once /healthz answers 200; the process
    itself (for tests that kill it). Terminated on exit if still running. Fails when the process
    exits or is not up within `up_within` seconds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + up_within
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the hub exited"
            assert time.monotonic() < deadline, f"the hub did not come up in {up_within:g} s"
            time.sleep(0.3)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@contextlib.contextmanager
def serving_hub(port: int, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """`credithub serve` on `port` with `env`, once /healthz answers 200; its base URL.

    Terminated on exit. Fails when the process exits or is not up within 60 s.
    """
    with served_process(port, env, cwd):
        yield f"http://127.0.0.1:{port}"
