"""Reading a merchant's rows in chunks for an export (``gateway.transfer.export``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

#: Rows read per statement (and so held at once).
CHUNK = 200


def chunks(session: Session, model: type[Any], merchant_id: int) -> Iterator[list[Any]]:
    """The merchant's rows of ``model`` by id, ``CHUNK`` at a time (keyset, never OFFSET). The
    caller expunges each chunk when done with it, so memory holds one chunk."""
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(model)
                .where(model.merchant_id == merchant_id, model.id > last)
                .order_by(model.id)
                .limit(CHUNK)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


def children(session: Session, model: type[Any], column: str, ids: Sequence[int]) -> list[Any]:
    """The rows of ``model`` whose ``column`` is one of ``ids``, by id."""
    if not ids:
        return []
    key = getattr(model, column)
    return list(session.scalars(select(model).where(key.in_(list(ids))).order_by(model.id)))
