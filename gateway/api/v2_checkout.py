"""Sandbox API: the buyer's part of an API v2 checkout, for scripts (JSON under
``/sandbox/api/v1/merchants/<seller_id>/v2/checkout-sessions/<id>``).

What the buyer does on Amazon's pages, in two calls (``gateway.v2.buyer_journey``, which the
hosted pages call too): ``buyer`` signs in a sandbox buyer, with a shipping address and a
payment method (one of the sandbox cards), and answers the ``checkoutReviewReturnUrl`` Amazon
sends the buyer back to; after the merchant's Update Checkout Session, ``redirect`` is the
``amazonPayRedirectUrl`` step, answering the ``checkoutResultReturnUrl``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from gateway.api.sandbox import NoBodySchema, body, control_api, merchant_or_404, runtime
from gateway.api.v2_accounts import NewV2BuyerTokenSchema
from gateway.v2 import buyer_journey, simulation, views
from gateway.v2.checkout_sessions import get_session

bp = Blueprint(
    "v2_checkout",
    __name__,
    url_prefix="/sandbox/api/v1/merchants/<seller_id>/v2/checkout-sessions/<checkout_session_id>",
)
control_api(bp)


class V2BuyerStepSchema(NewV2BuyerTokenSchema):
    """A buyer token's buyer and addresses (as ``v2-buyer-tokens``), and the card paid with."""

    card = fields.String(
        load_default=buyer_journey.DEFAULT_CARD,
        validate=validate.OneOf(list(simulation.CARDS)),
        metadata={
            "description": "The sandbox card's last four digits: 1111, 0005, 4444, 9424, 0000 "
            "pay; 3064 cancels the checkout BuyerCanceled, 3434 Declined; 0701 authorizes "
            "30 s after completion, 4354 declines HardDeclined then (both need paymentIntent "
            "Authorize with canHandlePendingAuthorization)."
        },
    )


class V2BuyerStepAnswerSchema(Schema):
    buyer_token = fields.String(required=True, metadata={"description": "For Get Buyer."})
    review_url = fields.String(
        required=True,
        metadata={"description": "checkoutReviewReturnUrl with amazonCheckoutSessionId."},
    )
    checkout_session = fields.Dict(
        required=True, metadata={"description": "What Get Checkout Session answers now."}
    )


class V2RedirectAnswerSchema(Schema):
    result_url = fields.String(
        required=True,
        metadata={"description": "checkoutResultReturnUrl with amazonCheckoutSessionId."},
    )
    checkout_session = fields.Dict(required=True)


def _run(seller_id: str, work: Any) -> Any:
    rt = runtime()
    return rt.db.run(lambda session: work(rt.context(session, merchant_or_404(session, seller_id))))


def _session_json(ctx: Any, checkout_session_id: str) -> dict[str, Any]:
    session = get_session(ctx, checkout_session_id)
    return views.checkout_session_json(session, runtime().settings.resolved_public_url)


@bp.post("/buyer")
def buyer_step(seller_id: str, checkout_session_id: str) -> ResponseReturnValue:
    """The buyer signs in on Amazon's page and chooses an address and a payment method.
    ---
    tags: [v2]
    requestBody:
      content:
        application/json:
          schema: V2BuyerStepSchema
    responses:
      200:
        description: The buyer token, where Amazon sends the buyer, and the session.
        content:
          application/json:
            schema: V2BuyerStepAnswerSchema
    """
    data = body(V2BuyerStepSchema)

    def work(ctx: Any) -> dict[str, Any]:
        signed = buyer_journey.sign_in(
            ctx,
            checkout_session_id,
            buyer=data["buyer"],
            destination=data["shipping_address"],
            billing=data["billing_address"],
            card=data["card"],
        )
        ctx.session.flush()
        return {
            "buyer_token": signed.buyer_token,
            "review_url": signed.review_url,
            "checkout_session": _session_json(ctx, checkout_session_id),
        }

    return jsonify(_run(seller_id, work))


@bp.post("/redirect")
def redirect_step(seller_id: str, checkout_session_id: str) -> ResponseReturnValue:
    """The buyer follows amazonPayRedirectUrl: Amazon processes the payment.
    ---
    tags: [v2]
    requestBody:
      content:
        application/json:
          schema: NoBodySchema
    responses:
      200:
        description: Where Amazon returns the buyer, and the session.
        content:
          application/json:
            schema: V2RedirectAnswerSchema
    """
    body(NoBodySchema)

    def work(ctx: Any) -> dict[str, Any]:
        result = buyer_journey.process(ctx, checkout_session_id)
        return {"result_url": result, "checkout_session": _session_json(ctx, checkout_session_id)}

    return jsonify(_run(seller_id, work))
