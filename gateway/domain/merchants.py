"""Merchants, their clocks, and lookups scoped to one merchant. No Flask here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from gateway.clock import merchant_now
from gateway.domain.lifecycle import MerchantView
from gateway.errors import GatewayError
from gateway.ids import IdGenerator
from gateway.store.models import Authorization, Capture, Dispute, Merchant, OrderReference, Refund

#: Settings a merchant may change through the sandbox API, with their types.
MERCHANT_SETTINGS: dict[str, type] = {
    "name": str,
    "store_name": str,
    "ipn_url": str,
    "settle_delay_seconds": int,
    "ipn_signature_version": str,
    "ipn_retry_all": bool,
    "ipn_duplicate": bool,
    "ipn_reorder": bool,
}


def create_merchant(
    session: Session,
    ids: IdGenerator,
    now: datetime,
    *,
    seller_id: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    **settings: Any,
) -> Merchant:
    """A new merchant with generated credentials unless given (seeded data gives fixed ones)."""
    merchant = Merchant(
        seller_id=seller_id or ids.seller_id(),
        access_key=access_key or ids.access_key(),
        secret_key=secret_key or ids.secret_key(),
        created_at=now,
        **settings,
    )
    session.add(merchant)
    session.flush()
    return merchant


def merchant_by_seller_id(session: Session, seller_id: str) -> Merchant | None:
    return session.scalar(select(Merchant).where(Merchant.seller_id == seller_id))


#: Built once: constructing a select per request cost as much as running it (hot path).
_MERCHANTS = cast(Table, Merchant.__table__)
_BY_ACCESS_KEY = select(_MERCHANTS).where(_MERCHANTS.c.access_key == bindparam("access_key"))


def merchant_by_access_key(session: Session, access_key: str) -> MerchantView | None:
    """The merchant of an access key, as a read-only row (every signed request looks it up)."""
    row = session.connection().execute(_BY_ACCESS_KEY, {"access_key": access_key}).first()
    return None if row is None else cast(MerchantView, row)


def now_for(merchant: MerchantView, base: datetime) -> datetime:
    """The merchant's simulated time when the base clock says ``base``."""
    return merchant_now(base, merchant.clock_offset_seconds, merchant.clock_frozen_at)


Owned = TypeVar("Owned", OrderReference, Authorization, Capture, Refund, Dispute)

#: One prebuilt statement per model for ``find_owned``.
_OWNED: dict[type[Any], Any] = {}


def find_owned(
    session: Session,
    model: type[Owned],
    merchant: MerchantView,
    amazon_id: str,
    error: GatewayError,
) -> Owned:
    """The merchant's object with ``amazon_id``; another merchant's id raises like an unknown one."""
    statement = _OWNED.get(model)
    if statement is None:
        statement = _OWNED[model] = select(model).where(
            model.amazon_id == bindparam("amazon_id"), model.merchant_id == bindparam("merchant_id")
        )
    obj = session.scalar(statement, {"amazon_id": amazon_id, "merchant_id": merchant.id})
    if obj is None:
        raise error
    return obj
