"""Exceptions raised by the client toolkit. No I/O and no imports from ``gateway`` or Flask.

Every error *answer* of the Off-Amazon Payments or FPS APIs becomes one :class:`AmazonPayError`,
of API v2 one :class:`AmazonPayV2Error`;
every failed IPN check becomes one :class:`IpnVerificationError` (parse errors included, so a
caller needs exactly one ``except``; STYLE.md §7.17).
"""

from __future__ import annotations


class ClientError(Exception):
    """Base class of everything the ``clients`` package raises on purpose."""


class AmazonPayError(ClientError):
    """An error answer of the Off-Amazon Payments or FPS API.

    Built from ``ErrorResponse/Error/{Type,Code,Message}`` + ``RequestId``/``RequestID``
    (reference §1.3) or FPS ``Response/Errors/Error/{Code,Message}`` + ``RequestID`` (§4.4).
    ``type`` is ``Sender``/``Receiver`` for Off-Amazon Payments, ``None`` for FPS and for
    answers that were not XML at all.
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int,
        request_id: str | None = None,
        type: str | None = None,  # the wire calls it Type
    ) -> None:
        super().__init__(f"{code} (HTTP {http_status}): {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.type = type


class MalformedResponseError(AmazonPayError):
    """A 200 answer whose body is not the XML the operation answers with (``MalformedResponse``)."""

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__("MalformedResponse", message, http_status)


class AmazonPayV2Error(ClientError):
    """An error answer of Amazon Pay API v2: its HTTP status and JSON ``reasonCode``/``message``
    (reference/amazon-pay-v2.md §5), after the client's retries.

    An answer that is not that JSON gets ``reason_code`` ``MalformedResponse`` and its text as the
    message. ``request_id`` is the ``x-amz-pay-request-id`` header when the answer has one;
    ``body`` the decoded JSON (or ``None``).
    """

    def __init__(
        self,
        status: int,
        reason_code: str,
        message: str,
        *,
        request_id: str | None = None,
        body: dict[str, object] | None = None,
    ) -> None:
        super().__init__(f"{reason_code} (HTTP {status}): {message}")
        self.status = status
        self.reason_code = reason_code
        self.message = message
        self.request_id = request_id
        self.body = body


class IpnVerificationError(ClientError):
    """An IPN that must not be trusted. ``reason`` is a stable, machine-readable code.

    Reasons used: ``malformed``, ``topic_mismatch``, ``unsupported_message_type``,
    ``certificate_url_not_allowed``, ``certificate_unavailable``, ``certificate_invalid``,
    ``certificate_expired``, ``unsupported_signature_version``, ``bad_signature``, ``stale``,
    ``remote_verification_failed``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
