"""IPN endpoint conformance check: does a merchant's webhook accept genuine IPNs and refuse forgeries?

Posts a fixed battery of SNS deliveries (reference/amazon-wire.md §2.1 headers, §2.2 envelope,
§2.4 signature) to a URL and compares each answer with what a correct endpoint does: 2xx for
genuine notifications (duplicates included, §2.5), anything else for forgeries. The envelopes are
signed by an injected :class:`EnvelopeSigner`; the simulator supplies one holding its IPN key, so
``gateway ipn-check URL`` only has to call :func:`run_ipn_check`. No ``gateway`` imports.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from clients.ipn_signing import (
    OFF_ALLOW_LIST_CERT_URL,
    SNS_DIGESTS,
    broken_signature,
    rsa_sign,
    sns_string_to_sign,
)
from clients.transport import utc_now

#: NotificationData namespace of IPNs (§2.3, https and /ipn/).
IPN_NAMESPACE = "https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01"


class EnvelopeSigner(Protocol):
    """Signs SNS strings to sign with the key behind ``cert_url``."""

    @property
    def cert_url(self) -> str:
        """Where the certificate of the signing key is served (SigningCertURL)."""
        ...

    def sign(self, message: bytes, version: str) -> str:
        """Base64 signature of ``message``: SHA1withRSA for version "1", SHA256withRSA for "2"."""
        ...


@dataclass(frozen=True)
class RsaEnvelopeSigner:
    """An :class:`EnvelopeSigner` over an RSA private key (PKCS#1 v1.5, §2.4)."""

    private_key: rsa.RSAPrivateKey
    cert_url: str

    def sign(self, message: bytes, version: str) -> str:
        raw = rsa_sign(self.private_key, message, SNS_DIGESTS[version])
        return base64.b64encode(raw).decode("ascii")


#: The simulator's sandbox endpoint that serves its IPN signing key and SigningCertURL (JSON
#: ``{"key_pem", "signing_cert_url"}``).
SIGNING_KEY_PATH = "/sandbox/api/v1/ipn/signing-key"


class SignerUnavailable(Exception):
    """No signing key where one was looked for; the message says where and what to do."""


def rsa_signer_from_pem(key_pem: bytes, cert_url: str) -> RsaEnvelopeSigner:
    """A signer over the first private key in ``key_pem`` (a key file may also hold the
    certificate)."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignerUnavailable("the IPN signing key is not an RSA key")
    return RsaEnvelopeSigner(key, cert_url)


def fetch_simulator_signer(
    simulator_url: str, timeout: float = 10.0, token: str | None = None
) -> RsaEnvelopeSigner:
    """The running simulator's own signer: its key and SigningCertURL, fetched from it.

    ``token`` is the simulator's admin token, needed where it requires one (it listens beyond
    loopback, or was told to require tokens)."""
    url = simulator_url.rstrip("/") + SIGNING_KEY_PATH
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.get(url, timeout=timeout, headers=headers)
    except requests.RequestException as exc:
        raise SignerUnavailable(
            f"no simulator answered at {simulator_url} ({type(exc).__name__}): start "
            "`gateway serve`, or pass --simulator URL (or --data-dir DIR of the simulator)"
        ) from None
    if response.status_code in (401, 403):
        raise SignerUnavailable(
            f"{url} answered {response.status_code}: the simulator needs its admin token; pass "
            "--token (or set GATEWAY_ADMIN_TOKEN)"
        )
    if response.status_code != 200:
        raise SignerUnavailable(
            f"{url} answered {response.status_code}, not a signing key: is {simulator_url} "
            "a gateway simulator? pass --simulator URL or --data-dir DIR"
        )
    document = response.json()
    return rsa_signer_from_pem(document["key_pem"].encode("ascii"), document["signing_cert_url"])


def refund_message(seller_id: str, now: datetime, state: str = "Completed") -> str:
    """A PaymentRefund Message JSON (§2.3) for a made-up refund in ``state``."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<RefundNotification xmlns="{IPN_NAMESPACE}">'
        "<RefundDetails><AmazonRefundId>S01-0000000-0000000-R000001</AmazonRefundId>"
        "<RefundReferenceId>ipn-check</RefundReferenceId><RefundType>SellerInitiated</RefundType>"
        "<RefundAmount><Amount>1.0</Amount><CurrencyCode>USD</CurrencyCode></RefundAmount>"
        "<FeeRefunded><Amount>0.0</Amount><CurrencyCode>USD</CurrencyCode></FeeRefunded>"
        f"<CreationTimestamp>{stamp}</CreationTimestamp><RefundStatus><State>{state}</State>"
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
    """One HTTP delivery: body bytes and headers; ``chunk_delay`` trickles the body (slow send)."""

    body: bytes
    headers: Mapping[str, str]
    chunk_delay: float = 0.0


