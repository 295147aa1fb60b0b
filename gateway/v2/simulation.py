"""Sandbox simulations of API v2: the ``x-amz-pay-simulation-code`` header. No Flask here.

[SRC: reference/amazon-pay-v2.md §6; developer.amazon.com/docs/amazon-pay-checkout/
sandbox-simulations.html] A call carries the header to force an outcome. Which codes each
operation takes is UNCONFIRMED (a third-party reading; Amazon's page names the header and the
buyer cards): the table below is the simulator's choice, and docs/v2.md lists it. A code the
operation does not take, or any code on the live endpoint, answers
InvalidSandboxSimulationSpecified. The sandbox buyer cards belong to the buyer's part
(``gateway.v2.buyer_journey``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gateway.v2.errors import InvalidSandboxSimulationSpecified

#: Operation -> the codes it takes, each with what it does (shown in errors and docs/v2.md).
CODES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "CompleteCheckoutSession": {
            "BuyerCanceled": "the checkout session is Canceled/BuyerCanceled",
            "AmazonCanceled": "the checkout session is Canceled/AmazonCanceled",
            "Declined": "the checkout session is Canceled/Declined",
            "AuthorizationInitiated": (
                "the charge is AuthorizationInitiated, then Authorized after 30 seconds "
                "(paymentIntent Authorize, canHandlePendingAuthorization true)"
            ),
        },
        "CreateCharge": {
            "SoftDeclined": "the charge is Declined/SoftDeclined",
            "HardDeclined": "the charge is Declined/HardDeclined",
            "AmazonRejected": "the charge is Declined/AmazonRejected",
            "ProcessingFailure": "the charge is Declined/ProcessingFailure",
            "TransactionTimedOut": "the charge is Declined/TransactionTimedOut",
            "AuthorizationInitiated": (
                "the charge is AuthorizationInitiated, then Authorized (Captured with "
                "captureNow) after 30 seconds; needs canHandlePendingAuthorization true"
            ),
            "ExpiredUnused": "the charge is Authorized, then Canceled/ExpiredUnused after 1 minute",
        },
        "CaptureCharge": {
            "CaptureInitiated": (
                "the charge is CaptureInitiated, then Captured after the merchant's settle delay"
            ),
            "SoftDeclined": "the charge is Declined/SoftDeclined",
            "HardDeclined": "the charge is Declined/HardDeclined",
            "AmazonRejected": "the charge is Declined/AmazonRejected",
            "ProcessingFailure": "the charge is Declined/ProcessingFailure",
        },
        "CloseChargePermission": {
            "AmazonClosed": "the charge permission is Closed/AmazonClosed",
        },
        "CreateRefund": {
            "RefundDeclined": "the refund is Declined/AmazonRejected when it settles",
            "ProcessingFailure": "the refund is Declined/ProcessingFailure when it settles",
        },
    }
)

#: Codes that decline a charge, with the reason code they give it.
DECLINES = frozenset(
    {"SoftDeclined", "HardDeclined", "AmazonRejected", "ProcessingFailure", "TransactionTimedOut"}
)


#: What paying with a sandbox buyer card simulates (sandbox-simulations.html, "Using simulated
#: payment methods"): by the card number's last four digits; None is the happy case.
BUYER_CANCELED = "BuyerCanceled"
DECLINED = "Declined"
PENDING_THEN_AUTHORIZED = "PendingThenAuthorized"
PENDING_THEN_DECLINED = "PendingThenDeclined"
CARDS: Mapping[str, str | None] = MappingProxyType(
    {
        "1111": None,
        "0005": None,
        "4444": None,
        "9424": None,
        "0000": None,
        "3064": BUYER_CANCELED,
        "3434": DECLINED,
        "0701": PENDING_THEN_AUTHORIZED,
        "4354": PENDING_THEN_DECLINED,
    }
)


def parse(code: str | None, operation: str, *, live: bool) -> str | None:
    """The simulation ``code`` asks of ``operation`` (None: none asked)."""
    if code is None:
        return None
    if live:
        raise InvalidSandboxSimulationSpecified(
            "x-amz-pay-simulation-code is for the sandbox only; the live endpoint takes none."
        )
    allowed = CODES.get(operation, {})
    if code not in allowed:
        choices = ", ".join(allowed) if allowed else "none"
        raise InvalidSandboxSimulationSpecified(
            f"The simulation code {code!r} is not valid for {operation} (valid: {choices})."
        )
    return code
