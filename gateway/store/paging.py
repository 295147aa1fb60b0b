"""Keyset paging: a page of rows and the opaque cursor of the next one. No Flask here.

Every list of the sandbox API (and the dashboard, which calls ``gateway.store.listings``
directly) is ordered newest first by a key that is unique per row, ``(created_at, id)`` or
``id``, and the next page starts strictly below the last row's key: ``WHERE key < :cursor
ORDER BY key DESC LIMIT n``. Never OFFSET, which reads and discards every row before the page:
with an index on the key, page 2,000 costs what page 1 costs.

The cursor is the last row's key, as JSON in URL-safe base64: opaque to clients, which only
hand it back, and checked on the way in (a cursor that does not decode, or whose values are not
of the key's types, is an :class:`InvalidCursor`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, tuple_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Rows a page holds unless asked otherwise, and the most it may hold.
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


#: A select of any columns (SQLAlchemy 2.1's Select is generic over its column types).
AnySelect = Select[*tuple[Any, ...]]


class InvalidCursor(ValueError):
    """A cursor this list did not hand out (or one of another list)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first; ``next`` is the cursor of the following page, or None
    when this is the last."""

    items: list[T]
    next: str | None


@dataclass(frozen=True)
class Key:
    """The columns a list is ordered by (newest first) and how each is kept in a cursor:
    ``int`` or ``datetime``. The last column must be unique (the row id)."""

    columns: tuple[Any, ...]
    kinds: tuple[type, ...]

    def encode(self, values: Sequence[Any]) -> str:
        plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
        raw = json.dumps(plain, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, ...]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            plain = json.loads(raw)
        except (binascii.Error, ValueError, RecursionError):
            raise InvalidCursor("cursor is not one this list handed out") from None
        if not isinstance(plain, list) or len(plain) != len(self.kinds):
            raise InvalidCursor("cursor is not one this list handed out")
        return tuple(
            _decode_value(kind, value) for kind, value in zip(self.kinds, plain, strict=True)
        )


def _decode_value(kind: type, value: Any) -> Any:
    if kind is int and type(value) is int and -(2**63) <= value < 2**63:
        return value
    if kind is datetime and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
    raise InvalidCursor("cursor is not one this list handed out")


def page(
    session: Session,
    statement: AnySelect,
    key: Key,
    *,
    cursor: str | None,
    limit: int,
    build: Callable[[Row[Any]], T],
    key_of: Callable[[T], Sequence[Any]],
) -> Page[T]:
    """The page of ``statement`` (already filtered) that starts below ``cursor``.

    ``build`` makes an item of a row; ``key_of`` reads an item's key back for the next cursor.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    if cursor is not None:
        # Bound with each column's own type (UTC datetimes are stored naive).
        after = [
            bindparam(None, value, type_=column.type)
            for column, value in zip(key.columns, key.decode(cursor), strict=True)
        ]
        statement = statement.where(tuple_(*key.columns) < tuple_(*after))
    statement = statement.order_by(*(column.desc() for column in key.columns)).limit(limit + 1)
    items = [build(row) for row in session.execute(statement)]
    if len(items) <= limit:
        return Page(items, None)
    del items[limit:]
    return Page(items, key.encode(key_of(items[-1])))
