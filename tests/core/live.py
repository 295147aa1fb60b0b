"""A real ``gateway serve`` process for end-to-end tests, and the official SDK pointed at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from gateway.store.db import Database

REPO = Path(__file__).resolve().parents[2]
READY_DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(folder: Path, postgres_url: str | None) -> str:
    """SQLite in ``folder``, or the session's PostgreSQL database (``tests/conftest.py``
    ``postgres_url``, from ``GATEWAY_TEST_DATABASE_URL``) with its tables dropped first."""
    if not postgres_url:
        return f"sqlite:///{folder / 'gateway.sqlite3'}"
    db = Database(postgres_url)
    db.drop_all()
    db.dispose()
    return postgres_url


@dataclass
class LiveServer:
    data_dir: Path
    database_url: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    #: Run ``gateway serve``'s background worker (due work, IPN delivery) too.
    scheduler: bool = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base}/OffAmazonPayments_Sandbox/2013-01-01"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> LiveServer:
        command = [
            sys.executable, "-m", "gateway", "serve",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--database-url", self.database_url,
        ]  # fmt: skip
        if not self.scheduler:
            command.append("--no-scheduler")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_DEADLINE
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gateway serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.base}/sandbox/api/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gateway serve not ready in {READY_DEADLINE}s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    # --- the sandbox control API -----------------------------------------------------------

    def new_merchant(self, **settings: Any) -> dict[str, Any]:
        response = requests.post(f"{self.base}/sandbox/api/v1/merchants", json=settings, timeout=10)
        assert response.status_code == 201, response.text
        merchant: dict[str, Any] = response.json()
        return merchant

    def new_order(self, seller_id: str, **body: Any) -> str:
        response = requests.post(
            f"{self.base}/sandbox/api/v1/merchants/{seller_id}/order-references",
            json=body,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        order_id: str = response.json()["amazon_order_reference_id"]
        return order_id

    def advance_clock(self, seller_id: str, seconds: float) -> dict[str, Any]:
        response = requests.post(
            f"{self.base}/sandbox/api/v1/merchants/{seller_id}/clock/advance",
            json={"seconds": seconds},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def sdk(self, merchant: dict[str, Any], **overrides: Any) -> Any:
        """The official client for ``merchant``, pointed at this server (reference §3.1)."""
        from amazon_pay.client import AmazonPayClient

        options = {
            "mws_access_key": merchant["access_key"],
            "mws_secret_key": merchant["secret_key"],
            "merchant_id": merchant["seller_id"],
            "region": "us",
            "currency_code": "USD",
            "sandbox": True,
            "handle_throttle": False,
            **overrides,
        }
        client = AmazonPayClient(**options)
        client._mws_endpoint = self.endpoint
        return client


def start_server(
    folder: Path, postgres_url: str | None, *, reuse_url: str | None = None
) -> LiveServer:
    """A ready server on a fresh database (or, with ``reuse_url``, on that one as it is)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = LiveServer(
        data_dir=folder / "data",
        database_url=reuse_url or database_url(folder, postgres_url),
        port=free_port(),
        log_path=folder / "server.log",
    )
    return server.start()
