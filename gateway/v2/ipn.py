"""IPN v2: the message naming an object for the merchant to fetch, in the shared SNS envelope.

[SRC: reference/amazon-pay-v2.md §8; developer.amazon.com/docs/amazon-pay-checkout/
set-up-instant-payment-notifications.html] The ``Message`` of the signed SNS envelope is JSON
``{"MerchantID", "ObjectType", "ObjectId", "ChargePermissionId", "NotificationType",
"NotificationId", "NotificationVersion": "V2"}``; the receiver GETs the object to learn its
state. Delivered by the shared outbox (``gateway.ipn``): ``gateway.composition`` installs
``render`` for each ObjectType of ``gateway.v2.states``, so these IPNs have the same retries,
attempt log, redelivery and duplicate/reorder switches as v1's, signed with the same key.
No Flask here.
"""

from __future__ import annotations

from typing import Any

from gateway.ipn.envelope import Outgoing, RenderContext, sns_envelope

#: Every change the simulator notifies is a state change. UNCONFIRMED: Amazon also sends
#: ATTRIBUTE_CHANGE (for example a charge permission's buyer details), not emulated.
STATE_CHANGE = "STATE_CHANGE"
VERSION = "V2"


def message(ctx: RenderContext) -> dict[str, Any]:
    row = ctx.notification
    return {
        "MerchantID": ctx.merchant.seller_id,
        "ObjectType": row.notification_type,
        "ObjectId": row.object_id,
        "ChargePermissionId": row.extra.get("ChargePermissionId", row.object_id),
        "NotificationType": STATE_CHANGE,
        # UNCONFIRMED: the id's shape (Amazon's samples show a UUID).
        "NotificationId": ctx.ids.uuid(),
        "NotificationVersion": VERSION,
    }


def render(ctx: RenderContext) -> Outgoing:
    """The signed SNS post of one v2 notification."""
    return sns_envelope(ctx, message(ctx))
