"""Amazon's sandbox simulation strings (reference §1.8) and asynchronous authorization."""

from __future__ import annotations

import json

import pytest

from gateway.worker.jobs import run_due_work

AUTH = "AuthorizeResult/AuthorizationDetails/"
ORO_STATUS = "GetOrderReferenceDetailsResult/OrderReferenceDetails/OrderReferenceStatus/"


def sim(**directive) -> str:
    return json.dumps({"SandboxSimulation": directive})


def order_state(api, order_id):
    answer = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    return answer.find(ORO_STATUS + "State"), answer.find(ORO_STATUS + "ReasonCode")


def auth_state(api, auth_id):
    answer = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)
    base = "GetAuthorizationDetailsResult/AuthorizationDetails/AuthorizationStatus/"
    return answer.find(base + "State"), answer.find(base + "ReasonCode")


def test_async_authorization_is_pending_then_open_when_due(api, runtime, clock):
    order_id = api.open_order("40.00")
    answer = api.authorize(order_id, "40.00", "a1", timeout="1440")
    assert answer.find(AUTH + "AuthorizationStatus/State") == "Pending"
    auth_id = answer.find(AUTH + "AmazonAuthorizationId")
    api.error(
        "Capture",
        "InvalidAuthorizationStatus",
        405,
        AmazonAuthorizationId=auth_id,
        CaptureReferenceId="c1",
        **{"CaptureAmount.Amount": "1.00", "CaptureAmount.CurrencyCode": "USD"},
    )
    clock.advance(5)
    run_due_work(runtime)
    assert auth_state(api, auth_id) == ("Open", None)


def test_async_capture_now_captures_when_the_authorization_opens(api, runtime, clock):
    order_id = api.open_order("40.00")
    answer = api.authorize(order_id, "40.00", "a1", timeout="60", capture_now="true")
    auth_id = answer.find(AUTH + "AmazonAuthorizationId")
    clock.advance(5)
    run_due_work(runtime)
    details = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)
    base = "GetAuthorizationDetailsResult/AuthorizationDetails/"
    assert details.find(base + "AuthorizationStatus/State") == "Closed"
    assert details.find(base + "AuthorizationStatus/ReasonCode") == "MaxCapturesProcessed"
    [capture_id] = details.all(base + "IdList/member")
    assert capture_id == auth_id.replace("-A", "-C")
    capture = api.ok("GetCaptureDetails", AmazonCaptureId=capture_id)
    assert capture.find("GetCaptureDetailsResult/CaptureDetails/CaptureReferenceId") == "a1"


def test_invalid_payment_method_suspends_the_order_and_reopens_it_later(api, runtime, clock):
    order_id = api.open_order("40.00")
    note = sim(
        State="Declined",
        ReasonCode="InvalidPaymentMethod",
        PaymentMethodUpdateTimeInMins=5,
        SoftDecline="true",
    )
    answer = api.authorize(order_id, "40.00", "a1", SellerAuthorizationNote=note)
    assert answer.find(AUTH + "AuthorizationStatus/ReasonCode") == "InvalidPaymentMethod"
    assert answer.find(AUTH + "SoftDecline") == "true"
    assert order_state(api, order_id) == ("Suspended", "InvalidPaymentMethod")
    clock.advance(5 * 60)
    run_due_work(runtime)
    assert order_state(api, order_id) == ("Open", None)


def test_amazon_rejected_authorization_closes_the_order(api):
    order_id = api.open_order("40.00")
    answer = api.authorize(
        order_id,
        "40.00",
        "a1",
        SellerAuthorizationNote=sim(State="Declined", ReasonCode="AmazonRejected"),
    )
    assert answer.find(AUTH + "AuthorizationStatus/State") == "Declined"
    assert order_state(api, order_id) == ("Closed", "AmazonClosed")


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        (
            {"State": "Declined", "ReasonCode": "TransactionTimedOut"},
            ("Declined", "TransactionTimedOut"),
        ),
        ({"State": "Closed", "ReasonCode": "AmazonClosed"}, ("Closed", "AmazonClosed")),
    ],
)
def test_authorization_outcomes(api, directive, expected):
    order_id = api.open_order("40.00")
    answer = api.authorize(order_id, "40.00", "a1", SellerAuthorizationNote=sim(**directive))
    status = AUTH + "AuthorizationStatus/"
    assert (answer.find(status + "State"), answer.find(status + "ReasonCode")) == expected


