"""Amazon's documented behaviours that code must handle (in process, no sleeps): a capture closed
by its refunds, sandbox and live authorization lifetimes, refund ProcessingFailure and the advice
in every ReasonDescription."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gateway.domain import reasons
from gateway.domain.kinds import KINDS
from gateway.store.models import Notification
from tests.helpers import LIVE_PATH, SignedApi
from tests.test_clock_and_disputes import new_refund, refund_state, sandbox

CAPTURE = "GetCaptureDetailsResult/CaptureDetails/CaptureStatus/"
AUTHORIZATION = "GetAuthorizationDetailsResult/AuthorizationDetails/"
REFUND = "GetRefundDetailsResult/RefundDetails/RefundStatus/"
DAY = 24 * 3600


def sim(state: str, reason: str) -> str:
    return json.dumps({"SandboxSimulation": {"State": state, "ReasonCode": reason}})


def capture_status(api: SignedApi, cap_id: str) -> tuple[str | None, str | None, str | None]:
    answer = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    return tuple(
        answer.find(CAPTURE + part) for part in ("State", "ReasonCode", "ReasonDescription")
    )  # type: ignore[return-value]


def notified(
    api: SignedApi, runtime: Any, object_id: str
) -> list[tuple[str, str | None, str | None]]:
    """``(state, reason, description)`` of the object's outbox rows, in order."""

    def read(session: Any) -> list[tuple[str, str | None, str | None]]:
        rows = session.scalars(
            select(Notification)
            .where(Notification.object_id == object_id)
            .order_by(Notification.id)
        )
        return [(r.state, r.reason_code, r.reason_description) for r in rows]

    found: list[tuple[str, str | None, str | None]] = runtime.db.run(read, write=False)
    return found


# --- a capture closed by its refunds ---------------------------------------------------------------


def test_the_tenth_refund_closes_the_capture_when_it_settles_not_when_it_is_requested(api, runtime):
    cap_id = api.completed_capture("100.00")
    for n in range(10):
        new_refund(api, cap_id, "1.00", f"r{n}")
    # Requested, still Pending: the capture stays Completed; an eleventh is over the count.
    assert capture_status(api, cap_id)[:2] == ("Completed", None)
    assert api.refund(cap_id, "1.00", "r10").code == "TransactionCountExceeded"
    sandbox(api, "post", "/clock/advance", seconds=5)
    state, reason, description = capture_status(api, cap_id)
    assert (state, reason) == ("Closed", "MaxRefundsProcessed")
    assert description == reasons.CAPTURE[("Closed", "MaxRefundsProcessed")]
    # Its IPN, written in the settlement's transaction, after the refunds' own.
    assert notified(api, runtime, cap_id)[-1] == ("Closed", "MaxRefundsProcessed", description)
    late = api.refund(cap_id, "1.00", "r11")
    assert late.code == "CaptureNotRefundable"
    assert "Closed/MaxRefundsProcessed" in (late.find("Error/Message") or "")


def test_a_declined_tenth_refund_counts_and_closes_once_none_is_pending(api, clock):
    cap_id = api.completed_capture("100.00")
    for n in range(9):
        new_refund(api, cap_id, "1.00", f"r{n}")
    sandbox(api, "post", "/clock/advance", seconds=2)
    last = new_refund(api, cap_id, "1.00", "r9", SellerRefundNote=sim("Declined", "AmazonRejected"))
    sandbox(api, "post", "/clock/advance", seconds=3)  # the nine settle, the tenth is Pending
    assert refund_state(api, last) == ("Pending", None)
    assert capture_status(api, cap_id)[0] == "Completed"
    sandbox(api, "post", "/clock/advance", seconds=2)
    assert refund_state(api, last) == ("Declined", "AmazonRejected")
    assert capture_status(api, cap_id)[:2] == ("Closed", "MaxRefundsProcessed")


