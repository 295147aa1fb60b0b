"""What an API v2 handler is given and gives back. No Flask here.

The handler contract every operation of ``gateway.v2.operations`` follows (the types are here,
not in ``operations``, so that the modules of the handlers can import them while
``operations`` imports the handlers)::

    Handler = Callable[[Runtime, Context, V2Call], V2Answer]

A handler runs inside the request's one transaction (``ctx.session``), at the merchant's
simulated now (``ctx.now``), with ``ctx.live`` telling the live endpoint from the sandbox's. It
raises a ``gateway.v2.errors.V2Error`` (or a shared ``gateway.errors.GatewayError``, translated)
to refuse; the transaction is then rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.domain.lifecycle import Context
    from gateway.runtime import Runtime


@dataclass(frozen=True)
class V2Call:
    """One authenticated request, as its operation's handler sees it."""

    #: The path template's parameters (``{"chargeId": "S01-..."}``).
    path_params: Mapping[str, str] = field(default_factory=dict)
    #: The JSON body as the operation's marshmallow schema loaded it (empty: no body).
    body: Mapping[str, Any] = field(default_factory=dict)
    #: The query string's parameters.
    query: Mapping[str, str] = field(default_factory=dict)
    #: ``x-amz-pay-idempotency-key`` (required where the operation says so).
    idempotency_key: str | None = None
    #: ``x-amz-pay-simulation-code`` as sent (the handler judges it).
    simulation_code: str | None = None


@dataclass(frozen=True)
class V2Answer:
    """A success answer: HTTP status and the JSON object of the body."""

    status: int
    body: Mapping[str, Any]


Handler = Callable[["Runtime", "Context", V2Call], V2Answer]
