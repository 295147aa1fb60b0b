"""The IPN transport against a real receiver that closes a kept-alive connection under a post."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3
from urllib3.exceptions import ProtocolError

from gateway.ipn.transport import Transport

TIMEOUT = urllib3.Timeout(connect=3, read=5)


class DroppingReceiver:
    """HTTP/1.1 keep-alive receiver that drops the ``drop_at``-th request of every connection
    (0-based) without answering: what a server timing out an idle connection looks like to a
    client that sent on it at that moment."""

    def __init__(self, drop_at: int) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.served = 0
                receiver.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(body)
                if self.served == drop_at:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.served += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ipn"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> DroppingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def transport() -> Iterator[Transport]:
    http = Transport()
    yield http
    http.clear()


def _post(http: Transport, url: str, body: bytes) -> int:
    response = http.post(url, body, {"Content-Type": "text/plain"}, TIMEOUT)
    try:
        response.drain_conn()
        return response.status
    finally:
        response.release_conn()


def test_a_kept_alive_connection_dropped_under_a_post_is_retried_on_a_new_one(transport):
    with DroppingReceiver(drop_at=1) as receiver:
        assert _post(transport, receiver.url, b"first") == 200
        # The second post goes out on the kept-alive connection, which the receiver drops.
        assert _post(transport, receiver.url, b"second") == 200
        assert receiver.requests == [b"first", b"second", b"second"]
        assert receiver.connections == 2


def test_a_new_connection_dropped_under_a_post_is_the_endpoints_failure(transport):
    with DroppingReceiver(drop_at=0) as receiver:
        with pytest.raises(ProtocolError):
            _post(transport, receiver.url, b"only")
        assert receiver.requests == [b"only"]
        assert receiver.connections == 1
