"""`credithub serve --workers N`: a listening socket per worker, so the kernel spreads connections.

uvicorn's own supervisor binds ONE listening socket in the parent and every worker accepts from
it. Whichever worker's event loop wakes first takes every pending connection, and with keep-alive
clients the connections stay where they landed: with 8 benchmark clients one worker used 9.65 s
of CPU and the other 2.11 s (issue 18). Here each worker, in its own process, binds its own socket
to the same host:port with ``SO_REUSEPORT`` and listens on it; Linux then hashes each new
connection's 4-tuple onto one of the group's listening sockets, so the workers get about as many
connections each.

Everything else is uvicorn's `Multiprocess` supervisor, unchanged: it restarts a worker that dies,
shuts down gracefully on SIGINT/SIGTERM, replaces every worker on SIGHUP and adds or retires one on
SIGTTIN/SIGTTOU. Its methods construct uvicorn's worker class by name, so the four that do are
repeated here with that one call replaced by `ReusePortSupervisor._new_process`;
tests/test_serving_workers.py checks that they are uvicorn's own statement for statement, so an
upgrade of uvicorn that changes them fails a test instead of drifting silently.

The price of the design: a worker's pending connections are its own. When a worker dies (or is
retired: SIGHUP, SIGTTOU), the kernel resets the connections queued on its socket that it had
not accepted yet (the shared socket kept them for the other workers; Linux's
``net.ipv4.tcp_migrate_req=1`` would move them to another worker's socket, off by default), and
a busy worker's queue is not taken over by an idle one. While the supervisor starts a
replacement, which binds a fresh socket and listens once its app has started, new connections go
to the workers still listening; with every worker dead at once, connections are refused until
one is back (the parent holds no listening socket, see `_reserve`).

Linux only: elsewhere ``SO_REUSEPORT`` is missing (Windows) or does not balance (macOS gives the
connections to the last socket bound), so there `serve` is uvicorn's own supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

# uvicorn's logger: the supervisor's messages read as before.
logger = logging.getLogger("uvicorn.error")


def spreads_connections() -> bool:
    """Whether this platform spreads connections over sockets bound with ``SO_REUSEPORT``."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve(app: str, *, workers: int, **options: Any) -> None:
    """Serve `app` (an import string) as ``uvicorn.run(app, workers=workers, **options)`` would,
    but with more than one worker on Linux under `ReusePortSupervisor`.

    One worker (or another platform) is exactly uvicorn.run: one process, no supervisor.
    """
    if workers <= 1 or not spreads_connections():
        uvicorn.run(app, workers=workers, **options)
        return
    config = Config(app, workers=workers, **options)
    # Ctrl+C before the supervisor's own signal handlers are in place, as uvicorn.run.
    with contextlib.suppress(KeyboardInterrupt):
        ReusePortSupervisor(config).run()


def _address(config: Config) -> tuple[socket.AddressFamily, tuple[str, int]]:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    return family, (config.host, config.port)


def _bind(config: Config) -> socket.socket:
    """A TCP socket bound to the configured host:port with ``SO_REUSEPORT``, not yet listening."""
    family, address = _address(config)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As uvicorn's own bind: a restart need not wait for the last run's TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _reserve(config: Config) -> socket.socket:
    """The parent's hold on the port: bound with ``SO_REUSEPORT`` but never listening.

    A listening socket in the parent would join the kernel's group and be dealt connections that
    nobody accepts. A socket that is only bound is not in the group (connections to the port are
    refused while no worker listens) but keeps the address: another program, or a second
    `credithub serve`, cannot bind it between worker restarts, while our workers (same user, same
    option) can. With port 0 it also fixes the port every worker then binds.
    """
    try:
        sock = _bind(config)
    except OSError as error:
        logger.error("%s:%d: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    config.port = sock.getsockname()[1]
    family, _ = _address(config)
    shown = f"[{config.host}]" if family == socket.AF_INET6 else config.host
    scheme = "https" if config.is_ssl else "http"
    logger.info(
        "Uvicorn running on %s://%s:%d (Press CTRL+C to quit; a socket per worker)",
        scheme,
        shown,
        config.port,
    )
    return sock


class ReusePortWorker(Process):
    """uvicorn's worker process, which binds a socket of its own and serves on it.

    The sockets the supervisor passes are ignored (it passes none): the socket must be created in
    this process, since a socket inherited from the parent is the parent's one socket. It is
    bound here but listens only once the app has started (uvicorn's server calls ``listen`` with
    ``config.backlog`` after the lifespan startup): the kernel deals connections only to sockets
    that listen, so a worker still starting (a replacement after a crash) is dealt none, and they
    go to the workers already serving.
    """

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        """Bind this worker's socket and serve on it (runs in the worker process)."""
        try:
            sock = _bind(self.config)
        except OSError as error:
            # Exiting with STARTUP_FAILURE stops the supervisor instead of restarting a worker
            # that would fail the same way forever.
            logger.error("Worker [%d] cannot bind: %s", os.getpid(), error)
            sys.exit(STARTUP_FAILURE)
        super().target([sock])


class ReusePortSupervisor(Multiprocess):
    """uvicorn's `Multiprocess` whose workers are `ReusePortWorker`s; the parent only holds the
    port (`_reserve`). The methods below are uvicorn 0.54.0's, with ``Process(self.config,
    self.sockets)`` replaced by ``self._new_process()``."""

    def __init__(self, config: Config) -> None:
        self._reserved = _reserve(config)
        super().__init__(config, sockets=[])

    def _new_process(self) -> Process:
        return ReusePortWorker(self.config, [])

    def run(self) -> None:
        """Supervise the workers until SIGINT/SIGTERM, then release the port."""
        try:
            super().run()
        finally:
            self._reserved.close()

    # --- uvicorn's, but for the worker class (see the module docstring) ---------------------

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            process = self._new_process()
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        """Replace each worker, its replacement in service before the old one is retired."""
        for idx, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return

            new_process = self._new_process()
            new_process.start()

            if not new_process.wait_until_ready(
                self.config.timeout_worker_healthcheck, self.should_exit
            ):
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    logger.error(
                        f"New child process [{new_process.pid}] was not ready in time; "
                        f"keeping worker [{old_process.pid}] and aborting the restart."
                    )
                return

            old_process.terminate()
            old_process.join()
            self.processes[idx] = new_process

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return  # parent process is exiting, no need to keep subprocess alive

        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue

            process.kill()  # process is hung, kill it
            process.join()

            if process.exitcode == STARTUP_FAILURE:
                # The worker failed before it started serving, so the app, TLS or socket
                # bind is broken and would fail the same way on every restart.
                logger.error(
                    f"Child process [{process.pid}] failed to start, stopping the parent process."
                )
                self.should_exit.set()
                return

            if self.should_exit.is_set():
                return

            logger.info(f"Child process [{process.pid}] died")
            process = self._new_process()
            process.start()
            self.processes[idx] = process

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, increasing the number of processes.")
        self.processes_num += 1
        process = self._new_process()
        process.start()
        self.processes.append(process)
