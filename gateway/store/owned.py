"""A merchant's object by its Amazon id (every operation on an existing object starts here).

A write locks what it reads: ``for_update=True`` reads the object with ``SELECT ... FOR UPDATE``
on PostgreSQL, after locking its order reference the same way (an authorization's, a capture's,
a dispute's), so every write on one order's objects takes the same first lock. A concurrent
write on the same order then waits for the first to commit and reads what it wrote, instead of
losing the row version's compare-and-set and running again (which, under enough contention,
ran out of tries: a 500). One lock order (order reference, then the object) means no deadlock
between two such writes. SQLite has no row locks and needs none: its writers already take turns
(``gateway.store.db``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    OrderReference,
)

Owned = TypeVar("Owned", OrderReference, Authorization, Capture, Dispute, BillingAgreement)

#: One statement per model, built once: constructing a select per request cost as much as
#: running it.
_BY_AMAZON_ID: Mapping[type[Any], Any] = MappingProxyType(
    {
        model: select(model).where(
            model.amazon_id == bindparam("amazon_id"),
            model.merchant_id == bindparam("merchant_id"),
        )
        for model in (OrderReference, Authorization, Capture, Dispute, BillingAgreement)
    }
)
#: The same, locking the row; ``populate_existing``: the locked row's values replace any this
#: transaction loaded before.
_LOCKED: Mapping[type[Any], Any] = MappingProxyType(
    {
        model: statement.with_for_update().execution_options(populate_existing=True)
        for model, statement in _BY_AMAZON_ID.items()
    }
)
#: Locks the order reference of an object of the other models (only that row), and loads it:
#: ``owned`` gives it to the object as its ``order_reference``, which then costs no second read.
_LOCK_ORDER_REFERENCE: Mapping[type[Any], Any] = MappingProxyType(
    {
        model: select(OrderReference)
        .join(model, model.order_reference_id == OrderReference.id)
        .where(
            model.amazon_id == bindparam("amazon_id"),
            model.merchant_id == bindparam("merchant_id"),
        )
        .with_for_update(of=OrderReference)
        .execution_options(populate_existing=True)
        for model in (Authorization, Capture, Dispute)
    }
)


def owned(
    session: Session,
    model: type[Owned],
    merchant_id: int,
    amazon_id: str,
    *,
    for_update: bool = False,
) -> Owned | None:
    """The merchant's ``model`` object with ``amazon_id``; None when it is another merchant's.

    ``for_update``: locked for the rest of the transaction, its order reference first (see the
    module docstring).
    """
    params = {"amazon_id": amazon_id, "merchant_id": merchant_id}
    if not for_update:
        found: Owned | None = session.scalar(_BY_AMAZON_ID[model], params)
        return found
    if model is OrderReference:
        locked: Owned | None = session.scalar(_LOCKED[model], params)
        return locked
    oro: OrderReference | None = session.scalar(_LOCK_ORDER_REFERENCE[model], params)
    locked = session.scalar(_LOCKED[model], params)
    if oro is not None and getattr(locked, "order_reference_id", None) == oro.id:
        # Its order reference as just read (and locked): ``locked.order_reference`` costs no
        # second query (the session keeps an unchanged object only while it is referenced).
        set_committed_value(locked, "order_reference", oro)
    return locked
