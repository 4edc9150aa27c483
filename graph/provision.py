"""A real, local Neo4j Community server, fetched and run by the project itself.

Maven Central does not carry the packaged server tarball, so the server's classpath (the
artifact ``org.neo4j:neo4j`` and its dependencies — what the tarball ships in ``lib/``) is copied
with Maven into an ignored folder, and the server's own entry point
``org.neo4j.server.CommunityEntryPoint`` runs on it with a generated ``neo4j.conf``. It is the
same server the tarball starts, speaking Bolt on loopback.

Layout of a server home (default ``.credithub/neo4j``)::

    lib/            the server classpath, cached (re-fetched only when the version changes)
    conf/neo4j.conf written on every start from `ServerConfig`
    data/ logs/ run/
    password        generated on first start (mode 600), set before the first start
    neo4j.pid       the running server's process id
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import neo4j

POM = Path(__file__).with_name("neo4j-server.pom.xml")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"


class ProvisionError(RuntimeError):
    """The local server could not be installed, started or stopped; the message says why."""


class JavaMissing(ProvisionError):
    """No Java 17+ runtime was found."""

    def __init__(self) -> None:
        super().__init__(
            "Java 17 or newer is needed to run Neo4j 5.26 but `java` was not found. "
            "Install a JDK (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
        )


class MavenMissing(ProvisionError):
    """Maven is needed once, to fetch the server."""

    def __init__(self) -> None:
        super().__init__(
            "Maven (`mvn`) is needed once to fetch the Neo4j server from Maven Central but was "
            "not found. Install it (apt-get install maven) or point NEO4J_URI at another Neo4j."
        )


class PortTaken(ProvisionError):
    """Something else listens on the port the server needs."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"Port 127.0.0.1:{port} is already in use by another program, so Neo4j cannot "
            f"listen there. Stop that program or choose another port (CREDITHUB_NEO4J_PORT)."
        )


class StartFailed(ProvisionError):
    """The server process exited or never answered; the message carries the log's tail."""

    def __init__(self, reason: str, log_tail: str) -> None:
        super().__init__(
            f"Neo4j did not start: {reason}\n--- last lines of the log ---\n{log_tail}"
        )


@dataclass(frozen=True)
class ServerConfig:
    """How the local server is laid out and sized (a 2-core, 24 GB machine by default)."""

    home: Path
    bolt_port: int = 7687
    heap: str = "1g"
    page_cache: str = "512m"
    user: str = "neo4j"
    database: str = "neo4j"


@dataclass(frozen=True)
class ServerStatus:
    """What `status` reports."""

    installed: bool
    running: bool
    pid: int | None
    uri: str
    version: str


def neo4j_version() -> str:
    """The Neo4j version the project's pom pins."""
    text = POM.read_text(encoding="utf-8")
    start = text.index("<neo4j.version>") + len("<neo4j.version>")
    return text[start : text.index("</neo4j.version>", start)]


