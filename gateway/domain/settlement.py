"""Due work: applying planned outcomes when a merchant's clock reaches them. No Flask here.

Each object with a ``due_at`` carries its planned state. ``due_items`` finds them with the
``(state, due_at)`` indexes, so a sweep costs what is due, not what is stored; ``apply_due``
applies one in the caller's transaction (re-checking that it is still due, since another worker
may have got there first: the row version makes the second attempt fail and retry).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.lifecycle import Context, transition
from gateway.domain.payments import resolve_authorization
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.domain.states import RefundState as R
from gateway.store.models import Authorization, Capture, OrderReference, Refund

#: The states in which each kind can have due work.
DUE_STATES: dict[type[Any], tuple[str, ...]] = {
    Refund: (R.PENDING,),
    Authorization: (A.PENDING, A.OPEN),
    Capture: (C.PENDING,),
    OrderReference: (O.DRAFT, O.OPEN, O.SUSPENDED),
}

DueKey = tuple[datetime, str, int]

#: Hooks that may override a refund's planned outcome at settlement (disputes register one).
RefundOutcomeHook = Callable[[Context, Refund], "tuple[str, str | None] | None"]
REFUND_OUTCOME_HOOKS: list[RefundOutcomeHook] = []


def due_items(session: Session, merchant_id: int, now: datetime, limit: int) -> list[DueKey]:
    """Up to ``limit`` (due_at, kind, id) of the merchant's due work, earliest first."""
    found: list[DueKey] = []
    for model, states in DUE_STATES.items():
        rows = session.execute(
            select(model.due_at, model.id)
            .where(
                model.state.in_(states),
                model.due_at <= now,
                model.merchant_id == merchant_id,
            )
            .order_by(model.due_at, model.id)
            .limit(limit)
        ).all()
        found.extend((due_at, model.__name__, pk) for due_at, pk in rows)
    found.sort()
    return found[:limit]


_MODELS: dict[str, type[Any]] = {m.__name__: m for m in DUE_STATES}


def apply_due(ctx: Context, kind: str, pk: int) -> bool:
    """Apply the planned outcome of one object if it is (still) due; True when applied."""
    obj = ctx.session.get(_MODELS[kind], pk)
    if obj is None or obj.due_at is None or obj.due_at > ctx.now or obj.planned_state is None:
        return False
    if obj.state not in DUE_STATES[type(obj)]:
        return False
    state, reason = obj.planned_state, obj.planned_reason
    if isinstance(obj, Refund):
        _settle_refund(ctx, obj, state, reason)
    elif isinstance(obj, Authorization) and obj.state == A.PENDING:
        resolve_authorization(ctx, obj, state, reason, creating=False)
    else:
        transition(ctx, obj, state, reason)
    return True


def _settle_refund(ctx: Context, ref: Refund, state: str, reason: str | None) -> None:
    for hook in REFUND_OUTCOME_HOOKS:
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
