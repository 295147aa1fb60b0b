"""One FPS request, from signed query parameters to an XML answer. No Flask here.

The signature check (Version 2, or Version 1 which only FPS still accepts here, reference §4.2),
the action and its outbox rows run in one transaction, as for Off-Amazon Payments
(``gateway.wire.offamazon``). The merchant whose access key signed is the FPS caller and
recipient. Every error becomes FPS's error XML (``gateway.fps.errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from gateway import signing
from gateway.domain.lifecycle import Context
from gateway.errors import GatewayError
from gateway.fps import ipn, tokens, transactions, views
from gateway.fps import params as p
from gateway.fps.errors import InternalError, InvalidParams, from_gateway_error
from gateway.fps.render import VERSIONS, render_fps_error, render_success
from gateway.runtime import Runtime
from gateway.wire.offamazon import secret_lookup
from gateway.wire.params import load

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, Context, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Action:
    schema: Schema
    handler: Handler
    #: Read-only actions run in a read transaction.
    writes: bool = True


def _pay(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return views.transaction_result(transactions.pay(ctx, **d))


def _refund(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return views.transaction_result(transactions.refund(ctx, **d))


def _cancel(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return views.transaction_result(transactions.cancel(ctx, **d))


def _status(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return views.transaction_status(transactions.get_transaction(ctx, d["transaction_id"]))


def _get_transaction(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"Transaction": views.transaction(transactions.get_transaction(ctx, **d))}


def _cancel_token(rt: Runtime, ctx: Context, d: dict[str, Any]) -> None:
    tokens.cancel_token(ctx, **d)
    return None  # CancelTokenResponse has no Result element (reference §4.3)


def _get_tokens(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"Token": [views.token(t) for t in tokens.list_tokens(ctx, **d)]}


def _get_token_by_caller(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"Token": views.token(tokens.get_token_by_caller(ctx, **d))}


def _verify_signature(rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    genuine = ipn.verify(rt, d["url_end_point"], d["http_parameters"])
    return {"VerificationStatus": "Success" if genuine else "Failure"}


#: The dispatch table, explicit and greppable (STYLE §7.5).
ACTIONS: dict[str, Action] = {
    "Pay": Action(p.PayParams(), _pay),
    "Refund": Action(p.RefundParams(), _refund),
    "Cancel": Action(p.CancelParams(), _cancel),
    "CancelToken": Action(p.CancelTokenParams(), _cancel_token),
    "GetTransactionStatus": Action(p.TransactionIdParams(), _status, writes=False),
    "GetTransaction": Action(p.TransactionIdParams(), _get_transaction, writes=False),
    "GetTokens": Action(p.GetTokensParams(), _get_tokens, writes=False),
    "GetTokenByCaller": Action(p.GetTokenByCallerParams(), _get_token_by_caller, writes=False),
    "VerifySignature": Action(p.VerifySignatureParams(), _verify_signature, writes=False),
}


def handle(
    runtime: Runtime, *, method: str, host: str, path: str, params: Mapping[str, str]
) -> tuple[int, bytes]:
    """Answer one FPS request: ``(HTTP status, XML body)``. Never raises."""
    request_id = runtime.ids.request_id()
    action_name = params.get("Action", "")
    action = ACTIONS.get(action_name)

    def work(session: Session) -> bytes:
        merchant = signing.verify(
            params,
            method=method,
            host=host,
            path=path,
            now=runtime.clock.now(),
            secret_for=secret_lookup(session),
            # Reference §4.2: FPS accepted Signature Version 1. UNCONFIRMED (§4.1): FPS's Timestamp
            # window; the verifier applies AWS's usual 15 minutes.
            allow_v1=True,
        )
        if action is None:
            # UNCONFIRMED: FPS's answer to an unknown action; InvalidParams is in its table.
            raise InvalidParams(f"The action {action_name!r} is not a supported FPS action.")
        version = params.get("Version", "")
        # UNCONFIRMED: the answer to a missing or unknown Version (reference §4.1 lists two).
        if version not in VERSIONS:
            raise InvalidParams(
                f"Version {version!r} is not supported; use {' or '.join(VERSIONS)}."
            )
        data = load(action.schema, params)
        result = action.handler(runtime, runtime.context(session, merchant), data)
        # RequestIds look like "<uuid>:0" in Amazon's samples (reference §4.1).
        return render_success(action_name, result, f"{request_id}:0", version)

    try:
        body = runtime.db.run(work, write=action.writes if action else False)
    except GatewayError as error:
        fps_error = from_gateway_error(error)
        return fps_error.http_status, render_fps_error(fps_error, request_id)
    except Exception:
        log.exception("unexpected error in FPS %s (request %s)", action_name, request_id)
        fps_error = InternalError(f"An internal error occurred (request {request_id}).")
        return fps_error.http_status, render_fps_error(fps_error, request_id)
    return 200, body
