"""API v2 states, their transition tables, reason descriptions and kinds. No Flask, no SQL.

Declared as ``Kind``s that ``gateway.composition`` installs in the runtime's registry, so that
``created``/``transition`` write the outbox row in the same transaction as for v1 and FPS. A v2
notification's type is Amazon's IPN ``ObjectType`` (CHARGE, REFUND, CHARGE_PERMISSION,
CHARGEBACK), which ``gateway.v2.ipn`` renders [SRC: reference/amazon-pay-v2.md §8].

States and reasons [SRC: reference/amazon-pay-v2.md §2; developer.amazon.com/docs/
amazon-pay-api-v2/{checkout-session,charge-permission,charge,refund}.html]:
- A checkout session is Open, then Completed (Complete Checkout Session) or Canceled: after 24
  hours Open (Expired), or when the payment failed (BuyerCanceled, Declined, AmazonCanceled).
- A charge permission is Chargeable, NonChargeable while it cannot be charged, Closed when
  canceled, expired (180 days for OneTime) or, OneTime, charged its whole amount.
- A charge: AuthorizationInitiated (pending) -> Authorized -> CaptureInitiated -> Captured, or
  Declined, or Canceled (by the merchant, expired unused after 30 days Authorized).
- A refund: RefundInitiated, then Refunded or Declined (always asynchronous).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gateway.domain.reasons import Reasons
from gateway.domain.states import DISPUTE_TRANSITIONS
from gateway.domain.states import DisputeState as D
from gateway.registry import Kind
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund


class CheckoutSessionState(StrEnum):
    OPEN = "Open"
    COMPLETED = "Completed"
    CANCELED = "Canceled"


class ChargePermissionState(StrEnum):
    CHARGEABLE = "Chargeable"
    NON_CHARGEABLE = "NonChargeable"
    CLOSED = "Closed"


class ChargeState(StrEnum):
    AUTHORIZATION_INITIATED = "AuthorizationInitiated"
    AUTHORIZED = "Authorized"
    CAPTURE_INITIATED = "CaptureInitiated"
    CAPTURED = "Captured"
    CANCELED = "Canceled"
    DECLINED = "Declined"


class RefundState(StrEnum):
    REFUND_INITIATED = "RefundInitiated"
    REFUNDED = "Refunded"
    DECLINED = "Declined"


_S, _P, _C, _R = CheckoutSessionState, ChargePermissionState, ChargeState, RefundState

CHECKOUT_SESSION_TRANSITIONS: Mapping[CheckoutSessionState, frozenset[CheckoutSessionState]] = {
    _S.OPEN: frozenset({_S.COMPLETED, _S.CANCELED}),
    _S.COMPLETED: frozenset(),
    _S.CANCELED: frozenset(),
}

CHARGE_PERMISSION_TRANSITIONS: Mapping[ChargePermissionState, frozenset[ChargePermissionState]] = {
    _P.CHARGEABLE: frozenset({_P.NON_CHARGEABLE, _P.CLOSED}),
    _P.NON_CHARGEABLE: frozenset({_P.CHARGEABLE, _P.CLOSED}),
    _P.CLOSED: frozenset(),
}

CHARGE_TRANSITIONS: Mapping[ChargeState, frozenset[ChargeState]] = {
    # A pending authorization with captureNow is captured when it succeeds.
    _C.AUTHORIZATION_INITIATED: frozenset({_C.AUTHORIZED, _C.CAPTURED, _C.DECLINED, _C.CANCELED}),
    _C.AUTHORIZED: frozenset({_C.CAPTURE_INITIATED, _C.CAPTURED, _C.DECLINED, _C.CANCELED}),
    _C.CAPTURE_INITIATED: frozenset({_C.CAPTURED, _C.DECLINED}),
    _C.CAPTURED: frozenset(),
    _C.CANCELED: frozenset(),
    _C.DECLINED: frozenset(),
}

REFUND_TRANSITIONS: Mapping[RefundState, frozenset[RefundState]] = {
    _R.REFUND_INITIATED: frozenset({_R.REFUNDED, _R.DECLINED}),
    _R.REFUNDED: frozenset(),
    _R.DECLINED: frozenset(),
}

# --- reason descriptions (our words, Amazon's advice per code; UNCONFIRMED wording) ------------

CHECKOUT_SESSION_REASONS: Reasons = MappingProxyType(
    {
        ("Canceled", "Expired"): "The checkout session was not completed within 24 hours.",
        ("Canceled", "BuyerCanceled"): "The buyer canceled the checkout on Amazon Pay's pages.",
        ("Canceled", "Declined"): (
            "The buyer's payment method was declined; start a new checkout and ask the buyer "
            "to choose another payment method."
        ),
        ("Canceled", "AmazonCanceled"): "Amazon canceled the checkout session.",
    }
)

CHARGE_PERMISSION_REASONS: Reasons = MappingProxyType(
    {
        ("NonChargeable", "PaymentMethodInvalid"): (
            "The buyer's payment method is invalid; ask the buyer to update it."
        ),
        ("NonChargeable", "ChargeInProgress"): (
            "A charge on this charge permission is still being processed."
        ),
        ("Closed", "MerchantClosed"): "You closed this charge permission.",
        ("Closed", "BuyerCanceled"): "The buyer canceled the charge permission.",
        ("Closed", "AmazonClosed"): "Amazon closed the charge permission.",
        ("Closed", "AmazonCanceled"): "Amazon canceled the charge permission.",
        ("Closed", "Expired"): "The charge permission expired (180 days for a OneTime one).",
        ("Closed", "MaxAmountCharged"): (
            "The whole amount of this OneTime charge permission was captured."
        ),
    }
)

CHARGE_REASONS: Reasons = MappingProxyType(
    {
        ("Declined", "SoftDeclined"): (
            "The payment was declined, but a retry may succeed; try again or ask the buyer to "
            "choose another payment method."
        ),
        ("Declined", "HardDeclined"): (
            "The payment was declined; ask the buyer to choose another payment method."
        ),
        ("Declined", "AmazonRejected"): "Amazon rejected the charge; do not retry it.",
        ("Declined", "ProcessingFailure"): (
            "Amazon could not process the charge because of an internal error; retry later."
        ),
        ("Declined", "TransactionTimedOut"): (
            "The authorization was not processed in time (canHandlePendingAuthorization false)."
        ),
        ("Canceled", "ExpiredUnused"): (
            "The charge was not captured within its authorization's lifetime (30 days live, "
            "shorter in the sandbox)."
        ),
        ("Canceled", "MerchantCanceled"): "You canceled this charge.",
        ("Canceled", "ChargePermissionCanceled"): "Its charge permission was closed.",
        ("Canceled", "AmazonCanceled"): "Amazon canceled the charge.",
        ("Canceled", "BuyerCanceled"): "The buyer canceled the charge.",
    }
)

REFUND_REASONS: Reasons = MappingProxyType(
    {
        ("Declined", "AmazonRejected"): "Amazon rejected the refund; do not retry it.",
        ("Declined", "ProcessingFailure"): (
            "The refund could not be processed: the buyer already got the money back through an "
            "A-to-z claim or a chargeback, or Amazon had an internal error (retry while the "
            "charge is Captured)."
        ),
    }
)

#: Notification types: Amazon's IPN v2 ObjectType of each kind.
CHARGE_PERMISSION_OBJECT = "CHARGE_PERMISSION"
CHARGE_OBJECT = "CHARGE"
REFUND_OBJECT = "REFUND"
CHARGEBACK_OBJECT = "CHARGEBACK"
OBJECT_TYPES = (CHARGE_PERMISSION_OBJECT, CHARGE_OBJECT, REFUND_OBJECT, CHARGEBACK_OBJECT)


def charge_permission_of(object_id: str) -> str:
    """The charge permission id a charge or refund id starts with (``S01-…-C056351``)."""
    return object_id.rpartition("-")[0]


def _of_object(obj: Any) -> dict[str, Any]:
    """A charge's or refund's IPN names its charge permission (kept on the outbox row)."""
    return {"ChargePermissionId": charge_permission_of(obj.amazon_id)}


def _of_charge(dispute: Any) -> dict[str, Any]:
    return {"ChargePermissionId": charge_permission_of(dispute.charge.amazon_id)}


# Silent states: Amazon sends no IPN for a checkout session, and none for an object entering its
# first, pending state (a refund is always RefundInitiated first, its IPN comes when it settles;
# a new charge permission is Chargeable). UNCONFIRMED: our reading of Amazon's IPN page ("when
# the state changes"); every other state entered is notified.
CHECKOUT_SESSION = Kind(
    "V2CheckoutSession",
    V2CheckoutSession,
    CHECKOUT_SESSION_TRANSITIONS,
    initial=frozenset({_S.OPEN}),
    silent=frozenset(_S),
    notification=None,
    reasons=CHECKOUT_SESSION_REASONS,
)
CHARGE_PERMISSION = Kind(
    "V2ChargePermission",
    V2ChargePermission,
    CHARGE_PERMISSION_TRANSITIONS,
    initial=frozenset({_P.CHARGEABLE, _P.NON_CHARGEABLE}),
    silent=frozenset({_P.CHARGEABLE}),
    notification=CHARGE_PERMISSION_OBJECT,
    reasons=CHARGE_PERMISSION_REASONS,
)
CHARGE = Kind(
    "V2Charge",
    V2Charge,
    CHARGE_TRANSITIONS,
    initial=frozenset({_C.AUTHORIZATION_INITIATED, _C.AUTHORIZED, _C.CAPTURED, _C.DECLINED}),
    silent=frozenset({_C.AUTHORIZATION_INITIATED, _C.CAPTURE_INITIATED}),
    notification=CHARGE_OBJECT,
    extra=_of_object,
    reasons=CHARGE_REASONS,
)
REFUND = Kind(
    "V2Refund",
    V2Refund,
    REFUND_TRANSITIONS,
    initial=frozenset({_R.REFUND_INITIATED}),
    silent=frozenset({_R.REFUND_INITIATED}),
    notification=REFUND_OBJECT,
    extra=_of_object,
    reasons=REFUND_REASONS,
)
#: The shared dispute table (Open -> Granted | Denied). UNCONFIRMED: Amazon's CHARGEBACK
#: notifications name chargebacks only; an A-to-z claim is heard of through its refund, as in v1.
DISPUTE = Kind(
    "V2Dispute",
    V2Dispute,
    DISPUTE_TRANSITIONS,
    initial=frozenset({D.OPEN}),
    silent=frozenset(),
    notification=CHARGEBACK_OBJECT,
    extra=_of_charge,
)

KINDS = (CHECKOUT_SESSION, CHARGE_PERMISSION, CHARGE, REFUND, DISPUTE)
