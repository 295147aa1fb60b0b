"""IpnReceiver + ReceiverServer over real loopback HTTP with self-signed SNS envelopes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from clients.ipn import IpnVerifier
from clients.receiver import IpnReceiver, ReceiverServer, request_headers
from tests.clients.sns_signer import NOW, SnsSigner


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


@pytest.fixture
def server(signer: SnsSigner) -> Iterator[ReceiverServer]:
    verifier = IpnVerifier(fetch_certificate=signer.fetch, now=lambda: NOW)
    with ReceiverServer(IpnReceiver(verifier)) as running:
        yield running


def deliver(server: ReceiverServer, signer: SnsSigner, **kwargs: str) -> requests.Response:
    env = signer.envelope(**kwargs)
    return requests.post(server.url, data=signer.body(env), headers=signer.headers(env), timeout=5)


def test_valid_ipn_is_recorded_once(server: ReceiverServer, signer: SnsSigner) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    first = deliver(server, signer, message_id="m-1")
    again = deliver(server, signer, message_id="m-1")
    assert (first.status_code, again.status_code) == (200, 200)
    received = server.receiver.notifications
    assert [n.message_id for n in received] == ["m-1"]
    assert server.receiver.duplicates == 1


def test_bad_ipn_gets_400_and_is_not_recorded(server: ReceiverServer, signer: SnsSigner) -> None:
    response = deliver(server, signer, Signature="QUJD")
    assert response.status_code == 400
    assert response.text.strip() == "bad_signature"
    assert server.receiver.notifications == []
    assert [e.reason for e in server.receiver.rejections] == ["bad_signature"]


def test_non_post_and_oversized(server: ReceiverServer) -> None:
    assert requests.get(server.url, timeout=5).status_code == 405
    server.receiver.max_body_bytes = 10
    assert requests.post(server.url, data=b"x" * 11, timeout=5).status_code == 413


def test_wait_for_blocks_until_delivery(server: ReceiverServer, signer: SnsSigner) -> None:
    senders = [
        threading.Thread(target=deliver, args=(server, signer), kwargs={"message_id": f"w-{n}"})
        for n in range(3)
    ]
    for sender in senders:
        sender.start()
    got = server.receiver.wait_for(3, timeout=10)
    for sender in senders:
        sender.join()
    assert sorted(n.message_id for n in got) == ["w-0", "w-1", "w-2"]


def test_wait_for_with_predicate_and_timeout(server: ReceiverServer, signer: SnsSigner) -> None:
    deliver(server, signer, message_id="p-1")
    only = server.receiver.wait_for(1, timeout=1, predicate=lambda n: n.message_id == "p-1")
    assert len(only) == 1
    with pytest.raises(TimeoutError, match="1 of 2"):
        server.receiver.wait_for(2, timeout=0.01)
    server.receiver.clear()
    assert server.receiver.notifications == []
    assert deliver(server, signer, message_id="p-1").status_code == 200
    assert server.receiver.duplicates == 0


def test_request_headers_restores_names() -> None:
    environ = {"HTTP_X_AMZ_SNS_TOPIC_ARN": "arn", "CONTENT_TYPE": "text/plain", "PATH_INFO": "/"}
    assert request_headers(environ) == {"X-Amz-Sns-Topic-Arn": "arn", "Content-Type": "text/plain"}


def test_start_stop_without_context_manager(signer: SnsSigner) -> None:
    server = ReceiverServer(IpnReceiver(IpnVerifier(fetch_certificate=signer.fetch)))
    server.start()
    server.start()
    try:
        assert requests.get(server.url, timeout=5).status_code == 405
    finally:
        server.stop()
