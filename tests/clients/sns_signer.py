"""Test helper: a throwaway RSA key + self-signed certificate that signs SNS envelopes (§2.4)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from clients.ipn_check import RsaEnvelopeSigner
from clients.ipn_signing import sns_string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:us-east-1:291180941288:A3BXB0YN3XH17HSELLER1"
NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

REFUND_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<RefundNotification xmlns="https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01">'
    "<RefundDetails><AmazonRefundId>S01-1111111-2222222-R000001</AmazonRefundId>"
    "<RefundReferenceId>ref1</RefundReferenceId><RefundType>SellerInitiated</RefundType>"
    "<RefundAmount><Amount>5.0</Amount><CurrencyCode>USD</CurrencyCode></RefundAmount>"
    "<FeeRefunded><Amount>0.0</Amount><CurrencyCode>USD</CurrencyCode></FeeRefunded>"
    "<CreationTimestamp>2026-11-22T11:59:00.000Z</CreationTimestamp>"
    "<RefundStatus><State>Completed</State>"
    "<LastUpdateTimestamp>2026-11-22T11:59:30.000Z</LastUpdateTimestamp></RefundStatus>"
    "<SoftDescriptor>AMZ*shop</SoftDescriptor></RefundDetails></RefundNotification>"
)


def make_certificate(
    key: rsa.RSAPrivateKey, not_before: datetime, not_after: datetime
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def shared_key() -> rsa.RSAPrivateKey:
    """One key for the whole run (generating 2048-bit keys is the slow part of these tests)."""
    return new_key()


@dataclass
class SnsSigner:
    key: rsa.RSAPrivateKey = field(default_factory=shared_key)
    not_before: datetime = NOW - timedelta(days=1)
    not_after: datetime = NOW + timedelta(days=365)

    def __post_init__(self) -> None:
        self.certificate = make_certificate(self.key, self.not_before, self.not_after)
        self.fetched: list[str] = []

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem

    def message(self, data: str = REFUND_XML, **extra: Any) -> str:
        inner = {
            "NotificationReferenceId": "ref-0001",
            "MarketplaceID": "A3BXB0YN3XH17H",
            "NotificationType": "PaymentRefund",
            "SellerId": "SELLER1",
            "ReleaseEnvironment": "Sandbox",
            "Version": "2013-01-01",
            "NotificationData": data,
            "Timestamp": "2026-11-22T11:59:59.000Z",
        }
        inner.update(extra)
        return json.dumps(inner)

    def envelope(
        self,
        *,
        version: str = "1",
        message: str | None = None,
        timestamp: str = "2026-11-22T11:59:59.500Z",
        message_id: str = "0f9b4bd5-5b63-5ae6-a9a3-bbcbd5dbb1a1",
        subject: str | None = None,
        cert_url: str = CERT_URL,
        **overrides: str,
    ) -> dict[str, str]:
        """A signed envelope; ``overrides`` replace fields *after* signing (tampering)."""
        env = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": TOPIC,
            "Message": message if message is not None else self.message(),
            "Timestamp": timestamp,
            "SignatureVersion": version,
            "SigningCertURL": cert_url,
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        }
        if subject is not None:
            env["Subject"] = subject
        env["Signature"] = RsaEnvelopeSigner(self.key, cert_url).sign(
            sns_string_to_sign(env), version
        )
        env.update(overrides)
        return env

    @staticmethod
    def headers(env: dict[str, str]) -> dict[str, str]:
        return {
            "x-amz-sns-message-type": env.get("Type", ""),
            "x-amz-sns-message-id": env.get("MessageId", ""),
            "x-amz-sns-topic-arn": env.get("TopicArn", ""),
            "Content-Type": "text/plain; charset=UTF-8",
        }

    @staticmethod
    def body(env: dict[str, str]) -> bytes:
        return json.dumps(env).encode("utf-8")
