"""The request journal's rows: written per request, trimmed to a ring per merchant, paged newest
first (``gateway.wire.journal`` decides what is written and when it is trimmed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.orm import Session

from gateway.store.models import JournalEntry

JOURNAL_TABLE = _JOURNAL = cast(Table, JournalEntry.__table__)
#: Built once: one of these runs on every signed request.
_INSERT = _JOURNAL.insert()


def insert(session: Session, values: Mapping[str, Any]) -> None:
    session.connection().execute(_INSERT, dict(values))


def _owner(merchant_id: int | None) -> Any:
    column = _JOURNAL.c.merchant_id
    return column.is_(None) if merchant_id is None else column == merchant_id


def _trim_statement(owner: Any) -> Any:
    oldest_kept = (
        select(_JOURNAL.c.id)
        .where(owner)
        .order_by(_JOURNAL.c.id.desc())
        .limit(1)
        .offset(bindparam("skip"))
        .scalar_subquery()
    )
    return delete(_JOURNAL).where(owner, _JOURNAL.c.id < oldest_kept)


#: Built once (a merchant's, and no merchant's): a trim runs on a new merchant's first request.
_TRIM = _trim_statement(_JOURNAL.c.merchant_id == bindparam("merchant_id"))
_TRIM_UNOWNED = _trim_statement(_JOURNAL.c.merchant_id.is_(None))


def trim(session: Session, merchant_id: int | None, keep: int) -> None:
    """Leave the newest ``keep`` entries of the merchant (None: of no merchant)."""
    if merchant_id is None:
        session.connection().execute(_TRIM_UNOWNED, {"skip": keep - 1})
    else:
        session.connection().execute(_TRIM, {"skip": keep - 1, "merchant_id": merchant_id})


def page(
    session: Session,
    merchant_id: int | None,
    *,
    limit: int,
    before: int | None = None,
    keep: int,
    action: str | None = None,
    failed: bool | None = None,
) -> list[JournalEntry]:
    """Up to ``limit`` entries newest first, below id ``before``, of the newest ``keep`` (the
    ring: entries past it that no trim removed yet are not shown)."""
    newest = (
        select(_JOURNAL.c.id)
        .where(_owner(merchant_id))
        .order_by(_JOURNAL.c.id.desc())
        .limit(keep)
        .subquery()
    )
    query = select(JournalEntry).where(JournalEntry.id.in_(select(newest.c.id)))
    if before is not None:
        query = query.where(JournalEntry.id < bindparam("before", before))
    if action:
        query = query.where(JournalEntry.action == action)
    if failed is not None:
        query = query.where((JournalEntry.status >= 400) if failed else (JournalEntry.status < 400))
    return list(session.scalars(query.order_by(JournalEntry.id.desc()).limit(limit)))


def count(session: Session, merchant_id: int | None) -> int:
    """How many entries of the merchant are stored (trimming lets a few more than the ring)."""
    return int(
        session.scalar(select(func.count()).where(_owner(merchant_id)).select_from(_JOURNAL)) or 0
    )


def clear(session: Session, merchant_id: int | None) -> None:
    session.execute(delete(_JOURNAL).where(_owner(merchant_id)))


def clear_all(session: Session) -> None:
    session.execute(delete(_JOURNAL))
