"""The hosted buyer pages of an API v2 checkout: what happens on Amazon's pages, at ``/checkout``.

[SRC: developer.amazon.com/docs/amazon-pay-checkout/add-the-amazon-pay-button.html,
get-checkout-session.html, complete-checkout-session.html] The buyer clicks Amazon Pay and
lands on Amazon: signs in, chooses a shipping address and a payment method, and is sent back to
the merchant's ``checkoutReviewReturnUrl`` with ``amazonCheckoutSessionId``. After the merchant's
Update Checkout Session the merchant sends the buyer to ``amazonPayRedirectUrl``, where Amazon
processes the payment and sends the buyer on to ``checkoutResultReturnUrl``. Here:

- ``GET /checkout/signin?amazonCheckoutSessionId=…``: where the button sends the buyer (the
  checkout start URL; visiting it again after the review page is the "change" link): choose a
  sandbox buyer (a plain GET form to the next page, nothing is stored yet);
- ``GET /checkout/choose?…``: the address and the payment method, one of the sandbox cards;
  ``POST`` it: ``gateway.v2.buyer_journey.sign_in``, then a 303 to the review URL;
- ``GET /checkout/processing?amazonCheckoutSessionId=…`` (``amazonPayRedirectUrl``,
  ``gateway.v2.views.PROCESSING_PATH``): ``gateway.v2.buyer_journey.process``, then a 303 to the
  result URL, as Amazon's page does without the buyer doing anything.

The same domain functions as the control API's shortcut (``gateway.api.v2_checkout``), never a
second path. Server-rendered HTML (``gateway/templates/checkout/``), plain forms, no script. A
session is found by its id alone (a UUID, unique across merchants), as Amazon's pages know it;
that id is the only capability the pages need, so they take no token or CSRF cookie. Bad input is
an HTML page with the status that says why: 404 unknown session, 410 expired, 409 a session in
the wrong state, 400 a bad form; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from flask import Blueprint, redirect, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from gateway.api.orders import BuyerSchema, DestinationSchema
from gateway.api.sandbox import runtime
from gateway.domain.lifecycle import Context
from gateway.domain.money import format_amount
from gateway.errors import GatewayError
from gateway.store import merchants
from gateway.v2 import buyer_journey, simulation
from gateway.v2 import store as v2_store
from gateway.v2.errors import ResourceNotFound
from gateway.v2.models import V2CheckoutSession
from gateway.v2.states import CheckoutSessionState

bp = Blueprint("hosted_checkout", __name__, url_prefix="/checkout")

#: The path prefix of the hosted pages (their errors are HTML, ``gateway.api.http_errors``).
PREFIX = "/checkout"
SESSION_ARG = "amazonCheckoutSessionId"

T = TypeVar("T")

#: The sandbox's test buyers to sign in as (Seller Central lets a merchant make such accounts;
#: these stand for them). Each with the address the choice page starts from.
SANDBOX_BUYERS: Mapping[str, Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "sandbox-buyer": {
            "buyer": {
                "name": "Sandbox Buyer",
                "email": "buyer@example.com",
                "phone": "800-000-0000",
            },
            "address": {
                "name": "Sandbox Buyer",
                "address_line1": "410 Terry Ave N",
                "city": "Seattle",
                "state_or_region": "WA",
                "postal_code": "98109",
                "country_code": "US",
            },
        },
        "jane-doe": {
            "buyer": {"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "206-555-0100"},
            "address": {
                "name": "Jane Doe",
                "address_line1": "1 Main St",
                "city": "Portland",
                "state_or_region": "OR",
                "postal_code": "97201",
                "country_code": "US",
            },
        },
        "max-muster": {
            "buyer": {"name": "Max Muster", "email": "max@example.de", "phone": "+49 30 1234567"},
            "address": {
                "name": "Max Muster",
                "address_line1": "Marienstr. 17",
                "city": "Berlin",
                "state_or_region": "BE",
                "postal_code": "10117",
                "country_code": "DE",
            },
        },
    }
)
ADDRESS_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state_or_region",
    "postal_code",
    "country_code",
    "phone",
)

#: What each sandbox card does, for the choice page (sandbox-simulations.html).
CARD_OUTCOMES: Mapping[str | None, str] = MappingProxyType(
    {
        None: "pays",
        simulation.BUYER_CANCELED: "the buyer cancels: the checkout is Canceled/BuyerCanceled",
        simulation.DECLINED: "declined: the checkout is Canceled/Declined",
        simulation.PENDING_THEN_AUTHORIZED: (
            "AuthorizationInitiated, then Authorized 30 s after completion (needs paymentIntent "
            "Authorize and canHandlePendingAuthorization)"
        ),
        simulation.PENDING_THEN_DECLINED: (
            "AuthorizationInitiated, then Declined/HardDeclined 30 s after completion (needs "
            "paymentIntent Authorize and canHandlePendingAuthorization)"
        ),
    }
)


class PageError(Exception):
    """Shown as the error page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(f"checkout/{template}", money=format_amount, **context), status


