"""Merchants, their clocks, and lookups scoped to one merchant. No Flask here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.clock import merchant_now
from gateway.domain.records import MerchantRecord
from gateway.errors import GatewayError
from gateway.ids import IdGenerator
from gateway.store.merchants import as_record
from gateway.store.models import Merchant
from gateway.store.owned import Owned, owned

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
) -> MerchantRecord:
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
    return as_record(merchant)


def now_for(merchant: MerchantRecord, base: datetime) -> datetime:
    """The merchant's simulated time when the base clock says ``base``."""
    return merchant_now(base, merchant.clock_offset_seconds, merchant.clock_frozen_at)


def find_owned(
    session: Session,
    model: type[Owned],
    merchant: MerchantRecord,
    amazon_id: str,
    error: GatewayError,
    *,
    for_update: bool = False,
) -> Owned:
    """The merchant's object with ``amazon_id``; another merchant's id raises like an unknown one.

    ``for_update``: the operation will change it (or rules on it): locked until the transaction
    ends, its order reference first (``gateway.store.owned``).
    """
    obj = owned(session, model, merchant.id, amazon_id, for_update=for_update)
    if obj is None:
        raise error
    return obj
