"""Refund rows as ``RefundRecord``, and the set-based statements of the Refund operation and of
settlement.

Refunds are the hot path (every Refund request, every GetRefundDetails, settlement by the
hundred thousand), so they run on Core statements built once instead of the unit of work, whose
flush cost more than the rest of a request. Every UPDATE is still a compare-and-set on the row's
version, as the ORM's ``version_id_col`` makes it: when another transaction changed the row in
between, ``StaleDataError`` makes ``Database.run`` retry the whole transaction. The captures a
Refund or a settlement changes are read locked (``FOR UPDATE``), so contention on one capture
makes transactions wait for each other rather than fail their compare-and-set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from gateway.domain.records import RefundRecord
from gateway.store.models import Capture, Notification, Refund
from gateway.store.reference_ids import (
    REFERENCE_IDS,
    SAME_REFERENCE_ID,
    USE_COLUMNS,
    ReferenceUse,
    use_of,
)

_REFUNDS = cast(Table, Refund.__table__)
_CAPTURES = cast(Table, Capture.__table__)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_FIELDS = tuple(f.name for f in fields(RefundRecord))
_NEW_FIELDS = tuple(name for name in _FIELDS if name != "id")
#: The record's columns in its field order, so a row becomes a record positionally.
_RECORD = select(*(_REFUNDS.c[name] for name in _FIELDS))
_BY_AMAZON_ID = _RECORD.where(
    _REFUNDS.c.amazon_id == bindparam("amazon_id"),
    _REFUNDS.c.merchant_id == bindparam("merchant_id"),
)
_BY_ID = _RECORD.where(_REFUNDS.c.id == bindparam("id"))
_INSERT = _REFUNDS.insert()

#: Primary keys per IN (...) (under SQLite's bound-parameter limit).
CHUNK = 500


def by_amazon_id(session: Session, merchant_id: int, amazon_id: str) -> RefundRecord | None:
    """The merchant's refund (another merchant's id is not found)."""
    row = (
        session.connection()
        .execute(_BY_AMAZON_ID, {"amazon_id": amazon_id, "merchant_id": merchant_id})
        .first()
    )
    return None if row is None else RefundRecord(*row)


def by_id(session: Session, refund_id: int) -> RefundRecord:
    return RefundRecord(*session.connection().execute(_BY_ID, {"id": refund_id}).one())


def as_record(refund: Refund) -> RefundRecord:
    """The record of a refund loaded through the ORM (with other kinds' objects, as IPN rendering
    and the sandbox wait endpoint load them)."""
    return RefundRecord(*(getattr(refund, name) for name in _FIELDS))


def insert_refund(session: Session, record: RefundRecord) -> RefundRecord:
    """Write a new refund with one INSERT; ``record.id`` is ignored, the stored one returned."""
    values = {name: getattr(record, name) for name in _NEW_FIELDS}
    result = cast(CursorResult[Any], session.connection().execute(_INSERT, values))
    return RefundRecord(cast(Any, result.inserted_primary_key)[0], *values.values())


# --- the Refund operation ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundSource:
    """What the Refund operation reads of the capture it refunds."""

    id: int
    version: int
    amazon_id: str
    order_reference_id: int
    state: str
    reason_code: str | None
    currency: str
    amount_minor: int
    refund_reserved_minor: int
    refund_count: int
    soft_descriptor: str | None


_SOURCE_COLUMNS = tuple(f.name for f in fields(RefundSource))
#: The capture and the reference id's row (if it was used before) in one statement, the capture
#: locked (PostgreSQL; SQLite's writers take turns already): concurrent Refunds on one capture
#: wait for each other and each reads the counters the one before it committed, so none loses
#: the compare-and-set in ``reserve`` (which ran out of retries under contention: a 500).
_REFUND_SOURCE = (
    select(*(_CAPTURES.c[name] for name in _SOURCE_COLUMNS), *USE_COLUMNS)
    .select_from(_CAPTURES.outerjoin(REFERENCE_IDS, SAME_REFERENCE_ID))
    .where(
        _CAPTURES.c.amazon_id == bindparam("amazon_id"),
        _CAPTURES.c.merchant_id == bindparam("merchant_id"),
    )
    .with_for_update(of=_CAPTURES)
)
_RESERVE = (
    update(_CAPTURES)
    .where(_CAPTURES.c.id == bindparam("b_id"), _CAPTURES.c.version == bindparam("b_version"))
    .values(
        refund_reserved_minor=_CAPTURES.c.refund_reserved_minor + bindparam("b_amount"),
        refund_count=_CAPTURES.c.refund_count + 1,
        version=_CAPTURES.c.version + 1,
    )
)


def refund_source(
    session: Session, merchant_id: int, capture_amazon_id: str, reference_id: str
) -> tuple[RefundSource, ReferenceUse | None] | None:
    """The merchant's capture to refund, and how ``reference_id`` was used (None: not yet)."""
    row = (
        session.connection()
        .execute(
            _REFUND_SOURCE,
            {
                "amazon_id": capture_amazon_id,
                "merchant_id": merchant_id,
                "reference_id": reference_id,
            },
        )
        .first()
    )
    if row is None:
        return None
    capture: tuple[Any, ...] = tuple(row)[: len(_SOURCE_COLUMNS)]
    return RefundSource(*capture), use_of(row)


