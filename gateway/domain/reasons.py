"""Why an object is in its state: the ReasonDescription of each (state, ReasonCode). No Flask here.

Amazon's answers carry, beside a Declined, Closed, Canceled or Suspended object's ReasonCode, a
ReasonDescription that says why and what to do next; its state-and-reason-code pages give that
advice per code [SRC: reference/amazon-wire.md §1.7, citing Amazon's order reference,
authorization, capture and refund states-and-reason-codes pages; "Billing agreement states and
reason codes"]. The words here are ours, carrying the same advice; Amazon caps the element at
255 characters (``MAX_LENGTH``). The lifecycle fills an object's description from these tables
whenever a change gives none (a seller's ClosureReason or CancelationReason is kept instead), so
every object that is declined or closed says why. UNCONFIRMED: Amazon's exact wording per code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The most characters of a ReasonDescription (Amazon's Status datatype).
MAX_LENGTH = 255

Reasons = Mapping[tuple[str, str | None], str]

_CAP = "the lesser of 15% or 75 (8,400 for JPY)"

ORDER_REFERENCE: Reasons = MappingProxyType(
    {
        ("Suspended", "InvalidPaymentMethod"): (
            "There was a problem with the buyer's payment method. No new authorization is "
            "possible until the buyer chooses another one; existing authorizations can still be "
            "captured and captures refunded. Ask the buyer to update the payment method."
        ),
        ("Canceled", "SellerCanceled"): (
            "You canceled this order reference (CancelOrderReference). Its open authorizations "
            "were closed and no further payment operation is possible."
        ),
        ("Canceled", "Stale"): (
            "The order reference was not confirmed (ConfirmOrderReference) within 3 hours of "
            "its creation, so it was canceled."
        ),
        ("Canceled", "AmazonCanceled"): "Amazon canceled this order reference.",
        ("Closed", "Expired"): (
            "The order reference expired 180 days after its confirmation: no new authorization "
            "can be requested on it. Its open authorizations can still be captured."
        ),
        ("Closed", "MaxAmountCharged"): (
            f"The order reference was charged the most it can be: its total plus {_CAP}."
        ),
        ("Closed", "MaxAuthorizationsCaptured"): (
            "Ten authorizations have been captured on this order reference, the most allowed."
        ),
        ("Closed", "AmazonClosed"): (
            "Amazon closed this order reference because of a problem with your account or the "
            "buyer's account."
        ),
        ("Closed", "SellerClosed"): "You closed this order reference (CloseOrderReference).",
    }
)

AUTHORIZATION: Reasons = MappingProxyType(
    {
        ("Declined", "InvalidPaymentMethod"): (
            "There was a problem with the payment method. After a soft decline (SoftDecline "
            "true) you may authorize again; after a hard decline ask the buyer to update the "
            "payment method first."
        ),
        ("Declined", "AmazonRejected"): (
            "Amazon rejected the authorization; the order reference was closed."
        ),
        ("Declined", "ProcessingFailure"): (
            "Amazon could not process the authorization because of an internal processing "
            "error. Retry it only if the order reference is still Open."
        ),
        ("Declined", "TransactionTimedOut"): (
            "The authorization was not processed within its TransactionTimeout (8 seconds when "
            "synchronous). Retry it, or authorize asynchronously with a longer timeout."
        ),
        ("Closed", "ExpiredUnused"): (
            "The authorization was not captured within its lifetime (30 days; 2 days in the "
            "sandbox) and expired. Request a new authorization to charge the buyer."
        ),
        ("Closed", "MaxCapturesProcessed"): (
            "The authorization was captured; Amazon allows one capture per authorization."
        ),
        ("Closed", "AmazonClosed"): (
            "Amazon closed the authorization because of a problem with your account or the "
            "buyer's account."
        ),
        ("Closed", "OrderReferenceCanceled"): (
            "The order reference was canceled, which closed its open authorizations."
        ),
        ("Closed", "SellerClosed"): "You closed this authorization (CloseAuthorization).",
    }
)

CAPTURE: Reasons = MappingProxyType(
    {
        ("Declined", "AmazonRejected"): (
            "Amazon rejected the capture. Retry it only while the authorization is Open."
        ),
        ("Declined", "ProcessingFailure"): (
            "Amazon could not process the capture because of an internal processing error. "
            "Retry it only while the authorization is Open; otherwise request a new "
            "authorization and capture that."
        ),
        ("Closed", "MaxAmountRefunded"): (
            f"The capture was refunded the most it can be: its amount plus {_CAP}, A-to-z "
            "claims and chargebacks included. No further refund is possible on it."
        ),
        ("Closed", "MaxRefundsProcessed"): (
            "Ten refunds have been processed on this capture, the most allowed. No further "
            "refund is possible on it."
        ),
        ("Closed", "AmazonClosed"): (
            "Amazon closed the capture because of a problem with your account or the buyer's "
            "account."
        ),
    }
)

REFUND: Reasons = MappingProxyType(
    {
        ("Declined", "AmazonRejected"): (
            "Amazon rejected the refund, for example because your seller balance is negative. "
            "Repay it and refund again, or refund the buyer another way (a gift card, store "
            "credit)."
        ),
        ("Declined", "ProcessingFailure"): (
            "Amazon could not process the refund: an internal error, or the buyer was already "
            "refunded by an A-to-z claim or chargeback. If there is none and the capture is "
            "still Completed, retry in one to two minutes; else refund the buyer another way."
        ),
    }
)

BILLING_AGREEMENT: Reasons = MappingProxyType(
    {
        ("Canceled", "Stale"): (
            "The billing agreement was not confirmed (ConfirmBillingAgreement) within 3 hours of "
            "its creation, so it was canceled."
        ),
        ("Suspended", "InvalidPaymentMethod"): (
            "There was a problem with the buyer's payment method. No charge is possible until "
            "the buyer updates it; then confirm the billing agreement again."
        ),
        ("Closed", "SellerClosed"): "You closed this billing agreement (CloseBillingAgreement).",
        ("Closed", "BuyerCanceled"): (
            "The buyer canceled this billing agreement on the Amazon Pay website."
        ),
        ("Closed", "AmazonClosed"): (
            "Amazon closed this billing agreement because of a problem with your account or the "
            "buyer's account."
        ),
    }
)
