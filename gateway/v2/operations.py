"""The API v2 dispatch table: one :class:`Operation` per HTTP method and path. No Flask here.

Paths are relative to the API's base (``/sandbox/v2/``, ``/live/v2/`` or ``/v2/``) and name
their parameters in braces, as Amazon's reference does [SRC: reference/amazon-pay-v2.md §1].
The edge (``gateway.v2.edge``) matches a request against :data:`OPERATIONS`, checks what the
operation asks for (a body schema, an idempotency key) and calls its handler in one transaction.
The handler types (``V2Call``, ``V2Answer``, ``Handler``) are in ``gateway.v2.calls`` and
re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from marshmallow import Schema

from gateway.v2 import buyers, handlers, schemas
from gateway.v2.calls import Handler, V2Answer, V2Call
from gateway.v2.errors import MethodNotAllowed, ResourceNotFound

__all__ = ["OPERATIONS", "Handler", "Operation", "OperationTable", "V2Answer", "V2Call"]

_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Operation:
    """One API v2 operation: where it is, what it takes, who answers it."""

    #: Amazon's name for it (``GetBuyer``, ``CreateRefund``): the journal's Action, the
    #: throttling quota's name unless ``throttling`` says otherwise.
    name: str
    method: str
    #: The path below the API's base, parameters in braces: ``charges/{chargeId}/capture``.
    path: str
    handler: Handler
    #: Loads the JSON body (None: the operation takes no body; an empty object is accepted).
    schema: Schema | None = None
    #: ``x-amz-pay-idempotency-key`` required (create calls and Capture, reference §1).
    requires_idempotency_key: bool = False
    #: Read-only operations run in a read transaction (no write lock on SQLite).
    writes: bool = True
    #: The throttling quota's name (reference §7; None: ``name``).
    throttling: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _PARAMETER.split(self.path)
        # Odd parts are parameter names; a trailing slash is accepted (.NET appends one to
        # every path, reference §4).
        regex = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex + "/?"))

    @property
    def quota(self) -> str:
        return self.throttling or self.name


class OperationTable:
    """Operations by method and path."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        seen = {(op.method, op.path) for op in self.operations}
        if len(seen) != len(self.operations):
            raise ValueError("two operations share a method and path")

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation at ``path`` (below the base) for ``method``, and its path parameters.

        ``ResourceNotFound`` when no operation has the path; ``MethodNotAllowed`` (its
        ``allowed`` set) when some have it with other methods.
        """
        allowed: set[str] = set()
        for op in self.operations:
            found = op.pattern.fullmatch(path)
            if found is None:
                continue
            if op.method == method:
                return op, found.groupdict()
            allowed.add(op.method)
        if allowed:
            error = MethodNotAllowed(
                f"The method {method} is not allowed on {path}; use {', '.join(sorted(allowed))}."
            )
            error.allowed = tuple(sorted(allowed))
            raise error
        raise ResourceNotFound(f"The path {path} is not an Amazon Pay API v2 resource.")


#: Every operation the simulator serves (v2-domain adds its own here).
OPERATIONS = OperationTable(
    [
        Operation("GetBuyer", "GET", "buyers/{buyerToken}", buyers.get_buyer, writes=False),
        # Checkout sessions, charge permissions, charges and refunds (gateway.v2.handlers).
        # Idempotency keys: the create calls and Capture (reference §1).
        Operation(
            "CreateCheckoutSession",
            "POST",
            "checkoutSessions",
            handlers.create_checkout_session,
            schemas.CreateCheckoutSessionSchema(),
            requires_idempotency_key=True,
        ),
        Operation(
            "GetCheckoutSession",
            "GET",
            "checkoutSessions/{checkoutSessionId}",
            handlers.get_checkout_session,
            writes=False,
        ),
        Operation(
            "UpdateCheckoutSession",
            "PATCH",
            "checkoutSessions/{checkoutSessionId}",
            handlers.update_checkout_session,
            schemas.UpdateCheckoutSessionSchema(),
        ),
        Operation(
            "CompleteCheckoutSession",
            "POST",
            "checkoutSessions/{checkoutSessionId}/complete",
            handlers.complete_checkout_session,
            schemas.CompleteCheckoutSessionSchema(),
        ),
        Operation(
            "GetChargePermission",
            "GET",
            "chargePermissions/{chargePermissionId}",
            handlers.get_charge_permission,
            writes=False,
        ),
        Operation(
            "UpdateChargePermission",
            "PATCH",
            "chargePermissions/{chargePermissionId}",
            handlers.update_charge_permission,
            schemas.UpdateChargePermissionSchema(),
        ),
        Operation(
            "CloseChargePermission",
            "DELETE",
            "chargePermissions/{chargePermissionId}/close",
            handlers.close_charge_permission,
            schemas.CloseChargePermissionSchema(),
        ),
        Operation(
            "CreateCharge",
            "POST",
            "charges",
            handlers.create_charge,
            schemas.CreateChargeSchema(),
            requires_idempotency_key=True,
        ),
        Operation("GetCharge", "GET", "charges/{chargeId}", handlers.get_charge, writes=False),
        Operation(
            "UpdateCharge",
            "PATCH",
            "charges/{chargeId}",
            handlers.update_charge,
            schemas.UpdateChargeSchema(),
        ),
        Operation(
            "CaptureCharge",
            "POST",
            "charges/{chargeId}/capture",
            handlers.capture_charge,
            schemas.CaptureChargeSchema(),
            requires_idempotency_key=True,
        ),
        Operation(
            "CancelCharge",
            "DELETE",
            "charges/{chargeId}/cancel",
            handlers.cancel_charge,
            schemas.CancelChargeSchema(),
        ),
        Operation(
            "CreateRefund",
            "POST",
            "refunds",
            handlers.create_refund,
            schemas.CreateRefundSchema(),
            requires_idempotency_key=True,
        ),
        Operation("GetRefund", "GET", "refunds/{refundId}", handlers.get_refund, writes=False),
    ]
)
