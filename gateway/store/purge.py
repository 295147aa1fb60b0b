"""Removing stored objects: one order with everything hanging off it (a finished deletion), or
all of a merchant's objects (a reset). Set-based DELETEs in foreign-key order, in the caller's
transaction; a row another transaction added meanwhile makes a DELETE fail on its foreign key,
and ``Database.run`` retries the whole unit of work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.fps.models import FpsToken, FpsTransaction
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    LineItem,
    Notification,
    NotificationAttempt,
    NotificationMessage,
    OrderAdministration,
    OrderReference,
    ReferenceId,
    Refund,
)
from gateway.v2.account_models import V2BuyerToken, V2IdempotencyKey
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund

#: Children of an order reference, in the order their rows must go (disputes point at refunds,
#: refunds at captures, captures at authorizations).
_ORDER_CHILDREN: tuple[Any, ...] = (Dispute, Refund, Capture, Authorization)


def order_object_ids(session: Session, order_reference_id: int) -> list[str]:
    """Amazon ids of an order reference and of everything made on it."""
    found: list[str] = list(
        session.scalars(
            select(OrderReference.amazon_id).where(OrderReference.id == order_reference_id)
        )
    )
    for model in _ORDER_CHILDREN:
        found.extend(
            session.scalars(
                select(model.amazon_id).where(model.order_reference_id == order_reference_id)
            )
        )
    return found


def _notifications(session: Session, where: Any) -> None:
    ids = select(Notification.id).where(where).scalar_subquery()
    session.execute(delete(NotificationAttempt).where(NotificationAttempt.notification_id.in_(ids)))
    session.execute(delete(NotificationMessage).where(NotificationMessage.notification_id.in_(ids)))
    session.execute(delete(Notification).where(where))


def purge_order(session: Session, merchant_id: int, order_reference_id: int) -> list[str]:
    """Remove an order reference and all it holds; the Amazon ids removed."""
    session.flush()  # what this transaction changed through the ORM goes first
    object_ids = order_object_ids(session, order_reference_id)
    _notifications(
        session,
        (Notification.merchant_id == merchant_id) & Notification.object_id.in_(object_ids),
    )
    session.execute(
        delete(ReferenceId).where(
            ReferenceId.merchant_id == merchant_id, ReferenceId.object_id.in_(object_ids)
        )
    )
    for model in (*_ORDER_CHILDREN, LineItem, OrderAdministration):
        session.execute(delete(model).where(model.order_reference_id == order_reference_id))
    session.execute(delete(OrderReference).where(OrderReference.id == order_reference_id))
    gone = set(object_ids)
    _forget(
        session,
        lambda obj: (
            getattr(obj, "order_reference_id", None) == order_reference_id
            or (isinstance(obj, OrderReference) and obj.id == order_reference_id)
            or (isinstance(obj, Notification) and obj.object_id in gone)
        ),
    )
    return object_ids


def _forget(session: Session, removed: Callable[[Any], bool]) -> None:
    """Take the ORM objects of removed rows out of the session (they must not be flushed or
    found in its identity map again); the session's other objects stay as they are."""
    for obj in list(session):
        if removed(obj):
            session.expunge(obj)


#: A merchant's object tables, in the order their rows must go.
_MERCHANT_OBJECTS: Sequence[Any] = (
    ReferenceId,
    *_ORDER_CHILDREN,
    LineItem,
    OrderAdministration,
    OrderReference,
    BillingAgreement,
    FpsTransaction,
    FpsToken,
    # API v2's objects (disputes and refunds name charges; a checkout session its charge and
    # charge permission; a charge its permission).
    V2Dispute,
    V2Refund,
    V2CheckoutSession,
    V2Charge,
    V2ChargePermission,
    # API v2: the answers kept for idempotency keys name objects removed here.
    V2IdempotencyKey,
    V2BuyerToken,
)


def purge_merchant(session: Session, merchant_id: int) -> None:
    """Remove every object and notification of a merchant (not the merchant, its keys (API v2
    public keys too), settings, preferences or FPS fee schedule; its journal is
    ``Journal.clear``'s)."""
    session.flush()
    _notifications(session, Notification.merchant_id == merchant_id)
    for model in _MERCHANT_OBJECTS:
        session.execute(delete(model).where(model.merchant_id == merchant_id))
    _forget(session, lambda obj: getattr(obj, "merchant_id", None) == merchant_id)
