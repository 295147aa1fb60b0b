"""Amazon's sandbox simulation strings (reference §1.8) and asynchronous authorization."""

from __future__ import annotations

import json

import pytest

from gateway.domain import simulation
from gateway.errors import InvalidSandboxSimulationSpecified
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


MALFORMED_NOTES = [
    ("Refund", '{"SandboxSimulation":{"State":["Declined"]}}'),
    ("Refund", '{"SandboxSimulation":{"State":{}}}'),
    ("Refund", '{"SandboxSimulation":{"State":"Declined","ReasonCode":["AmazonRejected"]}}'),
    ("Refund", '{"SandboxSimulation":[]}'),
    ("Refund", '["SandboxSimulation"]'),
    ("Refund", "[" * 200 + "SandboxSimulation"),
    ("SetOrderReferenceDetails", "[" * 1000 + "SandboxSimulation"),
    ("SetOrderReferenceDetails", '{"SandboxSimulation":{"Constraint":{"a":1}}}'),
    (
        "SetOrderReferenceDetails",
        '{"SandboxSimulation":{"Constraint":["PaymentMethodNotAllowed"]}}',
    ),
    ("SetOrderReferenceDetails", '{"SandboxSimulation":{"Constraint":null}}'),
    (
        "CloseOrderReference",
        '{"SandboxSimulation":{"State":{"Closed":1},"ReasonCode":"AmazonClosed"}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":1e400}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":99999999999999}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":-1}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":NaN}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":2.5}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Closed","ReasonCode":"ExpiredUnused","ExpirationTimeInMins":true}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Declined","ReasonCode":"InvalidPaymentMethod","PaymentMethodUpdateTimeInMins":"1e9"}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Declined","ReasonCode":"InvalidPaymentMethod","PaymentMethodUpdateTimeInMins":[5]}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Declined","ReasonCode":"InvalidPaymentMethod","SoftDecline":{}}}',
    ),
    (
        "Authorize",
        '{"SandboxSimulation":{"State":"Declined","ReasonCode":"InvalidPaymentMethod","SoftDecline":"yes"}}',
    ),
]


def _with_note(api, action: str, note: str):
    """``action`` with ``note`` in its simulation field, on a fresh object of its own."""
    if action == "Refund":
        return api.refund(api.completed_capture("10.00"), "1.00", "r1", SellerRefundNote=note)
    if action == "Authorize":
        return api.authorize(api.open_order("10.00"), "1.00", "a1", SellerAuthorizationNote=note)
    if action == "CloseOrderReference":
        return api.call(
            "CloseOrderReference",
            AmazonOrderReferenceId=api.open_order("10.00"),
            ClosureReason=note,
        )
    return api.call(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=api.new_order(),
        **{
            "OrderReferenceAttributes.OrderTotal.Amount": "10.00",
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
            "OrderReferenceAttributes.SellerNote": note,
        },
    )


@pytest.mark.parametrize(("action", "note"), MALFORMED_NOTES)
def test_a_simulation_note_of_any_other_shape_is_invalid_not_an_error(api, action, note):
    answer = _with_note(api, action, note)
    assert (answer.status, answer.code) == (400, "InvalidSandboxSimulationSpecified")


@pytest.mark.parametrize(("minutes", "expected"), [("5", 5), (5.0, 5), (0, 0), (43200, 43200)])
def test_simulated_minutes_are_whole_numbers_up_to_thirty_days(minutes, expected):
    def note(value: object) -> str:
        return sim(State="Closed", ReasonCode="ExpiredUnused", ExpirationTimeInMins=value)

    directive = simulation.parse(note(minutes), "Authorize")
    assert directive is not None and directive.options == {"ExpirationTimeInMins": expected}
    with pytest.raises(InvalidSandboxSimulationSpecified, match="0 to 43200 minutes"):
        simulation.parse(note(43201), "Authorize")


@pytest.mark.parametrize(("given", "expected"), [("true", True), ("False", False), (True, True)])
def test_soft_decline_is_a_boolean_or_its_name(given, expected):
    note = sim(State="Declined", ReasonCode="InvalidPaymentMethod", SoftDecline=given)
    directive = simulation.parse(note, "Authorize")
    assert directive is not None and directive.options == {"SoftDecline": expected}
