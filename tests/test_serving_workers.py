"""`credithub serve --workers 2` (issue 18): each worker listens on a socket of its own
(``SO_REUSEPORT``), so connections opened at once are spread over the workers instead of going
to whichever worker wakes first; a killed worker is replaced while the other keeps answering.

Against a real `credithub serve` process and real Neo4j. Who holds a connection is read from the
kernel: the server side of each of the test's connections is a socket inode in /proc/net/tcp,
and the worker whose /proc/<pid>/fd holds that inode is the one that accepted it (and answered
on it). Linux only, as the feature.
"""

from __future__ import annotations

import ast
import http.client
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn.supervisors.multiprocess as uvicorn_multiprocess

from graph.database import Connection
from hub.serving import ReusePortSupervisor, spreads_connections
from tests.fixtures import PERSON_SECRET
from tests.processes import free_port, hub_env, served_process

pytestmark = pytest.mark.skipif(not spreads_connections(), reason="SO_REUSEPORT balances on Linux")

ROOT = Path(__file__).resolve().parent.parent
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp
CONNECTIONS = 64  # binomial(64, 1/2) falls below 16 on one side about once in 10,000 runs


@dataclass(frozen=True)
class Hub:
    """A `credithub serve --workers 2` process and its port."""

    process: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]


def _wait(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {within:g} s"
        time.sleep(0.1)


def _workers(pid: int) -> list[int]:
    """The spawned worker processes under the supervisor `pid`."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except FileNotFoundError:  # it just ended
                pass
    return found


def _socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process `pid` holds open."""
    inodes: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


@dataclass(frozen=True)
class TcpSocket:
    local_port: int
    remote_port: int
    state: str
    inode: int


def _tcp(port: int) -> list[TcpSocket]:
    """The IPv4 TCP sockets whose local port is `port` (the hub's side), from /proc/net/tcp."""
    found: list[TcpSocket] = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        local_port = int(local.split(":")[1], 16)
        if local_port == port:
            found.append(TcpSocket(local_port, int(remote.split(":")[1], 16), state, inode))
    return found


def _listeners(hub: Hub) -> dict[int, set[int]]:
    """For the supervisor and each worker: the inodes of its sockets listening on the hub's port."""
    listening = {s.inode for s in _tcp(hub.port) if s.state == LISTEN}
    return {
        pid: _socket_inodes(pid) & listening
        for pid in [hub.process.pid, *_workers(hub.process.pid)]
    }


def _two_workers_listening(hub: Hub) -> bool:
    held = _listeners(hub)
    workers = [pid for pid in held if pid != hub.process.pid]
    return len(workers) == 2 and all(held[pid] for pid in workers)


@pytest.fixture(scope="module")
def hub(neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    port = free_port()
    env = hub_env(
        neo4j_connection,
        tmp_path_factory.mktemp("serving-hub"),
        CREDITHUB_PERSON_KEY_SECRET=PERSON_SECRET.decode(),
    )
    with served_process(port, env, ROOT, workers=2) as process:
        started = Hub(process, port, env)
        _wait(
            lambda: process.poll() is not None or _two_workers_listening(started),
            60,
            "two workers listening",
        )
        assert process.poll() is None, "the hub exited"
        yield started


def _open(port: int, count: int) -> list[http.client.HTTPConnection]:
    """`count` keep-alive connections, all opened before any request is sent."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(count)]
    for connection in connections:
        connection.connect()
    return connections


def _healthz(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def _owners(hub: Hub, connections: list[http.client.HTTPConnection]) -> dict[int, list[int]]:
    """For each worker, the test's connections (by client port) whose server side it holds."""
    client_ports = {c.sock.getsockname()[1] for c in connections}
    server_side = {s.inode: s.remote_port for s in _tcp(hub.port) if s.remote_port in client_ports}
    owners: dict[int, list[int]] = {}
    for worker in _workers(hub.process.pid):
        owners[worker] = sorted(
            server_side[inode] for inode in _socket_inodes(worker) if inode in server_side
        )
    return owners


def _close(connections: list[http.client.HTTPConnection]) -> None:
    for connection in connections:
        connection.close()


def test_each_worker_listens_on_a_socket_of_its_own_and_the_supervisor_on_none(hub: Hub) -> None:
    _wait(lambda: _two_workers_listening(hub), 60, "two workers listening")
    held = _listeners(hub)
    assert held.pop(hub.process.pid) == set(), "the supervisor must not be dealt connections"
    [first, second] = held.values()
    assert len(first) == 1 and len(second) == 1
    assert first != second, "the workers share one listening socket"


def _spread(hub: Hub, connections: list[http.client.HTTPConnection]) -> list[int]:
    """How many of `connections` each worker holds (fewest first), once each has answered."""
    try:
        assert [_healthz(c) for c in connections] == [200] * len(connections)
        owners = _owners(hub, connections)
    finally:
        _close(connections)
    assert len(owners) == 2
    # Every connection is held by exactly one worker: the one that answered on it.
    assert len({port for ports in owners.values() for port in ports}) == len(connections)
    held = sorted(len(ports) for ports in owners.values())
    assert sum(held) == len(connections)
    return held


def test_connections_opened_at_once_are_spread_over_both_workers_and_each_serves(
    hub: Hub,
) -> None:
    _wait(lambda: _two_workers_listening(hub), 60, "two workers listening")
    held = _spread(hub, _open(hub.port, CONNECTIONS))
    assert held[0] >= CONNECTIONS // 4, f"one worker holds {held[0]} of {CONNECTIONS}: {held}"


def test_a_busy_worker_is_dealt_its_share_too(hub: Hub) -> None:
    """Connections that arrive while a worker is busy (here: stopped) are still dealt to it by
    the kernel, and it serves them once it is free. From one shared socket the worker that is
    awake would accept every one of them (the old code: 0 of 64 for the stopped worker): that
    is how one worker came to hold most of the benchmark's keep-alive connections."""
    _wait(lambda: _two_workers_listening(hub), 60, "two workers listening")
    busy = _workers(hub.process.pid)[0]
    os.kill(busy, signal.SIGSTOP)
    try:
        connections = _open(hub.port, CONNECTIONS)
        # Busy a while longer: from one shared socket the other worker accepts them all by then.
        time.sleep(0.3)
    finally:
        os.kill(busy, signal.SIGCONT)
    held = _spread(hub, connections)
    assert held[0] >= CONNECTIONS // 4, f"one worker holds {held[0]} of {CONNECTIONS}: {held}"


def test_a_killed_worker_is_replaced_and_the_port_answers_meanwhile(hub: Hub) -> None:
    _wait(lambda: _two_workers_listening(hub), 60, "two workers listening")
    held = _listeners(hub)
    held.pop(hub.process.pid)
    [(killed, killed_sockets), (survivor, _)] = held.items()

    os.kill(killed, signal.SIGKILL)
    # The dead worker's listening socket is gone from the kernel's group once its fds close.
    _wait(
        lambda: not killed_sockets & {s.inode for s in _tcp(hub.port)},
        10,
        "the killed worker's socket closed",
    )
    connections = _open(hub.port, 16)
    try:
        assert [_healthz(c) for c in connections] == [200] * 16
        owners = _owners(hub, connections)
    finally:
        _close(connections)
    # All by the survivor: a replacement listens only once its app has started, seconds later.
    assert [len(owners.get(survivor, []))] == [16], owners

    _wait(lambda: _two_workers_listening(hub), 60, "a replacement listening")
    workers = _workers(hub.process.pid)
    assert killed not in workers and survivor in workers
    connections = _open(hub.port, CONNECTIONS)
    try:
        assert [_healthz(c) for c in connections] == [200] * CONNECTIONS
        owners = _owners(hub, connections)
    finally:
        _close(connections)
    assert all(owners.values()), f"a worker holds none of {CONNECTIONS}: {owners}"


def test_a_second_hub_on_the_port_is_refused_with_a_clear_error(hub: Hub) -> None:
    """The supervisor holds the port (bound, not listening): nothing else binds it, even while
    no worker listens."""
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(hub.port), "--workers", "2"],
        cwd=ROOT,
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert f"127.0.0.1:{hub.port} is already in use" in result.stderr
    assert hub.process.poll() is None


def _constructs_process(node: ast.AST) -> bool:
    return any(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Process"
        for call in ast.walk(node)
    )


class _UseTheSeam(ast.NodeTransformer):
    """uvicorn's ``Process(self.config, self.sockets)`` as ours: ``self._new_process()``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "Process":
            seam = ast.Attribute(ast.Name("self", ast.Load()), "_new_process", ast.Load())
            return ast.Call(seam, [], [])
        return self.generic_visit(node)


def _body(function: ast.FunctionDef) -> str:
    """A method's statements without its docstring, in a form independent of line breaks."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return "\n".join(ast.dump(statement) for statement in body)


def _methods(cls: type) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    [node] = tree.body
    assert isinstance(node, ast.ClassDef)
    return {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}


def test_the_supervisor_is_uvicorns_but_for_the_worker_class() -> None:
    """Every uvicorn method that starts a worker is overridden, statement for statement the same
    but for the seam: an upgrade of uvicorn that changes one fails here instead of drifting."""
    theirs = _methods(uvicorn_multiprocess.Multiprocess)
    ours = _methods(ReusePortSupervisor)
    starting = {name for name, method in theirs.items() if _constructs_process(method)}
    assert starting == {"init_processes", "restart_all", "keep_subprocess_alive", "handle_ttin"}
    for name in starting:
        assert name in ours, name
        expected = _UseTheSeam().visit(theirs[name])
        assert isinstance(expected, ast.FunctionDef)
        assert _body(ours[name]) == _body(expected), name
