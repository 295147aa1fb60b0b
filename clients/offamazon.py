"""A typed client for the Off-Amazon Payments API 2013-01-01 (one method per operation).

Wire contract: reference/amazon-wire.md §1.1 (one POST endpoint, form body), §1.2 (SigV2 with
the Host header as sent, HmacSHA256 by default), §1.5 (parameter names, including the
single-"l" ``CancelationReason``), §1.6 (answers). Answers become frozen dataclasses from
:mod:`clients.responses`; error answers raise :class:`clients.errors.AmazonPayError`.
Imports neither ``gateway`` nor Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import requests

from clients import _xml
from clients._xml import Element
from clients.params import Amount, flag, format_amount, optional
from clients.responses import (
    Acknowledgement,
    AuthorizationDetails,
    CaptureDetails,
    OrderReferenceDetails,
    RefundDetails,
    ServiceStatus,
    parse_authorization_details,
    parse_capture_details,
    parse_order_reference_details,
    parse_refund_details,
    parse_service_status,
)
from clients.transport import (
    ClientBase,
    Clock,
    RetryPolicy,
    SignedTransport,
)

#: The API version every request names (§1.1).
API_VERSION = "2013-01-01"
#: Paths of the sandbox and live endpoints (§1.1).
SANDBOX_PATH = "/OffAmazonPayments_Sandbox/2013-01-01"
LIVE_PATH = "/OffAmazonPayments/2013-01-01"

T = TypeVar("T")


class OffAmazonPaymentsClient(ClientBase):
    """Signed client for one seller against one endpoint URL.

    :param endpoint_url: the full API URL, e.g.
        ``http://127.0.0.1:8080/OffAmazonPayments_Sandbox/2013-01-01``.
    :param signature_method: ``HmacSHA256`` (default) or ``HmacSHA1`` (§1.2).
    :param retries: retry policy for 500/503 answers (the sleep function is injectable).
    :param clock: source of "now" for the ``Timestamp`` parameter.
    """

    def __init__(
        self,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        seller_id: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 10,
        retries: RetryPolicy | None = None,
        clock: Clock | None = None,
        signature_method: str = "HmacSHA256",
        mws_auth_token: str | None = None,
    ) -> None:
        self.seller_id = seller_id
        self._mws_auth_token = mws_auth_token
        super().__init__(
            SignedTransport(
                endpoint_url,
                access_key,
                secret_key,
                method="POST",
                session=session,
                timeout=timeout,
                retries=retries or RetryPolicy(),
                clock=clock,
                signature_method=signature_method,
            )
        )

    @property
    def endpoint_url(self) -> str:
        """The URL every request is POSTed to."""
        return self._transport.endpoint_url

    # --- generic ------------------------------------------------------------------------------

    def _base_params(self, action: str) -> dict[str, str]:
        base = {"Action": action, "SellerId": self.seller_id, "Version": API_VERSION}
        if self._mws_auth_token:
            base["MWSAuthToken"] = self._mws_auth_token
        return base

    def _details(
        self,
        action: str,
        params: Mapping[str, str],
        element: str,
        parse: Callable[[Element, str | None], T],
    ) -> T:
        """``parse`` of the Details ``element`` inside the answer's Result."""
        return self._result(
            action, params, lambda result, rid: parse(_xml.require(result, element), rid)
        )

    # --- order references ----------------------------------------------------------------------

    def get_order_reference_details(
        self,
        amazon_order_reference_id: str,
        *,
        address_consent_token: str | None = None,
        access_token: str | None = None,
    ) -> OrderReferenceDetails:
        """``GetOrderReferenceDetails``."""
        params = {"AmazonOrderReferenceId": amazon_order_reference_id} | optional(
            AddressConsentToken=address_consent_token, AccessToken=access_token
        )
        return self._details(
            "GetOrderReferenceDetails",
            params,
            "OrderReferenceDetails",
            parse_order_reference_details,
        )

    def set_order_reference_details(
        self,
        amazon_order_reference_id: str,
        amount: Amount,
        currency_code: str,
        *,
        platform_id: str | None = None,
        seller_note: str | None = None,
        seller_order_id: str | None = None,
        store_name: str | None = None,
        custom_information: str | None = None,
        supplementary_data: str | None = None,
    ) -> OrderReferenceDetails:
        """``SetOrderReferenceDetails`` (sandbox simulations go in ``seller_note``, §1.8)."""
        prefix = "OrderReferenceAttributes."
        sellers = prefix + "SellerOrderAttributes."
        params = {
            "AmazonOrderReferenceId": amazon_order_reference_id,
            prefix + "OrderTotal.Amount": format_amount(amount),
            prefix + "OrderTotal.CurrencyCode": currency_code,
        } | optional(
            **{
                prefix + "PlatformId": platform_id,
                prefix + "SellerNote": seller_note,
                sellers + "SellerOrderId": seller_order_id,
                sellers + "StoreName": store_name,
                sellers + "CustomInformation": custom_information,
                sellers + "SupplementaryData": supplementary_data,
            }
        )
        return self._details(
            "SetOrderReferenceDetails",
            params,
            "OrderReferenceDetails",
            parse_order_reference_details,
        )

    def confirm_order_reference(
        self,
        amazon_order_reference_id: str,
        *,
        success_url: str | None = None,
        failure_url: str | None = None,
        authorization_amount: Amount | None = None,
        currency_code: str | None = None,
        expect_immediate_authorization: bool | None = None,
    ) -> Acknowledgement:
        """``ConfirmOrderReference`` (answers with ResponseMetadata only, §1.6)."""
        amount = None if authorization_amount is None else format_amount(authorization_amount)
        params = {"AmazonOrderReferenceId": amazon_order_reference_id} | optional(
            SuccessUrl=success_url,
            FailureUrl=failure_url,
            **{
                "AuthorizationAmount.Amount": amount,
                "AuthorizationAmount.CurrencyCode": currency_code if amount else None,
            },
            ExpectImmediateAuthorization=flag(expect_immediate_authorization),
        )
        return self._acknowledged("ConfirmOrderReference", params)

    def cancel_order_reference(
        self, amazon_order_reference_id: str, *, cancelation_reason: str | None = None
    ) -> Acknowledgement:
        """``CancelOrderReference`` (the wire spells ``CancelationReason`` with one "l", §1.5)."""
        params = {"AmazonOrderReferenceId": amazon_order_reference_id} | optional(
            CancelationReason=cancelation_reason
        )
        return self._acknowledged("CancelOrderReference", params)

    def close_order_reference(
        self, amazon_order_reference_id: str, *, closure_reason: str | None = None
    ) -> Acknowledgement:
        """``CloseOrderReference``."""
        params = {"AmazonOrderReferenceId": amazon_order_reference_id} | optional(
            ClosureReason=closure_reason
        )
        return self._acknowledged("CloseOrderReference", params)

    # --- authorizations ------------------------------------------------------------------------

    def authorize(
        self,
        amazon_order_reference_id: str,
        authorization_reference_id: str,
        amount: Amount,
        currency_code: str,
        *,
        transaction_timeout: int = 1440,
        capture_now: bool = False,
        seller_authorization_note: str | None = None,
        soft_descriptor: str | None = None,
    ) -> AuthorizationDetails:
        """``Authorize``; ``transaction_timeout=0`` asks for a synchronous answer (§1.7)."""
        params = {
            "AmazonOrderReferenceId": amazon_order_reference_id,
            "AuthorizationReferenceId": authorization_reference_id,
            "AuthorizationAmount.Amount": format_amount(amount),
            "AuthorizationAmount.CurrencyCode": currency_code,
            "TransactionTimeout": str(transaction_timeout),
            "CaptureNow": "true" if capture_now else "false",  # always sent (§1.5)
        } | optional(
            SellerAuthorizationNote=seller_authorization_note, SoftDescriptor=soft_descriptor
        )
        return self._details(
            "Authorize", params, "AuthorizationDetails", parse_authorization_details
        )

    def get_authorization_details(self, amazon_authorization_id: str) -> AuthorizationDetails:
        """``GetAuthorizationDetails``."""
        return self._details(
            "GetAuthorizationDetails",
            {"AmazonAuthorizationId": amazon_authorization_id},
            "AuthorizationDetails",
            parse_authorization_details,
        )

    def close_authorization(
        self, amazon_authorization_id: str, *, closure_reason: str | None = None
    ) -> Acknowledgement:
        """``CloseAuthorization``."""
        params = {"AmazonAuthorizationId": amazon_authorization_id} | optional(
            ClosureReason=closure_reason
        )
        return self._acknowledged("CloseAuthorization", params)

    # --- captures and refunds ------------------------------------------------------------------

    def capture(
        self,
        amazon_authorization_id: str,
        capture_reference_id: str,
        amount: Amount,
        currency_code: str,
        *,
        seller_capture_note: str | None = None,
        soft_descriptor: str | None = None,
    ) -> CaptureDetails:
        """``Capture``."""
        params = {
            "AmazonAuthorizationId": amazon_authorization_id,
            "CaptureReferenceId": capture_reference_id,
            "CaptureAmount.Amount": format_amount(amount),
            "CaptureAmount.CurrencyCode": currency_code,
        } | optional(SellerCaptureNote=seller_capture_note, SoftDescriptor=soft_descriptor)
        return self._details("Capture", params, "CaptureDetails", parse_capture_details)

    def get_capture_details(self, amazon_capture_id: str) -> CaptureDetails:
        """``GetCaptureDetails``."""
        return self._details(
            "GetCaptureDetails",
            {"AmazonCaptureId": amazon_capture_id},
            "CaptureDetails",
            parse_capture_details,
        )

    def refund(
        self,
        amazon_capture_id: str,
        refund_reference_id: str,
        amount: Amount,
        currency_code: str,
        *,
        seller_refund_note: str | None = None,
        soft_descriptor: str | None = None,
    ) -> RefundDetails:
        """``Refund`` (always answers ``Pending``; the outcome arrives later, §1.7)."""
        params = {
            "AmazonCaptureId": amazon_capture_id,
            "RefundReferenceId": refund_reference_id,
            "RefundAmount.Amount": format_amount(amount),
            "RefundAmount.CurrencyCode": currency_code,
        } | optional(SellerRefundNote=seller_refund_note, SoftDescriptor=soft_descriptor)
        return self._details("Refund", params, "RefundDetails", parse_refund_details)

    def get_refund_details(self, amazon_refund_id: str) -> RefundDetails:
        """``GetRefundDetails``."""
        return self._details(
            "GetRefundDetails",
            {"AmazonRefundId": amazon_refund_id},
            "RefundDetails",
            parse_refund_details,
        )

    def get_service_status(self) -> ServiceStatus:
        """``GetServiceStatus``."""
        return self._result("GetServiceStatus", {}, parse_service_status)
