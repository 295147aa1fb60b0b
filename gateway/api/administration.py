"""Order administration through the sandbox API (JSON under ``/sandbox/api/v1``): an order with
all it holds, capture, refund, cancel in whole or in part, close, delete, and the merchant's
``refund_on_cancel`` preference. Each view calls one function of ``gateway.domain.administration``
or ``gateway.domain.deletion``; the rules live there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from gateway.api.sandbox import body, control_api, jsonable, merchant_or_404, runtime
from gateway.domain import administration as admin
from gateway.domain.deletion import delete_order, waiting_for
from gateway.domain.lifecycle import Context
from gateway.domain.money import format_amount
from gateway.domain.order_references import get_order_reference
from gateway.domain.states import AdministrationState
from gateway.store import administration as store
from gateway.store import refunds as refund_store
from gateway.store.models import Authorization, Capture, LineItem, OrderReference
from gateway.values import Text
from gateway.wire import views

bp = Blueprint("administration", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>")
control_api(bp)

T = TypeVar("T")


def _in_context(seller_id: str, work: Callable[[Context], T], *, write: bool = True) -> T:
    rt = runtime()
    return rt.db.run(lambda s: work(rt.context(s, merchant_or_404(s, seller_id))), write=write)


def _money(minor: int, currency: str | None) -> str | None:
    return None if currency is None else format_amount(minor, currency)


def refundable_json(oro: OrderReference) -> dict[str, Any]:
    room = admin.refundable(oro)
    return {
        "currency_code": room.currency,
        "amount": _money(room.principal_minor, room.currency),
        "maximum": _money(room.total_minor, room.currency),
        "captures": [
            {
                "amazon_capture_id": r.capture.amazon_id,
                "amount": _money(r.principal_minor, room.currency),
                "maximum": _money(r.cap_minor, room.currency),
            }
            for r in room.rooms
        ],
    }


def order_json(ctx: Context, oro: OrderReference) -> dict[str, Any]:
    """The order as the dashboard shows it: Amazon's objects, line items and administration."""
    record = store.administration(ctx.session, oro.id)
    currency = oro.currency
    auths = []
    for auth in oro.authorizations:
        captures = []
        for cap in auth.captures:
            refunds = [refund_store.as_record(r) for r in cap.refunds]
            captures.append(
                {
                    "amazon_capture_id": cap.amazon_id,
                    "state": cap.state,
                    "reason_code": cap.reason_code,
                    "amount": format_amount(cap.amount_minor, cap.currency),
                    "refunded_amount": format_amount(cap.refunded_minor, cap.currency),
                    "created_at": cap.created_at,
                    "refunds": [
                        {
                            "amazon_refund_id": r.amazon_id,
                            "refund_type": r.refund_type,
                            "state": r.state,
                            "reason_code": r.reason_code,
                            "amount": format_amount(r.amount_minor, r.currency),
                            "created_at": r.created_at,
                        }
                        for r in refunds
                    ],
                }
            )
        auths.append(
            {
                "amazon_authorization_id": auth.amazon_id,
                "state": auth.state,
                "reason_code": auth.reason_code,
                "amount": format_amount(auth.amount_minor, auth.currency),
                "captured_amount": format_amount(auth.captured_minor, auth.currency),
                "created_at": auth.created_at,
                "captures": captures,
            }
        )
    deleting = record is not None and record.state == AdministrationState.DELETING
    result: dict[str, Any] = jsonable(
        {
            "amazon_order_reference_id": oro.amazon_id,
            "state": oro.state,
            "reason_code": oro.reason_code,
            "payment_status": admin.payment_status(oro, record),
            "currency_code": currency,
            "amount": _money(oro.amount_minor or 0, currency),
            "created_at": oro.created_at,
            "line_items": [
                {
                    "position": line.position,
                    "sku": line.sku,
                    "title": line.title,
                    "quantity": line.quantity,
                    "canceled_quantity": line.canceled_quantity,
                    "unit_price": format_amount(line.unit_price_minor, line.currency),
                    "currency_code": line.currency,
                }
                for line in store.line_items(ctx.session, oro.id)
            ],
            "administration": {
                "state": record.state if record else AdministrationState.ACTIVE.value,
                "canceled_amount": _money(record.canceled_minor if record else 0, currency),
                "canceled_at": record.canceled_at if record else None,
                "owed_amount": _money(admin.owed_minor(oro, record), currency),
                "waiting_for": waiting_for(ctx, oro, record) if deleting and record else None,
            },
            "captured_amount": _money(admin.captured_minor(oro), currency),
            "refunded_amount": _money(admin.refunded_minor(oro), currency),
            "refundable": refundable_json(oro),
            "authorizations": auths,
            "details": views.order_reference_details(oro),
        }
    )
    return result


