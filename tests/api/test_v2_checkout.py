"""API v2 in process over signed HTTP: a one-time checkout with the control API playing the
buyer, charges, refunds up to the cap, expiry and settlement on the merchant's clock, disputes
on a v2 charge through the sandbox dispute API, and the bodies' errors."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.worker.jobs import run_due_work
from tests.api.conftest import Control
from tests.helpers import MerchantCredentials
from tests.v2.helpers import V2Api, register_key


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": "USD"}


@pytest.fixture
def v2(app: Any, runtime: Runtime, merchant: MerchantCredentials, clock: FrozenClock) -> V2Api:
    return V2Api(app.test_client(), register_key(runtime, merchant.seller_id), clock)


class Keys:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> dict[str, str]:
        self.n += 1
        return {"x-amz-pay-idempotency-key": f"key-{self.n}"}


def test_one_time_checkout_charge_capture_refund_and_dispute(
    v2: V2Api, control: Control, base: str, clock: FrozenClock, runtime: Runtime
) -> None:
    key = Keys()
    created = v2.call("POST", "checkoutSessions", {
        "storeId": "amzn1.application-oa2-client.shop",
        "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
    }, headers=key())  # fmt: skip
    assert created.status == 201, created.body
    session_id = created.body["checkoutSessionId"]
    assert [c["constraintId"] for c in created.body["constraints"]] == [
        "CheckoutResultReturnUrlNotSet", "ChargeAmountNotSet", "BuyerNotAssociated",
        "PaymentIntentNotSet"]  # fmt: skip
    step = f"{base}/v2/checkout-sessions/{session_id}"
    buyer = control.post(f"{step}/buyer", json={"card": "1111"}, status=200).json
    assert buyer["review_url"].endswith(f"/review?amazonCheckoutSessionId={session_id}")
    assert v2.call("GET", f"buyers/{buyer['buyer_token']}").body["name"] == "Sandbox Buyer"
    updated = v2.call("PATCH", f"checkoutSessions/{session_id}", {
        "webCheckoutDetails": {"checkoutResultReturnUrl": "https://shop.example/result"},
        "paymentDetails": {"paymentIntent": "Authorize", "chargeAmount": usd("50.00")},
        "merchantMetadata": {"merchantReferenceId": "order-1"},
    })  # fmt: skip
    assert updated.status == 200 and updated.body["constraints"] == []
    assert "amazonCheckoutSessionId=" in updated.body["webCheckoutDetails"]["amazonPayRedirectUrl"]
    redirected = control.post(f"{step}/redirect", status=200).json
    assert redirected["result_url"] == (
        f"https://shop.example/result?amazonCheckoutSessionId={session_id}"
    )
    completed = v2.call("POST", f"checkoutSessions/{session_id}/complete",
                        {"chargeAmount": usd("50.00")})  # fmt: skip
    assert completed.status == 200 and completed.body["statusDetails"]["state"] == "Completed"
    charge_id, permission_id = completed.body["chargeId"], completed.body["chargePermissionId"]
    permission = v2.call("GET", f"chargePermissions/{permission_id}").body
    assert permission["merchantMetadata"]["merchantReferenceId"] == "order-1"
    assert permission["limits"]["amountBalance"] == usd("0.00")
    captured = v2.call("POST", f"charges/{charge_id}/capture", {"captureAmount": usd("50.00")},
                       headers=key())  # fmt: skip
    assert captured.status == 200 and captured.body["statusDetails"]["state"] == "Captured"
    refund = v2.call("POST", "refunds", {"chargeId": charge_id, "refundAmount": usd("57.50")},
                     headers=key())  # fmt: skip
    assert refund.status == 201 and refund.body["statusDetails"]["state"] == "RefundInitiated"
    over = v2.call("POST", "refunds", {"chargeId": charge_id, "refundAmount": usd("0.01")},
                   headers=key())  # fmt: skip
    assert (over.status, over.reason) == (422, "TransactionAmountExceeded")
    clock.advance(5)
    run_due_work(runtime)
    got = v2.call("GET", f"refunds/{refund.body['refundId']}").body
    assert got["statusDetails"]["state"] == "Refunded"
    assert got["refundAmount"] == usd("57.50")
    # A chargeback on the v2 charge through the sandbox dispute API: the next refund declines.
    dispute = control.post(f"{base}/disputes", json={"type": "chargeback", "charge_id": charge_id,
                           "amount": "1.00"}, status=201).json  # fmt: skip
    assert dispute["charge_permission_id"] == permission_id and dispute["state"] == "Open"
    assert control.post(f"{base}/disputes", json={"type": "chargeback", "charge_id": charge_id,
                        "amazon_capture_id": "S01-1"}, status=400).json["error"]["code"] == (
        "InvalidParameterValue")  # fmt: skip
    resolved = control.post(f"{base}/disputes/{dispute['dispute_id']}/resolve",
                            json={"outcome": "denied"}, status=200).json  # fmt: skip
    assert resolved["state"] == "Denied"
    closed = v2.call("DELETE", f"chargePermissions/{permission_id}/close",
                     {"closureReason": "done"})  # fmt: skip
    assert (closed.status, closed.reason) == (405, "InvalidChargePermissionStatus")


def test_bodies_and_simulation_codes_are_checked(v2: V2Api, control: Control, base: str) -> None:
    missing = v2.call("POST", "checkoutSessions", {"webCheckoutDetails": {}},
                      headers={"x-amz-pay-idempotency-key": "a"})  # fmt: skip
    assert (missing.status, missing.reason) == (400, "MissingParameterValue")
    unknown = v2.call("POST", "checkoutSessions", {"storeId": "s", "nonsense": 1,
                      "webCheckoutDetails": {}}, headers={"x-amz-pay-idempotency-key": "b"})  # fmt: skip
    assert (unknown.status, unknown.reason) == (400, "UnrecognizedField")
    no_review = v2.call("POST", "checkoutSessions", {"storeId": "s", "webCheckoutDetails": {}},
                        headers={"x-amz-pay-idempotency-key": "c"})  # fmt: skip
    assert (no_review.status, no_review.reason) == (400, "InvalidParameterValue")
    bad_intent = v2.call("POST", "checkoutSessions", {"storeId": "s", "webCheckoutDetails": {
        "checkoutReviewReturnUrl": "https://s/r"}, "paymentDetails": {"paymentIntent": "Later"}},
        headers={"x-amz-pay-idempotency-key": "d"})  # fmt: skip
    assert (bad_intent.status, bad_intent.reason) == (400, "InvalidParameterValue")
    absent = v2.call("GET", "charges/S01-0000000-0000000-C000000")
    assert (absent.status, absent.reason) == (404, "ResourceNotFound")
    simulated = v2.call("GET", "refunds/S01-0000000-0000000-R000000",
                        headers={"x-amz-pay-simulation-code": "RefundDeclined"})  # fmt: skip
    assert (simulated.status, simulated.reason) == (400, "InvalidSandboxSimulationSpecified")
    bad_code = v2.call("POST", "charges", {"chargePermissionId": "S01-0000000-0000000",
                       "chargeAmount": usd("1.00")}, headers={"x-amz-pay-idempotency-key": "e",
                       "x-amz-pay-simulation-code": "Nope"})  # fmt: skip
    assert (bad_code.status, bad_code.reason) == (400, "InvalidSandboxSimulationSpecified")
    gone = control.post(f"{base}/v2/checkout-sessions/nope/buyer", status=404).json
    assert gone["error"]["code"] == "ResourceNotFound"
    wrong_card = control.post(f"{base}/v2/checkout-sessions/nope/buyer", json={"card": "1234"},
                              status=400).json  # fmt: skip
    assert wrong_card["error"]["code"]
