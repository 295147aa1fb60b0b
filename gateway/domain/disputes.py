"""Buyer disputes: A-to-z guarantee claims and chargebacks (sandbox-only objects). No Flask here.

A dispute is filed against a charge (a capture, or the latest completed capture of an order
reference). While it is Open or Granted, seller refunds on that order settle
Declined/ProcessingFailure: the buyer has already been (or is being) refunded by Amazon or the
card issuer. Granting it records that money as a Completed refund of RefundType
AmazonA-ZGuarantee or Chargeback on the capture [SRC: reference/amazon-wire.md §1.6 RefundType].
An A-to-z claim is capped at the order total and at 2,500 in the order's currency (the issue; the
A-to-z guarantee's published limit); a chargeback at the captured amount.
"""

from __future__ import annotations

from gateway.domain.lifecycle import Context, created, transition
from gateway.domain.merchants import find_owned
from gateway.domain.money import exponent, format_amount, parse_amount
from gateway.domain.order_references import get_order_reference
from gateway.domain.payments import SELLER_INITIATED, get_capture, new_refund
from gateway.domain.records import RefundRecord
from gateway.domain.settlement import settle_refunds
from gateway.domain.states import CaptureState as C
from gateway.domain.states import DisputeState as D
from gateway.domain.states import RefundState as R
from gateway.errors import (
    InvalidDisputeStatus,
    InvalidParameterValue,
    NothingToDispute,
    TransactionAmountExceeded,
)
from gateway.store.disputes import disputed_order_references
from gateway.store.models import Capture, Dispute, OrderReference

A_TO_Z_CLAIM = "a-to-z-claim"
CHARGEBACK = "chargeback"
DISPUTE_TYPES = (A_TO_Z_CLAIM, CHARGEBACK)
#: The A-to-z guarantee's cap, in major units of the order's currency.
A_TO_Z_LIMIT = 2500
REFUND_TYPES = {A_TO_Z_CLAIM: "AmazonA-ZGuarantee", CHARGEBACK: "Chargeback"}
#: While a dispute is in one of these, the seller's refunds of its charge decline
#: ProcessingFailure (the buyer got, or is getting, the money back another way).
REFUND_DECLINING_STATES = (D.OPEN.value, D.GRANTED.value)


def _charge(
    ctx: Context, order_id: str | None, capture_id: str | None
) -> tuple[OrderReference, Capture]:
    # Locked: filing a dispute changes how the order's refunds settle.
    if capture_id:
        capture = get_capture(ctx, capture_id, for_update=True)
        if order_id and capture.order_reference.amazon_id != order_id:
            raise InvalidParameterValue(
                f"Capture {capture_id} does not belong to order reference {order_id}."
            )
        return capture.order_reference, capture
    if not order_id:
        raise InvalidParameterValue("Give amazon_order_reference_id or amazon_capture_id.")
    oro = get_order_reference(ctx, order_id, for_update=True)
    captures = [
        cap
        for auth in oro.authorizations
        for cap in auth.captures
        if cap.state in (C.COMPLETED, C.CLOSED)
    ]
    if not captures:
        raise NothingToDispute(f"Order reference {order_id} has no completed capture to dispute.")
    return oro, captures[-1]


def dispute_amount(
    dispute_type: str,
    amount: str | None,
    *,
    what: str,
    order_total_minor: int,
    captured_minor: int,
    currency: str,
) -> int:
    """What a new dispute claims, in minor units: ``amount`` (None: the most it may claim), at
    most the order total and 2,500 for an A-to-z claim, the captured amount for a chargeback.
    Shared by Off-Amazon Payments and API v2 disputes (``what`` names the disputed order)."""
    if dispute_type not in DISPUTE_TYPES:
        raise InvalidParameterValue(f"type must be one of {', '.join(DISPUTE_TYPES)}.")
    if dispute_type == A_TO_Z_CLAIM:
        limit = min(order_total_minor, A_TO_Z_LIMIT * 10 ** exponent(currency))
    else:
        limit = captured_minor
    amount_minor = limit if amount is None else parse_amount(amount, currency, "amount")
    if amount_minor > limit:
        raise TransactionAmountExceeded(
            f"A {dispute_type} on {what} may claim at most "
            f"{format_amount(limit, currency)} {currency}."
        )
    return amount_minor


