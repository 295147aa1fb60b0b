"""The error hierarchy of the emulated APIs. No Flask here.

Every error the emulated Off-Amazon Payments endpoint can answer is a ``GatewayError`` subclass named
after its wire code [SRC: reference/amazon-wire.md §1.9]. One function
(``gateway.wire.render.render_error``) renders them as ``ErrorResponse`` XML; FPS translates them
to its own codes (``gateway.fps.errors``); the JSON control API answers them as JSON
(``gateway.api.sandbox.json_error``).

HTTP statuses marked ✓ in the reference are Amazon's; the others are UNCONFIRMED there and were
chosen here (each such choice is marked ``# choice`` below).
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    """An error answer of an emulated API: wire ``code``, ``message``, HTTP status, fault type."""

    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 500
    fault: ClassVar[str] = "Sender"
    default_message: ClassVar[str] = "An internal error occurred."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


# --- transport and authentication (MWS common errors, reference §1.9 first table) ---------------


class InvalidAccessKeyId(GatewayError):
    code, http_status = "InvalidAccessKeyId", 403
    default_message = "The AWS Access Key Id you provided does not exist in our records."


class SignatureDoesNotMatch(GatewayError):
    code, http_status = "SignatureDoesNotMatch", 403
    #: The string to sign the server computed (kept by the request journal).
    string_to_sign: str | None = None
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )


class RequestExpired(GatewayError):
    # choice: 400 (reference §1.2: UNCONFIRMED; the Product Advertising API answers 400).
    code, http_status = "RequestExpired", 400
    default_message = "Request has expired."


class AccessDenied(GatewayError):
    code, http_status = "AccessDenied", 401
    default_message = "Access denied."


class UnauthorizedAccess(GatewayError):
    # choice: 401 (UNCONFIRMED). Used when SellerId does not belong to the signing access key.
    code, http_status = "UnauthorizedAccess", 401
    default_message = "Unauthorized access."


class InvalidParameterValue(GatewayError):
    code, http_status = "InvalidParameterValue", 400
    default_message = "A parameter has an invalid value."


class MissingParameter(GatewayError):
    # choice: MWS documents no MissingParameter; we answer it (400) for an absent required
    # parameter because it tells the SDK author exactly what is wrong (reference §1.9 note).
    code, http_status = "MissingParameter", 400
    default_message = "A required parameter is missing."


class InvalidAddress(GatewayError):
    # Amazon Pay's error table lists InvalidAddress as 400 ✓ (MWS says 404).
    code, http_status = "InvalidAddress", 400
    default_message = "The operation or version in the request is not valid."


class RequestThrottled(GatewayError):
    # Amazon's sample (Java SDK fixture Throttled.xml) has an empty Type.
    code, http_status, fault = "RequestThrottled", 503, ""
    default_message = "Request is throttled"


class InternalServerError(GatewayError):
    code, http_status, fault = "InternalServerError", 500, "Receiver"


# --- Amazon Pay business errors (reference §1.9 second table) -----------------------------------


class InvalidOrderReferenceId(GatewayError):
    code, http_status = "InvalidOrderReferenceId", 404  # choice: 404 (UNCONFIRMED)
    default_message = "The specified order reference identifier is invalid."


class InvalidTransactionId(GatewayError):
    code, http_status = "InvalidTransactionId", 404  # choice: 404 (UNCONFIRMED)
    default_message = "The specified transaction identifier is invalid."


class OrderReferenceNotModifiable(GatewayError):
    code, http_status = "OrderReferenceNotModifiable", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The order reference cannot be modified in its current state."


class InvalidOrderReferenceStatus(GatewayError):
    code, http_status = "InvalidOrderReferenceStatus", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The operation is not allowed in the current state of the order reference."


class InvalidAuthorizationStatus(GatewayError):
    code, http_status = "InvalidAuthorizationStatus", 405  # ✓
    default_message = "The operation is not allowed in the current state of the authorization."


class CaptureNotRefundable(GatewayError):
    code, http_status = "CaptureNotRefundable", 405  # ✓
    default_message = "The capture is not refundable in its current state."


class ConstraintsExist(GatewayError):
    code, http_status = "ConstraintsExist", 400  # ✓ (EU page)
    default_message = "The order reference has constraints and cannot be confirmed."


class CurrencyMismatch(GatewayError):
    code, http_status = "CurrencyMismatch", 400  # ✓
    default_message = "The currency does not match the currency of the order reference."


class CurrencyUnsupported(GatewayError):
    code, http_status = "CurrencyUnsupported", 400  # ✓
    default_message = "The currency is not supported."


class DuplicateReferenceId(GatewayError):
    code, http_status = "DuplicateReferenceId", 400  # ✓
    default_message = "The reference id has already been used by another request."


class DuplicateRequest(GatewayError):
    code, http_status = "DuplicateRequest", 400  # ✓
    default_message = "The reference id was already used by a request with other parameters."


class TransactionAmountExceeded(GatewayError):
    code, http_status = "TransactionAmountExceeded", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The amount exceeds the allowed maximum."


class TransactionCountExceeded(GatewayError):
    code, http_status = "TransactionCountExceeded", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The maximum number of transactions has been reached."


class InvalidSandboxSimulationSpecified(GatewayError):
    code, http_status = "InvalidSandboxSimulationSpecified", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The sandbox simulation specified is not valid."


# --- billing agreements (reference §1.9; Amazon Pay error-codes page) ---------------------------


class InvalidBillingAgreementId(GatewayError):
    code, http_status = "InvalidBillingAgreementId", 404  # choice: 404 (UNCONFIRMED)
    default_message = "The specified billing agreement identifier is invalid."


class InvalidBillingAgreementStatus(GatewayError):
    # choice: 405 like the other *Status errors (UNCONFIRMED).
    code, http_status = "InvalidBillingAgreementStatus", 405
    default_message = "The operation is not allowed in the current state of the billing agreement."


class BillingAgreementConstraintsExist(GatewayError):
    code, http_status = "BillingAgreementConstraintsExist", 400  # ✓
    default_message = "The billing agreement has constraints and cannot be confirmed."


class BillingAgreementNotModifiable(GatewayError):
    code, http_status = "BillingAgreementNotModifiable", 405  # ✓
    default_message = "The billing agreement is confirmed and cannot be modified."


class PeriodicAmountExceeded(GatewayError):
    code, http_status = "PeriodicAmountExceeded", 400  # choice: 400 (UNCONFIRMED)
    default_message = "The amount exceeds what the billing agreement allows in this time period."


class InvalidStateTransition(Exception):
    """A programming error: a transition that the object's table does not allow.

    Not a wire error: operations check states first and raise the wire error Amazon documents;
    reaching this means an operation forgot to.
    """


class InvalidDisputeStatus(GatewayError):
    """Sandbox-only: resolving a dispute that is already resolved."""

    code, http_status = "InvalidDisputeStatus", 409
    default_message = "The dispute is not open."


class NothingToDispute(GatewayError):
    """Sandbox-only: a dispute needs a charge (a Completed or Closed capture) to dispute."""

    code, http_status = "NothingToDispute", 409
    default_message = "The order reference has no completed capture to dispute."


# --- sandbox-only: order administration (gateway.domain.administration) ------------------------


class OrderDeleting(GatewayError):
    """The order is being deleted: only the refunds it waits for may still be made."""

    code, http_status = "OrderDeleting", 409
    default_message = "The order is being deleted."


class OrderAlreadyCanceled(GatewayError):
    code, http_status = "OrderAlreadyCanceled", 409
    default_message = "The order is canceled already."


class CapturePending(GatewayError):
    """Money still on its way: a Pending capture can be neither refunded nor released."""

    code, http_status = "CapturePending", 409
    default_message = "A capture of the order is Pending."


class DisputeOpen(GatewayError):
    code, http_status = "DisputeOpen", 409
    default_message = "The order has an open dispute; resolve it first."


class NothingToCapture(GatewayError):
    code, http_status = "NothingToCapture", 409
    default_message = "The order has no open authorization to capture."


class NothingToRefund(GatewayError):
    code, http_status = "NothingToRefund", 409
    default_message = "The order has no completed capture with a refundable amount."


class UnknownLineItem(GatewayError):
    code, http_status = "UnknownLineItem", 400
    default_message = "The order has no such line item."