class EnvelopeFactory:
    """Builds signed (and deliberately broken) deliveries for one seller and topic."""

    def __init__(
        self, signer: EnvelopeSigner, seller_id: str, topic_arn: str, now: datetime
    ) -> None:
        self.signer, self.seller_id, self.topic_arn, self.now = signer, seller_id, topic_arn, now

    def envelope(
        self,
        *,
        version: str = "1",
        age: timedelta = timedelta(0),
        message_id: str | None = None,
        signer: EnvelopeSigner | None = None,
        state: str = "Completed",
    ) -> dict[str, str]:
        """A correctly signed envelope, its Timestamp ``age`` in the past."""
        sent = self.now - age
        env = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": self.topic_arn,
            "Message": refund_message(self.seller_id, sent, state),
            "Timestamp": sent.strftime("%Y-%m-%dT%H:%M:%S.") + f"{sent.microsecond // 1000:03d}Z",
            "SignatureVersion": version,
            "SigningCertURL": self.signer.cert_url,
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        }
        env["Signature"] = (signer or self.signer).sign(sns_string_to_sign(env), version)
        return env

    def deliver(
        self, env: Mapping[str, str], topic_header: str | None = None, chunk_delay: float = 0.0
    ) -> Delivery:
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
            chunk_delay=chunk_delay,
        )


@dataclass(frozen=True)
class Case:
    """One check: how to build its deliveries, and whether a correct endpoint accepts each.

    ``expect`` has one entry per delivery ``build`` returns: True where a correct endpoint
    answers 2xx, False where it must refuse. ``required=False`` marks recommended behaviour
    Amazon's own SDK does not enforce.
    """

    name: str
    description: str
    expect: tuple[bool, ...]
    build: Callable[[EnvelopeFactory], list[Delivery]]
    required: bool = True

    @property
    def accept(self) -> bool:
        """Whether every delivery of the case is to be accepted."""
        return all(self.expect)


def _tampered(factory: EnvelopeFactory, **changes: str) -> list[Delivery]:
    env = factory.envelope()
    env.update(changes)
    return [factory.deliver(env)]


def _duplicate(factory: EnvelopeFactory) -> list[Delivery]:
    delivery = factory.deliver(factory.envelope())
    return [delivery, delivery]


def _out_of_order(factory: EnvelopeFactory) -> list[Delivery]:
    # The later change arrives first (SNS does not order deliveries, reference §2.5): both are
    # genuine, so both are acknowledged; the receiver reads the current state with Get…Details.
    newer = factory.envelope(state="Completed")
    older = factory.envelope(state="Pending", age=timedelta(seconds=60))
    return [factory.deliver(newer), factory.deliver(older)]


#: Far above any SNS message (256 KB): a receiver must refuse it and keep working.
LARGE_BODY_BYTES = 2 * 1024 * 1024


def _large_then_genuine(factory: EnvelopeFactory) -> list[Delivery]:
    genuine = factory.deliver(factory.envelope())
    junk = Delivery(b"{" + b" " * LARGE_BODY_BYTES + b"}", genuine.headers)
    return [junk, factory.deliver(factory.envelope())]


def _foreign_key(factory: EnvelopeFactory) -> list[Delivery]:
    stranger = RsaEnvelopeSigner(
        rsa.generate_private_key(public_exponent=65537, key_size=2048), factory.signer.cert_url
    )
    return [factory.deliver(factory.envelope(signer=stranger))]


CASES: tuple[Case, ...] = (
    Case(
        "genuine_v1",
        "SignatureVersion 1 (SHA1withRSA)",
        (True,),
        lambda f: [f.deliver(f.envelope(version="1"))],
    ),
    Case(
        "genuine_v2",
        "SignatureVersion 2 (SHA256withRSA)",
        (True,),
        lambda f: [f.deliver(f.envelope(version="2"))],
    ),
    Case(
        "duplicate",
        "the same MessageId delivered twice is acknowledged again",
        (True, True),
        _duplicate,
    ),
    Case(
        "out_of_order",
        "a later change delivered before an earlier one: both acknowledged",
        (True, True),
        _out_of_order,
    ),
    Case(
        "tampered_message",
        "Message changed after signing",
        (False,),
        lambda f: _tampered(f, Message=refund_message(f.seller_id, f.now).replace("1.0", "9.0")),
    ),
    Case(
        "tampered_timestamp",
        "Timestamp changed after signing",
        (False,),
        lambda f: _tampered(f, Timestamp="2000-01-01T00:00:00.000Z"),
    ),
    Case(
        "garbage_signature",
        "Signature is not a signature",
        (False,),
        lambda f: _tampered(f, Signature="AAAA"),
    ),
    Case(
        "wrong_key",
        "well-formed signature made with another key",
        (False,),
        _foreign_key,
    ),
    Case(
        "foreign_certificate",
        "SigningCertURL on a host nobody trusts",
        (False,),
        lambda f: _tampered(f, SigningCertURL="https://attacker.invalid/cert.pem"),
    ),
    Case(
        "broken_signature",
        "a well-formed signature one byte off (the simulator's bad_signature IPN fault)",
        (False,),
        lambda f: _tampered(f, Signature=broken_signature(f.envelope()["Signature"])),
    ),
    Case(
        "lookalike_certificate",
        "SigningCertURL on a host that only starts like Amazon's (the bad_cert_url IPN fault)",
        (False,),
        lambda f: _tampered(f, SigningCertURL=OFF_ALLOW_LIST_CERT_URL),
    ),
    Case(
        "topic_mismatch",
        "x-amz-sns-topic-arn header differs from TopicArn",
        (False,),
        lambda f: [f.deliver(f.envelope(), topic_header=f.topic_arn + "-other")],
    ),
    Case(
        "not_json",
        "body is not an SNS envelope",
        (False,),
        lambda f: [Delivery(b"not json", f.deliver(f.envelope()).headers)],
    ),
    Case(
        "large_body",
        "a 2 MiB body is refused, and a genuine notification after it still accepted",
        (False, True),
        _large_then_genuine,
    ),
    Case(
        "slow_send",
        "a genuine notification whose body trickles in over about 2 s",
        (True,),
        lambda f: [f.deliver(f.envelope(), chunk_delay=0.25)],
    ),
    Case(
        "stale",
        "correctly signed but two hours old",
        (False,),
        lambda f: [f.deliver(f.envelope(age=timedelta(hours=2)))],
        required=False,
    ),
)


