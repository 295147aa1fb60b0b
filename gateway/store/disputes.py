"""Dispute queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Dispute


def disputed_order_references(
    session: Session, merchant_id: int, states: Sequence[str]
) -> set[int]:
    """Ids of the merchant's order references with a dispute in one of ``states``."""
    return set(
        session.scalars(
            select(Dispute.order_reference_id).where(
                Dispute.merchant_id == merchant_id, Dispute.state.in_(states)
            )
        )
    )
