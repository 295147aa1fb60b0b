"""Sandbox API: each merchant's clock and buyer disputes (JSON, under
``/sandbox/api/v1/merchants/<seller_id>``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    NoBodySchema,
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
from gateway.domain import clock_control, disputes
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import now_for
from gateway.domain.money import format_amount
from gateway.domain.records import MerchantRecord
from gateway.domain.states import DisputeState
from gateway.errors import InvalidParameterValue
from gateway.store import listings, merchants, refunds
from gateway.store.models import Capture, Dispute, OrderReference
from gateway.v2 import disputes as v2_disputes
from gateway.v2.models import V2Charge, V2ChargePermission, V2Dispute
from gateway.v2.states import charge_permission_of
from gateway.values import Text
from gateway.wire import views
from gateway.wire.render import timestamp
from gateway.worker.jobs import run_due_work

bp = Blueprint("control", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>")
control_api(bp)


def clock_json(merchant: MerchantRecord) -> dict[str, Any]:
    rt = runtime()
    return {
        "now": timestamp(now_for(merchant, rt.clock.now())),
        "frozen": merchant.clock_frozen_at is not None,
        "offset_seconds": merchant.clock_offset_seconds,
    }


class AdvanceSchema(Schema):
    class Meta:
        unknown = RAISE

    seconds = fields.Float(
        required=True,
        validate=validate.Range(0, clock_control.MAX_ADVANCE_SECONDS),
        metadata={"description": "Simulated seconds to move this merchant's clock forward."},
    )


class ClockSchema(Schema):
    now = fields.DateTime(required=True, metadata={"description": "The merchant's time now."})
    frozen = fields.Boolean(required=True)
    offset_seconds = fields.Float(required=True)


class ClockChangeSchema(ClockSchema):
    applied_transitions = fields.Integer(
        required=True, metadata={"description": "Due changes applied before answering."}
    )


def change_clock(seller_id: str, change: Any, *, settle_first: bool = False) -> dict[str, Any]:
    rt = runtime()
    applied = 0
    if settle_first:  # what is due at the merchant's time before the clock goes back
        merchant_id = rt.db.run(lambda s: merchant_or_404(s, seller_id).id, write=False)
        applied = run_due_work(rt, merchant_id)

    def work(session: Session) -> int:
        merchant = merchants.for_update(session, merchant_or_404(session, seller_id).id)
        change(merchant, rt.clock.now())
        return merchant.id

    merchant_id = rt.db.run(work)
    # Every transition that became due is applied now, in due order, before the call returns.
    # Their notifications are committed with them; the worker delivers them (use the wait
    # endpoint with acknowledged=true to wait for that).
    applied += run_due_work(rt, merchant_id)
    result = rt.db.run(lambda s: clock_json(merchant_or_404(s, seller_id)), write=False)
    result["applied_transitions"] = applied
    return result


@bp.get("/clock")
def show_clock(seller_id: str) -> ResponseReturnValue:
    """A merchant's clock.
    ---
    tags: [clock]
    responses:
      200:
        description: The clock.
        content:
          application/json:
            schema: ClockSchema
    """
    return jsonify(
        runtime().db.run(lambda s: clock_json(merchant_or_404(s, seller_id)), write=False)
    )


@bp.post("/clock/advance")
def advance_clock(seller_id: str) -> ResponseReturnValue:
    """Move a merchant's clock forward; what becomes due is applied, in due order, before the answer.
    ---
    tags: [clock]
    requestBody:
      content:
        application/json:
          schema: AdvanceSchema
    responses:
      200:
        description: The clock, and how many due changes were applied before answering.
        content:
          application/json:
            schema: ClockChangeSchema
    """
    seconds = body(AdvanceSchema)["seconds"]
    return jsonify(change_clock(seller_id, lambda m, base: clock_control.advance(m, seconds, base)))


@bp.post("/clock/freeze")
def freeze_clock(seller_id: str) -> ResponseReturnValue:
    """Stop a merchant's time.
    ---
    tags: [clock]
    requestBody:
      content:
        application/json:
          schema: NoBodySchema
    responses:
      200:
        description: The clock, and how many due changes were applied before answering.
        content:
          application/json:
            schema: ClockChangeSchema
    """
    body(NoBodySchema)
    return jsonify(change_clock(seller_id, clock_control.freeze))


@bp.post("/clock/resume")
def resume_clock(seller_id: str) -> ResponseReturnValue:
    """Let a frozen clock run again from where it stood.
    ---
    tags: [clock]
    requestBody:
      content:
        application/json:
          schema: NoBodySchema
    responses:
      200:
        description: The clock, and how many due changes were applied before answering.
        content:
          application/json:
            schema: ClockChangeSchema
    """
    body(NoBodySchema)
    return jsonify(change_clock(seller_id, clock_control.resume))


@bp.post("/clock/reset")
def reset_clock(seller_id: str) -> ResponseReturnValue:
    """Set a merchant's clock back to real time, running.

    What was due by the clock's time is applied first; what is due later keeps its
    simulated due time (``clock_control.reset``).
    ---
    tags: [clock]
    requestBody:
      content:
        application/json:
          schema: NoBodySchema
    responses:
      200:
        description: The clock, and how many due changes were applied before answering.
        content:
          application/json:
            schema: ClockChangeSchema
    """
    body(NoBodySchema)
    return jsonify(
        change_clock(seller_id, lambda m, _base: clock_control.reset(m), settle_first=True)
    )


_AMAZON_ID = validate.Regexp(r"^[A-Za-z0-9-]*\Z")


class NewDisputeSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(disputes.DISPUTE_TYPES))
    amazon_order_reference_id = Text(
        column=OrderReference.amazon_id,
        validate=_AMAZON_ID,
        metadata={"description": "Its latest completed capture is disputed."},
    )
    amazon_capture_id = Text(column=Capture.amazon_id, validate=_AMAZON_ID)
    charge_id = Text(
        column=V2Charge.amazon_id,
        validate=_AMAZON_ID,
        metadata={"description": "An API v2 charge (Captured) to dispute."},
    )
    charge_permission_id = Text(
        column=V2ChargePermission.amazon_id,
        validate=_AMAZON_ID,
        metadata={"description": "An API v2 charge permission: its latest captured charge."},
    )
    amount = Text(
        validate=validate.Regexp(r"^[0-9]{1,9}(\.[0-9]{1,4})?\Z"),
        metadata={"description": "Defaults to the most the dispute may claim."},
    )
    reason = Text(column=Dispute.reason)


class ResolveSchema(Schema):
    class Meta:
        unknown = RAISE

    outcome = fields.String(required=True, validate=validate.OneOf(["granted", "denied"]))


class DisputeSchema(Schema):
    dispute_id = fields.String(required=True)
    type = fields.String(required=True)
    state = fields.String(required=True)
    amazon_order_reference_id = fields.String(metadata={"description": "Off-Amazon Payments."})
    amazon_capture_id = fields.String(metadata={"description": "Off-Amazon Payments."})
    charge_id = fields.String(metadata={"description": "API v2."})
    charge_permission_id = fields.String(metadata={"description": "API v2."})
    amount = fields.String(required=True)
    currency_code = fields.String(required=True)
    reason = fields.String()
    created_at = fields.DateTime(required=True)
    last_update = fields.DateTime(required=True)
    refund = fields.Dict(
        metadata={"description": "RefundDetails of the refund a granted one became."}
    )


class DisputePageSchema(Schema):
    items = fields.List(fields.Nested(DisputeSchema), required=True)
    next = next_cursor()


class DisputeListQuerySchema(PageQuerySchema):
    state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in DisputeState])),
        validate=validate.Length(max=len(DisputeState)),
        metadata={"description": "Only in these states (repeat the parameter for several)."},
    )
    type = fields.String(validate=validate.OneOf(disputes.DISPUTE_TYPES))


def dispute_json(session: Session, dispute: Dispute) -> dict[str, Any]:
    refund = None if dispute.refund_id is None else refunds.by_id(session, dispute.refund_id)
    result: dict[str, Any] = jsonable(
        {
            "dispute_id": dispute.amazon_id,
            "type": dispute.dispute_type,
            "state": dispute.state,
            "amazon_order_reference_id": dispute.order_reference.amazon_id,
            "amazon_capture_id": dispute.capture.amazon_id,
            "amount": format_amount(dispute.amount_minor, dispute.currency),
            "currency_code": dispute.currency,
            "reason": dispute.reason,
            "created_at": dispute.created_at,
            "last_update": dispute.last_update,
            "refund": views.refund_details(refund) if refund else None,
        }
    )
    return result


def v2_dispute_json(dispute: V2Dispute) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(
        {
            "dispute_id": dispute.amazon_id,
            "type": dispute.dispute_type,
            "state": dispute.state,
            "charge_id": dispute.charge.amazon_id,
            "charge_permission_id": charge_permission_of(dispute.charge.amazon_id),
            "amount": format_amount(dispute.amount_minor, dispute.currency),
            "currency_code": dispute.currency,
            "reason": dispute.reason,
            "created_at": dispute.created_at,
            "last_update": dispute.last_update,
        }
    )
    return result


_V1_TARGETS = ("amazon_order_reference_id", "amazon_capture_id")
_V2_TARGETS = ("charge_id", "charge_permission_id")


def _file(ctx: Context, dispute_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A dispute on an Off-Amazon Payments capture or on an API v2 charge."""
    if any(data.get(name) for name in _V2_TARGETS):
        if any(data.get(name) for name in _V1_TARGETS):
            raise InvalidParameterValue(
                "Name an Off-Amazon Payments order (amazon_order_reference_id, "
                "amazon_capture_id) or an API v2 one (charge_id, charge_permission_id), not both."
            )
        return v2_dispute_json(v2_disputes.file_dispute(ctx, dispute_type, **data))
    return dispute_json(ctx.session, disputes.file_dispute(ctx, dispute_type, **data))


