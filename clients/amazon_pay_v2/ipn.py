"""Verify Amazon Pay API v2 IPNs (IPN v2) and read them into :class:`NotificationV2`.

An IPN v2 is the same signed SNS envelope as an Off-Amazon Payments IPN (reference/amazon-pay-v2.md
§8), so every check is :class:`clients.ipn.SnsVerifier`'s: the topic header, the certificate URL
allow-list (Amazon's SNS hosts by default; name the simulator's host to trust it), the
certificate, the SHA1withRSA/SHA256withRSA signature and the timestamp's age. Only then is the
``Message`` read: JSON naming an object for the merchant to fetch [SRC: developer.amazon.com/docs/
amazon-pay-checkout/set-up-instant-payment-notifications.html]::

    {"MerchantID", "ObjectType": CHARGE_PERMISSION | CHARGE | REFUND | CHARGEBACK, "ObjectId",
     "ChargePermissionId", "NotificationType": STATE_CHANGE | ATTRIBUTE_CHANGE, "NotificationId",
     "NotificationVersion": "V2"}

Keys are read case-insensitively: an older version of that page spells them ``merchantID``,
``objectType`` .... An IPN carries no state: :meth:`NotificationV2.fetch` GETs the object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clients import _xml
from clients.amazon_pay_v2.client import AmazonPayV2Client
from clients.amazon_pay_v2.objects import Charge, ChargePermission, Refund
from clients.errors import IpnVerificationError
from clients.ipn import SnsVerifier
from clients.notifications import Notification, parse_notification


@dataclass(frozen=True)
class NotificationV2:
    """One IPN v2. ``timestamp`` is the signed SNS envelope time; ``message`` the decoded JSON."""

    message_id: str
    topic_arn: str
    timestamp: datetime
    merchant_id: str
    object_type: str
    object_id: str
    charge_permission_id: str | None
    notification_type: str
    notification_id: str
    notification_version: str
    message: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def fetch(self, client: AmazonPayV2Client) -> Charge | ChargePermission | Refund:
        """GET the object the notification names (a CHARGEBACK has no API object: ``ValueError``)."""
        if self.object_type == "CHARGE_PERMISSION":
            return client.get_charge_permission(self.object_id)
        if self.object_type == "CHARGE":
            return client.get_charge(self.object_id)
        if self.object_type == "REFUND":
            return client.get_refund(self.object_id)
        raise ValueError(f"{self.object_type} objects cannot be fetched through the API")


def is_v2_message(envelope: Mapping[str, str]) -> bool:
    """Whether an (already verified) envelope's Message is an IPN v2 (``NotificationVersion`` V2)."""
    try:
        message = json.loads(envelope["Message"])
    except (KeyError, ValueError):
        return False
    return isinstance(message, Mapping) and _lookup(message, "NotificationVersion") == "V2"


def _lookup(message: Mapping[str, Any], key: str) -> Any:
    wanted = key.lower()
    return next((v for k, v in message.items() if str(k).lower() == wanted), None)


def parse_notification_v2(envelope: Mapping[str, str]) -> NotificationV2:
    """Build a :class:`NotificationV2` from envelope fields. Does **not** verify anything;
    ``IpnVerificationError("malformed")`` when the Message is not an IPN v2."""
    try:
        message = json.loads(envelope["Message"])
        timestamp = _xml.timestamp(envelope["Timestamp"])
    except (KeyError, ValueError) as exc:
        raise IpnVerificationError("malformed", str(exc)) from exc
    if not isinstance(message, Mapping):
        raise IpnVerificationError("malformed", "Message is not a JSON object")
    if timestamp is None:
        raise IpnVerificationError("malformed", "empty Timestamp")

    def text(key: str, *, required: bool = True) -> str | None:
        value = _lookup(message, key)
        if isinstance(value, str) and value:
            return value
        if required:
            raise IpnVerificationError("malformed", f"Message lacks {key}")
        return None

    version = text("NotificationVersion")
    if version != "V2":
        raise IpnVerificationError("malformed", f"NotificationVersion {version!r} is not V2")
    return NotificationV2(
        message_id=envelope["MessageId"],
        topic_arn=envelope["TopicArn"],
        timestamp=timestamp,
        merchant_id=str(text("MerchantID")),
        object_type=str(text("ObjectType")),
        object_id=str(text("ObjectId")),
        charge_permission_id=text("ChargePermissionId", required=False),
        notification_type=str(text("NotificationType")),
        notification_id=str(text("NotificationId")),
        notification_version=version,
        message=dict(message),
    )


class IpnV2Verifier(SnsVerifier):
    """Verifies SNS-delivered IPN v2 notifications (constructor: :class:`clients.ipn.SnsVerifier`)."""

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> NotificationV2:
        """Verify one delivery (raw body + request headers) and parse it."""
        return parse_notification_v2(self.verify_envelope(body, headers))


class AnyIpnVerifier(SnsVerifier):
    """For an endpoint that receives both kinds: IPN v2 (``NotificationVersion`` V2) become
    :class:`NotificationV2`, the others Off-Amazon Payments :class:`~clients.notifications.Notification`."""

    def verify(
        self, body: bytes | str, headers: Mapping[str, str]
    ) -> Notification | NotificationV2:
        """Verify one delivery and parse it by its Message's version."""
        envelope = self.verify_envelope(body, headers)
        if is_v2_message(envelope):
            return parse_notification_v2(envelope)
        return parse_notification(envelope)
