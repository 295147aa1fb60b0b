"""Billing agreements (recurring payments): the buyer's side, the seller's calls, and the order
references and authorizations made on them. No Flask here.

Rules [SRC: Amazon Pay API reference: "Billing agreement states and reason codes", "Billing
agreement constraints", the pages of the operations; reference/amazon-wire.md §1.9, §2.3]:
details may be set only in Draft (BillingAgreementNotModifiable); confirming needs no
constraints (BuyerConsentNotSet, PaymentPlanNotSet, ShippingAddressNotSet; otherwise
BillingAgreementConstraintsExist); a Draft not confirmed in 3 hours becomes
Canceled/Stale; order references and authorizations only on an Open agreement, within its limit
per calendar month (``agreement_payments``); a payment method problem after confirmation
suspends it until the buyer chooses another and the seller confirms again.

What the buyer does in Amazon's widgets and on the Amazon Pay website (consent, an address, a
payment method, a payment method expiring, canceling the agreement) comes from the sandbox API.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from gateway.domain import simulation
from gateway.domain.agreement_payments import INVALID_PAYMENT_METHOD
from gateway.domain.idempotency import claim, replayed_object_id
from gateway.domain.lifecycle import Context, announce, created, plan, transition, unplan
from gateway.domain.merchants import find_owned
from gateway.domain.money import exponent, parse_amount
from gateway.domain.order_references import confirm_order_reference, create_order_reference
from gateway.domain.payments import get_authorization, new_authorization
from gateway.domain.states import BillingAgreementState as B
from gateway.errors import (
    BillingAgreementConstraintsExist,
    BillingAgreementNotModifiable,
    CurrencyMismatch,
    InvalidBillingAgreementId,
    InvalidBillingAgreementStatus,
    InvalidParameterValue,
)
from gateway.registry import DueKind
from gateway.store.models import Authorization, BillingAgreement, OrderReference

#: Canceled/Stale when not confirmed within this time (as an order reference).
DRAFT_LIFETIME = timedelta(hours=3)
#: AmountLimitPerTimePeriod unless the sandbox API sets another: 500 a month, as in Amazon's
#: samples (USD, GBP). UNCONFIRMED for other currencies: 500 major units, 50,000 for JPY.
DEFAULT_MONTHLY_LIMIT = "500"
DEFAULT_MONTHLY_LIMITS = {"JPY": "50000"}
#: CreateOrderReferenceForId's only IdType [SRC: Amazon Pay API reference].
ID_TYPE = "BillingAgreement"
#: The EventType of a buyer's new payment method (Java IPN fixture BA_PaymentMethodUpdated.json).
PAYMENT_METHOD_UPDATED = "PaymentMethodUpdated"

#: Before confirmation [SRC: "Billing agreement constraints"]. BuyerEqualsSeller cannot arise in
#: the sandbox (no buyer is a seller), so it is not simulated.
CONSTRAINT_DESCRIPTIONS: dict[str, str] = {
    "BuyerConsentNotSet": "The buyer has not given consent for this billing agreement.",
    "PaymentPlanNotSet": "The buyer has not set a payment method for the given billing agreement.",
    "ShippingAddressNotSet": (
        "The buyer has not chosen a shipping address from the Amazon AddressBook widget."
    ),
}
#: After confirmation: each suspends the agreement until the buyer chooses another payment
#: method [same page]. UNCONFIRMED: the descriptions' wording.
PAYMENT_METHOD_CONSTRAINTS: dict[str, str] = {
    "BillingAddressDeleted": (
        "The buyer has deleted the billing address of the selected payment method."
    ),
    INVALID_PAYMENT_METHOD: "The payment method selected by the buyer is not valid.",
    "PaymentMethodDeleted": "The buyer has deleted the selected payment method.",
    "PaymentMethodExpired": "The selected payment method has expired.",
}


def create_billing_agreement(
    ctx: Context,
    *,
    buyer: dict[str, Any],
    destination: dict[str, Any] | None,
    payment_method: dict[str, Any] | None,
    consent: bool,
    currency: str,
    monthly_limit: str | None = None,
) -> BillingAgreement:
    """A Draft agreement, as the buyer leaves it after Amazon's widgets (sandbox API)."""
    exponent(currency)
    limit = monthly_limit or DEFAULT_MONTHLY_LIMITS.get(currency, DEFAULT_MONTHLY_LIMIT)
    agreement = BillingAgreement(
        amazon_id=ctx.ids.billing_agreement_id(),
        merchant_id=ctx.merchant.id,
        state=B.DRAFT,
        created_at=ctx.now,
        currency=currency,
        limit_minor=parse_amount(limit, currency, "monthly_limit"),
        consent=consent,
        buyer=buyer,
        destination=destination,
        payment_method=payment_method,
        buyer_constraints=[],
    )
    plan(agreement, ctx.now + DRAFT_LIFETIME, B.CANCELED, "Stale")
    created(ctx, agreement)
    return agreement


