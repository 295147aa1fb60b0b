"""Sandbox API: a merchant's throttling by Amazon's request quotas (``gateway.faults``).

``GET`` shows the mode, each operation's quota and how many requests of it the merchant could
make at once now; ``PUT`` switches the mode (``off``, ``sandbox``, ``production``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import body, control_api, merchant_or_404, runtime
from gateway.domain.merchants import now_for
from gateway.domain.records import MerchantRecord
from gateway.faults import throttling
from gateway.faults.quotas import FPS_QUOTAS, OFFAMAZON_QUOTAS
from gateway.faults.throttling import MODES, ServiceQuotas
from gateway.runtime import Runtime
from gateway.store import merchants

bp = Blueprint("throttling", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)

#: The services a merchant's mode applies to, by the name the answer gives them.
SERVICES: dict[str, ServiceQuotas] = {
    "offamazon_payments": OFFAMAZON_QUOTAS,
    "fps": FPS_QUOTAS,
}


class ThrottlingModeSchema(Schema):
    class Meta:
        unknown = RAISE

    mode = fields.String(
        required=True,
        validate=validate.OneOf(MODES),
        metadata={
            "description": "off: never throttled (the default); sandbox or production: "
            "Amazon's published quotas of that environment."
        },
    )


class OperationQuotaSchema(Schema):
    burst = fields.Integer(
        required=True, metadata={"description": "Requests allowed at once (the bucket's size)."}
    )
    restore_seconds = fields.Float(
        required=True, metadata={"description": "Seconds in which one more request is restored."}
    )
    available = fields.Integer(
        required=True,
        metadata={"description": "Requests the merchant could make at once now, on its clock."},
    )


class ThrottlingSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Nested(OperationQuotaSchema)),
        required=True,
        metadata={
            "description": "Per service (offamazon_payments, fps), per operation; empty when "
            "the mode is off."
        },
    )


def throttling_json(session: Session, merchant: MerchantRecord, rt: Runtime) -> dict[str, Any]:
    now = now_for(merchant, rt.clock.now())
    services: dict[str, Any] = {}
    for name, quotas in SERVICES.items():
        if merchant.throttling == throttling.OFF:
            continue
        room = throttling.levels(session, merchant.id, merchant.throttling, quotas, now)
        services[name] = {
            operation: {
                "burst": quota.burst,
                "restore_seconds": quota.restore_seconds,
                "available": room[operation],
            }
            for operation, quota in sorted(quotas.tables[merchant.throttling].items())
        }
    return {"mode": merchant.throttling, "services": services}


@bp.get("/merchants/<seller_id>/throttling")
def show_throttling(seller_id: str) -> ResponseReturnValue:
    """A merchant's throttling: its mode, each operation's quota and what is left of it now.
    ---
    tags: [faults]
    responses:
      200:
        description: The mode and the quotas in force.
        content:
          application/json:
            schema: ThrottlingSchema
    """
    rt = runtime()
    return jsonify(
        rt.db.run(lambda s: throttling_json(s, merchant_or_404(s, seller_id), rt), write=False)
    )


@bp.put("/merchants/<seller_id>/throttling")
def set_throttling(seller_id: str) -> ResponseReturnValue:
    """Throttle a merchant's signed requests by Amazon's quotas, or stop.

    Over a quota, Off-Amazon Payments answers 503 RequestThrottled and FPS its own error XML.
    The quotas are leaky buckets on the merchant's clock: advancing the clock restores them.
    Switching the mode starts every bucket full.
    ---
    tags: [faults]
    requestBody:
      content:
        application/json:
          schema: ThrottlingModeSchema
    responses:
      200:
        description: The mode and the quotas now in force.
        content:
          application/json:
            schema: ThrottlingSchema
    """
    mode = body(ThrottlingModeSchema)["mode"]
    rt = runtime()

    return jsonify(rt.db.run(lambda s: throttling_json(s, switch_mode(s, seller_id, mode), rt)))


def switch_mode(session: Session, seller_id: str, mode: str) -> MerchantRecord:
    """Switch the merchant's mode (the API's PUT and the dashboard's form); the merchant after."""
    row = merchants.for_update(session, merchant_or_404(session, seller_id).id)
    throttling.switch(session, row, mode)
    return merchants.as_record(row)
