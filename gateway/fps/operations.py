"""The FPS service: its actions (Action -> schema, domain call, result shape) and what its answers
look like, for the signed-query pipeline (``gateway.wire.pipeline``). No Flask here.

The signature check accepts Version 2 and Version 1, which only FPS still accepts here (reference
§4.2). The merchant whose access key signed is the FPS caller and recipient. Every error becomes
FPS's error XML (``gateway.fps.errors``, ``gateway.fps.render``).
"""

from __future__ import annotations

from typing import Any

from gateway.amazon_hosts import FPS_HOSTS
from gateway.domain.lifecycle import Context
from gateway.errors import GatewayError
from gateway.faults.quotas import FPS_QUOTAS
from gateway.fps import ipn, tokens, transactions, views
from gateway.fps import params as p
from gateway.fps.errors import InvalidParams, from_gateway_error
from gateway.fps.render import NAMESPACE, VERSIONS, render_fps_error
from gateway.runtime import Runtime
from gateway.wire.pipeline import Operation, Service


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
OPERATIONS: dict[str, Operation] = {
    "Pay": Operation(p.PayParams(), _pay),
    "Refund": Operation(p.RefundParams(), _refund),
    "Cancel": Operation(p.CancelParams(), _cancel),
    "CancelToken": Operation(p.CancelTokenParams(), _cancel_token),
    "GetTransactionStatus": Operation(p.TransactionIdParams(), _status, writes=False),
    "GetTransaction": Operation(p.TransactionIdParams(), _get_transaction, writes=False),
    "GetTokens": Operation(p.GetTokensParams(), _get_tokens, writes=False),
    "GetTokenByCaller": Operation(p.GetTokenByCallerParams(), _get_token_by_caller, writes=False),
    "VerifySignature": Operation(p.VerifySignatureParams(), _verify_signature, writes=False),
}


def _unknown_action(action: str) -> GatewayError:
    # UNCONFIRMED: FPS's answer to an unknown action; InvalidParams is in its table.
    return InvalidParams(f"The action {action!r} is not a supported FPS action.")


def _unsupported_version(version: str) -> GatewayError:
    # UNCONFIRMED: the answer to a missing or unknown Version (reference §4.1 lists two).
    return InvalidParams(f"Version {version!r} is not supported; use {' or '.join(VERSIONS)}.")


SERVICE = Service(
    name="FPS",
    operations=OPERATIONS,
    versions=VERSIONS,
    default_version=None,
    unknown_action=_unknown_action,
    unsupported_version=_unsupported_version,
    namespace=NAMESPACE,
    # Reference §4.2: FPS accepted Signature Version 1. UNCONFIRMED (§4.1): FPS's Timestamp
    # window; the verifier applies AWS's usual 15 minutes.
    signature_versions=("1", "2"),
    wire_error=from_gateway_error,
    render_error=render_fps_error,
    # RequestIds look like "<uuid>:0" in Amazon's samples (reference §4.1); error answers'
    # RequestID are the plain id.
    request_id_suffix=":0",
    published_hosts=FPS_HOSTS,
    quotas=FPS_QUOTAS,
)
