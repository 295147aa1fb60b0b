"""Merchant rows: read as ``MerchantRecord`` (every signed request looks one up), or as the ORM
``Merchant`` for the few places that change one (sandbox settings, the clock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from gateway.domain.records import MerchantRecord
from gateway.store.due import CHUNK
from gateway.store.models import Merchant, Notification

_MERCHANTS = cast(Table, Merchant.__table__)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_FIELDS = tuple(f.name for f in fields(MerchantRecord))
_COLUMNS = tuple(_MERCHANTS.c[name] for name in _FIELDS)
#: The record's columns in its field order, so a row becomes a record positionally.
_RECORD = select(*_COLUMNS)
#: Built once: constructing a select per request cost as much as running it (hot path).
_BY_ACCESS_KEY = _RECORD.where(_MERCHANTS.c.access_key == bindparam("key"))
_BY_SELLER_ID = _RECORD.where(_MERCHANTS.c.seller_id == bindparam("key"))
_BY_ID = _RECORD.where(_MERCHANTS.c.id == bindparam("key"))


def record_columns() -> tuple[Any, ...]:
    """The columns a ``MerchantRecord`` is made of, in its field order (for other statements)."""
    return _COLUMNS


def _one(session: Session, statement: Any, key: object) -> MerchantRecord | None:
    row = session.connection().execute(statement, {"key": key}).first()
    return None if row is None else MerchantRecord(*row)


def by_access_key(session: Session, access_key: str) -> MerchantRecord | None:
    return _one(session, _BY_ACCESS_KEY, access_key)


def by_seller_id(session: Session, seller_id: str) -> MerchantRecord | None:
    return _one(session, _BY_SELLER_ID, seller_id)


def by_id(session: Session, merchant_id: int) -> MerchantRecord | None:
    return _one(session, _BY_ID, merchant_id)


def one_by_id(session: Session, merchant_id: int) -> MerchantRecord:
    """The merchant of ``merchant_id``, which must exist (a row of its own refers to it)."""
    merchant = by_id(session, merchant_id)
    if merchant is None:
        raise LookupError(f"no merchant with id {merchant_id}")
    return merchant


#: Built once: every IPN sweep asks it (the states bound per call).
_WITH_NOTIFICATIONS_IN = _RECORD.where(
    _MERCHANTS.c.id.in_(
        select(_NOTIFICATIONS.c.merchant_id)
        .where(_NOTIFICATIONS.c.delivery_state.in_(bindparam("states", expanding=True)))
        .distinct()
    )
).order_by(_MERCHANTS.c.id)


def with_notifications_in(session: Session, states: Sequence[str]) -> list[MerchantRecord]:
    """The merchants that have a notification in one of ``states`` (IPN delivery), by id."""
    rows = session.connection().execute(_WITH_NOTIFICATIONS_IN, {"states": list(states)})
    return [MerchantRecord(*row) for row in rows]


_TAKE_REFUND_PROCESSING_FAILURE = (
    update(_MERCHANTS)
    .where(_MERCHANTS.c.id == bindparam("key"), _MERCHANTS.c.refund_processing_failures > 0)
    .values(
        refund_processing_failures=_MERCHANTS.c.refund_processing_failures - 1,
        version=_MERCHANTS.c.version + 1,
    )
)


def take_refund_processing_failure(session: Session, merchant_id: int) -> bool:
    """Count down the merchant's ``refund_processing_failures``; False when none was left."""
    done = session.connection().execute(_TAKE_REFUND_PROCESSING_FAILURE, {"key": merchant_id})
    return cast(CursorResult[Any], done).rowcount == 1


def as_record(merchant: Merchant) -> MerchantRecord:
    """The record of a merchant this transaction has just created or changed through the ORM."""
    return MerchantRecord(*(getattr(merchant, name) for name in _FIELDS))


def for_update(session: Session, merchant_id: int) -> Merchant:
    """The ORM merchant, to change it in this transaction, locked (PostgreSQL) so that concurrent
    changes (two clocks advanced at once) wait for each other; its version checks the UPDATE."""
    return session.get_one(Merchant, merchant_id, with_for_update=True, populate_existing=True)


def clocks(session: Session, ids: Sequence[int]) -> dict[int, tuple[float, datetime | None]]:
    """The clock columns (offset, frozen instant) of the merchants ``ids`` that exist."""
    found: dict[int, tuple[float, datetime | None]] = {}
    for low in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Merchant.id, Merchant.clock_offset_seconds, Merchant.clock_frozen_at).where(
                Merchant.id.in_(ids[low : low + CHUNK])
            )
        )
        found.update((merchant_id, (offset, frozen)) for merchant_id, offset, frozen in rows)
    return found


def furthest_clocks(session: Session) -> tuple[float, datetime | None]:
    """The largest clock offset of any merchant, and the latest instant one is frozen at."""
    offset, frozen = session.execute(
        select(func.max(Merchant.clock_offset_seconds), func.max(Merchant.clock_frozen_at))
    ).one()
    if frozen is not None and frozen.tzinfo is None:
        # max() over the column bypasses the UTC type decorator on some backends.
        frozen = frozen.replace(tzinfo=UTC)
    return offset or 0.0, frozen
