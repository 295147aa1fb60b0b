"""Client toolkit for the Amazon Pay simulator (and the real services): signed API clients,
IPN verification and an IPN receiver. Imports nothing from ``gateway`` and nothing from Flask.

The names below are imported on first access, each from its own module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clients.amazon_pay_v2.client import AmazonPayV2Client
    from clients.amazon_pay_v2.ipn import AnyIpnVerifier, IpnV2Verifier, NotificationV2
    from clients.certs import AMAZON_SNS_HOST, CertificateStore
    from clients.errors import (
        AmazonPayError,
        AmazonPayV2Error,
        ClientError,
        IpnVerificationError,
        MalformedResponseError,
    )
    from clients.fps import FpsClient
    from clients.fps_ipn import FpsIpnVerifier, FpsNotification
    from clients.fps_responses import (
        FpsAmount,
        FpsToken,
        FpsTransaction,
        FpsTransactionResult,
        FpsTransactionStatus,
        SignatureVerification,
    )
    from clients.ipn import IpnVerifier
    from clients.notifications import ChargebackDetails, Notification, parse_notification
    from clients.offamazon import OffAmazonPaymentsClient
    from clients.receiver import IpnReceiver, ReceiverServer
    from clients.responses import (
        Acknowledgement,
        Address,
        AuthorizationDetails,
        Buyer,
        CaptureDetails,
        Constraint,
        OrderReferenceDetails,
        Price,
        RefundDetails,
        SellerOrderAttributes,
        ServiceStatus,
        Status,
    )
    from clients.transport import NO_RETRIES, RetryPolicy

#: Where each exported name lives; imported on first use (PEP 562), so that code that needs
#: one part (``clients.sigv2`` in the simulator's own processes) does not load all the others
#: (requests, cryptography, the receiver's HTTP server ...).
_EXPORTS: dict[str, str] = {
    "AmazonPayV2Client": "clients.amazon_pay_v2.client",
    "AnyIpnVerifier": "clients.amazon_pay_v2.ipn",
    "IpnV2Verifier": "clients.amazon_pay_v2.ipn",
    "NotificationV2": "clients.amazon_pay_v2.ipn",
    "AMAZON_SNS_HOST": "clients.certs",
    "CertificateStore": "clients.certs",
    "AmazonPayError": "clients.errors",
    "AmazonPayV2Error": "clients.errors",
    "ClientError": "clients.errors",
    "IpnVerificationError": "clients.errors",
    "MalformedResponseError": "clients.errors",
    "FpsClient": "clients.fps",
    "FpsIpnVerifier": "clients.fps_ipn",
    "FpsNotification": "clients.fps_ipn",
    "FpsAmount": "clients.fps_responses",
    "FpsToken": "clients.fps_responses",
    "FpsTransaction": "clients.fps_responses",
    "FpsTransactionResult": "clients.fps_responses",
    "FpsTransactionStatus": "clients.fps_responses",
    "SignatureVerification": "clients.fps_responses",
    "IpnVerifier": "clients.ipn",
    "ChargebackDetails": "clients.notifications",
    "Notification": "clients.notifications",
    "parse_notification": "clients.notifications",
    "OffAmazonPaymentsClient": "clients.offamazon",
    "IpnReceiver": "clients.receiver",
    "ReceiverServer": "clients.receiver",
    "Acknowledgement": "clients.responses",
    "Address": "clients.responses",
    "AuthorizationDetails": "clients.responses",
    "Buyer": "clients.responses",
    "CaptureDetails": "clients.responses",
    "Constraint": "clients.responses",
    "OrderReferenceDetails": "clients.responses",
    "Price": "clients.responses",
    "RefundDetails": "clients.responses",
    "SellerOrderAttributes": "clients.responses",
    "ServiceStatus": "clients.responses",
    "Status": "clients.responses",
    "NO_RETRIES": "clients.transport",
    "RetryPolicy": "clients.transport",
}

__all__ = [
    "AMAZON_SNS_HOST",
    "NO_RETRIES",
    "Acknowledgement",
    "Address",
    "AmazonPayError",
    "AmazonPayV2Client",
    "AmazonPayV2Error",
    "AnyIpnVerifier",
    "AuthorizationDetails",
    "Buyer",
    "CaptureDetails",
    "CertificateStore",
    "ChargebackDetails",
    "ClientError",
    "Constraint",
    "FpsAmount",
    "FpsClient",
    "FpsIpnVerifier",
    "FpsNotification",
    "FpsToken",
    "FpsTransaction",
    "FpsTransactionResult",
    "FpsTransactionStatus",
    "IpnReceiver",
    "IpnV2Verifier",
    "IpnVerificationError",
    "IpnVerifier",
    "MalformedResponseError",
    "Notification",
    "NotificationV2",
    "OffAmazonPaymentsClient",
    "OrderReferenceDetails",
    "Price",
    "ReceiverServer",
    "RefundDetails",
    "RetryPolicy",
    "SellerOrderAttributes",
    "ServiceStatus",
    "SignatureVerification",
    "Status",
    "parse_notification",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
