"""FPS error answers, named after FPS's own error codes so boto raises the matching class.

Codes: the table of reference/amazon-wire.md §4.4 (= the classes of boto/fps/exception.py).
Business errors answer HTTP 400, as the documented example does (§4.4). Errors raised by the
shared signature check and parameter loaders (``gateway.errors``) are translated by
``from_gateway_error`` into FPS names. No Flask here.
"""

from __future__ import annotations

from typing import ClassVar

from gateway.errors import GatewayError


class FpsError(GatewayError):
    """An FPS error answer (``<Response><Errors><Error>``); 400 unless a class says otherwise."""

    code: ClassVar[str] = "InternalError"
    http_status: ClassVar[int] = 400


def _error(code: str, message: str, status: int = 400) -> type[FpsError]:
    attributes = {"code": code, "http_status": status, "default_message": message}
    return type(code, (FpsError,), attributes)


# --- authentication: statuses UNCONFIRMED (§4.4, §6); our choices, commented -----------------

#: 403 like AWS query APIs answer a failed signature; boto raises its SignatureDoesNotMatch.
SignatureDoesNotMatch = _error(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided.",
    403,
)
#: 403 for an unknown access key; FPS's code for it is InvalidClientTokenId (boto has the class).
InvalidClientTokenId = _error(
    "InvalidClientTokenId", "The AWS Access Key Id you provided does not exist in our records.", 403
)
#: 400: AWS's generic code for a stale Timestamp (not in boto's FPS list: generic ResponseError).
RequestExpired = _error("RequestExpired", "Request has expired.", 400)
InternalError = _error("InternalError", "An internal error occurred.", 500)
#: UNCONFIRMED: FPS's throttling answer is not documented (reference §4.4); Amazon Payments'
#: code and message with 503, which boto retries like any 5xx (§3.2).
Throttled = _error("RequestThrottled", "Request is throttled", 503)

# --- parameters and business rules (400, §4.4) --------------------------------------------

InvalidParams = _error("InvalidParams", "One or more parameters are invalid.")
InvalidTokenId = _error("InvalidTokenId", "The token id is not valid for this caller.")
InvalidTokenId_Sender = _error("InvalidTokenId_Sender", "Sender token is not valid.")
TokenNotActive = _error("TokenNotActive", "The token is not active.")
TokenUsageError = _error("TokenUsageError", "The token's usage limit would be exceeded.")
InvalidTransactionId = _error("InvalidTransactionId", "The transaction id is not valid.")
InvalidTransactionState = _error(
    "InvalidTransactionState", "The transaction is not in a state that allows this operation."
)
OriginalTransactionIncomplete = _error(
    "OriginalTransactionIncomplete", "The original transaction is still being processed."
)
OriginalTransactionFailed = _error("OriginalTransactionFailed", "The original transaction failed.")
TransactionTypeNotRefundable = _error(
    "TransactionTypeNotRefundable", "This type of transaction cannot be refunded."
)
RefundAmountExceeded = _error(
    "RefundAmountExceeded", "The refund amount exceeds the refundable amount."
)
TransactionFullyRefundedAlready = _error(
    "TransactionFullyRefundedAlready", "The transaction has already been fully refunded."
)
DuplicateRequest = _error(
    "DuplicateRequest", "A request with this CallerReference and other parameters was made."
)
AmountOutOfRange = _error("AmountOutOfRange", "The amount is out of the allowed range.")

#: gateway.errors codes (shared signature check, idempotency table) -> FPS classes.
_TRANSLATIONS: dict[str, type[FpsError]] = {
    "SignatureDoesNotMatch": SignatureDoesNotMatch,
    "InvalidAccessKeyId": InvalidClientTokenId,
    "RequestExpired": RequestExpired,
    "MissingParameter": InvalidParams,
    "InvalidParameterValue": InvalidParams,
    "CurrencyUnsupported": InvalidParams,
    "DuplicateRequest": DuplicateRequest,
    "RequestThrottled": Throttled,
    # UNCONFIRMED: FPS's answer to a method or path it does not serve (gateway.api.http_errors).
    "InvalidAddress": InvalidParams,
    # An Amazon Pay reference id table row of another FPS action: still a reused CallerReference.
    "DuplicateReferenceId": DuplicateRequest,
}


def from_gateway_error(error: GatewayError) -> FpsError:
    """The FPS error to answer for ``error`` (FPS errors unchanged, others translated)."""
    if isinstance(error, FpsError):
        return error
    cls = _TRANSLATIONS.get(error.code, InternalError)
    return cls(error.message)
