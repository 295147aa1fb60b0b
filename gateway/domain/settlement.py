"""Due work: applying planned outcomes when a merchant's clock reaches them. No Flask here.

Each object with a ``due_at`` carries its planned state. ``due_items`` finds them with the
``(state, due_at)`` indexes, so a sweep costs what is due, not what is stored; ``apply_due``
applies one in the caller's transaction (re-checking that it is still due, since another worker
may have got there first: the row version makes the second attempt fail and retry).
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from gateway.domain.lifecycle import Context, notification_values, transition
from gateway.domain.payments import resolve_authorization
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.domain.states import RefundState as R
from gateway.errors import InvalidStateTransition
from gateway.registry import DueKind, Registry
from gateway.store.models import Authorization, Capture, Notification, OrderReference, Refund

DueKey = tuple[datetime, str, int]


def due_items(
    registry: Registry, session: Session, merchant_id: int, now: datetime, limit: int
) -> list[DueKey]:
    """Up to ``limit`` (due_at, kind, id) of the merchant's due work, earliest first."""
    found: list[DueKey] = []
    for name, kind in registry.due.items():
        model = kind.model
        rows = session.execute(
            select(model.due_at, model.id)
            .where(
                model.state.in_(kind.states),
                model.due_at <= now,
                model.merchant_id == merchant_id,
            )
            .order_by(model.due_at, model.id)
            .limit(limit)
        ).all()
        found.extend((due_at, name, pk) for due_at, pk in rows)
    found.sort()
    return found[:limit]


def merchants_with_due_work(
    registry: Registry, session: Session, latest_now: datetime
) -> list[int]:
    """Merchants that may have due work, given the furthest-ahead merchant clock.

    Uses the ``(state, due_at)`` indexes, so an idle sweep costs a few index probes however many
    merchants and objects are stored; each candidate is then checked at its own clock.
    """
    found: set[int] = set()
    for kind in registry.due.values():
        model = kind.model
        found.update(
            session.scalars(
                select(model.merchant_id)
                .where(model.state.in_(kind.states), model.due_at <= latest_now)
                .distinct()
            )
        )
    return sorted(found)


#: Primary keys per IN (...) when a batch is loaded (under SQLite's bound-parameter limit).
PREFETCH_CHUNK = 500


def prefetch(registry: Registry, session: Session, items: list[DueKey]) -> list[Any]:
    """Load a batch's objects (and what applying them reads) in a few queries, not one per item.

    They land in the session's identity map, where ``apply_due``'s ``session.get`` finds them;
    the map holds objects weakly, so the caller keeps the returned list while it applies them.
    """
    loaded: list[Any] = []
    by_kind: dict[str, list[int]] = {}
    for _, name, pk in items:
        by_kind.setdefault(name, []).append(pk)
    for name, pks in by_kind.items():
        kind = registry.due[name]
        if kind.apply_many is not None:
            continue
        for low in range(0, len(pks), PREFETCH_CHUNK):
            chunk = pks[low : low + PREFETCH_CHUNK]
            loaded.extend(
                session.scalars(
                    select(kind.model).where(kind.model.id.in_(chunk)).options(*kind.load_options)
                )
            )
    return loaded


def apply_due(ctx: Context, name: str, pk: int) -> bool:
    """Apply the planned outcome of one object if it is (still) due; True when applied."""
    kind = ctx.registry.due[name]
    obj = ctx.session.get(kind.model, pk)
    if obj is None or obj.due_at is None or obj.due_at > ctx.now or obj.planned_state is None:
        return False
    if obj.state not in kind.states:
        return False
    kind.apply(ctx, obj)
    return True


def apply_due_batch(ctx: Context, items: list[DueKey]) -> int:
    """Apply a batch in due order; runs of a kind with ``apply_many`` are applied together."""
    applied = 0
    run: list[int] = []
    run_kind: DueKind | None = None
    for _, name, pk in items:
        kind = ctx.registry.due[name]
        if run_kind is not None and kind is not run_kind:
            assert run_kind.apply_many is not None
            applied += run_kind.apply_many(ctx, run)
            run, run_kind = [], None
        if kind.apply_many is not None:
            run_kind = kind
            run.append(pk)
        else:
            applied += apply_due(ctx, name, pk)
    if run_kind is not None:
        assert run_kind.apply_many is not None
        applied += run_kind.apply_many(ctx, run)
    return applied


def _apply_planned(ctx: Context, obj: Any) -> None:
    transition(ctx, obj, obj.planned_state, obj.planned_reason)


def _apply_authorization(ctx: Context, auth: Authorization) -> None:
    if auth.state == A.PENDING:
        assert auth.planned_state is not None
        resolve_authorization(ctx, auth, auth.planned_state, auth.planned_reason, creating=False)
    else:
        _apply_planned(ctx, auth)


def _apply_refund(ctx: Context, ref: Refund) -> None:
    assert ref.planned_state is not None
    _settle_refund(ctx, ref, ref.planned_state, ref.planned_reason)


def _settle_refund(ctx: Context, ref: Refund, state: str, reason: str | None) -> None:
    for hook in ctx.registry.refund_outcome_hooks:
        override = hook(ctx, ref)
        if override is not None:
            state, reason = override
            break
    cap = ref.capture
    if state == R.COMPLETED:
        cap.refunded_minor += ref.amount_minor
    else:
        # A declined refund no longer counts against the capture's refundable amount.
        cap.refund_reserved_minor -= ref.amount_minor
    transition(ctx, ref, state, reason)


