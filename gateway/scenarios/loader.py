"""Making a scenario: each merchant, then each order through the same domain operations as the
emulated API (create, SetOrderReferenceDetails, ConfirmOrderReference, Authorize, Capture,
Refund, CancelOrderReference, CloseOrderReference, disputes), so its states and notifications
are exactly those a real flow gives; then its API v2 checkouts (``gateway.scenarios.v2``). No
Flask here.

An order's flow is played in the recent past of its merchant's clock, a second a step, starting
``settle_delay_seconds`` plus ten minutes ago: its refunds settle when they fall due, by the one
settlement path, and every timestamp is one the flow could have had. Its notifications are
pending, due at once: a merchant with an ``ipn_url`` receives them from the next sweep.

A merchant's ``faults`` become its fault rules (``gateway.faults.specs``, checked as the control
API checks them), made before its orders but matching only signed requests and notifications
sent later: a scenario's own flows are domain calls, not requests, and its notifications are
sent after it is made (so an IPN fault hits them). A merchant the scenario names by a seller id
that exists is reset first (its objects gone), and takes the scenario's settings and keys (and
rules, when it gives ``faults``). The whole scenario is one transaction: a failure leaves
nothing made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import validation
from gateway.domain import administration, disputes, order_references, payments
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import create_merchant, now_for
from gateway.domain.money import format_amount
from gateway.domain.records import MerchantRecord
from gateway.domain.reset import reset_merchant
from gateway.domain.settlement import settle_refunds
from gateway.errors import GatewayError
from gateway.faults import specs
from gateway.runtime import Runtime
from gateway.scenarios import v2
from gateway.scenarios.schema import CAPTURED, scenario_schema
from gateway.scenarios.v2 import MadeV2Checkout, half
from gateway.store import merchants
from gateway.store.models import OrderReference

#: What the buyer's widget leaves on an order reference (as the sandbox API's defaults).
BUYER = {"name": "Sandbox Buyer", "email": "buyer@example.com", "phone": "800-000-0000"}
DESTINATION = {
    "name": "Sandbox Buyer",
    "address_line1": "410 Terry Ave N",
    "city": "Seattle",
    "state_or_region": "WA",
    "postal_code": "98109",
    "country_code": "US",
    "phone": "800-000-0000",
}
PAYMENT_METHOD = {"name": "Visa", "account_number_tail": "11", "use_amazon_balance_first": False}
DEFAULT_AMOUNT = "100.00"
#: An authorization the buyer's bank declines, the payment method to be updated [SRC:
#: reference/amazon-wire.md §1.8].
DECLINE = json.dumps(
    {"SandboxSimulation": {"State": "Declined", "ReasonCode": "InvalidPaymentMethod"}}
)
#: How long before its merchant's now an order's flow starts, beyond the settle delay.
LEAD_TIME = timedelta(minutes=10)


class ScenarioProblem(ValueError):
    """The scenario cannot be made; the message names the entry at fault."""


@dataclass
class MadeOrder:
    amazon_order_reference_id: str
    status: str
    ids: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class MadeMerchant:
    merchant_id: int
    seller_id: str
    access_key: str
    secret_key: str
    #: An existing merchant, reset before its orders were made.
    reset: bool = False
    orders: list[MadeOrder] = field(default_factory=list)
    v2_checkouts: list[MadeV2Checkout] = field(default_factory=list)
    #: The ids of the fault rules it declared.
    fault_rules: list[int] = field(default_factory=list)


def validate(runtime: Runtime, document: Any) -> dict[str, Any]:
    try:
        return validation.load(scenario_schema(runtime.registry), document)
    except validation.InvalidEntry as exc:
        raise ScenarioProblem(str(exc)) from None


def load_scenario(runtime: Runtime, document: Any) -> list[MadeMerchant]:
    """Make the scenario ``document`` (a parsed JSON or YAML file), all or nothing."""
    spec = validate(runtime, document)
    made = runtime.db.run(lambda session: _make(runtime, session, spec))
    for merchant in made:
        if merchant.reset:
            runtime.journal.clear(merchant.merchant_id)
    return made


def _make(runtime: Runtime, session: Session, spec: dict[str, Any]) -> list[MadeMerchant]:
    made = []
    for m, merchant_spec in enumerate(spec["merchants"]):
        merchant, reset = _merchant(runtime, session, dict(merchant_spec), f"merchants[{m}]")
        result = MadeMerchant(
            merchant.id, merchant.seller_id, merchant.access_key, merchant.secret_key, reset
        )
        if "faults" in merchant_spec:
            rules = merchant_spec["faults"]
            made_rules = specs.replace_rules(session, merchant.id, rules, runtime.clock.now())
            result.fault_rules = [rule.id for rule in made_rules]
        start = now_for(merchant, runtime.clock.now()) - LEAD_TIME
        start -= timedelta(seconds=merchant.settle_delay_seconds)
        for o, order in enumerate(merchant_spec["orders"]):
            path = f"merchants[{m}].orders[{o}]"
            for _ in range(order["count"]):
                try:
                    result.orders.append(_Flow(runtime, session, merchant, start).run(order))
                except GatewayError as exc:
                    raise ScenarioProblem(f"{path}: {exc.code}: {exc.message}") from None
        for c, checkout in enumerate(merchant_spec["v2_checkouts"]):
            path = f"merchants[{m}].v2_checkouts[{c}]"
            for _ in range(checkout["count"]):
                flow = _Flow(runtime, session, merchant, start)
                try:
                    made_checkout = v2.run(flow.ctx, checkout, dict(BUYER), dict(DESTINATION))
                except GatewayError as exc:
                    raise ScenarioProblem(f"{path}: {exc.code}: {exc.message}") from None
                result.v2_checkouts.append(made_checkout)
        made.append(result)
    return made


def _merchant(
    runtime: Runtime, session: Session, spec: dict[str, Any], path: str
) -> tuple[MerchantRecord, bool]:
    spec.pop("orders")
    spec.pop("v2_checkouts")
    spec.pop("faults", None)
    refund_on_cancel = spec.pop("refund_on_cancel")
    seller_id = spec.get("seller_id")
    for unique in ("seller_id", "access_key"):
        if unique in spec:
            holder = (
                merchants.by_seller_id(session, spec[unique])
                if unique == "seller_id"
                else merchants.by_access_key(session, spec[unique])
            )
            if holder is not None and holder.seller_id != seller_id:
                raise ScenarioProblem(f"{path}.{unique}: another merchant has it")
    found = merchants.by_seller_id(session, seller_id) if seller_id else None
    if found is None:
        record = create_merchant(session, runtime.ids, runtime.clock.now(), **spec)
    else:
        reset_merchant(session, found.id)
        row = merchants.for_update(session, found.id)
        for name, value in spec.items():
            setattr(row, name, value)
        session.flush()
        record = merchants.as_record(row)
    ctx = runtime.context(session, record)
    administration.set_refund_on_cancel(ctx, refund_on_cancel)
    return record, found is not None


class _Flow:
    """One order's flow, a step a second from ``start`` on the merchant's clock."""

    def __init__(
        self, runtime: Runtime, session: Session, merchant: MerchantRecord, start: datetime
    ) -> None:
        self.runtime, self.session, self.merchant = runtime, session, merchant
        self.at = start

    def ctx(self, later: float = 1.0) -> Context:
        self.at += timedelta(seconds=later)
        return Context(
            self.session, self.merchant, self.at, self.runtime.ids, self.runtime.registry
        )

    def reference(self, kind: str) -> str:
        return f"scenario-{kind}-{self.runtime.ids.token(12).lower()}"

    def run(self, spec: dict[str, Any]) -> MadeOrder:
        status, currency = spec["status"], spec["currency"]
        items = spec.get("line_items")
        oro = order_references.create_order_reference(
            self.ctx(),
            buyer=dict(BUYER),
            destination=dict(DESTINATION),
            payment_method=dict(PAYMENT_METHOD),
            line_items=items,
            line_items_currency=currency,
        )
        if spec.get("id"):
            taken = self.session.scalar(
                select(OrderReference.id).where(OrderReference.amazon_id == spec["id"])
            )
            if taken is not None:
                raise ScenarioProblem(f"order {spec['id']} exists already")
            oro.amazon_id = spec["id"]
        amount = spec.get("amount") or (
            format_amount(oro.amount_minor, currency)
            if items and oro.amount_minor
            else DEFAULT_AMOUNT
        )
        order_id = oro.amazon_id
        made = MadeOrder(order_id, status)
        order_references.set_order_reference_details(
            self.ctx(),
            order_id,
            amount,
            currency,
            seller_note=spec.get("seller_note"),
            seller_order_id=spec.get("seller_order_id"),
        )
        if status == "Draft":
            return made
        order_references.confirm_order_reference(self.ctx(), order_id)
        if status == "Canceled":
            order_references.cancel_order_reference(self.ctx(), order_id)
            return made
        if status == "Closed":
            order_references.close_order_reference(self.ctx(), order_id)
            return made
        if status == "Open":
            return made
        captured = spec.get("captured") or amount
        declined = status == "Declined"
        auth = payments.authorize(
            self.ctx(),
            order_id,
            self.reference("auth"),
            captured if status in CAPTURED else amount,
            currency,
            transaction_timeout=0,
            seller_note=DECLINE if declined else None,
        )
        made.ids["authorizations"] = [auth.amazon_id]
        if status in ("Authorized", "Declined"):
            return made
        cap = payments.capture(
            self.ctx(), auth.amazon_id, self.reference("cap"), captured, currency
        )
        made.ids["captures"] = [cap.amazon_id]
        if status in ("PartiallyRefunded", "Refunded"):
            refunded = spec.get("refunded") or (
                captured if status == "Refunded" else half(captured, currency)
            )
            refund = payments.refund(
                self.ctx(), cap.amazon_id, self.reference("ref"), refunded, currency
            )
            made.ids["refunds"] = [refund.amazon_id]
            settle_refunds(self.ctx(self.merchant.settle_delay_seconds), [refund.id])
        if status == "Completed":
            order_references.close_order_reference(self.ctx(), order_id)
        dispute = spec.get("dispute")
        if dispute:
            filed = disputes.file_dispute(
                self.ctx(),
                dispute["type"],
                amazon_capture_id=cap.amazon_id,
                amount=dispute.get("amount"),
                reason=dispute.get("reason"),
            )
            made.ids["disputes"] = [filed.amazon_id]
            if dispute["state"] != "Open":
                disputes.resolve_dispute(self.ctx(), filed.amazon_id, dispute["state"].lower())
        return made


def parse_file(text: str, name: str) -> Any:
    """A scenario file's content: JSON when ``name`` ends in .json, else YAML (a superset)."""
    try:
        if name.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioProblem(
            f"{name}: not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}"
        ) from None
