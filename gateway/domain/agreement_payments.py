"""What a billing agreement imposes on payments made on its order references. No Flask here.

An order reference made on a billing agreement (CreateOrderReferenceForId, AuthorizeOnBillingAgreement)
is authorized through the same Authorize as any other (``gateway.domain.payments``), which asks
this module first: new authorizations only while the agreement is Open, and within what the
agreement allows per calendar month. A payment method declined on such an order reference
suspends the agreement too [SRC: Amazon Pay API reference, "Billing agreement states and reason
codes": "You cannot create new order references or request new authorizations when the billing
agreement is in the Suspended state"].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from gateway.domain.lifecycle import Context, plan, transition
from gateway.domain.money import format_amount
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import BillingAgreementState as B
from gateway.errors import InvalidBillingAgreementStatus, PeriodicAmountExceeded
from gateway.store.billing_agreements import authorized_by_state
from gateway.store.models import BillingAgreement, OrderReference

#: The post-confirmation constraint a declined payment method leaves on its agreement until the
#: buyer chooses another [SRC: Amazon Pay API reference, "Billing agreement constraints"].
INVALID_PAYMENT_METHOD = "InvalidPaymentMethod"


def period(now: datetime) -> tuple[datetime, datetime]:
    """The limit's time period holding ``now``: its calendar month in UTC, as Amazon's samples
    show it (TimePeriodStartDate 2019-08-01T00:00:00Z, TimePeriodEndDate 2019-09-01T00:00:00Z)."""
    utc = now.astimezone(UTC)
    start = datetime(utc.year, utc.month, 1, tzinfo=UTC)
    end = datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


@dataclass(frozen=True)
class Limits:
    """BillingAgreementLimits at one moment."""

    currency: str
    per_period_minor: int
    period_start: datetime
    period_end: datetime
    remaining_minor: int


def limits(session: Session, agreement: BillingAgreement, now: datetime) -> Limits:
    """The agreement's limit and what remains of it in the period holding ``now``.

    What this period's authorizations hold counts against it: a Pending or Open one its amount,
    a Closed one what was captured of it, a Declined one nothing (as
    ``payments._check_authorization_total`` counts an order reference's). UNCONFIRMED: Amazon
    does not say how an authorization that closed unused counts.
    """
    start, end = period(now)
    held = 0
    for state, authorized, captured in authorized_by_state(session, agreement.id, start, end):
        if state in (A.PENDING, A.OPEN):
            held += authorized
        elif state == A.CLOSED:
            held += captured
    remaining = max(agreement.limit_minor - held, 0)
    return Limits(agreement.currency, agreement.limit_minor, start, end, remaining)


def check_authorization(ctx: Context, oro: OrderReference, amount_minor: int) -> None:
    """Refuse an authorization on an agreement's order reference that the agreement does not
    allow; nothing for an order reference of its own."""
    agreement = oro.billing_agreement
    if agreement is None:
        return
    if agreement.state != B.OPEN:
        raise InvalidBillingAgreementStatus(
            f"BillingAgreement {agreement.amazon_id} is in {agreement.state} state; "
            "authorizations are allowed only in Open state."
        )
    remaining = limits(ctx.session, agreement, ctx.now).remaining_minor
    if amount_minor > remaining:
        raise PeriodicAmountExceeded(
            f"The authorization amount exceeds what BillingAgreement {agreement.amazon_id} "
            f"allows until the end of the time period: "
            f"{format_amount(remaining, agreement.currency)} {agreement.currency} remain of "
            f"{format_amount(agreement.limit_minor, agreement.currency)} per month."
        )


def suspend_for_declined_payment_method(
    ctx: Context, oro: OrderReference, update_minutes: int | None
) -> None:
    """An authorization on ``oro`` was declined InvalidPaymentMethod: its agreement (if any) is
    Suspended with the InvalidPaymentMethod constraint; with ``update_minutes`` (the sandbox
    simulation's PaymentMethodUpdateTimeInMins) the buyer chooses another payment method then
    (``gateway.domain.billing_agreements.apply_due``)."""
    agreement = oro.billing_agreement
    if agreement is None or agreement.state != B.OPEN:
        return
    agreement.buyer_constraints = [*agreement.buyer_constraints, INVALID_PAYMENT_METHOD]
    transition(ctx, agreement, B.SUSPENDED, INVALID_PAYMENT_METHOD)
    if update_minutes is not None:
        plan(agreement, ctx.now + timedelta(minutes=update_minutes), B.OPEN)