def error_page(status: int, message: str) -> ResponseReturnValue:
    """The hosted pages' error answer (also for what no view answers under ``/checkout``)."""
    return _page("error.html", status, http_status=status, message=message)


@bp.errorhandler(PageError)
def _page_error(error: PageError) -> ResponseReturnValue:
    return error_page(error.status, error.message)


def _status_of(error: GatewayError) -> int:
    """An API error's status on a page: the session's state is a conflict, not a method."""
    if isinstance(error, ResourceNotFound):
        return 404
    if error.code in ("InvalidCheckoutSessionStatus", "InvalidParameterCombination"):
        return 409
    return error.http_status if 400 <= error.http_status < 500 else 400


def _session_id(values: Mapping[str, str]) -> str:
    session_id = (values.get(SESSION_ARG) or "").strip()
    if not session_id:
        raise PageError(400, f"{SESSION_ARG} is missing: follow the link the shop gave you.")
    if len(session_id) > 64:
        raise PageError(404, "There is no checkout session with that id.")
    return session_id


def _in_session(session_id: str, work: Callable[[Context], T], *, write: bool) -> T:
    """Run ``work`` as the merchant of checkout session ``session_id`` (the page's session)."""
    rt = runtime()

    def unit(db: Session) -> T:
        merchant_id = v2_store.checkout_session_owner(db, session_id)
        merchant = None if merchant_id is None else merchants.by_id(db, merchant_id)
        if merchant is None:
            raise ResourceNotFound(f"There is no checkout session {session_id}.")
        found = v2_store.checkout_session(db, merchant.id, session_id)
        assert found is not None
        return work(rt.context(db, merchant, live=found.live))

    try:
        return rt.db.run(unit, write=write)
    except GatewayError as error:
        raise PageError(_status_of(error), error.message) from None


def _summary(ctx: Context, session_id: str) -> dict[str, Any]:
    """What the pages show of the order; refuses a session the buyer can no longer act on."""
    session = v2_store.checkout_session(ctx.session, ctx.merchant.id, session_id)
    assert session is not None
    _check_actionable(ctx, session)
    return {
        "session_id": session.amazon_id,
        "store": session.merchant_metadata.get("merchantStoreName") or ctx.merchant.seller_id,
        "note": session.merchant_metadata.get("noteToBuyer"),
        "amount": session.amount_minor,
        "currency": session.currency,
        "environment": "Live" if session.live else "Sandbox",
        "cancel_url": session.web_checkout.get("checkoutCancelUrl"),
        "chosen": {
            "address": session.shipping_address,
            "card": (session.payment_method or {}).get("cardTail"),
        },
    }


def _check_actionable(ctx: Context, session: V2CheckoutSession) -> None:
    if session.state == CheckoutSessionState.OPEN and ctx.now >= session.expires_at:
        raise PageError(410, f"The checkout session {session.amazon_id} expired: start again.")
    if session.state == CheckoutSessionState.CANCELED and session.reason_code == "Expired":
        raise PageError(410, f"The checkout session {session.amazon_id} expired: start again.")
    if session.state != CheckoutSessionState.OPEN:
        reason = f"/{session.reason_code}" if session.reason_code else ""
        raise PageError(
            409, f"The checkout session {session.amazon_id} is {session.state}{reason}."
        )
    if session.processed:
        raise PageError(
            409,
            f"The payment of checkout session {session.amazon_id} was processed already: "
            "return to the shop.",
        )


