"""API v2 error answers: ``{"reasonCode": ..., "message": ...}`` with Amazon's HTTP status.

Codes and statuses from Amazon's "Manage errors" page [SRC: reference/amazon-pay-v2.md §5;
developer.amazon.com/docs/amazon-pay-api-v2/error-handling.html]. Statuses the reference marks
UNCONFIRMED are chosen here, each marked ``# choice``. Errors raised by shared code
(``gateway.errors``: money limits, simulations, the domain's sandbox-only errors) are translated
by :func:`from_gateway_error`. No Flask here.
"""

from __future__ import annotations

import json
from typing import ClassVar

from gateway.errors import GatewayError


class V2Error(GatewayError):
    """An API v2 error answer; ``code`` is its ``reasonCode``."""

    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 500
    #: The methods a path takes (a ``MethodNotAllowed`` answer's ``Allow`` header).
    allowed: tuple[str, ...] = ()
    #: The string to sign the server computed, when a signature did not match (the journal).
    string_to_sign: str | None = None

    @property
    def reason_code(self) -> str:
        return self.code

    def body(self) -> dict[str, str]:
        return {"reasonCode": self.code, "message": self.message}


def render(error: GatewayError) -> bytes:
    """The JSON document of ``error`` (translated first if it is not a v2 error)."""
    wire = from_gateway_error(error)
    return json.dumps(wire.body()).encode("utf-8")


def _error(code: str, status: int, message: str) -> type[V2Error]:
    attributes = {"code": code, "http_status": status, "default_message": message}
    return type(code, (V2Error,), attributes)


# --- 400: the request (error-handling.html) ------------------------------------------------------
InvalidHeaderValue = _error(
    "InvalidHeaderValue", 400, "You submitted an invalid value for at least one header."
)
InvalidRequest = _error("InvalidRequest", 400, "Your request is invalid.")
InvalidParameterValue = _error(
    "InvalidParameterValue", 400, "The value provided for a parameter is invalid."
)
InvalidRequestFormat = _error(
    "InvalidRequestFormat", 400, "You submitted a request in invalid JSON format."
)
MissingHeader = _error("MissingHeader", 400, "One of the header parameters is missing.")
MissingHeaderValue = _error("MissingHeaderValue", 400, "One of the header parameters is empty.")
MissingParameterValue = _error(
    "MissingParameterValue", 400, "One of the mandatory request parameters is missing."
)
UnrecognizedField = _error(
    "UnrecognizedField", 400, "You have passed an invalid field in the request body."
)
InvalidSandboxSimulationSpecified = _error(
    "InvalidSandboxSimulationSpecified", 400, "The sandbox simulation specified is not valid."
)
DuplicateIdempotencyKey = _error(
    "DuplicateIdempotencyKey",
    400,
    "The idempotency key was already used in a different request and cannot be reused.",
)
InvalidParameterCombination = _error(
    "InvalidParameterCombination", 400, "You used an invalid combination of parameters."
)
CurrencyMismatch = _error(
    "CurrencyMismatch", 400, "The currency code does not match the currency set during checkout."
)
InvalidAPIVersion = _error("InvalidAPIVersion", 400, "The API version is not supported.")

# --- 401/403: who is asking ----------------------------------------------------------------------
UnauthorizedAccess = _error(
    "UnauthorizedAccess", 401, "The merchant account is not authorized to execute this request."
)
#: The code Amazon answers a signature it cannot verify, with the string to sign in its message
#: [SRC: amzn/amazon-pay-api-sdk-dotnet issue #4 and amzn/amazon-pay-api-sdk-php issue #45:
#: ``{"reasonCode":"InvalidRequestSignature","message":"Unable to verify signature, signing
#: String [AMZN-PAY-RSASSA-PSS\n...] , signature [...]"}``]. choice: 401 (UNCONFIRMED; the
#: issues show the body, not the status).
InvalidRequestSignature = _error("InvalidRequestSignature", 401, "Unable to verify signature.")
InvalidAuthentication = _error(  # choice: 403 (UNCONFIRMED, reference §5)
    "InvalidAuthentication", 403, "The request could not be authenticated."
)
InvalidAccountStatus = _error(  # choice: 403 (UNCONFIRMED, reference §5)
    "InvalidAccountStatus", 403, "The merchant account is not in a state to execute this request."
)

