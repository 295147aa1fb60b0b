"""API v2 flows through the Python v2 client (``clients.amazon_pay_v2``), in process through the
``amazon_pay_sandbox`` fixture: the flows ``test_node_flows`` runs through Amazon's Node SDK
against a live server, with the same expectations. A one-time checkout, capture, partial refunds
up to the cap, an over-cap refund refused, RefundInitiated then Refunded after a clock advance,
the REFUND IPN v2 verified and fetched, a refund declined ProcessingFailure after a chargeback,
cancel and close, and an idempotent retry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from clients.amazon_pay_v2.ipn import NotificationV2
from clients.amazon_pay_v2.objects import Refund
from clients.errors import AmazonPayV2Error
from gateway.testing import AmazonPaySandbox, SandboxServer, running_server
from tests.support.databases import Databases


@pytest.fixture(scope="module")
def amazon_pay_sandbox_server(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[SandboxServer]:
    """The fixture's simulator on the session's backend (PostgreSQL too, unlike the plugin's own,
    which is always SQLite): these flows run on both."""
    folder = tmp_path_factory.mktemp("v2-python-flows")
    with running_server(folder, databases.empty(folder / "db")) as server:
        yield server


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": "USD"}


def checkout(
    sandbox: AmazonPaySandbox, amount: str, intent: str = "Authorize", card: str = "1111"
) -> tuple[str, str]:
    """Create, the buyer's sign-in, update, the redirect step, complete: the charge id (empty
    for paymentIntent Confirm, which makes no charge) and the charge permission id."""
    client = sandbox.v2
    created = client.create_checkout_session({
        "storeId": "amzn1.application-oa2-client.python",
        "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
    })  # fmt: skip
    session_id = created["checkoutSessionId"]
    signed_in = sandbox.v2_buyer(session_id, card=card)
    assert signed_in["review_url"].endswith(f"amazonCheckoutSessionId={session_id}")
    updated = client.update_checkout_session(session_id, {
        "webCheckoutDetails": {"checkoutResultReturnUrl": "https://shop.example/result"},
        "paymentDetails": {"paymentIntent": intent, "chargeAmount": usd(amount)},
    })  # fmt: skip
    assert updated["constraints"] == []
    assert updated["webCheckoutDetails"]["amazonPayRedirectUrl"]
    sandbox.v2_buyer(session_id, "redirect")
    completed = client.complete_checkout_session(session_id, amount, "USD")
    assert completed["statusDetails"]["state"] == "Completed"
    permission_id = completed["chargePermissionId"]
    assert permission_id
    return completed.get("chargeId") or "", permission_id


def is_refund_of(refund_id: str) -> Any:
    def matches(note: object) -> bool:
        return isinstance(note, NotificationV2) and note.object_id == refund_id

    return matches


def test_checkout_capture_refunds_ipn_and_get_refund(
    amazon_pay_sandbox: AmazonPaySandbox,
) -> None:
    sandbox = amazon_pay_sandbox
    sandbox.configure(settle_delay_seconds=600)
    client = sandbox.v2
    charge_id, permission_id = checkout(sandbox, "100.00")
    assert client.get_charge(charge_id)["statusDetails"]["state"] == "Authorized"
    captured = client.capture_charge(charge_id, "100.00", "USD")
    assert captured["statusDetails"]["state"] == "Captured"
    # The cap: the captured amount plus the lesser of 15 % and 75 (115.00 here).
    first = client.create_refund(charge_id, "80.00", "USD")
    second = client.create_refund(charge_id, "35.00", "USD")
    with pytest.raises(AmazonPayV2Error) as over:
        client.create_refund(charge_id, "0.01", "USD")
    assert (over.value.status, over.value.reason_code) == (422, "TransactionAmountExceeded")
    assert client.get_refund(first["refundId"])["statusDetails"]["state"] == "RefundInitiated"
    sandbox.advance_clock(600)
    assert client.get_refund(first["refundId"])["statusDetails"]["state"] == "Refunded"
    assert client.get_charge(charge_id)["refundedAmount"] == usd("115.00")

    [note] = sandbox.wait(1, predicate=is_refund_of(second["refundId"]))
    assert isinstance(note, NotificationV2)  # verified by the receiver's AnyIpnVerifier
    assert (note.object_type, note.notification_type, note.notification_version) == (
        "REFUND", "STATE_CHANGE", "V2")  # fmt: skip
    assert (note.charge_permission_id, note.merchant_id) == (permission_id, sandbox.seller_id)
    fetched = cast(Refund, note.fetch(client))  # GetRefund
    assert fetched["statusDetails"]["state"] == "Refunded"
    assert fetched["refundAmount"] == usd("35.00")


def test_refund_after_chargeback_declines(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    sandbox = amazon_pay_sandbox
    sandbox.configure(settle_delay_seconds=600)
    charge_id, _ = checkout(sandbox, "40.00", intent="AuthorizeWithCapture")
    sandbox.control("POST", "/disputes", type="chargeback", charge_id=charge_id)
    refund = sandbox.v2.create_refund(charge_id, "10.00", "USD")
    sandbox.advance_clock(600)
    status = sandbox.v2.get_refund(refund["refundId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Declined", "ProcessingFailure")


def test_cancel_charge_and_close_permission(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    client = amazon_pay_sandbox.v2
    charge_id, permission_id = checkout(amazon_pay_sandbox, "20.00")
    canceled = client.cancel_charge(charge_id, "no stock")
    assert canceled["statusDetails"]["reasonCode"] == "MerchantCanceled"
    closed = client.close_charge_permission(permission_id, "done", cancel_pending_charges=True)
    assert closed["statusDetails"]["state"] == "Closed"
    with pytest.raises(AmazonPayV2Error) as again:
        client.close_charge_permission(permission_id, "again")
    assert again.value.reason_code == "InvalidChargePermissionStatus"


def test_idempotent_retry(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    client = amazon_pay_sandbox.v2
    _, permission_id = checkout(amazon_pay_sandbox, "50.00", intent="Confirm")
    key = f"{amazon_pay_sandbox.seller_id}-retry"
    first = client.create_charge(permission_id, "10.00", "USD", idempotency_key=key)
    retried = client.create_charge(permission_id, "10.00", "USD", idempotency_key=key)
    assert retried == first
    with pytest.raises(AmazonPayV2Error) as other:
        client.create_charge(permission_id, "11.00", "USD", idempotency_key=key)
    assert other.value.reason_code == "DuplicateIdempotencyKey"
