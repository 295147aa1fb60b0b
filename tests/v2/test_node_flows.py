"""API v2 flows through Amazon's Node.js SDK (unchanged but for ``overrideServiceUrl``) against a
live ``gateway serve`` over HTTPS (the session's, ``tests.v2.conftest``), the buyer played by the control API:
a one-time checkout, capture, partial refunds up to the cap, an over-cap refund refused,
RefundInitiated then Refunded after a clock advance with the REFUND IPN received and verified,
a refund declined ProcessingFailure after a chargeback, cancel and close, and every simulation
code. One Node runner for the module; each test its own merchant."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from clients.amazon_pay_v2.ipn import IpnV2Verifier
from tests.support.servers import GatewayServer
from tests.support.sink import Received, Sink
from tests.v2.node import NodeSdk, SdkAnswer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": "USD"}


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with Sink() as receiver:
        yield receiver


class Merchant:
    """A merchant with a v2 key (made by the control API) and its SDK calls."""

    def __init__(self, server: GatewayServer, node: NodeSdk, ipn_url: str) -> None:
        self.server, self.node = server, node
        # Refunds settle after 10 minutes of the merchant's clock: the server's scheduler runs
        # in real time, so only the tests' clock advances settle them.
        self.seller_id = server.new_merchant(ipn_url=ipn_url, settle_delay_seconds=600)["seller_id"]
        key = server.sandbox("POST", f"/merchants/{self.seller_id}/v2-keys", status=201)
        self.client = node.client(key["public_key_id"], key["private_key_pem"])
        self.keys = 0

    def call(self, method: str, *args: Any, simulation: str | None = None) -> SdkAnswer:
        headers: dict[str, str] = {}
        if method.startswith("create") or method == "captureCharge":
            self.keys += 1
            headers["x-amz-pay-idempotency-key"] = f"{self.seller_id}-{self.keys}"
        if simulation:
            headers["x-amz-pay-simulation-code"] = simulation
        return self.node.call(self.client, method, *args, headers)

    def ok(self, method: str, *args: Any, simulation: str | None = None) -> dict[str, Any]:
        answer = self.call(method, *args, simulation=simulation)
        assert 200 <= answer.status < 300, (method, answer.status, answer.body)
        body: dict[str, Any] = answer.body
        return body

    def buyer(self, session_id: str, step: str, **body: Any) -> dict[str, Any]:
        path = f"/merchants/{self.seller_id}/v2/checkout-sessions/{session_id}/{step}"
        answer: dict[str, Any] = self.server.sandbox("POST", path, status=200, **body)
        return answer

    def checkout(
        self, amount: str, intent: str = "Authorize", card: str = "1111", **payment: Any
    ) -> dict[str, Any]:
        """Create, the buyer's sign-in, update, the redirect step, complete."""
        created = self.ok("createCheckoutSession", {
            "storeId": "amzn1.application-oa2-client.node",
            "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
        })  # fmt: skip
        session_id = created["checkoutSessionId"]
        signed_in = self.buyer(session_id, "buyer", card=card)
        assert signed_in["review_url"].endswith(f"amazonCheckoutSessionId={session_id}")
        updated = self.ok("updateCheckoutSession", session_id, {
            "webCheckoutDetails": {"checkoutResultReturnUrl": "https://shop.example/result"},
            "paymentDetails": {"paymentIntent": intent, "chargeAmount": usd(amount), **payment},
        })  # fmt: skip
        assert updated["constraints"] == []
        assert updated["webCheckoutDetails"]["amazonPayRedirectUrl"]
        self.buyer(session_id, "redirect")
        return self.ok("completeCheckoutSession", session_id, {"chargeAmount": usd(amount)})

    def advance(self, seconds: float) -> None:
        self.server.advance_clock(self.seller_id, seconds)


@pytest.fixture
def merchant(v2_server: GatewayServer, node_sdk: NodeSdk, sink: Sink) -> Merchant:
    """The session's HTTPS server (``tests.v2.conftest``) and this module's Node runner."""
    return Merchant(v2_server, node_sdk, sink.url)


