"""What a scenario file may say (JSON or YAML), checked before anything is made.

```yaml
merchants:
  - seller_id: ASCENARIO01          # optional; an existing merchant is reset first
    store_name: Scenario Store       # and any merchant setting
    refund_on_cancel: automatic      # or manual
    orders:
      - status: Captured             # one of STATUSES
        amount: "100.00"            # default: the line items' total, else 100.00
        currency: USD
        line_items: [{sku: MUG, title: Mug, quantity: 2, unit_price: "50.00"}]
        dispute: {type: a-to-z-claim}  # on a captured order; state Open (default), Granted, Denied
        count: 3                     # this order three times
    v2_checkouts:                    # API v2 checkouts, made the same way (gateway.scenarios.v2)
      - status: Captured             # one of V2_STATUSES
        amount: "40.00"
        card: "1111"                 # the sandbox card the buyer pays with
        dispute: {type: chargeback}
    faults:                          # fault rules, as POST /merchants/<id>/faults takes them
      - {kind: error, action: Authorize, error_code: ServiceUnavailable, count: 2}
      - {kind: drop, action: PaymentRefund, count: 1}
```

Errors name the entry: ``merchants[0].orders[2].status: Must be one of: ...``. A fault rule is
checked by the control API's own schema (``gateway.faults.specs``), whose IPN NotificationTypes
are the runtime's: load a scenario with ``scenario_schema(registry)``; ``ScenarioSpec`` itself
describes the fields (OpenAPI) and refuses a rule naming an action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from gateway.domain.administration import REFUND_ON_CANCEL
from gateway.domain.disputes import DISPUTE_TYPES
from gateway.domain.merchants import MOST_REFUND_PROCESSING_FAILURES
from gateway.faults.specs import NewFaultRuleSchema
from gateway.faults.throttling import MODES
from gateway.store.models import LineItem, Merchant
from gateway.values import HttpUrl, Text

if TYPE_CHECKING:
    from gateway.registry import Registry

#: The statuses an order can be made in (``administration.payment_status`` of the result).
STATUSES = (
    "Draft",
    "Open",
    "Authorized",
    "Captured",
    "Completed",
    "PartiallyRefunded",
    "Refunded",
    "Canceled",
    "Closed",
    "Declined",
)
#: Statuses with money captured (a dispute needs one).
CAPTURED = ("Captured", "Completed", "PartiallyRefunded", "Refunded")
#: The statuses an API v2 checkout can be made in: Open (no buyer yet), BuyerCanceled and
#: Declined (the checkout session Canceled so), Authorized, Captured, PartiallyRefunded,
#: Refunded (the charge), Closed (the charge permission closed, its charge canceled).
V2_STATUSES = (
    "Open",
    "BuyerCanceled",
    "Declined",
    "Authorized",
    "Captured",
    "PartiallyRefunded",
    "Refunded",
    "Closed",
)
V2_CAPTURED = ("Captured", "PartiallyRefunded", "Refunded")
MAX_ORDERS = 100_000
#: The most fault rules a scenario's merchant may declare (a choice: a test needs a few).
MAX_FAULT_RULES = 100
_AMOUNT = validate.Regexp(r"^[0-9]+(\.[0-9]+)?\Z", error="Not an amount such as 12.50.")


def _faults(rule: type[Schema] | Schema) -> fields.List[Any]:
    return fields.List(fields.Nested(rule), validate=validate.Length(max=MAX_FAULT_RULES))


def _merchants(merchant: type[Schema]) -> fields.List[Any]:
    return fields.List(
        fields.Nested(merchant), required=True, validate=validate.Length(min=1, max=1000)
    )


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class LineItemSpec(_Strict):
    sku = Text(column=LineItem.sku, min_length=1, required=True)
    title = Text(column=LineItem.title)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 10_000))
    unit_price = Text(max_length=32, required=True, validate=_AMOUNT)


class DisputeSpec(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(DISPUTE_TYPES))
    amount = Text(max_length=32, validate=_AMOUNT)
    state = fields.String(
        load_default="Open", validate=validate.OneOf(["Open", "Granted", "Denied"])
    )
    reason = Text(max_length=255)


class OrderSpec(_Strict):
    id = Text(
        validate=validate.Regexp(
            r"^[SP]01-[0-9]{7}-[0-9]{7}\Z",
            error="Not an order reference id such as S01-1234567-1234567.",
        )
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    amount = Text(max_length=32, validate=_AMOUNT)
    currency = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    line_items = fields.List(fields.Nested(LineItemSpec), validate=validate.Length(min=1, max=100))
    #: Captured amount (default: the whole order) for a captured status.
    captured = Text(max_length=32, validate=_AMOUNT)
    #: Refunded amount: PartiallyRefunded (default half of what was captured) or Refunded.
    refunded = Text(max_length=32, validate=_AMOUNT)
    seller_order_id = Text(max_length=128)
    seller_note = Text(max_length=1024)
    dispute = fields.Nested(DisputeSpec)
    count = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, MAX_ORDERS))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        status = data.get("status")
        if "dispute" in data and status not in CAPTURED:
            raise ValidationError(
                f"A dispute needs a captured status ({', '.join(CAPTURED)}).", "dispute"
            )
        if "captured" in data and status not in CAPTURED:
            raise ValidationError(
                f"Only an order of status {', '.join(CAPTURED)} is captured.", "captured"
            )
        if "refunded" in data and status not in ("PartiallyRefunded", "Refunded"):
            raise ValidationError(
                "Only a PartiallyRefunded or Refunded order is refunded.", "refunded"
            )
        if "id" in data and data.get("count", 1) != 1:
            raise ValidationError("An order with a fixed id cannot be repeated.", "count")


class V2CheckoutSpec(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(V2_STATUSES))
    amount = Text(max_length=32, validate=_AMOUNT)
    currency = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    #: A happy sandbox card (the failing ones are the statuses BuyerCanceled and Declined).
    card = fields.String(
        load_default="1111", validate=validate.OneOf(["1111", "0005", "4444", "9424", "0000"])
    )
    captured = Text(max_length=32, validate=_AMOUNT)
    refunded = Text(max_length=32, validate=_AMOUNT)
    merchant_reference_id = Text(max_length=256)
    dispute = fields.Nested(DisputeSpec)
    count = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, MAX_ORDERS))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        status = data.get("status")
        for name in ("dispute", "captured"):
            if name in data and status not in V2_CAPTURED:
                raise ValidationError(
                    f"Only a checkout of status {', '.join(V2_CAPTURED)} is captured.", name
                )
        if "refunded" in data and status not in ("PartiallyRefunded", "Refunded"):
            raise ValidationError(
                "Only a PartiallyRefunded or Refunded checkout is refunded.", "refunded"
            )


class MerchantSpec(_Strict):
    seller_id = Text(column=Merchant.seller_id, validate=validate.Regexp(r"^[A-Z0-9]{6,}\Z"))
    access_key = Text(column=Merchant.access_key, validate=validate.Regexp(r"^[A-Za-z0-9]{16,}\Z"))
    secret_key = Text(column=Merchant.secret_key, min_length=16)
    name = Text(column=Merchant.name)
    store_name = Text(column=Merchant.store_name)
    ipn_url = HttpUrl(column=Merchant.ipn_url, allow_none=True)
    settle_delay_seconds = fields.Integer(strict=True, validate=validate.Range(0, 90 * 24 * 3600))
    refund_processing_failures = fields.Integer(
        strict=True, validate=validate.Range(0, MOST_REFUND_PROCESSING_FAILURES)
    )
    ipn_signature_version = fields.String(validate=validate.OneOf(["1", "2"]))
    ipn_retry_all = fields.Boolean()
    ipn_duplicate = fields.Boolean()
    ipn_reorder = fields.Boolean()
    throttling = fields.String(validate=validate.OneOf(MODES))
    refund_on_cancel = fields.String(
        load_default="automatic", validate=validate.OneOf(REFUND_ON_CANCEL)
    )
    orders = fields.List(fields.Nested(OrderSpec), load_default=list)
    v2_checkouts = fields.List(fields.Nested(V2CheckoutSpec), load_default=list)
    #: Given, the merchant's fault rules are these (an existing merchant's others deleted);
    #: absent, an existing merchant keeps its rules.
    faults = _faults(NewFaultRuleSchema)


class ScenarioSpec(_Strict):
    merchants = _merchants(MerchantSpec)


def scenario_schema(registry: Registry) -> Schema:
    """``ScenarioSpec`` whose fault rules are checked as the control API checks them, against
    ``registry``'s NotificationTypes (a schema made per load: a scenario is loaded rarely)."""
    rule = NewFaultRuleSchema(registry=registry)
    merchant = MerchantSpec.from_dict({"faults": _faults(rule)}, name="MerchantSpec")
    scenario = ScenarioSpec.from_dict({"merchants": _merchants(merchant)}, name="ScenarioSpec")
    return scenario()
