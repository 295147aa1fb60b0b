"""The servers the benchmark measures, and their peak memory.

They are started and stopped by ``tests.support.servers`` (the launcher the tests use too): each
in its own session, stopped by its own id (SIGTERM, then SIGKILL of that process group after a
grace period); nothing is looked up or killed by name.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from tests.support.servers import ServerProcess


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        with contextlib.suppress(OSError):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(p) for p in text.split())
    return found


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_memory_mib(pid: int) -> dict[str, float]:
    """Peak resident memory (VmHWM) of a process tree: the largest process and the sum.

    The sum counts pages that forked workers share with their master once per process, so it
    is an upper bound; ``pss_mib`` (proportional set size, now) shares them out instead.
    """
    tree = process_tree(pid)
    peaks = [_status_kib(p, "VmHWM") for p in tree]
    peaks = [p for p in peaks if p] or [0]
    pss = sum(_pss_kib(p) for p in tree)
    return {
        "pss_mib": pss / 1024,
        "max_process_mib": max(peaks) / 1024,
        "total_mib": sum(peaks) / 1024,
        "processes": len(peaks),
    }


def ceiling_server(
    data_dir: Path, port: int, log: Path, *, workers: int | None = None, threads: int | None = None
) -> ServerProcess:
    argv = [sys.executable, "-m", "bench.ceiling", "--data-dir", str(data_dir), "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        argv += ["--threads", str(threads)]
    return ServerProcess("ceiling", argv, log, port=port)


def localstripe_server(port: int, log: Path) -> ServerProcess:
    argv = [sys.executable, "-m", "bench.peer", "--port", str(port)]
    return ServerProcess("localstripe", argv, log, port=port)


def ipn_worker(data_dir: Path, log: Path) -> ServerProcess:
    """``gateway worker`` sweeping every 0.1 s: it serves nothing, it posts IPNs."""
    argv = [sys.executable, "-m", "gateway", "worker", "--data-dir", str(data_dir)]
    argv += ["--interval", "0.1"]
    return ServerProcess("ipn-worker", argv, log, port=None, env={"GATEWAY_SEED_DIR": ""})
