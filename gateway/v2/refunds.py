"""Refunds: Create and Get, and how a RefundInitiated refund settles. No Flask here.

Rules [SRC: reference/amazon-pay-v2.md §3]: only a Captured charge is refunded; its refunds add
up to at most the captured amount plus the lesser of 15 % or 75 (8,400 JPY), at most 10 of them
(``gateway.domain.refund_limits``, v1's rule too). A refund is always RefundInitiated first,
counted against the charge at once (so concurrent refunds cannot overshoot; the charge is read
locked), and settles after the merchant's ``settle_delay_seconds`` on its clock: Refunded, or
Declined: ProcessingFailure while the charge has an open or granted A-to-z claim or chargeback
(``gateway.domain.disputes``' rule), or while the merchant's ``refund_processing_failures``
lasts (``payments.processing_failure_due``, as v1), or as simulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.domain.disputes import REFUND_DECLINING_STATES
from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.domain.payments import processing_failure_due
from gateway.domain.refund_limits import check_refund
from gateway.registry import DueKind
from gateway.v2 import charges, simulation, store
from gateway.v2.charges import check_soft_descriptor
from gateway.v2.errors import InvalidChargeStatus, ResourceNotFound
from gateway.v2.models import V2Refund
from gateway.v2.prices import check_currency, parse_price
from gateway.v2.states import ChargeState as C
from gateway.v2.states import RefundState as R
from gateway.v2.states import charge_permission_of

#: What each Create Refund simulation code makes the refund settle to.
SIMULATED: Mapping[str, tuple[str, str]] = {
    "RefundDeclined": (R.DECLINED, "AmazonRejected"),
    "ProcessingFailure": (R.DECLINED, "ProcessingFailure"),
}


def get_refund(ctx: Context, amazon_id: str) -> V2Refund:
    found = store.refund(ctx.session, ctx.merchant.id, amazon_id)
    if found is None:
        raise ResourceNotFound(f"The refund {amazon_id} does not exist.")
    return found


def create_refund(
    ctx: Context, body: Mapping[str, Any], simulation_code: str | None = None
) -> V2Refund:
    """``POST refunds``."""
    code = simulation.parse(simulation_code, "CreateRefund", live=ctx.live)
    charge = charges.get_charge(ctx, body["chargeId"], for_update=True)
    if charge.state != C.CAPTURED:
        detail = f"/{charge.reason_code}" if charge.reason_code else ""
        raise InvalidChargeStatus(
            f"The charge {charge.amazon_id} is {charge.state}{detail}; only a Captured charge "
            "can be refunded."
        )
    amount_minor, currency = parse_price(body["refundAmount"], "refundAmount")
    check_currency(currency, charge.currency, "refundAmount", charge.amazon_id)
    check_refund(
        what=f"charge {charge.amazon_id}",
        refund_count=charge.refund_count,
        reserved_minor=charge.refund_reserved_minor,
        captured_minor=charge.captured_minor,
        currency=currency,
        amount_minor=amount_minor,
    )
    soft_descriptor = check_soft_descriptor(body.get("softDescriptor"))
    charge.refund_reserved_minor += amount_minor
    charge.refund_count += 1
    refund = V2Refund(
        amazon_id=ctx.ids.child_id(charge_permission_of(charge.amazon_id), "R"),
        merchant_id=ctx.merchant.id,
        charge=charge,
        currency=currency,
        amount_minor=amount_minor,
        soft_descriptor=soft_descriptor or charge.soft_descriptor,
        state=R.REFUND_INITIATED,
        created_at=ctx.now,
        live=ctx.live,
    )
    if code is not None:
        outcome: tuple[str, str | None] = SIMULATED[code]
    elif processing_failure_due(ctx):
        outcome = (R.DECLINED, "ProcessingFailure")
    else:
        outcome = (R.REFUNDED, None)
    plan(refund, ctx.now + timedelta(seconds=ctx.merchant.settle_delay_seconds), *outcome)
    created(ctx, refund)
    return refund


def settle(ctx: Context, refund: V2Refund) -> None:
    """Apply a due refund's outcome: Refunded counts on the charge's refunded amount, Declined
    gives its amount back to what may be refunded."""
    state, reason = refund.planned_state, refund.planned_reason
    assert state is not None
    charge = refund.charge
    if state == R.REFUNDED and store.charge_disputed(
        ctx.session, charge.id, REFUND_DECLINING_STATES
    ):
        state, reason = R.DECLINED, "ProcessingFailure"
    if state == R.REFUNDED:
        charge.refunded_minor += refund.amount_minor
    else:
        charge.refund_reserved_minor -= refund.amount_minor
    transition(ctx, refund, state, reason)


DUE = DueKind(V2Refund, (R.REFUND_INITIATED.value,), settle)
