"""Client toolkit for the Amazon Pay simulator (and the real services): signed API clients,
IPN verification and an IPN receiver. Imports nothing from ``gateway`` and nothing from Flask.
"""

from clients.certs import AMAZON_SNS_HOST, CertificateStore
from clients.errors import AmazonPayError, ClientError, IpnVerificationError, MalformedResponseError
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

__all__ = [
    "AMAZON_SNS_HOST",
    "NO_RETRIES",
    "Acknowledgement",
    "Address",
    "AmazonPayError",
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
    "IpnVerificationError",
    "IpnVerifier",
    "MalformedResponseError",
    "Notification",
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
