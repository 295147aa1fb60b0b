"""FpsClient against the signature-checking fake (GET /, SigV2 and SigV1, both versions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from clients.errors import AmazonPayError
from clients.fps import FpsClient
from clients.fps_responses import FpsAmount
from clients.transport import NO_RETRIES
from tests.clients.conftest import FIXED_NOW, SECRET
from tests.clients.fake_amazon import FPS_RESPONSES, FakeAmazon


@pytest.fixture
def fps(fake: FakeAmazon) -> FpsClient:
    return FpsClient(fake.url + "/", "AKID", SECRET, clock=lambda: FIXED_NOW, retries=NO_RETRIES)


def test_refund_is_a_signed_get_with_default_version(fps: FpsClient, fake: FakeAmazon) -> None:
    result = fps.refund("TX1", "cr-1", amount=Decimal("5.00"))
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("GET", "/")
    assert sent.params["Action"] == "Refund"
    assert sent.params["Version"] == "2010-08-28"
    assert sent.params["RefundAmount.Value"] == "5.00"
    assert sent.params["RefundAmount.CurrencyCode"] == "USD"
    assert sent.params["SignatureVersion"] == "2"
    assert sent.params["SignatureMethod"] == "HmacSHA256"
    assert fake.signature_ok(sent)
    assert result.transaction_id == "14GK6F2QU755ODS27SGHEURLKPG72Z54KMF"
    assert result.transaction_status == "Pending"
    assert result.request_id == "1a146b9a-b37b-4f5f-bda6-012a5b9e45c3:0"


def test_full_refund_sends_no_amount(fps: FpsClient, fake: FakeAmazon) -> None:
    fps.refund("TX1", "cr-2", marketplace_refund_policy="MasterTxnOnly")
    sent = fake.requests[-1].params
    assert "RefundAmount.Value" not in sent
    assert "RefundAmount.CurrencyCode" not in sent
    assert sent["MarketplaceRefundPolicy"] == "MasterTxnOnly"


def test_sigv1_and_old_version(fake: FakeAmazon) -> None:
    client = FpsClient(fake.url + "/", "AKID", SECRET, version="2008-09-17", signature_version="1")
    assert client.cancel_token("TOKEN", reason_text="bye").request_id == (
        "a10e0ad6-148f-4afe-8bcd-e80a2680793d:0"
    )
    sent = fake.requests[-1].params
    assert sent["Version"] == "2008-09-17"
    assert sent["SignatureVersion"] == "1"
    assert "SignatureMethod" not in sent
    assert sent["ReasonText"] == "bye"
    assert fake.signature_ok(fake.requests[-1])


def test_pay_cancel_and_status(fps: FpsClient, fake: FakeAmazon) -> None:
    paid = fps.pay(
        "SENDER", "1.00", "cr-pay", charge_fee_to="Recipient", transaction_timeout_in_mins=5
    )
    sent = fake.requests[-1].params
    assert sent["TransactionAmount.Value"] == "1.00"
    assert sent["SenderTokenId"] == "SENDER"
    assert sent["TransactionTimeoutInMins"] == "5"
    assert paid.transaction_status == "Success"
    assert fps.cancel("TX1", description="d").transaction_status == "Cancelled"
    status = fps.get_transaction_status("14GK6F2QU755ODS27SGHEURLKPG72Z54KMF")
    assert (status.transaction_status, status.caller_reference) == ("Success", "cr-1")
    assert status.status_code == "Success"


def test_get_transaction(fps: FpsClient) -> None:
    tx = fps.get_transaction("14GK6F2QU755ODS27SGHEURLKPG72Z54KMF")
    assert tx.transaction_amount == FpsAmount(Decimal("1.000000"), "USD")
    assert tx.fps_fees == FpsAmount(Decimal("0.100000"), "USD")
    assert tx.fps_operation == "Pay"
    assert tx.payment_method == "CC"
    assert tx.date_received == datetime(
        2009, 10, 6, 5, 49, 52, 843000, tzinfo=timezone(timedelta(hours=-7))
    )
    assert tx.fields["FPSFeesPaidBy"] == "Recipient"
    assert tx.fields["SenderName"] == "Test Business"


def test_tokens(fps: FpsClient, fake: FakeAmazon) -> None:
    tokens = fps.get_tokens(token_status="Active")
    assert fake.requests[-1].params["TokenStatus"] == "Active"
    assert [t.token_id for t in tokens][1] == "SECONDTOKEN"
    assert tokens[0].token_type == "SingleUse"
    assert tokens[0].date_installed is not None
    assert tokens[0].date_installed.astimezone(UTC).hour == 10
    token = fps.get_token_by_caller(caller_reference="tok-cr-1")
    assert fake.requests[-1].params["CallerReference"] == "tok-cr-1"
    assert token.token_status == "Active"
    with pytest.raises(ValueError, match="exactly one"):
        fps.get_token_by_caller()


def test_verify_signature(fps: FpsClient, fake: FakeAmazon) -> None:
    verdict = fps.verify_signature("http://shop/ipn", "a=1&signature=x")
    assert verdict.verified
    assert fake.requests[-1].params["HttpParameters"] == "a=1&signature=x"
    assert fake.requests[-1].params["UrlEndPoint"] == "http://shop/ipn"


def test_fps_error_answer(fps: FpsClient, fake: FakeAmazon) -> None:
    fake.reply(400, (FPS_RESPONSES / "Error.xml").read_bytes())
    with pytest.raises(AmazonPayError) as info:
        fps.get_transaction_status("FAKE")
    err = info.value
    assert (err.code, err.http_status, err.type) == ("InvalidTransactionId", 400, None)
    assert err.request_id == "67679d8a-fd87-4e44-b063-32a69bfc3c8b"
    assert err.message.startswith("transactionId has to be a valid")


def test_unknown_version_refused() -> None:
    with pytest.raises(ValueError, match="unsupported FPS version"):
        FpsClient("http://x/", "a", "b", version="2007-01-08")
    with pytest.raises(ValueError, match="signature version"):
        FpsClient("http://x/", "a", "b", signature_version="3")
