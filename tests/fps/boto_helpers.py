"""boto 2.49 FPS calls as one merchant of a live server (``tests.support.servers.GatewayServer``).

boto is imported inside functions, not at collection: its vendored six importer makes later
first-time imports of optional modules warn (setup.cfg filters that warning too). On Python 3
boto's decorated FPS helpers crash before sending (reference/amazon-wire.md §3.3), so calls go
through ``conn.get_object(Action, params, FPSConnection.<method>.response)``.
"""

from __future__ import annotations

import gc
from typing import Any

from clients.sdk import boto_fps_connection
from tests.support.servers import GatewayServer


def collect_boto_sockets() -> None:
    """Collect the connections boto pooled and never closes (reference §3.3), now, while the
    calling test's ResourceWarning filter applies, rather than in some later test."""
    gc.collect()


def errors() -> Any:
    from boto.fps import exception

    return exception


class Merchant:
    """A merchant made through the sandbox API and its boto FPSConnection (retries off)."""

    def __init__(self, server: GatewayServer, secret: str | None = None) -> None:
        self.server = server
        data = server.sandbox("POST", "/merchants", settle_delay_seconds=5)
        self.seller_id = data["seller_id"]
        self.access_key = data["access_key"]
        self.conn = boto_fps_connection(
            server.url, data["access_key"], secret or data["secret_key"]
        )

    def install_token(self, token_type: str = "MultiUse") -> str:
        path = f"/merchants/{self.seller_id}/fps/tokens"
        token: str = self.server.sandbox("POST", path, token_type=token_type)["TokenId"]
        return token

    def advance(self, seconds: float) -> None:
        """Move the merchant's clock; the server applies what became due before answering."""
        self.server.advance_clock(self.seller_id, seconds)

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
