"""Amazon's published request quotas of the signed-query services, as throttling tables
(``gateway.faults.throttling``), with each service's answer to a throttled request.

Off-Amazon Payments [SRC: reference/amazon-wire.md §1.10, Amazon's "Throttling limits" page]:
the calls that change something allow a burst of 10 and one more a second in production, 2 and
one every 2 s in the sandbox; the Get* calls 20 and two a second, 5 and one a second;
GetServiceStatus 2 and one every 5 minutes in both. Operations the page does not list are marked
UNCONFIRMED below, each given the figures of its kind (a change or a read).
"""

from __future__ import annotations

from gateway.errors import RequestThrottled
from gateway.faults.throttling import PRODUCTION, SANDBOX, Quota, QuotaTable, Refusal, ServiceQuotas
from gateway.fps.errors import Throttled as FpsThrottled

#: The figures of a call that changes something, and of a read, per mode (§1.10).
_CHANGE = {SANDBOX: Quota.of(2, 1, 2), PRODUCTION: Quota.of(10, 1, 1)}
_READ = {SANDBOX: Quota.of(5, 1, 1), PRODUCTION: Quota.of(20, 2, 1)}
_SERVICE_STATUS = {SANDBOX: Quota.of(2, 1, 300), PRODUCTION: Quota.of(2, 1, 300)}

#: Listed on Amazon's throttling page.
_OFFAMAZON_PUBLISHED = {
    "Authorize": _CHANGE,
    "CancelOrderReference": _CHANGE,
    "Capture": _CHANGE,
    "CloseAuthorization": _CHANGE,
    "CloseOrderReference": _CHANGE,
    "ConfirmOrderReference": _CHANGE,
    "GetAuthorizationDetails": _READ,
    "GetCaptureDetails": _READ,
    "GetOrderReferenceDetails": _READ,
    "GetRefundDetails": _READ,
    "GetServiceStatus": _SERVICE_STATUS,
    "Refund": _CHANGE,
    "SetOrderAttributes": _CHANGE,
    "SetOrderReferenceDetails": _CHANGE,
}
#: UNCONFIRMED: not on the page the reference quotes; each has the figures of its kind.
_OFFAMAZON_CHOSEN = {
    "AuthorizeOnBillingAgreement": _CHANGE,
    "CloseBillingAgreement": _CHANGE,
    "ConfirmBillingAgreement": _CHANGE,
    "CreateOrderReferenceForId": _CHANGE,
    "SetBillingAgreementDetails": _CHANGE,
    # Validate changes nothing but asks the payment method, like Authorize does: a change's.
    "ValidateBillingAgreement": _CHANGE,
    "GetBillingAgreementDetails": _READ,
    "GetMerchantAccountStatus": _READ,
    "ListOrderReference": _READ,
    "ListOrderReferenceByNextToken": _READ,
}

#: UNCONFIRMED: the reference has no FPS quotas; FPS's calls get Off-Amazon Payments' figures of
#: their kind.
_FPS_CHOSEN = {
    "Pay": _CHANGE,
    "Refund": _CHANGE,
    "Cancel": _CHANGE,
    "CancelToken": _CHANGE,
    "GetTransactionStatus": _READ,
    "GetTransaction": _READ,
    "GetTokens": _READ,
    "GetTokenByCaller": _READ,
    "VerifySignature": _READ,
}


def _tables(figures: dict[str, dict[str, Quota]]) -> dict[str, QuotaTable]:
    return {
        mode: {op: quota[mode] for op, quota in figures.items()} for mode in (SANDBOX, PRODUCTION)
    }


def _offamazon_refusal(_refusal: Refusal) -> Exception:
    # Amazon's sample answer (Java SDK fixture Throttled.xml): 503, RequestThrottled, "Request
    # is throttled", an empty Type.
    return RequestThrottled()


def _fps_refusal(_refusal: Refusal) -> Exception:
    return FpsThrottled()


OFFAMAZON_QUOTAS = ServiceQuotas(
    key="offamazon",
    tables=_tables(_OFFAMAZON_PUBLISHED | _OFFAMAZON_CHOSEN),
    refuse=_offamazon_refusal,
)
FPS_QUOTAS = ServiceQuotas(key="fps", tables=_tables(_FPS_CHOSEN), refuse=_fps_refusal)
