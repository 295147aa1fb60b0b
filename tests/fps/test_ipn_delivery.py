"""FPS IPNs through the shared outbox, in process: delivered as signed forms, with the delivery
log and retries of the Off-Amazon Payments IPNs, and checked by the VerifySignature action."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest

from gateway.ipn.outbox import deliver_due
from gateway.runtime import Runtime
from tests.fps.helpers import FpsApi
from tests.support.sink import Sink

#: More than the longest retry wait of the shared delivery (60 s cap + 25 % jitter).
PAST_ANY_RETRY = 100


@pytest.fixture
def receiver(receiver: Sink, runtime: Runtime) -> Iterator[Sink]:
    """The suite's sink, and no delivery still running when it stops."""
    yield receiver
    pool = runtime.dispatcher
    assert pool.wait_idle(30), "IPN deliveries still running at teardown"
    pool.close()


@pytest.fixture
def ipn_url(fps: FpsApi, receiver: Sink) -> str:
    path = f"/sandbox/api/v1/merchants/{fps.merchant.seller_id}"
    response = fps.client.patch(path, json={"ipn_url": receiver.url})
    assert response.status_code == 200, response.get_json()
    return receiver.url


def deliver(runtime: Runtime) -> int:
    return deliver_due(runtime, wait=True)


def verification(fps: FpsApi, url: str, body: str) -> str | None:
    answer = fps.ok("VerifySignature", UrlEndPoint=url, HttpParameters=body)
    return answer.find("VerifySignatureResult/VerificationStatus")


def test_payment_outcome_is_posted_as_a_signed_form_that_verify_signature_accepts(
    fps, settle, runtime, receiver, ipn_url
):
    txn = fps.pay(fps.install_token(), "20.00", "ipn-1").find("PayResult/TransactionId")
    assert deliver(runtime) == 0  # Pending is not notified
    settle()
    assert deliver(runtime) == 1
    (item,) = receiver.received
    assert item.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    body = item.body.decode("utf-8")
    params = dict(parse_qsl(body))
    assert params["transactionId"] == txn
    assert (params["transactionStatus"], params["operation"]) == ("SUCCESS", "PAY")
    assert params["certificateUrl"].endswith("/sandbox/ipn/certificate.pem")
    assert verification(fps, ipn_url, body) == "Success"
    assert verification(fps, ipn_url, body.replace("SUCCESS", "FAILURE")) == "Failure"
    assert verification(fps, ipn_url, body.replace("ipn-1", "ipn-2")) == "Failure"
    assert verification(fps, "http://127.0.0.1:9/other", body) == "Failure"
    assert verification(fps, ipn_url, "garbage") == "Failure"


def test_a_refused_fps_ipn_is_retried_with_the_same_bytes(
    fps, settle, runtime, receiver, ipn_url, clock
):
    receiver.script = [500]
    token = fps.install_token()
    fps.ok("CancelToken", TokenId=token)
    assert deliver(runtime) == 1
    clock.advance(PAST_ANY_RETRY)
    assert deliver(runtime) == 1
    first, second = receiver.received
    assert first.body == second.body
    params = dict(parse_qsl(second.body.decode()))
    assert (params["notificationType"], params["tokenId"]) == ("TokenCancellation", token)
    assert verification(fps, ipn_url, second.body.decode()) == "Success"


def test_a_failed_refund_is_notified_as_failure(fps, settle, runtime, receiver, ipn_url):
    token = fps.install_token(simulation={"refund": "Failure"})
    txn = fps.pay(token, "10.00").find("PayResult/TransactionId")
    settle()
    refund_id = fps.refund(txn, "4.00").find("RefundResult/TransactionId")
    settle()
    deliver(runtime)
    outcomes = {
        dict(parse_qsl(r.body.decode()))["transactionId"]: dict(parse_qsl(r.body.decode()))
        for r in receiver.received
    }
    assert outcomes[txn]["transactionStatus"] == "SUCCESS"
    assert outcomes[refund_id]["transactionStatus"] == "FAILURE"
    assert outcomes[refund_id]["operation"] == "REFUND"
    assert outcomes[refund_id]["parentTransactionId"] == txn
