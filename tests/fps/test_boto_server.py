"""boto 2.49's FPSConnection against a real server process (``gateway serve``).

Pay, get the status, refund partially twice, exceed the remaining amount, cancel a token, try
another merchant's token: every error is asserted by boto's exception class for its code.
Pending work settles by advancing the merchant's clock through the sandbox API, which applies
the due work before answering: no sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clients.sdk import boto_fps_connection
from tests.fps.boto_helpers import Merchant, collect_boto_sockets, errors
from tests.support.servers import GatewayServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    # boto 2.49 pools its HTTP connections (reference §3.3) and never closes them; the socket
    # is closed by the garbage collector with a ResourceWarning, which is boto's, not ours.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def server(live_server: GatewayServer) -> Iterator[GatewayServer]:
    pytest.importorskip("boto")
    yield live_server
    collect_boto_sockets()


def test_boto_pay_status_refunds_and_token_errors(server: GatewayServer) -> None:
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


def test_boto_signature_errors_raise_their_classes(server: GatewayServer) -> None:
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


def test_boto_version_2008_09_17_answers_in_its_namespace(server: GatewayServer) -> None:
    shop = Merchant(server)
    shop.conn.APIVersion = "2008-09-17"
    token = shop.install_token("SingleUse")
    paid = shop.pay(token, "12.00", "old-version")
    assert paid.PayResult.TransactionStatus == "Pending"
    with pytest.raises(errors().TokenUsageError):
        shop.pay(token, "12.00", "old-version-2")
