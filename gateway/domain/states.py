"""States of the four Off-Amazon Payments objects and their transition tables. No Flask, no SQL.

The tables are the single source for the code, the tests (every pair is tested) and the
diagrams of docs/lifecycle.md [SRC: reference/amazon-wire.md §1.7, which cites Amazon's
state-and-reason-code pages].
Enum values are the wire strings.
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


class DisputeState(StrEnum):
    """A buyer's A-to-z guarantee claim or chargeback (a sandbox-only object)."""

    OPEN = "Open"
    GRANTED = "Granted"
    DENIED = "Denied"


_O, _A, _C, _R = OrderReferenceState, AuthorizationState, CaptureState, RefundState
_D = DisputeState

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

#: Each table by the kind name used in notifications and the sandbox API.
TRANSITIONS: Mapping[str, Mapping[StrEnum, frozenset[StrEnum]]] = {
    "OrderReference": ORDER_REFERENCE_TRANSITIONS,  # type: ignore[dict-item]
    "Authorization": AUTHORIZATION_TRANSITIONS,  # type: ignore[dict-item]
    "Capture": CAPTURE_TRANSITIONS,  # type: ignore[dict-item]
    "Refund": REFUND_TRANSITIONS,  # type: ignore[dict-item]
    "Dispute": DISPUTE_TRANSITIONS,  # type: ignore[dict-item]
}

#: The states each kind is created in; entering one of these at creation is not a transition.
INITIAL_STATES: Mapping[str, frozenset[str]] = {
    "OrderReference": frozenset({_O.DRAFT}),
    "Authorization": frozenset({_A.PENDING, _A.OPEN, _A.DECLINED, _A.CLOSED}),
    "Capture": frozenset({_C.PENDING, _C.COMPLETED, _C.DECLINED, _C.CLOSED}),
    "Refund": frozenset({_R.PENDING}),
    "Dispute": frozenset({_D.OPEN}),
}

#: States that Amazon does not notify when an object enters them.
#: Confirming (Draft -> Open) is answered synchronously and a new order reference is not announced;
#: a refund is always Pending at first, and its IPN comes when it settles. UNCONFIRMED: our reading
#: of Amazon's IPN guide ("sent when the state changes"); every other state entered is notified.
SILENT_STATES: Mapping[str, frozenset[str]] = {
    "OrderReference": frozenset({_O.DRAFT, _O.OPEN}),
    "Authorization": frozenset(),
    "Capture": frozenset(),
    "Refund": frozenset({_R.PENDING}),
    "Dispute": frozenset(),
}


def can_transition(kind: str, current: str, target: str) -> bool:
    """Whether the table of ``kind`` allows ``current`` -> ``target``."""
    return target in TRANSITIONS[kind].get(current, frozenset())  # type: ignore[call-overload]
