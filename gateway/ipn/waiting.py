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

from gateway.domain.records import MerchantRecord
from gateway.registry import Registry
from gateway.store import refunds
from gateway.store.models import Dispute, Notification
from gateway.v2 import views as v2_views
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


def _state_only(obj: Any) -> dict[str, Any]:
    return {"State": obj.state}


#: Each kind's Details view (other kinds show their state only).
VIEWS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "OrderReference": views.order_reference_details,
    "Authorization": views.authorization_details,
    "Capture": views.capture_details,
    "Refund": lambda refund: views.refund_details(refunds.as_record(refund)),
    "Dispute": dispute_details,
    # API v2: the JSON its Get call answers.
    "V2ChargePermission": v2_views.charge_permission_json,
    "V2Charge": v2_views.charge_json,
    "V2Refund": v2_views.refund_json,
}


@dataclass(frozen=True)
class Found:
    kind: str
    obj: Any
    view: Callable[[Any], dict[str, Any]]

    def details(self) -> dict[str, Any]:
        return self.view(self.obj)


def find_object(
    registry: Registry, session: Session, merchant: MerchantRecord, amazon_id: str
) -> Found | None:
    """The merchant's object with this Amazon id, of any kind of the registry."""
    for kind in registry.kinds.values():
        model = kind.model
        obj = session.scalar(
            select(model).where(model.amazon_id == amazon_id, model.merchant_id == merchant.id)
        )
        if obj is not None:
            return Found(kind.name, obj, VIEWS.get(kind.name, _state_only))
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
