"""boto 2.49's FPSConnection against a real server process.

On Python 3 boto's decorated FPS helpers crash before sending (reference/amazon-wire.md §3.3),
so calls go through ``conn.get_object(Action, params, FPSConnection.<method>.response)`` exactly
as the reference recommends; undecorated ``get_tokens`` is called directly. Pending work settles
by advancing the merchant's clock through the sandbox API, which runs the due work at once: no
sleeps. Every error is asserted by boto's exception class for its code.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.store.db import Database

boto_fps = pytest.importorskip("boto.fps.connection")
from boto.fps import exception as fps_errors  # noqa: E402

FPSConnection = boto_fps.FPSConnection

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    # boto 2.49 pools its HTTP connections (reference §3.3) and never closes them; the socket
    # is closed by the garbage collector with a ResourceWarning, which is boto's, not ours.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

START_DEADLINE_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, base: str) -> None:
        self.base = base

    def json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    port = _free_port()
    log_path = tmp_path / "server.log"
    command = [
        sys.executable, "-m", "gateway", "serve", "--port", str(port),
        "--data-dir", str(tmp_path / "data"), "--database-url", database_url,
        "--workers", "1", "--no-scheduler",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            try:
                with urllib.request.urlopen(base + "/sandbox/api/v1/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start; log:\n{log_path.read_text()}")
            time.sleep(0.1)  # readiness polling of a subprocess, not a test sleep
        yield Server(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if database_url.startswith("postgresql"):
            db = Database(database_url)
            db.drop_all()
            db.dispose()


class Merchant:
    def __init__(self, server: Server, port: int) -> None:
        self.server = server
        data = server.json("POST", "/sandbox/api/v1/merchants", {"settle_delay_seconds": 5})
        self.seller_id = data["seller_id"]
        self.conn = FPSConnection(
            aws_access_key_id=data["access_key"],
            aws_secret_access_key=data["secret_key"],
            host="127.0.0.1",  # without the port: boto signs self.host (reference §3.3)
            port=port,
            is_secure=False,
        )
        self.conn.num_retries = 0

    def install_token(self, token_type: str = "MultiUse") -> str:
        path = f"/sandbox/api/v1/merchants/{self.seller_id}/fps/tokens"
        token: str = self.server.json("POST", path, {"token_type": token_type})["TokenId"]
        return token

    def advance(self, seconds: float) -> None:
        path = f"/sandbox/api/v1/merchants/{self.seller_id}/clock/advance"
        self.server.json("POST", path, {"seconds": seconds})

    def call(self, action: str, method: str, **params: str) -> Any:
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


def test_boto_pay_status_refunds_and_token_errors(server: Server) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    shop, other = Merchant(server, port), Merchant(server, port)
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


def test_boto_signature_errors_raise_their_classes(server: Server) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    shop = Merchant(server, port)
    forged = FPSConnection(
        aws_access_key_id=shop.conn.aws_access_key_id,
        aws_secret_access_key="not the secret",
        host="127.0.0.1",
        port=port,
        is_secure=False,
    )
    forged.num_retries = 0
    with pytest.raises(fps_errors.SignatureDoesNotMatch) as bad:
        forged.get_tokens()
    assert bad.value.status == 403
    unknown = FPSConnection(
        aws_access_key_id="AKIANOBODY0000000000",
        aws_secret_access_key="x" * 40,
        host="127.0.0.1",
        port=port,
        is_secure=False,
    )
    unknown.num_retries = 0
    with pytest.raises(fps_errors.InvalidClientTokenId):
        unknown.get_tokens()


def test_boto_version_2008_09_17_answers_in_its_namespace(server: Server) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    shop = Merchant(server, port)
    shop.conn.APIVersion = "2008-09-17"
    token = shop.install_token("SingleUse")
    paid = shop.pay(token, "12.00", "old-version")
    assert paid.PayResult.TransactionStatus == "Pending"
    with pytest.raises(fps_errors.TokenUsageError):
        shop.pay(token, "12.00", "old-version-2")
