"""Making a scenario's API v2 checkouts: the same domain functions as the API v2 operations and
the buyer's pages (Create Checkout Session, the buyer's sign-in and amazonPayRedirectUrl step,
Complete Checkout Session, Capture Charge, Create Refund, Close Charge Permission, disputes), a
step a second on the merchant's clock as an order's flow (``gateway.scenarios.loader``), so the
states and IPN v2 notifications are those a real checkout gives. No Flask here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.lifecycle import Context
from gateway.domain.money import format_amount, parse_amount
from gateway.v2 import (
    buyer_journey,
    charge_permissions,
    charges,
    checkout_sessions,
    disputes,
    refunds,
)
from gateway.v2.prices import price

#: Where the scenario's checkouts say the shop is (RFC 2606 names: never reached).
REVIEW_URL = "https://shop.example/checkout/review"
RESULT_URL = "https://shop.example/checkout/result"
STORE_ID = "amzn1.application-oa2-client.scenario"
DEFAULT_AMOUNT = "100.00"
#: The statuses whose checkout the buyer's card ends on the hosted pages.
FAILING_CARDS = {"BuyerCanceled": "3064", "Declined": "3434"}


@dataclass
class MadeV2Checkout:
    checkout_session_id: str
    status: str
    ids: dict[str, list[str]] = field(default_factory=dict)


def run(
    step: Callable[[float], Context],
    spec: dict[str, Any],
    buyer: dict[str, Any],
    destination: dict[str, Any],
) -> MadeV2Checkout:
    """One checkout in ``spec["status"]``; ``step(seconds)`` is the context that many seconds
    after the previous step."""
    status, currency = spec["status"], spec["currency"]
    amount = spec.get("amount") or DEFAULT_AMOUNT
    metadata = (
        {"merchantReferenceId": spec["merchant_reference_id"]}
        if spec.get("merchant_reference_id")
        else {}
    )
    session = checkout_sessions.create_session(
        step(1),
        {
            "storeId": STORE_ID,
            "webCheckoutDetails": {
                "checkoutReviewReturnUrl": REVIEW_URL,
                "checkoutResultReturnUrl": RESULT_URL,
            },
            "paymentDetails": {
                "paymentIntent": "Authorize",
                "chargeAmount": price(parse_amount(amount, currency, "amount"), currency),
            },
            "merchantMetadata": metadata,
        },
    )
    session_id = session.amazon_id
    made = MadeV2Checkout(session_id, status)
    if status == "Open":
        return made
    card = FAILING_CARDS.get(status, spec["card"])
    buyer_journey.sign_in(step(1), session_id, buyer=buyer, destination=destination, card=card)
    buyer_journey.process(step(1), session_id)
    if status in FAILING_CARDS:
        return made
    completed = checkout_sessions.complete_session(
        step(1), session_id, {"chargeAmount": price(session.amount_minor or 0, currency)}
    )
    assert completed.charge_permission is not None and completed.charge is not None
    permission_id, charge_id = completed.charge_permission.amazon_id, completed.charge.amazon_id
    made.ids = {"charge_permissions": [permission_id], "charges": [charge_id]}
    if status == "Closed":
        charge_permissions.close(
            step(1), permission_id, closure_reason=None, cancel_pending_charges=True
        )
        return made
    if status == "Authorized":
        return made
    captured = spec.get("captured") or amount
    charges.capture(step(1), charge_id, {"captureAmount": _price(captured, currency)})
    if status in ("PartiallyRefunded", "Refunded"):
        refunded = spec.get("refunded") or (
            captured if status == "Refunded" else half(captured, currency)
        )
        ctx = step(1)
        refund = refunds.create_refund(
            ctx, {"chargeId": charge_id, "refundAmount": _price(refunded, currency)}
        )
        made.ids["refunds"] = [refund.amazon_id]
        ctx.session.flush()
        refunds.settle(step(ctx.merchant.settle_delay_seconds), refund)
    dispute = spec.get("dispute")
    if dispute:
        filed = disputes.file_dispute(
            step(1),
            dispute["type"],
            charge_id=charge_id,
            amount=dispute.get("amount"),
            reason=dispute.get("reason"),
        )
        made.ids["disputes"] = [filed.amazon_id]
        if dispute["state"] != "Open":
            disputes.resolve_dispute(step(1), filed, dispute["state"].lower())
    return made


def _price(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


def half(amount: str, currency: str) -> str:
    """Half of ``amount`` (at least the least unit): what a partial refund refunds by default."""
    minor = parse_amount(amount, currency, "captured")
    return format_amount(max(minor // 2, 1), currency)
