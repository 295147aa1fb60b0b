"""Pay, Refund, Cancel and the status calls, in process, with the frozen clock."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import Notification


def _paid(fps, settle, amount="100.00", **token):
    """A Success payment; returns its TransactionId."""
    answer = fps.pay(fps.install_token(**token), amount)
    assert answer.status == 200, answer.text()
    txn = answer.find("PayResult/TransactionId")
    settle()
    assert fps.status(txn) == "Success"
    return txn


def test_pay_by_card_is_pending_then_success_after_the_settle_delay(fps, settle):
    answer = fps.pay(fps.install_token(), "25.00")
    txn = answer.find("PayResult/TransactionId")
    assert answer.find("PayResult/TransactionStatus") == "Pending"
    assert len(txn) == 35 and txn.isalnum() and txn.upper() == txn
    assert settle(4.9) == 0
    assert fps.status(txn) == "Pending"
    assert settle(0.1) == 1
    status = fps.ok("GetTransactionStatus", TransactionId=txn)
    assert status.find("GetTransactionStatusResult/TransactionStatus") == "Success"
    assert status.find("GetTransactionStatusResult/StatusCode") == "Success"
    assert status.find("GetTransactionStatusResult/CallerReference").startswith("pay-")


def test_pay_from_balance_completes_at_once(fps):
    answer = fps.pay(fps.install_token(payment_method="ABT"), "5.00")
    assert answer.find("PayResult/TransactionStatus") == "Success"


def test_pay_with_a_failing_token_fails_and_refund_says_original_failed(fps, settle):
    answer = fps.pay(fps.install_token(simulation={"pay": "Failure"}), "5.00")
    txn = answer.find("PayResult/TransactionId")
    settle()
    assert fps.status(txn) == "Failure"
    fps.error("Refund", "OriginalTransactionFailed", TransactionId=txn, CallerReference="r")


def test_get_transaction_shows_amount_fees_and_who_paid_them(fps, settle):
    fps.set_fees("3", "0")
    answer = fps.pay(fps.install_token(), "100.00", ChargeFeeTo="Caller")
    txn = answer.find("PayResult/TransactionId")
    settle()
    got = fps.ok("GetTransaction", TransactionId=txn)
    base = "GetTransactionResult/Transaction/"
    assert got.find(base + "TransactionAmount/Value") == "100.000000"
    assert got.find(base + "FPSFees/Value") == "3.000000"
    assert got.find(base + "FPSFeesPaidBy") == "Caller"
    assert got.find(base + "FPSOperation") == "Pay"
    assert got.find(base + "TransactionStatus") == "Success"


def test_refund_before_the_payment_succeeded_is_original_transaction_incomplete(fps):
    txn = fps.pay(fps.install_token(), "10.00").find("PayResult/TransactionId")
    answer = fps.refund(txn, "1.00")
    assert (answer.status, answer.code) == (400, "OriginalTransactionIncomplete")


def test_refund_is_its_own_pending_transaction_then_success(fps, settle):
    txn = _paid(fps, settle)
    answer = fps.refund(txn, "10.00")
    refund_id = answer.find("RefundResult/TransactionId")
    assert refund_id != txn
    assert answer.find("RefundResult/TransactionStatus") == "Pending"
    settle()
    assert fps.status(refund_id) == "Success"
    got = fps.ok("GetTransaction", TransactionId=refund_id)
    assert got.find("GetTransactionResult/Transaction/FPSOperation") == "Refund"
    assert got.find("GetTransactionResult/Transaction/OriginalTransactionId") == txn


def test_refund_simulated_failure_gives_the_amount_back(fps, settle):
    txn = _paid(fps, settle, simulation={"refund": "Failure"})
    refund_id = fps.refund(txn, "100.00").find("RefundResult/TransactionId")
    settle()
    assert fps.status(refund_id) == "Failure"
    assert fps.transaction_json(txn)["refunded_amount"] == "0.00"


def test_refund_without_amount_refunds_what_remains(fps, settle):
    txn = _paid(fps, settle)
    fps.refund(txn, "30.00")
    refund_id = fps.refund(txn, None).find("RefundResult/TransactionId")
    assert fps.transaction_json(refund_id)["amount"] == "70.00"


def test_refund_of_a_refund_is_not_refundable(fps, settle):
    txn = _paid(fps, settle)
    refund_id = fps.refund(txn, "10.00").find("RefundResult/TransactionId")
    settle()
    answer = fps.refund(refund_id, "1.00")
    assert answer.code == "TransactionTypeNotRefundable"


def test_refund_of_an_unknown_or_another_callers_transaction_is_invalid(fps, other_fps, settle):
    txn = _paid(fps, settle)
    assert fps.refund("X" * 35, "1.00").code == "InvalidTransactionId"
    assert other_fps.refund(txn, "1.00").code == "InvalidTransactionId"
    other_fps.error("GetTransactionStatus", "InvalidTransactionId", TransactionId=txn)


def test_same_caller_reference_and_request_returns_the_same_refund(fps, settle):
    txn = _paid(fps, settle)
    first = fps.refund(txn, "60.00", "same-ref").find("RefundResult/TransactionId")
    again = fps.refund(txn, "60.00", "same-ref")
    assert again.status == 200
    assert again.find("RefundResult/TransactionId") == first
    # Only one refund counted: 40.00 remain.
    assert fps.transaction_json(txn)["refunded_amount"] == "60.00"


def test_reused_caller_reference_with_other_parameters_is_duplicate_request(fps, settle):
    txn = _paid(fps, settle)
    fps.refund(txn, "10.00", "ref-a")
    assert fps.refund(txn, "11.00", "ref-a").code == "DuplicateRequest"
    # A CallerReference of a payment reused for a refund is a duplicate too.
    pay = fps.pay(fps.install_token(), "1.00", "pay-ref")
    assert pay.status == 200
    assert fps.refund(txn, "1.00", "pay-ref").code == "DuplicateRequest"


def test_same_pay_request_again_returns_the_same_payment(fps):
    token = fps.install_token()
    first = fps.pay(token, "9.00", "p1").find("PayResult/TransactionId")
    assert fps.pay(token, "9.00", "p1").find("PayResult/TransactionId") == first
    assert fps.pay(token, "9.01", "p1").code == "DuplicateRequest"


def test_cancel_a_pending_payment_and_not_a_completed_one(fps, settle):
    token = fps.install_token()
    txn = fps.pay(token, "5.00").find("PayResult/TransactionId")
    answer = fps.ok("Cancel", TransactionId=txn, Description="buyer changed mind")
    assert answer.find("CancelResult/TransactionStatus") == "Cancelled"
    assert settle() == 0
    assert fps.status(txn) == "Cancelled"
    done = _paid(fps, settle)
    fps.error("Cancel", "InvalidTransactionState", TransactionId=done)


def test_outcomes_write_transaction_status_notifications(fps, settle, runtime):
    txn = _paid(fps, settle)
    refund_id = fps.refund(txn, "5.00").find("RefundResult/TransactionId")
    settle()
    with runtime.db.session(write=False) as session:
        rows = list(
            session.scalars(
                select(Notification)
                .where(Notification.object_kind == "FpsTransaction")
                .order_by(Notification.id)
            )
        )
    assert [(r.object_id, r.state, r.notification_type) for r in rows] == [
        (txn, "Success", "TransactionStatus"),
        (refund_id, "Success", "TransactionStatus"),
    ]
    pay_ipn, refund_ipn = rows[0].extra["fps"], rows[1].extra["fps"]
    assert pay_ipn["transactionStatus"] == "SUCCESS"
    assert pay_ipn["operation"] == "PAY"
    assert pay_ipn["transactionAmount"] == "USD 100.000000"
    assert refund_ipn["operation"] == "REFUND"
    assert refund_ipn["parentTransactionId"] == txn


def test_pay_answers_in_the_namespace_of_the_version_asked_for(fps):
    token = fps.install_token()
    params = {
        "SenderTokenId": token,
        "CallerReference": "v2008",
        "TransactionAmount.Value": "1.00",
        "TransactionAmount.CurrencyCode": "USD",
        "ChargeFeeTo": "Recipient",
    }
    answer = fps.call("Pay", "2008-09-17", **params)
    assert answer.status == 200
    assert answer.root.tag == "{http://fps.amazonaws.com/doc/2008-09-17/}PayResponse"
    assert answer.find("PayResult/TransactionStatus") == "Pending"


def test_unsupported_version_and_action_are_invalid_params(fps):
    assert fps.call("GetTokens", "2007-01-08").code == "InvalidParams"
    assert fps.call("Reserve").code == "InvalidParams"


def test_missing_and_bad_parameters_are_invalid_params(fps):
    answer = fps.call("Pay", CallerReference="x")
    assert (answer.status, answer.code) == (400, "InvalidParams")
    answer = fps.pay(fps.install_token(), "-1.00")
    assert answer.code == "InvalidParams"
    answer = fps.pay(fps.install_token(), "1.00", **{"TransactionAmount.CurrencyCode": "EUR"})
    assert answer.code == "InvalidParams"
