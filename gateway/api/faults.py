"""Sandbox API: a merchant's fault rules and its fault log (JSON, under
``/sandbox/api/v1/merchants/<seller_id>/faults``; ``gateway.faults``).

One collection holds both targets, told apart by ``kind``: rules on signed requests (``error``,
``latency``, ``close``, ``empty``, ``truncate``) and IPN faults (``drop``, ``delay``,
``bad_signature``, ``bad_cert_url``). The HTTP layer only: what a rule may say, and the row it
becomes, are ``gateway.faults.specs``'s (as for the dashboard, scenarios and imports).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    ControlError,
    PageQuerySchema,
    body,
    control_api,
    jsonable,
    merchant_or_404,
    next_cursor,
    paged,
    query,
    row_id,
    runtime,
)
from gateway.faults import log, specs
from gateway.faults.specs import NewFaultRuleSchema
from gateway.store import faults as store
from gateway.store.models import FaultEvent, FaultRule
from gateway.values import Text
from gateway.wire.render import timestamp

bp = Blueprint("faults", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>/faults")
control_api(bp)


class FaultRuleSchema(Schema):
    id = fields.Integer(required=True)
    target = fields.String(required=True, metadata={"description": "request or ipn"})
    kind = fields.String(required=True)
    service = fields.String()
    action = fields.String()
    error_code = fields.String()
    http_status = fields.Integer()
    seconds = fields.Float()
    max_seconds = fields.Float()
    remaining = fields.Integer(metadata={"description": "Hits left; absent: no limit."})
    probability = fields.Float()
    seed = fields.Integer()
    matched = fields.Integer(required=True, metadata={"description": "Matching calls seen."})
    injected = fields.Integer(required=True, metadata={"description": "Faults injected."})
    created_at = fields.String(required=True)
    description = fields.String(required=True)


class FaultRuleListSchema(Schema):
    items = fields.List(fields.Nested(FaultRuleSchema), required=True)


class FaultLogQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(specs.KINDS))
    rule_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    request_id = Text(column=FaultEvent.request_id)
    notification_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class FaultEventSchema(Schema):
    id = fields.Integer(required=True)
    rule_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    occurred_at = fields.String(required=True, metadata={"description": "Real time."})
    service = fields.String()
    action = fields.String(metadata={"description": "The Action, or the NotificationType."})
    request_id = fields.String(metadata={"description": "As the request journal shows it."})
    notification_id = fields.Integer()
    effect = fields.String(required=True, metadata={"description": "What was done."})
    rule = fields.String(required=True, metadata={"description": "The rule, as it was."})


class FaultLogPageSchema(Schema):
    items = fields.List(fields.Nested(FaultEventSchema), required=True)
    next = next_cursor()


class DeletedSchema(Schema):
    deleted = fields.Integer(required=True)


def rule_json(rule: FaultRule) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(
        {
            "id": rule.id,
            "target": rule.target,
            "kind": rule.kind,
            "service": rule.service,
            "action": rule.action,
            "error_code": rule.error_code,
            "http_status": rule.http_status,
            "seconds": rule.seconds,
            "max_seconds": rule.max_seconds,
            "remaining": rule.remaining,
            "probability": rule.probability,
            "seed": rule.seed,
            "matched": rule.matched,
            "injected": rule.injected,
            "created_at": rule.created_at,
            "description": log.describe(rule),
        }
    )
    return result


def event_json(event: FaultEvent) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(
        {
            "id": event.id,
            "rule_id": event.rule_id,
            "kind": event.kind,
            "occurred_at": timestamp(event.occurred_at),
            "service": event.service,
            "action": event.action,
            "request_id": event.request_id,
            "notification_id": event.notification_id,
            "effect": event.effect,
            "rule": event.rule,
        }
    )
    return result


def create_rule(seller_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store a rule loaded by ``NewFaultRuleSchema`` (the dashboard's form too); its JSON."""
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        return rule_json(specs.add_rule(session, merchant.id, data, rt.clock.now()))

    result: dict[str, Any] = rt.db.run(work)
    return result


@bp.post("")
def add_rule(seller_id: str) -> ResponseReturnValue:
    """Add a fault rule: the merchant's next matching requests (or IPNs) meet it.
    ---
    tags: [faults]
    requestBody:
      content:
        application/json:
          schema: NewFaultRuleSchema
    responses:
      201:
        description: The rule.
        content:
          application/json:
            schema: FaultRuleSchema
      400:
        description: An invalid rule (the message names the field).
      404:
        description: No such merchant.
    """
    data = body(NewFaultRuleSchema(registry=runtime().registry))
    return jsonify(create_rule(seller_id, data)), 201


@bp.get("")
def list_rules(seller_id: str) -> ResponseReturnValue:
    """The merchant's fault rules, oldest first (used-up ones included, with remaining 0).
    ---
    tags: [faults]
    responses:
      200:
        description: The rules.
        content:
          application/json:
            schema: FaultRuleListSchema
      404:
        description: No such merchant.
    """

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        return {"items": [rule_json(rule) for rule in store.rules(session, merchant.id)]}

    return jsonify(runtime().db.run(work, write=False))


@bp.delete(f"/{row_id('rule_id', FaultRule.id)}")
def delete_rule(seller_id: str, rule_id: int) -> ResponseReturnValue:
    """Delete one fault rule (the fault log keeps what it did).
    ---
    tags: [faults]
    responses:
      200:
        description: Deleted.
        content:
          application/json:
            schema: DeletedSchema
      404:
        description: No such merchant, or no such rule of it.
    """

    def work(session: Session) -> bool:
        return store.delete_rule(session, merchant_or_404(session, seller_id).id, rule_id)

    if not runtime().db.run(work):
        raise ControlError(404, "FaultRuleNotFound", f"The merchant has no fault rule {rule_id}.")
    return jsonify(deleted=1)


@bp.delete("")
def delete_rules(seller_id: str) -> ResponseReturnValue:
    """Delete every fault rule of the merchant: its requests and IPNs go through unharmed again.
    ---
    tags: [faults]
    responses:
      200:
        description: How many rules were deleted.
        content:
          application/json:
            schema: DeletedSchema
      404:
        description: No such merchant.
    """

    def work(session: Session) -> int:
        return store.delete_rules(session, merchant_or_404(session, seller_id).id)

    return jsonify(deleted=runtime().db.run(work))


@bp.get("/log")
def fault_log(seller_id: str) -> ResponseReturnValue:
    """The fault log: every fault a rule injected, newest first, with what it hit and why.
    ---
    tags: [faults]
    parameters:
      - in: query
        schema: FaultLogQuerySchema
    responses:
      200:
        description: A page of the log.
        content:
          application/json:
            schema: FaultLogPageSchema
      400:
        description: A bad query argument.
      404:
        description: No such merchant.
    """
    args = query(FaultLogQuerySchema)

    def events(session: Session) -> Any:
        return store.events(
            session,
            merchant_or_404(session, seller_id).id,
            kind=args.get("kind"),
            rule_id=args.get("rule_id"),
            request_id=args.get("request_id"),
            notification_id=args.get("notification_id"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(events, lambda _session, event: event_json(event)))
