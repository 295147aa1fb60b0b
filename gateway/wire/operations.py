"""The Off-Amazon Payments dispatch table: Action -> schema, domain call, result shape.

Explicit and greppable (STYLE §7.5). Result payload names per operation
[SRC: reference/amazon-wire.md §1.6]: Confirm and Close answer only ResponseMetadata; Cancel and
CloseAuthorization an empty Result element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema

from gateway.domain import order_references as orders
from gateway.domain import payments
from gateway.domain.lifecycle import Context
from gateway.wire import params as p
from gateway.wire import views

Handler = Callable[[Context, dict[str, Any]], dict[str, Any] | None]

#: An empty ``<OpResult/>`` element.
EMPTY: dict[str, Any] = {}


@dataclass(frozen=True)
class Operation:
    schema: Schema
    handler: Handler
    #: Read-only operations run in a read transaction (no write lock on SQLite).
    writes: bool = True


def _get_order_reference(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    oro = orders.get_order_reference(ctx, d["amazon_order_reference_id"])
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


def _set_order_reference(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    oro = orders.set_order_reference_details(ctx, **d)
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


def _confirm(ctx: Context, d: dict[str, Any]) -> None:
    orders.confirm_order_reference(
        ctx,
        d["amazon_order_reference_id"],
        d.get("authorization_amount"),
        d.get("authorization_currency"),
    )
    return None


def _cancel(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    orders.cancel_order_reference(ctx, d["amazon_order_reference_id"], d.get("reason"))
    return EMPTY


def _close(ctx: Context, d: dict[str, Any]) -> None:
    orders.close_order_reference(ctx, d["amazon_order_reference_id"], d.get("reason"))
    return None


def _authorize(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"AuthorizationDetails": views.authorization_details(payments.authorize(ctx, **d))}


def _get_authorization(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    auth = payments.get_authorization(ctx, d["amazon_authorization_id"])
    return {"AuthorizationDetails": views.authorization_details(auth)}


def _close_authorization(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    payments.close_authorization(ctx, d["amazon_authorization_id"], d.get("reason"))
    return EMPTY


def _capture(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"CaptureDetails": views.capture_details(payments.capture(ctx, **d))}


def _get_capture(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "CaptureDetails": views.capture_details(payments.get_capture(ctx, d["amazon_capture_id"]))
    }


def _refund(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"RefundDetails": views.refund_details(payments.refund(ctx, **d))}


def _get_refund(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    refund = payments.refund_record(ctx, d["amazon_refund_id"])
    return {"RefundDetails": views.refund_details(refund)}


def _service_status(ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    now: datetime = ctx.now
    return {"Status": "GREEN", "Timestamp": now}


OPERATIONS: dict[str, Operation] = {
    "GetOrderReferenceDetails": Operation(
        p.GetOrderReferenceDetailsParams(), _get_order_reference, writes=False
    ),
    "SetOrderReferenceDetails": Operation(p.SetOrderReferenceDetailsParams(), _set_order_reference),
    "ConfirmOrderReference": Operation(p.ConfirmOrderReferenceParams(), _confirm),
    "CancelOrderReference": Operation(p.CancelOrderReferenceParams(), _cancel),
    "CloseOrderReference": Operation(p.CloseOrderReferenceParams(), _close),
    "Authorize": Operation(p.AuthorizeParams(), _authorize),
    "GetAuthorizationDetails": Operation(
        p.AuthorizationIdParams(), _get_authorization, writes=False
    ),
    "CloseAuthorization": Operation(p.CloseAuthorizationParams(), _close_authorization),
    "Capture": Operation(p.CaptureParams(), _capture),
    "GetCaptureDetails": Operation(p.CaptureIdParams(), _get_capture, writes=False),
    "Refund": Operation(p.RefundParams(), _refund),
    "GetRefundDetails": Operation(p.RefundIdParams(), _get_refund, writes=False),
    "GetServiceStatus": Operation(p.NoParams(), _service_status, writes=False),
}
