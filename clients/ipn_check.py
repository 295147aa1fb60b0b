"""IPN endpoint conformance check: does a merchant's webhook accept genuine IPNs and refuse forgeries?

Posts a fixed battery of SNS deliveries (reference/amazon-wire.md §2.1 headers, §2.2 envelope,
§2.4 signature) to a URL and compares each answer with what a correct endpoint does: 2xx for
genuine notifications (duplicates included, §2.5), anything else for forgeries. The envelopes are
signed by an injected :class:`EnvelopeSigner`; the simulator supplies one holding its IPN key, so
``gateway ipn-check URL`` only has to call :func:`run_ipn_check`. No ``gateway`` imports.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from clients.ipn import string_to_sign
from clients.transport import utc_now

#: NotificationData namespace of IPNs (§2.3, https and /ipn/).
IPN_NAMESPACE = "https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01"


class EnvelopeSigner(Protocol):
    """Signs SNS strings to sign with the key behind ``cert_url``."""

    cert_url: str

    def sign(self, message: bytes, version: str) -> str:
        """Base64 signature of ``message``: SHA1withRSA for version "1", SHA256withRSA for "2"."""
        ...


@dataclass(frozen=True)
class RsaEnvelopeSigner:
    """An :class:`EnvelopeSigner` over an RSA private key (PKCS#1 v1.5, §2.4)."""

    private_key: rsa.RSAPrivateKey
    cert_url: str

    def sign(self, message: bytes, version: str) -> str:
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        raw = self.private_key.sign(message, padding.PKCS1v15(), algorithm)
        return base64.b64encode(raw).decode("ascii")


def refund_message(seller_id: str, now: datetime) -> str:
    """A PaymentRefund Message JSON (§2.3) for a made-up, Completed refund."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<RefundNotification xmlns="{IPN_NAMESPACE}">'
        "<RefundDetails><AmazonRefundId>S01-0000000-0000000-R000001</AmazonRefundId>"
        "<RefundReferenceId>ipn-check</RefundReferenceId><RefundType>SellerInitiated</RefundType>"
        "<RefundAmount><Amount>1.0</Amount><CurrencyCode>USD</CurrencyCode></RefundAmount>"
        "<FeeRefunded><Amount>0.0</Amount><CurrencyCode>USD</CurrencyCode></FeeRefunded>"
        f"<CreationTimestamp>{stamp}</CreationTimestamp><RefundStatus><State>Completed</State>"
        f"<LastUpdateTimestamp>{stamp}</LastUpdateTimestamp></RefundStatus>"
        "<SoftDescriptor>AMZ*ipncheck</SoftDescriptor></RefundDetails></RefundNotification>"
    )
    return json.dumps(
        {
            "NotificationReferenceId": str(uuid.uuid4()),
            "NotificationType": "PaymentRefund",
            "SellerId": seller_id,
            "ReleaseEnvironment": "Sandbox",
            "Version": "2013-01-01",
            "NotificationData": data,
            "Timestamp": stamp,
        }
    )


@dataclass(frozen=True)
class Delivery:
    """One HTTP delivery: body bytes and headers."""

    body: bytes
    headers: Mapping[str, str]


class EnvelopeFactory:
    """Builds signed (and deliberately broken) deliveries for one seller and topic."""

    def __init__(
        self, signer: EnvelopeSigner, seller_id: str, topic_arn: str, now: datetime
    ) -> None:
        self.signer, self.seller_id, self.topic_arn, self.now = signer, seller_id, topic_arn, now

    def envelope(
        self, *, version: str = "1", age: timedelta = timedelta(0), message_id: str | None = None
    ) -> dict[str, str]:
        """A correctly signed envelope, its Timestamp ``age`` in the past."""
        sent = self.now - age
        env = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": self.topic_arn,
            "Message": refund_message(self.seller_id, sent),
            "Timestamp": sent.strftime("%Y-%m-%dT%H:%M:%S.") + f"{sent.microsecond // 1000:03d}Z",
            "SignatureVersion": version,
            "SigningCertURL": self.signer.cert_url,
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        }
        env["Signature"] = self.signer.sign(string_to_sign(env), version)
        return env

    def deliver(self, env: Mapping[str, str], topic_header: str | None = None) -> Delivery:
        """The HTTP form SNS uses (§2.1)."""
        return Delivery(
            body=json.dumps(env).encode("utf-8"),
            headers={
                "x-amz-sns-message-type": env.get("Type", ""),
                "x-amz-sns-message-id": env.get("MessageId", ""),
                "x-amz-sns-topic-arn": topic_header or env.get("TopicArn", ""),
                "Content-Type": "text/plain; charset=UTF-8",
                "User-Agent": "Amazon Simple Notification Service Agent",
            },
        )


@dataclass(frozen=True)
class Case:
    """One check: how to build the deliveries, and whether the last one must be accepted.

    ``required=False`` marks recommended behaviour Amazon's own SDK does not enforce.
    """

    name: str
    description: str
    accept: bool
    build: Callable[[EnvelopeFactory], list[Delivery]]
    required: bool = True


def _tampered(factory: EnvelopeFactory, **changes: str) -> list[Delivery]:
    env = factory.envelope()
    env.update(changes)
    return [factory.deliver(env)]


def _duplicate(factory: EnvelopeFactory) -> list[Delivery]:
    delivery = factory.deliver(factory.envelope())
    return [delivery, delivery]


CASES: tuple[Case, ...] = (
    Case(
        "genuine_v1",
        "SignatureVersion 1 (SHA1withRSA)",
        True,
        lambda f: [f.deliver(f.envelope(version="1"))],
    ),
    Case(
        "genuine_v2",
        "SignatureVersion 2 (SHA256withRSA)",
        True,
        lambda f: [f.deliver(f.envelope(version="2"))],
    ),
    Case("duplicate", "the same MessageId delivered twice is acknowledged again", True, _duplicate),
    Case(
        "tampered_message",
        "Message changed after signing",
        False,
        lambda f: _tampered(f, Message=refund_message(f.seller_id, f.now).replace("1.0", "9.0")),
    ),
    Case(
        "tampered_timestamp",
        "Timestamp changed after signing",
        False,
        lambda f: _tampered(f, Timestamp="2000-01-01T00:00:00.000Z"),
    ),
    Case(
        "garbage_signature",
        "Signature is not a signature",
        False,
        lambda f: _tampered(f, Signature="AAAA"),
    ),
    Case(
        "foreign_certificate",
        "SigningCertURL on a host nobody trusts",
        False,
        lambda f: _tampered(f, SigningCertURL="https://attacker.invalid/cert.pem"),
    ),
    Case(
        "topic_mismatch",
        "x-amz-sns-topic-arn header differs from TopicArn",
        False,
        lambda f: [f.deliver(f.envelope(), topic_header=f.topic_arn + "-other")],
    ),
    Case(
        "not_json",
        "body is not an SNS envelope",
        False,
        lambda f: [Delivery(b"not json", f.deliver(f.envelope()).headers)],
    ),
    Case(
        "stale",
        "correctly signed but two hours old",
        False,
        lambda f: [f.deliver(f.envelope(age=timedelta(hours=2)))],
        required=False,
    ),
)


@dataclass(frozen=True)
class CaseResult:
    """The answer to one case: ``passed`` when it matched what a correct endpoint does."""

    case: Case
    status: int | None
    detail: str

    @property
    def passed(self) -> bool:
        accepted = self.status is not None and 200 <= self.status < 300
        return accepted == self.case.accept


def run_ipn_check(
    url: str,
    signer: EnvelopeSigner,
    *,
    seller_id: str = "A2SANDBOXSELLER",
    topic_arn: str | None = None,
    cases: tuple[Case, ...] = CASES,
    session: requests.Session | None = None,
    timeout: float = 10,
    now: Callable[[], datetime] = utc_now,
) -> list[CaseResult]:
    """POST every case to ``url``; one result per case (transport errors count as no answer)."""
    http = session or requests.Session()
    topic = topic_arn or f"arn:aws:sns:us-east-1:291180941288:A3BXB0YN3XH17H{seller_id}"
    factory = EnvelopeFactory(signer, seller_id, topic, now())
    results = []
    for case in cases:
        status: int | None = None
        detail = ""
        try:
            for delivery in case.build(factory):
                response = http.post(
                    url, data=delivery.body, headers=dict(delivery.headers), timeout=timeout
                )
                status, detail = response.status_code, response.text[:200].strip()
        except requests.RequestException as exc:
            status, detail = None, f"{type(exc).__name__}: {exc}"
        results.append(CaseResult(case, status, detail))
    return results


def format_report(results: list[CaseResult]) -> str:
    """A plain-text table, one line per case, and a verdict line."""
    lines = []
    for result in results:
        mark = "PASS" if result.passed else ("FAIL" if result.case.required else "WARN")
        want = "accept" if result.case.accept else "refuse"
        got = "no answer" if result.status is None else f"HTTP {result.status}"
        lines.append(
            f"{mark}  {result.case.name:<20} want {want:<6} got {got:<10} {result.case.description}"
        )
    failed = [r for r in results if not r.passed and r.case.required]
    lines.append("conformant" if not failed else f"{len(failed)} required check(s) failed")
    return "\n".join(lines)
