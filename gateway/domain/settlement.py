"""Due work: applying planned outcomes when a merchant's clock reaches them. No Flask here.

Each object with a ``due_at`` carries its planned state. ``due_items`` finds them with the
``(state, due_at)`` indexes, so a sweep costs what is due, not what is stored; ``apply_due``
applies one in the caller's transaction (re-checking that it is still due, since another worker
may have got there first: the row version makes the second attempt fail and retry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DueKind:
    """A model whose rows can carry due work: the states to look in and how to apply it."""

    model: type[Any]
    states: tuple[str, ...]
    apply: Callable[[Context, Any], None]


#: Every kind of due work by model name. Other packages (FPS) add theirs with ``register``.
DUE_KINDS: dict[str, DueKind] = {}

DueKey = tuple[datetime, str, int]

#: Hooks that may override a refund's planned outcome at settlement (disputes register one).
RefundOutcomeHook = Callable[[Context, Refund], "tuple[str, str | None] | None"]
REFUND_OUTCOME_HOOKS: list[RefundOutcomeHook] = []


def register(kind: DueKind) -> None:
    DUE_KINDS[kind.model.__name__] = kind


def due_items(session: Session, merchant_id: int, now: datetime, limit: int) -> list[DueKey]:
    """Up to ``limit`` (due_at, kind, id) of the merchant's due work, earliest first."""
    found: list[DueKey] = []
    for name, kind in DUE_KINDS.items():
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


def merchants_with_due_work(session: Session, latest_now: datetime) -> list[int]:
    """Merchants that may have due work, given the furthest-ahead merchant clock.

    Uses the ``(state, due_at)`` indexes, so an idle sweep costs a few index probes however many
    merchants and objects are stored; each candidate is then checked at its own clock.
    """
    found: set[int] = set()
    for kind in DUE_KINDS.values():
        model = kind.model
        found.update(
            session.scalars(
                select(model.merchant_id)
                .where(model.state.in_(kind.states), model.due_at <= latest_now)
                .distinct()
            )
        )
    return sorted(found)


def apply_due(ctx: Context, name: str, pk: int) -> bool:
    """Apply the planned outcome of one object if it is (still) due; True when applied."""
    kind = DUE_KINDS[name]
    obj = ctx.session.get(kind.model, pk)
    if obj is None or obj.due_at is None or obj.due_at > ctx.now or obj.planned_state is None:
        return False
    if obj.state not in kind.states:
        return False
    kind.apply(ctx, obj)
    return True


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


register(DueKind(Refund, (R.PENDING,), _apply_refund))
register(DueKind(Authorization, (A.PENDING, A.OPEN), _apply_authorization))
register(DueKind(Capture, (C.PENDING,), _apply_planned))
register(DueKind(OrderReference, (O.DRAFT, O.OPEN, O.SUSPENDED), _apply_planned))