@dataclass(frozen=True)
class Answer:
    """What the endpoint answered one delivery: HTTP status (None: no answer) and a snippet."""

    status: int | None
    detail: str

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class CaseResult:
    """The answers to one case: ``passed`` when each matched what a correct endpoint does."""

    case: Case
    answers: tuple[Answer, ...]

    @property
    def status(self) -> int | None:
        """The status of the case's last delivery."""
        return self.answers[-1].status if self.answers else None

    @property
    def passed(self) -> bool:
        return len(self.answers) == len(self.case.expect) and all(
            answer.accepted == expected
            for answer, expected in zip(self.answers, self.case.expect, strict=False)
        )

    def as_json(self) -> dict[str, object]:
        return {
            "case": self.case.name,
            "description": self.case.description,
            "required": self.case.required,
            "passed": self.passed,
            "deliveries": [
                {"expected": "accept" if e else "refuse", "status": a.status, "detail": a.detail}
                for a, e in zip(self.answers, self.case.expect, strict=False)
            ],
        }


def _post(http: requests.Session, url: str, delivery: Delivery, timeout: float) -> Answer:
    try:
        if delivery.chunk_delay:
            return _post_slowly(url, delivery, timeout)
        response = http.post(
            url, data=delivery.body, headers=dict(delivery.headers), timeout=timeout
        )
        return Answer(response.status_code, response.text[:200].strip())
    except (requests.RequestException, OSError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}")


#: A slow send's body is cut in this many pieces, ``chunk_delay`` apart.
SLOW_CHUNKS = 8


def _post_slowly(url: str, delivery: Delivery, timeout: float) -> Answer:
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=timeout)
    try:
        connection.putrequest("POST", parts.path or "/")
        for name, value in delivery.headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(delivery.body)))
        connection.endheaders()
        size = -(-len(delivery.body) // SLOW_CHUNKS)
        for low in range(0, len(delivery.body), size):
            time.sleep(delivery.chunk_delay)  # the point of the case: a slow sender
            connection.send(delivery.body[low : low + size])
        response = connection.getresponse()
        return Answer(response.status, response.read(200).decode("utf-8", "replace").strip())
    finally:
        connection.close()


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
    http_session = session or requests.Session()
    topic = topic_arn or f"arn:aws:sns:us-east-1:291180941288:A3BXB0YN3XH17H{seller_id}"
    factory = EnvelopeFactory(signer, seller_id, topic, now())
    return [
        CaseResult(
            case,
            tuple(_post(http_session, url, d, timeout) for d in case.build(factory)),
        )
        for case in cases
    ]


def results_json(results: list[CaseResult]) -> str:
    """The results as JSON: one object per case, and whether the endpoint is conformant."""
    failed = [r.case.name for r in results if not r.passed and r.case.required]
    document = {
        "conformant": not failed,
        "failed": failed,
        "cases": [r.as_json() for r in results],
    }
    return json.dumps(document, indent=2)


def format_report(results: list[CaseResult]) -> str:
    """A plain-text table, one line per case, and a verdict line."""
    lines = []
    for result in results:
        mark = "PASS" if result.passed else ("FAIL" if result.case.required else "WARN")
        want = "/".join("accept" if e else "refuse" for e in result.case.expect)
        got = ", ".join(
            "no answer" if a.status is None else f"HTTP {a.status}" for a in result.answers
        )
        lines.append(
            f"{mark}  {result.case.name:<20} want {want:<6} got {got:<18} {result.case.description}"
        )
    failed = [r for r in results if not r.passed and r.case.required]
    lines.append("conformant" if not failed else f"{len(failed)} required check(s) failed")
    return "\n".join(lines)
