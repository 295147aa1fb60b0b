"""Amazon's sandbox simulation strings, parsed once when a request arrives. No Flask here.

A simulation is JSON ``{"SandboxSimulation": {...}}`` in a note field of the request
[SRC: reference/amazon-wire.md §1.8, citing Amazon's sandbox-simulations pages]. Integrators space
the JSON differently, so it is parsed, never string-matched. A note that mentions
``SandboxSimulation`` but is not one of the documented combinations for that operation answers
InvalidSandboxSimulationSpecified; any other note is just a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway import strict_json
from gateway.errors import InvalidSandboxSimulationSpecified


@dataclass(frozen=True)
class Simulation:
    """A parsed directive: the state and reason it asks for, plus numeric options."""

    state: str | None = None
    reason_code: str | None = None
    constraint: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


#: (State, ReasonCode) pairs and the extra keys each accepts, per operation.
_ALLOWED: dict[str, dict[tuple[str | None, str | None], frozenset[str]]] = {
    "Authorize": {
        ("Declined", "InvalidPaymentMethod"): frozenset(
            {"PaymentMethodUpdateTimeInMins", "SoftDecline"}
        ),
        ("Declined", "AmazonRejected"): frozenset(),
        ("Declined", "TransactionTimedOut"): frozenset(),
        ("Closed", "ExpiredUnused"): frozenset({"ExpirationTimeInMins"}),
        ("Closed", "AmazonClosed"): frozenset(),
    },
    "Capture": {
        ("Pending", None): frozenset(),
        ("Declined", "AmazonRejected"): frozenset(),
        ("Closed", "AmazonClosed"): frozenset(),
    },
    "Refund": {("Declined", "AmazonRejected"): frozenset()},
    "CloseOrderReference": {("Closed", "AmazonClosed"): frozenset()},
    # UNCONFIRMED: CloseOrderReference's string, taken by CloseBillingAgreement's ClosureReason.
    "CloseBillingAgreement": {("Closed", "AmazonClosed"): frozenset()},
}

# AuthorizeOnBillingAgreement's SellerAuthorizationNote takes Authorize's strings; an
# InvalidPaymentMethod decline suspends the agreement too (``agreement_payments``).
_ALLOWED["AuthorizeOnBillingAgreement"] = _ALLOWED["Authorize"]

#: SetOrderAttributes takes SetOrderReferenceDetails' string in its SellerNote (the same field of
#: the same order reference). UNCONFIRMED: Amazon's page lists it for SetOrderReferenceDetails.
_CONSTRAINTS = {
    "SetOrderReferenceDetails": frozenset({"PaymentMethodNotAllowed"}),
    "SetOrderAttributes": frozenset({"PaymentMethodNotAllowed"}),
}


#: The most minutes a simulated wait (ExpirationTimeInMins, PaymentMethodUpdateTimeInMins) may
#: last: an authorization's 30-day lifetime, beyond which no simulated outcome can matter.
#: UNCONFIRMED: Amazon documents no bound; larger values are refused, not clamped.
MOST_MINUTES = 30 * 24 * 60

#: Option values that mean true and false for SoftDecline (Amazon's examples quote them).
_BOOLEANS = {"true": True, "false": False}


def _invalid(operation: str, why: str) -> InvalidSandboxSimulationSpecified:
    return InvalidSandboxSimulationSpecified(
        f"The sandbox simulation specified for {operation} is not valid: {why}"
    )


def parse(note: str | None, operation: str) -> Simulation | None:
    """The simulation asked for in ``note`` for ``operation``, or None when there is none.

    Every part of the JSON is checked for its type and range before it is used, so a note of any
    shape either is a documented simulation or answers InvalidSandboxSimulationSpecified.
    """
    if not note or "SandboxSimulation" not in note:
        return None
    document = _json(note, operation)
    directive = document.get("SandboxSimulation") if isinstance(document, dict) else None
    if not isinstance(directive, dict) or len(document) != 1:
        raise _invalid(operation, 'the note must be JSON of the form {"SandboxSimulation": {...}}')
    if operation in _CONSTRAINTS:
        return _parse_constraint(directive, operation)
    allowed = _ALLOWED.get(operation)
    if allowed is None:
        raise _invalid(operation, "this operation takes no sandbox simulation")
    state, reason = directive.get("State"), directive.get("ReasonCode")
    key = (state, reason) if _text_or_none(state) and _text_or_none(reason) else None
    if key not in allowed:
        choices = ", ".join(f"{s}/{r}" if r else str(s) for s, r in allowed)
        raise _invalid(operation, f"State/ReasonCode {state}/{reason} is not one of {choices}")
    options = {k: v for k, v in directive.items() if k not in ("State", "ReasonCode")}
    unknown = set(options) - allowed[key]
    if unknown:
        raise _invalid(operation, f"unknown keys {sorted(unknown)}")
    return Simulation(state=key[0], reason_code=key[1], options=_check_options(options, operation))


def _json(note: str, operation: str) -> Any:
    try:
        return strict_json.loads(note)
    except ValueError as exc:
        raise _invalid(
            operation, f"the note mentions SandboxSimulation but is not JSON ({exc})"
        ) from None


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _parse_constraint(directive: dict[str, Any], operation: str) -> Simulation:
    constraint = directive.get("Constraint")
    if (
        set(directive) != {"Constraint"}
        or not isinstance(constraint, str)
        or constraint not in _CONSTRAINTS[operation]
    ):
        raise _invalid(operation, 'expected {"Constraint": "PaymentMethodNotAllowed"}')
    return Simulation(constraint=constraint)


def _check_options(options: dict[str, Any], operation: str) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in options.items():
        if name == "SoftDecline":
            checked[name] = _soft_decline(value, operation)
        else:
            checked[name] = _minutes(name, value, operation)
    return checked


def _soft_decline(value: Any, operation: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    raise _invalid(operation, "SoftDecline must be true or false")


def _minutes(name: str, value: Any, operation: str) -> int:
    """A whole number of minutes from 0 to ``MOST_MINUTES``: a JSON integer, an integral number
    (``5.0``) or a string of digits (``"5"``); not a boolean."""
    whole = (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer())
        or (isinstance(value, str) and value.isascii() and value.isdigit())
    )
    if not whole:
        raise _invalid(operation, f"{name} must be a whole number of minutes")
    minutes = int(value)
    if not 0 <= minutes <= MOST_MINUTES:
        raise _invalid(operation, f"{name} must be 0 to {MOST_MINUTES} minutes")
    return minutes
