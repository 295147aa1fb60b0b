"""The one way an object changes state: check the table, change, and write the outbox row.

``transition`` and ``created`` run inside the caller's transaction, so a state change and its
notification commit or roll back together. No Flask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from gateway.domain.records import MerchantRecord, RefundRecord
from gateway.errors import InvalidStateTransition
from gateway.ids import IdGenerator
from gateway.store.models import Dispute, Notification

if TYPE_CHECKING:
    from gateway.registry import Kind, Registry

#: A chargeback's NotificationType, spelled as in Amazon's sample
#: (testdata ChargebackNotification_Service.json: "Chargeback Detailed Notification").
CHARGEBACK_NOTIFICATION_TYPE = "Chargeback Detailed Notification"


class Stateful(Protocol):
    id: int
    amazon_id: str
    merchant_id: int
    state: str
    reason_code: str | None
    reason_description: str | None
    last_update: datetime
    due_at: datetime | None
    planned_state: str | None
    planned_reason: str | None


@dataclass
class Context:
    """What every operation needs: the transaction, the merchant, its simulated now, an id
    source, and the runtime's registry of kinds and due work; and whether the request came on
    the live path, whose timings are production's rather than the sandbox's."""

    session: Session
    merchant: MerchantRecord
    now: datetime
    ids: IdGenerator
    registry: Registry
    live: bool = False


def notification_type(kind: Kind, obj: Stateful) -> str | None:
    """Amazon's NotificationType for a change of ``obj``; None when Amazon sends none.

    An A-to-z claim has no notification of its own: the merchant hears of it through the
    refund it becomes (RefundType AmazonA-ZGuarantee).
    """
    dispute_type = getattr(obj, "dispute_type", None)
    if dispute_type is not None and dispute_type != "chargeback":
        return None  # an A-to-z claim (v1's or API v2's)
    if isinstance(obj, Dispute):
        return CHARGEBACK_NOTIFICATION_TYPE
    return kind.notification


def notification_values(
    ctx: Context, kind: Kind, type_name: str | None, obj: Any
) -> dict[str, Any] | None:
    """The outbox row for ``obj`` having just entered ``obj.state``; None when none is sent."""
    if type_name is None or obj.state in kind.silent:
        return None
    return {
        "merchant_id": ctx.merchant.id,
        "notification_type": type_name,
        "object_kind": kind.name,
        "object_id": obj.amazon_id,
        "state": obj.state,
        "reason_code": obj.reason_code,
        "reason_description": obj.reason_description,
        "changed_at": ctx.now,
        "created_at": ctx.now,
        "next_attempt_at": ctx.now,
        "extra": kind.extra(obj) if kind.extra is not None else {},
    }


def _notify(ctx: Context, kind: Kind, obj: Stateful) -> None:
    values = notification_values(ctx, kind, notification_type(kind, obj), obj)
    if values is not None:
        ctx.session.add(Notification(**values))


def created(ctx: Context, obj: Stateful, *, flush: bool = True) -> None:
    """Register a new object in its first state (and notify it, unless that state is silent).

    ``flush`` writes it at once, so that its ``id`` is known; a caller that does not need the id
    passes False and the row is written with the rest of the transaction (one flush fewer).
    """
    kind = ctx.registry.kind_of(type(obj))
    _check_initial(kind, obj.state)
    if obj.reason_description is None:
        obj.reason_description = kind.describe(obj.state, obj.reason_code)
    obj.last_update = ctx.now
    ctx.session.add(obj)
    if flush:
        ctx.session.flush()
    _notify(ctx, kind, obj)


def inserted(
    ctx: Context,
    kind_name: str,
    record: RefundRecord,
    insert: Callable[[Session, RefundRecord], RefundRecord],
) -> RefundRecord:
    """``created`` for a record written with one INSERT by ``insert`` (no unit of work).

    For the hot path (every Refund): building an ORM object and flushing it cost more than the
    rest of the request. ``record`` is made with ``last_update`` at ``ctx.now``; the stored
    record (with its ``id``) is returned.
    """
    kind = ctx.registry.kinds[kind_name]
    _check_initial(kind, record.state)
    stored = insert(ctx.session, record)
    values = notification_values(ctx, kind, kind.notification, stored)
    if values is not None:
        ctx.session.add(Notification(**values))
    return stored


def _check_initial(kind: Kind, state: str) -> None:
    if state not in kind.initial:
        raise InvalidStateTransition(f"{kind.name} cannot be created in state {state}")


def transition(
    ctx: Context,
    obj: Stateful,
    target: str,
    reason_code: str | None = None,
    reason_description: str | None = None,
) -> None:
    """Move ``obj`` to ``target`` if its table allows it, and write its notification.

    ``reason_description`` says why (a seller's ClosureReason); without one the kind's words for
    the reason code are used (``gateway.domain.reasons``). Any planned future work on the object
    is cleared; the caller may plan new work afterwards. The UPDATE is a compare-and-set on the
    row's version (``gateway.store.models``).
    """
    kind = ctx.registry.kind_of(type(obj))
    if not kind.allows(obj.state, target):
        raise InvalidStateTransition(f"{kind.name} {obj.amazon_id}: {obj.state} -> {target}")
    obj.state = target
    obj.reason_code = reason_code
    obj.reason_description = (
        reason_description if reason_description is not None else kind.describe(target, reason_code)
    )
    obj.last_update = ctx.now
    unplan(obj)
    _notify(ctx, kind, obj)


def moved(
    ctx: Context,
    kind_name: str,
    record: RefundRecord,
    target: str,
    reason_code: str | None = None,
) -> tuple[RefundRecord, dict[str, Any] | None]:
    """``transition`` for a record that set-based statements write (refund settlement).

    Returns the record as it is after the change (its ``version`` still the one it was read at,
    for the store's compare-and-set) and its outbox row, if any; the caller writes both in its
    transaction.
    """
    kind = ctx.registry.kinds[kind_name]
    if not kind.allows(record.state, target):
        raise InvalidStateTransition(f"{kind.name} {record.amazon_id}: {record.state} -> {target}")
    changed = record.moved_to(target, reason_code, kind.describe(target, reason_code), ctx.now)
    return changed, notification_values(ctx, kind, kind.notification, changed)


def announce(ctx: Context, obj: Stateful, extra: dict[str, Any]) -> None:
    """Notify ``obj`` as it is, without a change of state (a billing agreement's
    PaymentMethodUpdated event): the row a transition would write, with ``extra`` in place of the
    kind's. Nothing is sent while ``obj`` is in a silent state."""
    kind = ctx.registry.kind_of(type(obj))
    values = notification_values(ctx, kind, notification_type(kind, obj), obj)
    if values is not None:
        ctx.session.add(Notification(**{**values, "extra": extra}))


def plan(obj: Stateful, due_at: datetime, state: str, reason_code: str | None = None) -> None:
    """Schedule ``obj`` to move to ``state`` at ``due_at`` (applied by gateway.domain.settlement)."""
    obj.due_at, obj.planned_state, obj.planned_reason = due_at, state, reason_code


def unplan(obj: Stateful) -> None:
    """Drop the work planned on ``obj`` (what it stood for happened another way)."""
    obj.due_at = obj.planned_state = obj.planned_reason = None
