"""A small IPN receiver for demos and tests: a WSGI app that verifies and records, and a server.

:class:`IpnReceiver` verifies each POST with an :class:`~clients.ipn.IpnVerifier`, records the
notification once per ``MessageId`` (SNS may deliver twice, reference §2.5), answers 200, and
answers 400 to anything that fails verification (SNS does not retry 4xx, §2.5).
:class:`ReceiverServer` runs it on 127.0.0.1 in a background thread. No Flask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from clients.errors import IpnVerificationError

#: Largest body accepted (SNS messages are at most 256 KiB).
MAX_BODY_BYTES = 1_000_000


class Received(Protocol):
    """What the receiver records: any notification with an SNS ``MessageId``."""

    @property
    def message_id(self) -> str: ...


N = TypeVar("N", bound=Received)
N_co = TypeVar("N_co", bound=Received, covariant=True)


class Verifier(Protocol[N_co]):
    """What the receiver needs: :class:`clients.ipn.IpnVerifier` fits (its notifications are
    recorded), as do :class:`clients.amazon_pay_v2.ipn.IpnV2Verifier` and ``AnyIpnVerifier``."""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> N_co: ...


def request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    """HTTP headers of a WSGI request under their usual names (``X-Amz-Sns-Topic-Arn``)."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    return headers


class IpnReceiver(Generic[N]):
    """WSGI app that verifies, dedupes by MessageId and records IPNs (thread-safe); what it
    records is what its verifier returns."""

    def __init__(self, verifier: Verifier[N], *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.verifier = verifier
        self.max_body_bytes = max_body_bytes
        self._notifications: list[N] = []
        self._rejections: list[IpnVerificationError] = []
        self._seen: set[str] = set()
        self._duplicates = 0
        self._changed = threading.Condition()

    @property
    def notifications(self) -> list[N]:
        """A copy of the accepted notifications, in arrival order, without duplicates."""
        with self._changed:
            return list(self._notifications)

    @property
    def rejections(self) -> list[IpnVerificationError]:
        """A copy of the verification errors of refused deliveries."""
        with self._changed:
            return list(self._rejections)

    @property
    def duplicates(self) -> int:
        """How many deliveries repeated an already recorded MessageId."""
        with self._changed:
            return self._duplicates

    def clear(self) -> None:
        """Forget everything recorded (the MessageIds seen included)."""
        with self._changed:
            self._notifications.clear()
            self._rejections.clear()
            self._seen.clear()
            self._duplicates = 0

    def wait_for(
        self,
        count: int,
        timeout: float,
        predicate: Callable[[N], bool] | None = None,
    ) -> list[N]:
        """Block until ``count`` notifications (matching ``predicate``, if given) have arrived.

        Returns those notifications; raises :class:`TimeoutError` after ``timeout`` seconds.
        """

        def matching() -> list[N]:
            return [n for n in self._notifications if predicate is None or predicate(n)]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(
                    f"{len(matching())} of {count} notifications after {timeout} s "
                    f"({len(self._rejections)} rejected)"
                )
            return matching()

    def record(self, body: bytes, headers: Mapping[str, str]) -> N:
        """Verify and record one delivery; re-raises :class:`IpnVerificationError`."""
        try:
            notification = self.verifier.verify(body, headers)
        except IpnVerificationError as exc:
            with self._changed:
                self._rejections.append(exc)
                self._changed.notify_all()
            raise
        with self._changed:
            if notification.message_id in self._seen:
                self._duplicates += 1
            else:
                self._seen.add(notification.message_id)
                self._notifications.append(notification)
            self._changed.notify_all()
        return notification

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", b"POST only\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.max_body_bytes:
            return _answer(start_response, "413 Content Too Large", b"bad length\n")
        body = environ["wsgi.input"].read(length)
        try:
            self.record(body, request_headers(environ))
        except IpnVerificationError as exc:
            return _answer(start_response, "400 Bad Request", f"{exc.reason}\n".encode())
        return _answer(start_response, "200 OK", b"OK\n")


def _answer(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Tests read the receiver's records, not its access log."""


class ReceiverServer:
    """Serves an :class:`IpnReceiver` on ``host`` (loopback) and a free port in a thread.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``url`` is where to send IPNs.
    """

    def __init__(self, receiver: IpnReceiver[Any], host: str = "127.0.0.1", port: int = 0) -> None:
        self.receiver = receiver
        self._server = make_server(
            host, port, receiver, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/ipn`` (any path is accepted)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/ipn"

    def start(self) -> ReceiverServer:
        """Start serving (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="ipn-receiver",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