# --- schemas -------------------------------------------------------------------------------------


class CaptureOrderSchema(Schema):
    class Meta:
        unknown = RAISE

    amazon_authorization_id = Text(column=Authorization.amazon_id, min_length=1)
    amount = Text(min_length=1, max_length=32)
    seller_note = Text(max_length=255)


class RefundOrderSchema(Schema):
    class Meta:
        unknown = RAISE

    amount = Text(required=True, min_length=1, max_length=32)
    amazon_capture_id = Text(column=Capture.amazon_id, min_length=1)
    seller_note = Text(max_length=255)


class CancelLineItemSchema(Schema):
    class Meta:
        unknown = RAISE

    position = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    sku = Text(column=LineItem.sku, min_length=1)
    #: Default: all of the item not canceled yet.
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))

    @validates_schema
    def _one_key(self, data: dict[str, Any], **_: Any) -> None:
        if ("position" in data) == ("sku" in data):
            raise ValidationError("Give position or sku.", "position")


class CancelOrderSchema(Schema):
    """Nothing: the whole order; ``line_items`` or ``amount``: that part of it."""

    class Meta:
        unknown = RAISE

    amount = Text(min_length=1, max_length=32)
    line_items = fields.List(
        fields.Nested(CancelLineItemSchema), validate=validate.Length(min=1, max=100)
    )
    reason = Text(max_length=255)

    @validates_schema
    def _not_both(self, data: dict[str, Any], **_: Any) -> None:
        if "amount" in data and "line_items" in data:
            raise ValidationError("Give amount or line_items, not both.", "amount")


class CloseOrderSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(max_length=255)


class PreferencesSchema(Schema):
    class Meta:
        unknown = RAISE

    refund_on_cancel = fields.String(required=True, validate=validate.OneOf(admin.REFUND_ON_CANCEL))


# --- answers (documented in the OpenAPI document; ``order_json`` and friends build them) -------


class LineItemViewSchema(Schema):
    position = fields.Integer()
    sku = fields.String()
    title = fields.String()
    quantity = fields.Integer()
    canceled_quantity = fields.Integer()
    unit_price = fields.String()
    currency_code = fields.String()


class RefundViewSchema(Schema):
    amazon_refund_id = fields.String()
    refund_type = fields.String()
    state = fields.String()
    reason_code = fields.String()
    amount = fields.String()
    created_at = fields.String()


class CaptureViewSchema(Schema):
    amazon_capture_id = fields.String()
    state = fields.String()
    reason_code = fields.String()
    amount = fields.String()
    refunded_amount = fields.String()
    created_at = fields.String()
    refunds = fields.List(fields.Nested(RefundViewSchema))


class AuthorizationViewSchema(Schema):
    amazon_authorization_id = fields.String()
    state = fields.String()
    reason_code = fields.String()
    amount = fields.String()
    captured_amount = fields.String()
    created_at = fields.String()
    captures = fields.List(fields.Nested(CaptureViewSchema))


class AdministrationViewSchema(Schema):
    state = fields.String(metadata={"description": "Active or Deleting"})
    canceled_amount = fields.String()
    canceled_at = fields.String()
    owed_amount = fields.String(metadata={"description": "Left to refund by hand (manual)"})
    waiting_for = fields.List(fields.String())


class CaptureRoomSchema(Schema):
    amazon_capture_id = fields.String()
    amount = fields.String()
    maximum = fields.String()


