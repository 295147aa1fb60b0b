"""Running the app under gunicorn (a production WSGI server, not Flask's development server).

gthread workers: a few processes with threads each, so that a long wait request does not hold
a whole process. Two listeners, HTTP and HTTPS (``https_port``), bound before gunicorn starts
and served by the same workers: ``gateway.https_worker`` wraps the HTTPS listener's connections
in TLS, since gunicorn's own TLS settings apply to every listener of a process.

The app is built in each worker after the fork (no preload), so no database connection crosses
a fork, and the master, which only supervises, imports nothing but gunicorn and the settings
(``gateway serve`` prepares the database in a short-lived child first): the application stack
is resident once per worker, not once more in the master. The scheduler runs as a separate
``gateway worker`` process, started when gunicorn is ready, restarted with back-off whenever it
ends, and stopped when gunicorn exits (``gateway.worker.supervisor``, on the master's loop):
starting threads in gunicorn's master would be inherited, half-alive, by every worker it forks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import socket
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from gateway.config import ConfigError, Settings
from gateway.https_worker import HttpsThreadWorker
from gateway.tls import TlsFiles, tls_files
from gateway.worker.supervisor import WorkerSupervisor


def listen(settings: Settings) -> socket.socket:
    """Bind and listen on ``host:port`` for gunicorn to serve on (it takes the socket over)."""
    return _bind(settings.host, settings.port, "", "pass --host/--port", "--port (or GATEWAY_PORT)")


def listen_https(settings: Settings) -> socket.socket | None:
    """The HTTPS listener on ``host:https_port``; None when ``https_port`` is 0."""
    if not settings.https_port:
        return None
    if settings.https_port == settings.port:
        raise ConfigError(
            f"--https-port {settings.https_port} is the HTTP port too: pass another "
            "--https-port (or GATEWAY_HTTPS_PORT; 0 for no HTTPS)"
        )
    option = "--https-port (or GATEWAY_HTTPS_PORT; 0 for no HTTPS)"
    return _bind(settings.host, settings.https_port, "HTTPS ", f"pass --host/{option}", option)


def _bind(host: str, port: int, what: str, hint: str, port_option: str) -> socket.socket:
    where = f"{host}:{port}"
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"{what}port {where} is already in use (another gateway serve?): stop that "
                f"server or pass {port_option}"
            ) from None
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot listen on {where}: {reason}; {hint}") from None


class Preparation:
    """``gateway serve``'s preparation (``gateway.cli._prepare``) running beside gunicorn.

    The master takes an exclusive lock on a file in the data dir and forks the preparing child,
    which inherits it (the same open file) and so holds it until it ends; the master lets go of
    its own copy. A web worker, forked later, has imported the application by the time it asks
    for the lock, and serves once it gets it: after the preparation, never before. The master
    collects the child's exit status (``reap``) before gunicorn's ``waitpid(-1)`` would.
    """

    LOCK_FILE = ".prepare.lock"

    def __init__(self, lock_path: Path, descriptor: int) -> None:
        self.lock_path = lock_path
        self._descriptor: int | None = descriptor
        self.pid = 0
        #: The child's exit status once it has ended (None: still preparing).
        self.returncode: int | None = None

    @classmethod
    def locked(cls, data_dir: Path) -> Preparation:
        path = data_dir / cls.LOCK_FILE
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return cls(path, descriptor)

    def started(self, pid: int) -> None:
        """In the master, once the child is forked: the lock is the child's alone from now."""
        self.pid = pid
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def wait(self) -> None:
        """Block until the preparation has ended (in a web worker, before it serves)."""
        descriptor = os.open(self.lock_path, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
        finally:
            os.close(descriptor)

    def reap(self) -> None:
        """Collect the child's exit status if it has ended (safe in a signal handler)."""
        if self.returncode is None and self.pid:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)


class GatewayServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving the app on the HTTP listener and, if given, the HTTPS listener: one
    arbiter and one set of workers for both (``gateway.https_worker``)."""

    #: The HTTPS listener's address and certificate files, read by each worker; None: no HTTPS.
    https_address: Any = None
    tls_files: TlsFiles | None = None

    def __init__(
        self,
        settings: Settings,
        listener: socket.socket,
        https_listener: socket.socket | None = None,
        preparation: Preparation | None = None,
    ) -> None:
        self.settings = settings
        self.preparation = preparation
        #: ``gateway worker`` waits for the preparation (it would prepare the database too).
        self._worker_pending = False
        # gunicorn adopts the descriptors (``bind = fd://N``) and closes them once it has its own.
        self.listener_fds = [listener.detach()]
        if https_listener is not None:
            self.https_address = https_listener.getsockname()
            # Made and checked by gateway serve already (or, with the preparation running
            # beside gunicorn, present from an earlier start: gateway.cli.serve).
            self.tls_files = tls_files(settings)
            self.listener_fds.append(https_listener.detach())
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": [f"fd://{fd}" for fd in self.listener_fds],
            # While the preparation runs beside it, one web worker imports the application (two
            # importers on two cores, not three): it gives the first answer; the others are
            # started once the preparation is over (``after_preparation``).
            "workers": 1 if self.preparation is not None else s.workers,
            "threads": s.threads,
            "worker_class": HttpsThreadWorker,
            "timeout": 120,
            # Idle keep-alive connections hold a gthread worker until this runs out on shutdown.
            "graceful_timeout": 2,
            "keepalive": 30,
            # A signed GET carries all its parameters in the URL. Amazon's limit on a request line
            # is not documented (UNCONFIRMED): 8190 bytes is the longest line gunicorn reads while
            # bounded (its default is 4094; 0 would read a line of any length into memory). A
            # longer line, or a header over 16 kB, gets gunicorn's own HTML answer before the app
            # runs (docs/operations-and-errors.md, "Where the WSGI server answers").
            "limit_request_line": 8190,
            "limit_request_field_size": 16384,
            "pre_request": self._close_if_body_unread,
            "loglevel": "warning",
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "gateway",
        }
        if s.scheduler:
            options["when_ready"] = self._start_worker
            options["on_exit"] = self._stop_worker
        for key, value in options.items():
            self.cfg.set(key, value)

    def _close_if_body_unread(self, _worker: Any, req: Any) -> None:
        """Mark ``Connection: close`` a request whose body may be left partly unread.

        ``gateway.api.keepalive`` reads the rest of a body up to ``drained_body_bytes``; a body
        declared longer, or one of unknown length (chunked), may stay on the connection, which
        gunicorn then closes: marked here, before the application runs, the answer says so.
        """
        length = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), None)
        if length is None:
            unread = any(name == "TRANSFER-ENCODING" for name, _ in req.headers)
        else:
            unread = int(length) > self.settings.drained_body_bytes
        if unread:
            req.must_close = True

    def load(self) -> Any:
        from sqlalchemy.orm import configure_mappers

        from gateway.app import create_app

        # Built without touching the database or the data dir's files (the runtime opens them
        # on first use), so while the preparation still runs beside it: the worker serves once
        # that is over, never before. The ORM's mappers are configured here too, rather than by
        # the first request (most of its cost).
        app = create_app(settings=self.settings, initialize=False)
        configure_mappers()
        if self.preparation is not None:
            self.preparation.wait()
        return app

    #: The scheduler child (``gateway worker``) and its supervision, with ``scheduler`` on.
    supervisor: WorkerSupervisor | None = None

    def run(self) -> None:
        # BaseApplication.run, with the arbiter that also supervises the scheduler child.
        try:
            _Arbiter(self).run()
        except RuntimeError as exc:
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)

    def _start_worker(self, _arbiter: Any) -> None:
        if self.preparation is not None and self.preparation.returncode is None:
            # Started once the preparation has succeeded (``after_preparation``): it would
            # prepare the same database at the same time, and its import of the stack would
            # compete with the web workers' for the first answer.
            self._worker_pending = True
            return
        env = dict(os.environ)
        for field in dataclasses.fields(self.settings):
            env[f"GATEWAY_{field.name.upper()}"] = str(getattr(self.settings, field.name))
        env["GATEWAY_DATABASE_URL"] = self.settings.resolved_database_url
        self.supervisor = WorkerSupervisor([sys.executable, "-m", "gateway", "worker"], env)
        self.supervisor.start()

    def _stop_worker(self, _arbiter: Any) -> None:
        self._worker_pending = False
        if self.supervisor is not None:
            self.supervisor.stop()

    def after_preparation(self, arbiter: Any) -> None:
        """On each turn of the master's loop: once the preparation has ended, start the web
        workers and the ``gateway worker`` it held back, or stop the server with the
        preparation's exit status if it failed (it has said why on stderr)."""
        preparation = self.preparation
        if preparation is None or preparation.returncode is None:
            return
        if preparation.returncode != 0:
            # Stopped quietly: the child's one line says why, as when it runs before gunicorn
            # (gunicorn's own halt would add lines of its own).
            arbiter.stop()
            self._stop_worker(arbiter)
            sys.exit(preparation.returncode if preparation.returncode > 0 else 1)
        self.preparation = None  # done: workers forked from now on need not wait
        arbiter.num_workers = self.settings.workers  # gunicorn starts the rest on its next turn
        if self._worker_pending:
            self._worker_pending = False
            self._start_worker(arbiter)


class _Arbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's arbiter, which also runs the scheduler child's supervision on its loop.

    ``reap_workers`` runs on SIGCHLD and reaps every child with ``waitpid(-1)``: the scheduler
    child's status is collected first, or gunicorn would reap it as an unknown child and its exit
    status would be lost. ``manage_workers`` runs on every turn of the loop (at least once a
    second), where the supervisor logs an ended child and restarts it when its back-off is over.
    """

    app: GatewayServer

    def reap_workers(self) -> None:
        if self.app.supervisor is not None:
            self.app.supervisor.reap()
        if self.app.preparation is not None:
            self.app.preparation.reap()
        super().reap_workers()

    def manage_workers(self) -> None:
        super().manage_workers()
        self.app.after_preparation(self)
        if self.app.supervisor is not None:
            self.app.supervisor.supervise()
