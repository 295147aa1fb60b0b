"""What a fault rule may say, checked in one place, and the row it becomes. No Flask here.

Every way a rule comes in loads it with :class:`NewFaultRuleSchema`: the control API's ``POST
/merchants/<id>/faults`` (and so ``gateway faults add``), the dashboard's form, a scenario's
``faults:``, and an import (``gateway.transfer.document.FaultRuleDocument``: the same checks
plus the rule's state). The IPN NotificationTypes a rule may name are the runtime's (its
registry's renderers), so the schema is given the registry it checks against.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from gateway.faults import rules
from gateway.fps.operations import SERVICE as FPS
from gateway.store import faults as store
from gateway.store.models import FaultRule
from gateway.v2.operations import OPERATIONS as V2_OPERATIONS
from gateway.values import Text
from gateway.wire.operations import SERVICE as OFFAMAZON

if TYPE_CHECKING:
    from gateway.registry import Registry

#: The longest latency (a client's timeout is shorter) and IPN delay (a month) a rule may add.
MAX_LATENCY_SECONDS = 300.0
MAX_DELAY_SECONDS = 31 * 24 * 3600.0
#: The most a rule's count (and so its remaining hits) may be.
MAX_COUNT = 1_000_000
#: The operations of each service, by ``Service.name``.
ACTIONS: Mapping[str, frozenset[str]] = {
    OFFAMAZON.name: frozenset(OFFAMAZON.operations),
    FPS.name: frozenset(FPS.operations),
    rules.V2_SERVICE: frozenset(op.name for op in V2_OPERATIONS.operations),
}
KINDS = (*rules.KINDS[rules.REQUEST], *rules.KINDS[rules.IPN])
#: The settings each kind takes beyond the common ones (service, action, count, probability,
#: seed); any other kind takes none of them.
_SETTINGS = {
    rules.ERROR: {"error_code", "http_status"},
    rules.LATENCY: {"seconds", "max_seconds"},
    "delay": {"seconds"},
}


def target(kind: str) -> str:
    """``request`` or ``ipn``: what a rule of ``kind`` hits."""
    return rules.IPN if kind in rules.KINDS[rules.IPN] else rules.REQUEST


def known_actions(
    notification_types: Collection[str], ipn: bool, service: str | None
) -> frozenset[str]:
    """The Actions (of ``service``, or of any) or, for an IPN fault, the NotificationTypes (the
    registry's, ``Registry.notification_types``) that a rule may name."""
    if ipn:
        return frozenset(notification_types)
    if service is not None:
        return ACTIONS[service]
    return frozenset().union(*ACTIONS.values())


class NewFaultRuleSchema(Schema):
    """A new rule: the control API's body, the dashboard's form, a scenario's ``faults`` item.

    ``registry`` is what an IPN fault's ``action`` is checked against (its NotificationTypes,
    kept as a set of names: a schema nested in another is deep-copied). The schema without one,
    as the OpenAPI builder makes it to describe the fields, refuses to load a rule naming an
    action.
    """

    class Meta:
        unknown = RAISE

    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
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
        validate=validate.Range(1, MAX_COUNT),
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

    def __init__(self, *, registry: Registry | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notification_types: frozenset[str] | None = (
            None if registry is None else frozenset(registry.notification_types())
        )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["kind"]
        ipn = kind in rules.KINDS[rules.IPN]
        service, action = data.get("service"), data.get("action")
        allowed = _SETTINGS.get(kind, set())
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
            if self.notification_types is None:
                raise TypeError("NewFaultRuleSchema needs the registry to check an action")
            if action not in known_actions(self.notification_types, ipn, service):
                what = "a NotificationType" if ipn else "an Action"
                raise ValidationError(f"Not {what} the sandbox serves: {action!r}.", "action")
        if kind == "error":
            code = data.setdefault("error_code", "InternalServerError")
            status = rules.documented_status(code, service)
            if status is None:
                where = service or "any service"
                raise ValidationError(f"Not a documented error code of {where}.", "error_code")
            data.setdefault("http_status", status)


#: The columns a rule's settings and state are stored in, as the schemas name them.
_COLUMNS = (
    "kind",
    "service",
    "action",
    "error_code",
    "http_status",
    "seconds",
    "max_seconds",
    "probability",
    "seed",
)


def _row(merchant_id: int, data: Mapping[str, Any], **state: Any) -> dict[str, Any]:
    return {
        **{name: data.get(name) for name in _COLUMNS},
        "merchant_id": merchant_id,
        "target": target(data["kind"]),
        **state,
    }


def add_rule(
    session: Session, merchant_id: int, data: Mapping[str, Any], now: datetime
) -> FaultRule:
    """Store a rule loaded by :class:`NewFaultRuleSchema` for the merchant, made ``now``."""
    return store.add_rule(
        session, _row(merchant_id, data, remaining=data.get("count"), created_at=now)
    )


def replace_rules(
    session: Session, merchant_id: int, loaded: Iterable[Mapping[str, Any]], now: datetime
) -> list[FaultRule]:
    """Make the merchant's rules exactly ``loaded`` (a scenario's), oldest first."""
    store.delete_rules(session, merchant_id)
    return [add_rule(session, merchant_id, data, now) for data in loaded]


def restore_rule(session: Session, merchant_id: int, data: Mapping[str, Any]) -> FaultRule:
    """Store a rule of an export document (``gateway.transfer.document.FaultRuleDocument``),
    with its state."""
    state = {name: data.get(name) for name in ("remaining", "matched", "injected", "created_at")}
    return store.add_rule(session, _row(merchant_id, data, **state))


def rule_document(rule: FaultRule) -> dict[str, Any]:
    """A rule as an export document holds it: its settings (those it has), ``remaining``
    (absent: no limit), ``matched`` and ``injected`` (a seeded rule's next draw is its
    ``matched + 1``-th, ``gateway.faults.rules.draw``), ``created_at``."""
    out: dict[str, Any] = {name: getattr(rule, name) for name in _COLUMNS}
    out["remaining"] = rule.remaining
    out = {name: value for name, value in out.items() if value is not None}
    out.update(matched=rule.matched, injected=rule.injected)
    out["created_at"] = rule.created_at.isoformat()
    return out