def get_billing_agreement(ctx: Context, amazon_id: str) -> BillingAgreement:
    return find_owned(
        ctx.session,
        BillingAgreement,
        ctx.merchant,
        amazon_id,
        InvalidBillingAgreementId(f"The BillingAgreementId {amazon_id} is invalid."),
    )


def constraints(agreement: BillingAgreement) -> list[str]:
    """Constraint ids that keep ``agreement`` from being confirmed (or used)."""
    found = []
    if not agreement.consent:
        found.append("BuyerConsentNotSet")
    if agreement.payment_method is None:
        found.append("PaymentPlanNotSet")
    if agreement.destination is None:
        found.append("ShippingAddressNotSet")
    found.extend(agreement.buyer_constraints)
    return found


def constraint_description(constraint: str) -> str:
    return CONSTRAINT_DESCRIPTIONS.get(constraint) or PAYMENT_METHOD_CONSTRAINTS[constraint]


def _status_error(agreement: BillingAgreement, operation: str, allowed: str) -> Exception:
    return InvalidBillingAgreementStatus(
        f"BillingAgreement {agreement.amazon_id} is in {agreement.state} state; "
        f"{operation} is allowed only in {allowed} state."
    )


# --- the seller's calls ---------------------------------------------------------------------------


def set_billing_agreement_details(
    ctx: Context,
    amazon_billing_agreement_id: str,
    *,
    seller_note: str | None = None,
    platform_id: str | None = None,
    seller_billing_agreement_id: str | None = None,
    store_name: str | None = None,
    custom_information: str | None = None,
) -> BillingAgreement:
    """The attributes given change (all are optional). UNCONFIRMED: whether Amazon clears the
    ones a later call leaves out; here they stay."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    if agreement.state != B.DRAFT:
        raise BillingAgreementNotModifiable(
            f"BillingAgreement {agreement.amazon_id} is in {agreement.state} state and cannot "
            "be modified: details may be set only before it is confirmed."
        )
    given = {
        "seller_note": seller_note,
        "platform_id": platform_id,
        "seller_billing_agreement_id": seller_billing_agreement_id,
        "store_name": store_name,
        "custom_information": custom_information,
    }
    for name, value in given.items():
        if value is not None:
            setattr(agreement, name, value)
    agreement.last_update = ctx.now
    return agreement


def confirm_billing_agreement(ctx: Context, amazon_billing_agreement_id: str) -> BillingAgreement:
    """Draft or Suspended -> Open once free of constraints. Confirming an Open agreement again
    (after the buyer changed address or payment method, as Amazon asks) changes nothing."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    if agreement.state not in (B.DRAFT, B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, "ConfirmBillingAgreement", "Draft, Open or Suspended")
    found = constraints(agreement)
    if found:
        raise BillingAgreementConstraintsExist(
            f"BillingAgreement {agreement.amazon_id} has constraints {', '.join(found)} and "
            "cannot be confirmed."
        )
    if agreement.state != B.OPEN:
        transition(ctx, agreement, B.OPEN)
    return agreement


#: ValidateBillingAgreement's answers [SRC: Amazon Pay API reference, ValidateBillingAgreement].
SUCCESS, FAILURE = "Success", "Failure"


def validate_billing_agreement(
    ctx: Context, amazon_billing_agreement_id: str
) -> tuple[str, str | None, BillingAgreement]:
    """``(ValidationResult, FailureReasonCode, agreement)``: Failure/InvalidPaymentMethod while a
    payment method problem remains (the agreement is Suspended by it), else Success.
    ValidationTimedOut is not simulated. UNCONFIRMED: the answer in Draft, Canceled and Closed
    (an error here)."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    if agreement.state not in (B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, "ValidateBillingAgreement", "Open or Suspended")
    if agreement.buyer_constraints:
        return FAILURE, INVALID_PAYMENT_METHOD, agreement
    return SUCCESS, None, agreement


def close_billing_agreement(
    ctx: Context, amazon_billing_agreement_id: str, reason: str | None = None
) -> BillingAgreement:
    """Open or Suspended -> Closed/SellerClosed (ClosureReason as its description), or
    Closed/AmazonClosed by simulation. Its authorizations stay capturable."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    directive = simulation.parse(reason, "CloseBillingAgreement")
    if agreement.state not in (B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, "CloseBillingAgreement", "Open or Suspended")
    if directive is not None:
        transition(ctx, agreement, B.CLOSED, directive.reason_code)
    else:
        transition(ctx, agreement, B.CLOSED, "SellerClosed", reason)
    return agreement


