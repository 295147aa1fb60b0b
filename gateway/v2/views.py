"""API v2 answers: Amazon's JSON shapes and field names for each object. No Flask, no SQL.

[SRC: reference/amazon-pay-v2.md §2; developer.amazon.com/docs/amazon-pay-api-v2/
{checkout-session,charge-permission,charge,refund}.html; the SDKs' fixtures] Timestamps are
``20190714T155300Z``; amounts are strings with the currency's decimals; fields Amazon sends as
null when unset are sent as null. A charge permission's ``statusDetails`` lists its ``reasons``;
the other objects' carry one ``reasonCode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.v2.checkout_sessions import CONSTRAINTS, constraints
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Refund
from gateway.v2.prices import price
from gateway.v2.states import charge_permission_of

#: Where Amazon sends the buyer to process the payment: the simulator's hosted page of that
#: name (``gateway.v2.buyer_journey``), on the address the simulator is reached at.
PROCESSING_PATH = "/checkout/processing"

_MERCHANT_METADATA = (
    "merchantReferenceId",
    "merchantStoreName",
    "noteToBuyer",
    "customInformation",
)


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else f"{value:%Y%m%dT%H%M%SZ}"


def environment(live: bool) -> str:
    return "Live" if live else "Sandbox"


def _status(obj: Any) -> dict[str, Any]:
    return {
        "state": obj.state,
        "reasonCode": obj.reason_code,
        "reasonDescription": obj.reason_description,
        "lastUpdatedTimestamp": timestamp(obj.last_update),
    }


def _metadata(stored: Mapping[str, Any]) -> dict[str, Any]:
    return {name: stored.get(name) for name in _MERCHANT_METADATA}


def _preferences(payment_method: Mapping[str, Any] | None) -> list[Any]:
    if not payment_method:
        return [None]
    return [{"paymentDescriptor": payment_method.get("paymentDescriptor")}]


def redirect_url(public_url: str, session: V2CheckoutSession) -> str | None:
    """``amazonPayRedirectUrl``: set once an Open session has no constraint left."""
    if session.state != "Open" or constraints(session):
        return None
    return f"{public_url}{PROCESSING_PATH}?amazonCheckoutSessionId={session.amazon_id}"


def checkout_session_json(session: V2CheckoutSession, public_url: str) -> dict[str, Any]:
    web = session.web_checkout
    amount = (
        None
        if session.amount_minor is None or session.currency is None
        else price(session.amount_minor, session.currency)
    )
    return {
        "checkoutSessionId": session.amazon_id,
        "webCheckoutDetails": {
            "checkoutReviewReturnUrl": web.get("checkoutReviewReturnUrl"),
            "checkoutResultReturnUrl": web.get("checkoutResultReturnUrl"),
            "checkoutCancelUrl": web.get("checkoutCancelUrl"),
            "amazonPayRedirectUrl": redirect_url(public_url, session),
            "checkoutMode": web.get("checkoutMode"),
        },
        "productType": "PayAndShip",
        "paymentDetails": {
            "paymentIntent": session.payment_intent,
            "canHandlePendingAuthorization": session.can_handle_pending,
            "chargeAmount": amount,
            "totalOrderAmount": None,
            "softDescriptor": session.soft_descriptor,
            "presentmentCurrency": session.currency,
            "allowOvercharge": None,
            "extendExpiration": None,
        },
        "chargePermissionType": session.charge_permission_type,
        "recurringMetadata": None,
        "merchantMetadata": _metadata(session.merchant_metadata),
        "supplementaryData": None,
        "buyer": session.buyer,
        "billingAddress": session.billing_address,
        "paymentPreferences": _preferences(session.payment_method),
        "statusDetails": _status(session),
        "shippingAddress": session.shipping_address,
        "platformId": session.platform_id,
        "chargePermissionId": (
            session.charge_permission.amazon_id if session.charge_permission else None
        ),
        "chargeId": session.charge.amazon_id if session.charge else None,
        "constraints": [
            {"constraintId": name, "description": CONSTRAINTS[name]}
            for name in constraints(session)
        ],
        "creationTimestamp": timestamp(session.created_at),
        "expirationTimestamp": timestamp(session.expires_at),
        "storeId": session.store_id,
        "deliverySpecifications": None,
        "providerMetadata": {
            "providerReferenceId": session.provider_metadata.get("providerReferenceId")
        },
        "releaseEnvironment": environment(session.live),
    }


def charge_permission_json(permission: V2ChargePermission) -> dict[str, Any]:
    reasons = (
        None
        if permission.reason_code is None
        else [
            {
                "reasonCode": permission.reason_code,
                "reasonDescription": permission.reason_description,
            }
        ]
    )
    balance = max(permission.amount_limit_minor - permission.charged_minor, 0)
    return {
        "chargePermissionId": permission.amazon_id,
        "chargePermissionReferenceId": None,
        "chargePermissionType": permission.charge_permission_type,
        "recurringMetadata": None,
        "buyer": permission.buyer,
        "releaseEnvironment": environment(permission.live),
        "shippingAddress": permission.shipping_address,
        "billingAddress": permission.billing_address,
        "paymentPreferences": _preferences(permission.payment_method),
        "statusDetails": {
            "state": permission.state,
            "reasons": reasons,
            "lastUpdatedTimestamp": timestamp(permission.last_update),
        },
        "creationTimestamp": timestamp(permission.created_at),
        "expirationTimestamp": timestamp(permission.expires_at),
        "merchantMetadata": _metadata(permission.merchant_metadata),
        "platformId": permission.platform_id,
        "limits": {
            "amountLimit": price(permission.amount_limit_minor, permission.currency),
            "amountBalance": price(balance, permission.currency),
        },
        "presentmentCurrency": permission.currency,
    }


def charge_json(charge: V2Charge) -> dict[str, Any]:
    captured = charge.captured_minor > 0
    return {
        "chargeId": charge.amazon_id,
        "chargePermissionId": charge_permission_of(charge.amazon_id),
        "chargeAmount": price(charge.amount_minor, charge.currency),
        "captureAmount": price(charge.captured_minor, charge.currency) if captured else None,
        "refundedAmount": price(charge.refunded_minor, charge.currency) if captured else None,
        "convertedAmount": None,
        "conversionRate": None,
        "channel": None,
        "chargeInitiator": None,
        "softDescriptor": charge.soft_descriptor,
        "merchantMetadata": _metadata(charge.merchant_metadata),
        "providerMetadata": {
            "providerReferenceId": charge.provider_metadata.get("providerReferenceId")
        },
        "statusDetails": _status(charge),
        "creationTimestamp": timestamp(charge.created_at),
        "expirationTimestamp": timestamp(charge.expires_at),
        "releaseEnvironment": environment(charge.live),
    }


def refund_json(refund: V2Refund) -> dict[str, Any]:
    return {
        "refundId": refund.amazon_id,
        "chargeId": refund.charge.amazon_id,
        "creationTimestamp": timestamp(refund.created_at),
        "refundAmount": price(refund.amount_minor, refund.currency),
        "statusDetails": _status(refund),
        "softDescriptor": refund.soft_descriptor,
        "releaseEnvironment": environment(refund.live),
    }
