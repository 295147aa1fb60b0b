"""A real ``gateway serve`` process and a real IPN receiver, both on loopback, for e2e tests.

Readiness is a poll of the health URL with a deadline (never a fixed sleep); output goes to a log
file that a failure shows; everything started is stopped.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

STARTUP_DEADLINE = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """``python -m gateway serve`` on a free port; start, kill -9, restart on the same data."""

    def __init__(self, data_dir: Path, database_url: str, *, scheduler: bool = True) -> None:
        self.data_dir, self.database_url, self.scheduler = data_dir, database_url, scheduler
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, scheduler: bool | None = None) -> LiveServer:
        use_scheduler = self.scheduler if scheduler is None else scheduler
        command = [
            sys.executable, "-m", "gateway", "serve", "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--database-url", self.database_url,
            "--workers", "1", "--threads", "8",
        ]  # fmt: skip
        if not use_scheduler:
            command.append("--no-scheduler")
        env = dict(os.environ, GATEWAY_SWEEP_INTERVAL="0.1", GATEWAY_SEED_DIR="")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A new session: SIGKILL of the group takes gunicorn's workers and the worker process too.
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/sandbox/api/v1/health", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or a worker still booting behind the open socket
            time.sleep(0.05)  # readiness poll interval, bounded by the deadline
        self.stop()
        raise AssertionError(f"server not ready within {STARTUP_DEADLINE}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, no graceful shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    # --- the sandbox API -------------------------------------------------------------------

    def sandbox(self, method: str, path: str, **body: Any) -> Any:
        response = requests.request(
            method, f"{self.url}/sandbox/api/v1{path}", json=body or None, timeout=30
        )
        assert response.status_code < 300, response.text
        return response.json()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def envelope(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document

    def message(self) -> dict[str, Any]:
        inner: dict[str, Any] = json.loads(self.envelope()["Message"])
        return inner


class Receiver:
    """An HTTP server on 127.0.0.1:0 recording every POST; ``answer`` picks the status."""

    def __init__(self, answer: Callable[[int], int] = lambda _n: 200) -> None:
        self.received: queue.Queue[Received] = queue.Queue()
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.count += 1
                status = answer(receiver.count)
                receiver.received.put(Received(self.path, dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ipn"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout: float = 15.0) -> Received:
        """The next notification received, waiting at most ``timeout`` seconds for it."""
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no notification within {timeout}s") from None

    def next_matching(
        self, predicate: Callable[[Received], bool], timeout: float = 15.0
    ) -> Received:
        deadline = time.monotonic() + timeout
        while True:
            item = self.next(max(deadline - time.monotonic(), 0.01))
            if predicate(item):
                return item

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
