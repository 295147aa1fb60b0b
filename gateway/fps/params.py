"""Request parameters of each FPS action, one marshmallow schema each; errors are InvalidParams.

``data_key`` is the wire name [SRC: reference/amazon-wire.md §4.3]. Limits from the same section:
TransactionId ≤ 35, CallerReference ≤ 128, CallerDescription ≤ 160, TokenId 64 characters: the
lengths of the columns that keep them (``gateway.fps.models``), which the schemas read.
Unknown parameters are ignored (FPS accepts many options this simulator does not model).
They are declared and loaded with the shared ``gateway.wire.params``, whose MissingParameter and
InvalidParameterValue are answered as FPS InvalidParams (``gateway.fps.errors``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from gateway.fps.models import FpsToken, FpsTransaction
from gateway.values import HttpUrl
from gateway.wire.params import Params, text

_CALLER_REFERENCE: dict[str, Any] = {"column": FpsTransaction.caller_reference, "min_length": 1}
_TRANSACTION_ID: dict[str, Any] = {"column": FpsTransaction.amazon_id, "min_length": 1}
_TOKEN_ID: dict[str, Any] = {"column": FpsToken.amazon_id, "min_length": 1}
_DESCRIPTION: dict[str, Any] = {"column": FpsTransaction.caller_description}
_CURRENCY = validate.Equal("USD", error="FPS supports only USD")  # reference §4.3


class TransactionIdParams(Params):
    transaction_id = text("TransactionId", required=True, **_TRANSACTION_ID)


class CancelParams(TransactionIdParams):
    description = text("Description", **_DESCRIPTION)


class PayParams(Params):
    sender_token_id = text("SenderTokenId", required=True, **_TOKEN_ID)
    amount = text("TransactionAmount.Value", required=True)
    currency = text("TransactionAmount.CurrencyCode", required=True, validate=_CURRENCY)
    caller_reference = text("CallerReference", required=True, **_CALLER_REFERENCE)
    charge_fee_to = text("ChargeFeeTo", validate=validate.OneOf(["Caller", "Recipient"]))
    caller_description = text("CallerDescription", **_DESCRIPTION)
    sender_description = text("SenderDescription", **_DESCRIPTION)
    marketplace_fixed_fee = text("MarketplaceFixedFee.Value")
    marketplace_fixed_fee_currency = text("MarketplaceFixedFee.CurrencyCode", validate=_CURRENCY)
    #: UNCONFIRMED: a percentage of the amount (0..100), as we read Amazon's Marketplace guide.
    marketplace_variable_fee = fields.Decimal(
        data_key="MarketplaceVariableFee", validate=validate.Range(0, 100), as_string=True
    )
    override_ipn_url = HttpUrl(data_key="OverrideIPNURL", column=FpsTransaction.override_ipn_url)


class RefundParams(TransactionIdParams):
    caller_reference = text("CallerReference", required=True, **_CALLER_REFERENCE)
    amount = text("RefundAmount.Value")
    currency = text("RefundAmount.CurrencyCode", validate=_CURRENCY)
    caller_description = text("CallerDescription", **_DESCRIPTION)
    marketplace_refund_policy = text(
        "MarketplaceRefundPolicy",
        validate=validate.OneOf(["MasterTxnOnly", "MarketplaceTxnOnly", "MasterAndMarketplaceTxn"]),
    )
    override_ipn_url = HttpUrl(data_key="OverrideIPNURL", column=FpsTransaction.override_ipn_url)


class CancelTokenParams(Params):
    token_id = text("TokenId", required=True, **_TOKEN_ID)
    #: Kept as the token's reason description (and its notification's).
    reason_text = text("ReasonText", column=FpsToken.reason_description)


class GetTokensParams(Params):
    token_status = text("TokenStatus", validate=validate.OneOf(["Active", "Inactive"]))
    caller_reference = text("CallerReference", **_CALLER_REFERENCE)
    friendly_name = text("TokenFriendlyName", column=FpsToken.friendly_name)


class GetTokenByCallerParams(Params):
    token_id = text("TokenId", **_TOKEN_ID)
    caller_reference = text("CallerReference", **_CALLER_REFERENCE)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        # boto's @requires(['CallerReference'], ['TokenId']): exactly one of the two.
        if ("token_id" in data) == ("caller_reference" in data):
            raise ValidationError("give exactly one of TokenId and CallerReference", "TokenId")


class VerifySignatureParams(Params):
    url_end_point = HttpUrl(data_key="UrlEndPoint", required=True)
    http_parameters = text("HttpParameters", required=True)
