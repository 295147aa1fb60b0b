"""Sending a ``Wire`` request: in process through Flask's test client, or to a real server.

In process, the WSGI environ is built as gunicorn builds it (``PATH_INFO`` percent-decoded to
latin-1), an exception that escapes the application and any error logged while the request ran
are recorded as incidents. Against a server, each request gets a connection of its own; when the
answer does not say ``Connection: close``, a second request on the same connection checks that
the server did keep it open, and the server's log is read after each answer for a traceback.
"""

from __future__ import annotations

import http.client
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from tests.fuzz.calls import Wire

#: A cheap request whose answer is known: the keep-alive probe.
PROBE_PATH = "/sandbox/api/v1/health"
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Reply:
    """An answer (``status`` 0 when none came) and what went wrong around it."""

    status: int
    headers: dict[str, str]
    body: bytes
    incidents: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Transport(Protocol):
    #: ``in-process`` or ``server``.
    via: str
    #: The Host header requests are signed with and send.
    host: str

    def send(self, wire: Wire) -> Reply: ...


class _Errors(logging.Handler):
    """Collects what is logged at ERROR or above, or with an exception attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@contextmanager
def _logged_errors() -> Iterator[_Errors]:
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def exception_summary(exc: BaseException) -> str:
    """``Type: message at file:line`` of the innermost frame in the project's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/gateway/" in f.filename]
    where = ""
    if frames:
        last = frames[-1]
        where = f" at {last.filename.rsplit('/gateway/', 1)[-1]}:{last.lineno}"
    message = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {message}{where}"


class InProcess:
    """The Flask app's test client (the app answers with ``TESTING`` on, so an exception that
    escapes a view reaches here instead of becoming Flask's HTML 500)."""

    via = "in-process"

    def __init__(self, app: Any, host: str = "localhost") -> None:
        self.client = app.test_client()
        self.host = host

    def send(self, wire: Wire) -> Reply:
        raw_path, _, query = wire.target.partition("?")
        headers = [(name, value) for name, value in wire.headers if name.lower() != "host"]
        overrides = {
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),  # as gunicorn does
            "RAW_URI": wire.target,
            "REQUEST_URI": wire.target,
        }
        with _logged_errors() as logged:
            try:
                response = self.client.open(
                    "/",
                    method=wire.method,
                    query_string=query,
                    headers=[("Host", self.host), *headers],
                    data=wire.body,
                    environ_overrides=overrides,
                )
            except Exception as exc:
                return Reply(0, {}, b"", [f"exception: {exception_summary(exc)}"])
            reply = Reply(
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                response.get_data(),
            )
        for record in logged.records:
            if record.exc_info and record.exc_info[1] is not None:
                reply.incidents.append(f"traceback logged: {exception_summary(record.exc_info[1])}")
            else:
                reply.incidents.append(f"error logged: {record.getMessage()[:160]}")
        return reply


class ServerLog:
    """A server's log file, read from where the last read stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def tracebacks(self) -> list[str]:
        """The last line of each traceback written since the last call (the exception)."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as log:
            log.seek(self.offset)
            new = log.read()
        self.offset += len(new)
        found: list[str] = []
        lines = new.decode("utf-8", "replace").splitlines()
        for i, line in enumerate(lines):
            if TRACEBACK in line:
                rest = [x for x in lines[i + 1 :] if x and not x.startswith((" ", "\t"))]
                found.append(rest[0][:200] if rest else line)
        return found


class Http:
    """A real server on ``127.0.0.1:port``, one connection per request (plus the probe)."""

    via = "server"

    def __init__(self, port: int, log: ServerLog | None = None, timeout: float = 60.0) -> None:
        self.port, self.log, self.timeout = port, log, timeout
        self.host = f"127.0.0.1:{port}"

    def send(self, wire: Wire) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            reply = self._exchange(connection, wire)
            if reply.status and "close" not in reply.headers.get("connection", "").lower():
                self._probe(connection, reply)
        finally:
            connection.close()
        if self.log is not None:
            reply.incidents += [f"traceback in the server log: {t}" for t in self.log.tracebacks()]
        return reply

    def _exchange(self, connection: http.client.HTTPConnection, wire: Wire) -> Reply:
        try:
            connection.putrequest(
                wire.method, wire.target, skip_host=True, skip_accept_encoding=True
            )
            for name, value in wire.headers:
                connection.putheader(name, value)
            if wire.body or wire.method in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(wire.body)))
            connection.endheaders(wire.body or None)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return Reply(0, {}, b"", [f"transport: {type(exc).__name__}: {exc}"[:200]])
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Reply(response.status, headers, body)

    def _probe(self, connection: http.client.HTTPConnection, reply: Reply) -> None:
        """The server did not say it would close: a request on the same connection must work."""
        try:
            connection.request("GET", PROBE_PATH, headers={"Host": self.host})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            reply.incidents.append(
                "connection: closed without Connection: close (the next request on it got "
                f"{type(exc).__name__})"
            )
            return
        if response.status != 200:
            reply.incidents.append(f"connection: the next request on it got {response.status}")
