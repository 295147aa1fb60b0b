"""Verify FPS IPNs: form-encoded POSTs signed with RSA-SHA1 over a SigV2-style string.

Reference/amazon-wire.md §4.6: parameters ``signatureVersion=2``, ``signatureMethod=RSA-SHA1``,
``certificateUrl``, ``signature``; the signed string is
``POST\\n<host>\\n<path>\\n<sorted RFC 3986 params except signature>`` over the IPN URL (the same
canonical form as request signing; :mod:`clients.ipn_signing` builds it, for the simulator too).
Verification is local (certificate fetched through the allow-listed cache of
:mod:`clients.certs`) or remote (FPS ``VerifySignature`` through :class:`clients.fps.FpsClient`,
what Amazon required after 2011). Every failure raises :class:`IpnVerificationError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

import requests

from clients.certs import CertificateStore, Fetcher, HostRule, check_validity, verify_rsa
from clients.errors import AmazonPayError, IpnVerificationError
from clients.fps import FpsClient
from clients.fps_responses import FpsAmount
from clients.ipn_signing import (
    FPS_DIGEST,
    FPS_SIGNATURE_METHOD,
    FPS_SIGNATURE_VERSION,
    fps_string_to_sign,
)
from clients.transport import utc_now

#: Amazon's FPS hosts (§4.6 ``certificateUrl`` is on fps[.sandbox].amazonaws.com), https only.
AMAZON_FPS_HOST = re.compile(r"^fps(\.sandbox)?\.amazonaws\.com$")


@dataclass(frozen=True)
class FpsNotification:
    """One FPS IPN's parameters (lowerCamelCase on the wire, §4.6); ``params`` keeps them all."""

    notification_type: str | None
    transaction_id: str | None
    transaction_status: str | None
    status_code: str | None
    status_message: str | None
    operation: str | None
    caller_reference: str | None
    payment_method: str | None
    transaction_amount: FpsAmount | None
    transaction_date: datetime | None
    params: Mapping[str, str] = field(default_factory=dict, compare=False)


def parse_params(body: bytes | str) -> dict[str, str]:
    """Decode a form body (``malformed`` when it is not UTF-8 form data)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IpnVerificationError("malformed", f"not a form body: {exc}") from exc


def _amount(value: str | None) -> FpsAmount | None:
    """``"USD 1.100000"`` → FpsAmount (§4.6)."""
    if not value:
        return None
    currency, _, number = value.strip().partition(" ")
    try:
        return FpsAmount(value=Decimal(number), currency_code=currency)
    except InvalidOperation as exc:
        raise IpnVerificationError("malformed", f"bad transactionAmount {value!r}") from exc


def _epoch(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError) as exc:
        raise IpnVerificationError("malformed", f"bad transactionDate {value!r}") from exc


def parse_fps_notification(params: Mapping[str, str]) -> FpsNotification:
    """Typed view of IPN parameters. Does **not** verify; use :class:`FpsIpnVerifier`."""
    return FpsNotification(
        notification_type=params.get("notificationType"),
        transaction_id=params.get("transactionId"),
        transaction_status=params.get("transactionStatus"),
        status_code=params.get("statusCode"),
        status_message=params.get("statusMessage"),
        operation=params.get("operation"),
        caller_reference=params.get("callerReference"),
        payment_method=params.get("paymentMethod"),
        transaction_amount=_amount(params.get("transactionAmount")),
        transaction_date=_epoch(params.get("transactionDate")),
        params=dict(params),
    )


class FpsIpnVerifier:
    """Verifies FPS IPNs locally (certificate) or remotely (``VerifySignature``).

    :param remote: an :class:`FpsClient`; when given, every IPN is checked by calling FPS
        ``VerifySignature`` and no certificate is fetched.
    :param allowed_cert_hosts: allow-list for ``certificateUrl`` (local mode), see
        :data:`clients.certs.HostRule`; default Amazon's FPS hosts over https.
    """

    def __init__(
        self,
        allowed_cert_hosts: Iterable[HostRule] = (AMAZON_FPS_HOST,),
        fetch_certificate: Fetcher | None = None,
        *,
        remote: FpsClient | None = None,
        now: Callable[[], datetime] = utc_now,
        check_certificate_dates: bool = True,
    ) -> None:
        self.certificates = CertificateStore(allowed_cert_hosts, fetch_certificate)
        self.remote = remote
        self.now = now
        self.check_certificate_dates = check_certificate_dates

    def verify(self, body: bytes | str, url: str) -> FpsNotification:
        """Verify the raw POST ``body`` received at ``url`` (the IPN URL as FPS addressed it)."""
        params = parse_params(body)
        if self.remote is not None:
            self._verify_remotely(self.remote, body, url)
        else:
            self._verify_locally(params, url)
        return parse_fps_notification(params)

    def _verify_locally(self, params: Mapping[str, str], url: str) -> None:
        missing = [k for k in ("signature", "certificateUrl") if not params.get(k)]
        if missing:
            raise IpnVerificationError("malformed", f"missing {missing}")
        version, method = params.get("signatureVersion"), params.get("signatureMethod")
        if (version, method) != (FPS_SIGNATURE_VERSION, FPS_SIGNATURE_METHOD):
            raise IpnVerificationError("unsupported_signature_version", f"{version}/{method}")
        certificate = self.certificates.certificate(params["certificateUrl"])
        if self.check_certificate_dates:
            check_validity(certificate, self.now())
        message = fps_string_to_sign(url, params)
        verify_rsa(certificate, params["signature"], message, FPS_DIGEST)

    @staticmethod
    def _verify_remotely(remote: FpsClient, body: bytes | str, url: str) -> None:
        raw = body.decode("utf-8") if isinstance(body, bytes) else body
        try:
            verdict = remote.verify_signature(url, raw)
        except (AmazonPayError, requests.RequestException) as exc:
            raise IpnVerificationError("remote_verification_failed", str(exc)) from exc
        if not verdict.verified:
            raise IpnVerificationError("bad_signature", verdict.verification_status)