def _buyer(values: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The chosen sandbox buyer: its key and ``BuyerSchema`` fields."""
    key = values.get("buyer", "")
    if key in SANDBOX_BUYERS:
        return key, dict(SANDBOX_BUYERS[key]["buyer"])
    if key != "other":
        raise PageError(400, "Choose a sandbox buyer to sign in as.")
    given = {name: values.get(name, "").strip() for name in ("name", "email")}
    if not given["name"] or not given["email"]:
        raise PageError(400, "Another buyer needs a name and an email address.")
    try:
        loaded: dict[str, Any] = BuyerSchema().load(given)
    except ValidationError as error:
        raise PageError(400, _messages(error)) from None
    return key, loaded


def _messages(error: ValidationError) -> str:
    messages = error.normalized_messages()  # type: ignore[no-untyped-call]
    return "; ".join(f"{name}: {' '.join(map(str, text))}" for name, text in messages.items())


@bp.get("/signin")
def signin() -> ResponseReturnValue:
    """Sign in: choose a sandbox buyer."""
    session_id = _session_id(request.args)
    shown = _in_session(session_id, lambda ctx: _summary(ctx, session_id), write=False)
    return _page("signin.html", order=shown, buyers=SANDBOX_BUYERS)


@bp.get("/choose")
def choose() -> ResponseReturnValue:
    """The shipping address and the payment method."""
    session_id = _session_id(request.args)
    shown = _in_session(session_id, lambda ctx: _summary(ctx, session_id), write=False)
    key, buyer = _buyer(request.args)
    preset = SANDBOX_BUYERS.get(key, SANDBOX_BUYERS["sandbox-buyer"])
    address = {name: "" for name in ADDRESS_FIELDS} | dict(preset["address"])
    if key == "other":
        address["name"] = buyer["name"]
    return _choice_page(shown, key, buyer, address, shown["chosen"]["card"])


def _choice_page(
    order: Mapping[str, Any],
    key: str,
    buyer: Mapping[str, Any],
    address: Mapping[str, str],
    card: str | None,
    status: int = 200,
    error: str | None = None,
) -> ResponseReturnValue:
    cards = [
        {"tail": tail, "outcome": CARD_OUTCOMES[outcome]}
        for tail, outcome in simulation.CARDS.items()
    ]
    return _page(
        "choose.html",
        status,
        order=order,
        buyer_key=key,
        buyer=buyer,
        address=address,
        fields=ADDRESS_FIELDS,
        cards=cards,
        card=card or buyer_journey.DEFAULT_CARD,
        error=error,
    )


@bp.post("/choose")
def chosen() -> ResponseReturnValue:
    """Keep the choices (``buyer_journey.sign_in``) and send the buyer back to the shop."""
    form = request.form
    session_id = _session_id(form)
    key, buyer = _buyer(form)
    address = {name: form.get(name, "").strip() for name in ADDRESS_FIELDS}
    card = form.get("card", "")
    try:
        destination: dict[str, Any] = DestinationSchema().load(
            {name: value for name, value in address.items() if value}
        )
    except ValidationError as error:
        shown = _in_session(session_id, lambda ctx: _summary(ctx, session_id), write=False)
        return _choice_page(shown, key, buyer, address, card, 400, _messages(error))

    def work(ctx: Context) -> str:
        _summary(ctx, session_id)  # the page's own statuses (410, 409) before the domain's
        signed = buyer_journey.sign_in(
            ctx, session_id, buyer=buyer, destination=destination, card=card
        )
        return signed.review_url

    return redirect(_in_session(session_id, work, write=True), code=303)


@bp.get("/processing")
def processing() -> ResponseReturnValue:
    """``amazonPayRedirectUrl``: Amazon processes the payment and returns the buyer to the shop."""
    session_id = _session_id(request.args)

    def work(ctx: Context) -> str:
        _summary(ctx, session_id)  # the page's own statuses (410, 409) before the domain's
        return buyer_journey.process(ctx, session_id)

    return redirect(_in_session(session_id, work, write=True), code=303)
