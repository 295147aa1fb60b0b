"""The sandbox clock, disputes, and what they do to refunds (in process, no sleeps)."""

from __future__ import annotations

import json

import pytest

from gateway.worker.jobs import run_due_work
from tests.helpers import SignedApi, new_merchant

REJECT = json.dumps({"SandboxSimulation": {"State": "Declined", "ReasonCode": "AmazonRejected"}})


def sandbox(api: SignedApi, method: str, path: str, **json_body):
    client = api.client
    response = getattr(client, method)(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}{path}", json=json_body or None
    )
    return response.status_code, response.get_json()


def refund_state(api: SignedApi, refund_id: str) -> tuple[str | None, str | None]:
    answer = api.ok("GetRefundDetails", AmazonRefundId=refund_id)
    base = "GetRefundDetailsResult/RefundDetails/RefundStatus/"
    return answer.find(base + "State"), answer.find(base + "ReasonCode")


def new_refund(api: SignedApi, cap_id: str, amount: str, ref: str, **extra: str) -> str:
    answer = api.refund(cap_id, amount, ref, **extra)
    assert answer.status == 200
    refund_id = answer.find("RefundResult/RefundDetails/AmazonRefundId")
    assert refund_id
    return refund_id


def test_advancing_the_clock_settles_a_refund_before_the_call_returns(api):
    refund_id = new_refund(api, api.completed_capture("50.00"), "5.00", "r1")
    status, clock = sandbox(api, "post", "/clock/advance", seconds=4)
    assert (status, clock["applied_transitions"]) == (200, 0)
    assert refund_state(api, refund_id) == ("Pending", None)
    status, clock = sandbox(api, "post", "/clock/advance", seconds=1)
    assert clock["applied_transitions"] == 1
    assert refund_state(api, refund_id) == ("Completed", None)


def test_simulated_amazon_rejection_declines_and_frees_the_refundable_amount(api):
    cap_id = api.completed_capture("100.00")
    refund_id = new_refund(api, cap_id, "115.00", "r1", SellerRefundNote=REJECT)
    api.error(
        "Refund",
        "TransactionAmountExceeded",
        400,
        AmazonCaptureId=cap_id,
        RefundReferenceId="r2",
        **{"RefundAmount.Amount": "0.01", "RefundAmount.CurrencyCode": "USD"},
    )
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, refund_id) == ("Declined", "AmazonRejected")
    # The declined refund no longer counts: the whole cap is refundable again.
    new_refund(api, cap_id, "115.00", "r3")


def test_clocks_of_merchants_are_independent(api, app, runtime, clock):
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    mine = new_refund(api, api.completed_capture("20.00"), "1.00", "r1")
    theirs = new_refund(other, other.completed_capture("20.00"), "1.00", "r1")
    sandbox(api, "post", "/clock/advance", seconds=60)
    assert refund_state(api, mine)[0] == "Completed"
    assert refund_state(other, theirs)[0] == "Pending"
    _, their_clock = sandbox(other, "get", "/clock")
    _, my_clock = sandbox(api, "get", "/clock")
    assert my_clock["offset_seconds"] == 60 and their_clock["offset_seconds"] == 0


def test_a_frozen_clock_stands_still_until_advanced_and_resumes_where_it_stood(api, clock):
    refund_id = new_refund(api, api.completed_capture("20.00"), "1.00", "r1")
    _, frozen = sandbox(api, "post", "/clock/freeze")
    assert frozen["frozen"] is True
    clock.advance(3600)  # real time passes; the merchant's does not
    sandbox(api, "post", "/clock/advance", seconds=0)
    assert refund_state(api, refund_id)[0] == "Pending"
    _, resumed = sandbox(api, "post", "/clock/resume")
    assert resumed["now"] == frozen["now"] and resumed["frozen"] is False
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, refund_id)[0] == "Completed"


DAY = 86400


def test_a_reset_clock_runs_at_real_time_again(api, clock):
    sandbox(api, "post", "/clock/advance", seconds=3 * DAY)
    _, frozen = sandbox(api, "post", "/clock/freeze")
    assert frozen["offset_seconds"] == 3 * DAY and frozen["frozen"] is True
    status, reset = sandbox(api, "post", "/clock/reset")
    assert status == 200
    assert (reset["offset_seconds"], reset["frozen"]) == (0, False)
    assert reset["now"] == clock.now().strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def test_a_reset_first_applies_what_is_due_at_the_merchants_time(api, clock):
    sandbox(api, "post", "/clock/advance", seconds=DAY)
    refund_id = new_refund(api, api.completed_capture("20.00"), "1.00", "r1")
    clock.advance(60)  # real time passes with no sweep: due at the merchant's time, not applied
    _, reset = sandbox(api, "post", "/clock/reset")
    assert reset["applied_transitions"] >= 1
    assert refund_state(api, refund_id)[0] == "Completed"


def test_after_a_reset_objects_due_later_keep_their_simulated_due_times(api):
    sandbox(api, "post", "/clock/advance", seconds=DAY)
    refund_id = new_refund(api, api.completed_capture("20.00"), "1.00", "r1")
    sandbox(api, "post", "/clock/reset")
    sandbox(api, "post", "/clock/advance", seconds=60)
    assert refund_state(api, refund_id)[0] == "Pending"  # due a day after real time
    sandbox(api, "post", "/clock/advance", seconds=DAY)
    assert refund_state(api, refund_id)[0] == "Completed"


