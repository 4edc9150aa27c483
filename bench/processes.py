"""What the bench reads about the processes it measures: memory and CPU time from /proc.

Linux only, like the machines the benchmarks are run on. A process that has gone reads as 0.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (a hub's workers, a server's helpers)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(_stat_fields(int(stat.parent.name))[1])  # field 4: the parent
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == pid:
            child = int(stat.parent.name)
            found += [child, *children(child)]
    return found


def tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    return [pid, *children(pid)]


def rss_kib(pid: int) -> int:
    """Resident memory of one process in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time the processes have used so far, in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15: utime, stime
    return total / _TICKS


def neo4j_pid(home: Path) -> int | None:
    """The JVM of the Neo4j server whose home is `home` (several may run on one machine)."""
    wanted = f"--home-dir={home.resolve()}"
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if "org.neo4j.server.CommunityEntryPoint" in args and wanted in args:
            return int(cmdline.parent.name)
    return None
