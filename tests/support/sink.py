"""The notification sink: an HTTP server on 127.0.0.1, in a thread, that records every POST.

One class for every receiver the tests and the benchmark need: it answers each POST with the next
status of ``script`` (then ``default``), or holds it until ``gate`` opens (a hanging receiver),
or drops the connection under the ``drop_at``-th request of a connection without answering (what
a server timing out an idle kept-alive connection looks like to the client that sent on it).
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.servers import HOST

#: How long a gated request waits for its gate at most (then it is answered anyway).
GATE_DEADLINE = 30.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    #: ``time.time()`` when it was received (the benchmark times deliveries with it).
    at: float


def rsa_public_key(certificate_pem: bytes) -> rsa.RSAPublicKey:
    """The RSA key of a PEM certificate (what IPNs are signed with)."""
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey), type(key)
    return key


def sns_string_to_sign(sns: Mapping[str, str]) -> bytes:
    """Written from AWS's SNS docs (reference §2.4), not from gateway code."""
    names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    return "".join(f"{n}\n{sns[n]}\n" for n in names if n in sns).encode("utf-8")


def verify_sns(sns: Mapping[str, str], certificate_pem: bytes) -> None:
    """An independent check of an SNS envelope: SHA1withRSA (SignatureVersion 1) or
    SHA256withRSA (2) over its string to sign; raises InvalidSignature if it does not verify."""
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}[sns["SignatureVersion"]]
    rsa_public_key(certificate_pem).verify(
        base64.b64decode(sns["Signature"]), sns_string_to_sign(sns), padding.PKCS1v15(), digest
    )


def envelope(body: bytes) -> dict[str, Any]:
    """The SNS envelope of an Off-Amazon Payments IPN body."""
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def message(body: bytes) -> dict[str, Any]:
    """The message inside the SNS envelope (NotificationType, NotificationData, ...)."""
    parsed: dict[str, Any] = json.loads(envelope(body)["Message"])
    return parsed


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its kept-alive connection (a stopped ``gateway worker``) is no error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Sink:
    """Records every POST in ``received``; see the module docstring for how it answers.

    ``keep_alive`` answers in HTTP/1.1 and keeps connections open; ``accepted`` lists the client
    address of each connection; ``answer`` is the body of every answer. Use as a context manager
    (or ``start()``/``stop()``); ``url`` is where to post.
    """

    def __init__(
        self,
        *,
        script: list[int] | None = None,
        default: int = 200,
        gate: threading.Event | None = None,
        keep_alive: bool = False,
        drop_at: int | None = None,
        answer: bytes = b"ok",
        port: int = 0,
    ) -> None:
        self.script = list(script or [])
        self.default, self.gate, self.keep_alive = default, gate, keep_alive
        self.drop_at, self.answer, self.port = drop_at, answer, port
        self.received: list[Received] = []
        self.accepted: list[Any] = []
        self.got_one = threading.Event()
        self._arrived = threading.Condition()
        self._taken = 0
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/ipn"

    def start(self) -> Sink:
        self._server = _Server((HOST, self.port), self._handler())
        self.port = self._server.server_address[1]
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> Sink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.received]

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once ``count`` posts have arrived, False if they have not within ``timeout``."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def next(self, timeout: float = 15.0) -> Received:
        """The next post not yet taken by ``next``, waiting at most ``timeout`` seconds for it."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) > self._taken, timeout):
                raise AssertionError(f"no notification within {timeout}s")
            self._taken += 1
            return self.received[self._taken - 1]

    def next_matching(
        self, predicate: Callable[[Received], bool], timeout: float = 15.0
    ) -> Received:
        """The next post that ``predicate`` accepts (others are passed over)."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.next(max(deadline - time.monotonic(), 0.01))
            if predicate(item):
                return item

    def _record(self, item: Received) -> None:
        with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if sink.keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                self.served = 0  # requests answered on this connection
                sink.accepted.append(self.client_address)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sink.gate is not None:
                    sink.gate.wait(GATE_DEADLINE)
                sink._record(Received(self.path, dict(self.headers.items()), body, time.time()))
                if self.served == sink.drop_at:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.served += 1
                status = sink.script.pop(0) if sink.script else sink.default
                self.send_response(status)
                self.send_header("Content-Length", str(len(sink.answer)))
                self.end_headers()
                self.wfile.write(sink.answer)
                sink.got_one.set()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