def _settle_refunds(ctx: Context, pks: list[int]) -> int:
    """Settle many due Pending refunds with a few set-based statements.

    The same rules as ``_settle_refund`` (outcome hooks, the transition table, the capture's
    refunded and reserved sums, one notification per refund), written as executemany UPDATEs and
    INSERTs: the unit of work cost about a millisecond per refund, the statements a few dozen
    microseconds. Each UPDATE is still a compare-and-set on the row's version; if another
    transaction changed a refund or capture in between, ``StaleDataError`` makes
    ``Database.run`` retry the whole batch, as a failed ORM flush would.
    """
    kind = ctx.registry.kind_of(Refund)
    if kind.extra is not None:
        # Notification extras are computed from the ORM object: settle one by one.
        return sum(apply_due(ctx, "Refund", pk) for pk in pks)
    session = ctx.session
    session.flush()  # what the batch changed through the ORM so far goes first, in order
    refunds = cast(Table, Refund.__table__)
    captures = cast(Table, Capture.__table__)
    rows: list[Any] = []
    for low in range(0, len(pks), PREFETCH_CHUNK):
        chunk = pks[low : low + PREFETCH_CHUNK]
        rows.extend(
            session.execute(
                select(
                    refunds.c.id,
                    refunds.c.version,
                    refunds.c.amazon_id,
                    refunds.c.capture_id,
                    refunds.c.order_reference_id,
                    refunds.c.amount_minor,
                    refunds.c.state,
                    refunds.c.due_at,
                    refunds.c.planned_state,
                    refunds.c.planned_reason,
                ).where(refunds.c.id.in_(chunk))
            ).all()
        )
    order = {pk: i for i, pk in enumerate(pks)}
    rows.sort(key=lambda r: order[r.id])
    refund_updates: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    deltas: dict[int, list[int]] = {}  # capture id -> [refunded +, reserved -]
    for row in rows:
        if row.state != R.PENDING or row.due_at is None or row.due_at > ctx.now:
            continue
        if row.planned_state is None:
            continue
        state, reason = row.planned_state, row.planned_reason
        for hook in ctx.registry.refund_outcome_hooks:
            override = hook(ctx, row)
            if override is not None:
                state, reason = override
                break
        if not kind.allows(row.state, state):
            raise InvalidStateTransition(f"Refund {row.amazon_id}: {row.state} -> {state}")
        delta = deltas.setdefault(row.capture_id, [0, 0])
        if state == R.COMPLETED:
            delta[0] += row.amount_minor
        else:
            # A declined refund no longer counts against the capture's refundable amount.
            delta[1] += row.amount_minor
        refund_updates.append(
            {
                "b_id": row.id,
                "b_version": row.version,
                "b_new_version": row.version + 1,
                "b_state": state,
                "b_reason": reason,
            }
        )
        changed = SimpleNamespace(
            amazon_id=row.amazon_id, state=state, reason_code=reason, reason_description=None
        )
        values = notification_values(ctx, kind, kind.notification, changed)
        if values is not None:
            notifications.append(values)
    if not refund_updates:
        return 0
    cap_versions: dict[int, int] = {}
    cap_ids = list(deltas)
    for low in range(0, len(cap_ids), PREFETCH_CHUNK):
        chunk = cap_ids[low : low + PREFETCH_CHUNK]
        found = session.execute(
            select(captures.c.id, captures.c.version).where(captures.c.id.in_(chunk))
        )
        cap_versions.update((cid, version) for cid, version in found)
    connection = session.connection()
    done = connection.execute(
        update(refunds)
        .where(refunds.c.id == bindparam("b_id"), refunds.c.version == bindparam("b_version"))
        .values(
            state=bindparam("b_state"),
            reason_code=bindparam("b_reason"),
            reason_description=None,
            last_update=ctx.now,
            due_at=None,
            planned_state=None,
            planned_reason=None,
            version=bindparam("b_new_version"),
        ),
        refund_updates,
    )
    if done.rowcount != len(refund_updates):
        raise StaleDataError("a due refund changed while its batch was being settled")
    capture_updates = [
        {
            "b_id": cid,
            "b_version": cap_versions[cid],
            "b_new_version": cap_versions[cid] + 1,
            "b_refunded": refunded,
            "b_released": released,
        }
        for cid, (refunded, released) in deltas.items()
    ]
    done = connection.execute(
        update(captures)
        .where(captures.c.id == bindparam("b_id"), captures.c.version == bindparam("b_version"))
        .values(
            refunded_minor=captures.c.refunded_minor + bindparam("b_refunded"),
            refund_reserved_minor=captures.c.refund_reserved_minor - bindparam("b_released"),
            version=bindparam("b_new_version"),
        ),
        capture_updates,
    )
    if done.rowcount != len(capture_updates):
        raise StaleDataError("a capture changed while its refunds were being settled")
    if notifications:
        connection.execute(insert(cast(Table, Notification.__table__)), notifications)
    # Objects of this transaction's identity map that the statements changed are reloaded on
    # their next use rather than trusted.
    for model, ids in ((Refund, [u["b_id"] for u in refund_updates]), (Capture, cap_ids)):
        for pk in ids:
            obj = session.identity_map.get(identity_key(model, pk))
            if obj is not None:
                session.expire(obj)
    return len(refund_updates)


#: The Off-Amazon Payments objects' due work (``gateway.composition`` installs it).
DUE_WORK = (
    DueKind(Refund, (R.PENDING,), _apply_refund, apply_many=_settle_refunds),
    DueKind(Authorization, (A.PENDING, A.OPEN), _apply_authorization),
    DueKind(Capture, (C.PENDING,), _apply_planned),
    DueKind(OrderReference, (O.DRAFT, O.OPEN, O.SUSPENDED), _apply_planned),
)