# --- 404/405: objects and their states -----------------------------------------------------------
ResourceNotFound = _error(  # choice: 404 (UNCONFIRMED, reference §5)
    "ResourceNotFound", 404, "The requested resource does not exist."
)
#: An HTTP method the path does not take. choice: 405 with the code InvalidRequest and an Allow
#: header (UNCONFIRMED: Amazon's gateway answer for a wrong method is not documented).
MethodNotAllowed = _error("InvalidRequest", 405, "The HTTP method is not allowed on this path.")
InvalidChargeStatus = _error(  # choice: 405 (UNCONFIRMED, reference §5)
    "InvalidChargeStatus", 405, "The operation is not allowed in the current state of the charge."
)
InvalidChargePermissionStatus = _error(  # choice: 405 (UNCONFIRMED, reference §5)
    "InvalidChargePermissionStatus",
    405,
    "The operation is not allowed in the current state of the charge permission.",
)
InvalidCheckoutSessionStatus = _error(  # choice: 405 (UNCONFIRMED, reference §5)
    "InvalidCheckoutSessionStatus",
    405,
    "The operation is not allowed in the current state of the checkout session.",
)

# --- 422: business rules (choice: 422 for all, UNCONFIRMED, reference §5) ------------------------
TransactionAmountExceeded = _error(
    "TransactionAmountExceeded", 422, "The amount exceeds the allowed maximum."
)
TransactionCountExceeded = _error(
    "TransactionCountExceeded", 422, "The maximum number of transactions has been reached."
)
AmazonRejected = _error("AmazonRejected", 422, "Amazon rejected the transaction.")
SoftDeclined = _error("SoftDeclined", 422, "The payment method was soft declined.")
HardDeclined = _error("HardDeclined", 422, "The payment method was hard declined.")
MFANotCompleted = _error("MFANotCompleted", 422, "Multi-factor authentication is not completed.")
TransactionTimedOut = _error("TransactionTimedOut", 422, "The transaction timed out.")
ProcessingFailure = _error(
    "ProcessingFailure", 422, "Amazon could not process the transaction (internal error)."
)

# --- 413, 429, 5xx ------------------------------------------------------------------------------
#: choice: 413 with InvalidRequest (UNCONFIRMED: Amazon documents no body limit).
RequestTooLarge = _error("InvalidRequest", 413, "The request body is too large.")
TooManyRequests = _error("TooManyRequests", 429, "The request was throttled.")
InternalServerError = _error("InternalServerError", 500, "There was an unknown error.")
ServiceUnavailable = _error("ServiceUnavailable", 503, "The service is unavailable.")

#: gateway.errors codes (shared code) -> v2 classes. A code not listed keeps its code and status
#: (the sandbox's own errors, such as OrderDeleting, say what they mean in any API).
_TRANSLATIONS: dict[str, type[V2Error]] = {
    "InvalidParameterValue": InvalidParameterValue,
    "MissingParameter": MissingParameterValue,
    "CurrencyMismatch": CurrencyMismatch,
    "CurrencyUnsupported": InvalidParameterValue,
    "TransactionAmountExceeded": TransactionAmountExceeded,
    "TransactionCountExceeded": TransactionCountExceeded,
    "InvalidSandboxSimulationSpecified": InvalidSandboxSimulationSpecified,
    "RequestThrottled": TooManyRequests,
    "InternalServerError": InternalServerError,
}


def from_gateway_error(error: GatewayError) -> V2Error:
    """The v2 error to answer for ``error`` (v2 errors unchanged, others translated)."""
    if isinstance(error, V2Error):
        return error
    cls = _TRANSLATIONS.get(error.code)
    if cls is None:
        cls = _error(error.code, error.http_status, error.default_message)
    return cls(error.message)


def from_fault_rule(error: GatewayError) -> V2Error:
    """A fault rule's error (``gateway.faults.rules.injected_error``) as v2 answers it: a code of
    another API that v2 names otherwise is translated, with v2's status (``RequestThrottled``:
    ``TooManyRequests`` 429); any other code keeps the rule's code and status (its override)."""
    translated = from_gateway_error(error)
    if translated.code != error.code or translated.http_status == error.http_status:
        return translated
    return _error(error.code, error.http_status, translated.default_message)(error.message)
