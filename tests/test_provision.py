"""The project's own Neo4j: configured for loopback and a small machine, clear when it can't."""

from __future__ import annotations

import shutil
import socket
import stat
from pathlib import Path
from urllib.parse import urlparse

import pytest

from graph.database import Connection, Database
from graph.provision import (
    JavaMissing,
    LocalNeo4j,
    MavenMissing,
    PortTaken,
    ServerConfig,
    StartFailed,
    neo4j_version,
)
from tests.conftest import suite_server_home
from tests.processes import free_port


def test_the_pinned_server_is_the_5_26_lts_line() -> None:
    assert neo4j_version().startswith("5.26.")


def test_config_listens_on_loopback_only_and_keeps_parameters_out_of_logs(
    tmp_path: Path,
) -> None:
    server = LocalNeo4j(ServerConfig(home=tmp_path, bolt_port=17999))
    server.write_config()
    conf = (tmp_path / "conf" / "neo4j.conf").read_text()
    assert "server.default_listen_address=127.0.0.1" in conf
    assert "server.bolt.listen_address=:17999" in conf
    assert "server.memory.heap.max_size=1g" in conf
    assert "server.memory.pagecache.size=512m" in conf
    assert "dbms.security.auth_enabled=true" in conf
    assert "db.logs.query.parameter_logging_enabled=false" in conf


def test_a_fresh_home_is_not_installed_or_running(tmp_path: Path) -> None:
    status = LocalNeo4j(ServerConfig(home=tmp_path, bolt_port=17998)).status()
    assert (status.installed, status.running, status.pid) == (False, False, None)


def test_password_is_generated_once_and_private(tmp_path: Path) -> None:
    server = LocalNeo4j(ServerConfig(home=tmp_path))
    first = server.password()
    assert len(first) >= 24 and server.password() == first
    assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600


def test_a_taken_port_is_reported_before_anything_is_fetched(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortTaken, match=f"127.0.0.1:{port}"):
            LocalNeo4j(ServerConfig(home=tmp_path, bolt_port=port)).start()
    assert not (tmp_path / "lib").exists()


def test_missing_java_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(JavaMissing, match="Java 17"):
        LocalNeo4j(ServerConfig(home=tmp_path)).start()


async def test_the_test_server_is_a_real_neo4j_5_26_community(
    db: Database, neo4j_connection: Connection
) -> None:
    [row] = await db.read(
        "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition"
    )
    home = suite_server_home(urlparse(neo4j_connection.uri).port or 0)
    if (home / "password").exists():
        assert row["edition"] == "community"
        assert row["version"] == neo4j_version()
        assert stat.S_IMODE((home / "password").stat().st_mode) == 0o600


def test_missing_maven_is_named_when_the_server_must_be_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    java = shutil.which("java")
    assert java is not None
    monkeypatch.setenv("JAVA_HOME", str(Path(java).resolve().parent.parent))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MavenMissing, match="Maven"):
        LocalNeo4j(ServerConfig(home=tmp_path / "home", bolt_port=free_port())).start()


def test_a_server_that_cannot_start_reports_the_log_tail(
    tmp_path: Path, db: Database, neo4j_connection: Connection
) -> None:
    installed = suite_server_home(urlparse(neo4j_connection.uri).port or 0) / "lib"
    if not installed.exists():
        pytest.skip("needs the locally fetched server classpath")
    home = tmp_path / "home"
    home.mkdir()
    (home / "lib").symlink_to(installed)
    server = LocalNeo4j(ServerConfig(home=home, bolt_port=free_port(), heap="not-a-size"))
    with pytest.raises(StartFailed) as failure:
        server.start(timeout=60)
    message = str(failure.value)
    assert "last lines of the log" in message
    assert "server.memory.heap" in message and "not-a-size" in message