# --- order references and authorizations on an agreement ---------------------------------------


def _usable(agreement: BillingAgreement, operation: str, currency: str) -> None:
    if agreement.state != B.OPEN:
        raise _status_error(agreement, operation, "Open")
    if currency != agreement.currency:
        raise CurrencyMismatch(
            f"The currency {currency} does not match the currency {agreement.currency} of "
            f"BillingAgreement {agreement.amazon_id}."
        )


@dataclass(frozen=True)
class OrderAttributes:
    """What the seller says of an order reference made on an agreement."""

    seller_note: str | None = None
    platform_id: str | None = None
    seller_order_id: str | None = None
    store_name: str | None = None
    custom_information: str | None = None
    supplementary_data: str | None = None
    #: The agreement's address, or none (a digital subscription).
    inherit_shipping_address: bool = True


def _order_reference_on(
    ctx: Context, agreement: BillingAgreement, amount: str, currency: str, order: OrderAttributes
) -> OrderReference:
    """A Draft order reference on ``agreement``, with its buyer and payment method."""
    oro = create_order_reference(
        ctx,
        buyer=agreement.buyer,
        destination=agreement.destination if order.inherit_shipping_address else None,
        payment_method=agreement.payment_method,
        amount=amount,
        currency=currency,
        seller_note=order.seller_note,
        billing_agreement=agreement,
    )
    oro.platform_id = order.platform_id
    oro.seller_order_id = order.seller_order_id
    oro.store_name = order.store_name or oro.store_name
    oro.custom_information = order.custom_information
    oro.supplementary_data = order.supplementary_data
    return oro


def create_order_reference_for_id(
    ctx: Context,
    object_id: str,
    object_id_type: str,
    amount: str,
    currency: str,
    order: OrderAttributes,
    *,
    confirm_now: bool = False,
) -> OrderReference:
    """A new order reference on an Open agreement, Draft, or Open with ``confirm_now``."""
    if object_id_type != ID_TYPE:
        raise InvalidParameterValue(
            f"Value {object_id_type!r} for parameter IdType is invalid: must be {ID_TYPE}."
        )
    agreement = get_billing_agreement(ctx, object_id)
    _usable(agreement, "CreateOrderReferenceForId", currency)
    oro = _order_reference_on(ctx, agreement, amount, currency, order)
    if confirm_now:
        confirm_order_reference(ctx, oro.amazon_id)
    return oro


def authorize_on_billing_agreement(
    ctx: Context,
    amazon_billing_agreement_id: str,
    reference_id: str,
    amount: str,
    currency: str,
    order: OrderAttributes,
    *,
    transaction_timeout: int = 1440,
    capture_now: bool = False,
    seller_authorization_note: str | None = None,
    soft_descriptor: str | None = None,
) -> Authorization:
    """An Open order reference for ``amount`` on the agreement and an authorization on it, by
    Authorize's own rules (``payments.new_authorization``, which holds it to the agreement's
    limit). The same reference id with the same parameters answers the first authorization; the
    order reference is its ``order_reference``."""
    params = {
        "agreement": amazon_billing_agreement_id,
        "amount": amount,
        "currency": currency,
        "timeout": transaction_timeout,
        "capture_now": capture_now,
        "note": seller_authorization_note,
        "descriptor": soft_descriptor,
        "order": asdict(order),
    }
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    replay = replayed_object_id(ctx, reference_id, "AuthorizeOnBillingAgreement", params)
    if replay is not None:
        return get_authorization(ctx, replay)
    _usable(agreement, "AuthorizeOnBillingAgreement", currency)
    oro = _order_reference_on(ctx, agreement, amount, currency, order)
    confirm_order_reference(ctx, oro.amazon_id)
    auth = new_authorization(
        ctx,
        oro,
        reference_id,
        amount,
        currency,
        transaction_timeout=transaction_timeout,
        capture_now=capture_now,
        seller_note=seller_authorization_note,
        soft_descriptor=soft_descriptor,
        operation="AuthorizeOnBillingAgreement",
    )
    claim(ctx, reference_id, "AuthorizeOnBillingAgreement", params, auth.amazon_id)
    return auth