@pytest.mark.parametrize(
    ("captured", "refunds", "currency"),
    [
        ("100.00", ["115.00"], "USD"),  # 100 + 15 %
        ("1000.00", ["1000.00", "75.00"], "EUR"),  # 1000 + 75 (less than 15 %)
        ("100000", ["100000", "8400"], "JPY"),  # 100,000 + 8,400 yen
    ],
)
def test_refunding_the_most_closes_the_capture_max_amount_refunded(
    api, runtime, captured, refunds, currency
):
    order_id = api.open_order(captured, currency)
    auth = api.authorize(order_id, captured, "a", currency=currency)
    auth_id = auth.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    cap = api.capture(auth_id, captured, "c", currency=currency)
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    assert cap_id
    for n, amount in enumerate(refunds):
        assert capture_status(api, cap_id)[0] == "Completed"
        new_refund(api, cap_id, amount, f"r{n}", currency=currency)
        sandbox(api, "post", "/clock/advance", seconds=5)
    state, reason, description = capture_status(api, cap_id)
    assert (state, reason) == ("Closed", "MaxAmountRefunded")
    assert description and "A-to-z" in description
    assert [row[:2] for row in notified(api, runtime, cap_id)] == [
        ("Completed", None),
        ("Closed", "MaxAmountRefunded"),
    ]


def test_a_declined_refund_of_the_most_leaves_the_capture_refundable(api):
    cap_id = api.completed_capture("100.00")
    new_refund(api, cap_id, "115.00", "r1", SellerRefundNote=sim("Declined", "AmazonRejected"))
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert capture_status(api, cap_id)[:2] == ("Completed", None)
    new_refund(api, cap_id, "115.00", "r2")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert capture_status(api, cap_id)[:2] == ("Closed", "MaxAmountRefunded")


def test_a_granted_chargeback_counts_towards_the_most_refunded(api):
    cap_id = api.completed_capture("100.00")
    new_refund(api, cap_id, "15.00", "r1")
    sandbox(api, "post", "/clock/advance", seconds=5)
    status, filed = sandbox(api, "post", "/disputes", type="chargeback", amazon_capture_id=cap_id)
    assert status == 201
    sandbox(api, "post", f"/disputes/{filed['dispute_id']}/resolve", outcome="granted")
    assert capture_status(api, cap_id)[:2] == ("Closed", "MaxAmountRefunded")


# --- sandbox and live timing -----------------------------------------------------------------------


def _authorization(api: SignedApi, ref: str) -> tuple[str, datetime]:
    answer = api.authorize(api.open_order("10.00"), "10.00", ref)
    assert answer.status == 200
    auth_id = answer.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    expires = answer.find("AuthorizeResult/AuthorizationDetails/ExpirationTimestamp")
    assert auth_id and expires
    return auth_id, datetime.fromisoformat(expires.replace("Z", "+00:00"))


def _authorization_status(api: SignedApi, auth_id: str) -> tuple[str | None, ...]:
    answer = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)
    status = AUTHORIZATION + "AuthorizationStatus/"
    return tuple(answer.find(status + p) for p in ("State", "ReasonCode", "ReasonDescription"))


@pytest.mark.parametrize(("path", "days"), [(None, 2), (LIVE_PATH, 30)])
def test_an_authorization_expires_unused_after_two_days_in_the_sandbox_thirty_live(
    api, app, clock, path, days
):
    seller = api if path is None else SignedApi(app.test_client(), api.merchant, clock, path)
    created = clock.now()
    kept, expires = _authorization(seller, "kept")
    captured, _ = _authorization(seller, "captured")
    assert expires - created == timedelta(days=days)
    sandbox(api, "post", "/clock/advance", seconds=days * DAY - 1)
    # A second before: still Open, and a capture within the time succeeds.
    assert _authorization_status(seller, kept)[0] == "Open"
    assert seller.capture(captured, "10.00", "in-time").status == 200
    sandbox(api, "post", "/clock/advance", seconds=1)
    state, reason, description = _authorization_status(seller, kept)
    assert (state, reason) == ("Closed", "ExpiredUnused")
    assert description == reasons.AUTHORIZATION[("Closed", "ExpiredUnused")]
    late = seller.capture(kept, "10.00", "too-late")
    assert late.code == "InvalidAuthorizationStatus"
    assert "Closed/ExpiredUnused" in (late.find("Error/Message") or "")


