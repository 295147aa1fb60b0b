"""Sandbox API: a merchant's fault rules and its fault log (JSON, under
``/sandbox/api/v1/merchants/<seller_id>/faults``; ``gateway.faults``).

One collection holds both targets, told apart by ``kind``: rules on signed requests (``error``,
``latency``, ``close``, ``empty``, ``truncate``) and IPN faults (``drop``, ``delay``,
``bad_signature``, ``bad_cert_url``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
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
from gateway.faults import log, rules
from gateway.fps.operations import SERVICE as FPS
from gateway.store import faults as store
from gateway.store.models import FaultEvent, FaultRule
from gateway.v2.operations import OPERATIONS as V2_OPERATIONS
from gateway.values import Text
from gateway.wire.operations import SERVICE as OFFAMAZON
from gateway.wire.render import timestamp

bp = Blueprint("faults", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>/faults")
control_api(bp)

#: The longest latency (a client's timeout is shorter) and IPN delay (a month) a rule may add.
MAX_LATENCY_SECONDS = 300.0
MAX_DELAY_SECONDS = 31 * 24 * 3600.0
#: The operations of each service, by ``Service.name``.
_ACTIONS = {
    OFFAMAZON.name: set(OFFAMAZON.operations),
    FPS.name: set(FPS.operations),
    rules.V2_SERVICE: {op.name for op in V2_OPERATIONS.operations},
}
_KINDS = [*rules.KINDS[rules.REQUEST], *rules.KINDS[rules.IPN]]


class NewFaultRuleSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(
        required=True,
        validate=validate.OneOf(_KINDS),
        metadata={
            "description": "Requests: error, latency, close, empty, truncate. IPNs: drop, "
            "delay, bad_signature, bad_cert_url."
        },
    )
    service = fields.String(
        validate=validate.OneOf(rules.SERVICES),
        metadata={
            "description": "Only this service's requests: Off-Amazon Payments, FPS or "
            "AmazonPayV2 (default: any)."
        },
    )
    action = Text(
        column=FaultRule.action,
        metadata={
            "description": "Only this Action (requests; API v2: the operation's name, such as "
            "CreateRefund) or NotificationType (IPNs); default any."
        },
    )
    error_code = Text(
        column=FaultRule.error_code,
        metadata={"description": "kind error: a documented code (default InternalServerError)."},
    )
    http_status = fields.Integer(
        validate=validate.Range(400, 599),
        metadata={"description": "kind error: the status (default: the code's documented one)."},
    )
    seconds = fields.Float(
        validate=validate.Range(0, MAX_DELAY_SECONDS),
        metadata={
            "description": "latency: seconds added (the least, with max_seconds); "
            "delay: seconds of the merchant's clock."
        },
    )
    max_seconds = fields.Float(
        validate=validate.Range(0, MAX_LATENCY_SECONDS),
        metadata={"description": "latency: uniform in [seconds, max_seconds]."},
    )
    count = fields.Integer(
        validate=validate.Range(1, 1_000_000),
        metadata={"description": "Hit the next N matching calls, then stop (default: every one)."},
    )
    probability = fields.Float(
        validate=validate.Range(0, 1, min_inclusive=False),
        metadata={"description": "Hit a matching call with this chance (default 1)."},
    )
    seed = fields.Integer(
        validate=validate.Range(0, 2**62),
        metadata={"description": "Make the draws (probability, latency range) repeatable."},
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["kind"]
        ipn = kind in rules.KINDS[rules.IPN]
        service, action = data.get("service"), data.get("action")
        allowed = {
            "error": {"error_code", "http_status"},
            "latency": {"seconds", "max_seconds"},
            "delay": {"seconds"},
        }.get(kind, set())
        for name in ("error_code", "http_status", "seconds", "max_seconds"):
            if name in data and name not in allowed:
                raise ValidationError(f"Not a setting of a {kind} rule.", name)
        if ipn and service is not None:
            raise ValidationError("IPN faults hit notifications of any service.", "service")
        if kind in ("latency", "delay") and "seconds" not in data:
            raise ValidationError(f"A {kind} rule needs seconds.", "seconds")
        if kind == "latency" and data["seconds"] > MAX_LATENCY_SECONDS:
            raise ValidationError(f"At most {MAX_LATENCY_SECONDS:g} seconds.", "seconds")
        if kind == "delay" and data["seconds"] <= 0:
            raise ValidationError("A delay must be longer than 0 seconds.", "seconds")
        if "max_seconds" in data and data["max_seconds"] <= data["seconds"]:
            raise ValidationError("Must be more than seconds.", "max_seconds")
        if action is not None:
            known = _known_actions(ipn, service)
            if action not in known:
                what = "NotificationType" if ipn else "Action"
                raise ValidationError(f"Not an {what} the sandbox serves: {action!r}.", "action")
        if kind == "error":
            code = data.setdefault("error_code", "InternalServerError")
            status = rules.documented_status(code, service)
            if status is None:
                where = service or "any service"
                raise ValidationError(f"Not a documented error code of {where}.", "error_code")
            data.setdefault("http_status", status)


def _known_actions(ipn: bool, service: str | None) -> set[str]:
    if ipn:
        return set(runtime().registry.notification_types())
    if service is not None:
        return _ACTIONS[service]
    return set().union(*_ACTIONS.values())


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
    kind = fields.String(validate=validate.OneOf(_KINDS))
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


def _target(kind: str) -> str:
    return rules.IPN if kind in rules.KINDS[rules.IPN] else rules.REQUEST


def create_rule(seller_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store a rule loaded by ``NewFaultRuleSchema`` (the dashboard's form too); its JSON."""
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        rule = store.add_rule(
            session,
            {
                "merchant_id": merchant.id,
                "target": _target(data["kind"]),
                "kind": data["kind"],
                "service": data.get("service"),
                "action": data.get("action"),
                "error_code": data.get("error_code"),
                "http_status": data.get("http_status"),
                "seconds": data.get("seconds"),
                "max_seconds": data.get("max_seconds"),
                "remaining": data.get("count"),
                "probability": data.get("probability"),
                "seed": data.get("seed"),
                "created_at": rt.clock.now(),
            },
        )
        return rule_json(rule)

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
    return jsonify(create_rule(seller_id, body(NewFaultRuleSchema))), 201


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
