"""Due work: applying planned outcomes when a merchant's clock reaches them. No Flask here.

Each object with a ``due_at`` carries its planned state. ``due_items`` finds them with the
``(state, due_at)`` indexes, so a sweep costs what is due, not what is stored; ``apply_due``
applies one in the caller's transaction (re-checking that it is still due, since another worker
may have got there first: the row version makes the second attempt fail and retry).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.clock import merchant_now
from gateway.domain.lifecycle import Context, moved, transition
from gateway.domain.payments import close_refunded_captures, resolve_authorization
from gateway.domain.records import RefundRecord
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.domain.states import RefundState as R
from gateway.registry import DueKind, Registry
from gateway.store import due, merchants, refunds
from gateway.store.models import Authorization, Capture, OrderReference, Refund

DueKey = tuple[datetime, str, int]


def due_items(
    registry: Registry, session: Session, merchant_id: int, now: datetime, limit: int
) -> list[DueKey]:
    """Up to ``limit`` (due_at, kind, id) of the merchant's due work, earliest first."""
    return due.due_keys(session, _due_kinds(registry), merchant_id, now, limit)


def _due_kinds(registry: Registry) -> due.DueKinds:
    return tuple((name, kind.model, kind.states) for name, kind in registry.due.items())


def merchants_with_due_work(
    registry: Registry, session: Session, latest_now: datetime, base_now: datetime
) -> list[int]:
    """Merchants with work due at their own clocks (``base_now`` the base clock's time).

    The ``(state, due_at)`` indexes find each merchant's earliest due row up to the
    furthest-ahead merchant clock (``latest_now``), so an idle sweep costs a few index probes
    however many merchants and objects are stored. Each such merchant is kept only if its own
    clock has reached that row: one merchant whose clock was moved a year ahead must not make
    every sweep open a write transaction for every merchant with work due within that year.
    """
    earliest = due.earliest_due(session, _due_kinds(registry), latest_now)
    if not earliest:
        return []
    clocks = merchants.clocks(session, list(earliest))
    return sorted(
        merchant_id
        for merchant_id, due_at in earliest.items()
        if merchant_id in clocks and due_at <= merchant_now(base_now, *clocks[merchant_id])
    )


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
        if kind.apply_many is None:
            loaded.extend(due.load(session, kind.model, pks, kind.load_options))
    return loaded


def apply_due(ctx: Context, name: str, pk: int) -> bool:
    """Apply the planned outcome of one object if it is (still) due; True when applied."""
    kind = ctx.registry.due[name]
    obj = ctx.session.get(kind.model, pk)
    if obj is None or obj.due_at is None or obj.due_at > ctx.now or obj.planned_state is None:
        return False
    if obj.state not in kind.states or kind.apply is None:
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


def _refund_outcome(ctx: Context, ref: RefundRecord) -> tuple[str, str | None]:
    assert ref.planned_state is not None
    state, reason = ref.planned_state, ref.planned_reason
    for hook in ctx.registry.refund_outcome_hooks:
        override = hook(ctx, ref)
        if override is not None:
            state, reason = override
            break
    return state, reason


def settle_refunds(ctx: Context, pks: list[int]) -> int:
    """Settle the due Pending refunds of ``pks`` (in that order) with a few set-based statements.

    The one way a refund settles, one or a hundred thousand: its planned outcome (unless an
    outcome hook overrides it), through the transition table with one notification per refund,
    and the capture's sums (a Completed refund counts as refunded; a Declined one no longer counts
    against the refundable amount); a capture its refunds have exhausted is then closed
    (``payments.close_refunded_captures``). The unit of work cost about a millisecond per refund, the
    statements a few dozen microseconds; a refund or capture that another transaction changed
    in between makes the batch fail and ``Database.run`` retry it whole, as a failed flush would.
    """
    ctx.session.flush()  # what the transaction changed through the ORM so far goes first
    settled: list[RefundRecord] = []
    notifications: list[dict[str, Any]] = []
    captures: dict[int, tuple[int, int]] = {}  # capture id -> (refunded +, reserved -)
    for ref in refunds.by_ids(ctx.session, pks):
        if ref.state != R.PENDING or ref.planned_state is None:
            continue
        if ref.due_at is None or ref.due_at > ctx.now:
            continue
        done, notification = moved(ctx, "Refund", ref, *_refund_outcome(ctx, ref))
        refunded, released = captures.get(ref.capture_id, (0, 0))
        if done.state == R.COMPLETED:
            refunded += ref.amount_minor
        else:
            released += ref.amount_minor
        captures[ref.capture_id] = (refunded, released)
        settled.append(done)
        if notification is not None:
            notifications.append(notification)
    if settled:
        totals = refunds.settle(ctx.session, settled, captures, notifications)
        close_refunded_captures(ctx, totals)
    return len(settled)


#: The Off-Amazon Payments objects' due work (``gateway.composition`` installs it).
DUE_WORK = (
    DueKind(Refund, (R.PENDING,), apply_many=settle_refunds),
    DueKind(Authorization, (A.PENDING, A.OPEN), _apply_authorization),
    DueKind(Capture, (C.PENDING,), _apply_planned),
    DueKind(OrderReference, (O.DRAFT, O.OPEN, O.SUSPENDED), _apply_planned),
)