def test_a_capture_after_expiry_is_refused_before_the_sweep_closes_the_authorization(api, clock):
    auth_id, expires = _authorization(api, "a")
    clock.advance(2 * DAY)  # real time moves; no due work is applied
    assert clock.now() >= expires
    assert _authorization_status(api, auth_id)[0] == "Open"
    late = api.capture(auth_id, "10.00", "late")
    assert late.code == "InvalidAuthorizationStatus"
    assert "expired unused" in (late.find("Error/Message") or "")


# --- refund ProcessingFailure ----------------------------------------------------------------------


def _refund_description(api: SignedApi, refund_id: str) -> str | None:
    return api.ok("GetRefundDetails", AmazonRefundId=refund_id).find(REFUND + "ReasonDescription")


def test_the_merchant_switch_declines_the_next_refunds_processing_failure(api, runtime):
    status, merchant = sandbox(api, "patch", "", refund_processing_failures=2)
    assert (status, merchant["refund_processing_failures"]) == (200, 2)
    cap_id = api.completed_capture("100.00")
    first = new_refund(api, cap_id, "10.00", "r1")
    second = new_refund(api, cap_id, "10.00", "r2")
    third = new_refund(api, cap_id, "10.00", "r3")
    assert sandbox(api, "get", "")[1]["refund_processing_failures"] == 0
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, first) == ("Declined", "ProcessingFailure")
    assert refund_state(api, second) == ("Declined", "ProcessingFailure")
    assert refund_state(api, third) == ("Completed", None)
    advice = _refund_description(api, first)
    assert advice == reasons.REFUND[("Declined", "ProcessingFailure")]
    for words in ("A-to-z", "chargeback", "Completed", "one to two minutes", "another way"):
        assert words in advice
    # The IPN carries the advice too; and the declined amounts no longer count.
    assert notified(api, runtime, first)[-1] == ("Declined", "ProcessingFailure", advice)
    assert capture_status(api, cap_id)[:2] == ("Completed", None)


def test_a_retry_after_the_advised_minute_succeeds(api):
    sandbox(api, "patch", "", refund_processing_failures=1)
    cap_id = api.completed_capture("40.00")
    failed = new_refund(api, cap_id, "40.00", "r1")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, failed) == ("Declined", "ProcessingFailure")
    assert capture_status(api, cap_id)[0] == "Completed"  # so the advice is to retry
    sandbox(api, "post", "/clock/advance", seconds=60)
    retried = new_refund(api, cap_id, "40.00", "r1-retry")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, retried) == ("Completed", None)


def test_the_processing_failure_simulation_declines_that_refund(api):
    cap_id = api.completed_capture("40.00")
    failed = new_refund(
        api, cap_id, "5.00", "r1", SellerRefundNote=sim("Declined", "ProcessingFailure")
    )
    plain = new_refund(api, cap_id, "5.00", "r2")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, failed) == ("Declined", "ProcessingFailure")
    assert _refund_description(api, failed) == reasons.REFUND[("Declined", "ProcessingFailure")]
    assert refund_state(api, plain) == ("Completed", None)


@pytest.mark.parametrize("value", [-1, 1001, "x", 1.5, None, True])
def test_the_switch_takes_a_count(api, value):
    status, body = sandbox(api, "patch", "", refund_processing_failures=value)
    assert status == 400, body
    assert "refund_processing_failures" in json.dumps(body)


# --- every declined or closed object says why ------------------------------------------------------


def test_every_reason_description_fits_amazons_255_characters():
    for kind in KINDS:
        for (state, reason), words in kind.reasons.items():
            assert 0 < len(words) <= reasons.MAX_LENGTH, (kind.name, state, reason)
            assert state in kind.transitions, (kind.name, state)