class LocalNeo4j:
    """Install, start, stop and report on one local Neo4j server home."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.home = config.home.resolve()
        # Held so the child is waited for (and not reported as leaked) when we stop it.
        self._process: subprocess.Popen[bytes] | None = None

    # -- paths ---------------------------------------------------------------------------
    @property
    def lib(self) -> Path:
        return self.home / "lib"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.config.bolt_port}"

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def pid_file(self) -> Path:
        return self.home / "neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    # -- install -------------------------------------------------------------------------
    def is_installed(self) -> bool:
        """True when the classpath for the pinned version is in place."""
        marker = self.lib / ".version"
        return marker.exists() and marker.read_text().strip() == neo4j_version()

    def install(self) -> None:
        """Copy the server classpath from Maven Central (cached in ~/.m2 and in `lib/`)."""
        if self.is_installed():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise MavenMissing()
        self.home.mkdir(parents=True, exist_ok=True)
        staging = self.home / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise ProvisionError(f"Maven could not fetch Neo4j {neo4j_version()}:\n{tail}")
        (staging / ".version").write_text(neo4j_version())
        # Swap in one rename so an interrupted fetch never leaves a half-filled lib/.
        shutil.rmtree(self.lib, ignore_errors=True)
        staging.rename(self.lib)

    # -- credentials ---------------------------------------------------------------------
    def password(self) -> str:
        """The server's password, generated on first use and kept beside the data."""
        if not self.password_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                # Never a leading '-': neo4j-admin would read the password as an option.
                handle.write("p" + secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    def _set_initial_password(self, java: str) -> None:
        # The admin tool only sets the password of a server that has never started; the
        # auth file it writes is what tells us it has been done.
        if (self.home / "data" / "dbms" / "auth.ini").exists() or (
            self.home / "data" / "databases" / "system"
        ).exists():
            return
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        result = subprocess.run(
            [
                java,
                "-cp",
                f"{self.lib}/*",
                ADMIN_TOOL,
                "dbms",
                "set-initial-password",
                self.password(),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            # The password is an argument of that command: never echo the command line.
            lines = (result.stdout + result.stderr).splitlines()
            raise StartFailed(
                "the admin tool could not prepare the server (often a bad setting)",
                "\n".join([*lines[:8], "…", *lines[-4:]] if len(lines) > 12 else lines),
            )

    # -- configuration -------------------------------------------------------------------
    def write_config(self) -> None:
        """Write conf/neo4j.conf for this home (loopback only, sized for a small machine)."""
        for sub in ("conf", "data", "logs", "run", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        c = self.config
        settings = {
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.listen_address": f":{c.bolt_port}",
            "server.bolt.advertised_address": f":{c.bolt_port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "server.memory.heap.initial_size": c.heap,
            "server.memory.heap.max_size": c.heap,
            "server.memory.pagecache.size": c.page_cache,
            "server.directories.data": str(self.home / "data"),
            "server.directories.logs": str(self.home / "logs"),
            "server.directories.run": str(self.home / "run"),
            "server.directories.plugins": str(self.home / "plugins"),
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            # Query parameters can carry personal data; the query log must not keep them.
            "db.logs.query.parameter_logging_enabled": "false",
            # Neo4j keeps two days of transaction logs by default: a benchmark's million-row
            # loads piled up 21 GB and filled the disk. Recovery needs only the latest.
            "db.tx_log.rotation.retention_policy": "1G size",
            "initial.dbms.default_database": c.database,
        }
        lines = ["# Generated by graph/provision.py on every start; edit ServerConfig instead."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        (self.home / "conf" / "neo4j.conf").write_text("\n".join(lines) + "\n")

    # -- lifecycle -----------------------------------------------------------------------
    def pid(self) -> int | None:
        """The server's process id when it is alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def status(self) -> ServerStatus:
        """Installed? running? where?"""
        return ServerStatus(
            installed=self.is_installed(),
            running=self.pid() is not None and self._answers(),
            pid=self.pid(),
            uri=self.uri,
            version=neo4j_version(),
        )

    def start(self, timeout: float = 180.0) -> None:
        """Install if needed, start the server, and return once a real query succeeds."""
        if self.pid() is not None:
            self._wait_until_ready(timeout)
            return
        java = _find_java()
        # Before the (slow, once) fetch: a taken port should fail at once.
        if _port_in_use(self.config.bolt_port):
            raise PortTaken(self.config.bolt_port)
        self.install()
        self.write_config()
        self._set_initial_password(java)
        self.console_log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            java,
            f"-Xms{self.config.heap}",
            f"-Xmx{self.config.heap}",
            "-XX:+UseG1GC",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp",
            f"{self.lib}/*:{self.home}/plugins/*",
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
        ]
        with self.console_log.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.home,
                # Its own session: Ctrl-C in the terminal that started it does not kill it.
                start_new_session=True,
            )
        self._process = process
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise StartFailed(
                    f"the server process exited with {process.returncode}", self.log_tail()
                )
            if self._answers():
                return
            time.sleep(0.5)
        self.stop()
        raise StartFailed(f"no answer to a query within {timeout:.0f} s", self.log_tail())

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server cleanly (SIGTERM, then SIGKILL after `timeout`). True if it ran."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        else:
            deadline = time.monotonic() + timeout
            while _alive(pid):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.2)
        self.pid_file.unlink(missing_ok=True)
        return True

    def detach(self) -> None:
        """Leave the server running past this process (the pid file keeps track of it)."""
        if self._process is not None:
            # Popen warns at collection about a child it never waited for; this one is meant
            # to outlive us, and `stop` finds it again through the pid file.
            self._process.returncode = 0
            self._process = None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's logs, for error messages."""
        out: list[str] = []
        for path in (self.home / "logs" / "neo4j.log", self.console_log):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                out += [f"[{path.name}] {line}" for line in text[-lines:]]
        return "\n".join(out[-lines:]) or "(no log written)"

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._answers():
                return
            time.sleep(0.5)
        raise StartFailed(f"no answer to a query within {timeout:.0f} s", self.log_tail())

    def _answers(self) -> bool:
        # Bolt listens before the default database is online: only a query proves readiness.
        if not _port_in_use(self.config.bolt_port):
            return False
        try:
            with neo4j.GraphDatabase.driver(
                self.uri, auth=(self.config.user, self.password()), connection_timeout=2.0
            ) as driver:
                driver.execute_query("RETURN 1", database_=self.config.database)
            return True
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError):
            return False


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidates = [str(Path(java_home) / "bin" / "java")] if java_home else []
    found = shutil.which("java")
    if found:
        candidates.append(found)
    for candidate in candidates:
        if Path(candidate).exists():
            return candidate
    raise JavaMissing()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