def _resolve(ctx: Context, dispute_id: str, outcome: str) -> dict[str, Any]:
    v2_dispute = v2_disputes.get_dispute(ctx, dispute_id, for_update=True)
    if v2_dispute is not None:
        return v2_dispute_json(v2_disputes.resolve_dispute(ctx, v2_dispute, outcome))
    return dispute_json(ctx.session, disputes.resolve_dispute(ctx, dispute_id, outcome))


def _in_context(seller_id: str, work: Any, *, write: bool = True) -> Any:
    rt = runtime()
    return rt.db.run(lambda s: work(rt.context(s, merchant_or_404(s, seller_id))), write=write)


@bp.post("/disputes")
def file_dispute(seller_id: str) -> ResponseReturnValue:
    """File a buyer's A-to-z guarantee claim or chargeback against a capture or an API v2 charge.

    While it is open or granted, refunds on that order (charge) settle
    Declined/ProcessingFailure.
    ---
    tags: [disputes]
    requestBody:
      required: true
      content:
        application/json:
          schema: NewDisputeSchema
    responses:
      201:
        description: The dispute, Open.
        content:
          application/json:
            schema: DisputeSchema
    """
    data = body(NewDisputeSchema)
    dispute_type = data.pop("type")
    return jsonify(_in_context(seller_id, lambda ctx: _file(ctx, dispute_type, data))), 201


