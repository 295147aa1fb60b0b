"""Deleting a sandbox order entirely. No Flask here.

Afterwards every call on its ids (order reference, authorizations, captures, refunds, disputes)
answers as for ids that never existed, and its seller reference ids may be used again. Money
paid is given back first: the order is canceled in whole (``administration.cancel_order``:
refunds made at once, or left to the seller with ``refund_on_cancel`` ``manual``), and marked
Deleting. The deletion completes, as due work of the merchant's clock, once nothing is owed, its
refunds are final and every notification of its objects is delivered (or has failed for good):
rendering an IPN reads its object, so the rows stay until then and no IPN is lost. A merchant
without an ``ipn_url`` is sent nothing, so its pending notifications do not hold a deletion up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.administration import (
    Cancellation,
    administration_of,
    cancel_order,
    ensure_administration,
    owed_minor,
)
from gateway.domain.lifecycle import Context, plan, transition
from gateway.domain.money import format_amount
from gateway.domain.order_references import get_order_reference
from gateway.domain.settlement import settle_refunds
from gateway.domain.states import AdministrationState as M
from gateway.domain.states import OrderReferenceState as O
from gateway.errors import DisputeOpen
from gateway.registry import DueKind
from gateway.store import administration as store
from gateway.store.models import OrderAdministration, OrderReference
from gateway.store.purge import order_object_ids, purge_order

#: Delivery states that still have an IPN to send (``gateway.ipn.leases``).
UNDELIVERED = ("pending", "in_flight")


@dataclass
class Deletion:
    amazon_order_reference_id: str
    #: Deleting (waiting for ``waiting_for``) or Deleted.
    state: str
    cancellation: Cancellation | None = None
    waiting_for: list[str] = field(default_factory=list)


def delete_order(ctx: Context, amazon_order_reference_id: str) -> Deletion:
    """Refund what was paid, then delete the order (at once when nothing is left to wait for)."""
    oro = get_order_reference(ctx, amazon_order_reference_id)
    admin = administration_of(ctx, oro)
    if admin is not None and admin.state == M.DELETING:
        return Deletion(oro.amazon_id, M.DELETING.value, None, waiting_for(ctx, oro, admin))
    disputes = store.open_disputes(ctx.session, oro.id)
    if disputes:
        raise DisputeOpen(
            f"Order {oro.amazon_id} has an open dispute ({disputes[0]}): resolve it before "
            "deleting the order."
        )
    cancellation = None
    if oro.state != O.CANCELED and (admin is None or admin.canceled_at is None):
        cancellation = cancel_order(ctx, oro.amazon_id, reason="Deleted by the seller")
    admin = ensure_administration(ctx, oro)
    transition(ctx, admin, M.DELETING)
    plan(admin, ctx.now, M.DELETED)
    waiting = waiting_for(ctx, oro, admin)
    if waiting:
        return Deletion(oro.amazon_id, M.DELETING.value, cancellation, waiting)
    _finish(ctx, oro, admin)
    return Deletion(oro.amazon_id, M.DELETED.value, cancellation)


def waiting_for(ctx: Context, oro: OrderReference, admin: OrderAdministration) -> list[str]:
    """What the deletion of ``oro`` still waits for (nothing: it can complete)."""
    waiting = []
    pending = store.pending_refunds(ctx.session, oro.id)
    if pending:
        waiting.append(f"{len(pending)} Pending refund(s) to settle")
    owed = owed_minor(oro, admin)
    if owed:
        currency = oro.currency or "USD"
        waiting.append(f"{format_amount(owed, currency)} {currency} to refund by hand")
    states = UNDELIVERED if ctx.merchant.ipn_url else ("in_flight",)
    count = store.undelivered(
        ctx.session, ctx.merchant.id, order_object_ids(ctx.session, oro.id), states
    )
    if count:
        waiting.append(f"{count} notification(s) to deliver")
    return waiting


def _finish(ctx: Context, oro: OrderReference, admin: OrderAdministration) -> None:
    transition(ctx, admin, M.DELETED)
    purge_order(ctx.session, ctx.merchant.id, oro.id)


def finish_due_deletions(ctx: Context, pks: list[int]) -> int:
    """Due work: complete the deletions of ``pks`` that have nothing left to wait for; check the
    others again later. Refunds of the order that are due are settled first (by the one
    settlement path), so a deletion completes in the sweep that settles them. Returns how many
    transitions were applied (refunds settled and deletions completed)."""
    done = 0
    for pk in pks:
        admin = ctx.session.get(OrderAdministration, pk)
        if admin is None or admin.state != M.DELETING or admin.due_at is None:
            continue
        if admin.due_at > ctx.now:
            continue
        oro = ctx.session.get_one(OrderReference, admin.order_reference_id)
        due = [
            rid for rid, at in store.pending_refunds(ctx.session, oro.id) if at and at <= ctx.now
        ]
        if due:
            done += settle_refunds(ctx, due)
        if waiting_for(ctx, oro, admin):
            later = [at for _, at in store.pending_refunds(ctx.session, oro.id) if at]
            # Due again when its next refund is; when only deliveries are awaited, at every sweep.
            plan(admin, min(later) if later else ctx.now, M.DELETED)
            continue
        _finish(ctx, oro, admin)
        done += 1
    return done


#: The deletion's due work (``gateway.composition`` installs it).
DUE_WORK = (DueKind(OrderAdministration, (M.DELETING,), apply_many=finish_due_deletions),)
