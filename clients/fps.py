"""A typed client for Amazon FPS (``GET /?Action=…``), Version 2010-08-28 or 2008-09-17.

Wire contract: reference/amazon-wire.md §4.1 (path ``/``, ``Version``), §4.2 (SigV2 by
default; SigV1 for old integrations), §4.3 (operations and answers), §4.4 (errors raise
:class:`clients.errors.AmazonPayError` with ``type=None``), §4.6 (VerifySignature). Unlike
boto 2.49, every method works on Python 3 (§3.3). No ``gateway`` or Flask imports.
"""

from __future__ import annotations

from typing import TypeVar

import requests

from clients import _xml
from clients.fps_responses import (
    FpsToken,
    FpsTransaction,
    FpsTransactionResult,
    FpsTransactionStatus,
    SignatureVerification,
    parse_token,
    parse_tokens,
    parse_transaction,
    parse_transaction_result,
    parse_transaction_status,
    parse_verification,
)
from clients.params import Amount, format_amount, optional
from clients.responses import Acknowledgement
from clients.transport import (
    ClientBase,
    Clock,
    RetryPolicy,
    SignedTransport,
)

#: FPS API versions the client can name (§4.1); boto's default is the first.
VERSIONS = ("2010-08-28", "2008-09-17")
#: The public sandbox endpoint (§4.1).
SANDBOX_URL = "https://fps.sandbox.amazonaws.com/"

T = TypeVar("T")


class FpsClient(ClientBase):
    """Signed FPS client.

    :param endpoint_url: e.g. ``http://127.0.0.1:8080/`` (the path is normally ``/``).
    :param version: ``2010-08-28`` (default) or ``2008-09-17``.
    :param signature_version: ``"2"`` (default, HmacSHA256 unless ``signature_method`` says
        ``HmacSHA1``) or ``"1"`` (HMAC-SHA1 over the concatenated parameters, §4.2).
    """

    def __init__(
        self,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        *,
        version: str = VERSIONS[0],
        signature_version: str = "2",
        signature_method: str = "HmacSHA256",
        session: requests.Session | None = None,
        timeout: float = 10,
        retries: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"unsupported FPS version {version!r}; use one of {VERSIONS}")
        self.version = version
        super().__init__(
            SignedTransport(
                endpoint_url,
                access_key,
                secret_key,
                method="GET",
                session=session,
                timeout=timeout,
                retries=retries or RetryPolicy(),
                clock=clock,
                signature_version=signature_version,
                signature_method=signature_method,
            )
        )

    def _base_params(self, action: str) -> dict[str, str]:
        return {"Action": action, "Version": self.version}

    # --- transactions ---------------------------------------------------------------------------

    def pay(
        self,
        sender_token_id: str,
        amount: Amount,
        caller_reference: str,
        *,
        currency_code: str = "USD",
        recipient_token_id: str | None = None,
        charge_fee_to: str | None = None,
        caller_description: str | None = None,
        sender_description: str | None = None,
        transaction_timeout_in_mins: int | None = None,
        override_ipn_url: str | None = None,
    ) -> FpsTransactionResult:
        """``Pay``."""
        params = {
            "SenderTokenId": sender_token_id,
            "TransactionAmount.Value": format_amount(amount),
            "TransactionAmount.CurrencyCode": currency_code,
            "CallerReference": caller_reference,
        } | optional(
            RecipientTokenId=recipient_token_id,
            ChargeFeeTo=charge_fee_to,
            CallerDescription=caller_description,
            SenderDescription=sender_description,
            TransactionTimeoutInMins=(
                None if transaction_timeout_in_mins is None else str(transaction_timeout_in_mins)
            ),
            OverrideIPNURL=override_ipn_url,
        )
        return self._result("Pay", params, parse_transaction_result)

    def refund(
        self,
        transaction_id: str,
        caller_reference: str,
        *,
        amount: Amount | None = None,
        currency_code: str = "USD",
        caller_description: str | None = None,
        marketplace_refund_policy: str | None = None,
        override_ipn_url: str | None = None,
    ) -> FpsTransactionResult:
        """``Refund``; without ``amount`` FPS refunds the remaining amount (§4.3)."""
        refund_amount = None if amount is None else format_amount(amount)
        params = {"TransactionId": transaction_id, "CallerReference": caller_reference} | optional(
            CallerDescription=caller_description,
            MarketplaceRefundPolicy=marketplace_refund_policy,
            OverrideIPNURL=override_ipn_url,
            **{
                "RefundAmount.Value": refund_amount,
                "RefundAmount.CurrencyCode": currency_code if refund_amount else None,
            },
        )
        return self._result("Refund", params, parse_transaction_result)

    def cancel(
        self, transaction_id: str, *, description: str | None = None
    ) -> FpsTransactionResult:
        """``Cancel`` (a pending transaction)."""
        params = {"TransactionId": transaction_id} | optional(Description=description)
        return self._result("Cancel", params, parse_transaction_result)

    def get_transaction_status(self, transaction_id: str) -> FpsTransactionStatus:
        """``GetTransactionStatus``."""
        return self._result(
            "GetTransactionStatus", {"TransactionId": transaction_id}, parse_transaction_status
        )

    def get_transaction(self, transaction_id: str) -> FpsTransaction:
        """``GetTransaction``."""
        return self._result("GetTransaction", {"TransactionId": transaction_id}, parse_transaction)

    # --- tokens ---------------------------------------------------------------------------------

    def cancel_token(self, token_id: str, *, reason_text: str | None = None) -> Acknowledgement:
        """``CancelToken`` (answers with ResponseMetadata only, §4.3)."""
        params = {"TokenId": token_id} | optional(ReasonText=reason_text)
        return self._acknowledged("CancelToken", params)

    def get_tokens(
        self,
        *,
        token_status: str | None = None,
        token_type: str | None = None,
        caller_reference: str | None = None,
    ) -> tuple[FpsToken, ...]:
        """``GetTokens`` with optional filters."""
        params = optional(
            TokenStatus=token_status, TokenType=token_type, CallerReference=caller_reference
        )
        return self._result("GetTokens", params, lambda result, _rid: parse_tokens(result))

    def get_token_by_caller(
        self, *, token_id: str | None = None, caller_reference: str | None = None
    ) -> FpsToken:
        """``GetTokenByCaller``: exactly one of ``token_id`` / ``caller_reference``."""
        if (token_id is None) == (caller_reference is None):
            raise ValueError("pass exactly one of token_id and caller_reference")
        params = optional(TokenId=token_id, CallerReference=caller_reference)
        return self._result(
            "GetTokenByCaller",
            params,
            lambda result, _rid: parse_token(_xml.require(result, "Token")),
        )

    # --- IPN ------------------------------------------------------------------------------------

    def verify_signature(self, url_end_point: str, http_parameters: str) -> SignatureVerification:
        """``VerifySignature``: ask FPS whether an IPN/return URL signature is genuine (§4.6).

        :param url_end_point: the URL the IPN was POSTed to.
        :param http_parameters: the raw (form-encoded) POST body as received.
        """
        params = {"UrlEndPoint": url_end_point, "HttpParameters": http_parameters}
        return self._result("VerifySignature", params, parse_verification)