# --- the buyer's side (sandbox API) --------------------------------------------------------------


def _buyer_may_change(agreement: BillingAgreement, what: str) -> None:
    if agreement.state not in (B.DRAFT, B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, what, "Draft, Open or Suspended")


def give_consent(ctx: Context, amazon_billing_agreement_id: str) -> BillingAgreement:
    """The buyer ticks the consent box of the recurring-payments widget."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    _buyer_may_change(agreement, "Giving consent")
    agreement.consent = True
    agreement.last_update = ctx.now
    return agreement


def choose_destination(
    ctx: Context, amazon_billing_agreement_id: str, destination: dict[str, Any]
) -> BillingAgreement:
    """The buyer picks an address in the AddressBook widget."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    _buyer_may_change(agreement, "Choosing an address")
    agreement.destination = destination
    agreement.last_update = ctx.now
    return agreement


def choose_payment_method(
    ctx: Context, amazon_billing_agreement_id: str, payment_method: dict[str, Any]
) -> BillingAgreement:
    """The buyer picks a payment method in the Wallet widget. After confirmation this clears the
    payment method's constraints and is notified (EventType PaymentMethodUpdated); a Suspended
    agreement stays so until the seller confirms it again."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    _buyer_may_change(agreement, "Choosing a payment method")
    _payment_method_updated(ctx, agreement, payment_method)
    if agreement.planned_state == B.OPEN:
        # The buyer did what a simulated decline's PaymentMethodUpdateTimeInMins stands for:
        # the agreement now waits for the seller's confirmation instead.
        unplan(agreement)
    return agreement


def _payment_method_updated(
    ctx: Context, agreement: BillingAgreement, payment_method: dict[str, Any] | None
) -> None:
    agreement.payment_method = payment_method
    agreement.buyer_constraints = []
    agreement.last_update = ctx.now
    announce(ctx, agreement, {"EventType": PAYMENT_METHOD_UPDATED})


def payment_method_problem(
    ctx: Context, amazon_billing_agreement_id: str, constraint: str
) -> BillingAgreement:
    """A payment method problem after confirmation (the card expires, the buyer deletes it ...):
    the constraint is added and an Open agreement is Suspended/InvalidPaymentMethod."""
    if constraint not in PAYMENT_METHOD_CONSTRAINTS:
        raise InvalidParameterValue(
            f"{constraint!r} is not one of {', '.join(sorted(PAYMENT_METHOD_CONSTRAINTS))}."
        )
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    if agreement.state not in (B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, "A payment method problem", "Open or Suspended")
    if constraint not in agreement.buyer_constraints:
        agreement.buyer_constraints = [*agreement.buyer_constraints, constraint]
    if agreement.state == B.OPEN:
        transition(ctx, agreement, B.SUSPENDED, INVALID_PAYMENT_METHOD)
    else:
        agreement.last_update = ctx.now
    return agreement


def buyer_cancel(ctx: Context, amazon_billing_agreement_id: str) -> BillingAgreement:
    """The buyer cancels the agreement on the Amazon Pay website: Closed/BuyerCanceled.
    UNCONFIRMED: the reason code's spelling (Amazon's v2 API uses BuyerCanceled)."""
    agreement = get_billing_agreement(ctx, amazon_billing_agreement_id)
    if agreement.state not in (B.OPEN, B.SUSPENDED):
        raise _status_error(agreement, "Canceling by the buyer", "Open or Suspended")
    transition(ctx, agreement, B.CLOSED, "BuyerCanceled")
    return agreement


# --- due work ------------------------------------------------------------------------------------


def apply_due(ctx: Context, agreement: BillingAgreement) -> None:
    """A Draft goes stale; a simulated decline's buyer chooses another payment method
    (PaymentMethodUpdateTimeInMins) and the agreement is Open again, as the sandbox does for
    the order reference [reference §1.8]. UNCONFIRMED for the agreement: Amazon's page
    describes the order reference only."""
    assert agreement.planned_state is not None
    if agreement.state == B.SUSPENDED and agreement.planned_state == B.OPEN:
        _payment_method_updated(ctx, agreement, agreement.payment_method)
    transition(ctx, agreement, agreement.planned_state, agreement.planned_reason)


#: Installed by ``gateway.composition``.
DUE_WORK = (DueKind(BillingAgreement, (B.DRAFT, B.SUSPENDED), apply_due),)
