"""States of the four Off-Amazon Payments objects and their transition tables. No Flask, no SQL.

The tables are the single source for the code, the tests (every pair is tested) and the
diagrams of docs/lifecycle.md [SRC: reference/amazon-wire.md §1.7, which cites Amazon's
state-and-reason-code pages]. Enum values are the wire strings. ``gateway.domain.kinds`` declares
each kind with its table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class OrderReferenceState(StrEnum):
    DRAFT = "Draft"
    OPEN = "Open"
    SUSPENDED = "Suspended"
    CANCELED = "Canceled"
    CLOSED = "Closed"


class AuthorizationState(StrEnum):
    PENDING = "Pending"
    OPEN = "Open"
    DECLINED = "Declined"
    CLOSED = "Closed"


class CaptureState(StrEnum):
    PENDING = "Pending"
    DECLINED = "Declined"
    COMPLETED = "Completed"
    CLOSED = "Closed"


class RefundState(StrEnum):
    PENDING = "Pending"
    COMPLETED = "Completed"
    DECLINED = "Declined"


class BillingAgreementState(StrEnum):
    """A buyer's standing consent to be charged (recurring payments)."""

    DRAFT = "Draft"
    OPEN = "Open"
    SUSPENDED = "Suspended"
    CANCELED = "Canceled"
    CLOSED = "Closed"


class DisputeState(StrEnum):
    """A buyer's A-to-z guarantee claim or chargeback (a sandbox-only object)."""

    OPEN = "Open"
    GRANTED = "Granted"
    DENIED = "Denied"


class AdministrationState(StrEnum):
    """An administered order (a sandbox-only object): deleting, and then gone."""

    ACTIVE = "Active"
    DELETING = "Deleting"
    DELETED = "Deleted"


_O, _A, _C, _R = OrderReferenceState, AuthorizationState, CaptureState, RefundState
_D = DisputeState
_B = BillingAgreementState

ORDER_REFERENCE_TRANSITIONS: Mapping[OrderReferenceState, frozenset[OrderReferenceState]] = {
    _O.DRAFT: frozenset({_O.OPEN, _O.CANCELED}),  # Canceled/Stale after 3 h unconfirmed
    _O.OPEN: frozenset({_O.SUSPENDED, _O.CANCELED, _O.CLOSED}),
    _O.SUSPENDED: frozenset({_O.OPEN, _O.CANCELED, _O.CLOSED}),
    _O.CANCELED: frozenset(),
    _O.CLOSED: frozenset(),
}

AUTHORIZATION_TRANSITIONS: Mapping[AuthorizationState, frozenset[AuthorizationState]] = {
    _A.PENDING: frozenset({_A.OPEN, _A.DECLINED, _A.CLOSED}),
    _A.OPEN: frozenset({_A.CLOSED}),
    _A.DECLINED: frozenset(),
    _A.CLOSED: frozenset(),
}

CAPTURE_TRANSITIONS: Mapping[CaptureState, frozenset[CaptureState]] = {
    _C.PENDING: frozenset({_C.COMPLETED, _C.DECLINED}),
    _C.COMPLETED: frozenset({_C.CLOSED}),
    _C.DECLINED: frozenset(),
    _C.CLOSED: frozenset(),
}

REFUND_TRANSITIONS: Mapping[RefundState, frozenset[RefundState]] = {
    _R.PENDING: frozenset({_R.COMPLETED, _R.DECLINED}),
    _R.COMPLETED: frozenset(),
    _R.DECLINED: frozenset(),
}

DISPUTE_TRANSITIONS: Mapping[DisputeState, frozenset[DisputeState]] = {
    _D.OPEN: frozenset({_D.GRANTED, _D.DENIED}),
    _D.GRANTED: frozenset(),
    _D.DENIED: frozenset(),
}

#: [SRC: Amazon Pay API reference, "Billing agreement states and reason codes"] Draft becomes
#: Canceled/Stale when not confirmed in 3 hours; Open is Suspended/InvalidPaymentMethod by a
#: payment method problem and Open again once confirmed (or, simulated, after the buyer's
#: update); Closed by the seller (SellerClosed), the buyer (BuyerCanceled) or Amazon
#: (AmazonClosed). Amazon's AmazonCanceled of an Open agreement is not simulated.
BILLING_AGREEMENT_TRANSITIONS: Mapping[BillingAgreementState, frozenset[BillingAgreementState]] = {
    _B.DRAFT: frozenset({_B.OPEN, _B.CANCELED}),
    _B.OPEN: frozenset({_B.SUSPENDED, _B.CLOSED}),
    _B.SUSPENDED: frozenset({_B.OPEN, _B.CLOSED}),
    _B.CANCELED: frozenset(),
    _B.CLOSED: frozenset(),
}

#: Deleting waits for the order's refunds and notifications; Deleted is entered as the rows go.
ADMINISTRATION_TRANSITIONS: Mapping[AdministrationState, frozenset[AdministrationState]] = {
    AdministrationState.ACTIVE: frozenset({AdministrationState.DELETING}),
    AdministrationState.DELETING: frozenset({AdministrationState.DELETED}),
    AdministrationState.DELETED: frozenset(),
}
