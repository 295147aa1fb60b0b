"""Authorize, Capture, Refund and their Get/Close calls. No Flask here.

Rules [SRC: reference/amazon-wire.md §1.7 and the issue]: Authorize only on an Open order reference,
within the order total plus the 15 %/75 over-cap; one capture per authorization, at most the
authorized amount; refunds only on a Completed capture, cumulatively at most the captured amount
plus the lesser of 15 % or 75 units (``money.refund_cap``), at most 10 per capture. Each check
runs before anything changes. Asynchronous outcomes (a Pending authorization, a Pending refund)
are planned on the row and applied by ``gateway.domain.settlement``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from gateway.domain import agreement_payments, simulation
from gateway.domain.idempotency import claim, replay_of, replayed_object_id
from gateway.domain.lifecycle import Context, created, inserted, plan, transition
from gateway.domain.merchants import find_owned
from gateway.domain.money import format_amount, parse_amount, refund_cap
from gateway.domain.order_references import get_order_reference
from gateway.domain.records import RefundRecord
from gateway.domain.refund_limits import MAX_REFUNDS_PER_CAPTURE, check_refund
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.domain.states import RefundState as R
from gateway.errors import (
    CaptureNotRefundable,
    CurrencyMismatch,
    InvalidAuthorizationStatus,
    InvalidOrderReferenceStatus,
    InvalidTransactionId,
    TransactionAmountExceeded,
)
from gateway.store import merchants, refunds
from gateway.store.models import Authorization, Capture, OrderReference
from gateway.store.refunds import CaptureTotals, RefundSource

#: How long an Open authorization can be captured before it closes Closed/ExpiredUnused: 30
#: days in production, 2 in the sandbox; so a capture must come within that time
#: [SRC: reference/amazon-wire.md §1.7 Limits, "Sandbox vs live"]. The sandbox's applies to an
#: Authorize on the sandbox path, production's to one on the live path (``Context.live``).
AUTHORIZATION_LIFETIME_LIVE = timedelta(days=30)
AUTHORIZATION_LIFETIME_SANDBOX = timedelta(days=2)
MAX_CAPTURED_AUTHORIZATIONS = 10
#: When ExpiredUnused is simulated without ExpirationTimeInMins. UNCONFIRMED default: 1 minute.
DEFAULT_SIMULATED_EXPIRY_MINUTES = 1
#: The RefundType of a seller's Refund request [SRC: reference/amazon-wire.md §1.6 RefundType].
SELLER_INITIATED = "SellerInitiated"


def _unknown(amazon_id: str) -> InvalidTransactionId:
    return InvalidTransactionId(f"The transaction id {amazon_id} is invalid.")


def get_authorization(ctx: Context, amazon_id: str, *, for_update: bool = False) -> Authorization:
    """The merchant's authorization; ``for_update`` locks it, its order reference first."""
    return find_owned(
        ctx.session,
        Authorization,
        ctx.merchant,
        amazon_id,
        _unknown(amazon_id),
        for_update=for_update,
    )


def get_capture(ctx: Context, amazon_id: str, *, for_update: bool = False) -> Capture:
    """The merchant's capture; ``for_update`` locks it, its order reference first."""
    return find_owned(
        ctx.session, Capture, ctx.merchant, amazon_id, _unknown(amazon_id), for_update=for_update
    )


def refund_record(ctx: Context, amazon_id: str) -> RefundRecord:
    """The merchant's refund (GetRefundDetails, a replayed Refund)."""
    found = refunds.by_amazon_id(ctx.session, ctx.merchant.id, amazon_id)
    if found is None:
        raise _unknown(amazon_id)
    return found


def _check_currency(currency: str, expected: str | None, field: str) -> None:
    if currency != expected:
        raise CurrencyMismatch(
            f"{field} {currency} does not match the currency {expected} of the order reference."
        )


def _descriptor(ctx: Context, soft_descriptor: str | None) -> str:
    return "AMZ*" + (soft_descriptor or ctx.merchant.store_name or "store")[:16]