class RefundableSchema(Schema):
    currency_code = fields.String()
    amount = fields.String(metadata={"description": "Up to the amounts captured"})
    maximum = fields.String(metadata={"description": "Up to Amazon's cap"})
    captures = fields.List(fields.Nested(CaptureRoomSchema))


class OrderSchema(Schema):
    amazon_order_reference_id = fields.String()
    state = fields.String()
    reason_code = fields.String()
    payment_status = fields.String(
        metadata={
            "description": "Draft, Open, Authorized, Captured, Completed, "
            "PartiallyRefunded, Refunded, Canceled, Closed or Declined"
        }
    )
    currency_code = fields.String()
    amount = fields.String()
    created_at = fields.String()
    line_items = fields.List(fields.Nested(LineItemViewSchema))
    administration = fields.Nested(AdministrationViewSchema)
    captured_amount = fields.String()
    refunded_amount = fields.String()
    refundable = fields.Nested(RefundableSchema)
    authorizations = fields.List(fields.Nested(AuthorizationViewSchema))
    details = fields.Dict(metadata={"description": "Amazon's OrderReferenceDetails"})


class CaptureResultSchema(Schema):
    capture = fields.Dict(metadata={"description": "Amazon's CaptureDetails"})
    order = fields.Nested(OrderSchema)


class RefundResultSchema(Schema):
    refunds = fields.List(fields.Dict(), metadata={"description": "Amazon's RefundDetails"})
    order = fields.Nested(OrderSchema)


class CancellationSchema(Schema):
    whole = fields.Boolean()
    canceled_amount = fields.String()
    released_amount = fields.String()
    refund_due_amount = fields.String()
    owed_amount = fields.String()
    closed_authorizations = fields.List(fields.String())
    refunds = fields.List(fields.Dict())
    order = fields.Nested(OrderSchema)


class DeletionSchema(Schema):
    amazon_order_reference_id = fields.String()
    state = fields.String(metadata={"description": "Deleted or Deleting"})
    waiting_for = fields.List(fields.String())
    refunds = fields.List(fields.Dict())
    owed_amount = fields.String()


# --- routes --------------------------------------------------------------------------------------


def _order(ctx: Context, order_id: str) -> dict[str, Any]:
    return order_json(ctx, get_order_reference(ctx, order_id))


@bp.get("/orders/<order_id>")
def show_order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """An order with its line items, authorizations, captures, refunds and administration.
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: OrderSchema
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    return jsonify(_in_context(seller_id, lambda ctx: _order(ctx, order_id), write=False))


@bp.get("/orders/<order_id>/refundable")
def show_refundable(seller_id: str, order_id: str) -> ResponseReturnValue:
    """The most the order can still be refunded: ``amount`` up to what was captured,
    ``maximum`` up to Amazon's cap (plus the lesser of 15 % or 75 in the currency).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: RefundableSchema
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    return jsonify(
        _in_context(
            seller_id,
            lambda ctx: refundable_json(get_order_reference(ctx, order_id)),
            write=False,
        )
    )


@bp.post("/orders/<order_id>/captures")
def capture_order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """Capture the order's open authorization (in whole, or ``amount``).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: CaptureOrderSchema
    responses:
      201:
        description: Done.
        content:
          application/json:
            schema: CaptureResultSchema
      409:
        description: Nothing to capture, or the order is being deleted.
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    data = body(CaptureOrderSchema)

    def work(ctx: Context) -> dict[str, Any]:
        cap = admin.capture_order(ctx, order_id, **data)
        return {"capture": jsonable(views.capture_details(cap)), "order": _order(ctx, order_id)}

    return jsonify(_in_context(seller_id, work)), 201


@bp.post("/orders/<order_id>/refunds")
def refund_order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """Refund ``amount`` of the order (one Refund per capture it is spread over).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: RefundOrderSchema
    responses:
      201:
        description: Done.
        content:
          application/json:
            schema: RefundResultSchema
      400:
        description: Over Amazon's cap (TransactionAmountExceeded) or a bad amount.
      409:
        description: No Completed capture to refund.
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    data = body(RefundOrderSchema)

    def work(ctx: Context) -> dict[str, Any]:
        made = admin.refund_order(ctx, order_id, data.pop("amount"), **data)
        return {
            "refunds": [jsonable(views.refund_details(r)) for r in made],
            "order": _order(ctx, order_id),
        }

    return jsonify(_in_context(seller_id, work)), 201


