"""What the sandbox's wait endpoint checks: has an object reached a state (and been notified)?

An object has reached a state when it is in it now or a notification says it was in it (so a
waiter does not miss a state the object has already left). With ``acknowledged``, a
notification of the object in that state must also have been answered with a 2xx. No Flask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import (
    Authorization,
    Capture,
    Dispute,
    Merchant,
    Notification,
    OrderReference,
    Refund,
)
from gateway.wire import views


def dispute_details(dispute: Dispute) -> dict[str, Any]:
    return {
        "DisputeId": dispute.amazon_id,
        "DisputeType": dispute.dispute_type,
        "AmazonOrderReferenceId": dispute.order_reference.amazon_id,
        "AmazonCaptureId": dispute.capture.amazon_id,
        "Amount": views.price(dispute.amount_minor, dispute.currency),
        "State": dispute.state,
        "CreationTimestamp": dispute.created_at,
        "LastUpdateTimestamp": dispute.last_update,
    }


#: Each kind's model and its Details view, looked up in this order.
KINDS: list[tuple[str, Any, Callable[[Any], dict[str, Any]]]] = [
    ("OrderReference", OrderReference, views.order_reference_details),
    ("Authorization", Authorization, views.authorization_details),
    ("Capture", Capture, views.capture_details),
    ("Refund", Refund, views.refund_details),
    ("Dispute", Dispute, dispute_details),
]


@dataclass(frozen=True)
class Found:
    kind: str
    obj: Any
    view: Callable[[Any], dict[str, Any]]

    def details(self) -> dict[str, Any]:
        return self.view(self.obj)


def find_object(session: Session, merchant: Merchant, amazon_id: str) -> Found | None:
    """The merchant's object with this Amazon id, of any kind."""
    for kind, model, view in KINDS:
        obj = session.scalar(
            select(model).where(model.amazon_id == amazon_id, model.merchant_id == merchant.id)
        )
        if obj is not None:
            return Found(kind, obj, view)
    return None


def reached(session: Session, found: Found, state: str, acknowledged: bool) -> bool:
    notified = select(Notification.id).where(
        Notification.merchant_id == found.obj.merchant_id,
        Notification.object_id == found.obj.amazon_id,
        Notification.state == state,
    )
    if acknowledged:
        notified = notified.where(Notification.acknowledged_at.is_not(None))
    elif found.obj.state == state:
        return True
    return session.scalar(notified.limit(1)) is not None