#: Every reason code the simulator gives a declined, closed, canceled or suspended object.
GIVEN = {
    "OrderReference": {
        ("Suspended", "InvalidPaymentMethod"),
        ("Canceled", "SellerCanceled"),
        ("Canceled", "Stale"),
        ("Closed", "Expired"),
        ("Closed", "MaxAmountCharged"),
        ("Closed", "MaxAuthorizationsCaptured"),
        ("Closed", "AmazonClosed"),
        ("Closed", "SellerClosed"),
    },
    "Authorization": {
        ("Declined", "InvalidPaymentMethod"),
        ("Declined", "AmazonRejected"),
        ("Declined", "TransactionTimedOut"),
        ("Closed", "ExpiredUnused"),
        ("Closed", "MaxCapturesProcessed"),
        ("Closed", "AmazonClosed"),
        ("Closed", "OrderReferenceCanceled"),
        ("Closed", "SellerClosed"),
    },
    "Capture": {
        ("Declined", "AmazonRejected"),
        ("Closed", "AmazonClosed"),
        ("Closed", "MaxAmountRefunded"),
        ("Closed", "MaxRefundsProcessed"),
    },
    "Refund": {("Declined", "AmazonRejected"), ("Declined", "ProcessingFailure")},
    "BillingAgreement": {
        ("Canceled", "Stale"),
        ("Suspended", "InvalidPaymentMethod"),
        ("Closed", "SellerClosed"),
        ("Closed", "BuyerCanceled"),
        ("Closed", "AmazonClosed"),
    },
}


def test_every_reason_code_given_has_a_description():
    by_name = {kind.name: kind for kind in KINDS}
    for name, pairs in GIVEN.items():
        for state, reason in pairs:
            assert by_name[name].describe(state, reason), (name, state, reason)


def test_declined_and_closed_objects_say_why_in_their_details(api):
    order_id = api.open_order("30.00")
    declined = api.authorize(
        order_id, "10.00", "a1", SellerAuthorizationNote=sim("Declined", "TransactionTimedOut")
    )
    status = "AuthorizeResult/AuthorizationDetails/AuthorizationStatus/"
    assert (
        declined.find(status + "ReasonDescription")
        == reasons.AUTHORIZATION[("Declined", "TransactionTimedOut")]
    )
    auth = api.authorize(order_id, "10.00", "a2")
    auth_id = auth.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    rejected = api.capture(
        auth_id, "10.00", "c1", SellerCaptureNote=sim("Declined", "AmazonRejected")
    )
    assert (
        rejected.find("CaptureResult/CaptureDetails/CaptureStatus/ReasonDescription")
        == reasons.CAPTURE[("Declined", "AmazonRejected")]
    )
    api.ok("CloseAuthorization", AmazonAuthorizationId=auth_id)
    assert _authorization_status(api, auth_id)[1:] == (
        "SellerClosed",
        reasons.AUTHORIZATION[("Closed", "SellerClosed")],
    )
    # A seller's own reason is kept as the description, as before.
    api.ok("CloseOrderReference", AmazonOrderReferenceId=order_id, ClosureReason="Sold out")
    answer = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    status = "GetOrderReferenceDetailsResult/OrderReferenceDetails/OrderReferenceStatus/"
    assert (answer.find(status + "ReasonCode"), answer.find(status + "ReasonDescription")) == (
        "SellerClosed",
        "Sold out",
    )


def test_a_stale_order_reference_says_why(api):
    order_id = api.new_order()
    sandbox(api, "post", "/clock/advance", seconds=3 * 3600)
    answer = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    status = "GetOrderReferenceDetailsResult/OrderReferenceDetails/OrderReferenceStatus/"
    assert answer.find(status + "ReasonCode") == "Stale"
    assert (
        answer.find(status + "ReasonDescription") == reasons.ORDER_REFERENCE[("Canceled", "Stale")]
    )