def file_dispute(
    ctx: Context,
    dispute_type: str,
    *,
    amazon_order_reference_id: str | None = None,
    amazon_capture_id: str | None = None,
    amount: str | None = None,
    reason: str | None = None,
) -> Dispute:
    if dispute_type not in DISPUTE_TYPES:
        raise InvalidParameterValue(f"type must be one of {', '.join(DISPUTE_TYPES)}.")
    oro, capture = _charge(ctx, amazon_order_reference_id, amazon_capture_id)
    currency = capture.currency
    amount_minor = dispute_amount(
        dispute_type,
        amount,
        what=oro.amazon_id,
        order_total_minor=oro.amount_minor or capture.amount_minor,
        captured_minor=capture.amount_minor,
        currency=currency,
    )
    dispute = Dispute(
        amazon_id=("C" if dispute_type == CHARGEBACK else "Z") + ctx.ids.token(12),
        merchant_id=ctx.merchant.id,
        order_reference=oro,
        capture=capture,
        dispute_type=dispute_type,
        currency=currency,
        amount_minor=amount_minor,
        reason=reason,
        state=D.OPEN,
        created_at=ctx.now,
    )
    created(ctx, dispute)
    forget_disputed(ctx)
    return dispute


def get_dispute(ctx: Context, amazon_id: str, *, for_update: bool = False) -> Dispute:
    return find_owned(
        ctx.session,
        Dispute,
        ctx.merchant,
        amazon_id,
        InvalidParameterValue(f"No dispute {amazon_id}."),
        for_update=for_update,
    )


def resolve_dispute(ctx: Context, amazon_id: str, outcome: str) -> Dispute:
    dispute = get_dispute(ctx, amazon_id, for_update=True)
    if dispute.state != D.OPEN:
        raise InvalidDisputeStatus(f"Dispute {amazon_id} is already {dispute.state}.")
    if outcome == "denied":
        transition(ctx, dispute, D.DENIED)
        forget_disputed(ctx)
        return dispute
    if outcome != "granted":
        raise InvalidParameterValue("outcome must be granted or denied.")
    # Locked like a Refund's capture: concurrent refunds on it wait rather than race this sum.
    capture = get_capture(ctx, dispute.capture.amazon_id, for_update=True)
    # Amazon's money reached the buyer: a refund of the dispute's RefundType, settled Completed at
    # once by the one settlement path (it counts against the capture's refundable amount, as a
    # seller's refund does while Pending, then as refunded). No refund counts towards the ten.
    capture.refund_reserved_minor += dispute.amount_minor
    refund = new_refund(
        ctx,
        amazon_id=ctx.ids.child_id(dispute.order_reference.amazon_id, "R"),
        capture_id=capture.id,
        order_reference_id=dispute.order_reference_id,
        reference_id=dispute.amazon_id,
        refund_type=REFUND_TYPES[dispute.dispute_type],
        currency=dispute.currency,
        amount_minor=dispute.amount_minor,
        seller_note=None,
        soft_descriptor=capture.soft_descriptor,
        due_at=ctx.now,
        outcome=(R.COMPLETED, None),
    )
    settle_refunds(ctx, [refund.id])
    dispute.refund_id = refund.id
    transition(ctx, dispute, D.GRANTED)
    forget_disputed(ctx)
    return dispute


def _disputed_key(ctx: Context) -> tuple[str, int]:
    return ("disputed_order_references", ctx.merchant.id)


def forget_disputed(ctx: Context) -> None:
    """Drop the transaction's cached set of disputed order references (a dispute changed)."""
    ctx.session.info.pop(_disputed_key(ctx), None)


def decline_refunds_of_disputed_orders(
    ctx: Context, refund: RefundRecord
) -> tuple[str, str | None] | None:
    """A refund outcome hook: a seller's refund of a disputed order declines (ProcessingFailure)."""
    if refund.refund_type != SELLER_INITIATED:
        return None  # the dispute's own refund
    # The merchant's disputed order references, read once per transaction (a settlement batch
    # applies hundreds of refunds; one query each was most of its cost).
    key = _disputed_key(ctx)
    disputed: set[int] | None = ctx.session.info.get(key)
    if disputed is None:
        disputed = disputed_order_references(ctx.session, ctx.merchant.id, REFUND_DECLINING_STATES)
        ctx.session.info[key] = disputed
    if refund.order_reference_id not in disputed:
        return None
    return (R.DECLINED.value, "ProcessingFailure")