# --- Authorize ---------------------------------------------------------------------------------


def authorize(
    ctx: Context,
    amazon_order_reference_id: str,
    reference_id: str,
    amount: str,
    currency: str,
    transaction_timeout: int = 1440,
    capture_now: bool = False,
    seller_note: str | None = None,
    soft_descriptor: str | None = None,
) -> Authorization:
    params = {
        "order": amazon_order_reference_id,
        "amount": amount,
        "currency": currency,
        "timeout": transaction_timeout,
        "capture_now": capture_now,
        "note": seller_note,
        "descriptor": soft_descriptor,
    }
    # Locked: the authorizations' sum below is checked against what is committed, and a
    # concurrent Authorize on this order waits for this one.
    oro = get_order_reference(ctx, amazon_order_reference_id, for_update=True)
    replay = replayed_object_id(ctx, reference_id, "Authorize", params)
    if replay is not None:
        return get_authorization(ctx, replay)
    auth = new_authorization(
        ctx,
        oro,
        reference_id,
        amount,
        currency,
        transaction_timeout=transaction_timeout,
        capture_now=capture_now,
        seller_note=seller_note,
        soft_descriptor=soft_descriptor,
    )
    claim(ctx, reference_id, "Authorize", params, auth.amazon_id)
    return auth


def new_authorization(
    ctx: Context,
    oro: OrderReference,
    reference_id: str,
    amount: str,
    currency: str,
    *,
    transaction_timeout: int,
    capture_now: bool,
    seller_note: str | None,
    soft_descriptor: str | None,
    operation: str = "Authorize",
) -> Authorization:
    """An authorization on ``oro`` for a reference id not used yet: Authorize's checks, its
    simulation and its outcome. The caller keeps the reference id (Authorize, or
    AuthorizeOnBillingAgreement with parameters of its own), and names itself as ``operation``
    in simulation errors."""
    if oro.state != O.OPEN:
        raise InvalidOrderReferenceStatus(
            f"OrderReference {oro.amazon_id} is in {oro.state} state; "
            "Authorize is allowed only in Open state."
        )
    _check_currency(currency, oro.currency, "AuthorizationAmount.CurrencyCode")
    amount_minor = parse_amount(amount, currency, "AuthorizationAmount.Amount")
    directive = simulation.parse(seller_note, operation)
    _check_authorization_total(oro, amount_minor)
    agreement_payments.check_authorization(ctx, oro, amount_minor)

    auth = Authorization(
        amazon_id=ctx.ids.child_id(oro.amazon_id, "A"),
        merchant_id=ctx.merchant.id,
        order_reference=oro,
        reference_id=reference_id,
        currency=currency,
        amount_minor=amount_minor,
        captured_minor=0,
        seller_note=seller_note,
        soft_descriptor=_descriptor(ctx, soft_descriptor),
        capture_now=capture_now,
        transaction_timeout=transaction_timeout,
        state=A.PENDING,
        created_at=ctx.now,
        expires_at=ctx.now + authorization_lifetime(ctx),
        plan={},
        # Known empty, so its IdList costs no query; captures join it through the relationship
        # (``_new_capture``), which appends them here.
        captures=[],
    )
    state, reason, options = A.OPEN.value, None, {}
    if directive is not None:
        state, reason, options = directive.state or A.OPEN, directive.reason_code, directive.options
        if (state, reason) == (A.CLOSED, "ExpiredUnused"):
            # Simulated expiry: the authorization opens, then closes after N minutes.
            state, reason = A.OPEN.value, None
            options = {"ExpirationTimeInMins": DEFAULT_SIMULATED_EXPIRY_MINUTES, **options}
    auth.plan = options
    if transaction_timeout == 0:
        resolve_authorization(ctx, auth, state, reason, creating=True)
    else:
        # Asynchronous mode answers Pending; the outcome is applied when due (reference §1.7).
        delay = min(ctx.merchant.settle_delay_seconds, transaction_timeout * 60)
        plan(auth, ctx.now + timedelta(seconds=delay), state, reason)
        created(ctx, auth)
    return auth


