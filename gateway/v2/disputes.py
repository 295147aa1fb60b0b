"""A-to-z claims and chargebacks on API v2 charges (sandbox-only objects). No Flask here.

The rules are v1's (``gateway.domain.disputes``): what a dispute may claim (``dispute_amount``),
its table (Open -> Granted | Denied), and that the seller's refunds of a disputed charge decline
ProcessingFailure while it is Open or Granted (``gateway.v2.refunds.settle`` asks
``REFUND_DECLINING_STATES``). A granted dispute's money counts as refunded on the charge, against
the same refund cap; a chargeback is notified as an IPN v2 of ObjectType CHARGEBACK.
"""

from __future__ import annotations

from gateway.domain.disputes import CHARGEBACK, dispute_amount
from gateway.domain.lifecycle import Context, created, transition
from gateway.domain.states import DisputeState as D
from gateway.errors import InvalidDisputeStatus, InvalidParameterValue, NothingToDispute
from gateway.v2 import charge_permissions, charges, store
from gateway.v2.models import V2Charge, V2Dispute
from gateway.v2.states import ChargeState as C


def _disputed_charge(ctx: Context, charge_id: str | None, permission_id: str | None) -> V2Charge:
    if charge_id:
        charge = charges.get_charge(ctx, charge_id, for_update=True)
    elif permission_id:
        permission = charge_permissions.get(ctx, permission_id, for_update=True)
        captured = store.captured_charges(ctx.session, permission.id)
        if not captured:
            raise NothingToDispute(f"Charge permission {permission_id} has no captured charge.")
        charge = captured[-1]
    else:
        raise InvalidParameterValue("Give charge_id or charge_permission_id.")
    if charge.state != C.CAPTURED:
        raise NothingToDispute(f"Charge {charge.amazon_id} is {charge.state}, not Captured.")
    return charge


def file_dispute(
    ctx: Context,
    dispute_type: str,
    *,
    charge_id: str | None = None,
    charge_permission_id: str | None = None,
    amount: str | None = None,
    reason: str | None = None,
) -> V2Dispute:
    charge = _disputed_charge(ctx, charge_id, charge_permission_id)
    amount_minor = dispute_amount(
        dispute_type,
        amount,
        what=charge.amazon_id,
        order_total_minor=charge.amount_minor,
        captured_minor=charge.captured_minor,
        currency=charge.currency,
    )
    dispute = V2Dispute(
        amazon_id=("C" if dispute_type == CHARGEBACK else "Z") + ctx.ids.token(12),
        merchant_id=ctx.merchant.id,
        charge=charge,
        dispute_type=dispute_type,
        currency=charge.currency,
        amount_minor=amount_minor,
        reason=reason,
        state=D.OPEN,
        created_at=ctx.now,
        live=charge.live,
    )
    created(ctx, dispute)
    return dispute


def get_dispute(ctx: Context, amazon_id: str, *, for_update: bool = False) -> V2Dispute | None:
    return store.dispute(ctx.session, ctx.merchant.id, amazon_id, for_update=for_update)


def resolve_dispute(ctx: Context, dispute: V2Dispute, outcome: str) -> V2Dispute:
    if dispute.state != D.OPEN:
        raise InvalidDisputeStatus(f"Dispute {dispute.amazon_id} is already {dispute.state}.")
    if outcome == "denied":
        transition(ctx, dispute, D.DENIED)
        return dispute
    if outcome != "granted":
        raise InvalidParameterValue("outcome must be granted or denied.")
    # The buyer got the money from Amazon or the issuer: refunded on the charge, counted against
    # its refund cap like a seller's refund (no refund object: the v2 API shows none).
    charge = charges.get_charge(ctx, dispute.charge.amazon_id, for_update=True)
    charge.refund_reserved_minor += dispute.amount_minor
    charge.refunded_minor += dispute.amount_minor
    transition(ctx, dispute, D.GRANTED)
    return dispute
