"""Running the app under gunicorn (a production WSGI server, not Flask's development server).

gthread workers: a few processes with threads each, so that a long wait request does not hold
a whole process. The app is built in each worker after the fork (no preload), so no database
connection crosses a fork, and the master, which only supervises, imports nothing but gunicorn
and the settings (``gateway serve`` prepares the database in a short-lived child first): the
application stack is resident once per worker, not once more in the master. The scheduler runs as a separate ``gateway worker`` process, started
when gunicorn is ready, restarted with back-off whenever it ends, and stopped when gunicorn exits
(``gateway.worker.supervisor``, on the master's loop): starting threads in gunicorn's master
would be inherited, half-alive, by every worker it forks.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import sys
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from gateway.config import ConfigError, Settings
from gateway.worker.supervisor import WorkerSupervisor


def listen(settings: Settings) -> socket.socket:
    """Bind and listen on ``host:port`` for gunicorn to serve on (it takes the socket over)."""
    where = f"{settings.host}:{settings.port}"
    try:
        family = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((settings.host, settings.port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {where} is already in use (another gateway serve?): stop that server or "
                "pass --port (or GATEWAY_PORT)"
            ) from None
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot listen on {where}: {reason}; pass --host/--port") from None


class GatewayServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, listener: socket.socket) -> None:
        self.settings = settings
        # gunicorn adopts the descriptor (``bind = fd://N``) and closes it once it has its own.
        self.listener_fd = listener.detach()
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"fd://{self.listener_fd}",
            "workers": s.workers,
            "threads": s.threads,
            "worker_class": "gthread",
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
        from gateway.app import create_app

        return create_app(settings=self.settings, initialize=False)

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
        env = dict(os.environ)
        for field in dataclasses.fields(self.settings):
            env[f"GATEWAY_{field.name.upper()}"] = str(getattr(self.settings, field.name))
        env["GATEWAY_DATABASE_URL"] = self.settings.resolved_database_url
        self.supervisor = WorkerSupervisor([sys.executable, "-m", "gateway", "worker"], env)
        self.supervisor.start()

    def _stop_worker(self, _arbiter: Any) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()


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
        super().reap_workers()

    def manage_workers(self) -> None:
        super().manage_workers()
        if self.app.supervisor is not None:
            self.app.supervisor.supervise()
