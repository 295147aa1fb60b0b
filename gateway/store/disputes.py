"""Dispute queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.store.models import Dispute

#: Built once: settling refunds asks it on every batch.
_DISPUTED = select(Dispute.order_reference_id).where(
    Dispute.merchant_id == bindparam("merchant_id"),
    Dispute.state.in_(bindparam("states", expanding=True)),
)


def disputed_order_references(
    session: Session, merchant_id: int, states: Sequence[str]
) -> set[int]:
    """Ids of the merchant's order references with a dispute in one of ``states``."""
    return set(session.scalars(_DISPUTED, {"merchant_id": merchant_id, "states": list(states)}))