def authorization_lifetime(ctx: Context) -> timedelta:
    """How long an authorization made now stays capturable (live or sandbox timing)."""
    return AUTHORIZATION_LIFETIME_LIVE if ctx.live else AUTHORIZATION_LIFETIME_SANDBOX


def _check_authorization_total(oro: OrderReference, amount_minor: int) -> None:
    assert oro.amount_minor is not None and oro.currency is not None  # Open implies both
    outstanding = sum(
        a.amount_minor if a.state in (A.PENDING, A.OPEN) else a.captured_minor
        for a in oro.authorizations
    )
    limit = refund_cap(oro.amount_minor, oro.currency)
    if outstanding + amount_minor > limit:
        raise TransactionAmountExceeded(
            f"The authorization amount exceeds what remains authorizable on OrderReference "
            f"{oro.amazon_id}: {format_amount(max(limit - outstanding, 0), oro.currency)} "
            f"{oro.currency}."
        )


def _enter(ctx: Context, obj: Any, state: str, reason: str | None, creating: bool) -> None:
    if creating:
        obj.state, obj.reason_code = state, reason
        # Not flushed now: what is planned next (its expiry) is then in its INSERT, rather than
        # in an UPDATE right after it; nothing here needs its id.
        created(ctx, obj, flush=False)
    else:
        transition(ctx, obj, state, reason)


def resolve_authorization(
    ctx: Context, auth: Authorization, state: str, reason: str | None, *, creating: bool
) -> None:
    """Give ``auth`` its outcome (at once when synchronous, when due when Pending)."""
    oro = auth.order_reference
    options = auth.plan or {}
    if state == A.OPEN and auth.capture_now:
        # CaptureNow: the whole amount is captured and the authorization closes at once.
        auth.captured_minor = auth.amount_minor
        _enter(ctx, auth, A.CLOSED, "MaxCapturesProcessed", creating)
        _new_capture(ctx, auth, auth.reference_id, auth.amount_minor, None, None, None)
        _after_capture(ctx, oro)
        return
    _enter(ctx, auth, state, reason, creating)
    if state == A.OPEN:
        minutes = options.get("ExpirationTimeInMins")
        if minutes is not None:
            plan(auth, ctx.now + timedelta(minutes=minutes), A.CLOSED, "ExpiredUnused")
        else:
            plan(auth, auth.expires_at, A.CLOSED, "ExpiredUnused")
    elif (state, reason) == (A.DECLINED, "InvalidPaymentMethod"):
        auth.soft_decline = bool(options.get("SoftDecline", False))
        if oro.state == O.OPEN:
            transition(ctx, oro, O.SUSPENDED, "InvalidPaymentMethod")
            minutes = options.get("PaymentMethodUpdateTimeInMins")
            if minutes is not None:
                # The buyer "updates the payment method" after N minutes (reference §1.8).
                plan(oro, ctx.now + timedelta(minutes=minutes), O.OPEN)
        agreement_payments.suspend_for_declined_payment_method(
            ctx, oro, options.get("PaymentMethodUpdateTimeInMins")
        )
    elif (state, reason) == (A.DECLINED, "AmazonRejected") and oro.state in (O.OPEN, O.SUSPENDED):
        transition(ctx, oro, O.CLOSED, "AmazonClosed")


def close_authorization(
    ctx: Context, amazon_authorization_id: str, reason: str | None = None
) -> Authorization:
    auth = get_authorization(ctx, amazon_authorization_id, for_update=True)
    if auth.state not in (A.OPEN, A.PENDING):
        raise InvalidAuthorizationStatus(
            f"Authorization {auth.amazon_id} is in {auth.state} state and cannot be closed."
        )
    transition(ctx, auth, A.CLOSED, "SellerClosed", reason)
    return auth


