"""The in-process happy path: the fixtures themselves work end to end."""

from gateway.worker.jobs import run_due_work


def test_refund_settles_completed_after_the_settle_delay(api, runtime, clock):
    cap_id = api.completed_capture("100.00")
    answer = api.refund(cap_id, "10.00", "r1")
    assert answer.status == 200
    refund_id = answer.find("RefundResult/RefundDetails/AmazonRefundId")
    assert answer.find("RefundResult/RefundDetails/RefundStatus/State") == "Pending"
    assert run_due_work(runtime) == 0
    clock.advance(5)
    assert run_due_work(runtime) == 1
    details = api.ok("GetRefundDetails", AmazonRefundId=refund_id)
    assert details.find("GetRefundDetailsResult/RefundDetails/RefundStatus/State") == "Completed"
    capture = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    assert capture.find("GetCaptureDetailsResult/CaptureDetails/RefundedAmount/Amount") == "10.00"
