from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients.sdk import boto_fps_connection
from tests.e2e.servers import LiveServer

# boto is imported inside the tests, not at collection: its vendored six importer makes later
# first-time imports of optional modules warn (setup.cfg filters that warning too).
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    # boto 2.49 pools its HTTP connections (reference §3.3) and never closes them; the socket
    # is closed by the garbage collector with a ResourceWarning, which is boto's, not ours.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    pytest.importorskip("boto")
    live = LiveServer(tmp_path / "data", database_url, scheduler=False).start()
    yield live
    live.stop()


def errors() -> Any:
    from boto.fps import exception

    return exception


class Merchant:
    """A merchant made through the sandbox API and its boto FPSConnection (retries off)."""

    def __init__(self, server: LiveServer, secret: str | None = None) -> None:
        self.server = server
        data = server.sandbox("POST", "/merchants", settle_delay_seconds=5)
        self.seller_id = data["seller_id"]
        self.access_key = data["access_key"]
        self.conn = boto_fps_connection(server.url, data["access_key"], secret or data["secret_key"])

    def install_token(self, token_type: str = "MultiUse") -> str:
        path = f"/merchants/{self.seller_id}/fps/tokens"
        token: str = self.server.sandbox("POST", path, token_type=token_type)["TokenId"]
        return token

    def advance(self, seconds: float) -> None:
        """Move the merchant's clock; the server applies what became due before answering."""
        self.server.sandbox("POST", f"/merchants/{self.seller_id}/clock/advance", seconds=seconds)

    def call(self, action: str, method: str, **params: str) -> Any:
        from boto.fps.connection import FPSConnection

        response = getattr(FPSConnection, method).response
        return self.conn.get_object(action, params, response)

    def pay(self, token: str, amount: str, ref: str) -> Any:
        params = {"TransactionAmount.Value": amount, "TransactionAmount.CurrencyCode": "USD"}
        return self.call("Pay", "pay", SenderTokenId=token, CallerReference=ref, **params)

    def refund(self, transaction_id: str, amount: str, ref: str) -> Any:
        params = {"RefundAmount.Value": amount, "RefundAmount.CurrencyCode": "USD"}
        return self.call(
            "Refund", "refund", TransactionId=transaction_id, CallerReference=ref, **params
        )

    def status(self, transaction_id: str) -> str:
        answer = self.call(
            "GetTransactionStatus", "get_transaction_status", TransactionId=transaction_id
        )
        status: str = answer.GetTransactionStatusResult.TransactionStatus
        return status


def test_boto_pay_status_refunds_and_token_errors(server: LiveServer) -> None:
    fps_errors = errors()
    shop, other = Merchant(server), Merchant(server)
    token = shop.install_token()

    paid = shop.pay(token, "100.00", "order-1")
    txn = paid.PayResult.TransactionId
    assert paid.PayResult.TransactionStatus == "Pending"
    assert paid.ResponseMetadata.RequestId
    assert shop.status(txn) == "Pending"
    with pytest.raises(fps_errors.OriginalTransactionIncomplete) as early:
        shop.refund(txn, "10.00", "too-early")
    assert (early.value.status, early.value.error_code) == (400, "OriginalTransactionIncomplete")

    shop.advance(5)
    assert shop.status(txn) == "Success"
    details = shop.call("GetTransaction", "get_transaction", TransactionId=txn)
    assert str(details.GetTransactionResult.Transaction.TransactionAmount) == "100.000000"

    first = shop.refund(txn, "30.00", "refund-1").RefundResult
    second = shop.refund(txn, "50.00", "refund-2").RefundResult
    assert first.TransactionStatus == second.TransactionStatus == "Pending"
    assert first.TransactionId != second.TransactionId
    # The same request again is the same refund (CallerReference idempotency).
    again = shop.refund(txn, "30.00", "refund-1").RefundResult
    assert again.TransactionId == first.TransactionId
    with pytest.raises(fps_errors.DuplicateRequest):
        shop.refund(txn, "31.00", "refund-1")
    with pytest.raises(fps_errors.RefundAmountExceeded):
        shop.refund(txn, "20.01", "refund-3")
    shop.advance(5)
    assert shop.status(first.TransactionId) == "Success"
    shop.refund(txn, "20.00", "refund-4")
    with pytest.raises(fps_errors.TransactionFullyRefundedAlready):
        shop.refund(txn, "0.01", "refund-5")

    # Another caller's token is unknown to it; its own cancel works; a cancelled token cannot pay.
    with pytest.raises(fps_errors.InvalidTokenId):
        other.call("CancelToken", "cancel_token", TokenId=token)
    with pytest.raises(fps_errors.InvalidTokenId_Sender):
        other.pay(token, "1.00", "other-order")
    with pytest.raises(fps_errors.InvalidTransactionId):
        other.status(txn)
    cancelled = shop.call("CancelToken", "cancel_token", TokenId=token, ReasonText="closed")
    assert cancelled.ResponseMetadata.RequestId
    with pytest.raises(fps_errors.TokenNotActive):
        shop.pay(token, "1.00", "order-2")

    # GetTokens is undecorated, so boto's own helper works on Python 3.
    tokens = shop.conn.get_tokens().GetTokensResult.Token
    assert [(t.TokenId, t.TokenStatus) for t in tokens] == [(token, "Inactive")]


def test_boto_signature_errors_raise_their_classes(server: LiveServer) -> None:
    fps_errors = errors()
    shop = Merchant(server)
    forged = Merchant(server, secret="not the secret")
    with pytest.raises(fps_errors.SignatureDoesNotMatch) as bad:
        forged.conn.get_tokens()
    assert bad.value.status == 403
    unknown = boto_fps_connection(server.url, "AKIANOBODY0000000000", "x" * 40)
    with pytest.raises(fps_errors.InvalidClientTokenId):
        unknown.get_tokens()
    assert shop.conn.get_tokens().GetTokensResult.Token == []


def test_boto_version_2008_09_17_answers_in_its_namespace(server: LiveServer) -> None:
    shop = Merchant(server)
    shop.conn.APIVersion = "2008-09-17"
    token = shop.install_token("SingleUse")
    paid = shop.pay(token, "12.00", "old-version")
    assert paid.PayResult.TransactionStatus == "Pending"
    with pytest.raises(errors().TokenUsageError):
        shop.pay(token, "12.00", "old-version-2")
