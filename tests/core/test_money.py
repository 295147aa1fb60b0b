"""Money rules at their exact edges, in process (reference §1.7 Limits, §1.5 Idempotency)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gateway.domain.money import parse_amount, refund_cap
from gateway.errors import InvalidParameterValue
from gateway.store.models import Capture
from gateway.worker.jobs import run_due_work
from tests.helpers import Answer

DECLINE = json.dumps({"SandboxSimulation": {"State": "Declined", "ReasonCode": "AmazonRejected"}})


def refund_id(answer: Answer) -> str:
    value = answer.find("RefundResult/RefundDetails/AmazonRefundId")
    assert value, answer.root
    return value


def settle(runtime, clock) -> None:
    clock.advance(5)
    run_due_work(runtime)


# --- the refund cap ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("captured", "currency", "allowed", "refused"),
    [
        ("100.00", "USD", "115.00", "115.01"),  # 15 % < 75
        ("500.00", "USD", "575.00", "575.01"),  # 15 % == 75
        ("1000.00", "USD", "1075.00", "1075.01"),  # 75 < 15 %
        ("1000.00", "EUR", "1075.00", "1075.01"),
        ("1000.00", "GBP", "1075.00", "1075.01"),
        ("0.07", "USD", "0.08", "0.09"),  # 15 % of 7 cents is 1.05 cents: one cent over
        ("1000", "JPY", "1150", "1151"),  # 15 % < 8400
        ("56000", "JPY", "64400", "64401"),  # 15 % == 8400
        ("100000", "JPY", "108400", "108401"),  # 8400 < 15 %
    ],
)
def test_single_refund_cap_edges(api, captured, currency, allowed, refused):
    auth = api.authorize(api.open_order(captured, currency), captured, "a1", currency=currency)
    assert auth.status == 200, auth.root
    auth_id = auth.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    cap = api.capture(auth_id, captured, "c1", currency=currency)
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    api.error(
        "Refund",
        "TransactionAmountExceeded",
        400,
        AmazonCaptureId=cap_id,
        RefundReferenceId="r-over",
        **{"RefundAmount.Amount": refused, "RefundAmount.CurrencyCode": currency},
    )
    answer = api.refund(cap_id, allowed, "r-max", currency=currency)
    assert answer.status == 200, answer.root
    assert answer.find("RefundResult/RefundDetails/RefundAmount/Amount") == allowed


def test_refund_cap_function():
    assert refund_cap(10000, "USD") == 11500
    assert refund_cap(100000, "USD") == 107500
    assert refund_cap(100000, "JPY") == 108400
    assert refund_cap(1000, "JPY") == 1150


def test_cap_is_cumulative_over_several_refunds(api, runtime, clock):
    cap_id = api.completed_capture("100.00")
    for i, amount in enumerate(["50.00", "50.00", "10.00", "4.99"]):
        assert api.refund(cap_id, amount, f"r{i}").status == 200
    settle(runtime, clock)  # completed refunds count just as pending ones
    api.error(
        "Refund",
        "TransactionAmountExceeded",
        400,
        AmazonCaptureId=cap_id,
        RefundReferenceId="r-over",
        **{"RefundAmount.Amount": "0.02", "RefundAmount.CurrencyCode": "USD"},
    )
    assert api.refund(cap_id, "0.01", "r-last").status == 200
    details = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    assert details.find("GetCaptureDetailsResult/CaptureDetails/RefundedAmount/Amount") == "114.99"
    assert len(details.all("GetCaptureDetailsResult/CaptureDetails/IdList/member")) == 5


def test_declined_refund_no_longer_counts(api, runtime, clock):
    cap_id = api.completed_capture("100.00")
    declined = api.refund(cap_id, "115.00", "r-declined", SellerRefundNote=DECLINE)
    assert declined.status == 200
    assert declined.find("RefundResult/RefundDetails/RefundStatus/State") == "Pending"
    # While Pending it counts: nothing more can be refunded.
    assert api.refund(cap_id, "0.01", "r-too-early").code == "TransactionAmountExceeded"
    settle(runtime, clock)
    got = api.ok("GetRefundDetails", AmazonRefundId=refund_id(declined))
    assert got.find("GetRefundDetailsResult/RefundDetails/RefundStatus/State") == "Declined"
    assert got.find("GetRefundDetailsResult/RefundDetails/RefundStatus/ReasonCode") == (
        "AmazonRejected"
    )
    assert api.refund(cap_id, "115.00", "r-again").status == 200
    settle(runtime, clock)
    capture = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    assert capture.find("GetCaptureDetailsResult/CaptureDetails/RefundedAmount/Amount") == "115.00"


def test_eleventh_refund_is_refused(api):
    cap_id = api.completed_capture("100.00")
    for i in range(10):
        assert api.refund(cap_id, "1.00", f"r{i}").status == 200
    api.error(
        "Refund",
        "TransactionCountExceeded",
        400,
        AmazonCaptureId=cap_id,
        RefundReferenceId="r10",
        **{"RefundAmount.Amount": "1.00", "RefundAmount.CurrencyCode": "USD"},
    )


# --- captures ------------------------------------------------------------------------------------


def test_capture_above_authorized_amount_is_refused(api):
    auth_id = api.open_authorization("100.00")
    answer = api.capture(auth_id, "100.01", "c-over")
    assert (answer.status, answer.code) == (400, "TransactionAmountExceeded")
    ok = api.capture(auth_id, "100.00", "c-exact")
    assert ok.status == 200
    assert ok.find("CaptureResult/CaptureDetails/CaptureStatus/State") == "Completed"
    assert ok.find("CaptureResult/CaptureDetails/CaptureAmount/Amount") == "100.00"


def test_capture_below_authorized_amount_is_allowed(api):
    auth_id = api.open_authorization("100.00")
    assert api.capture(auth_id, "0.01", "c-min").status == 200


# --- amounts -------------------------------------------------------------------------------------

BAD_AMOUNTS = [
    "10.001",  # too many decimals
    "0.001",
    "0",
    "0.00",
    "-1.00",
    "-0.01",
    "abc",
    "",
    "NaN",
    "Infinity",
    "1e2",  # exponent notation is not an Amazon amount
    "10,00",
    "150000.01",  # above the largest single transaction
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_refund_amounts(api, amount):
    cap_id = api.completed_capture("100.00")
    answer = api.refund(cap_id, amount, "r-bad")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue"), amount


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_capture_amounts(api, amount):
    auth_id = api.open_authorization("100.00")
    answer = api.capture(auth_id, amount, "c-bad")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue"), amount


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_authorization_amounts(api, amount):
    order_id = api.open_order("100.00")
    answer = api.authorize(order_id, amount, "a-bad")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue"), amount


def test_jpy_has_no_decimals(api):
    order_id = api.open_order("1000", "JPY")
    answer = api.authorize(order_id, "10.5", "a-jpy", currency="JPY")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    # "1000.00" is 1000 yen: trailing zero decimals are the same amount.
    assert parse_amount("1000", "JPY", "x") == 1000


def test_parse_amount_rejects_non_plain_decimals():
    for text in ("1e2", "1E+2", "+1.00", "0x10", ".5", "5."):
        with pytest.raises(InvalidParameterValue):
            parse_amount(text, "USD", "Amount")


def test_refund_currency_mismatch(api):
    cap_id = api.completed_capture("100.00")
    answer = api.refund(cap_id, "1.00", "r-eur", currency="EUR")
    assert (answer.status, answer.code) == (400, "CurrencyMismatch")


# --- idempotency ---------------------------------------------------------------------------------


def test_same_refund_reference_same_params_returns_the_same_refund(api, runtime):
    cap_id = api.completed_capture("100.00")
    first = api.refund(cap_id, "10.00", "r-same")
    again = api.refund(cap_id, "10.00", "r-same")
    assert first.status == again.status == 200
    assert refund_id(first) == refund_id(again)
    capture = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    assert capture.all("GetCaptureDetailsResult/CaptureDetails/IdList/member") == [refund_id(first)]
    with runtime.db.session(write=False) as session:
        row = session.scalar(select(Capture).where(Capture.amazon_id == cap_id))
        assert (row.refund_reserved_minor, row.refund_count) == (1000, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"RefundAmount.Amount": "10.01"},
        {"SellerRefundNote": "another note"},
        {"SoftDescriptor": "other"},
    ],
)
def test_same_refund_reference_other_params_is_duplicate_request(api, change):
    cap_id = api.completed_capture("100.00")
    assert api.refund(cap_id, "10.00", "r-dup").status == 200
    params = {
        "AmazonCaptureId": cap_id,
        "RefundReferenceId": "r-dup",
        "RefundAmount.Amount": "10.00",
        "RefundAmount.CurrencyCode": "USD",
        **change,
    }
    api.error("Refund", "DuplicateRequest", 400, **params)


def test_same_refund_reference_on_another_capture_is_duplicate_request(api):
    first, second = api.completed_capture("100.00"), api.completed_capture("100.00")
    assert api.refund(first, "10.00", "r-x").status == 200
    assert api.refund(second, "10.00", "r-x").code == "DuplicateRequest"


def test_capture_reference_reused_by_refund_is_duplicate_reference_id(api):
    auth_id = api.open_authorization("100.00")
    cap = api.capture(auth_id, "100.00", "shared-ref")
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    answer = api.refund(cap_id, "10.00", "shared-ref")
    assert (answer.status, answer.code) == (400, "DuplicateReferenceId")


def test_authorization_reference_reused_by_capture_is_duplicate_reference_id(api):
    auth_id = api.open_authorization("100.00", ref="auth-ref")
    answer = api.capture(auth_id, "100.00", "auth-ref")
    assert (answer.status, answer.code) == (400, "DuplicateReferenceId")


def test_same_capture_reference_same_params_returns_the_same_capture(api):
    auth_id = api.open_authorization("100.00")
    first = api.capture(auth_id, "50.00", "c-same")
    again = api.capture(auth_id, "50.00", "c-same")
    assert first.status == again.status == 200
    path = "CaptureResult/CaptureDetails/AmazonCaptureId"
    assert first.find(path) == again.find(path)


def test_refund_idempotent_replay_after_it_settled(api, runtime, clock):
    cap_id = api.completed_capture("100.00")
    first = api.refund(cap_id, "10.00", "r-late")
    settle(runtime, clock)
    again = api.refund(cap_id, "10.00", "r-late")
    assert again.status == 200
    assert refund_id(again) == refund_id(first)
    assert again.find("RefundResult/RefundDetails/RefundStatus/State") == "Completed"
