"""Verify Amazon Pay IPNs (SNS HTTP notifications) before anything reads their content.

Order of checks (reference/amazon-wire.md §2.1, §2.4; the official SDK's order in §2.4):
envelope shape → ``x-amz-sns-topic-arn`` header equals ``TopicArn`` (case-insensitive header
name) → ``Type`` is ``Notification`` → ``SigningCertURL`` allowed → certificate fetched (cached)
and in its validity period → RSA signature over the SNS string to sign (SignatureVersion 1:
SHA1withRSA, 2: SHA256withRSA) → timestamp age → only then the Message JSON and its
NotificationData XML are parsed. Every failure is one :class:`IpnVerificationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from clients import _xml
from clients.certs import (
    AMAZON_SNS_HOST,
    CertificateStore,
    Fetcher,
    HostRule,
    check_validity,
    verify_rsa,
)
from clients.errors import IpnVerificationError
from clients.ipn_signing import SNS_DIGESTS, sns_string_to_sign
from clients.notifications import Notification, parse_envelope, parse_notification
from clients.transport import utc_now

#: How far in the future a Timestamp may lie (clock skew) before it counts as bad.
FUTURE_SKEW = timedelta(minutes=5)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (plain dicts included)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class SnsVerifier:
    """The SNS checks every Amazon Pay IPN passes, whatever its Message: Off-Amazon Payments
    (:class:`IpnVerifier`) and API v2 (:class:`clients.amazon_pay_v2.ipn.IpnV2Verifier`).

    :param allowed_cert_hosts: allow-list of certificate hosts (see :data:`clients.certs.HostRule`);
        default: Amazon's ``sns.<region>.amazonaws.com(.cn)`` over https.
    :param fetch_certificate: returns the PEM bytes of a URL (default: ``requests``); results are
        cached by URL.
    :param max_age: oldest acceptable envelope ``Timestamp``; ``None`` skips the age check.
    :param now: clock (aware UTC datetimes), for tests.
    :param check_certificate_dates: reject certificates outside their validity period.
    """

    def __init__(
        self,
        allowed_cert_hosts: Iterable[HostRule] = (AMAZON_SNS_HOST,),
        fetch_certificate: Fetcher | None = None,
        *,
        max_age: timedelta | None = timedelta(hours=1),
        now: Callable[[], datetime] = utc_now,
        check_certificate_dates: bool = True,
    ) -> None:
        self.certificates = CertificateStore(allowed_cert_hosts, fetch_certificate)
        self.max_age = max_age
        self.now = now
        self.check_certificate_dates = check_certificate_dates

    def verify_envelope(self, body: bytes | str, headers: Mapping[str, str]) -> dict[str, str]:
        """Every check but the Message's content; the envelope's fields, to parse next."""
        envelope = parse_envelope(body)
        topic = header(headers, "x-amz-sns-topic-arn")
        if topic != envelope["TopicArn"]:
            raise IpnVerificationError(
                "topic_mismatch", f"header {topic!r} != body {envelope['TopicArn']!r}"
            )
        if envelope["Type"] != "Notification":
            raise IpnVerificationError("unsupported_message_type", envelope["Type"])
        digest = SNS_DIGESTS.get(envelope["SignatureVersion"])
        if digest is None:
            raise IpnVerificationError(
                "unsupported_signature_version", envelope["SignatureVersion"]
            )
        certificate = self.certificates.certificate(envelope["SigningCertURL"])
        if self.check_certificate_dates:
            check_validity(certificate, self.now())
        verify_rsa(certificate, envelope["Signature"], sns_string_to_sign(envelope), digest)
        self._check_age(envelope["Timestamp"])
        return envelope

    def _check_age(self, value: str) -> None:
        if self.max_age is None:
            return
        try:
            sent = _xml.timestamp(value)
        except _xml.XmlError as exc:
            raise IpnVerificationError("malformed", str(exc)) from exc
        if sent is None or sent.tzinfo is None:
            raise IpnVerificationError("malformed", f"bad Timestamp {value!r}")
        age = self.now() - sent
        if age > self.max_age or age < -FUTURE_SKEW:
            raise IpnVerificationError("stale", f"Timestamp {value} is {age} old")


class IpnVerifier(SnsVerifier):
    """Verifies SNS-delivered Off-Amazon Payments IPNs and returns typed notifications."""

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> Notification:
        """Verify one delivery (raw body + request headers) and parse it."""
        return parse_notification(self.verify_envelope(body, headers))
