"""Sandbox API: a merchant's API v2 checkouts, listed and read (JSON under ``/sandbox/api/v1``).

A checkout is a checkout session with what its completion made (``gateway.v2.listings``); read
in Amazon's own JSON shapes (``gateway.v2.views``), as Get Checkout Session, Get Charge Permission,
Get Charge and Get Refund answer, so a script sees one object the same way on both APIs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.control import DisputeSchema, v2_dispute_json
from gateway.api.sandbox import (
    ControlError,
    PageQuerySchema,
    control_api,
    merchant_or_404,
    next_cursor,
    paged,
    query,
    runtime,
)
from gateway.domain.money import format_amount
from gateway.v2 import listings, views
from gateway.v2.models import V2CheckoutSession
from gateway.v2.states import CheckoutSessionState
from gateway.values import Text

bp = Blueprint("v2_orders", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>/v2")
control_api(bp)


class V2CheckoutListQuerySchema(PageQuerySchema):
    state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in CheckoutSessionState])),
        validate=validate.Length(max=len(CheckoutSessionState)),
        metadata={"description": "Only in these states (repeat the parameter for several)."},
    )
    q = Text(
        max_length=64,
        metadata={
            "description": "A checkout session's, charge permission's, charge's or refund's id."
        },
    )


class V2CheckoutRowSchema(Schema):
    checkout_session_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "Open, Completed, Canceled."})
    reason_code = fields.String(allow_none=True)
    amount = fields.String(allow_none=True, metadata={"description": "chargeAmount, if set."})
    currency_code = fields.String(allow_none=True)
    buyer_name = fields.String(allow_none=True)
    charge_permission_id = fields.String(allow_none=True)
    charge_permission_state = fields.String(allow_none=True)
    created_at = fields.String(required=True)


class V2CheckoutPageSchema(Schema):
    items = fields.List(fields.Nested(V2CheckoutRowSchema), required=True)
    next = next_cursor()


class V2CheckoutSchema(Schema):
    checkout_session = fields.Dict(
        required=True, metadata={"description": "As Get Checkout Session answers it."}
    )
    charge_permission = fields.Dict(
        allow_none=True, metadata={"description": "As Get Charge Permission answers it."}
    )
    charges = fields.List(fields.Dict(), required=True, metadata={"description": "Get Charge's."})
    refunds = fields.List(fields.Dict(), required=True, metadata={"description": "Get Refund's."})
    disputes = fields.List(
        fields.Nested(DisputeSchema),
        required=True,
        metadata={"description": "As the dispute API shows them."},
    )


def checkout_row(session: V2CheckoutSession) -> dict[str, Any]:
    permission = session.charge_permission
    amount = (
        None
        if session.amount_minor is None or session.currency is None
        else format_amount(session.amount_minor, session.currency)
    )
    return {
        "checkout_session_id": session.amazon_id,
        "state": session.state,
        "reason_code": session.reason_code,
        "amount": amount,
        "currency_code": session.currency,
        "buyer_name": (session.buyer or {}).get("name"),
        "charge_permission_id": permission.amazon_id if permission else None,
        "charge_permission_state": permission.state if permission else None,
        "created_at": views.timestamp(session.created_at),
    }


def checkout_json(found: listings.Checkout, public_url: str) -> dict[str, Any]:
    permission = found.charge_permission
    return {
        "checkout_session": views.checkout_session_json(found.session, public_url),
        "charge_permission": views.charge_permission_json(permission) if permission else None,
        "charges": [views.charge_json(charge) for charge in found.charges],
        "refunds": [views.refund_json(refund) for refund in found.refunds],
        "disputes": [v2_dispute_json(dispute) for dispute in found.disputes],
    }


@bp.get("/checkout-sessions")
def list_v2_checkouts(seller_id: str) -> ResponseReturnValue:
    """List a merchant's API v2 checkout sessions, newest first, with their charge permission.
    ---
    tags: [v2]
    parameters:
      - in: query
        schema: V2CheckoutListQuerySchema
    responses:
      200:
        description: A page of checkout sessions.
        content:
          application/json:
            schema: V2CheckoutPageSchema
    """
    args = query(V2CheckoutListQuerySchema)

    def rows(session: Session) -> Any:
        return listings.checkout_sessions(
            session,
            merchant_or_404(session, seller_id).id,
            states=args.get("state", ()),
            search=args.get("q"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(rows, lambda _session, found: checkout_row(found)))


@bp.get("/checkout-sessions/<any_id>")
def read_v2_checkout(seller_id: str, any_id: str) -> ResponseReturnValue:
    """One API v2 checkout with all it made: the checkout session, its charge permission,
    charges, refunds and disputes, in Amazon's JSON shapes.

    ``any_id`` is the checkout session's id, or its charge permission's, a charge's or a refund's.
    ---
    tags: [v2]
    responses:
      200:
        description: The checkout.
        content:
          application/json:
            schema: V2CheckoutSchema
      404:
        description: No such checkout of this merchant.
    """
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        found = listings.checkout(session, merchant.id, any_id)
        if found is None:
            raise ControlError(
                404, "CheckoutNotFound", f"No API v2 checkout {any_id!r} of {seller_id}."
            )
        return checkout_json(found, rt.settings.resolved_public_url)

    return jsonify(rt.db.run(work, write=False))
