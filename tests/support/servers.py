"""Server subprocesses on loopback for the tests and the benchmark, and ``free_port``.

A server starts in a session of its own, so that stopping it reaches its whole process group
(gunicorn's master and workers, ``gateway worker``) and nothing is ever looked up or killed by
name. Readiness is a poll with a deadline, never a fixed sleep; output goes to a log file that a
failure quotes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

HOST = "127.0.0.1"
#: prctl(2) option: the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child before exec: a server in a session of its own is not reached by what stops
    its test run (a timeout's SIGTERM, a killed xdist worker), so it asks the kernel for SIGTERM
    when its parent ends, and stops as when a test stops it, instead of running on unowned."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


REPO = Path(__file__).resolve().parents[2]
#: A start takes about 1.5 s on an idle 2-core machine and was seen taking 7 s under load.
READY_DEADLINE = 60.0
#: How long a stopped server has to exit before its process group is killed: gunicorn's graceful
#: timeout (2 s, ``gateway.server``) and the interpreter's exit.
STOP_GRACE = 5.0
HEALTH_PATH = "/sandbox/api/v1/health"
CONTROL = "/sandbox/api/v1"


def free_port() -> int:
    """A port nothing listens on now (bound, then closed): for a server to bind, or for an
    endpoint that is down."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """A WSGI ``app`` served in this process by werkzeug, in a thread, on a free loopback port;
    yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started that are still its children (Linux ``/proc``)."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class ServerError(RuntimeError):
    """A server exited early or was not ready in time; the message quotes its log."""


class ServerProcess:
    """A subprocess that serves on ``HOST:port`` (or, with ``port=None``, serves nothing: a
    ``gateway worker``). Ready when ``health_path`` answers 2xx, or else when the port takes a
    connection."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log_path: Path,
        *,
        port: int | None,
        env: Mapping[str, str] | None = None,
        health_path: str | None = None,
    ) -> None:
        self.name, self.argv, self.log_path, self.port = name, argv, log_path, port
        self.health_path = health_path
        # The parent's GATEWAY_* settings (a developer's, or GATEWAY_TEST_DATABASE_URL) stay out.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        self.env.update(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = READY_DEADLINE) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_stop_with_parent,
            )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise ServerError(f"{self.name} exited with {code}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"{self.name} not ready within {timeout}s:\n{self.log()}")
            time.sleep(0.05)  # readiness poll interval, bounded by the deadline
        return self

    def _ready(self) -> bool:
        if self.port is None:
            return True
        if self.health_path is None:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return True
            return False
        try:
            return requests.get(self.url + self.health_path, timeout=1).ok
        except requests.RequestException:
            return False  # not listening yet, or a worker still booting behind the open socket

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM to the server (gunicorn's graceful shutdown, which stops ``gateway worker``
        too), then SIGKILL to its whole group after ``grace`` seconds or once it has exited."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        self.kill()

    def kill(self) -> None:
        """SIGKILL to the whole process group: no cleanup, no graceful shutdown."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


class GatewayServer(ServerProcess):
    """``python -m gateway serve`` on a data dir, with the sandbox control API at hand.

    ``database_url`` None: SQLite in the data dir. ``scheduler`` False: due work is applied only
    when a merchant's clock is advanced through the sandbox API (which answers once it is done);
    True: a ``gateway worker`` sweeps every ``sweep_interval`` seconds and delivers IPNs.
    ``seeded`` True: a new database gets the default seed (``sandbox_data/``), as a reader's does.
    ``https`` True: the HTTPS listener too, on a free port, with the self-signed certificate made
    in the data dir (``tls_cert``); False: none (``--https-port 0``), so that no test binds the
    default 8443. ``workers``: gunicorn's web workers, one unless a test asks for more (each
    imports the application, about a second of CPU, and a suite starts dozens of servers); None:
    ``gateway serve``'s own default (the benchmarks).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        port: int | None = None,
        scheduler: bool = False,
        sweep_interval: float = 0.1,
        workers: int | None = 1,
        threads: int | None = None,
        access_log: bool = True,
        seeded: bool = False,
        https: bool = False,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir, self.database_url = data_dir, database_url
        port = port or free_port()
        self.https_port = free_port() if https else None
        argv = [sys.executable, "-m", "gateway", "serve", "--data-dir", str(data_dir)]
        argv += ["--port", str(port), "--https-port", str(self.https_port or 0)]
        if database_url:
            argv += ["--database-url", database_url]
        if not scheduler:
            argv.append("--no-scheduler")
        if workers is not None:
            argv += ["--workers", str(workers)]
        if threads:
            argv += ["--threads", str(threads)]
        if not access_log:
            argv.append("--no-access-log")
        env = {"GATEWAY_SWEEP_INTERVAL": str(sweep_interval)}
        if not seeded:
            env["GATEWAY_SEED_DIR"] = ""  # the default seeds sandbox_data/ into a new database
        super().__init__(
            "gateway serve",
            argv,
            log_path or data_dir.parent / f"{data_dir.name}-server.log",
            port=port,
            env=env,
            health_path=HEALTH_PATH,
        )

    def start(self, timeout: float = READY_DEADLINE) -> GatewayServer:
        super().start(timeout)
        return self

    def scheduler_pid(self, *, other_than: int | None = None, timeout: float = 30.0) -> int:
        """The pid of the ``gateway worker`` this server runs (one other than ``other_than``),
        waiting at most ``timeout`` seconds for it to be started."""
        deadline = time.monotonic() + timeout
        while True:
            for pid in child_pids(self.pid):
                with contextlib.suppress(FileNotFoundError):
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    if (
                        argv[-3:-1] == [b"gateway", b"worker"]
                        and pid != other_than
                        and running(pid)
                    ):
                        return pid
            if time.monotonic() > deadline:
                raise ServerError(f"no gateway worker within {timeout}s:\n{self.log()}")
            time.sleep(0.05)  # poll interval, bounded by the deadline

    @property
    def endpoint(self) -> str:
        """The Off-Amazon Payments sandbox endpoint."""
        return f"{self.url}/OffAmazonPayments_Sandbox/2013-01-01"

    @property
    def https_url(self) -> str:
        assert self.https_port is not None, "started without https=True"
        return f"https://{HOST}:{self.https_port}"

    @property
    def tls_cert(self) -> Path:
        """The self-signed certificate the server made in its data dir, to trust."""
        return self.data_dir / "tls-cert.pem"

    def sandbox(self, method: str, path: str, *, status: int | None = None, **body: Any) -> Any:
        """One call of the sandbox control API (``path`` below ``/sandbox/api/v1``), asserted
        to answer ``status`` (any 2xx when None); its JSON answer."""
        response = requests.request(
            method, f"{self.url}{CONTROL}{path}", json=body or None, timeout=30
        )
        if status is None:
            assert response.status_code < 300, response.text
        else:
            assert response.status_code == status, response.text
        return response.json()

    def new_merchant(self, **settings: Any) -> dict[str, Any]:
        merchant: dict[str, Any] = self.sandbox("POST", "/merchants", status=201, **settings)
        return merchant

    def new_order(self, seller_id: str, **body: Any) -> str:
        path = f"/merchants/{seller_id}/order-references"
        order_id: str = self.sandbox("POST", path, status=201, **body)["amazon_order_reference_id"]
        return order_id

    def advance_clock(self, seller_id: str, seconds: float) -> dict[str, Any]:
        """Move the merchant's clock; the server applies what became due before answering."""
        path = f"/merchants/{seller_id}/clock/advance"
        result: dict[str, Any] = self.sandbox("POST", path, status=200, seconds=seconds)
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
