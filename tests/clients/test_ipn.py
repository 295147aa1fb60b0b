"""IpnVerifier: Amazon's genuine sample, self-signed envelopes (v1/v2) and every tampering path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clients.errors import IpnVerificationError
from clients.ipn import IpnVerifier
from clients.ipn_signing import sns_string_to_sign
from clients.notifications import parse_envelope, parse_notification
from clients.responses import OrderReferenceDetails, Price, RefundDetails
from tests.clients.sns_signer import CERT_URL, NOW, TOPIC, SnsSigner, new_key
from tests.helpers import DATA

SAMPLE = DATA / "sns-sample"
SAMPLE_BODY = (SAMPLE / "notification.json").read_bytes()
SAMPLE_HEADERS = json.loads((SAMPLE / "headers.json").read_text())
SAMPLE_PEM = (SAMPLE / "signing-cert.pem").read_bytes()
SIGNED_FIELDS = ("Message", "MessageId", "Timestamp", "TopicArn", "Type")


def sample_verifier(**kwargs: object) -> IpnVerifier:
    options: dict[str, Any] = {"check_certificate_dates": False, "max_age": None} | kwargs
    return IpnVerifier(fetch_certificate=lambda url: SAMPLE_PEM, **options)


def reason_of(verifier: IpnVerifier, body: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(IpnVerificationError) as info:
        verifier.verify(body, headers)
    return info.value.reason


# --- Amazon's genuine, Amazon-signed sample -----------------------------------------------------


def test_genuine_amazon_sample_verifies_without_date_checks() -> None:
    note = sample_verifier().verify(SAMPLE_BODY, SAMPLE_HEADERS)
    assert note.message_id == "15e7412b-e9ac-5f6a-b6df-0c909df567a0"
    assert note.notification_type == "OrderReferenceNotification"
    assert note.seller_id == "AQR8184NJXADU"
    assert note.release_environment == "Sandbox"
    assert note.is_sample is True
    assert note.timestamp == datetime(2015, 4, 30, 0, 6, 49, 434000, tzinfo=UTC)
    assert isinstance(note.details, OrderReferenceDetails)
    assert note.details.status.state == "Closed"
    assert note.details.status.reason_code == "AmazonClosed"
    assert note.details.order_total == Price(Decimal("0.0"), "USD")


def test_genuine_sample_verifies_with_all_checks_when_now_is_pinned() -> None:
    pinned = datetime(2015, 4, 30, 0, 10, tzinfo=UTC)
    verifier = IpnVerifier(fetch_certificate=lambda url: SAMPLE_PEM, now=lambda: pinned)
    assert verifier.verify(SAMPLE_BODY, SAMPLE_HEADERS).message_id


def test_genuine_sample_certificate_has_expired_today() -> None:
    verifier = IpnVerifier(fetch_certificate=lambda url: SAMPLE_PEM, max_age=None)
    assert reason_of(verifier, SAMPLE_BODY, SAMPLE_HEADERS) == "certificate_expired"


def test_genuine_sample_is_stale_an_hour_later() -> None:
    later = datetime(2015, 4, 30, 1, 7, tzinfo=UTC)
    verifier = sample_verifier(max_age=timedelta(hours=1), now=lambda: later)
    assert reason_of(verifier, SAMPLE_BODY, SAMPLE_HEADERS) == "stale"


@pytest.mark.parametrize("key", SIGNED_FIELDS)
@pytest.mark.parametrize("position", [0, -1, "middle"])
def test_any_byte_changed_in_a_signed_field_fails(key: str, position: int | str) -> None:
    envelope = json.loads(SAMPLE_BODY)
    value: str = envelope[key]
    index = len(value) // 2 if position == "middle" else int(position)
    index %= len(value)
    swapped = "A" if value[index] != "A" else "B"
    envelope[key] = value[:index] + swapped + value[index + 1 :]
    headers = dict(SAMPLE_HEADERS)
    headers["X-Amz-Sns-Topic-Arn"] = envelope["TopicArn"]  # the header follows the body
    reason = reason_of(sample_verifier(), json.dumps(envelope).encode(), headers)
    expected = "unsupported_message_type" if key == "Type" else "bad_signature"
    assert reason == expected


def test_unsigned_field_change_still_verifies() -> None:
    envelope = json.loads(SAMPLE_BODY)
    envelope["UnsubscribeURL"] = "https://example.invalid/"
    assert sample_verifier().verify(json.dumps(envelope).encode(), SAMPLE_HEADERS).message_id


def test_sample_topic_header_must_match() -> None:
    headers = dict(SAMPLE_HEADERS, **{"X-Amz-Sns-Topic-Arn": "arn:aws:sns:us-east-1:1:other"})
    assert reason_of(sample_verifier(), SAMPLE_BODY, headers) == "topic_mismatch"


# --- Amazon's IPN samples: parsing only (their signatures cannot verify here) ------------------


def load_sample(name: str):
    body = (DATA / "amazon-pay-samples" / "ipn" / name).read_bytes()
    return parse_notification(parse_envelope(body))


def test_parse_refund_sample() -> None:
    note = load_sample("RefundNotification.json")
    assert note.notification_type == "PaymentRefund"
    assert isinstance(note.details, RefundDetails)
    assert note.details.refund_amount == Price(Decimal("3.0"), "USD")
    assert note.details.fee_refunded == Price(Decimal("2.0"), "USD")
    assert note.details.status.state == "Completed"
    assert note.details.status.reason_code == "None"  # literally, as Amazon sends it
    assert note.message_timestamp == datetime(2015, 8, 28, 2, 17, 50, 683000, tzinfo=UTC)
    assert "<RefundNotification" in note.notification_data


@pytest.mark.parametrize(
    ("name", "kind", "identifier"),
    [
        ("RefundNotification2.json", "RefundDetails", "amazon_refund_id"),
        ("CaptureNotification.json", "CaptureDetails", "amazon_capture_id"),
        ("AuthorizeNotification.json", "AuthorizationDetails", "amazon_authorization_id"),
        ("OrderReferenceNotification.json", "OrderReferenceDetails", "amazon_order_reference_id"),
        ("ChargebackNotification_Service.json", "ChargebackDetails", "amazon_chargeback_id"),
    ],
)
def test_parse_every_sample(name: str, kind: str, identifier: str) -> None:
    note = load_sample(name)
    assert type(note.details).__name__ == kind
    assert getattr(note.details, identifier)
    assert note.seller_id


def test_parse_chargeback_fields() -> None:
    note = load_sample("ChargebackNotification_Service.json")
    assert note.notification_type == "Chargeback Detailed Notification"
    details = note.details
    assert details is not None and type(details).__name__ == "ChargebackDetails"
    assert details.chargeback_amount == Price(Decimal("100.0"), "USD")
    assert details.chargeback_state == "RECEIVED"


def test_parse_authorization_sample_empty_id_list() -> None:
    note = load_sample("AuthorizeNotification.json")
    assert note.details is not None
    assert note.details.id_list == ()
    assert note.details.capture_now is True


# --- self-signed envelopes, both signature versions -------------------------------------------


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


def verifier_for(signer: SnsSigner, **kwargs: object) -> IpnVerifier:
    options: dict[str, Any] = {"now": lambda: NOW} | kwargs
    return IpnVerifier(fetch_certificate=signer.fetch, **options)


@pytest.mark.parametrize("version", ["1", "2"])
def test_self_signed_envelope_verifies(signer: SnsSigner, version: str) -> None:
    env = signer.envelope(version=version)
    note = verifier_for(signer).verify(signer.body(env), signer.headers(env))
    assert isinstance(note.details, RefundDetails)
    assert note.details.amazon_refund_id == "S01-1111111-2222222-R000001"
    assert note.topic_arn == TOPIC


def test_subject_is_signed_when_present(signer: SnsSigner) -> None:
    env = signer.envelope(version="2", subject="hello")
    assert b"Subject\nhello\n" in sns_string_to_sign(env)
    verifier = verifier_for(signer)
    assert verifier.verify(signer.body(env), signer.headers(env))
    tampered = dict(env, Subject="hellO")
    assert reason_of(verifier, signer.body(tampered), signer.headers(tampered)) == "bad_signature"


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("key", ["Message", "MessageId", "Timestamp", "TopicArn"])
def test_tampered_self_signed_field_fails(signer: SnsSigner, version: str, key: str) -> None:
    env = signer.envelope(version=version)
    replacement = {
        "Message": signer.message(data=env["Message"].replace("5.0", "9.0")),
        "MessageId": "0f9b4bd5-5b63-5ae6-a9a3-bbcbd5dbb1a2",
        "Timestamp": "2026-11-22T11:59:59.501Z",
        "TopicArn": TOPIC + "X",
    }[key]
    env[key] = replacement
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "bad_signature"


def test_version_swap_fails(signer: SnsSigner) -> None:
    env = signer.envelope(version="1", SignatureVersion="2")
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "bad_signature"


def test_signature_from_another_key_fails(signer: SnsSigner) -> None:
    other = SnsSigner(key=new_key())
    env = other.envelope()
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "bad_signature"


@pytest.mark.parametrize("signature", ["not base64!!", "", "QUJD"])
def test_garbage_signature_fails(signer: SnsSigner, signature: str) -> None:
    env = signer.envelope(Signature=signature)
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "bad_signature"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "topic_mismatch"),
        ({"x-amz-sns-topic-arn": TOPIC + "2"}, "topic_mismatch"),
        ({"X-AMZ-SNS-TOPIC-ARN": TOPIC}, None),
        ({"X-Amz-Sns-Topic-Arn": TOPIC}, None),
    ],
)
def test_topic_header_case_insensitive(
    signer: SnsSigner, headers: dict[str, str], reason: str | None
) -> None:
    env = signer.envelope()
    verifier = verifier_for(signer)
    if reason is None:
        assert verifier.verify(signer.body(env), headers).message_id == env["MessageId"]
    else:
        assert reason_of(verifier, signer.body(env), headers) == reason


def test_subscription_confirmation_is_refused(signer: SnsSigner) -> None:
    env = signer.envelope(Type="SubscriptionConfirmation")
    reason = reason_of(verifier_for(signer), signer.body(env), signer.headers(env))
    assert reason == "unsupported_message_type"


def test_unknown_signature_version(signer: SnsSigner) -> None:
    env = signer.envelope(SignatureVersion="3")
    reason = reason_of(verifier_for(signer), signer.body(env), signer.headers(env))
    assert reason == "unsupported_signature_version"


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",  # http
        "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com/x.txt",  # not .pem
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.ab.amazonaws.com/x.pem",  # region part too short
        "https://127.0.0.1:8080/x.pem",
        "file:///etc/ssl/cert.pem",
        "not a url",
    ],
)
def test_certificate_url_not_allowed(signer: SnsSigner, url: str) -> None:
    env = signer.envelope(cert_url=url)
    reason = reason_of(verifier_for(signer), signer.body(env), signer.headers(env))
    assert reason == "certificate_url_not_allowed"
    assert signer.fetched == []


@pytest.mark.parametrize(
    ("rules", "url", "allowed"),
    [
        (["127.0.0.1:8080"], "http://127.0.0.1:8080/ipn/cert.pem", True),
        (["127.0.0.1:8080"], "https://127.0.0.1:8080/ipn/cert.pem", True),
        (["127.0.0.1:8080"], "http://127.0.0.1:8081/ipn/cert.pem", False),
        (["https://localhost:9000"], "http://localhost:9000/c.pem", False),
        (["https://localhost:9000"], "https://localhost:9000/c.pem", True),
        (["http://localhost:9000/"], "http://LOCALHOST:9000/c.pem", True),
    ],
)
def test_explicit_hosts_allow_http(
    signer: SnsSigner, rules: list[str], url: str, allowed: bool
) -> None:
    verifier = verifier_for(signer, allowed_cert_hosts=rules)
    env = signer.envelope(cert_url=url)
    if allowed:
        assert verifier.verify(signer.body(env), signer.headers(env))
        assert signer.fetched == [url]
    else:
        assert reason_of(verifier, signer.body(env), signer.headers(env)) == (
            "certificate_url_not_allowed"
        )


def test_certificate_is_fetched_once_per_url(signer: SnsSigner) -> None:
    verifier = verifier_for(signer)
    for n in range(3):
        env = signer.envelope(message_id=f"id-{n}")
        verifier.verify(signer.body(env), signer.headers(env))
    assert signer.fetched == [CERT_URL]


def test_fetch_failure_and_bad_pem(signer: SnsSigner) -> None:
    def broken(url: str) -> bytes:
        raise OSError("connection refused")

    env = signer.envelope()
    body, headers = signer.body(env), signer.headers(env)
    broken_verifier = IpnVerifier(fetch_certificate=broken, now=lambda: NOW)
    assert reason_of(broken_verifier, body, headers) == "certificate_unavailable"
    junk = IpnVerifier(fetch_certificate=lambda url: b"-----BEGIN JUNK-----", now=lambda: NOW)
    assert reason_of(junk, body, headers) == "certificate_invalid"


def test_certificate_validity_window(signer: SnsSigner) -> None:
    env = signer.envelope()
    body, headers = signer.body(env), signer.headers(env)
    too_early = verifier_for(signer, now=lambda: NOW - timedelta(days=2), max_age=None)
    assert reason_of(too_early, body, headers) == "certificate_expired"
    too_late = verifier_for(signer, now=lambda: NOW + timedelta(days=400), max_age=None)
    assert reason_of(too_late, body, headers) == "certificate_expired"
    unchecked = verifier_for(
        signer, now=lambda: NOW + timedelta(days=400), max_age=None, check_certificate_dates=False
    )
    assert unchecked.verify(body, headers)


def test_age_window(signer: SnsSigner) -> None:
    env = signer.envelope()
    body, headers = signer.body(env), signer.headers(env)
    assert verifier_for(signer, now=lambda: NOW + timedelta(minutes=59)).verify(body, headers)
    late = verifier_for(signer, now=lambda: NOW + timedelta(minutes=61))
    assert reason_of(late, body, headers) == "stale"
    early = verifier_for(signer, now=lambda: NOW - timedelta(minutes=10))
    assert reason_of(early, body, headers) == "stale"
    short = verifier_for(signer, max_age=timedelta(seconds=0))
    assert reason_of(short, body, headers) == "stale"


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"Type": "Notification"}', b"\xff\xfe", b'{"Type": 1}'],
)
def test_malformed_bodies(signer: SnsSigner, body: bytes) -> None:
    assert reason_of(verifier_for(signer), body, {}) == "malformed"


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '{"NotificationType": "PaymentRefund"}',
        '{"NotificationType": "PaymentRefund", "NotificationData": "<unclosed"}',
        '{"NotificationType": "PaymentRefund", "NotificationData": "<RefundNotification>'
        '<RefundDetails/></RefundNotification>"}',
        '{"NotificationType": "X", "NotificationData": "<!DOCTYPE a [<!ENTITY b \\"c\\">]><a/>"}',
    ],
)
def test_signed_but_malformed_message_is_malformed(signer: SnsSigner, message: str) -> None:
    env = signer.envelope(message=message)
    reason = reason_of(verifier_for(signer), signer.body(env), signer.headers(env))
    assert reason == "malformed"


def test_malformed_timestamp_after_valid_signature(signer: SnsSigner) -> None:
    env = signer.envelope(timestamp="yesterday")
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "malformed"


def test_unknown_notification_root_keeps_raw_xml(signer: SnsSigner) -> None:
    xml = "<ProviderCreditNotification><X/></ProviderCreditNotification>"
    env = signer.envelope(message=signer.message(data=xml, NotificationType="ProviderCredit"))
    note = verifier_for(signer).verify(signer.body(env), signer.headers(env))
    assert note.details is None
    assert note.notification_data == xml
    assert note.message["NotificationType"] == "ProviderCredit"


def test_message_is_not_parsed_before_the_signature_is_checked(
    signer: SnsSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    import clients.ipn as ipn_module

    monkeypatch.setattr(ipn_module, "parse_notification", lambda env: calls.append(env))
    env = signer.envelope(Signature="QUJD")
    assert reason_of(verifier_for(signer), signer.body(env), signer.headers(env)) == "bad_signature"
    assert calls == []
