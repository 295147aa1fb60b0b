"""Signed in-process FPS calls (``GET /``, Signature Version 2 like boto) and quick setups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from clients import sigv2
from gateway.clock import FrozenClock
from tests.helpers import MerchantCredentials

HOST = "localhost"


def ns(version: str) -> str:
    return f"{{http://fps.amazonaws.com/doc/{version}/}}"


@dataclass
class FpsAnswer:
    status: int
    root: ElementTree.Element
    version: str

    def find(self, path: str) -> str | None:
        """Text at a slash path below the root (namespace added on success answers)."""
        prefix = ns(self.version) if self.root.tag.startswith("{") else ""
        node = self.root.find("/".join(prefix + part for part in path.split("/")))
        return None if node is None else (node.text or "")

    @property
    def code(self) -> str | None:
        return self.find("Errors/Error/Code")

    def text(self) -> str:
        return ElementTree.tostring(self.root).decode()


class FpsApi:
    """FPS calls through Flask's test client, signed as boto signs them."""

    def __init__(self, client: Any, merchant: MerchantCredentials, clock: FrozenClock) -> None:
        self.client, self.merchant, self.clock = client, merchant, clock
        self._refs = 0

    def ref(self, prefix: str = "cr") -> str:
        self._refs += 1
        return f"{prefix}-{self._refs}"

    def signed(self, action: str, version: str = "2010-08-28", **params: str) -> dict[str, str]:
        return sigv2.signed_params(
            {"Action": action, "Version": version, **params},
            access_key=self.merchant.access_key,
            secret=self.merchant.secret_key,
            method="GET",
            host=HOST,
            path="/",
            now=self.clock.now(),
        )

    def get(self, params: dict[str, str], version: str = "2010-08-28") -> FpsAnswer:
        response = self.client.get("/?" + urlencode(params), headers={"Host": HOST})
        return FpsAnswer(response.status_code, ElementTree.fromstring(response.data), version)

    def call(self, action: str, version: str = "2010-08-28", **params: str) -> FpsAnswer:
        return self.get(self.signed(action, version, **params), version)

    def ok(self, action: str, version: str = "2010-08-28", **params: str) -> FpsAnswer:
        answer = self.call(action, version, **params)
        assert answer.status == 200, answer.text()
        return answer

    def error(self, action: str, code: str, status: int = 400, **params: str) -> FpsAnswer:
        answer = self.call(action, **params)
        assert (answer.status, answer.code) == (status, code), answer.text()
        return answer

    # --- setups ----------------------------------------------------------------------------

    def install_token(self, token_type: str = "MultiUse", **body: Any) -> str:
        response = self.client.post(
            f"/sandbox/api/v1/merchants/{self.merchant.seller_id}/fps/tokens",
            json={"token_type": token_type, **body},
        )
        assert response.status_code == 201, response.get_json()
        token_id: str = response.get_json()["TokenId"]
        return token_id

    def set_fees(self, percent: str, fixed: str) -> None:
        response = self.client.put(
            f"/sandbox/api/v1/merchants/{self.merchant.seller_id}/fps/account",
            json={"fee_percent": percent, "fee_fixed": fixed},
        )
        assert response.status_code == 200, response.get_json()

    def transaction_json(self, transaction_id: str) -> dict[str, Any]:
        response = self.client.get(
            f"/sandbox/api/v1/merchants/{self.merchant.seller_id}/fps/transactions/"
            + transaction_id
        )
        assert response.status_code == 200, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data

    def pay(self, token_id: str, amount: str, ref: str | None = None, **extra: str) -> FpsAnswer:
        params = {
            "SenderTokenId": token_id,
            "CallerReference": ref or self.ref("pay"),
            "TransactionAmount.Value": amount,
            "TransactionAmount.CurrencyCode": "USD",
        }
        return self.call("Pay", **{**params, **extra})

    def refund(
        self, transaction_id: str, amount: str | None, ref: str | None = None, **extra: str
    ) -> FpsAnswer:
        params = {"TransactionId": transaction_id, "CallerReference": ref or self.ref("refund")}
        if amount is not None:
            params.update({"RefundAmount.Value": amount, "RefundAmount.CurrencyCode": "USD"})
        return self.call("Refund", **params, **extra)

    def status(self, transaction_id: str) -> str | None:
        answer = self.ok("GetTransactionStatus", TransactionId=transaction_id)
        return answer.find("GetTransactionStatusResult/TransactionStatus")