# --- Capture -----------------------------------------------------------------------------------


def capture(
    ctx: Context,
    amazon_authorization_id: str,
    reference_id: str,
    amount: str,
    currency: str,
    seller_note: str | None = None,
    soft_descriptor: str | None = None,
) -> Capture:
    params = {
        "authorization": amazon_authorization_id,
        "amount": amount,
        "currency": currency,
        "note": seller_note,
        "descriptor": soft_descriptor,
    }
    # Locked, with its order reference, which the capture may close (``_after_capture``).
    auth = get_authorization(ctx, amazon_authorization_id, for_update=True)
    replay = replayed_object_id(ctx, reference_id, "Capture", params)
    if replay is not None:
        return get_capture(ctx, replay)
    if auth.state != A.OPEN:
        detail = f"/{auth.reason_code}" if auth.reason_code else ""
        raise InvalidAuthorizationStatus(
            f"Authorization {auth.amazon_id} is in {auth.state}{detail} state; "
            "Capture is allowed only in Open state."
        )
    if ctx.now >= auth.expires_at:
        # Expired, and its Closed/ExpiredUnused not applied yet (the sweep runs every second):
        # refused as it will be once closed.
        raise InvalidAuthorizationStatus(
            f"Authorization {auth.amazon_id} expired unused at {auth.expires_at:%Y-%m-%dT%H:%M:%SZ}"
            " (a capture must come within 2 days of the authorization in the sandbox, 30 days "
            "live); Capture is allowed only in Open state."
        )
    _check_currency(currency, auth.currency, "CaptureAmount.CurrencyCode")
    amount_minor = parse_amount(amount, currency, "CaptureAmount.Amount")
    if amount_minor > auth.amount_minor:
        raise TransactionAmountExceeded(
            f"The capture amount {amount} {currency} exceeds the authorized amount "
            f"{format_amount(auth.amount_minor, auth.currency)} {auth.currency}."
        )
    directive = simulation.parse(seller_note, "Capture")
    cap = _new_capture(
        ctx, auth, reference_id, amount_minor, seller_note, soft_descriptor, directive
    )
    if cap.state != C.DECLINED:
        # Only one capture per authorization (reference §1.7).
        auth.captured_minor = amount_minor
        transition(ctx, auth, A.CLOSED, "MaxCapturesProcessed")
        _after_capture(ctx, auth.order_reference)
    claim(ctx, reference_id, "Capture", params, cap.amazon_id)
    return cap


def _new_capture(
    ctx: Context,
    auth: Authorization,
    reference_id: str,
    amount_minor: int,
    seller_note: str | None,
    soft_descriptor: str | None,
    directive: simulation.Simulation | None,
) -> Capture:
    # A capture reuses its authorization's number: A041953 -> C041953 [SRC: Java fixtures].
    suffix = auth.amazon_id.rsplit("-", 1)[1][1:]
    cap = Capture(
        amazon_id=f"{auth.order_reference.amazon_id}-C{suffix}",
        merchant_id=ctx.merchant.id,
        authorization=auth,
        order_reference=auth.order_reference,
        reference_id=reference_id,
        currency=auth.currency,
        amount_minor=amount_minor,
        refunded_minor=0,
        refund_reserved_minor=0,
        refund_count=0,
        seller_note=seller_note,
        soft_descriptor=_descriptor(ctx, soft_descriptor)
        if soft_descriptor
        else auth.soft_descriptor,
        state=C.COMPLETED,
        created_at=ctx.now,
    )
    if directive is not None:
        cap.state, cap.reason_code = directive.state or C.COMPLETED, directive.reason_code
        if cap.state == C.PENDING:
            plan(cap, ctx.now + timedelta(seconds=ctx.merchant.settle_delay_seconds), C.COMPLETED)
    created(ctx, cap)
    return cap


