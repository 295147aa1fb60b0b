"""The SQL of ListOrderReference: one page of a merchant's order references, by keyset.

Ordered by ``(created_at, id)`` (``id`` makes the key unique when two orders share a creation
time); the next page starts strictly after the last row's key, so a page costs the same however
deep it is, and orders made between two calls never shift a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select, tuple_
from sqlalchemy.orm import Session

from gateway.store.models import OrderReference

_KEY = (OrderReference.created_at, OrderReference.id)


def order_reference_page(
    session: Session,
    merchant_id: int,
    *,
    seller_order_id: str,
    currency: str,
    created_from: datetime | None,
    created_to: datetime | None,
    states: Sequence[str],
    ascending: bool,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[OrderReference]:
    """Up to ``limit`` order references of the merchant with ``seller_order_id``, in ``currency``
    (or none yet), created within the range (either end inclusive), in one of ``states`` (any
    when empty), after the key ``after`` in the order asked for."""
    statement = select(OrderReference).where(
        OrderReference.merchant_id == merchant_id,
        OrderReference.seller_order_id == seller_order_id,
        or_(OrderReference.currency == currency, OrderReference.currency.is_(None)),
    )
    if created_from is not None:
        statement = statement.where(OrderReference.created_at >= created_from)
    if created_to is not None:
        statement = statement.where(OrderReference.created_at <= created_to)
    if states:
        statement = statement.where(OrderReference.state.in_(states))
    if after is not None:
        # Bound with each column's own type (UTC datetimes are stored naive).
        bound = tuple_(
            *(
                bindparam(None, value, type_=column.type)
                for column, value in zip(_KEY, after, strict=True)
            )
        )
        key = tuple_(*_KEY)
        statement = statement.where(key > bound if ascending else key < bound)
    order = [column.asc() if ascending else column.desc() for column in _KEY]
    return list(session.scalars(statement.order_by(*order).limit(limit)))
