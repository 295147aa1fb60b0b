"""The proportional refund of FPS fees and the refund limits, at their exact edges."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.fps.fees import FeeSchedule, refund_share
from tests.fps.helpers import FpsApi


def _paid(fps, settle, amount="100.00", **pay):
    answer = fps.pay(fps.install_token(), amount, **pay)
    txn = answer.find("PayResult/TransactionId")
    settle()
    return txn


# --- the fee rule (reference §4.5) ------------------------------------------------------------


def test_fee_is_the_percentage_plus_the_fixed_fee_rounded_half_up():
    assert FeeSchedule(290, 30).fee(10_000) == 320  # 2.9 % of 100.00 + 0.30
    assert FeeSchedule(290, 30).fee(20) == 20  # never more than the amount
    assert FeeSchedule(250, 0).fee(1_002) == 25  # 25.05 cents -> 25
    assert FeeSchedule(250, 0).fee(1_010) == 25  # 25.25 -> 25
    assert FeeSchedule(250, 0).fee(1_020) == 26  # 25.50 -> 26 (half up)


@pytest.mark.parametrize(
    ("fee", "refunded_before", "fee_before", "refund", "expected"),
    [
        (300, 0, 0, 5_000, 150),  # the reference's example: 3.00 fee, 50.00 of 100.00 -> 1.50
        (300, 0, 0, 10_000, 300),  # a full refund gives back the whole fee
        (300, 0, 0, 1, 0),  # 0.03 cents rounds to nothing
        (300, 0, 0, 17, 1),  # 0.51 cents rounds half up to 1
        (300, 0, 0, 3_333, 100),  # 99.99 cents -> 1.00
        (300, 3_333, 100, 3_333, 100),  # the running total: 199.98 -> 2.00, less 1.00
        (300, 6_666, 200, 3_334, 100),  # the last part gives back exactly what is left
    ],
)
def test_refund_share_is_proportional_on_the_running_total(
    fee, refunded_before, fee_before, refund, expected
):
    assert refund_share(fee, fee_before, 10_000, refunded_before + refund) == expected


def test_refunding_50_of_a_100_payment_with_3_fees_returns_1_50_of_fees(fps, settle):
    fps.set_fees("3", "0")
    txn = _paid(fps, settle)
    assert fps.transaction_json(txn)["fps_fee"] == "3.00"
    refund_id = fps.refund(txn, "50.00").find("RefundResult/TransactionId")
    assert fps.transaction_json(refund_id)["fps_fee"] == "1.50"
    got = fps.ok("GetTransaction", TransactionId=refund_id)
    assert got.find("GetTransactionResult/Transaction/FPSFees/Value") == "-1.500000"
    # The rest, in three parts, gives back exactly the remaining 1.50.
    shares = []
    for amount in ("16.67", "16.67", "16.66"):
        rid = fps.refund(txn, amount).find("RefundResult/TransactionId")
        shares.append(fps.transaction_json(rid)["fps_fee"])
    assert shares == ["0.50", "0.50", "0.50"]
    assert fps.transaction_json(txn)["fps_fee_refunded"] == "3.00"


def test_fee_share_goes_back_to_whoever_paid_it(fps, settle):
    fps.set_fees("3", "0")
    txn = _paid(fps, settle, ChargeFeeTo="Caller")
    refund_id = fps.refund(txn, "50.00").find("RefundResult/TransactionId")
    got = fps.ok("GetTransaction", TransactionId=refund_id)
    parts = got.root.iter("{http://fps.amazonaws.com/doc/2010-08-28/}TransactionPart")
    ns = "{http://fps.amazonaws.com/doc/2010-08-28/}"
    fees = {p.findtext(ns + "Role"): p.findtext(f"{ns}FeesPaid/{ns}Value") for p in parts}
    assert fees == {"Caller": "-1.500000", "Recipient": "0.000000"}


@pytest.mark.parametrize(
    ("policy", "marketplace_back"),
    [
        (None, "0.00"),  # MasterTxnOnly by default: the caller keeps its marketplace fee
        ("MasterTxnOnly", "0.00"),
        ("MarketplaceTxnOnly", "2.50"),
        ("MasterAndMarketplaceTxn", "2.50"),
    ],
)
def test_marketplace_refund_policy(fps, settle, policy, marketplace_back):
    fps.set_fees("3", "0")
    token = fps.install_token()
    pay = fps.pay(
        token,
        "100.00",
        **{"MarketplaceFixedFee.Value": "1.00", "MarketplaceFixedFee.CurrencyCode": "USD"},
        MarketplaceVariableFee="4",
    )
    txn = pay.find("PayResult/TransactionId")
    settle()
    assert fps.transaction_json(txn)["marketplace_fee"] == "5.00"
    extra = {"MarketplaceRefundPolicy": policy} if policy else {}
    refund_id = fps.refund(txn, "50.00", **extra).find("RefundResult/TransactionId")
    data = fps.transaction_json(refund_id)
    assert data["marketplace_fee"] == marketplace_back
    assert data["fps_fee"] == "1.50"  # the FPS fee is refunded whatever the policy


# --- refund limits ----------------------------------------------------------------------------


def test_partial_refunds_up_to_exactly_the_amount_then_fully_refunded(fps, settle):
    txn = _paid(fps, settle)
    assert fps.refund(txn, "60.00").status == 200
    assert fps.refund(txn, "40.01").code == "RefundAmountExceeded"
    assert fps.refund(txn, "40.00").status == 200
    answer = fps.refund(txn, "0.01")
    assert (answer.status, answer.code) == (400, "TransactionFullyRefundedAlready")
    assert fps.refund(txn, None).code == "TransactionFullyRefundedAlready"


def test_pending_refunds_count_against_the_amount(fps, settle):
    txn = _paid(fps, settle, "10.00")
    fps.refund(txn, "10.00")  # still Pending
    assert fps.refund(txn, "0.01").code == "TransactionFullyRefundedAlready"


def test_a_failed_refund_frees_its_amount(fps, settle):
    token = fps.install_token(simulation={"refund": "Failure"})
    txn = fps.pay(token, "10.00").find("PayResult/TransactionId")
    settle()
    fps.refund(txn, "10.00")
    settle()
    assert fps.refund(txn, "10.00").status == 200


def test_concurrent_refunds_never_exceed_the_amount(app, fps, settle):
    txn = _paid(fps, settle)

    def one(i: int) -> str | None:
        api = FpsApi(app.test_client(), fps.merchant, fps.clock)
        return api.refund(txn, "15.00", f"race-{i}").code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(10)))
    assert codes.count(None) == 6  # 6 x 15.00 = 90.00 fit in 100.00, a seventh does not
    assert codes.count("RefundAmountExceeded") == 4
    assert fps.transaction_json(txn)["refunded_amount"] == "90.00"


def test_concurrent_payments_never_exceed_the_token_limit(app, fps):
    token = fps.install_token(limits={"total_amount": "50.00"})

    def one(i: int) -> str | None:
        api = FpsApi(app.test_client(), fps.merchant, fps.clock)
        return api.pay(token, "10.00", f"pay-race-{i}").code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(8)))
    assert sorted(codes, key=str) == [None] * 5 + ["TokenUsageError"] * 3


def test_concurrent_twins_of_one_refund_make_one_refund(app, fps, settle):
    txn = _paid(fps, settle)

    def one(_: int) -> str | None:
        api = FpsApi(app.test_client(), fps.merchant, fps.clock)
        return api.refund(txn, "25.00", "twin").find("RefundResult/TransactionId")

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(one, range(6)))
    assert len(ids) == 1 and None not in ids
    assert fps.transaction_json(txn)["refunded_amount"] == "25.00"
