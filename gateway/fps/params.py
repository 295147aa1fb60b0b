"""Request parameters of each FPS action, one marshmallow schema each; errors are InvalidParams.

``data_key`` is the wire name [SRC: reference/amazon-wire.md §4.3]. Limits from the same section:
TransactionId ≤ 35, CallerReference ≤ 128, CallerDescription ≤ 160, TokenId 64 characters.
Unknown parameters are ignored (FPS accepts many options this simulator does not model).
They are declared and loaded with the shared ``gateway.wire.params``, whose MissingParameter and
InvalidParameterValue are answered as FPS InvalidParams (``gateway.fps.errors``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from gateway.values import HttpUrl
from gateway.wire.params import Params, text

_CALLER_REFERENCE = validate.Length(min=1, max=128)
_TRANSACTION_ID = validate.Length(min=1, max=35)
_TOKEN_ID = validate.Length(min=1, max=64)
_DESCRIPTION = validate.Length(max=160)
_CURRENCY = validate.Equal("USD", error="FPS supports only USD")  # reference §4.3


class TransactionIdParams(Params):
    transaction_id = text("TransactionId", required=True, validate=_TRANSACTION_ID)


class CancelParams(TransactionIdParams):
    description = text("Description", validate=_DESCRIPTION)


class PayParams(Params):
    sender_token_id = text("SenderTokenId", required=True, validate=_TOKEN_ID)
    amount = text("TransactionAmount.Value", required=True)
    currency = text("TransactionAmount.CurrencyCode", required=True, validate=_CURRENCY)
    caller_reference = text("CallerReference", required=True, validate=_CALLER_REFERENCE)
    charge_fee_to = text("ChargeFeeTo", validate=validate.OneOf(["Caller", "Recipient"]))
    caller_description = text("CallerDescription", validate=_DESCRIPTION)
    sender_description = text("SenderDescription", validate=_DESCRIPTION)
    marketplace_fixed_fee = text("MarketplaceFixedFee.Value")
    marketplace_fixed_fee_currency = text("MarketplaceFixedFee.CurrencyCode", validate=_CURRENCY)
    #: UNCONFIRMED: a percentage of the amount (0..100), as we read Amazon's Marketplace guide.
    marketplace_variable_fee = fields.Decimal(
        data_key="MarketplaceVariableFee", validate=validate.Range(0, 100), as_string=True
    )
    override_ipn_url = fields.Url(data_key="OverrideIPNURL", require_tld=False)


class RefundParams(TransactionIdParams):
    caller_reference = text("CallerReference", required=True, validate=_CALLER_REFERENCE)
    amount = text("RefundAmount.Value")
    currency = text("RefundAmount.CurrencyCode", validate=_CURRENCY)
    caller_description = text("CallerDescription", validate=_DESCRIPTION)
    marketplace_refund_policy = text(
        "MarketplaceRefundPolicy",
        validate=validate.OneOf(["MasterTxnOnly", "MarketplaceTxnOnly", "MasterAndMarketplaceTxn"]),
    )
    override_ipn_url = fields.Url(data_key="OverrideIPNURL", require_tld=False)


class CancelTokenParams(Params):
    token_id = text("TokenId", required=True, validate=_TOKEN_ID)
    reason_text = text("ReasonText", validate=validate.Length(max=1024))


class GetTokensParams(Params):
    token_status = text("TokenStatus", validate=validate.OneOf(["Active", "Inactive"]))
    caller_reference = text("CallerReference", validate=_CALLER_REFERENCE)
    friendly_name = text("TokenFriendlyName")


class GetTokenByCallerParams(Params):
    token_id = text("TokenId", validate=_TOKEN_ID)
    caller_reference = text("CallerReference", validate=_CALLER_REFERENCE)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        # boto's @requires(['CallerReference'], ['TokenId']): exactly one of the two.
        if ("token_id" in data) == ("caller_reference" in data):
            raise ValidationError("give exactly one of TokenId and CallerReference", "TokenId")


class VerifySignatureParams(Params):
    url_end_point = HttpUrl(data_key="UrlEndPoint", required=True)
    http_parameters = text("HttpParameters", required=True)
