"""The IPN transport against a real receiver that closes a kept-alive connection under a post."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import urllib3
from urllib3.exceptions import ProtocolError

from gateway.ipn.transport import Transport
from tests.support.sink import Sink

TIMEOUT = urllib3.Timeout(connect=3, read=5)


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
    with Sink(keep_alive=True, drop_at=1) as receiver:
        assert _post(transport, receiver.url, b"first") == 200
        # The second post goes out on the kept-alive connection, which the receiver drops.
        assert _post(transport, receiver.url, b"second") == 200
        assert receiver.bodies() == [b"first", b"second", b"second"]
        assert len(receiver.accepted) == 2


def test_a_new_connection_dropped_under_a_post_is_the_endpoints_failure(transport):
    with Sink(keep_alive=True, drop_at=0) as receiver:
        with pytest.raises(ProtocolError):
            _post(transport, receiver.url, b"only")
        assert receiver.bodies() == [b"only"]
        assert len(receiver.accepted) == 1
