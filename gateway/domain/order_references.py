"""Order reference operations: what the buyer creates in the widget, and the seller's calls on it.

Rules [SRC: reference/amazon-wire.md §1.5, §1.7]: details may be set only in Draft; confirming needs
no constraints; Authorize is allowed only when Open; cancel only while nothing was captured;
a Draft that is not confirmed in 3 hours becomes Canceled/Stale; an Open one closes Expired
after 180 days. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    MissingParameter,
    OrderReferenceNotModifiable,
)
from gateway.store.models import BillingAgreement, OrderReference

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
    billing_agreement: BillingAgreement | None = None,
    line_items: list[dict[str, Any]] | None = None,
    line_items_currency: str | None = None,
) -> OrderReference:
    """A Draft order reference, as the buyer leaves it after the checkout widget (or as
    CreateOrderReferenceForId makes it on a ``billing_agreement``), with the line items of the
    buyer's cart if given (in ``line_items_currency``, the order's currency when it has an
    amount); without an amount, line items make its amount their total."""
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
        billing_agreement=billing_agreement,
        # Known empty: its answer's IdList then costs no query (a collection not set here is
        # loaded by a SELECT after the flush). Authorizations join it through the relationship
        # (``payments.new_authorization``), which appends them here.
        authorizations=[],
    )
    plan(oro, ctx.now + DRAFT_LIFETIME, O.CANCELED, "Stale")
    created(ctx, oro)
    if line_items:
        add_line_items(ctx, oro, line_items, currency or items_currency)
    return oro


def get_order_reference(
    ctx: Context, amazon_id: str, *, for_update: bool = False
) -> OrderReference:
    """The merchant's order reference; ``for_update`` locks it (an operation that changes it or
    what hangs on it)."""
    return find_owned(
        ctx.session,
        OrderReference,
        ctx.merchant,
        amazon_id,
        InvalidOrderReferenceId(f"The OrderReferenceId {amazon_id} is invalid."),
        for_update=for_update,
    )


def constraints(oro: OrderReference) -> list[str]:
    """Constraint ids that keep ``oro`` from being confirmed."""
    found = []
    if oro.destination is None and oro.billing_agreement_id is None:
        # An agreement's order reference has the agreement's address, or none if the seller did
        # not inherit it (a digital subscription). UNCONFIRMED: Amazon's constraint list for it.
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
    oro = get_order_reference(ctx, amazon_order_reference_id, for_update=True)
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


#: SetOrderAttributes: what may change only before confirmation, and what may change before it
#: and once after it [SRC: Amazon Pay API reference, SetOrderAttributes, "Modifiable order
#: attributes"], with their wire names. UNCONFIRMED: the seller order attributes other than the
#: payment service provider's are taken to allow that one change too.
BEFORE_CONFIRMATION_ONLY = {
    "amount": "OrderTotal",
    "platform_id": "PlatformId",
    "seller_note": "SellerNote",
    "request_payment_authorization": "RequestPaymentAuthorization",
}
ONCE_AFTER_CONFIRMATION = {
    "seller_order_id": "SellerOrderId",
    "store_name": "StoreName",
    "custom_information": "CustomInformation",
    "supplementary_data": "SupplementaryData",
    "order_item_categories": "OrderItemCategories",
    "payment_service_provider_id": "PaymentServiceProviderId",
    "payment_service_provider_order_id": "PaymentServiceProviderOrderId",
}


def set_order_attributes(
    ctx: Context,
    amazon_order_reference_id: str,
    *,
    amount: str | None = None,
    currency: str | None = None,
    seller_note: str | None = None,
    platform_id: str | None = None,
    request_payment_authorization: bool | None = None,
    seller_order_id: str | None = None,
    store_name: str | None = None,
    custom_information: str | None = None,
    supplementary_data: str | None = None,
    order_item_categories: list[str] | None = None,
    payment_service_provider_id: str | None = None,
    payment_service_provider_order_id: str | None = None,
) -> OrderReference:
    """SetOrderAttributes: the attributes given change, the others stay as they are. A SellerNote
    takes SetOrderReferenceDetails' simulation string (reference §1.8)."""
    oro = get_order_reference(ctx, amazon_order_reference_id)
    if (amount is None) != (currency is None):
        missing = "Amount" if amount is None else "CurrencyCode"
        raise MissingParameter(
            f"The parameter OrderAttributes.OrderTotal.{missing} is required with the other "
            "part of OrderAttributes.OrderTotal but was not supplied."
        )
    given = {
        name: value
        for name, value in {
            "amount": amount,
            "seller_note": seller_note,
            "platform_id": platform_id,
            "request_payment_authorization": request_payment_authorization,
            "seller_order_id": seller_order_id,
            "store_name": store_name,
            "custom_information": custom_information,
            "supplementary_data": supplementary_data,
            "order_item_categories": order_item_categories,
            "payment_service_provider_id": payment_service_provider_id,
            "payment_service_provider_order_id": payment_service_provider_order_id,
        }.items()
        if value is not None
    }
    _check_attributes_modifiable(oro, given)
    directive = simulation.parse(seller_note, "SetOrderAttributes")
    if amount is not None and currency is not None:
        oro.amount_minor = parse_amount(amount, currency, "OrderAttributes.OrderTotal.Amount")
        oro.currency = currency
    if seller_note is not None:
        oro.seller_note = seller_note
        # As with SetOrderReferenceDetails, another note clears a simulated constraint.
        oro.simulated_constraints = (
            [directive.constraint] if directive and directive.constraint else []
        )
    for name in ("platform_id", "request_payment_authorization", *ONCE_AFTER_CONFIRMATION):
        if name in given:
            setattr(oro, name, given[name])
    if oro.state != O.DRAFT:
        oro.attributes_set_after_confirm = [
            *oro.attributes_set_after_confirm,
            *(name for name in ONCE_AFTER_CONFIRMATION if name in given),
        ]
    oro.last_update = ctx.now
    return oro


def _check_attributes_modifiable(oro: OrderReference, given: Mapping[str, object]) -> None:
    if oro.state == O.DRAFT:
        return
    if oro.state not in (O.OPEN, O.SUSPENDED):
        raise OrderReferenceNotModifiable(
            f"OrderReference {oro.amazon_id} is {oro.state}; its attributes can no longer change."
        )
    too_late = [wire for name, wire in BEFORE_CONFIRMATION_ONLY.items() if name in given]
    if too_late:
        raise OrderReferenceNotModifiable(
            f"OrderReference {oro.amazon_id} is confirmed: {', '.join(too_late)} can be set "
            "only before confirmation."
        )
    again = [
        wire
        for name, wire in ONCE_AFTER_CONFIRMATION.items()
        if name in given and name in oro.attributes_set_after_confirm
    ]
    if again:
        raise OrderReferenceNotModifiable(
            f"OrderReference {oro.amazon_id}: {', '.join(again)} can change only once after "
            "confirmation, and already did."
        )


def confirm_order_reference(
    ctx: Context,
    amazon_order_reference_id: str,
    authorization_amount: str | None = None,
    authorization_currency: str | None = None,
) -> OrderReference:
    oro = get_order_reference(ctx, amazon_order_reference_id, for_update=True)
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
    oro = get_order_reference(ctx, amazon_order_reference_id, for_update=True)
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
    oro = get_order_reference(ctx, amazon_order_reference_id, for_update=True)
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
