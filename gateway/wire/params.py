"""Request parameters of each Off-Amazon Payments operation, one marshmallow schema each.

``data_key`` is the wire name [SRC: reference/amazon-wire.md §1.5]; Python names are snake_case.
Limits [same section]: notes 255, SellerNote 1024, SoftDescriptor 16, reference ids
``[A-Za-z0-9_-]{1,32}``, TransactionTimeout 0..1440 minutes. marshmallow's ValidationError is
translated here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from gateway.errors import InvalidParameterValue, MissingParameter

_REFERENCE_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,32}$", error="must be 1 to 32 letters, digits, '-' or '_'"
)
_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be a three-letter ISO 4217 code")
_NOTE = validate.Length(max=255)
_DESCRIPTOR = validate.Length(max=16)
_AMAZON_ID = validate.Length(min=1, max=64)


def text(key: str, *, required: bool = False, **kw: Any) -> fields.String:
    """A string parameter named ``key`` on the wire."""
    return fields.String(data_key=key, required=required, **kw)


class Params(Schema):
    """The parameters of one operation; others (auth, Action, Version ...) are ignored."""

    class Meta:
        unknown = EXCLUDE


class OrderReferenceIdParams(Params):
    amazon_order_reference_id = text("AmazonOrderReferenceId", required=True, validate=_AMAZON_ID)


class GetOrderReferenceDetailsParams(OrderReferenceIdParams):
    address_consent_token = text("AddressConsentToken")
    access_token = text("AccessToken")


class SetOrderReferenceDetailsParams(OrderReferenceIdParams):
    amount = text("OrderReferenceAttributes.OrderTotal.Amount", required=True)
    currency = text(
        "OrderReferenceAttributes.OrderTotal.CurrencyCode", required=True, validate=_CURRENCY
    )
    platform_id = text("OrderReferenceAttributes.PlatformId", validate=validate.Length(max=64))
    seller_note = text("OrderReferenceAttributes.SellerNote", validate=validate.Length(max=1024))
    seller_order_id = text(
        "OrderReferenceAttributes.SellerOrderAttributes.SellerOrderId",
        validate=validate.Length(max=128),
    )
    store_name = text(
        "OrderReferenceAttributes.SellerOrderAttributes.StoreName",
        validate=validate.Length(max=128),
    )
    custom_information = text(
        "OrderReferenceAttributes.SellerOrderAttributes.CustomInformation",
        validate=validate.Length(max=1024),
    )
    supplementary_data = text(
        "OrderReferenceAttributes.SellerOrderAttributes.SupplementaryData",
        validate=validate.Length(max=1024),
    )


class ConfirmOrderReferenceParams(OrderReferenceIdParams):
    authorization_amount = text("AuthorizationAmount.Amount")
    authorization_currency = text("AuthorizationAmount.CurrencyCode", validate=_CURRENCY)
    success_url = text("SuccessUrl")
    failure_url = text("FailureUrl")
    expect_immediate_authorization = fields.Boolean(data_key="ExpectImmediateAuthorization")


class CancelOrderReferenceParams(OrderReferenceIdParams):
    # "CancelationReason" with one "l" is Amazon's spelling (reference §1.5).
    reason = text("CancelationReason", validate=_NOTE)


class CloseOrderReferenceParams(OrderReferenceIdParams):
    reason = text("ClosureReason", validate=_NOTE)


class AuthorizeParams(OrderReferenceIdParams):
    reference_id = text("AuthorizationReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("AuthorizationAmount.Amount", required=True)
    currency = text("AuthorizationAmount.CurrencyCode", required=True, validate=_CURRENCY)
    transaction_timeout = fields.Integer(
        data_key="TransactionTimeout", load_default=1440, validate=validate.Range(0, 1440)
    )
    capture_now = fields.Boolean(data_key="CaptureNow", load_default=False)
    seller_note = text("SellerAuthorizationNote", validate=_NOTE)
    soft_descriptor = text("SoftDescriptor", validate=_DESCRIPTOR)


class AuthorizationIdParams(Params):
    amazon_authorization_id = text("AmazonAuthorizationId", required=True, validate=_AMAZON_ID)


class CloseAuthorizationParams(AuthorizationIdParams):
    reason = text("ClosureReason", validate=_NOTE)


class CaptureParams(AuthorizationIdParams):
    reference_id = text("CaptureReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("CaptureAmount.Amount", required=True)
    currency = text("CaptureAmount.CurrencyCode", required=True, validate=_CURRENCY)
    seller_note = text("SellerCaptureNote", validate=_NOTE)
    soft_descriptor = text("SoftDescriptor", validate=_DESCRIPTOR)


class CaptureIdParams(Params):
    amazon_capture_id = text("AmazonCaptureId", required=True, validate=_AMAZON_ID)


class RefundParams(CaptureIdParams):
    reference_id = text("RefundReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("RefundAmount.Amount", required=True)
    currency = text("RefundAmount.CurrencyCode", required=True, validate=_CURRENCY)
    seller_note = text("SellerRefundNote", validate=_NOTE)
    soft_descriptor = text("SoftDescriptor", validate=_DESCRIPTOR)


class RefundIdParams(Params):
    amazon_refund_id = text("AmazonRefundId", required=True, validate=_AMAZON_ID)


class NoParams(Params):
    pass


def load(schema: Schema, params: Mapping[str, str]) -> dict[str, Any]:
    """Validate ``params`` against ``schema``; the first problem becomes the wire error."""
    try:
        data: dict[str, Any] = schema.load(dict(params))
    except ValidationError as exc:
        raise _wire_error(exc, params) from None
    return data


def _wire_error(exc: ValidationError, params: Mapping[str, str]) -> Exception:
    messages: dict[str, Any] = exc.normalized_messages()  # type: ignore[no-untyped-call]
    name = sorted(messages)[0]
    problem = messages[name]
    text = "; ".join(problem) if isinstance(problem, list) else str(problem)
    if name not in params:
        return MissingParameter(f"The parameter {name} is required but was not supplied.")
    return InvalidParameterValue(f"Value {params[name]!r} for parameter {name} is invalid: {text}")
