"""SNS IPN envelope + inner Message → typed :class:`Notification`. Parsing only, no verification.

Call it directly only on bodies that are already trusted (tests, replay of stored IPNs); for
anything received over the network use :class:`clients.ipn.IpnVerifier`, which verifies first
(STYLE.md §7.17). Shapes: reference/amazon-wire.md §2.2 (envelope), §2.3 (Message keys,
NotificationData root → inner element). Every failure is ``IpnVerificationError("malformed")``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clients import _xml
from clients._xml import Element
from clients.errors import IpnVerificationError
from clients.responses import (
    AuthorizationDetails,
    CaptureDetails,
    OrderReferenceDetails,
    Price,
    RefundDetails,
    parse_authorization_details,
    parse_capture_details,
    parse_order_reference_details,
    parse_price,
    parse_refund_details,
)

#: Envelope keys a Notification must carry as strings (§2.2).
ENVELOPE_KEYS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
)


@dataclass(frozen=True)
class ChargebackDetails:
    """``ChargebackNotification/ChargebackDetails`` (sample ChargebackNotification_Service.json)."""

    amazon_chargeback_id: str
    amazon_order_reference_id: str | None
    amazon_capture_reference_id: str | None
    creation_timestamp: datetime | None
    chargeback_amount: Price | None
    chargeback_state: str | None
    chargeback_reason: str | None


#: What :attr:`Notification.details` can hold.
Details = (
    OrderReferenceDetails
    | AuthorizationDetails
    | CaptureDetails
    | RefundDetails
    | ChargebackDetails
)


@dataclass(frozen=True)
class Notification:
    """One Amazon Pay IPN.

    ``timestamp`` is the (signed) SNS envelope time; ``message_timestamp`` the inner Message's.
    ``details`` is the parsed inner element for the known NotificationData roots, else None;
    ``notification_data`` always keeps the raw XML and ``message`` the decoded Message JSON.
    """

    message_id: str
    topic_arn: str
    timestamp: datetime
    notification_type: str
    seller_id: str | None
    release_environment: str | None
    notification_reference_id: str | None
    marketplace_id: str | None
    version: str | None
    is_sample: bool
    message_timestamp: datetime | None
    notification_data: str
    details: Details | None
    message: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _parse_chargeback(element: Element, _request_id: str | None = None) -> ChargebackDetails:
    return ChargebackDetails(
        amazon_chargeback_id=_xml.required_text(element, "AmazonChargebackId"),
        amazon_order_reference_id=_xml.text(element, "AmazonOrderReferenceId"),
        amazon_capture_reference_id=_xml.text(element, "AmazonCaptureReferenceId"),
        creation_timestamp=_xml.timestamp(_xml.text(element, "CreationTimestamp")),
        chargeback_amount=parse_price(_xml.child(element, "ChargebackAmount")),
        chargeback_state=_xml.text(element, "ChargebackState"),
        chargeback_reason=_xml.text(element, "ChargebackReason"),
    )


#: NotificationData root → (inner element, parser) (§2.3 table). Dispatching on the root rather
#: than on NotificationType copes with "Chargeback Detailed Notification" and the like.
DETAIL_PARSERS: Mapping[str, tuple[str, Callable[[Element, str | None], Details]]] = {
    "OrderReferenceNotification": ("OrderReference", parse_order_reference_details),
    "AuthorizationNotification": ("AuthorizationDetails", parse_authorization_details),
    "CaptureNotification": ("CaptureDetails", parse_capture_details),
    "RefundNotification": ("RefundDetails", parse_refund_details),
    "ChargebackNotification": ("ChargebackDetails", _parse_chargeback),
}


def parse_notification_data(xml: str) -> Details | None:
    """Parse NotificationData XML into its Details dataclass (None for roots we do not model)."""
    root = _xml.parse(xml.strip().encode("utf-8"))
    known = DETAIL_PARSERS.get(_xml.local(root.tag))
    if known is None:
        return None
    inner, parse = known
    return parse(_xml.require(root, inner), None)


def envelope_fields(envelope: Any) -> dict[str, str]:
    """Check ``envelope`` is a JSON object with the string keys of §2.2; return them."""
    if not isinstance(envelope, Mapping):
        raise IpnVerificationError("malformed", "the body is not a JSON object")
    missing = [k for k in ENVELOPE_KEYS if not isinstance(envelope.get(k), str)]
    if missing:
        raise IpnVerificationError("malformed", f"missing or non-string keys: {missing}")
    return {k: v for k, v in envelope.items() if isinstance(v, str)}


def parse_envelope(body: bytes | str) -> dict[str, str]:
    """Decode the body JSON and return its string fields (``malformed`` on any problem)."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise IpnVerificationError("malformed", f"body is not JSON: {exc}") from exc
    return envelope_fields(envelope)


def parse_notification(envelope: Mapping[str, str]) -> Notification:
    """Build a :class:`Notification` from envelope fields. Does **not** verify anything."""
    try:
        return _parse(envelope)
    except IpnVerificationError:
        raise
    except (ValueError, TypeError, KeyError) as exc:  # XmlError and json errors are ValueErrors
        raise IpnVerificationError("malformed", str(exc)) from exc


def _parse(envelope: Mapping[str, str]) -> Notification:
    message = json.loads(envelope["Message"])
    if not isinstance(message, Mapping):
        raise IpnVerificationError("malformed", "Message is not a JSON object")
    data = message.get("NotificationData")
    notification_type = message.get("NotificationType")
    if not isinstance(data, str) or not isinstance(notification_type, str):
        raise IpnVerificationError("malformed", "Message lacks NotificationType/NotificationData")
    timestamp = _xml.timestamp(envelope["Timestamp"])
    if timestamp is None:
        raise IpnVerificationError("malformed", "empty Timestamp")

    def optional(key: str) -> str | None:
        value = message.get(key)
        return value if isinstance(value, str) else None

    return Notification(
        message_id=envelope["MessageId"],
        topic_arn=envelope["TopicArn"],
        timestamp=timestamp,
        notification_type=notification_type,
        seller_id=optional("SellerId"),
        release_environment=optional("ReleaseEnvironment"),
        notification_reference_id=optional("NotificationReferenceId"),
        marketplace_id=optional("MarketplaceID"),
        version=optional("Version"),
        is_sample=message.get("IsSample") is True,
        message_timestamp=_xml.timestamp(optional("Timestamp")),
        notification_data=data,
        details=parse_notification_data(data),
        message=dict(message),
    )
