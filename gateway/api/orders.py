"""Sandbox API: a merchant's orders and payments. What the buyer does in Amazon's widget (a new
order reference with a buyer, a destination and a payment method), an order's details, and the
lists of orders, authorizations, captures and refunds (``gateway.store.listings``).

JSON under ``/sandbox/api/v1/merchants/<seller_id>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    PageQuerySchema,
    body,
    control_api,
    jsonable,
    merchant_or_404,
    next_cursor,
    paged,
    query,
    runtime,
)
from gateway.domain.line_items import MAX_LINE_ITEMS
from gateway.domain.money import CURRENCY_EXPONENTS, format_amount
from gateway.domain.order_references import create_order_reference, get_order_reference
from gateway.domain.states import (
    AuthorizationState,
    CaptureState,
    OrderReferenceState,
    RefundState,
)
from gateway.store import listings
from gateway.store.listings import AmountRange, OrderRow, PaymentRow
from gateway.store.models import Capture, LineItem, OrderReference
from gateway.values import EmailAddress, StorableDateTime, Text
from gateway.wire import views
from gateway.wire.render import timestamp

bp = Blueprint("orders", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>")
control_api(bp)

_CURRENCY = validate.OneOf(sorted(CURRENCY_EXPONENTS))
#: An Amazon id as a filter: letters, digits and dashes (the longest are 48 characters).
_AMAZON_ID = validate.Regexp(r"^[A-Za-z0-9-]*\Z")
#: An amount as a filter or in a body: up to 9 digits and 4 decimals (checked against the
#: currency where it becomes money).
_AMOUNT = validate.Regexp(r"^[0-9]{1,9}(\.[0-9]{1,4})?\Z", error="must be an amount such as 10.00")


# --- the buyer's checkout ------------------------------------------------------------------------


#: The most characters of what a buyer enters in the widget (names, addresses, phone, email),
#: kept as JSON on the order reference. A choice: Amazon documents no limits for them.
_WIDGET_TEXT = 256


def _widget_text(**kwargs: Any) -> Text:
    return Text(max_length=_WIDGET_TEXT, **kwargs)


class BuyerSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _widget_text(load_default="Sandbox Buyer")
    email = EmailAddress(load_default="buyer@example.com", max_length=_WIDGET_TEXT)
    phone = _widget_text(load_default="800-000-0000")


class DestinationSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _widget_text(load_default="Sandbox Buyer")
    address_line1 = _widget_text(load_default="410 Terry Ave N")
    address_line2 = _widget_text()
    address_line3 = _widget_text()
    city = _widget_text(load_default="Seattle")
    county = _widget_text()
    district = _widget_text()
    state_or_region = _widget_text(load_default="WA")
    postal_code = _widget_text(load_default="98109")
    country_code = fields.String(load_default="US", validate=validate.Regexp(r"^[A-Z]{2}\Z"))
    phone = _widget_text(load_default="800-000-0000")


class PaymentMethodSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _widget_text(load_default="Visa")
    account_number_tail = fields.String(
        load_default="11", validate=validate.Regexp(r"^[0-9]{2,4}\Z")
    )
    use_amazon_balance_first = fields.Boolean(load_default=False)


_DEFAULT_DESTINATION = DestinationSchema().load({})
_DEFAULT_PAYMENT = PaymentMethodSchema().load({})


class LineItemSchema(Schema):
    class Meta:
        unknown = RAISE

    sku = Text(column=LineItem.sku, min_length=1, required=True)
    title = Text(column=LineItem.title)
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10_000)
    )
    unit_price = Text(required=True, max_length=32)


class NewOrderReferenceSchema(Schema):
    class Meta:
        unknown = RAISE

    amount = Text(
        validate=_AMOUNT,
        metadata={"description": "Order total, e.g. 100.00 (checked against the currency)."},
    )
    currency_code = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    seller_note = Text(max_length=1024)
    buyer = fields.Nested(BuyerSchema, load_default=lambda: BuyerSchema().load({}))
    #: ``null`` leaves it unset (the order reference then has a ShippingAddressNotSet constraint).
    destination = fields.Nested(
        DestinationSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_DESTINATION)
    )
    #: ``null`` leaves it unset (PaymentPlanNotSet constraint).
    payment_method = fields.Nested(
        PaymentMethodSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_PAYMENT)
    )
    #: What the cart held; without ``amount``, the order's amount is their total.
    line_items = fields.List(
        fields.Nested(LineItemSchema), validate=validate.Length(max=MAX_LINE_ITEMS)
    )


class OrderReferenceSchema(Schema):
    amazon_order_reference_id = fields.String(required=True)
    state = fields.String(required=True)
    details = fields.Dict(
        required=True,
        metadata={"description": "OrderReferenceDetails as GetOrderReferenceDetails gives them."},
    )


def _order_reference_json(oro: OrderReference) -> dict[str, Any]:
    return {
        "amazon_order_reference_id": oro.amazon_id,
        "state": oro.state,
        "details": jsonable(views.order_reference_details(oro)),
    }


@bp.post("/order-references")
def new_order_reference(seller_id: str) -> ResponseReturnValue:
    """Make a Draft order reference, as the buyer's checkout widget leaves it.

    Buyer, destination and payment method default to plausible ones; `null` leaves one unset
    (a ShippingAddressNotSet or PaymentPlanNotSet constraint).
    ---
    tags: [orders]
    requestBody:
      content:
        application/json:
          schema: NewOrderReferenceSchema
    responses:
      201:
        description: The Draft order reference.
        content:
          application/json:
            schema: OrderReferenceSchema
    """
    data = body(NewOrderReferenceSchema)
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        ctx = rt.context(session, merchant_or_404(session, seller_id))
        oro = create_order_reference(
            ctx,
            buyer=data["buyer"],
            destination=data["destination"],
            payment_method=data["payment_method"],
            amount=data.get("amount"),
            currency=data["currency_code"] if data.get("amount") else None,
            seller_note=data.get("seller_note"),
            line_items=data.get("line_items"),
            line_items_currency=data["currency_code"],
        )
        return _order_reference_json(oro)

    return jsonify(rt.db.run(work)), 201


@bp.get("/order-references/<amazon_id>")
def show_order_reference(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    """An order reference's details.
    ---
    tags: [orders]
    responses:
      200:
        description: The order reference.
        content:
          application/json:
            schema: OrderReferenceSchema
    """
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        ctx = rt.context(session, merchant_or_404(session, seller_id))
        return _order_reference_json(get_order_reference(ctx, amazon_id))

    return jsonify(rt.db.run(work, write=False))


# --- lists ---------------------------------------------------------------------------------------


def _states(
    kind: type[OrderReferenceState | AuthorizationState | CaptureState | RefundState],
) -> Any:
    return fields.List(
        fields.String(validate=validate.OneOf([s.value for s in kind])),
        validate=validate.Length(max=len(kind)),
        metadata={"description": "Only in these states (repeat the parameter for several)."},
    )


class OrderListQuerySchema(PageQuerySchema):
    state = _states(OrderReferenceState)
    created_from = StorableDateTime(
        metadata={"description": "Created at or after (ISO 8601, with offset)."}
    )
    created_to = StorableDateTime(
        metadata={"description": "Created before (ISO 8601, with offset)."}
    )
    amount_min = Text(
        validate=_AMOUNT, metadata={"description": "Order total at least this, e.g. 10.00."}
    )
    amount_max = Text(
        validate=_AMOUNT, metadata={"description": "Order total at most this, e.g. 250."}
    )
    q = Text(
        max_length=128,
        metadata={
            "description": "An Amazon id of the order or of its authorizations, captures or "
            "refunds, or the seller order id (exact)."
        },
    )

    @validates_schema
    def _ranges(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("created_from"), data.get("created_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("must not be after created_to", "created_from")
        least, most = data.get("amount_min"), data.get("amount_max")
        if least is not None and most is not None and Decimal(least) > Decimal(most):
            raise ValidationError("must not be more than amount_max", "amount_min")


class OrderSummarySchema(Schema):
    amazon_order_reference_id = fields.String(required=True)
    state = fields.String(required=True)
    reason_code = fields.String(required=True, allow_none=True)
    amount = fields.String(required=True, allow_none=True)
    currency_code = fields.String(required=True, allow_none=True)
    captured_amount = fields.String(required=True, allow_none=True)
    refunded_amount = fields.String(required=True, allow_none=True)
    seller_order_id = fields.String(required=True, allow_none=True)
    buyer_name = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    last_update = fields.DateTime(required=True)


class OrderPageSchema(Schema):
    items = fields.List(fields.Nested(OrderSummarySchema), required=True)
    next = next_cursor()


def _money(minor: int | None, currency: str | None) -> str | None:
    return None if minor is None or currency is None else format_amount(minor, currency)


def order_summary_json(row: OrderRow) -> dict[str, Any]:
    return {
        "amazon_order_reference_id": row.amazon_id,
        "state": row.state,
        "reason_code": row.reason_code,
        "amount": _money(row.amount_minor, row.currency),
        "currency_code": row.currency,
        "captured_amount": _money(row.captured_minor, row.currency),
        "refunded_amount": _money(row.refunded_minor, row.currency),
        "seller_order_id": row.seller_order_id,
        "buyer_name": row.buyer_name,
        "created_at": timestamp(row.created_at),
        "last_update": timestamp(row.last_update),
    }


@bp.get("/orders")
def list_orders(seller_id: str) -> ResponseReturnValue:
    """List a merchant's order references, newest first, with what was captured and refunded.

    Ordered by creation time on the merchant's clock. Filters combine (all must hold).
    ---
    tags: [orders]
    parameters:
      - in: query
        schema: OrderListQuerySchema
    responses:
      200:
        description: A page of orders.
        content:
          application/json:
            schema: OrderPageSchema
    """
    args = query(OrderListQuerySchema)
    amount = None
    if "amount_min" in args or "amount_max" in args:
        least, most = args.get("amount_min"), args.get("amount_max")
        amount = AmountRange(
            None if least is None else Decimal(least), None if most is None else Decimal(most)
        )

    def rows(session: Session) -> Any:
        return listings.orders(
            session,
            merchant_or_404(session, seller_id).id,
            states=args.get("state", ()),
            created_from=args.get("created_from"),
            created_to=args.get("created_to"),
            amount=amount,
            search=args.get("q"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(rows, lambda _session, row: order_summary_json(row)))


class PaymentListQuerySchema(PageQuerySchema):
    amazon_order_reference_id = Text(
        column=OrderReference.amazon_id,
        validate=_AMAZON_ID,
        metadata={"description": "Only of this order reference."},
    )


class AuthorizationListQuerySchema(PaymentListQuerySchema):
    state = _states(AuthorizationState)


class CaptureListQuerySchema(PaymentListQuerySchema):
    state = _states(CaptureState)


class RefundListQuerySchema(PaymentListQuerySchema):
    state = _states(RefundState)
    amazon_capture_id = Text(
        column=Capture.amazon_id,
        validate=_AMAZON_ID,
        metadata={"description": "Only of this capture."},
    )


class PaymentSummarySchema(Schema):
    amazon_id = fields.String(required=True)
    amazon_order_reference_id = fields.String(required=True)
    reference_id = fields.String(required=True)
    state = fields.String(required=True)
    reason_code = fields.String(required=True, allow_none=True)
    amount = fields.String(required=True)
    currency_code = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_update = fields.DateTime(required=True)


class AuthorizationSummarySchema(PaymentSummarySchema):
    captured_amount = fields.String(required=True)


class CaptureSummarySchema(PaymentSummarySchema):
    amazon_authorization_id = fields.String(required=True)
    refunded_amount = fields.String(required=True)


class RefundSummarySchema(PaymentSummarySchema):
    amazon_capture_id = fields.String(required=True)
    refund_type = fields.String(required=True)


class AuthorizationPageSchema(Schema):
    items = fields.List(fields.Nested(AuthorizationSummarySchema), required=True)
    next = next_cursor()


class CapturePageSchema(Schema):
    items = fields.List(fields.Nested(CaptureSummarySchema), required=True)
    next = next_cursor()


class RefundPageSchema(Schema):
    items = fields.List(fields.Nested(RefundSummarySchema), required=True)
    next = next_cursor()


def payment_summary_json(row: PaymentRow) -> dict[str, Any]:
    result: dict[str, Any] = {
        "amazon_id": row.amazon_id,
        "amazon_order_reference_id": row.amazon_order_reference_id,
        "reference_id": row.reference_id,
        "state": row.state,
        "reason_code": row.reason_code,
        "amount": format_amount(row.amount_minor, row.currency),
        "currency_code": row.currency,
        "created_at": timestamp(row.created_at),
        "last_update": timestamp(row.last_update),
    }
    if row.kind == "Authorization":
        result["captured_amount"] = format_amount(row.settled_minor or 0, row.currency)
    elif row.kind == "Capture":
        result["amazon_authorization_id"] = row.parent_amazon_id
        result["refunded_amount"] = format_amount(row.settled_minor or 0, row.currency)
    else:
        result["amazon_capture_id"] = row.parent_amazon_id
        result["refund_type"] = row.refund_type
    return result


def _payment_list(
    seller_id: str, kind: str, args: dict[str, Any], parent_id: str | None = None
) -> ResponseReturnValue:
    def rows(session: Session) -> Any:
        return listings.payments(
            session,
            kind,
            merchant_or_404(session, seller_id).id,
            states=args.get("state", ()),
            order_id=args.get("amazon_order_reference_id"),
            parent_id=parent_id,
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(rows, lambda _session, row: payment_summary_json(row)))


@bp.get("/authorizations")
def list_authorizations(seller_id: str) -> ResponseReturnValue:
    """List a merchant's authorizations, newest first.
    ---
    tags: [orders]
    parameters:
      - in: query
        schema: AuthorizationListQuerySchema
    responses:
      200:
        description: A page of authorizations.
        content:
          application/json:
            schema: AuthorizationPageSchema
    """
    args = query(AuthorizationListQuerySchema)
    return _payment_list(seller_id, "Authorization", args)


@bp.get("/captures")
def list_captures(seller_id: str) -> ResponseReturnValue:
    """List a merchant's captures, newest first.
    ---
    tags: [orders]
    parameters:
      - in: query
        schema: CaptureListQuerySchema
    responses:
      200:
        description: A page of captures.
        content:
          application/json:
            schema: CapturePageSchema
    """
    args = query(CaptureListQuerySchema)
    return _payment_list(seller_id, "Capture", args)


@bp.get("/refunds")
def list_refunds(seller_id: str) -> ResponseReturnValue:
    """List a merchant's refunds, newest first.
    ---
    tags: [orders]
    parameters:
      - in: query
        schema: RefundListQuerySchema
    responses:
      200:
        description: A page of refunds.
        content:
          application/json:
            schema: RefundPageSchema
    """
    args = query(RefundListQuerySchema)
    return _payment_list(seller_id, "Refund", args, args.get("amazon_capture_id"))
