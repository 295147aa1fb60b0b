"""The one way an object changes state: check the table, change, and write the outbox row.

``transition`` and ``created`` run inside the caller's transaction, so a state change and its
notification commit or roll back together. No Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.orm import Session

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


class MerchantView(Protocol):
    """What operations read of their merchant: a ``Merchant``, or a row of its table.

    The signed APIs authenticate every request by a merchant lookup; reading it as a row instead
    of an ORM object is a good part of a cheap request's cost, and those operations only read it.
    """

    @property
    def id(self) -> int: ...
    @property
    def seller_id(self) -> str: ...
    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def store_name(self) -> str: ...
    @property
    def settle_delay_seconds(self) -> int: ...
    @property
    def ipn_url(self) -> str | None: ...
    @property
    def ipn_signature_version(self) -> str: ...
    @property
    def clock_offset_seconds(self) -> float: ...
    @property
    def clock_frozen_at(self) -> datetime | None: ...


@dataclass
class Context:
    """What every operation needs: the transaction, the merchant, its simulated now, an id
    source, and the runtime's registry of kinds and due work."""

    session: Session
    merchant: MerchantView
    now: datetime
    ids: IdGenerator
    registry: Registry


def notification_type(kind: Kind, obj: Stateful) -> str | None:
    """Amazon's NotificationType for a change of ``obj``; None when Amazon sends none.

    An A-to-z claim has no notification of its own: the merchant hears of it through the
    refund it becomes (RefundType AmazonA-ZGuarantee).
    """
    if isinstance(obj, Dispute):
        return CHARGEBACK_NOTIFICATION_TYPE if obj.dispute_type == "chargeback" else None
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
    _enter_initial(ctx, kind, obj)
    ctx.session.add(obj)
    if flush:
        ctx.session.flush()
    _notify(ctx, kind, obj)


def inserted(ctx: Context, model: type[Any], record: Any) -> None:
    """``created`` for a new row of ``model`` written at once with one INSERT (no unit of work).

    For the hot path (every Refund): building an ORM object and flushing it cost more than the
    rest of the request. ``record`` holds the row's values as attributes (a ``SimpleNamespace``;
    columns it leaves out take their defaults) and gets its ``id``; it is not an ORM object, so
    later changes to it are not written.
    """
    kind = ctx.registry.kind_of(model)
    _enter_initial(ctx, kind, record)
    table = cast(Table, model.__table__)
    result = cast(CursorResult[Any], ctx.session.connection().execute(table.insert(), vars(record)))
    record.id = cast(Any, result.inserted_primary_key)[0]
    values = notification_values(ctx, kind, kind.notification, record)
    if values is not None:
        ctx.session.add(Notification(**values))


def _enter_initial(ctx: Context, kind: Kind, obj: Any) -> None:
    if obj.state not in kind.initial:
        raise InvalidStateTransition(f"{kind.name} cannot be created in state {obj.state}")
    obj.last_update = ctx.now


def transition(
    ctx: Context,
    obj: Stateful,
    target: str,
    reason_code: str | None = None,
    reason_description: str | None = None,
) -> None:
    """Move ``obj`` to ``target`` if its table allows it, and write its notification.

    Any planned future work on the object is cleared; the caller may plan new work afterwards.
    The UPDATE is a compare-and-set on the row's version (``gateway.store.models``).
    """
    kind = ctx.registry.kind_of(type(obj))
    if not kind.allows(obj.state, target):
        raise InvalidStateTransition(f"{kind.name} {obj.amazon_id}: {obj.state} -> {target}")
    obj.state = target
    obj.reason_code = reason_code
    obj.reason_description = reason_description
    obj.last_update = ctx.now
    obj.due_at = obj.planned_state = obj.planned_reason = None
    _notify(ctx, kind, obj)


def plan(obj: Stateful, due_at: datetime, state: str, reason_code: str | None = None) -> None:
    """Schedule ``obj`` to move to ``state`` at ``due_at`` (applied by gateway.domain.settlement)."""
    obj.due_at, obj.planned_state, obj.planned_reason = due_at, state, reason_code
