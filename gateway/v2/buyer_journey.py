"""The buyer's part of a v2 checkout, which happens on Amazon's pages. No Flask here.

One set of steps for whoever plays the buyer: the control API's shortcut for scripts
(``gateway.api.v2_sandbox``) and the hosted pages a person or a browser clicks through call the
same functions [SRC: developer.amazon.com/docs/amazon-pay-checkout/*: the buyer signs in,
chooses an address and a payment method, and is redirected to ``checkoutReviewReturnUrl`` with
``amazonCheckoutSessionId``; after the merchant's Update Checkout Session the merchant sends the
buyer to ``amazonPayRedirectUrl``, where Amazon processes the payment and returns the buyer to
``checkoutResultReturnUrl``].

1. :func:`sign_in`: the sandbox buyer signs in (a buyer token for Get Buyer is issued), picks the
   shipping address and a payment method, one of the sandbox cards (``simulation.CARDS``);
   answers the review URL.
2. :func:`process`: the ``amazonPayRedirectUrl`` step. The happy cards leave the session ready
   to complete; …3064 cancels it BuyerCanceled and …3434 Declined; …0701 and …4354 need
   paymentIntent Authorize with canHandlePendingAuthorization (else the step is refused) and
   make the charge pending at completion, Authorized or Declined/HardDeclined 30 seconds later
   on the merchant's clock. Answers the result URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateway.domain.lifecycle import Context
from gateway.errors import InvalidParameterValue
from gateway.v2 import buyers, simulation
from gateway.v2.checkout_sessions import cancel_session, constraints, get_session
from gateway.v2.errors import InvalidCheckoutSessionStatus, InvalidParameterCombination
from gateway.v2.models import V2CheckoutSession
from gateway.v2.states import CheckoutSessionState as S

#: The card a buyer pays with when none is chosen (a happy one).
DEFAULT_CARD = "1111"


@dataclass(frozen=True)
class SignedIn:
    session: V2CheckoutSession
    buyer_token: str
    #: ``checkoutReviewReturnUrl`` with ``amazonCheckoutSessionId``: where Amazon sends the buyer.
    review_url: str


def with_session_id(url: str, session_id: str) -> str:
    """``url`` with ``amazonCheckoutSessionId`` added to its query."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.append(("amazonCheckoutSessionId", session_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _open_session(ctx: Context, session_id: str, step: str) -> V2CheckoutSession:
    session = get_session(ctx, session_id, for_update=True)
    if session.state != S.OPEN or ctx.now >= session.expires_at:
        raise InvalidCheckoutSessionStatus(
            f"The checkout session {session_id} is {session.state}; {step} needs an Open one."
        )
    if session.processed:
        raise InvalidCheckoutSessionStatus(
            f"The buyer of checkout session {session_id} was already through amazonPayRedirectUrl."
        )
    return session


def payment_method(card: str) -> dict[str, Any]:
    """The stored payment method of a sandbox card (by its last four digits)."""
    if card not in simulation.CARDS:
        raise InvalidParameterValue(
            f"card {card!r} is not a sandbox card; choose one of {', '.join(simulation.CARDS)}."
        )
    return {
        "paymentDescriptor": f"Visa ****{card}",
        "cardTail": card,
        "simulation": simulation.CARDS[card],
    }


def sign_in(
    ctx: Context,
    session_id: str,
    *,
    buyer: Mapping[str, Any],
    destination: Mapping[str, Any] | None = None,
    billing: Mapping[str, Any] | None = None,
    card: str = DEFAULT_CARD,
) -> SignedIn:
    """The buyer signs in and chooses; ``buyer`` and the addresses in the sandbox's names
    (``gateway.api.orders``' BuyerSchema and DestinationSchema, as for v1's widgets)."""
    session = _open_session(ctx, session_id, "signing in")
    method = payment_method(card)
    details = buyers.details_from_sandbox(buyer, destination, billing or destination)
    token = buyers.issue_buyer_token(ctx.session, ctx.ids, ctx.merchant.id, details, ctx.now)
    session.buyer = {
        "buyerId": buyers.buyer_id(details["email"]),
        "name": details["name"],
        "email": details["email"],
        "phoneNumber": details["phoneNumber"],
        "primeMembershipTypes": None,
    }
    session.shipping_address = details["shippingAddress"]
    session.billing_address = details["billingAddress"]
    session.payment_method = method
    session.last_update = ctx.now
    review = session.web_checkout.get("checkoutReviewReturnUrl") or ""
    return SignedIn(session, token, with_session_id(review, session.amazon_id))


def process(ctx: Context, session_id: str) -> str:
    """The ``amazonPayRedirectUrl`` step; answers the URL the buyer returns to."""
    session = _open_session(ctx, session_id, "amazonPayRedirectUrl")
    missing = constraints(session)
    if missing:
        raise InvalidCheckoutSessionStatus(
            f"The checkout session {session_id} has constraints {', '.join(missing)}; "
            "amazonPayRedirectUrl is set only when none is left."
        )
    outcome = (session.payment_method or {}).get("simulation")
    if outcome in (simulation.BUYER_CANCELED, simulation.DECLINED):
        cancel_session(ctx, session, outcome)
    elif outcome in (simulation.PENDING_THEN_AUTHORIZED, simulation.PENDING_THEN_DECLINED) and (
        session.payment_intent != "Authorize" or not session.can_handle_pending
    ):
        raise InvalidParameterCombination(
            "This sandbox card needs paymentIntent Authorize and canHandlePendingAuthorization "
            "true on the checkout session (sandbox-simulations.html)."
        )
    else:
        session.processed = True
        session.last_update = ctx.now
    result = session.web_checkout.get("checkoutResultReturnUrl") or ""
    return with_session_id(result, session.amazon_id)
