"""Real HTTP receivers on 127.0.0.1 (port 0) in a thread, for IPN delivery tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next status of ``script`` (then ``default``), recording it.

    ``gate``, when set, makes every request wait until the gate opens (a hanging receiver).
    ``keep_alive`` answers in HTTP/1.1 and keeps connections open (``accepted`` lists each
    connection). ``answer`` is the body of every answer.
    """

    script: list[int] = field(default_factory=list)
    default: int = 200
    gate: threading.Event | None = None
    keep_alive: bool = False
    answer: bytes = b"ok"
    #: Client address of each accepted connection.
    accepted: list[Any] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    got_one: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ipn"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if receiver.keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                receiver.accepted.append(self.client_address)  # once per connection

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)
                receiver.got_one.set()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> Receiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            if self.gate is not None:
                self.gate.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.received]


@contextmanager
def receiving(**kw: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kw).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def free_port() -> int:
    """A port nothing listens on (bound, then closed): an endpoint that is down."""
    probe = Receiver().start()
    port = probe.port
    probe.stop()
    return port
