"""The export document's layout: its members in order, and the schema of each element.

```text
{"format": FORMAT, "version": VERSION, "exported_at": ...,
 "merchant": {seller_id, settings, clock, refund_on_cancel, created_at},
 "fps_account": {...} or null,
 "billing_agreements": [...],
 "order_references": [{<columns>, "billing_agreement_id", "line_items": [...],
                       "administration": {...} or null,
                       "authorizations": [{<columns>, "captures": [{<columns>, "refunds": [...]}]}],
                       "disputes": [{<columns>, "amazon_capture_id", "amazon_refund_id"}]}],
 "fps_tokens": [...],
 "fps_transactions": [{<columns>, "sender_token_id", "original_transaction_id"}],
 "v2_charge_permissions": [{<columns>, "charges": [{<columns>, "refunds": [...],
                                                    "disputes": [...]}]}],
 "v2_checkout_sessions": [{<columns>, "charge_permission_id", "charge_id"}],
 "reference_ids": [...],
 "notifications": [{<columns>, "message": {...} or null, "attempts": [...]}],
 "fault_rules": [{kind, service, action, ..., remaining, matched, injected, created_at}]}
```

Rows are their models' columns (``gateway.transfer.rows``); objects refer to each other by
Amazon ids. Members come in this order, each array read one element at a time on import.

``VERSION`` changes when a member changes meaning; a member added is optional on import (a
document from before it imports as if it held an empty array: ``fault_rules`` came so), and
an older sandbox refuses it by name. The fault log (``fault_events``) is not exported: it names
requests and notifications by the old ids.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from gateway.domain.merchants import MOST_REFUND_PROCESSING_FAILURES
from gateway.faults.specs import MAX_COUNT, NewFaultRuleSchema
from gateway.faults.throttling import MODES, OFF
from gateway.fps.models import FpsAccount, FpsToken, FpsTransaction
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    LineItem,
    Notification,
    NotificationAttempt,
    NotificationMessage,
    OrderAdministration,
    OrderReference,
    ReferenceId,
    Refund,
)
from gateway.transfer.rows import UTCDateTimeField, schema_for
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund

FORMAT = "amazon-pay-simulator/merchant"
VERSION = 1

#: Merchant columns a document carries (not its keys: an import makes new ones).
MERCHANT_FIELDS = (
    "seller_id",
    "name",
    "store_name",
    "ipn_url",
    "settle_delay_seconds",
    "refund_processing_failures",
    "ipn_signature_version",
    "ipn_retry_all",
    "ipn_duplicate",
    "ipn_reorder",
    "throttling",
    "clock_offset_seconds",
    "clock_frozen_at",
    "created_at",
)


def _many(schema: Schema) -> fields.List[Any]:
    return fields.List(fields.Nested(schema), load_default=list)


class MerchantDocument(Schema):
    class Meta:
        unknown = "raise"

    seller_id = fields.String(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=128))
    store_name = fields.String(load_default="", validate=validate.Length(max=128))
    ipn_url = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2048))
    settle_delay_seconds = fields.Integer(strict=True, load_default=5, validate=validate.Range(0))
    refund_processing_failures = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(0, MOST_REFUND_PROCESSING_FAILURES)
    )
    ipn_signature_version = fields.String(load_default="1", validate=validate.OneOf(["1", "2"]))
    ipn_retry_all = fields.Boolean(load_default=False)
    ipn_duplicate = fields.Boolean(load_default=False)
    ipn_reorder = fields.Boolean(load_default=False)
    throttling = fields.String(load_default=OFF, validate=validate.OneOf(MODES))
    clock_offset_seconds = fields.Float(load_default=0.0)
    clock_frozen_at = UTCDateTimeField(allow_none=True, load_default=None)
    created_at = UTCDateTimeField(required=True)
    refund_on_cancel = fields.String(
        load_default="automatic", validate=validate.OneOf(["automatic", "manual"])
    )


REFUND = schema_for(Refund)
CAPTURE = schema_for(Capture, extra={"refunds": _many(REFUND)})
AUTHORIZATION = schema_for(Authorization, extra={"captures": _many(CAPTURE)})
DISPUTE = schema_for(
    Dispute,
    extra={
        "amazon_capture_id": fields.String(required=True),
        "amazon_refund_id": fields.String(allow_none=True, load_default=None),
    },
)
LINE_ITEM = schema_for(LineItem)
ADMINISTRATION = schema_for(OrderAdministration, exclude=("amazon_id",))
BILLING_AGREEMENT = schema_for(BillingAgreement)
ORDER_REFERENCE = schema_for(
    OrderReference,
    extra={
        "billing_agreement_id": fields.String(allow_none=True, load_default=None),
        "line_items": _many(LINE_ITEM),
        "administration": fields.Nested(ADMINISTRATION, allow_none=True, load_default=None),
        "authorizations": _many(AUTHORIZATION),
        "disputes": _many(DISPUTE),
    },
)
FPS_ACCOUNT = schema_for(FpsAccount)
FPS_TOKEN = schema_for(FpsToken)
FPS_TRANSACTION = schema_for(
    FpsTransaction,
    extra={
        "sender_token_id": fields.String(allow_none=True, load_default=None),
        "original_transaction_id": fields.String(allow_none=True, load_default=None),
    },
)
V2_CHARGE = schema_for(
    V2Charge,
    extra={"refunds": _many(schema_for(V2Refund)), "disputes": _many(schema_for(V2Dispute))},
)
V2_CHARGE_PERMISSION = schema_for(V2ChargePermission, extra={"charges": _many(V2_CHARGE)})
V2_CHECKOUT_SESSION = schema_for(
    V2CheckoutSession,
    extra={
        "charge_permission_id": fields.String(allow_none=True, load_default=None),
        "charge_id": fields.String(allow_none=True, load_default=None),
    },
)
REFERENCE_ID = schema_for(ReferenceId)
MESSAGE = schema_for(NotificationMessage)
ATTEMPT = schema_for(NotificationAttempt)
NOTIFICATION = schema_for(
    Notification,
    extra={
        "message": fields.Nested(MESSAGE, allow_none=True, load_default=None),
        "attempts": _many(ATTEMPT),
    },
)


class FaultRuleDocument(NewFaultRuleSchema):
    """A fault rule (``gateway.faults.specs.rule_document``): checked as a new rule is (give
    ``registry``), its ``count`` the hits it has ``remaining``, with the counters it keeps."""

    class Meta:
        unknown = RAISE
        exclude = ("count",)

    remaining = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, MAX_COUNT))
    matched = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 2**31 - 1))
    injected = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 2**31 - 1))
    created_at = UTCDateTimeField(required=True)
