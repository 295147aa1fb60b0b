"""Sandbox API: the buyer's side of billing agreements (recurring payments).

What a buyer does in Amazon's widgets and on the Amazon Pay website: make an agreement (with or
without consent, an address, a payment method), give consent, choose another address or payment
method, have a payment method problem (it expires, it is deleted), cancel the agreement. The
seller's side is the Off-Amazon Payments API (``gateway.domain.billing_agreements``).

JSON under ``/sandbox/api/v1/merchants/<seller_id>/billing-agreements``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.orders import (
    _DEFAULT_DESTINATION,
    _DEFAULT_PAYMENT,
    BuyerSchema,
    DestinationSchema,
    PaymentMethodSchema,
)
from gateway.api.sandbox import body, control_api, jsonable, merchant_or_404, runtime
from gateway.domain import agreement_payments
from gateway.domain import billing_agreements as agreements
from gateway.domain.lifecycle import Context
from gateway.store.models import BillingAgreement
from gateway.values import Text
from gateway.wire import views

bp = Blueprint(
    "billing_agreements",
    __name__,
    url_prefix="/sandbox/api/v1/merchants/<seller_id>/billing-agreements",
)
control_api(bp)


class NewBillingAgreementSchema(Schema):
    class Meta:
        unknown = RAISE

    #: False leaves the BuyerConsentNotSet constraint until consent is given.
    consent = fields.Boolean(load_default=True)
    currency_code = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    #: AmountLimitPerTimePeriod (default 500 a month).
    monthly_limit = Text(max_length=32)
    buyer = fields.Nested(BuyerSchema, load_default=lambda: BuyerSchema().load({}))
    #: ``null`` leaves it unset (ShippingAddressNotSet constraint).
    destination = fields.Nested(
        DestinationSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_DESTINATION)
    )
    #: ``null`` leaves it unset (PaymentPlanNotSet constraint).
    payment_method = fields.Nested(
        PaymentMethodSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_PAYMENT)
    )


class BuyerChoicesSchema(Schema):
    """What the buyer changes in the widgets; what is left out stays."""

    class Meta:
        unknown = RAISE

    consent = fields.Boolean(validate=validate.Equal(True, error="consent can only be given"))
    destination = fields.Nested(DestinationSchema)
    payment_method = fields.Nested(PaymentMethodSchema)


class PaymentMethodProblemSchema(Schema):
    class Meta:
        unknown = RAISE

    constraint = fields.String(
        required=True, validate=validate.OneOf(sorted(agreements.PAYMENT_METHOD_CONSTRAINTS))
    )


class BillingAgreementSchema(Schema):
    amazon_billing_agreement_id = fields.String(required=True)
    state = fields.String(required=True)
    #: BillingAgreementDetails as GetBillingAgreementDetails gives them, in JSON.
    details = fields.Dict(required=True)


def agreement_json(ctx: Context, agreement: BillingAgreement) -> dict[str, Any]:
    limits = agreement_payments.limits(ctx.session, agreement, ctx.now)
    return {
        "amazon_billing_agreement_id": agreement.amazon_id,
        "state": agreement.state,
        "details": jsonable(views.billing_agreement_details(agreement, limits)),
    }


def _on_agreement(seller_id: str, change: Any, *, write: bool = True) -> dict[str, Any]:
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        ctx = rt.context(session, merchant_or_404(session, seller_id))
        return agreement_json(ctx, change(ctx))

    return rt.db.run(work, write=write)


@bp.post("")
def new_billing_agreement(seller_id: str) -> ResponseReturnValue:
    """Make a Draft billing agreement, as the buyer leaves Amazon's widgets.
    ---
    tags: [billing-agreements]
    requestBody:
      content:
        application/json:
          schema: NewBillingAgreementSchema
    responses:
      201:
        description: The Draft billing agreement.
        content:
          application/json:
            schema: BillingAgreementSchema
    """
    data = body(NewBillingAgreementSchema)

    def make(ctx: Context) -> BillingAgreement:
        return agreements.create_billing_agreement(
            ctx,
            buyer=data["buyer"],
            destination=data["destination"],
            payment_method=data["payment_method"],
            consent=data["consent"],
            currency=data["currency_code"],
            monthly_limit=data.get("monthly_limit"),
        )

    return jsonify(_on_agreement(seller_id, make)), 201


@bp.get("/<amazon_id>")
def show_billing_agreement(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    """A billing agreement's details.
    ---
    tags: [billing-agreements]
    responses:
      200:
        description: The billing agreement.
        content:
          application/json:
            schema: BillingAgreementSchema
    """
    return jsonify(
        _on_agreement(
            seller_id, lambda ctx: agreements.get_billing_agreement(ctx, amazon_id), write=False
        )
    )


@bp.patch("/<amazon_id>")
def buyer_choices(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    """What the buyer changes in the widgets: consent, destination, payment method.
    ---
    tags: [billing-agreements]
    requestBody:
      content:
        application/json:
          schema: BuyerChoicesSchema
    responses:
      200:
        description: The billing agreement.
        content:
          application/json:
            schema: BillingAgreementSchema
    """
    data = body(BuyerChoicesSchema)

    def choose(ctx: Context) -> BillingAgreement:
        agreement = agreements.get_billing_agreement(ctx, amazon_id)
        if data.get("consent"):
            agreement = agreements.give_consent(ctx, amazon_id)
        if "destination" in data:
            agreement = agreements.choose_destination(ctx, amazon_id, data["destination"])
        if "payment_method" in data:
            agreement = agreements.choose_payment_method(ctx, amazon_id, data["payment_method"])
        return agreement

    return jsonify(_on_agreement(seller_id, choose))


@bp.post("/<amazon_id>/payment-method-problem")
def payment_method_problem(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    """A problem with the buyer's payment method (suspends an Open agreement).
    ---
    tags: [billing-agreements]
    requestBody:
      content:
        application/json:
          schema: PaymentMethodProblemSchema
    responses:
      200:
        description: The billing agreement.
        content:
          application/json:
            schema: BillingAgreementSchema
    """
    data = body(PaymentMethodProblemSchema)
    return jsonify(
        _on_agreement(
            seller_id,
            lambda ctx: agreements.payment_method_problem(ctx, amazon_id, data["constraint"]),
        )
    )


@bp.post("/<amazon_id>/cancel")
def buyer_cancel(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    """The buyer cancels the agreement on the Amazon Pay website.
    ---
    tags: [billing-agreements]
    responses:
      200:
        description: The billing agreement.
        content:
          application/json:
            schema: BillingAgreementSchema
    """
    return jsonify(_on_agreement(seller_id, lambda ctx: agreements.buyer_cancel(ctx, amazon_id)))
