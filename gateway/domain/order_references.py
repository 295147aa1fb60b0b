"""Order reference operations: what the buyer creates in the widget, and the seller's calls on it.

Rules [SRC: reference/amazon-wire.md §1.5, §1.7]: details may be set only in Draft; confirming needs
no constraints; Authorize is allowed only when Open; cancel only while nothing was captured;
a Draft that is not confirmed in 3 hours becomes Canceled/Stale; an Open one closes Expired
after 180 days. No Flask here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gateway.domain import simulation
from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.domain.line_items import add_line_items, total_minor
from gateway.domain.merchants import find_owned
from gateway.domain.money import exponent, format_amount, parse_amount
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.errors import (
    ConstraintsExist,
    CurrencyMismatch,
    InvalidOrderReferenceId,
    InvalidOrderReferenceStatus,
    OrderReferenceNotModifiable,
)
from gateway.store.models import OrderReference

DRAFT_LIFETIME = timedelta(hours=3)
OPEN_LIFETIME = timedelta(days=180)

#: Constraint descriptions as Amazon words them [SRC: Amazon Pay API reference, Constraint type].
CONSTRAINT_DESCRIPTIONS: dict[str, str] = {
    "ShippingAddressNotSet": "The buyer has not selected a shipping address from the Amazon AddressBook widget.",
    "PaymentPlanNotSet": "The buyer has not been able to select a Payment method for the given Order Reference.",
    "AmountNotSet": "The seller has not set the amount for the Order Reference.",
    "PaymentMethodNotAllowed": "The payment method selected by the buyer is not allowed for this Order Reference.",
}


def create_order_reference(
    ctx: Context,
    *,
    buyer: dict[str, Any],
    destination: dict[str, Any] | None,
    payment_method: dict[str, Any] | None,
    amount: str | None = None,
    currency: str | None = None,
    seller_note: str | None = None,
    line_items: list[dict[str, Any]] | None = None,
    line_items_currency: str | None = None,
) -> OrderReference:
    """A Draft order reference, as the buyer leaves it after the checkout widget, with the line
    items of the buyer's cart if given (in ``line_items_currency``, the order's currency when
    it has an amount); without an amount, line items make its amount their total."""
    if currency is not None:
        exponent(currency)
    if line_items:
        items_currency = currency or line_items_currency or "USD"
        if amount is None:
            total = total_minor(line_items, items_currency)
            amount, currency = format_amount(total, items_currency), items_currency
    oro = OrderReference(
        amazon_id=ctx.ids.order_reference_id(),
        merchant_id=ctx.merchant.id,
        state=O.DRAFT,
        created_at=ctx.now,
        expires_at=ctx.now + OPEN_LIFETIME,
        buyer=buyer,
        destination=destination,
        payment_method=payment_method,
        currency=currency,
        amount_minor=None
        if amount is None or currency is None
        else parse_amount(amount, currency, "amount"),
        seller_note=seller_note,
        store_name=ctx.merchant.store_name or None,
        simulated_constraints=[],
    )
    plan(oro, ctx.now + DRAFT_LIFETIME, O.CANCELED, "Stale")
    created(ctx, oro)
    if line_items:
        add_line_items(ctx, oro, line_items, currency or items_currency)
    return oro


def get_order_reference(ctx: Context, amazon_id: str) -> OrderReference:
    return find_owned(
        ctx.session,
        OrderReference,
        ctx.merchant,
        amazon_id,
        InvalidOrderReferenceId(f"The OrderReferenceId {amazon_id} is invalid."),
    )


def constraints(oro: OrderReference) -> list[str]:
    """Constraint ids that keep ``oro`` from being confirmed."""
    found = []
    if oro.destination is None:
        found.append("ShippingAddressNotSet")
    if oro.payment_method is None:
        found.append("PaymentPlanNotSet")
    if oro.amount_minor is None:
        found.append("AmountNotSet")
    found.extend(oro.simulated_constraints or [])
    return found


def set_order_reference_details(
    ctx: Context,
    amazon_order_reference_id: str,
    amount: str,
    currency: str,
    seller_note: str | None = None,
    platform_id: str | None = None,
    seller_order_id: str | None = None,
    store_name: str | None = None,
    custom_information: str | None = None,
    supplementary_data: str | None = None,
) -> OrderReference:
    oro = get_order_reference(ctx, amazon_order_reference_id)
    if oro.state != O.DRAFT:
        raise OrderReferenceNotModifiable(
            f"OrderReference {oro.amazon_id} is not in draft state and cannot be modified "
            "with the request submitted by you."
        )
    amount_minor = parse_amount(amount, currency, "OrderReferenceAttributes.OrderTotal.Amount")
    directive = simulation.parse(seller_note, "SetOrderReferenceDetails")
    oro.amount_minor, oro.currency = amount_minor, currency
    oro.seller_note = seller_note
    oro.platform_id = platform_id
    oro.seller_order_id = seller_order_id
    oro.store_name = store_name or oro.store_name
    oro.custom_information = custom_information
    oro.supplementary_data = supplementary_data
    # A later Set with another SellerNote clears the simulated constraint (reference §1.8).
    oro.simulated_constraints = [directive.constraint] if directive and directive.constraint else []
    oro.last_update = ctx.now
    return oro


def confirm_order_reference(
    ctx: Context,
    amazon_order_reference_id: str,
    authorization_amount: str | None = None,
    authorization_currency: str | None = None,
) -> OrderReference:
    oro = get_order_reference(ctx, amazon_order_reference_id)
    if oro.state != O.DRAFT:
        raise InvalidOrderReferenceStatus(
            f"OrderReference {oro.amazon_id} is in {oro.state} state; "
            "ConfirmOrderReference is allowed only in Draft state."
        )
    found = constraints(oro)
    if found:
        raise ConstraintsExist(
            f"OrderReference {oro.amazon_id} has constraints {', '.join(found)} and cannot be confirmed."
        )
    if authorization_currency and authorization_currency != oro.currency:
        raise CurrencyMismatch(
            f"AuthorizationAmount.CurrencyCode {authorization_currency} does not match the "
            f"order reference currency {oro.currency}."
        )
    if authorization_amount and authorization_currency:
        parse_amount(authorization_amount, authorization_currency, "AuthorizationAmount.Amount")
    transition(ctx, oro, O.OPEN)
    oro.expires_at = ctx.now + OPEN_LIFETIME
    plan(oro, oro.expires_at, O.CLOSED, "Expired")
    return oro


def cancel_order_reference(
    ctx: Context, amazon_order_reference_id: str, reason: str | None = None
) -> OrderReference:
    oro = get_order_reference(ctx, amazon_order_reference_id)
    if oro.state not in (O.DRAFT, O.OPEN, O.SUSPENDED):
        raise InvalidOrderReferenceStatus(
            f"OrderReference {oro.amazon_id} is in {oro.state} state and cannot be canceled."
        )
    captured = [
        cap for auth in oro.authorizations for cap in auth.captures if cap.state != C.DECLINED
    ]
    if captured:
        raise InvalidOrderReferenceStatus(
            f"OrderReference {oro.amazon_id} cannot be canceled because it has captures "
            f"({captured[0].amazon_id}); close it instead."
        )
    transition(ctx, oro, O.CANCELED, "SellerCanceled", reason)
    for auth in oro.authorizations:
        if auth.state in (A.PENDING, A.OPEN):
            transition(ctx, auth, A.CLOSED, "OrderReferenceCanceled")
    return oro


def close_order_reference(
    ctx: Context, amazon_order_reference_id: str, reason: str | None = None
) -> OrderReference:
    oro = get_order_reference(ctx, amazon_order_reference_id)
    directive = simulation.parse(reason, "CloseOrderReference")
    if oro.state not in (O.OPEN, O.SUSPENDED):
        raise InvalidOrderReferenceStatus(
            f"OrderReference {oro.amazon_id} is in {oro.state} state; "
            "CloseOrderReference is allowed only in Open or Suspended state."
        )
    # Closing leaves open authorizations capturable and refunds possible (reference §1.7).
    if directive is not None:
        transition(ctx, oro, O.CLOSED, directive.reason_code)
    else:
        transition(ctx, oro, O.CLOSED, "SellerClosed", reason)
    return oro
