"""Billing agreements in process: constraints, states, limits, simulations, reference ids and
the notifications each change writes (``gateway.domain.billing_agreements``)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.worker.jobs import run_due_work
from tests.billing.conftest import DETAILS, ON_AGREEMENT, Agreements, sim
from tests.helpers import new_merchant

AUTH = ON_AGREEMENT + "AuthorizationDetails/"
ORDER = "GetOrderReferenceDetailsResult/OrderReferenceDetails/"


def constraint_ids(agreements: Agreements, agreement: str) -> list[str]:
    return agreements.details(agreement).all(DETAILS + "Constraints/Constraint/ConstraintID")


@pytest.mark.parametrize(
    ("body", "constraint"),
    [
        ({"consent": False}, "BuyerConsentNotSet"),
        ({"payment_method": None}, "PaymentPlanNotSet"),
        ({"destination": None}, "ShippingAddressNotSet"),
    ],
)
def test_each_constraint_keeps_the_agreement_from_being_confirmed(agreements, body, constraint):
    agreement = agreements.new(**body)
    assert constraint_ids(agreements, agreement) == [constraint]
    answer = agreements.api.error(
        "ConfirmBillingAgreement",
        "BillingAgreementConstraintsExist",
        400,
        AmazonBillingAgreementId=agreement,
    )
    assert constraint in (answer.find("Error/Message") or "")
    assert agreements.state(agreement) == ("Draft", None)
    fixes: dict[str, dict[str, Any]] = {
        "BuyerConsentNotSet": {"consent": True},
        "PaymentPlanNotSet": {"payment_method": {"name": "MasterCard"}},
        "ShippingAddressNotSet": {"destination": {"city": "Portland"}},
    }
    agreements.control("PATCH", f"/{agreement}", **fixes[constraint])
    assert constraint_ids(agreements, agreement) == []
    agreements.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    assert agreements.state(agreement) == ("Open", None)


def test_the_buyer_and_the_full_address_show_once_confirmed(agreements):
    agreement = agreements.new()
    draft = agreements.details(agreement)
    assert draft.find(DETAILS + "Buyer/Name") is None
    assert draft.find(DETAILS + "Destination/PhysicalDestination/AddressLine1") is None
    assert draft.find(DETAILS + "Destination/PhysicalDestination/City") == "Seattle"
    assert draft.find(DETAILS + "BillingAgreementConsent") == "true"
    agreements.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    opened = agreements.details(agreement)
    assert opened.find(DETAILS + "Buyer/Name") == "Sandbox Buyer"
    assert opened.find(DETAILS + "Destination/PhysicalDestination/AddressLine1")


def test_details_only_while_draft(agreements):
    agreement = agreements.new()
    details = {
        "BillingAgreementAttributes.SellerNote": "Monthly box",
        "BillingAgreementAttributes.SellerBillingAgreementAttributes.SellerBillingAgreementId": "sub-7",
        "BillingAgreementAttributes.SellerBillingAgreementAttributes.StoreName": "Box Co",
    }
    answer = agreements.api.ok(
        "SetBillingAgreementDetails", AmazonBillingAgreementId=agreement, **details
    )
    base = "SetBillingAgreementDetailsResult/BillingAgreementDetails/"
    assert answer.find(base + "SellerNote") == "Monthly box"
    assert (
        answer.find(base + "SellerBillingAgreementAttributes/SellerBillingAgreementId") == "sub-7"
    )
    agreements.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    agreements.api.error(
        "SetBillingAgreementDetails",
        "BillingAgreementNotModifiable",
        405,
        AmazonBillingAgreementId=agreement,
        **details,
    )


def test_an_unconfirmed_agreement_goes_stale_after_three_hours(agreements, runtime, clock):
    agreement = agreements.new()
    clock.advance(3 * 3600 - 1)
    run_due_work(runtime)
    assert agreements.state(agreement) == ("Draft", None)
    clock.advance(1)
    run_due_work(runtime)
    assert agreements.state(agreement) == ("Canceled", "Stale")
    agreements.api.error(
        "ConfirmBillingAgreement",
        "InvalidBillingAgreementStatus",
        405,
        AmazonBillingAgreementId=agreement,
    )
    assert agreements.notifications(agreement) == [
        ("Canceled", "Stale", "BillingAgreementStatusUpdated")
    ]


def test_unknown_and_other_merchants_agreements_answer_alike(agreements, runtime, app, clock):
    from tests.helpers import SignedApi

    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    theirs = Agreements(other, other.merchant, runtime).new()
    for unknown in (theirs, "C01-0000000-0000000"):
        answer = agreements.api.error(
            "GetBillingAgreementDetails",
            "InvalidBillingAgreementId",
            404,
            AmazonBillingAgreementId=unknown,
        )
        assert unknown in (answer.find("Error/Message") or "")


def test_a_charge_makes_an_open_order_reference_on_the_agreement(agreements):
    agreement = agreements.opened()
    answer = agreements.authorize(
        agreement,
        "25.00",
        SellerNote="March box",
        **{"SellerOrderAttributes.SellerOrderId": "order-3", "CaptureNow": "true"},
    )
    assert answer.status == 200
    order_id = answer.find(ON_AGREEMENT + "AmazonOrderReferenceId")
    assert answer.find(AUTH + "AuthorizationStatus/State") == "Closed"
    assert answer.find(AUTH + "AuthorizationStatus/ReasonCode") == "MaxCapturesProcessed"
    assert answer.find(AUTH + "CapturedAmount/Amount") == "25.00"
    order = agreements.api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert order.find(ORDER + "OrderReferenceStatus/State") == "Open"
    assert order.find(ORDER + "OrderTotal/Amount") == "25.00"
    assert order.find(ORDER + "SellerNote") == "March box"
    assert order.find(ORDER + "SellerOrderAttributes/SellerOrderId") == "order-3"
    assert order.find(ORDER + "ParentDetails/Id") == agreement
    assert order.find(ORDER + "ParentDetails/Type") == "BillingAgreement"
    assert order.find(ORDER + "PaymentDescriptor/Name") == "Visa"
    assert order.find(ORDER + "Destination/PhysicalDestination/City") == "Seattle"
    assert agreements.remaining(agreement) == "475.00"


def test_without_the_agreements_address_the_order_has_none(agreements):
    agreement = agreements.opened()
    answer = agreements.authorize(agreement, "5.00", InheritShippingAddress="false")
    order_id = answer.find(ON_AGREEMENT + "AmazonOrderReferenceId")
    order = agreements.api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert order.find(ORDER + "Destination") is None
    assert order.find(ORDER + "OrderReferenceStatus/State") == "Open"


def test_the_monthly_limit_holds_and_restores_next_month(agreements, runtime, clock):
    agreement = agreements.opened(monthly_limit="100.00")
    assert agreements.authorize(agreement, "60.00").status == 200
    declined = agreements.authorize(
        agreement,
        "30.00",
        SellerAuthorizationNote=sim(State="Declined", ReasonCode="AmazonRejected"),
    )
    assert declined.find(AUTH + "AuthorizationStatus/State") == "Declined"
    assert agreements.remaining(agreement) == "40.00"  # a declined one holds nothing
    over = agreements.authorize(agreement, "40.01")
    assert (over.status, over.code) == (400, "PeriodicAmountExceeded")
    assert "40.00 USD remain" in (over.find("Error/Message") or "")
    assert agreements.authorize(agreement, "40.00").status == 200
    assert agreements.remaining(agreement) == "0.00"
    clock.advance(31 * 24 * 3600)
    run_due_work(runtime)
    details = agreements.details(agreement)
    limits = DETAILS + "BillingAgreementLimits/"
    assert details.find(limits + "CurrentRemainingBalance/Amount") == "100.00"
    assert details.find(limits + "TimePeriodStartDate") == "2026-12-01T00:00:00.000Z"
    assert details.find(limits + "TimePeriodEndDate") == "2027-01-01T00:00:00.000Z"
    assert agreements.authorize(agreement, "100.00").status == 200


def test_an_authorization_that_closes_unused_gives_its_amount_back(agreements):
    agreement = agreements.opened()
    answer = agreements.authorize(agreement, "200.00")
    auth_id = answer.find(AUTH + "AmazonAuthorizationId")
    assert agreements.remaining(agreement) == "300.00"
    agreements.api.ok("CloseAuthorization", AmazonAuthorizationId=auth_id)
    assert agreements.remaining(agreement) == "500.00"


def test_a_plain_authorize_on_the_agreements_order_is_held_to_it_too(agreements):
    agreement = agreements.opened(monthly_limit="50.00")
    made = agreements.api.ok(
        "CreateOrderReferenceForId",
        Id=agreement,
        IdType="BillingAgreement",
        ConfirmNow="true",
        **{
            "OrderReferenceAttributes.OrderTotal.Amount": "80.00",
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
        },
    )
    order_id = made.find(
        "CreateOrderReferenceForIdResult/OrderReferenceDetails/AmazonOrderReferenceId"
    )
    assert order_id
    over = agreements.api.authorize(order_id, "60.00", "plain-1")
    assert (over.status, over.code) == (400, "PeriodicAmountExceeded")
    assert agreements.api.authorize(order_id, "50.00", "plain-2").status == 200


def test_create_order_reference_for_id(agreements):
    agreement = agreements.opened()
    total = {
        "OrderReferenceAttributes.OrderTotal.Amount": "12.00",
        "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
    }
    base = "CreateOrderReferenceForIdResult/OrderReferenceDetails/"
    draft = agreements.api.ok(
        "CreateOrderReferenceForId",
        Id=agreement,
        IdType="BillingAgreement",
        **total,
        **{"OrderReferenceAttributes.SellerOrderAttributes.SellerOrderId": "s-1"},
    )
    assert draft.find(base + "OrderReferenceStatus/State") == "Draft"
    assert draft.find(base + "ParentDetails/Id") == agreement
    assert draft.find(base + "Constraints") is None
    assert draft.find(base + "SellerOrderAttributes/SellerOrderId") == "s-1"
    agreements.api.error(
        "CreateOrderReferenceForId",
        "InvalidParameterValue",
        400,
        Id=agreement,
        IdType="OrderReference",
        **total,
    )
    agreements.api.error(
        "CreateOrderReferenceForId",
        "CurrencyMismatch",
        400,
        Id=agreement,
        IdType="BillingAgreement",
        **{**total, "OrderReferenceAttributes.OrderTotal.CurrencyCode": "EUR"},
    )
    unconfirmed = agreements.new()
    agreements.api.error(
        "CreateOrderReferenceForId",
        "InvalidBillingAgreementStatus",
        405,
        Id=unconfirmed,
        IdType="BillingAgreement",
        **total,
    )


def test_a_reference_id_answers_its_first_charge(agreements):
    agreement = agreements.opened()
    first = agreements.authorize(agreement, "10.00", ref="monthly-1")
    again = agreements.authorize(agreement, "10.00", ref="monthly-1")
    assert again.status == 200
    for path in ("AuthorizationDetails/AmazonAuthorizationId", "AmazonOrderReferenceId"):
        assert again.find(ON_AGREEMENT + path) == first.find(ON_AGREEMENT + path)
    assert agreements.remaining(agreement) == "490.00"
    other = agreements.authorize(agreement, "11.00", ref="monthly-1")
    assert (other.status, other.code) == (400, "DuplicateRequest")
    order_id = first.find(ON_AGREEMENT + "AmazonOrderReferenceId")
    assert order_id
    used = agreements.api.authorize(order_id, "1.00", "monthly-1")
    assert (used.status, used.code) == (400, "DuplicateReferenceId")


def test_invalid_payment_method_suspends_the_agreement_until_the_buyer_updates(
    agreements, runtime, clock
):
    agreement = agreements.opened()
    answer = agreements.authorize(
        agreement,
        "10.00",
        SellerAuthorizationNote=sim(
            State="Declined", ReasonCode="InvalidPaymentMethod", PaymentMethodUpdateTimeInMins=5
        ),
    )
    assert answer.find(AUTH + "AuthorizationStatus/ReasonCode") == "InvalidPaymentMethod"
    assert agreements.state(agreement) == ("Suspended", "InvalidPaymentMethod")
    assert constraint_ids(agreements, agreement) == ["InvalidPaymentMethod"]
    refused = agreements.authorize(agreement, "10.00")
    assert (refused.status, refused.code) == (405, "InvalidBillingAgreementStatus")
    validation = agreements.api.ok("ValidateBillingAgreement", AmazonBillingAgreementId=agreement)
    assert validation.find("ValidateBillingAgreementResult/ValidationResult") == "Failure"
    assert (
        validation.find("ValidateBillingAgreementResult/FailureReasonCode")
        == "InvalidPaymentMethod"
    )
    clock.advance(5 * 60)
    run_due_work(runtime)
    assert agreements.state(agreement) == ("Open", None)
    assert constraint_ids(agreements, agreement) == []
    assert agreements.authorize(agreement, "10.00").status == 200
    assert agreements.notifications(agreement) == [
        ("Open", None, "BillingAgreementStatusUpdated"),
        ("Suspended", "InvalidPaymentMethod", "BillingAgreementStatusUpdated"),
        ("Suspended", "InvalidPaymentMethod", "PaymentMethodUpdated"),
        ("Open", None, "BillingAgreementStatusUpdated"),
    ]


def test_a_buyer_who_updates_first_leaves_the_reopening_to_the_seller(agreements, runtime, clock):
    agreement = agreements.opened()
    agreements.authorize(
        agreement,
        "10.00",
        SellerAuthorizationNote=sim(
            State="Declined", ReasonCode="InvalidPaymentMethod", PaymentMethodUpdateTimeInMins=5
        ),
    )
    agreements.control("PATCH", f"/{agreement}", payment_method={"name": "Discover"})
    clock.advance(5 * 60)
    run_due_work(runtime)
    assert agreements.state(agreement) == ("Suspended", "InvalidPaymentMethod")
    agreements.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    assert agreements.state(agreement) == ("Open", None)
    assert [event for *_, event in agreements.notifications(agreement)].count(
        "PaymentMethodUpdated"
    ) == 1


def test_an_unknown_simulation_names_the_operation(agreements):
    agreement = agreements.opened()
    answer = agreements.authorize(
        agreement, "10.00", SellerAuthorizationNote=sim(State="Open", ReasonCode="Nope")
    )
    assert (answer.status, answer.code) == (400, "InvalidSandboxSimulationSpecified")
    assert "AuthorizeOnBillingAgreement" in (answer.find("Error/Message") or "")
    assert agreements.remaining(agreement) == "500.00"  # nothing was made


def test_an_expired_payment_method_fails_validation_until_replaced_and_confirmed(agreements):
    agreement = agreements.opened()
    validation = agreements.api.ok("ValidateBillingAgreement", AmazonBillingAgreementId=agreement)
    assert validation.find("ValidateBillingAgreementResult/ValidationResult") == "Success"
    assert validation.find("ValidateBillingAgreementResult/FailureReasonCode") is None
    agreements.control(
        "POST", f"/{agreement}/payment-method-problem", constraint="PaymentMethodExpired"
    )
    assert agreements.state(agreement) == ("Suspended", "InvalidPaymentMethod")
    validation = agreements.api.ok("ValidateBillingAgreement", AmazonBillingAgreementId=agreement)
    result = "ValidateBillingAgreementResult/"
    assert validation.find(result + "ValidationResult") == "Failure"
    assert validation.find(result + "BillingAgreementStatus/State") == "Suspended"
    agreements.api.error(
        "ConfirmBillingAgreement",
        "BillingAgreementConstraintsExist",
        400,
        AmazonBillingAgreementId=agreement,
    )
    agreements.control(
        "PATCH", f"/{agreement}", payment_method={"name": "Amex", "account_number_tail": "0005"}
    )
    assert agreements.state(agreement) == ("Suspended", "InvalidPaymentMethod")
    agreements.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    assert agreements.state(agreement) == ("Open", None)
    assert [event for *_, event in agreements.notifications(agreement)] == [
        "BillingAgreementStatusUpdated",
        "BillingAgreementStatusUpdated",
        "PaymentMethodUpdated",
        "BillingAgreementStatusUpdated",
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Customer unsubscribed", ("Closed", "SellerClosed")),
        (sim(State="Closed", ReasonCode="AmazonClosed"), ("Closed", "AmazonClosed")),
    ],
)
def test_closing(agreements, reason, expected):
    agreement = agreements.opened()
    captured = agreements.authorize(agreement, "10.00")
    auth_id = captured.find(AUTH + "AmazonAuthorizationId")
    agreements.api.ok(
        "CloseBillingAgreement", AmazonBillingAgreementId=agreement, ClosureReason=reason
    )
    answer = agreements.details(agreement)
    status = DETAILS + "BillingAgreementStatus/"
    assert (answer.find(status + "State"), answer.find(status + "ReasonCode")) == expected
    if expected[1] == "SellerClosed":
        assert answer.find(status + "ReasonDescription") == reason
    refused = agreements.authorize(agreement, "1.00")
    assert (refused.status, refused.code) == (405, "InvalidBillingAgreementStatus")
    # Its open authorizations can still be captured.
    agreements.api.ok(
        "Capture",
        AmazonAuthorizationId=auth_id,
        CaptureReferenceId="after-close",
        **{"CaptureAmount.Amount": "10.00", "CaptureAmount.CurrencyCode": "USD"},
    )
    agreements.api.error(
        "CloseBillingAgreement",
        "InvalidBillingAgreementStatus",
        405,
        AmazonBillingAgreementId=agreement,
    )


def test_close_refuses_a_draft_and_an_unknown_simulation(agreements):
    draft = agreements.new()
    agreements.api.error(
        "CloseBillingAgreement",
        "InvalidBillingAgreementStatus",
        405,
        AmazonBillingAgreementId=draft,
    )
    agreement = agreements.opened()
    agreements.api.error(
        "CloseBillingAgreement",
        "InvalidSandboxSimulationSpecified",
        400,
        AmazonBillingAgreementId=agreement,
        ClosureReason=sim(State="Closed", ReasonCode="BuyerCanceled"),
    )


def test_the_buyer_cancels_on_the_amazon_pay_website(agreements):
    agreement = agreements.opened()
    agreements.control("POST", f"/{agreement}/cancel")
    assert agreements.state(agreement) == ("Closed", "BuyerCanceled")
    answer = agreements.control("POST", f"/{agreement}/cancel", status=405)
    assert answer["error"]["code"] == "InvalidBillingAgreementStatus"


def test_the_sandbox_api_refuses_bad_buyer_input(agreements):
    assert agreements.control("POST", status=400, currency_code="usd")["error"]["code"]
    answer = agreements.control("POST", status=400, currency_code="XXX")
    assert answer["error"]["code"] == "CurrencyUnsupported"
    agreement = agreements.new()
    answer = agreements.control("PATCH", f"/{agreement}", status=400, consent=False)
    assert "consent" in answer["error"]["fields"]
    answer = agreements.control(
        "POST", f"/{agreement}/payment-method-problem", status=400, constraint="Nope"
    )
    assert "constraint" in answer["error"]["fields"]
    answer = agreements.control(
        "POST",
        f"/{agreement}/payment-method-problem",
        status=405,
        constraint="PaymentMethodExpired",
    )
    assert answer["error"]["code"] == "InvalidBillingAgreementStatus"
    assert agreements.control("GET", "/C01-0000000-0000000", status=404)["error"]["code"] == (
        "InvalidBillingAgreementId"
    )
