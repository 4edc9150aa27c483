"""For tests that run the hub's own commands as processes: a free port and their environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path

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