def _after_capture(ctx: Context, oro: OrderReference) -> None:
    """Close the order reference when it has been charged as far as Amazon allows."""
    if oro.state not in (O.OPEN, O.SUSPENDED) or oro.amount_minor is None or oro.currency is None:
        return
    captured = [a for a in oro.authorizations if a.captured_minor > 0]
    if sum(a.captured_minor for a in captured) >= refund_cap(oro.amount_minor, oro.currency):
        transition(ctx, oro, O.CLOSED, "MaxAmountCharged")
    elif len(captured) >= MAX_CAPTURED_AUTHORIZATIONS:
        transition(ctx, oro, O.CLOSED, "MaxAuthorizationsCaptured")


# --- Refund ------------------------------------------------------------------------------------

# The Refund operation is the hot path of a merchant's test suite (and of bench/): it reads the
# capture and the reference id's first use in one statement, reserves the amount on the capture
# with one compare-and-set UPDATE and INSERTs the refund (``gateway.store.refunds``), after the
# same transition-table check as ``created`` (``lifecycle.inserted``).


def _order_reference_amazon_id(ctx: Context, cap: RefundSource) -> str:
    """The capture's order reference id: its own id less ``-C...`` (see ``_new_capture``).

    Read from the id rather than from the order reference (a query on every Refund).
    """
    prefix: str
    prefix, _, last = cap.amazon_id.rpartition("-")
    if prefix and last.startswith("C"):
        return prefix
    oro: OrderReference = ctx.session.get_one(OrderReference, cap.order_reference_id)
    return oro.amazon_id


def refund(
    ctx: Context,
    amazon_capture_id: str,
    reference_id: str,
    amount: str,
    currency: str,
    seller_note: str | None = None,
    soft_descriptor: str | None = None,
) -> RefundRecord:
    params = {
        "capture": amazon_capture_id,
        "amount": amount,
        "currency": currency,
        "note": seller_note,
        "descriptor": soft_descriptor,
    }
    source = refunds.refund_source(ctx.session, ctx.merchant.id, amazon_capture_id, reference_id)
    if source is None:
        raise _unknown(amazon_capture_id)
    cap, use = source
    replay = replay_of(use, reference_id, "Refund", params)
    if replay is not None:
        return refund_record(ctx, replay)
    if cap.state != C.COMPLETED:
        detail = f"/{cap.reason_code}" if cap.reason_code else ""
        raise CaptureNotRefundable(
            f"Capture {cap.amazon_id} is in {cap.state}{detail} state; "
            "only a Completed capture can be refunded."
        )
    _check_currency(currency, cap.currency, "RefundAmount.CurrencyCode")
    amount_minor = parse_amount(amount, currency, "RefundAmount.Amount")
    directive = simulation.parse(seller_note, "Refund")
    check_refund(
        what=f"capture {cap.amazon_id}",
        refund_count=cap.refund_count,
        reserved_minor=cap.refund_reserved_minor,
        captured_minor=cap.amount_minor,
        currency=cap.currency,
        amount_minor=amount_minor,
    )
    # Counted now, while Pending, so concurrent refunds cannot overshoot. The capture was read
    # locked (``refunds.refund_source``): a concurrent Refund waits, then reads this sum; the
    # version check stays as the compare-and-set's guard.
    refunds.reserve(ctx.session, cap, amount_minor)
    ref = new_refund(
        ctx,
        amazon_id=ctx.ids.child_id(_order_reference_amazon_id(ctx, cap), "R"),
        capture_id=cap.id,
        order_reference_id=cap.order_reference_id,
        reference_id=reference_id,
        refund_type=SELLER_INITIATED,
        currency=currency,
        amount_minor=amount_minor,
        seller_note=seller_note,
        soft_descriptor=_descriptor(ctx, soft_descriptor)
        if soft_descriptor
        else cap.soft_descriptor,
        due_at=ctx.now + timedelta(seconds=ctx.merchant.settle_delay_seconds),
        outcome=_refund_outcome(ctx, directive),
    )
    claim(ctx, reference_id, "Refund", params, ref.amazon_id)
    return ref


