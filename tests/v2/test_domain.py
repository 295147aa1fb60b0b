"""API v2 rules in process: checkout sessions, charges, refunds, expiry on the merchant's clock,
simulations, disputes and the IPN rows each change writes."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain import disputes as v1_disputes
from gateway.errors import GatewayError
from gateway.v2 import charge_permissions, charges, checkout_sessions, refunds, views
from gateway.v2 import disputes as v2_disputes
from gateway.v2.models import V2Dispute
from tests.v2.domain_helpers import Shop, price

Json = dict[str, Any]


def _found(dispute: V2Dispute | None) -> V2Dispute:
    assert dispute is not None
    return dispute


def refused(shop: Shop, work: object, code: str) -> str:
    with pytest.raises(GatewayError) as caught:
        shop.run(work)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def charge_view(shop: Shop, charge_id: str) -> Json:
    return shop.run(lambda ctx: views.charge_json(charges.get_charge(ctx, charge_id)))


def permission_view(shop: Shop, permission_id: str) -> Json:
    return shop.run(
        lambda ctx: views.charge_permission_json(charge_permissions.get(ctx, permission_id))
    )


def refund(shop: Shop, charge_id: str, amount: str, code: str | None = None) -> Json:
    body = {"chargeId": charge_id, "refundAmount": price(amount)}
    return shop.run(lambda ctx: views.refund_json(refunds.create_refund(ctx, body, code)))


def refund_view(shop: Shop, refund_id: str) -> Json:
    return shop.run(lambda ctx: views.refund_json(refunds.get_refund(ctx, refund_id)))


def capture(shop: Shop, charge_id: str, amount: str, code: str | None = None) -> Json:
    body = {"captureAmount": price(amount)}
    return shop.run(lambda ctx: views.charge_json(charges.capture(ctx, charge_id, body, code)))


# --- checkout sessions ---------------------------------------------------------------------------


def test_a_new_session_lists_what_is_missing_and_expires_in_24_hours(shop: Shop) -> None:
    session_id = shop.session(webCheckoutDetails={"checkoutReviewReturnUrl": "https://s/r"},
                              paymentDetails={})  # fmt: skip
    view = shop.view(session_id)
    assert view["statusDetails"]["state"] == "Open"
    assert [c["constraintId"] for c in view["constraints"]] == [
        "CheckoutResultReturnUrlNotSet",
        "ChargeAmountNotSet",
        "BuyerNotAssociated",
        "PaymentIntentNotSet",
    ]
    assert view["webCheckoutDetails"]["amazonPayRedirectUrl"] is None
    assert view["releaseEnvironment"] == "Sandbox"
    created, expires = view["creationTimestamp"], view["expirationTimestamp"]
    assert len(created) == 16 and created.endswith("Z") and created[8] == "T"
    assert int(expires[6:8]) == int(created[6:8]) + 1  # 20261102T... after 20261101T...
    shop.due(24 * 3600 - 1)
    assert shop.view(session_id)["statusDetails"]["state"] == "Open"
    shop.due(1)
    status = shop.view(session_id)["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Canceled", "Expired")
    assert status["reasonDescription"]


def test_the_buyer_then_update_clear_the_constraints_and_set_the_redirect_url(shop: Shop) -> None:
    session_id = shop.session(paymentDetails={})
    from gateway.v2 import buyer_journey
    from tests.v2.domain_helpers import BUYER, DESTINATION

    signed = shop.run(
        lambda ctx: buyer_journey.sign_in(ctx, session_id, buyer=BUYER, destination=DESTINATION)
    )
    assert signed.review_url == f"https://shop.example/review?amazonCheckoutSessionId={session_id}"
    view = shop.view(session_id)
    assert view["buyer"]["email"] == "buyer@example.com"
    assert view["buyer"]["buyerId"].startswith("amzn1.account.")
    assert view["shippingAddress"]["postalCode"] == "98101"
    assert view["paymentPreferences"] == [{"paymentDescriptor": "Visa ****1111"}]
    assert [c["constraintId"] for c in view["constraints"]] == [
        "ChargeAmountNotSet",
        "PaymentIntentNotSet",
    ]
    refused(
        shop, lambda ctx: buyer_journey.process(ctx, session_id), "InvalidCheckoutSessionStatus"
    )
    body = {"paymentDetails": {"paymentIntent": "Authorize", "chargeAmount": price("25.50")}}
    shop.run(lambda ctx: checkout_sessions.update_session(ctx, session_id, body))
    view = shop.view(session_id)
    assert view["constraints"] == []
    assert view["webCheckoutDetails"]["amazonPayRedirectUrl"] == (
        f"http://sim/checkout/processing?amazonCheckoutSessionId={session_id}"
    )
    result = shop.run(lambda ctx: buyer_journey.process(ctx, session_id))
    assert result == f"https://shop.example/result?amazonCheckoutSessionId={session_id}"
    refused(
        shop,
        lambda ctx: checkout_sessions.update_session(ctx, session_id, body),
        "InvalidCheckoutSessionStatus",
    )


def test_complete_needs_the_redirect_step_and_the_same_amount(shop: Shop) -> None:
    session_id = shop.session()
    body = {"chargeAmount": price("100.00")}
    complete = lambda ctx: checkout_sessions.complete_session(ctx, session_id, body)  # noqa: E731
    message = refused(shop, complete, "InvalidCheckoutSessionStatus")
    assert "amazonPayRedirectUrl" in message
    shop.buyer(session_id)
    wrong = {"chargeAmount": price("99.99")}
    refused(
        shop,
        lambda ctx: checkout_sessions.complete_session(ctx, session_id, wrong),
        "InvalidParameterValue",
    )
    euros = {"chargeAmount": price("100.00", "EUR")}
    refused(
        shop,
        lambda ctx: checkout_sessions.complete_session(ctx, session_id, euros),
        "CurrencyMismatch",
    )
    view = shop.complete(session_id)
    assert view["statusDetails"]["state"] == "Completed"
    again = shop.complete(session_id)
    assert again["chargeId"] == view["chargeId"]


@pytest.mark.parametrize(
    ("intent", "charge_state"),
    [("Confirm", None), ("Authorize", "Authorized"), ("AuthorizeWithCapture", "Captured")],
)
def test_the_payment_intent_decides_the_charge(
    shop: Shop, intent: str, charge_state: str | None
) -> None:
    view = shop.checkout(paymentDetails={"paymentIntent": intent, "chargeAmount": price("40.00")})
    permission = permission_view(shop, view["chargePermissionId"])
    assert permission["chargePermissionId"].startswith("S01-")
    assert permission["limits"]["amountLimit"] == price("40.00")
    assert permission["buyer"]["name"] == "Test Buyer"
    if charge_state is None:
        assert view["chargeId"] is None
        assert permission["statusDetails"]["state"] == "Chargeable"
        return
    charge = charge_view(shop, view["chargeId"])
    assert charge["chargeId"].startswith(view["chargePermissionId"] + "-C")
    assert charge["statusDetails"]["state"] == charge_state
    if charge_state == "Captured":
        # A OneTime charge permission whose whole amount was captured closes.
        assert permission["statusDetails"]["state"] == "Closed"
        assert permission["statusDetails"]["reasons"][0]["reasonCode"] == "MaxAmountCharged"


# --- charges -------------------------------------------------------------------------------------


def test_create_capture_and_cancel_charges_within_the_balance(shop: Shop) -> None:
    permission_id = shop.checkout(paymentDetails={"paymentIntent": "Confirm", "chargeAmount": price("50.00")})[
        "chargePermissionId"
    ]  # fmt: skip

    def create(amount: str, **extra: object) -> Json:
        body = {"chargePermissionId": permission_id, "chargeAmount": price(amount), **extra}
        return shop.run(lambda ctx: views.charge_json(charges.create_charge(ctx, body)))

    refused(shop, lambda ctx: charges.create_charge(ctx, {"chargePermissionId": permission_id,
            "chargeAmount": price("50.01")}), "TransactionAmountExceeded")  # fmt: skip
    refused(shop, lambda ctx: charges.create_charge(ctx, {"chargePermissionId": permission_id,
            "chargeAmount": price("5.00", "EUR")}), "CurrencyMismatch")  # fmt: skip
    first = create("30.00")
    assert first["statusDetails"]["state"] == "Authorized"
    assert permission_view(shop, permission_id)["limits"]["amountBalance"] == price("20.00")
    canceled = shop.run(
        lambda ctx: views.charge_json(charges.cancel(ctx, first["chargeId"], "oops"))
    )
    status = canceled["statusDetails"]
    assert (status["state"], status["reasonCode"], status["reasonDescription"]) == (
        "Canceled", "MerchantCanceled", "oops")  # fmt: skip
    assert permission_view(shop, permission_id)["limits"]["amountBalance"] == price("50.00")
    refused(shop, lambda ctx: charges.cancel(ctx, first["chargeId"], None), "InvalidChargeStatus")
    second = create("50.00")
    refused(shop, lambda ctx: charges.capture(ctx, second["chargeId"],
            {"captureAmount": price("50.01")}), "TransactionAmountExceeded")  # fmt: skip
    captured = capture(shop, second["chargeId"], "45.00")
    assert captured["captureAmount"] == price("45.00")
    assert captured["refundedAmount"] == price("0.00")
    refused(shop, lambda ctx: charges.capture(ctx, second["chargeId"],
            {"captureAmount": price("1.00")}), "InvalidChargeStatus")  # fmt: skip
    charge_ipns = shop.notifications("CHARGE")
    assert [(n["object_id"], n["state"]) for n in charge_ipns] == [
        (first["chargeId"], "Authorized"),
        (first["chargeId"], "Canceled"),
        (second["chargeId"], "Authorized"),
        (second["chargeId"], "Captured"),
    ]
    assert {n["ChargePermissionId"] for n in charge_ipns} == {permission_id}
    refused(shop, lambda ctx: charges.create_charge(ctx, {"chargePermissionId": permission_id,
            "chargeAmount": price("1.00"), "softDescriptor": "x" * 17}), "InvalidParameterValue")  # fmt: skip


@pytest.mark.parametrize(("live", "days"), [(False, 2), (True, 30)])
def test_an_uncaptured_charge_expires_unused(shop: Shop, live: bool, days: int) -> None:
    session_id = shop.run(
        lambda ctx: checkout_sessions.create_session(ctx, {
            "storeId": "s",
            "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://s/a",
                                   "checkoutResultReturnUrl": "https://s/b"},
            "paymentDetails": {"paymentIntent": "Authorize", "chargeAmount": price("10.00")},
        }).amazon_id, live=live)  # fmt: skip
    from gateway.v2 import buyer_journey
    from tests.v2.domain_helpers import BUYER

    shop.run(lambda ctx: buyer_journey.sign_in(ctx, session_id, buyer=BUYER), live=live)
    shop.run(lambda ctx: buyer_journey.process(ctx, session_id), live=live)
    view = shop.run(
        lambda ctx: views.checkout_session_json(
            checkout_sessions.complete_session(ctx, session_id, {"chargeAmount": price("10.00")}),
            "http://sim",
        ),
        live=live,
    )
    assert view["releaseEnvironment"] == ("Live" if live else "Sandbox")
    assert view["chargePermissionId"].startswith("P01-" if live else "S01-")
    charge_id = view["chargeId"]
    shop.due(days * 86400 - 1)
    assert charge_view(shop, charge_id)["statusDetails"]["state"] == "Authorized"
    shop.due(1)
    status = charge_view(shop, charge_id)["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Canceled", "ExpiredUnused")


# --- refunds -------------------------------------------------------------------------------------


def test_refunds_up_to_the_cap_settle_on_the_merchant_clock_with_their_ipn(shop: Shop) -> None:
    view = shop.checkout(paymentDetails={"paymentIntent": "AuthorizeWithCapture",
                                         "chargeAmount": price("100.00")})  # fmt: skip
    charge_id = view["chargeId"]
    first = refund(shop, charge_id, "60.00")
    assert first["refundId"].startswith(view["chargePermissionId"] + "-R")
    assert first["statusDetails"]["state"] == "RefundInitiated"
    second = refund(shop, charge_id, "55.00")  # 115.00 in all: 100 + the lesser of 15 % or 75
    message = refused(shop, lambda ctx: refunds.create_refund(ctx, {"chargeId": charge_id,
                      "refundAmount": price("0.01")}), "TransactionAmountExceeded")  # fmt: skip
    assert "0.00 USD remain" in message
    assert shop.notifications("REFUND") == []
    shop.due(4)
    assert refund_view(shop, first["refundId"])["statusDetails"]["state"] == "RefundInitiated"
    shop.due(1)
    assert refund_view(shop, first["refundId"])["statusDetails"]["state"] == "Refunded"
    assert refund_view(shop, second["refundId"])["statusDetails"]["state"] == "Refunded"
    assert charge_view(shop, charge_id)["refundedAmount"] == price("115.00")
    ipns = shop.notifications("REFUND")
    assert [(n["object_id"], n["state"]) for n in ipns] == [
        (first["refundId"], "Refunded"),
        (second["refundId"], "Refunded"),
    ]
    assert ipns[0]["ChargePermissionId"] == view["chargePermissionId"]


def test_ten_refunds_per_charge_and_only_captured_charges(shop: Shop) -> None:
    authorized = shop.checkout()["chargeId"]
    refused(shop, lambda ctx: refunds.create_refund(ctx, {"chargeId": authorized,
            "refundAmount": price("1.00")}), "InvalidChargeStatus")  # fmt: skip
    captured = capture(shop, authorized, "100.00")["chargeId"]
    for _ in range(10):
        refund(shop, captured, "1.00")
    refused(shop, lambda ctx: refunds.create_refund(ctx, {"chargeId": captured,
            "refundAmount": price("1.00")}), "TransactionCountExceeded")  # fmt: skip


def test_a_refund_after_a_chargeback_declines_processing_failure(shop: Shop) -> None:
    charge_id = shop.checkout(paymentDetails={"paymentIntent": "AuthorizeWithCapture",
                                              "chargeAmount": price("80.00")})["chargeId"]  # fmt: skip
    dispute_id = shop.run(
        lambda ctx: (
            v2_disputes.file_dispute(ctx, v1_disputes.CHARGEBACK, charge_id=charge_id).amazon_id
        )
    )
    refused(shop, lambda ctx: v2_disputes.file_dispute(ctx, "a-to-z-claim", charge_id=charge_id,
            amount="80.01"), "TransactionAmountExceeded")  # fmt: skip
    declined = refund(shop, charge_id, "10.00")
    shop.due(5)
    status = refund_view(shop, declined["refundId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Declined", "ProcessingFailure")
    assert charge_view(shop, charge_id)["refundedAmount"] == price("0.00")
    assert [(n["object_id"], n["state"]) for n in shop.notifications("CHARGEBACK")] == [
        (dispute_id, "Open")
    ]
    shop.run(
        lambda ctx: v2_disputes.resolve_dispute(
            ctx, _found(v2_disputes.get_dispute(ctx, dispute_id)), "granted"
        )
    )
    assert charge_view(shop, charge_id)["refundedAmount"] == price("80.00")
    # The chargeback counts against the cap: 80 + 12 (15 %) may be refunded in all.
    refused(shop, lambda ctx: refunds.create_refund(ctx, {"chargeId": charge_id,
            "refundAmount": price("12.01")}), "TransactionAmountExceeded")  # fmt: skip


def test_an_a_to_z_claim_is_not_notified(shop: Shop) -> None:
    charge_id = shop.checkout(paymentDetails={"paymentIntent": "AuthorizeWithCapture",
                                              "chargeAmount": price("20.00")})["chargeId"]  # fmt: skip
    shop.run(lambda ctx: v2_disputes.file_dispute(ctx, "a-to-z-claim", charge_id=charge_id))
    assert shop.notifications("CHARGEBACK") == []


# --- sandbox cards and simulation codes ----------------------------------------------------------


@pytest.mark.parametrize(("card", "reason"), [("3064", "BuyerCanceled"), ("3434", "Declined")])
def test_cards_that_cancel_the_checkout(shop: Shop, card: str, reason: str) -> None:
    session_id = shop.session()
    result = shop.buyer(session_id, card)
    assert result.endswith(f"amazonCheckoutSessionId={session_id}")
    status = shop.view(session_id)["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Canceled", reason)
    refused(shop, lambda ctx: checkout_sessions.complete_session(ctx, session_id,
            {"chargeAmount": price("100.00")}), "InvalidCheckoutSessionStatus")  # fmt: skip


@pytest.mark.parametrize(
    ("card", "state", "reason"),
    [("0701", "Authorized", None), ("4354", "Declined", "HardDeclined")],
)
def test_cards_that_authorize_later(shop: Shop, card: str, state: str, reason: str | None) -> None:
    pending = {"paymentIntent": "Authorize", "canHandlePendingAuthorization": True,
               "chargeAmount": price("100.00")}  # fmt: skip
    view = shop.checkout(card, paymentDetails=pending)
    charge_id = view["chargeId"]
    assert charge_view(shop, charge_id)["statusDetails"]["state"] == "AuthorizationInitiated"
    shop.due(29)
    assert charge_view(shop, charge_id)["statusDetails"]["state"] == "AuthorizationInitiated"
    shop.due(1)
    status = charge_view(shop, charge_id)["statusDetails"]
    assert (status["state"], status["reasonCode"]) == (state, reason)
    assert [n["state"] for n in shop.notifications("CHARGE")] == [state]


def test_a_pending_card_needs_can_handle_pending_authorization(shop: Shop) -> None:
    session_id = shop.session()
    with pytest.raises(GatewayError) as caught:
        shop.buyer(session_id, "0701")
    assert caught.value.code == "InvalidParameterCombination"
    with pytest.raises(GatewayError) as caught:
        shop.buyer(shop.session(), "9999")
    assert caught.value.code == "InvalidParameterValue"


def test_simulation_codes(shop: Shop) -> None:
    permission_id = shop.checkout(paymentDetails={"paymentIntent": "Confirm",
                                                  "chargeAmount": price("100.00")})["chargePermissionId"]  # fmt: skip

    def create(code: str, **extra: object) -> Json:
        body = {"chargePermissionId": permission_id, "chargeAmount": price("10.00"), **extra}
        return shop.run(lambda ctx: views.charge_json(charges.create_charge(ctx, body, code)))

    for code in (
        "SoftDeclined",
        "HardDeclined",
        "AmazonRejected",
        "ProcessingFailure",
        "TransactionTimedOut",
    ):
        status = create(code)["statusDetails"]
        assert (status["state"], status["reasonCode"]) == ("Declined", code)
    assert permission_view(shop, permission_id)["limits"]["amountBalance"] == price("100.00")
    message = refused(shop, lambda ctx: charges.create_charge(ctx, {"chargePermissionId": permission_id,
                      "chargeAmount": price("1.00")}, "Nonsense"), "InvalidSandboxSimulationSpecified")  # fmt: skip
    assert "HardDeclined" in message
    pending = create("AuthorizationInitiated", canHandlePendingAuthorization=True, captureNow=True)
    assert pending["statusDetails"]["state"] == "AuthorizationInitiated"
    expiring = create("ExpiredUnused")
    authorized = create("AuthorizationInitiated", canHandlePendingAuthorization=True)["chargeId"]
    shop.due(30)
    assert charge_view(shop, pending["chargeId"])["statusDetails"]["state"] == "Captured"
    initiated = capture(shop, authorized, "10.00", "CaptureInitiated")
    assert initiated["statusDetails"]["state"] == "CaptureInitiated"
    shop.due(30)
    assert charge_view(shop, authorized)["statusDetails"]["state"] == "Captured"
    assert charge_view(shop, expiring["chargeId"])["statusDetails"]["reasonCode"] == "ExpiredUnused"
    declined_refund = refund(shop, authorized, "1.00", "RefundDeclined")
    shop.due(5)
    status = refund_view(shop, declined_refund["refundId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Declined", "AmazonRejected")
    closed = shop.run(lambda ctx: views.charge_permission_json(charge_permissions.close(
        ctx, permission_id, closure_reason="done", cancel_pending_charges=True,
        simulation_code="AmazonClosed")))  # fmt: skip
    assert closed["statusDetails"]["reasons"][0]["reasonCode"] == "AmazonClosed"
    refused(shop, lambda ctx: charges.create_charge(ctx, {"chargePermissionId": permission_id,
            "chargeAmount": price("1.00")}), "InvalidChargePermissionStatus")  # fmt: skip


def test_simulation_codes_are_sandbox_only(shop: Shop) -> None:
    with pytest.raises(GatewayError) as caught:
        shop.run(lambda ctx: charges.create_charge(ctx, {"chargePermissionId": "S01-1-1",
                 "chargeAmount": price("1.00")}, "HardDeclined"), live=True)  # fmt: skip
    assert caught.value.code == "InvalidSandboxSimulationSpecified"


def test_complete_simulations(shop: Shop) -> None:
    session_id = shop.session()
    shop.buyer(session_id)
    view = shop.complete(session_id, code="BuyerCanceled")
    assert (view["statusDetails"]["state"], view["statusDetails"]["reasonCode"]) == (
        "Canceled", "BuyerCanceled")  # fmt: skip
    pending = {"paymentIntent": "Authorize", "canHandlePendingAuthorization": True,
               "chargeAmount": price("100.00")}  # fmt: skip
    session_id = shop.session(paymentDetails=pending)
    shop.buyer(session_id)
    view = shop.complete(session_id, code="AuthorizationInitiated")
    assert charge_view(shop, view["chargeId"])["statusDetails"]["state"] == "AuthorizationInitiated"


def test_closing_a_permission_cancels_its_pending_charges_when_asked(shop: Shop) -> None:
    view = shop.checkout()
    closed = shop.run(lambda ctx: views.charge_permission_json(charge_permissions.close(
        ctx, view["chargePermissionId"], closure_reason="out of stock",
        cancel_pending_charges=True)))  # fmt: skip
    assert closed["statusDetails"]["reasons"] == [
        {"reasonCode": "MerchantClosed", "reasonDescription": "out of stock"}
    ]
    status = charge_view(shop, view["chargeId"])["statusDetails"]
    assert (status["state"], status["reasonCode"]) == ("Canceled", "ChargePermissionCanceled")
    refused(shop, lambda ctx: charge_permissions.close(ctx, view["chargePermissionId"],
            closure_reason=None, cancel_pending_charges=False), "InvalidChargePermissionStatus")  # fmt: skip
    assert [n["state"] for n in shop.notifications("CHARGE_PERMISSION")] == ["Closed"]


def test_a_reset_removes_the_merchants_v2_objects(shop: Shop) -> None:
    from gateway.domain.reset import reset_merchant

    view = shop.checkout(
        paymentDetails={"paymentIntent": "AuthorizeWithCapture", "chargeAmount": price("10.00")}
    )
    refund(shop, view["chargeId"], "1.00")
    shop.run(lambda ctx: v2_disputes.file_dispute(ctx, "chargeback", charge_id=view["chargeId"]))
    shop.run(lambda ctx: reset_merchant(ctx.session, ctx.merchant.id))
    refused(shop, lambda ctx: charges.get_charge(ctx, view["chargeId"]), "ResourceNotFound")
    assert shop.notifications("CHARGE") == []


def test_the_per_charge_maximum(shop: Shop) -> None:
    too_much = {"paymentIntent": "Authorize", "chargeAmount": price("150000.01")}
    with pytest.raises(GatewayError) as caught:
        shop.session(paymentDetails=too_much)
    assert caught.value.code == "TransactionAmountExceeded"
    yen = {"paymentIntent": "Authorize", "chargeAmount": price("10000000", "JPY")}
    assert shop.view(shop.session(paymentDetails=yen))["paymentDetails"]["chargeAmount"] == (
        price("10000000", "JPY")
    )
    with pytest.raises(GatewayError) as caught:
        shop.session(paymentDetails={"chargeAmount": price("10000001", "JPY")})
    assert caught.value.code == "TransactionAmountExceeded"