def ipn_of(item: Received) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(json.loads(item.body)["Message"])
    return message


def test_one_time_checkout_capture_refunds_ipn_and_chargeback(
    merchant: Merchant, sink: Sink
) -> None:
    completed = merchant.checkout("100.00")
    assert completed["statusDetails"]["state"] == "Completed"
    charge_id, permission_id = completed["chargeId"], completed["chargePermissionId"]
    assert merchant.ok("getCharge", charge_id)["statusDetails"]["state"] == "Authorized"
    captured = merchant.ok("captureCharge", charge_id, {"captureAmount": usd("100.00")})
    assert captured["statusDetails"]["state"] == "Captured"
    first = merchant.ok("createRefund", {"chargeId": charge_id, "refundAmount": usd("80.00")})
    second = merchant.ok("createRefund", {"chargeId": charge_id, "refundAmount": usd("35.00")})
    over = merchant.call("createRefund", {"chargeId": charge_id, "refundAmount": usd("0.01")})
    assert (over.status, over.reason) == (422, "TransactionAmountExceeded")
    got = merchant.ok("getRefund", first["refundId"])
    assert got["statusDetails"]["state"] == "RefundInitiated"
    merchant.advance(600)
    assert merchant.ok("getRefund", first["refundId"])["statusDetails"]["state"] == "Refunded"
    assert merchant.ok("getCharge", charge_id)["refundedAmount"] == usd("115.00")
    # The wait endpoint: Refunded and its IPN acknowledged by the receiver.
    waited = merchant.server.sandbox(
        "GET",
        f"/merchants/{merchant.seller_id}/wait?object_id={second['refundId']}"
        "&state=Refunded&acknowledged=true&timeout=15",
        status=200,
    )
    assert waited["object_kind"] == "V2Refund"
    assert waited["details"]["refundAmount"] == usd("35.00")
    # The REFUND notifications, verified as a receiver verifies them (the simulator's
    # certificate host named), each naming the refund to fetch.
    refunds = {first["refundId"], second["refundId"]}
    seen: dict[str, Received] = {}
    while len(seen) < 2:
        item = sink.next_matching(lambda r: ipn_of(r).get("ObjectId") in refunds - set(seen))
        seen[ipn_of(item)["ObjectId"]] = item
    item = seen[first["refundId"]]
    cert_host = urlsplit(json.loads(item.body)["SigningCertURL"]).netloc
    note = IpnV2Verifier([cert_host]).verify(item.body, item.headers)
    assert (note.object_type, note.notification_type, note.notification_version) == (
        "REFUND", "STATE_CHANGE", "V2")  # fmt: skip
    assert note.charge_permission_id == permission_id
    assert note.merchant_id == merchant.seller_id

    # A chargeback on another charge: its refund declines ProcessingFailure.
    disputed = merchant.checkout("40.00", intent="AuthorizeWithCapture")["chargeId"]
    merchant.server.sandbox("POST", f"/merchants/{merchant.seller_id}/disputes", status=201,
                            type="chargeback", charge_id=disputed)  # fmt: skip
    declined = merchant.ok("createRefund", {"chargeId": disputed, "refundAmount": usd("10.00")})
    merchant.advance(600)
    status = merchant.ok("getRefund", declined["refundId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Declined", "ProcessingFailure")

    # Cancel a charge, close a charge permission.
    pending = merchant.checkout("20.00")
    canceled = merchant.ok("cancelCharge", pending["chargeId"], {"cancellationReason": "no stock"})
    assert canceled["statusDetails"]["reasonCode"] == "MerchantCanceled"
    closed = merchant.ok("closeChargePermission", pending["chargePermissionId"],
                         {"closureReason": "done", "cancelPendingCharges": True})  # fmt: skip
    assert closed["statusDetails"]["state"] == "Closed"
    again = merchant.call("closeChargePermission", pending["chargePermissionId"],
                          {"closureReason": "again"})  # fmt: skip
    assert again.reason == "InvalidChargePermissionStatus"


def test_every_simulation_code(merchant: Merchant) -> None:
    confirmed = merchant.checkout("500.00", intent="Confirm")
    permission_id = confirmed["chargePermissionId"]

    def charge(code: str | None, amount: str = "10.00", **extra: Any) -> dict[str, Any]:
        body = {"chargePermissionId": permission_id, "chargeAmount": usd(amount), **extra}
        return merchant.ok("createCharge", body, simulation=code)

    for code in ("SoftDeclined", "HardDeclined", "AmazonRejected", "ProcessingFailure",
                 "TransactionTimedOut"):  # fmt: skip
        status = charge(code)["statusDetails"]
        assert (status["state"], status["reasonCode"]) == ("Declined", code)
    pending = charge("AuthorizationInitiated", canHandlePendingAuthorization=True)
    assert pending["statusDetails"]["state"] == "AuthorizationInitiated"
    expiring = charge("ExpiredUnused")["chargeId"]
    to_capture = charge(None)["chargeId"]
    for code in ("SoftDeclined", "HardDeclined", "AmazonRejected", "ProcessingFailure"):
        declined = merchant.ok("captureCharge", charge(None)["chargeId"],
                               {"captureAmount": usd("10.00")}, simulation=code)  # fmt: skip
        assert declined["statusDetails"]["reasonCode"] == code
    initiated = merchant.ok("captureCharge", to_capture, {"captureAmount": usd("10.00")},
                            simulation="CaptureInitiated")  # fmt: skip
    assert initiated["statusDetails"]["state"] == "CaptureInitiated"
    merchant.advance(600)
    assert merchant.ok("getCharge", pending["chargeId"])["statusDetails"]["state"] == "Authorized"
    assert merchant.ok("getCharge", expiring)["statusDetails"]["reasonCode"] == "ExpiredUnused"
    assert merchant.ok("getCharge", to_capture)["statusDetails"]["state"] == "Captured"
    refunds = {
        code: merchant.ok(
            "createRefund", {"chargeId": to_capture, "refundAmount": usd("1.00")}, simulation=code
        )["refundId"]
        for code in ("RefundDeclined", "ProcessingFailure")
    }
    merchant.advance(600)
    reasons = {
        code: merchant.ok("getRefund", refund_id)["statusDetails"]["reasonCode"]
        for code, refund_id in refunds.items()
    }
    assert reasons == {"RefundDeclined": "AmazonRejected", "ProcessingFailure": "ProcessingFailure"}
    closed = merchant.ok("closeChargePermission", permission_id, {"closureReason": "sim"},
                         simulation="AmazonClosed")  # fmt: skip
    assert closed["statusDetails"]["reasons"][0]["reasonCode"] == "AmazonClosed"
    unknown = merchant.call("getCharge", to_capture, simulation="Whatever")
    assert (unknown.status, unknown.reason) == (400, "InvalidSandboxSimulationSpecified")
    # Complete Checkout Session's codes and the pending sandbox cards.
    for code in ("BuyerCanceled", "AmazonCanceled", "Declined"):
        session_id = merchant.ok("createCheckoutSession", {
            "storeId": "s", "webCheckoutDetails": {
                "checkoutReviewReturnUrl": "https://s/r", "checkoutResultReturnUrl": "https://s/x"},
            "paymentDetails": {"paymentIntent": "Authorize", "chargeAmount": usd("5.00")},
        })["checkoutSessionId"]  # fmt: skip
        merchant.buyer(session_id, "buyer")
        merchant.buyer(session_id, "redirect")
        done = merchant.ok("completeCheckoutSession", session_id, {"chargeAmount": usd("5.00")},
                           simulation=code)  # fmt: skip
        assert (done["statusDetails"]["state"], done["statusDetails"]["reasonCode"]) == (
            "Canceled", code)  # fmt: skip
    later = merchant.checkout("5.00", card="4354", canHandlePendingAuthorization=True)
    assert merchant.ok("getCharge", later["chargeId"])["statusDetails"]["state"] == (
        "AuthorizationInitiated")  # fmt: skip
    merchant.advance(30)
    status = merchant.ok("getCharge", later["chargeId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Declined", "HardDeclined")
