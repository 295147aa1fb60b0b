"""OffAmazonPaymentsClient against a signature-checking fake serving Amazon's sample answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from clients.errors import AmazonPayError, MalformedResponseError
from clients.offamazon import SANDBOX_PATH, OffAmazonPaymentsClient
from clients.params import format_amount
from clients.responses import Price, Status
from clients.sigv2 import signing_host
from clients.transport import NO_RETRIES, RetryPolicy
from tests.clients.conftest import FIXED_NOW, SECRET, Sleeps
from tests.clients.fake_amazon import RESPONSES, FakeAmazon


def test_refund_sends_signed_form_and_parses_details(
    client: OffAmazonPaymentsClient, fake: FakeAmazon
) -> None:
    details = client.refund(
        "S01-5695290-1354077-C000001", "ref1", Decimal("0.50"), "USD", seller_refund_note="n"
    )

    sent = fake.requests[-1]
    assert sent.method == "POST"
    assert sent.path == SANDBOX_PATH
    assert sent.params["Action"] == "Refund"
    assert sent.params["AmazonCaptureId"] == "S01-5695290-1354077-C000001"
    assert sent.params["RefundAmount.Amount"] == "0.50"
    assert sent.params["RefundAmount.CurrencyCode"] == "USD"
    assert sent.params["SellerRefundNote"] == "n"
    assert sent.params["SellerId"] == "SELLER1"
    assert sent.params["Version"] == "2013-01-01"
    assert sent.params["SignatureMethod"] == "HmacSHA256"
    assert sent.params["Timestamp"] == "2026-11-22T12:00:00Z"
    assert "SoftDescriptor" not in sent.params
    assert fake.signature_ok(sent)

    assert details.amazon_refund_id == "S01-5695290-1354077-R072290"
    assert details.refund_amount == Price(Decimal("0.50"), "USD")
    assert details.fee_refunded == Price(Decimal("0.00"), "USD")
    assert details.status == Status(
        "Pending", datetime(2015, 11, 2, 21, 18, 17, 751000, tzinfo=UTC)
    )
    assert details.refund_type == "SellerInitiated"
    assert details.request_id == "2be495ee-0a86-4357-a6a5-5f0af88398d9"


def test_hmac_sha1_signing_is_accepted(fake: FakeAmazon) -> None:
    client = OffAmazonPaymentsClient(
        fake.url + SANDBOX_PATH, "AKID", SECRET, "S", signature_method="HmacSHA1"
    )
    assert client.get_refund_details("S01-5695290-1354077-R072290").status.state == "Completed"
    assert fake.requests[-1].params["SignatureMethod"] == "HmacSHA1"
    assert fake.signature_ok(fake.requests[-1])


def test_wrong_secret_surfaces_signature_error(fake: FakeAmazon) -> None:
    client = OffAmazonPaymentsClient(fake.url + SANDBOX_PATH, "AKID", "wrong", "S")
    with pytest.raises(AmazonPayError) as info:
        client.get_service_status()
    assert info.value.code == "SignatureDoesNotMatch"
    assert info.value.http_status == 403
    assert info.value.type == "Sender"
    assert info.value.request_id == "fake-request"


def test_authorize_parameters_and_details(
    client: OffAmazonPaymentsClient, fake: FakeAmazon
) -> None:
    auth = client.authorize("S01-9821095-1837200", "asdcdsd5iiiii", 1, "USD", capture_now=True)
    sent = fake.requests[-1].params
    assert sent["AuthorizationAmount.Amount"] == "1"
    assert sent["TransactionTimeout"] == "1440"
    assert sent["CaptureNow"] == "true"
    assert auth.amazon_authorization_id == "S01-9821095-1837200-A041953"
    assert auth.id_list == ("S01-9821095-1837200-C041953",)
    assert auth.captured_amount == Price(Decimal("0"), "USD")
    assert (auth.status.state, auth.status.reason_code) == ("Closed", "MaxCapturesProcessed")
    assert auth.capture_now is True
    assert auth.soft_decline is None


def test_capture_and_get_capture_details(client: OffAmazonPaymentsClient) -> None:
    capture = client.capture("S01-9821095-1837200-A041953", "testcsal", "1.00", "USD")
    assert capture.amazon_capture_id == "S01-9821095-1837200-C053432"
    assert capture.id_list == ()
    assert capture.seller_capture_note == ""
    assert capture.capture_amount == Price(Decimal("1.00"), "USD")
    details = client.get_capture_details("S01-9821095-1837200-C041953")
    assert details.refunded_amount == Price(Decimal("0"), "USD")
    assert details.status.state == "Completed"


def test_order_reference_operations(client: OffAmazonPaymentsClient, fake: FakeAmazon) -> None:
    oro = client.set_order_reference_details(
        "S01-9821095-0000200", Decimal("500.00"), "USD", seller_note="testing", store_name="s"
    )
    sent = fake.requests[-1].params
    assert sent["OrderReferenceAttributes.OrderTotal.Amount"] == "500.00"
    assert sent["OrderReferenceAttributes.SellerOrderAttributes.StoreName"] == "s"
    assert oro.order_total == Price(Decimal("500.00"), "USD")
    assert oro.seller_order_attributes is not None
    assert oro.seller_order_attributes.seller_order_id == "test1234"
    assert oro.destination is not None and oro.destination.city == "Vancouver"
    assert oro.status == Status("Draft")

    got = client.get_order_reference_details("P01-1234567-1234567", access_token="tok")
    assert fake.requests[-1].params["AccessToken"] == "tok"
    assert got.release_environment == "Live"
    assert got.destination is not None
    assert got.destination.state_or_region == "宋 俊华 市区-徐汇区 广东省"

    ack = client.confirm_order_reference(
        "P01-1234567-1234567",
        authorization_amount="5.00",
        currency_code="USD",
        expect_immediate_authorization=True,
    )
    assert ack.request_id == "f1f52572-a347-4f7a-a630-be066f3ba827"
    sent = fake.requests[-1].params
    assert sent["AuthorizationAmount.Amount"] == "5.00"
    assert sent["ExpectImmediateAuthorization"] == "true"

    client.cancel_order_reference("P01-1234567-1234567", cancelation_reason="why")
    assert fake.requests[-1].params["CancelationReason"] == "why"
    assert client.close_order_reference("P01-1234567-1234567").request_id
    assert client.close_authorization("S01-9821095-1837200-A041953", closure_reason="r").request_id
    assert fake.requests[-1].params["ClosureReason"] == "r"
    assert all(fake.signature_ok(r) for r in fake.requests)


def test_service_status(client: OffAmazonPaymentsClient) -> None:
    status = client.get_service_status()
    assert status.status == "GREEN"
    assert status.timestamp == datetime(2016, 11, 27, 2, 57, 30, 504000, tzinfo=UTC)


def test_error_response_with_request_id(client: OffAmazonPaymentsClient, fake: FakeAmazon) -> None:
    fake.reply(400, (RESPONSES / "ErrorResponse.xml").read_bytes())
    with pytest.raises(AmazonPayError) as info:
        client.set_order_reference_details("S01-5695290-1354077", 1, "USD")
    err = info.value
    assert (err.code, err.type, err.http_status) == ("OrderReferenceNotModifiable", "Sender", 400)
    assert err.request_id == "6d4699b8-1238-4c09-b539-176e2c2f5462"
    assert "not in draft state" in err.message


def test_throttled_is_retried_with_backoff_then_succeeds(
    client: OffAmazonPaymentsClient, fake: FakeAmazon, sleeps: Sleeps
) -> None:
    throttled = (RESPONSES / "Throttled.xml").read_bytes()
    fake.reply(503, throttled)
    fake.reply(500, b"<oops")
    assert client.get_refund_details("S01-5695290-1354077-R072290").request_id
    assert sleeps == [0.5, 1.0]
    assert len(fake.requests) == 3
    stamps = {r.params["Signature"] for r in fake.requests}
    assert len(stamps) == 1  # same clock, same params: re-signed identically


def test_retries_exhausted_raise_last_error(fake: FakeAmazon, sleeps: Sleeps) -> None:
    client = OffAmazonPaymentsClient(
        fake.url + SANDBOX_PATH,
        "AKID",
        SECRET,
        "S",
        retries=RetryPolicy(max_attempts=3, base_delay=1, multiplier=3, max_delay=2, sleep=sleeps),
    )
    for _ in range(3):
        fake.reply(503, (RESPONSES / "Throttled.xml").read_bytes())
    with pytest.raises(AmazonPayError) as info:
        client.get_service_status()
    assert sleeps == [1, 2]
    assert info.value.code == "RequestThrottled"
    assert info.value.type is None  # <Type></Type> in Amazon's sample
    assert info.value.request_id == "d702fd8e-206f-4da4-95e0-1e7422474077"  # RequestID casing


def test_non_retryable_status_is_not_retried(
    client: OffAmazonPaymentsClient, fake: FakeAmazon, sleeps: Sleeps
) -> None:
    fake.reply(502, b"Bad gateway")
    with pytest.raises(AmazonPayError) as info:
        client.get_service_status()
    assert (info.value.code, info.value.message, info.value.http_status) == (
        "HTTP502",
        "Bad gateway",
        502,
    )
    assert sleeps == []


def test_malformed_success_answers(fake: FakeAmazon) -> None:
    client = OffAmazonPaymentsClient(fake.url + SANDBOX_PATH, "A", SECRET, "S", retries=NO_RETRIES)
    fake.reply(200, b"not xml")
    with pytest.raises(MalformedResponseError):
        client.get_service_status()
    fake.reply(200, (RESPONSES / "RefundResponse.xml").read_bytes())
    with pytest.raises(MalformedResponseError, match="expected <GetRefundDetailsResponse>"):
        client.get_refund_details("x")
    empty = b"<RefundResponse><RefundResult><RefundDetails/></RefundResult></RefundResponse>"
    fake.reply(200, empty)
    with pytest.raises(MalformedResponseError, match="no AmazonRefundId"):
        client.refund("c", "r", 1, "USD")
    fake.reply(200, b"<!DOCTYPE x [<!ENTITY a 'b'>]><GetServiceStatusResponse/>")
    with pytest.raises(MalformedResponseError, match="DTD"):
        client.get_service_status()


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8080/p", "127.0.0.1:8080"),
        ("http://Example.com:80/p", "Example.com"),
        ("https://mws.amazonservices.com:443/p", "mws.amazonservices.com"),
        ("https://mws.amazonservices.com:8443/p", "mws.amazonservices.com:8443"),
    ],
)
def test_signing_host_matches_what_requests_sends(url: str, host: str) -> None:
    assert signing_host(url) == host


def test_amounts_are_rendered_exactly() -> None:
    assert format_amount(Decimal("10.10")) == "10.10"
    assert format_amount("1E+1") == "10"
    assert format_amount(7) == "7"
    with pytest.raises(TypeError):
        format_amount(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        format_amount("NaN")


def test_unknown_signature_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        OffAmazonPaymentsClient("http://x/", "a", "b", "c", signature_method="HmacMD5")


def test_clock_defaults_to_now(fake: FakeAmazon) -> None:
    client = OffAmazonPaymentsClient(fake.url + SANDBOX_PATH, "AKID", SECRET, "S")
    client.get_service_status()
    sent = datetime.fromisoformat(fake.requests[-1].params["Timestamp"])
    assert abs(sent - datetime.now(UTC)).total_seconds() < 60
    assert FIXED_NOW.tzinfo is UTC


def test_client_closes_only_its_own_session(
    fake: FakeAmazon, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[requests.Session] = []
    original = requests.Session.close

    def spy(session: requests.Session) -> None:
        closed.append(session)
        original(session)

    monkeypatch.setattr(requests.Session, "close", spy)
    with OffAmazonPaymentsClient(fake.url + SANDBOX_PATH, "AKID", SECRET, "S") as owned:
        owned.get_service_status()
    assert closed == [owned._transport.session]

    shared = requests.Session()
    with OffAmazonPaymentsClient(
        fake.url + SANDBOX_PATH, "AKID", SECRET, "S", session=shared
    ) as borrowing:
        borrowing.get_service_status()
    assert shared not in closed
    original(shared)