def _refund_outcome(ctx: Context, directive: simulation.Simulation | None) -> tuple[R, str | None]:
    """A new refund's planned outcome: the simulated one; Declined/ProcessingFailure while the
    merchant's ``refund_processing_failures`` lasts (each refund takes one); else Completed.

    [SRC: reference/amazon-wire.md §1.7 Refund: Declined/ProcessingFailure] Amazon's internal
    error, which its advice says to retry in a minute or two: the retry is a new refund, which
    succeeds once the switch is spent. Read from the merchant record first, so a refund costs
    no statement while the switch is off.
    """
    if directive is not None:
        return R.DECLINED, directive.reason_code
    if processing_failure_due(ctx):
        return R.DECLINED, "ProcessingFailure"
    return R.COMPLETED, None


def processing_failure_due(ctx: Context) -> bool:
    """Whether the merchant's ``refund_processing_failures`` declines this new refund (taking one
    of them); a v1 Refund and an API v2 Create Refund alike."""
    return bool(
        ctx.merchant.refund_processing_failures
    ) and merchants.take_refund_processing_failure(ctx.session, ctx.merchant.id)


def close_refunded_captures(ctx: Context, totals: Iterable[CaptureTotals]) -> None:
    """Close each Completed capture that its settled refunds have exhausted, with its IPN.

    [SRC: reference/amazon-wire.md §1.7 Capture: Closed/MaxAmountRefunded,
    Closed/MaxRefundsProcessed (10 refunds)] MaxAmountRefunded once the refunded amount (A-to-z
    claims and chargebacks included) reaches the refundable most, ``money.refund_cap``;
    MaxRefundsProcessed once its tenth refund has settled, Completed or Declined, and none is
    Pending. UNCONFIRMED: when Amazon closes it; here when the refund that exhausts it settles,
    not when it is requested (a refund still Pending may yet be declined, which would leave the
    capture refundable). Until then an eleventh Refund answers TransactionCountExceeded, and one
    over the amount TransactionAmountExceeded, as before.
    """
    for capture in totals:
        if capture.state != C.COMPLETED:
            continue
        if capture.refunded_minor >= refund_cap(capture.amount_minor, capture.currency):
            reason = "MaxAmountRefunded"
        elif (
            capture.refund_count >= MAX_REFUNDS_PER_CAPTURE
            and capture.refund_reserved_minor == capture.refunded_minor
        ):
            reason = "MaxRefundsProcessed"
        else:
            continue
        # The settlement's statements expired it in the identity map: read as now stored.
        transition(ctx, ctx.session.get_one(Capture, capture.id), C.CLOSED, reason)


def new_refund(
    ctx: Context,
    *,
    amazon_id: str,
    capture_id: int,
    order_reference_id: int,
    reference_id: str,
    refund_type: str,
    currency: str,
    amount_minor: int,
    seller_note: str | None,
    soft_descriptor: str | None,
    due_at: datetime,
    outcome: tuple[R, str | None],
) -> RefundRecord:
    """A new Pending refund, settled to ``outcome`` at ``due_at`` (``gateway.domain.settlement``).

    The caller has counted its amount against the capture's refundable amount.
    """
    record = RefundRecord(
        id=0,
        amazon_id=amazon_id,
        merchant_id=ctx.merchant.id,
        capture_id=capture_id,
        order_reference_id=order_reference_id,
        reference_id=reference_id,
        refund_type=refund_type,
        currency=currency,
        amount_minor=amount_minor,
        fee_refunded_minor=0,
        seller_note=seller_note,
        soft_descriptor=soft_descriptor,
        state=R.PENDING.value,
        reason_code=None,
        reason_description=None,
        last_update=ctx.now,
        created_at=ctx.now,
        due_at=due_at,
        planned_state=outcome[0].value,
        planned_reason=outcome[1],
        version=1,
    )
    return inserted(ctx, "Refund", record, refunds.insert_refund)
