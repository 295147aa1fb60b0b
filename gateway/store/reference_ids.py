"""Seller reference ids: which request first used one (``gateway.domain.idempotency``).

A reference id row is never changed after its insert, so nothing here needs the unit of work;
the statements are built once (every Authorize, Capture and Refund runs them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.orm import Session

from gateway.store.models import ReferenceId


@dataclass(frozen=True, slots=True)
class ReferenceUse:
    """What the first request with a reference id was, and what it created."""

    operation: str
    fingerprint: str
    object_id: str


REFERENCE_IDS = cast(Table, ReferenceId.__table__)
#: ``ReferenceUse``'s columns, in its field order (another statement may read them in a join).
USE_COLUMNS = (REFERENCE_IDS.c.operation, REFERENCE_IDS.c.fingerprint, REFERENCE_IDS.c.object_id)
#: The merchant's reference id (bound as ``merchant_id`` and ``reference_id``).
SAME_REFERENCE_ID = and_(
    REFERENCE_IDS.c.merchant_id == bindparam("merchant_id"),
    REFERENCE_IDS.c.reference_id == bindparam("reference_id"),
)
_BY_REFERENCE_ID = select(*USE_COLUMNS).where(SAME_REFERENCE_ID)
_INSERT = REFERENCE_IDS.insert()


def use_of(row: Any) -> ReferenceUse | None:
    """The use in a row that read ``USE_COLUMNS`` last (an outer join leaves them NULL)."""
    operation, fingerprint, object_id = row[-3:]
    return None if operation is None else ReferenceUse(operation, fingerprint, object_id)


def find(session: Session, merchant_id: int, reference_id: str) -> ReferenceUse | None:
    row = (
        session.connection()
        .execute(_BY_REFERENCE_ID, {"merchant_id": merchant_id, "reference_id": reference_id})
        .first()
    )
    return None if row is None else use_of(row)


def insert(
    session: Session,
    merchant_id: int,
    reference_id: str,
    use: ReferenceUse,
    now: datetime,
) -> None:
    """Record a first use. A racing twin fails on the unique key (and its retry finds this)."""
    session.connection().execute(
        _INSERT,
        {
            "merchant_id": merchant_id,
            "reference_id": reference_id,
            "operation": use.operation,
            "fingerprint": use.fingerprint,
            "object_id": use.object_id,
            "created_at": now,
        },
    )
