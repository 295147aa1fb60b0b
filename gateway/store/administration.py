"""Statements of order administration: line items, the administration row, preferences, and
what a deletion waits for (``gateway.domain.administration``, ``gateway.domain.deletion``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.store.models import (
    Dispute,
    LineItem,
    MerchantPreferences,
    Notification,
    OrderAdministration,
    Refund,
)


def line_items(session: Session, order_reference_id: int) -> list[LineItem]:
    """The order's line items in their order."""
    return list(
        session.scalars(
            select(LineItem)
            .where(LineItem.order_reference_id == order_reference_id)
            .order_by(LineItem.position)
        )
    )


def administration(session: Session, order_reference_id: int) -> OrderAdministration | None:
    return session.scalar(
        select(OrderAdministration).where(
            OrderAdministration.order_reference_id == order_reference_id
        )
    )


def preferences(session: Session, merchant_id: int) -> MerchantPreferences | None:
    return session.get(MerchantPreferences, merchant_id)


def pending_refunds(session: Session, order_reference_id: int) -> list[tuple[int, datetime | None]]:
    """(id, due_at) of the order's Pending refunds."""
    rows = session.execute(
        select(Refund.id, Refund.due_at).where(
            Refund.order_reference_id == order_reference_id, Refund.state == "Pending"
        )
    )
    return [(pk, due_at) for pk, due_at in rows]


def undelivered(
    session: Session, merchant_id: int, object_ids: Collection[str], states: Sequence[str]
) -> int:
    """How many of the merchant's notifications of ``object_ids`` are in one of ``states``."""
    if not object_ids:
        return 0
    count = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.merchant_id == merchant_id,
            Notification.object_id.in_(list(object_ids)),
            Notification.delivery_state.in_(states),
        )
    )
    return int(count or 0)


def open_disputes(session: Session, order_reference_id: int) -> list[str]:
    """Amazon ids of the order's Open disputes."""
    return list(
        session.scalars(
            select(Dispute.amazon_id).where(
                Dispute.order_reference_id == order_reference_id, Dispute.state == "Open"
            )
        )
    )
