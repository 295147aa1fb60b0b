"""Amazon's sandbox simulation strings, parsed once when a request arrives. No Flask here.

A simulation is JSON ``{"SandboxSimulation": {...}}`` in a note field of the request
[SRC: reference/amazon-wire.md §1.8, citing Amazon's sandbox-simulations pages]. Integrators space
the JSON differently, so it is parsed, never string-matched. A note that mentions
``SandboxSimulation`` but is not one of the documented combinations for that operation answers
InvalidSandboxSimulationSpecified; any other note is just a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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

#: SetOrderAttributes takes SetOrderReferenceDetails' string in its SellerNote (the same field of
#: the same order reference). UNCONFIRMED: Amazon's page lists it for SetOrderReferenceDetails.
# AuthorizeOnBillingAgreement's SellerAuthorizationNote takes Authorize's strings; an
# InvalidPaymentMethod decline suspends the agreement too (``agreement_payments``).
_ALLOWED["AuthorizeOnBillingAgreement"] = _ALLOWED["Authorize"]

_CONSTRAINTS = {
    "SetOrderReferenceDetails": frozenset({"PaymentMethodNotAllowed"}),
    "SetOrderAttributes": frozenset({"PaymentMethodNotAllowed"}),
}


def _invalid(operation: str, why: str) -> InvalidSandboxSimulationSpecified:
    return InvalidSandboxSimulationSpecified(
        f"The sandbox simulation specified for {operation} is not valid: {why}"
    )


def parse(note: str | None, operation: str) -> Simulation | None:
    """The simulation asked for in ``note`` for ``operation``, or None when there is none."""
    if not note or "SandboxSimulation" not in note:
        return None
    try:
        document = json.loads(note)
        directive = document["SandboxSimulation"]
    except (ValueError, TypeError, KeyError):
        raise _invalid(
            operation, 'the note is not JSON of the form {"SandboxSimulation": {...}}'
        ) from None
    if not isinstance(directive, dict) or not isinstance(document, dict) or len(document) != 1:
        raise _invalid(operation, "SandboxSimulation must be the only key and hold an object")
    if operation in _CONSTRAINTS:
        return _parse_constraint(directive, operation)
    allowed = _ALLOWED.get(operation)
    if allowed is None:
        raise _invalid(operation, "this operation takes no sandbox simulation")
    key = (directive.get("State"), directive.get("ReasonCode"))
    if key not in allowed:
        choices = ", ".join(f"{s}/{r}" if r else str(s) for s, r in allowed)
        raise _invalid(operation, f"State/ReasonCode {key[0]}/{key[1]} is not one of {choices}")
    options = {k: v for k, v in directive.items() if k not in ("State", "ReasonCode")}
    unknown = set(options) - allowed[key]
    if unknown:
        raise _invalid(operation, f"unknown keys {sorted(unknown)}")
    return Simulation(state=key[0], reason_code=key[1], options=_check_options(options, operation))


def _parse_constraint(directive: dict[str, Any], operation: str) -> Simulation:
    constraint = directive.get("Constraint")
    if set(directive) != {"Constraint"} or constraint not in _CONSTRAINTS[operation]:
        raise _invalid(operation, 'expected {"Constraint": "PaymentMethodNotAllowed"}')
    return Simulation(constraint=constraint)


def _check_options(options: dict[str, Any], operation: str) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in options.items():
        if name == "SoftDecline":
            if str(value).lower() not in ("true", "false"):
                raise _invalid(operation, "SoftDecline must be true or false")
            checked[name] = str(value).lower() == "true"
        else:
            try:
                minutes = int(value)
            except (TypeError, ValueError):
                raise _invalid(operation, f"{name} must be a whole number of minutes") from None
            if minutes < 0:
                raise _invalid(operation, f"{name} must not be negative")
            checked[name] = minutes
    return checked
