"""The throttling buckets' rows (``gateway.faults.throttling``): read ``FOR UPDATE``, written in
the request's transaction. A bucket made by two requests at once is a unique-key race that
``Database.run`` retries."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from gateway.store.models import ThrottleBucket

_BUCKETS = cast(Table, ThrottleBucket.__table__)
_KEY = and_(
    _BUCKETS.c.merchant_id == bindparam("key_merchant"),
    _BUCKETS.c.service == bindparam("key_service"),
    _BUCKETS.c.operation == bindparam("key_operation"),
)
#: Built once: on the hot path of a throttled merchant's every request.
_LOCK = select(_BUCKETS.c.empty_at_us, _BUCKETS.c.seen_at_us).where(_KEY).with_for_update()
_UPDATE = (
    update(_BUCKETS)
    .where(_KEY)
    .values(empty_at_us=bindparam("new_empty_at"), seen_at_us=bindparam("new_seen_at"))
)
_INSERT = insert(_BUCKETS)


def _key(merchant_id: int, service: str, operation: str) -> dict[str, object]:
    return {"key_merchant": merchant_id, "key_service": service, "key_operation": operation}


def lock(
    session: Session, merchant_id: int, service: str, operation: str
) -> tuple[int, int] | None:
    """``(empty_at_us, seen_at_us)`` of the bucket, locked until the transaction ends; None: none."""
    row = session.connection().execute(_LOCK, _key(merchant_id, service, operation)).first()
    return None if row is None else (row[0], row[1])


def save(
    session: Session,
    merchant_id: int,
    service: str,
    operation: str,
    *,
    empty_at_us: int,
    seen_at_us: int,
    exists: bool,
) -> None:
    if exists:
        values = {"new_empty_at": empty_at_us, "new_seen_at": seen_at_us}
        session.connection().execute(_UPDATE, _key(merchant_id, service, operation) | values)
    else:
        row = {"merchant_id": merchant_id, "service": service, "operation": operation}
        values = {"empty_at_us": empty_at_us, "seen_at_us": seen_at_us}
        session.connection().execute(_INSERT, row | values)


def of_merchant(session: Session, merchant_id: int, service: str) -> dict[str, tuple[int, int]]:
    """The merchant's buckets of ``service``: ``{operation: (empty_at_us, seen_at_us)}``."""
    rows = session.execute(
        select(_BUCKETS.c.operation, _BUCKETS.c.empty_at_us, _BUCKETS.c.seen_at_us).where(
            _BUCKETS.c.merchant_id == merchant_id, _BUCKETS.c.service == service
        )
    )
    return {operation: (empty_at, seen_at) for operation, empty_at, seen_at in rows}


def clear(session: Session, merchant_id: int) -> None:
    """Empty every bucket of the merchant (a mode switched starts with full quotas)."""
    session.execute(delete(_BUCKETS).where(_BUCKETS.c.merchant_id == merchant_id))
