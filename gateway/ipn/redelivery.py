"""A sandbox redelivery: the same message (same MessageId) queued again as a new series.

A merchant without ``ipn_url`` has its due rows parked ``no_endpoint``, and they stay so when a
URL is set later (Amazon does not replay old notifications to a new endpoint); ``redeliver``
sends one. No Flask here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.ipn.leases import DeliveryState, change
from gateway.store.models import Notification, NotificationMessage


class NotificationInFlight(Exception):
    """A redelivery was asked for while the notification is being posted."""


def redeliver(session: Session, row: Notification, now: datetime, base: datetime) -> None:
    """Queue a new delivery series of the same message (same MessageId), due at the merchant's
    ``now``; refused while a worker's lease on it runs (``base``: the base clock's now)."""
    in_flight = row.delivery_state == DeliveryState.IN_FLIGHT
    if in_flight and row.next_attempt_at and row.next_attempt_at > base:
        raise NotificationInFlight(f"notification {row.id} is being delivered")
    change(row, DeliveryState.PENDING, now)
    message = session.scalar(
        select(NotificationMessage).where(NotificationMessage.notification_id == row.id)
    )
    if message is not None:
        message.series_started_at = now
        message.series_attempts = 0
