"""Checkout sessions: Create, Get, Update and Complete, and their expiry. No Flask here.

[SRC: developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html] A checkout session is
Open for 24 hours, then Canceled/Expired unless completed. While Open its ``constraints`` say
what is missing (no buyer yet, no checkoutResultReturnUrl, no chargeAmount, no paymentIntent);
once none is left, ``webCheckoutDetails.amazonPayRedirectUrl`` is where the merchant sends the
buyer, whose payment Amazon then processes (``gateway.v2.buyer_journey``) before returning the
buyer to ``checkoutResultReturnUrl``. Complete Checkout Session, with the same chargeAmount,
then makes the charge permission and, for paymentIntent Authorize or AuthorizeWithCapture, the
charge; the session is Completed. A session the buyer's payment failed on is Canceled with the
reason (BuyerCanceled, Declined).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.domain.money import format_amount
from gateway.registry import DueKind
from gateway.v2 import charge_permissions, charges, simulation, store
from gateway.v2.charge_permissions import merge_metadata
from gateway.v2.errors import (
    InvalidCheckoutSessionStatus,
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFound,
)
from gateway.v2.models import V2CheckoutSession
from gateway.v2.prices import check_currency, parse_price
from gateway.v2.states import ChargeState as C
from gateway.v2.states import CheckoutSessionState as S

#: How long a checkout session stays Open (checkout-session.html: 24 hours, sandbox and live).
LIFETIME = timedelta(hours=24)
PAYMENT_INTENTS = ("Confirm", "Authorize", "AuthorizeWithCapture")
#: Charge permission types emulated (Recurring and PaymentMethodOnFile are not).
CHARGE_PERMISSION_TYPES = ("OneTime",)
#: The constraints of an Open session [SRC: reference/amazon-pay-v2.md §2; checkout-session.html
#: "Constraints"], each with Amazon's advice. UNCONFIRMED: the descriptions' exact words.
CONSTRAINTS: Mapping[str, str] = {
    "CheckoutResultReturnUrlNotSet": "checkoutResultReturnUrl is not set on the Checkout Session.",
    "ChargeAmountNotSet": "chargeAmount is not set on the Checkout Session.",
    "BuyerNotAssociated": (
        "There is no buyer associated with the Checkout Session. Return the checkout button "
        "payload to the buyer."
    ),
    "PaymentIntentNotSet": "paymentIntent is not set on the Checkout Session.",
}


def get_session(ctx: Context, amazon_id: str, *, for_update: bool = False) -> V2CheckoutSession:
    found = store.checkout_session(ctx.session, ctx.merchant.id, amazon_id, for_update=for_update)
    if found is None:
        raise ResourceNotFound(f"The checkout session {amazon_id} does not exist.")
    return found


def constraints(session: V2CheckoutSession) -> list[str]:
    """What is missing before the buyer can be sent to amazonPayRedirectUrl (Open only)."""
    if session.state != S.OPEN:
        return []
    missing = []
    if not session.web_checkout.get("checkoutResultReturnUrl"):
        missing.append("CheckoutResultReturnUrlNotSet")
    if session.amount_minor is None:
        missing.append("ChargeAmountNotSet")
    if session.buyer is None:
        missing.append("BuyerNotAssociated")
    if session.payment_intent is None:
        missing.append("PaymentIntentNotSet")
    return missing


def create_session(ctx: Context, body: Mapping[str, Any]) -> V2CheckoutSession:
    """``POST checkoutSessions``."""
    session = V2CheckoutSession(
        amazon_id=ctx.ids.uuid(),
        merchant_id=ctx.merchant.id,
        store_id=body["storeId"],
        web_checkout={},
        charge_permission_type=body.get("chargePermissionType") or "OneTime",
        merchant_metadata={},
        provider_metadata={},
        can_handle_pending=False,
        processed=False,
        expires_at=ctx.now + LIFETIME,
        state=S.OPEN,
        created_at=ctx.now,
        live=ctx.live,
    )
    if session.charge_permission_type not in CHARGE_PERMISSION_TYPES:
        raise InvalidParameterValue(
            f"chargePermissionType {session.charge_permission_type} is not emulated; the "
            f"simulator makes {', '.join(CHARGE_PERMISSION_TYPES)} charge permissions."
        )
    _apply(session, body)
    if not session.web_checkout.get("checkoutReviewReturnUrl"):
        raise InvalidParameterValue("webCheckoutDetails.checkoutReviewReturnUrl is required.")
    plan(session, session.expires_at, S.CANCELED, "Expired")
    created(ctx, session)
    return session


def _apply(session: V2CheckoutSession, body: Mapping[str, Any]) -> None:
    """The fields a Create or Update sets (the given ones replace the stored ones)."""
    web = body.get("webCheckoutDetails")
    if web:
        session.web_checkout = {
            **session.web_checkout,
            **{k: v for k, v in web.items() if v is not None},
        }
    payment = body.get("paymentDetails") or {}
    if payment.get("paymentIntent") is not None:
        session.payment_intent = payment["paymentIntent"]
    if payment.get("canHandlePendingAuthorization") is not None:
        session.can_handle_pending = bool(payment["canHandlePendingAuthorization"])
    if payment.get("chargeAmount") is not None:
        field = "paymentDetails.chargeAmount"
        session.amount_minor, session.currency = parse_price(payment["chargeAmount"], field)
    if payment.get("softDescriptor") is not None:
        session.soft_descriptor = charges.check_soft_descriptor(payment["softDescriptor"])
    session.merchant_metadata = merge_metadata(
        session.merchant_metadata, body.get("merchantMetadata")
    )
    if body.get("platformId") is not None:
        session.platform_id = body["platformId"]
    if body.get("providerMetadata"):
        session.provider_metadata = {**session.provider_metadata, **body["providerMetadata"]}


def _check_open(session: V2CheckoutSession, operation: str) -> None:
    if session.state != S.OPEN:
        detail = f"/{session.reason_code}" if session.reason_code else ""
        raise InvalidCheckoutSessionStatus(
            f"The checkout session {session.amazon_id} is {session.state}{detail}; "
            f"{operation} needs an Open one."
        )


def update_session(ctx: Context, amazon_id: str, body: Mapping[str, Any]) -> V2CheckoutSession:
    """``PATCH checkoutSessions/{id}``: while Open and before the buyer was sent to
    amazonPayRedirectUrl (UNCONFIRMED: Amazon's answer to a later update; refused here)."""
    session = get_session(ctx, amazon_id, for_update=True)
    _check_open(session, "Update Checkout Session")
    if session.processed:
        raise InvalidCheckoutSessionStatus(
            f"The buyer of checkout session {amazon_id} was already sent to "
            "amazonPayRedirectUrl; complete it instead."
        )
    _apply(session, body)
    session.last_update = ctx.now
    return session


def cancel_session(ctx: Context, session: V2CheckoutSession, reason: str) -> None:
    """The buyer's payment failed (or was canceled) on Amazon's pages."""
    transition(ctx, session, S.CANCELED, reason)


def complete_session(
    ctx: Context,
    amazon_id: str,
    body: Mapping[str, Any],
    simulation_code: str | None = None,
) -> V2CheckoutSession:
    """``POST checkoutSessions/{id}/complete``.

    A Completed session completed again with the same amount answers as it is (a retry).
    Simulated cancellations (BuyerCanceled, AmazonCanceled, Declined) cancel the session and
    answer it Canceled.
    """
    code = simulation.parse(simulation_code, "CompleteCheckoutSession", live=ctx.live)
    session = get_session(ctx, amazon_id, for_update=True)
    amount_minor, currency = parse_price(body["chargeAmount"], "chargeAmount")
    if session.state == S.COMPLETED and session.amount_minor == amount_minor:
        return session
    _check_open(session, "Complete Checkout Session")
    if ctx.now >= session.expires_at:
        raise InvalidCheckoutSessionStatus(
            f"The checkout session {amazon_id} expired at {session.expires_at:%Y%m%dT%H%M%SZ}."
        )
    if not session.processed:
        raise InvalidCheckoutSessionStatus(
            f"The buyer of checkout session {amazon_id} has not been through "
            "amazonPayRedirectUrl yet; complete the session after the buyer returns to "
            "checkoutResultReturnUrl."
        )
    assert session.amount_minor is not None and session.currency is not None
    check_currency(currency, session.currency, "chargeAmount", f"checkout session {amazon_id}")
    if amount_minor != session.amount_minor:
        raise InvalidParameterValue(
            f"chargeAmount {format_amount(amount_minor, currency)} {currency} does not match "
            f"the checkout session's {format_amount(session.amount_minor, currency)} {currency}."
        )
    if code in ("BuyerCanceled", "AmazonCanceled", "Declined"):
        cancel_session(ctx, session, code)
        return session
    pending = _pending_outcome(session, code)
    permission = charge_permissions.open_for(ctx, session)
    session.charge_permission = permission
    if session.payment_intent != "Confirm":
        session.charge = charges.new_charge(
            ctx,
            permission,
            amount_minor,
            capture_now=session.payment_intent == "AuthorizeWithCapture",
            can_handle_pending=session.can_handle_pending,
            soft_descriptor=session.soft_descriptor,
            merchant_metadata=session.merchant_metadata,
            provider_metadata=session.provider_metadata,
            pending=pending,
        )
    transition(ctx, session, S.COMPLETED)
    return session


def _pending_outcome(session: V2CheckoutSession, code: str | None) -> tuple[str, str | None] | None:
    """The pending authorization's outcome: asked by the simulation code, or by the buyer's
    sandbox card (``simulation.CARDS``)."""
    card = (session.payment_method or {}).get("simulation")
    if code == "AuthorizationInitiated":
        outcome: tuple[str, str | None] | None = (C.AUTHORIZED, None)
    elif card == simulation.PENDING_THEN_AUTHORIZED:
        outcome = (C.AUTHORIZED, None)
    elif card == simulation.PENDING_THEN_DECLINED:
        outcome = (C.DECLINED, "HardDeclined")
    else:
        return None
    if session.payment_intent != "Authorize" or not session.can_handle_pending:
        raise InvalidParameterCombination(
            "A pending authorization needs paymentIntent Authorize and "
            "canHandlePendingAuthorization true on the checkout session."
        )
    return outcome


def apply_due(ctx: Context, session: V2CheckoutSession) -> None:
    """An Open session not completed in 24 hours is Canceled/Expired."""
    assert session.planned_state is not None
    transition(ctx, session, session.planned_state, session.planned_reason)


DUE = DueKind(V2CheckoutSession, (S.OPEN.value,), apply_due)
