"""Sandbox API: each merchant's clock and buyer disputes (JSON, under ``/sandbox/api/v1``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.sandbox import body, control_api, jsonable, merchant_or_404, runtime
from gateway.domain import clock_control, disputes
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import now_for
from gateway.domain.money import format_amount
from gateway.domain.records import MerchantRecord
from gateway.store import merchants, refunds
from gateway.store.models import Capture, Dispute, OrderReference
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

    seconds = fields.Float(required=True)


def _change_clock(seller_id: str, change: Any, *, settle_first: bool = False) -> dict[str, Any]:
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
    return jsonify(
        runtime().db.run(lambda s: clock_json(merchant_or_404(s, seller_id)), write=False)
    )


@bp.post("/clock/advance")
def advance_clock(seller_id: str) -> ResponseReturnValue:
    seconds = body(AdvanceSchema())["seconds"]
    return jsonify(
        _change_clock(seller_id, lambda m, base: clock_control.advance(m, seconds, base))
    )


@bp.post("/clock/freeze")
def freeze_clock(seller_id: str) -> ResponseReturnValue:
    return jsonify(_change_clock(seller_id, clock_control.freeze))


@bp.post("/clock/resume")
def resume_clock(seller_id: str) -> ResponseReturnValue:
    return jsonify(_change_clock(seller_id, clock_control.resume))


@bp.post("/clock/reset")
def reset_clock(seller_id: str) -> ResponseReturnValue:
    """Back to real time, running (see ``clock_control.reset`` for objects due later)."""
    return jsonify(
        _change_clock(seller_id, lambda m, _base: clock_control.reset(m), settle_first=True)
    )


class DisputeSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(disputes.DISPUTE_TYPES))
    amazon_order_reference_id = Text(column=OrderReference.amazon_id)
    amazon_capture_id = Text(column=Capture.amazon_id)
    amount = Text()
    reason = Text(column=Dispute.reason)


class ResolveSchema(Schema):
    class Meta:
        unknown = RAISE

    outcome = fields.String(required=True, validate=validate.OneOf(["granted", "denied"]))


def dispute_json(ctx: Context, dispute: Dispute) -> dict[str, Any]:
    refund = None if dispute.refund_id is None else refunds.by_id(ctx.session, dispute.refund_id)
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


def _in_context(seller_id: str, work: Any, *, write: bool = True) -> Any:
    rt = runtime()
    return rt.db.run(lambda s: work(rt.context(s, merchant_or_404(s, seller_id))), write=write)


@bp.post("/disputes")
def file_dispute(seller_id: str) -> ResponseReturnValue:
    data = body(DisputeSchema())
    dispute_type = data.pop("type")
    return jsonify(
        _in_context(
            seller_id,
            lambda ctx: dispute_json(ctx, disputes.file_dispute(ctx, dispute_type, **data)),
        )
    ), 201


@bp.get("/disputes")
def list_disputes(seller_id: str) -> ResponseReturnValue:
    def work(ctx: Any) -> list[dict[str, Any]]:
        rows = ctx.session.scalars(
            select(Dispute)
            .where(Dispute.merchant_id == ctx.merchant.id)
            .order_by(Dispute.id.desc())
        )
        return [dispute_json(ctx, d) for d in rows]

    return jsonify(disputes=_in_context(seller_id, work, write=False))


@bp.post("/disputes/<dispute_id>/resolve")
def resolve_dispute(seller_id: str, dispute_id: str) -> ResponseReturnValue:
    outcome = body(ResolveSchema())["outcome"]
    return jsonify(
        _in_context(
            seller_id,
            lambda ctx: dispute_json(ctx, disputes.resolve_dispute(ctx, dispute_id, outcome)),
        )
    )
