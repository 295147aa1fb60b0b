"""Queries for work that becomes due: rows whose ``due_at`` has come, by the ``(state, due_at)``
indexes, so that a sweep costs what is due, not what is stored (``gateway.domain.settlement``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CompoundSelect, String, bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

#: Primary keys per IN (...) when a batch is loaded (under SQLite's bound-parameter limit).
CHUNK = 500


#: The kinds of rows due work is looked for in: (name, model, states) each.
DueKinds = tuple[tuple[str, type[Any], tuple[str, ...]], ...]


@functools.lru_cache(maxsize=8)
def _due_statement(kinds: DueKinds) -> CompoundSelect[Any]:
    """One statement for every kind: a UNION ALL of each kind's first ``limit`` due rows by its
    own ``(state, due_at)`` index. Built once per set of kinds (building it costs more than
    running it); the merchant, the time and the limit are bound per call."""
    return union_all(
        *(
            select(
                select(model.due_at, literal(name, String).label("kind"), model.id)
                .where(
                    model.state.in_(states),
                    model.due_at <= bindparam("now"),
                    model.merchant_id == bindparam("merchant_id"),
                )
                .order_by(model.due_at, model.id)
                .limit(bindparam("limit"))
                .subquery()
            )
            for name, model, states in kinds
        )
    )


def due_keys(
    session: Session, kinds: DueKinds, merchant_id: int, now: datetime, limit: int
) -> list[tuple[datetime, str, int]]:
    """Up to ``limit`` (due_at, kind name, id) of the merchant's rows due at ``now`` among
    ``kinds``, earliest first, in one statement (not one per kind)."""
    if not kinds:
        return []
    rows = session.execute(
        _due_statement(kinds), {"now": now, "merchant_id": merchant_id, "limit": limit}
    )
    return sorted((due_at, kind, pk) for due_at, kind, pk in rows)[:limit]


@functools.lru_cache(maxsize=8)
def _earliest_statement(kinds: DueKinds) -> CompoundSelect[Any]:
    """One statement for every kind: each merchant's earliest due row of each kind, by the
    ``(state, due_at)`` indexes. Built once per set of kinds, as ``_due_statement``."""
    return union_all(
        *(
            select(model.merchant_id, func.min(model.due_at))
            .where(model.state.in_(states), model.due_at <= bindparam("latest"))
            .group_by(model.merchant_id)
            for _, model, states in kinds
        )
    )


def earliest_due(session: Session, kinds: DueKinds, latest_now: datetime) -> dict[int, datetime]:
    """Each merchant with rows of ``kinds`` due by ``latest_now``, and its earliest ``due_at``
    among them, in one statement: an idle sweep's cost."""
    earliest: dict[int, datetime] = {}
    if not kinds:
        return earliest
    for merchant_id, due_at in session.execute(_earliest_statement(kinds), {"latest": latest_now}):
        # min() over the column bypasses its UTC type decorator on some backends (as max() does
        # in gateway.store.merchants.furthest_clocks).
        due_at = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)
        if merchant_id not in earliest or due_at < earliest[merchant_id]:
            earliest[merchant_id] = due_at
    return earliest


def load(
    session: Session, model: type[Any], ids: Sequence[int], options: Sequence[Any] = ()
) -> list[Any]:
    """The ORM objects of ``ids`` (in no particular order), in a few queries."""
    loaded: list[Any] = []
    for low in range(0, len(ids), CHUNK):
        chunk = ids[low : low + CHUNK]
        loaded.extend(session.scalars(select(model).where(model.id.in_(chunk)).options(*options)))
    return loaded
