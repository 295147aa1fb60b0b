"""What one notification looks like on the wire: rendering by type, and the SNS envelope.

A renderer turns a ``Notification`` row into the exact request to post (``Outgoing``: headers,
body bytes, and the message id receivers dedupe by). The runtime's registry holds one renderer
per NotificationType (``gateway.composition`` installs them): Amazon Pay types use
``sns_renderer`` (NotificationData XML inside Amazon's SNS envelope), and another transport
(FPS's form-encoded IPN) has a plain renderer of its own. Delivery calls ``render`` once per
notification and stores the result, so retries send the same bytes. No Flask here.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clients.ipn_signing import SNS_DIGESTS, sns_string_to_sign
from gateway.domain.records import MerchantRecord
from gateway.ids import IdGenerator
from gateway.ipn.keys import SigningKey
from gateway.registry import Registry, Renderer
from gateway.store.models import Notification
from gateway.wire.render import document, timestamp

#: Namespace of NotificationData [SRC: reference/amazon-wire.md §2.3: https and /ipn/].
IPN_NAMESPACE = "https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01"
#: Where the signing certificate is served (``SigningCertURL`` = public URL + this).
CERTIFICATE_PATH = "/sandbox/ipn/certificate.pem"
UNSUBSCRIBE_PATH = "/sandbox/ipn/unsubscribe"
#: The topic's AWS account: the 12-digit example account of AWS's docs (Amazon's samples show
#: Amazon's own, 291180941288; reference §2.2).
TOPIC_ACCOUNT = "123456789012"
#: MarketplaceID of Amazon's US sandbox samples; the topic is named ``<MarketplaceID><SellerId>``
#: [SRC: testdata amazon-pay-samples/ipn/*.json]. UNCONFIRMED for other regions.
MARKETPLACE_ID = "A3BXB0YN3XH17H"


@dataclass(frozen=True)
class Outgoing:
    """One notification as posted."""

    message_id: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class RenderContext:
    session: Session
    notification: Notification
    merchant: MerchantRecord
    #: The merchant's simulated now (the inner Message's Timestamp, like the objects' times).
    now: datetime
    key: SigningKey
    public_url: str
    #: The source of message ids (the runtime's).
    ids: IdGenerator
    #: Real (base clock) time of sending: the SNS envelope's Timestamp, which receivers check
    #: for freshness (the official verifiers refuse one over an hour old), so it never follows a
    #: merchant's clock moved days ahead.
    sent_at: datetime


#: NotificationData for an SNS type: (root element, its body) from the row and its object.
DataBuilder = Callable[[Session, Notification], tuple[str, dict[str, Any]]]


class NoRenderer(LookupError):
    """A notification type without a renderer in the registry."""


def sns_renderer(data: DataBuilder) -> Renderer:
    """An Amazon Pay type's renderer: ``data``'s XML as NotificationData in a signed SNS envelope."""

    def renderer(ctx: RenderContext) -> Outgoing:
        root, content = data(ctx.session, ctx.notification)
        return sns_notification(ctx, document(root, content, IPN_NAMESPACE).decode("utf-8"))

    return renderer


def render(registry: Registry, ctx: RenderContext) -> Outgoing:
    renderer = registry.renderer(ctx.notification.notification_type)
    if renderer is None:
        raise NoRenderer(f"no IPN renderer for {ctx.notification.notification_type!r}")
    return renderer(ctx)


# --- SNS -----------------------------------------------------------------------------------------


def topic_arn(seller_id: str) -> str:
    """``arn:aws:sns:us-east-1:<account>:<MarketplaceID><SellerId>`` (reference §2.2)."""
    return f"arn:aws:sns:us-east-1:{TOPIC_ACCOUNT}:{MARKETPLACE_ID}{seller_id}"


def subscription_arn(seller_id: str) -> str:
    """``<topic arn>:<subscription uuid>``, stable per merchant (reference §2.1)."""
    topic = topic_arn(seller_id)
    return f"{topic}:{uuid.uuid5(uuid.NAMESPACE_URL, topic)}"


def sns_notification(ctx: RenderContext, notification_data: str) -> Outgoing:
    """A v1 notification: NotificationData XML in the SNS message (reference §2.3)."""
    row, seller_id = ctx.notification, ctx.merchant.seller_id
    # Inner Message keys as in Amazon's samples (reference §2.3); no IsSample (that marks
    # Seller Central test notifications). UNCONFIRMED: NotificationReferenceId's shape (the
    # samples show a UUID, sometimes with a suffix), so a plain UUID.
    message = {
        "NotificationReferenceId": ctx.ids.uuid(),
        "MarketplaceID": MARKETPLACE_ID,
        "NotificationType": row.notification_type,
        "SellerId": seller_id,
        # Billing agreement notifications say which event they are (reference §2.3), kept on
        # the row when it was written.
        **({"EventType": row.extra["EventType"]} if "EventType" in row.extra else {}),
        "ReleaseEnvironment": "Sandbox",
        "Version": "2013-01-01",
        "NotificationData": notification_data,
        "Timestamp": timestamp(ctx.now),
    }
    return sns_envelope(ctx, message)


def sns_envelope(ctx: RenderContext, message: dict[str, Any]) -> Outgoing:
    """``message`` as the signed SNS envelope's ``Message`` (every Amazon Pay IPN: v1's
    NotificationData messages and API v2's object references alike)."""
    seller_id = ctx.merchant.seller_id
    topic = topic_arn(seller_id)
    subscription = subscription_arn(seller_id)  # once: a uuid5 (SHA-1) per call
    envelope = {
        "Type": "Notification",
        "MessageId": ctx.ids.uuid(),
        "TopicArn": topic,
        # A JSON string inside the JSON envelope, compact like Amazon's (reference §2.2).
        "Message": json.dumps(message, separators=(",", ":"), ensure_ascii=False),
        "Timestamp": timestamp(ctx.sent_at),
        "SignatureVersion": ctx.merchant.ipn_signature_version,
    }
    # We never send a Subject: the official Python handler never includes it in what it verifies.
    version = ctx.merchant.ipn_signature_version
    signature = ctx.key.sign(sns_string_to_sign(envelope), SNS_DIGESTS[version])
    envelope["Signature"] = base64.b64encode(signature).decode("ascii")
    envelope["SigningCertURL"] = ctx.public_url + CERTIFICATE_PATH
    envelope["UnsubscribeURL"] = (
        f"{ctx.public_url}{UNSUBSCRIBE_PATH}?Action=Unsubscribe&SubscriptionArn={subscription}"
    )
    # SNS pretty-prints with `"Key" : value` (testdata sns-sample/notification.json).
    body = json.dumps(envelope, indent=2, separators=(",", " : "), ensure_ascii=False)
    headers = {
        # Headers of reference §2.1 (lower case as Amazon sends them; HTTP names are
        # case-insensitive, and the official handler needs a case-insensitive header object).
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": envelope["MessageId"],
        "x-amz-sns-topic-arn": topic,
        "x-amz-sns-subscription-arn": subscription,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    return Outgoing(envelope["MessageId"], headers, body.encode("utf-8"))
