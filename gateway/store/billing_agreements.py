"""The SQL of billing agreements: what their order references' authorizations hold in a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.store.models import Authorization, OrderReference


def authorized_by_state(
    session: Session, agreement_id: int, start: datetime, end: datetime
) -> list[tuple[str, int, int]]:
    """``(state, authorized, captured)`` sums of the authorizations requested in ``[start, end)``
    on the order references of agreement ``agreement_id``, one row per authorization state."""
    statement = (
        select(
            Authorization.state,
            func.sum(Authorization.amount_minor),
            func.sum(Authorization.captured_minor),
        )
        .join(OrderReference, Authorization.order_reference_id == OrderReference.id)
        .where(
            OrderReference.billing_agreement_id == agreement_id,
            Authorization.created_at >= start,
            Authorization.created_at < end,
        )
        .group_by(Authorization.state)
    )
    return [
        (state, int(authorized), int(captured))
        for state, authorized, captured in session.execute(statement)
    ]
