"""Starting and stopping the servers the benchmark measures, on loopback, and their peak memory.

Every process is started in its own session and stopped by its own id (SIGTERM, then SIGKILL of
that process group after a grace period); nothing is looked up or killed by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


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


class Server:
    """A server subprocess listening on ``HOST:port``."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.argv, self.port, self.log_path = name, argv, port, log
        self.env, self.cwd = env, cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.memory: dict[str, float] = {}

    def start(self, timeout: float = 60.0) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(self.env or {})},
            cwd=self.cwd,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}"
                )
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.2):
                time.sleep(0.3)  # let every worker come up
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout}s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def sample_memory(self) -> dict[str, float]:
        if self.proc is not None and self.proc.poll() is None:
            current = peak_memory_mib(self.proc.pid)
            if current["total_mib"] >= self.memory.get("total_mib", 0):
                self.memory = current
        return self.memory

    def stop(self) -> None:
        if self.proc is None:
            return
        self.sample_memory()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # Anything the server left behind in its own process group (its own session).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None


def python() -> str:
    return sys.executable


def gateway_server(
    data_dir: Path,
    port: int,
    log: Path,
    *,
    scheduler: bool = False,
    workers: int | None = None,
    threads: int | None = None,
    sweep_interval: float | None = None,
) -> Server:
    argv = [python(), "-m", "gateway", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    # Figures comparable with the runs before the access log existed (a line per request).
    argv.append("--no-access-log")
    if not scheduler:
        argv.append("--no-scheduler")
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        argv += ["--threads", str(threads)]
    env = {"GATEWAY_SEED_DIR": ""}
    if sweep_interval is not None:
        env["GATEWAY_SWEEP_INTERVAL"] = str(sweep_interval)
    return Server("gateway", argv, port, log, env=env)


def ceiling_server(
    data_dir: Path, port: int, log: Path, *, workers: int | None = None, threads: int | None = None
) -> Server:
    argv = [python(), "-m", "bench.ceiling", "--data-dir", str(data_dir), "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        argv += ["--threads", str(threads)]
    return Server("ceiling", argv, port, log)


def localstripe_server(port: int, log: Path) -> Server:
    return Server("localstripe", [python(), "-m", "bench.peer", "--port", str(port)], port, log)