@bp.post("/orders/<order_id>/cancel")
def cancel_order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """Cancel the order in whole (empty body) or in part (``line_items`` or ``amount``).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: CancelOrderSchema
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: CancellationSchema
      409:
        description: Canceled already, being deleted, or a capture is Pending.
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    data = body(CancelOrderSchema)

    def work(ctx: Context) -> dict[str, Any]:
        done = admin.cancel_order(ctx, order_id, **data)
        return {
            "whole": done.whole,
            "canceled_amount": _money(done.canceled_minor, done.currency),
            "released_amount": _money(done.released_minor, done.currency),
            "refund_due_amount": _money(done.refund_due_minor, done.currency),
            "owed_amount": _money(done.owed_minor, done.currency),
            "closed_authorizations": done.closed_authorizations,
            "refunds": [jsonable(views.refund_details(r)) for r in done.refunds],
            "order": _order(ctx, order_id),
        }

    return jsonify(_in_context(seller_id, work))


@bp.post("/orders/<order_id>/close")
def close_order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """Close the order reference (CloseOrderReference).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: CloseOrderSchema
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: OrderSchema
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    reason = body(CloseOrderSchema).get("reason")

    def work(ctx: Context) -> dict[str, Any]:
        admin.close_order(ctx, order_id, reason)
        return _order(ctx, order_id)

    return jsonify(_in_context(seller_id, work))


@bp.delete("/orders/<order_id>")
def delete(seller_id: str, order_id: str) -> ResponseReturnValue:
    """Delete the order: 200 ``Deleted`` when done at once, else 202 ``Deleting`` with what it
    waits for (refunds to settle, money to refund by hand, notifications to deliver).
    ---
    tags: [orders]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - {in: path, name: order_id, required: true, schema: {type: string}}
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: DeletionSchema
      202:
        description: Deleting, waiting for what waiting_for says.
        content:
          application/json:
            schema: DeletionSchema
      409:
        description: An open dispute, or a Pending capture.
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """

    def work(ctx: Context) -> dict[str, Any]:
        done = delete_order(ctx, order_id)
        result: dict[str, Any] = {
            "amazon_order_reference_id": done.amazon_order_reference_id,
            "state": done.state,
            "waiting_for": done.waiting_for,
        }
        if done.cancellation is not None:
            currency = done.cancellation.currency
            result["refunds"] = [
                jsonable(views.refund_details(r)) for r in done.cancellation.refunds
            ]
            result["owed_amount"] = _money(done.cancellation.owed_minor, currency)
        return result

    result = _in_context(seller_id, work)
    return jsonify(result), 200 if result["state"] == AdministrationState.DELETED else 202


def _preferences_json(ctx: Context) -> dict[str, Any]:
    return {"refund_on_cancel": admin.refund_on_cancel(ctx)}


@bp.get("/preferences")
def show_preferences(seller_id: str) -> ResponseReturnValue:
    """The merchant's administration preferences.
    ---
    tags: [merchants]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: PreferencesSchema
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    return jsonify(_in_context(seller_id, _preferences_json, write=False))


@bp.put("/preferences")
def set_preferences(seller_id: str) -> ResponseReturnValue:
    """Set ``refund_on_cancel``: ``automatic`` (default) or ``manual``.
    ---
    tags: [merchants]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: PreferencesSchema
    responses:
      200:
        description: Done.
        content:
          application/json:
            schema: PreferencesSchema
      404:
        description: No such merchant or order (InvalidOrderReferenceId).
    """
    value = body(PreferencesSchema)["refund_on_cancel"]

    def work(ctx: Context) -> dict[str, Any]:
        admin.set_refund_on_cancel(ctx, value)
        ctx.session.flush()
        return _preferences_json(ctx)

    return jsonify(_in_context(seller_id, work))