@bp.get("/disputes")
def list_disputes(seller_id: str) -> ResponseReturnValue:
    """List a merchant's disputes, newest first.
    ---
    tags: [disputes]
    parameters:
      - in: query
        schema: DisputeListQuerySchema
    responses:
      200:
        description: A page of disputes.
        content:
          application/json:
            schema: DisputePageSchema
    """
    args = query(DisputeListQuerySchema)

    def rows(session: Session) -> Any:
        return listings.disputes(
            session,
            merchant_or_404(session, seller_id).id,
            states=args.get("state", ()),
            dispute_type=args.get("type"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(rows, lambda session, dispute: dispute_json(session, dispute)))


@bp.post("/disputes/<dispute_id>/resolve")
def resolve_dispute(seller_id: str, dispute_id: str) -> ResponseReturnValue:
    """Grant or deny an open dispute.

    Granting records it as a Completed refund of RefundType AmazonA-ZGuarantee or Chargeback
    (on an API v2 charge: as refunded on the charge, counted against its refund cap).
    ---
    tags: [disputes]
    requestBody:
      required: true
      content:
        application/json:
          schema: ResolveSchema
    responses:
      200:
        description: The dispute as resolved.
        content:
          application/json:
            schema: DisputeSchema
    """
    outcome = body(ResolveSchema)["outcome"]
    return jsonify(_in_context(seller_id, lambda ctx: _resolve(ctx, dispute_id, outcome)))