@pytest.mark.parametrize("dispute_type", ["chargeback", "a-to-z-claim"])
def test_refunds_on_a_disputed_order_decline_with_processing_failure(api, dispute_type):
    order_id = api.open_order("80.00")
    auth_id = api.authorize(order_id, "80.00", "a1").find(
        "AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId"
    )
    cap_id = api.capture(auth_id, "80.00", "c1").find(
        "CaptureResult/CaptureDetails/AmazonCaptureId"
    )
    status, dispute = sandbox(
        api, "post", "/disputes", type=dispute_type, amazon_order_reference_id=order_id
    )
    assert status == 201 and dispute["state"] == "Open" and dispute["amount"] == "80.00"
    refund_id = new_refund(api, cap_id, "10.00", "r1")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, refund_id) == ("Declined", "ProcessingFailure")


@pytest.mark.parametrize(
    ("dispute_type", "refund_type"),
    [("chargeback", "Chargeback"), ("a-to-z-claim", "AmazonA-ZGuarantee")],
)
def test_a_granted_dispute_shows_as_a_completed_refund_on_the_capture(
    api, dispute_type, refund_type
):
    cap_id = api.completed_capture("60.00")
    _, dispute = sandbox(
        api, "post", "/disputes", type=dispute_type, amazon_capture_id=cap_id, amount="25.00"
    )
    status, resolved = sandbox(
        api, "post", f"/disputes/{dispute['dispute_id']}/resolve", outcome="granted"
    )
    assert status == 200 and resolved["state"] == "Granted"
    assert resolved["refund"]["RefundType"] == refund_type
    capture = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    details = "GetCaptureDetailsResult/CaptureDetails/"
    assert capture.find(details + "RefundedAmount/Amount") == "25.00"
    assert capture.all(details + "IdList/member") == [resolved["refund"]["AmazonRefundId"]]
    status, again = sandbox(
        api, "post", f"/disputes/{dispute['dispute_id']}/resolve", outcome="denied"
    )
    assert (status, again["error"]["code"]) == (409, "InvalidDisputeStatus")


def test_a_denied_dispute_lets_refunds_complete_again(api):
    order_id = api.open_order("30.00")
    auth_id = api.authorize(order_id, "30.00", "a1").find(
        "AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId"
    )
    cap_id = api.capture(auth_id, "30.00", "c1").find(
        "CaptureResult/CaptureDetails/AmazonCaptureId"
    )
    _, dispute = sandbox(
        api, "post", "/disputes", type="chargeback", amazon_order_reference_id=order_id
    )
    sandbox(api, "post", f"/disputes/{dispute['dispute_id']}/resolve", outcome="denied")
    refund_id = new_refund(api, cap_id, "3.00", "r1")
    sandbox(api, "post", "/clock/advance", seconds=5)
    assert refund_state(api, refund_id) == ("Completed", None)


def test_an_a_to_z_claim_is_capped_at_the_order_total_and_at_2500(api):
    small = api.completed_capture("100.00")
    status, error = sandbox(
        api, "post", "/disputes", type="a-to-z-claim", amazon_capture_id=small, amount="100.01"
    )
    assert (status, error["error"]["code"]) == (400, "TransactionAmountExceeded")
    big = api.completed_capture("3000.00")
    status, error = sandbox(
        api, "post", "/disputes", type="a-to-z-claim", amazon_capture_id=big, amount="2500.01"
    )
    assert (status, error["error"]["code"]) == (400, "TransactionAmountExceeded")
    status, claim = sandbox(api, "post", "/disputes", type="a-to-z-claim", amazon_capture_id=big)
    assert (status, claim["amount"]) == (201, "2500.00")


def test_a_dispute_needs_a_charge(api):
    order_id = api.open_order("10.00")
    status, error = sandbox(
        api, "post", "/disputes", type="chargeback", amazon_order_reference_id=order_id
    )
    assert (status, error["error"]["code"]) == (409, "NothingToDispute")
    status, error = sandbox(
        api, "post", "/disputes", type="refund-please", amazon_order_reference_id=order_id
    )
    assert (status, error["error"]["code"]) == (400, "ValidationError")


def test_control_api_errors_are_json(api):
    status, error = (
        api.client.post(
            "/sandbox/api/v1/merchants/NOPE/clock/advance", json={"seconds": 1}
        ).status_code,
        None,
    )
    assert status == 404
    response = api.client.post(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/clock/advance",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "InvalidJson"
    status, error = sandbox(api, "post", "/clock/advance", seconds=-5)
    assert (status, error["error"]["code"]) == (400, "ValidationError")
    assert error["error"]["message"].startswith("Invalid request body: seconds:")
    response = api.client.get("/sandbox/api/v1/no-such-thing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NotFound"


def test_run_due_work_applies_nothing_twice(api, runtime, clock):
    new_refund(api, api.completed_capture("20.00"), "1.00", "r1")
    clock.advance(5)
    assert run_due_work(runtime) == 1
    assert run_due_work(runtime) == 0