def test_expired_unused_closes_the_authorization_after_n_minutes(api, runtime, clock):
    order_id = api.open_order("40.00")
    note = sim(State="Closed", ReasonCode="ExpiredUnused", ExpirationTimeInMins=2)
    auth_id = api.authorize(order_id, "40.00", "a1", SellerAuthorizationNote=note).find(
        AUTH + "AmazonAuthorizationId"
    )
    assert auth_state(api, auth_id) == ("Open", None)
    clock.advance(119)
    run_due_work(runtime)
    assert auth_state(api, auth_id) == ("Open", None)
    clock.advance(1)
    run_due_work(runtime)
    assert auth_state(api, auth_id) == ("Closed", "ExpiredUnused")


@pytest.mark.parametrize(
    ("directive", "state", "reason"),
    [
        ({"State": "Declined", "ReasonCode": "AmazonRejected"}, "Declined", "AmazonRejected"),
        ({"State": "Closed", "ReasonCode": "AmazonClosed"}, "Closed", "AmazonClosed"),
        ({"State": "Pending"}, "Pending", None),
    ],
)
def test_capture_outcomes(api, runtime, clock, directive, state, reason):
    auth_id = api.open_authorization("30.00")
    answer = api.capture(auth_id, "30.00", "c1", SellerCaptureNote=sim(**directive))
    status = "CaptureResult/CaptureDetails/CaptureStatus/"
    assert (answer.find(status + "State"), answer.find(status + "ReasonCode")) == (state, reason)
    capture_id = answer.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    if state == "Pending":
        clock.advance(5)
        run_due_work(runtime)
        final = api.ok("GetCaptureDetails", AmazonCaptureId=capture_id)
        assert (
            final.find("GetCaptureDetailsResult/CaptureDetails/CaptureStatus/State") == "Completed"
        )
    if state == "Declined":
        # A declined capture leaves the authorization open for another try.
        assert auth_state(api, auth_id) == ("Open", None)


def test_payment_method_not_allowed_constraint_blocks_confirm_until_cleared(api):
    order_id = api.new_order()
    total = {
        "OrderReferenceAttributes.OrderTotal.Amount": "10.00",
        "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
    }
    set_answer = api.ok(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **{"OrderReferenceAttributes.SellerNote": sim(Constraint="PaymentMethodNotAllowed")},
        **total,
    )
    base = (
        "SetOrderReferenceDetailsResult/OrderReferenceDetails/Constraints/Constraint/ConstraintID"
    )
    assert set_answer.all(base) == ["PaymentMethodNotAllowed"]
    api.error("ConfirmOrderReference", "ConstraintsExist", 400, AmazonOrderReferenceId=order_id)
    api.ok(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **{"OrderReferenceAttributes.SellerNote": "a normal note"},
        **total,
    )
    api.ok("ConfirmOrderReference", AmazonOrderReferenceId=order_id)


def test_close_order_reference_amazon_closed(api):
    order_id = api.open_order("10.00")
    api.ok(
        "CloseOrderReference",
        AmazonOrderReferenceId=order_id,
        ClosureReason=sim(State="Closed", ReasonCode="AmazonClosed"),
    )
    assert order_state(api, order_id) == ("Closed", "AmazonClosed")


@pytest.mark.parametrize(
    ("action", "field", "note"),
    [
        ("Refund", "SellerRefundNote", sim(State="Completed")),
        ("Refund", "SellerRefundNote", '{"SandboxSimulation": '),
        ("Authorize", "SellerAuthorizationNote", sim(State="Declined", ReasonCode="Nope")),
        (
            "Authorize",
            "SellerAuthorizationNote",
            sim(State="Declined", ReasonCode="InvalidPaymentMethod", Bogus=1),
        ),
        ("Capture", "SellerCaptureNote", sim(State="Declined", ReasonCode="ProcessingFailure")),
    ],
)
def test_invalid_simulation_strings_are_refused_and_change_nothing(api, action, field, note):
    if action == "Refund":
        cap_id = api.completed_capture("10.00")
        answer = api.refund(cap_id, "1.00", "r1", **{field: note})
        after = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
        assert after.all("GetCaptureDetailsResult/CaptureDetails/IdList/member") == []
    elif action == "Authorize":
        answer = api.authorize(api.open_order("10.00"), "10.00", "a1", **{field: note})
    else:
        answer = api.capture(api.open_authorization("10.00"), "10.00", "c1", **{field: note})
    assert (answer.status, answer.code) == (400, "InvalidSandboxSimulationSpecified")


def test_a_note_that_is_not_a_simulation_is_just_a_note(api):
    cap_id = api.completed_capture("10.00")
    answer = api.refund(cap_id, "1.00", "r1", SellerRefundNote="refund for a broken mug")
    assert answer.status == 200
    assert answer.find("RefundResult/RefundDetails/SellerRefundNote") == "refund for a broken mug"
