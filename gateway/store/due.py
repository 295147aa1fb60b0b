"""Queries for work that becomes due: rows whose ``due_at`` has come, by the ``(state, due_at)``
indexes, so that a sweep costs what is due, not what is stored (``gateway.domain.settlement``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, literal, select, union_all
from sqlalchemy.orm import Session

#: Primary keys per IN (...) when a batch is loaded (under SQLite's bound-parameter limit).
CHUNK = 500


def due_keys(
    session: Session,
    kinds: Sequence[tuple[str, type[Any], Sequence[str]]],
    merchant_id: int,
    now: datetime,
    limit: int,
) -> list[tuple[datetime, str, int]]:
    """Up to ``limit`` (due_at, kind name, id) of the merchant's rows due at ``now`` among
    ``kinds`` (name, model, states), earliest first: one statement for every kind (a UNION ALL
    of each kind's first ``limit`` by its own index), not one per kind."""
    parts = [
        select(
            select(model.due_at, literal(name, String).label("kind"), model.id)
            .where(model.state.in_(states), model.due_at <= now, model.merchant_id == merchant_id)
            .order_by(model.due_at, model.id)
            .limit(limit)
            .subquery()
        )
        for name, model, states in kinds
    ]
    if not parts:
        return []
    rows = session.execute(union_all(*parts))
    return sorted((due_at, kind, pk) for due_at, kind, pk in rows)[:limit]


def merchants_with_due(
    session: Session, model: type[Any], states: Sequence[str], latest_now: datetime
) -> set[int]:
    """Merchants with rows of ``model`` due by ``latest_now`` (a few index probes)."""
    return set(
        session.scalars(
            select(model.merchant_id)
            .where(model.state.in_(states), model.due_at <= latest_now)
            .distinct()
        )
    )


def load(
    session: Session, model: type[Any], ids: Sequence[int], options: Sequence[Any] = ()
) -> list[Any]:
    """The ORM objects of ``ids`` (in no particular order), in a few queries."""
    loaded: list[Any] = []
    for low in range(0, len(ids), CHUNK):
        chunk = ids[low : low + CHUNK]
        loaded.extend(session.scalars(select(model).where(model.id.in_(chunk)).options(*options)))
    return loaded