def reserve(session: Session, source: RefundSource, amount_minor: int) -> None:
    """Count a new refund against the capture, if the capture is still as ``source`` read it
    (it is, when it was read locked; the check guards the rule if it was not)."""
    done = session.connection().execute(
        _RESERVE, {"b_id": source.id, "b_version": source.version, "b_amount": amount_minor}
    )
    if cast(CursorResult[Any], done).rowcount != 1:
        raise StaleDataError(f"capture {source.amazon_id} changed while a refund was being made")


# --- settlement --------------------------------------------------------------------------------

_SETTLE = (
    update(_REFUNDS)
    .where(_REFUNDS.c.id == bindparam("b_id"), _REFUNDS.c.version == bindparam("b_version"))
    .values(
        state=bindparam("b_state"),
        reason_code=bindparam("b_reason_code"),
        reason_description=bindparam("b_reason_description"),
        last_update=bindparam("b_last_update"),
        # A settled refund has nothing planned (``lifecycle.moved`` clears it too).
        due_at=None,
        planned_state=None,
        planned_reason=None,
        version=_REFUNDS.c.version + 1,
    )
)
#: Locked in id order (one order for every transaction that locks several captures), so a
#: Refund request that commits meanwhile cannot make the settlement's compare-and-set fail.
_CAPTURE_VERSIONS = (
    select(_CAPTURES.c.id, _CAPTURES.c.version)
    .where(_CAPTURES.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_CAPTURES.c.id)
    .with_for_update()
)
_SETTLE_CAPTURE = (
    update(_CAPTURES)
    .where(_CAPTURES.c.id == bindparam("b_id"), _CAPTURES.c.version == bindparam("b_version"))
    .values(
        refunded_minor=_CAPTURES.c.refunded_minor + bindparam("b_refunded"),
        refund_reserved_minor=_CAPTURES.c.refund_reserved_minor - bindparam("b_released"),
        version=_CAPTURES.c.version + 1,
    )
)
_DUE = _RECORD.where(_REFUNDS.c.id.in_(bindparam("ids", expanding=True)))


def by_ids(session: Session, ids: Sequence[int]) -> list[RefundRecord]:
    """The refunds of ``ids``, in that order (ids not found are left out)."""
    connection = session.connection()
    found: dict[int, RefundRecord] = {}
    for low in range(0, len(ids), CHUNK):
        # .all() fetches the chunk at once; iterating the result fetched row by row.
        for row in connection.execute(_DUE, {"ids": ids[low : low + CHUNK]}).all():
            found[row.id] = RefundRecord(*row)
    return [found[pk] for pk in ids if pk in found]


def settle(
    session: Session,
    settled: Sequence[RefundRecord],
    captures: Mapping[int, tuple[int, int]],
    notifications: Sequence[dict[str, Any]],
) -> None:
    """Write settled refunds, their captures' sums and their outbox rows.

    ``settled`` are the refunds as they now are (in a final state, nothing planned), each with
    the ``version`` it was read at; ``captures`` maps a capture id to (amount now refunded,
    amount no longer reserved).
    """
    connection = session.connection()
    done = connection.execute(
        _SETTLE,
        [
            {
                "b_id": ref.id,
                "b_version": ref.version,
                "b_state": ref.state,
                "b_reason_code": ref.reason_code,
                "b_reason_description": ref.reason_description,
                "b_last_update": ref.last_update,
            }
            for ref in settled
        ],
    )
    if done.rowcount != len(settled):
        raise StaleDataError("a due refund changed while its batch was being settled")
    ids = list(captures)
    versions: dict[int, int] = {}
    for low in range(0, len(ids), CHUNK):
        rows = connection.execute(_CAPTURE_VERSIONS, {"ids": ids[low : low + CHUNK]})
        versions.update((cid, version) for cid, version in rows)
    done = connection.execute(
        _SETTLE_CAPTURE,
        [
            {
                "b_id": cid,
                "b_version": versions[cid],
                "b_refunded": refunded,
                "b_released": released,
            }
            for cid, (refunded, released) in captures.items()
        ],
    )
    if done.rowcount != len(captures):
        raise StaleDataError("a capture changed while its refunds were being settled")
    if notifications:
        connection.execute(insert(_NOTIFICATIONS), list(notifications))
    # Objects of this transaction's identity map that the statements changed are reloaded on
    # their next use rather than trusted.
    for model, changed in ((Refund, [ref.id for ref in settled]), (Capture, ids)):
        for pk in changed:
            obj = session.identity_map.get(identity_key(model, pk))
            if obj is not None:
                session.expire(obj)
