"""Test helpers: signed in-process calls and quick ways to reach a given state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from clients import sigv2
from gateway.clock import FrozenClock
from gateway.domain.merchants import create_merchant
from gateway.runtime import Runtime

#: Fixture data: Amazon's published sample answers and IPNs, an Amazon-signed SNS notification,
#: FPS answers (each folder's README says where it comes from).
DATA = Path(__file__).resolve().parent / "data"
NS = "{http://mws.amazonservices.com/schema/OffAmazonPayments/2013-01-01}"
PATH = "/OffAmazonPayments_Sandbox/2013-01-01"
HOST = "localhost"


@dataclass(frozen=True)
class MerchantCredentials:
    seller_id: str
    access_key: str
    secret_key: str


def new_merchant(runtime: Runtime, **settings: Any) -> MerchantCredentials:
    def work(session: Any) -> MerchantCredentials:
        options = {"store_name": "teststore", **settings}
        m = create_merchant(session, runtime.ids, runtime.clock.now(), **options)
        return MerchantCredentials(m.seller_id, m.access_key, m.secret_key)

    return runtime.db.run(work)


@dataclass
class Answer:
    status: int
    root: ElementTree.Element

    def find(self, path: str) -> str | None:
        """Text at a slash path below the root, namespace added (``AuthorizeResult/...``)."""
        node = self.root.find("/".join(NS + part for part in path.split("/")))
        return None if node is None else (node.text or "")

    def all(self, path: str) -> list[str]:
        return [n.text or "" for n in self.root.findall("/".join(NS + p for p in path.split("/")))]

    @property
    def code(self) -> str | None:
        return self.find("Error/Code")


class SignedApi:
    """Off-Amazon Payments calls through Flask's test client, signed like the official SDK."""

    def __init__(self, client: Any, merchant: MerchantCredentials, clock: FrozenClock) -> None:
        self.client, self.merchant, self.clock = client, merchant, clock

    def form(self, action: str, **params: str) -> dict[str, str]:
        base = {"Action": action, "SellerId": self.merchant.seller_id, "Version": "2013-01-01"}
        base.update(params)
        return sigv2.signed_params(
            base,
            access_key=self.merchant.access_key,
            secret=self.merchant.secret_key,
            method="POST",
            host=HOST,
            path=PATH,
            now=self.clock.now(),
        )

    def post(self, form: dict[str, str]) -> Answer:
        response = self.client.post(PATH, data=form, headers={"Host": HOST})
        return Answer(response.status_code, ElementTree.fromstring(response.data))

    def call(self, action: str, **params: str) -> Answer:
        return self.post(self.form(action, **params))

    def ok(self, action: str, **params: str) -> Answer:
        answer = self.call(action, **params)
        assert answer.status == 200, ElementTree.tostring(answer.root).decode()
        return answer

    def error(self, action: str, code: str, status: int, **params: str) -> Answer:
        answer = self.call(action, **params)
        assert (answer.status, answer.code) == (status, code), ElementTree.tostring(
            answer.root
        ).decode()
        return answer

    # --- reaching states quickly ----------------------------------------------------------------

    def new_order(self, **body: Any) -> str:
        """A Draft order reference made through the sandbox API, as the buyer's widget would."""
        response = self.client.post(
            f"/sandbox/api/v1/merchants/{self.merchant.seller_id}/order-references", json=body
        )
        assert response.status_code == 201, response.get_json()
        order_id: str = response.get_json()["amazon_order_reference_id"]
        return order_id

    def open_order(self, amount: str = "100.00", currency: str = "USD", **body: Any) -> str:
        """An Open order reference of ``amount``; ``body`` as for ``new_order``."""
        order_id = self.new_order(**body)
        self.ok(
            "SetOrderReferenceDetails",
            AmazonOrderReferenceId=order_id,
            **{
                "OrderReferenceAttributes.OrderTotal.Amount": amount,
                "OrderReferenceAttributes.OrderTotal.CurrencyCode": currency,
            },
        )
        self.ok("ConfirmOrderReference", AmazonOrderReferenceId=order_id)
        return order_id

    def authorize(self, order_id: str, amount: str, ref: str, **extra: str) -> Answer:
        params = {
            "AmazonOrderReferenceId": order_id,
            "AuthorizationReferenceId": ref,
            "AuthorizationAmount.Amount": amount,
            "AuthorizationAmount.CurrencyCode": extra.pop("currency", "USD"),
            "TransactionTimeout": extra.pop("timeout", "0"),
            "CaptureNow": extra.pop("capture_now", "false"),
        }
        return self.call("Authorize", **params, **extra)

    def unique_ref(self, prefix: str) -> str:
        self._refs = getattr(self, "_refs", 0) + 1
        return f"{prefix}-{self._refs}"

    def open_authorization(self, amount: str = "100.00", ref: str | None = None) -> str:
        answer = self.authorize(self.open_order(amount), amount, ref or self.unique_ref("auth"))
        assert answer.status == 200
        auth_id = answer.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
        assert auth_id
        return auth_id

    def capture(self, auth_id: str, amount: str, ref: str, **extra: str) -> Answer:
        params = {
            "AmazonAuthorizationId": auth_id,
            "CaptureReferenceId": ref,
            "CaptureAmount.Amount": amount,
            "CaptureAmount.CurrencyCode": extra.pop("currency", "USD"),
        }
        return self.call("Capture", **params, **extra)

    def completed_capture(self, amount: str = "100.00") -> str:
        answer = self.capture(self.open_authorization(amount), amount, self.unique_ref("cap"))
        assert answer.status == 200
        cap_id = answer.find("CaptureResult/CaptureDetails/AmazonCaptureId")
        assert cap_id
        return cap_id

    def refund(self, cap_id: str, amount: str, ref: str, **extra: str) -> Answer:
        params = {
            "AmazonCaptureId": cap_id,
            "RefundReferenceId": ref,
            "RefundAmount.Amount": amount,
            "RefundAmount.CurrencyCode": extra.pop("currency", "USD"),
        }
        return self.call("Refund", **params, **extra)
