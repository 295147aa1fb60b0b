"""The request bodies of the v2 operations of ``gateway.v2.handlers``, as marshmallow schemas.

Field names are Amazon's (camelCase) [SRC: developer.amazon.com/docs/amazon-pay-api-v2/
{checkout-session,charge-permission,charge,refund}.html]; the edge loads each body with its
operation's schema, so an unknown field answers UnrecognizedField and a missing one
MissingParameterValue. Optional fields may be null (the SDKs' users often send null). Lengths
are Amazon's documented maxima where it gives one. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from gateway.v2.checkout_sessions import PAYMENT_INTENTS
from gateway.v2.models import V2CheckoutSession
from gateway.values import HttpUrl, Text


def _optional(field: fields.Field[Any]) -> fields.Field[Any]:
    field.allow_none = True
    field.required = False
    return field


class PriceSchema(Schema):
    amount = Text(required=True, max_length=32)
    currencyCode = Text(required=True, validate=validate.Length(equal=3))


class MerchantMetadataSchema(Schema):
    merchantReferenceId = _optional(Text(max_length=256))
    merchantStoreName = _optional(Text(max_length=50))
    noteToBuyer = _optional(Text(max_length=255))
    customInformation = _optional(Text(max_length=4096))


class ProviderMetadataSchema(Schema):
    providerReferenceId = _optional(Text(max_length=256))


class WebCheckoutDetailsSchema(Schema):
    checkoutReviewReturnUrl = _optional(HttpUrl(max_length=1024))
    checkoutResultReturnUrl = _optional(HttpUrl(max_length=1024))
    checkoutCancelUrl = _optional(HttpUrl(max_length=1024))
    checkoutMode = _optional(Text(validate=validate.OneOf(["ProcessOrder"])))


class PaymentDetailsSchema(Schema):
    paymentIntent = _optional(Text(validate=validate.OneOf(PAYMENT_INTENTS)))
    canHandlePendingAuthorization = _optional(fields.Boolean())
    chargeAmount = _optional(fields.Nested(PriceSchema))
    softDescriptor = _optional(Text(max_length=16))
    presentmentCurrency = _optional(Text(validate=validate.Length(equal=3)))


class _SessionFields(Schema):
    paymentDetails = _optional(fields.Nested(PaymentDetailsSchema))
    merchantMetadata = _optional(fields.Nested(MerchantMetadataSchema))
    platformId = _optional(Text(max_length=64))
    providerMetadata = _optional(fields.Nested(ProviderMetadataSchema))


class CreateCheckoutSessionSchema(_SessionFields):
    webCheckoutDetails = fields.Nested(WebCheckoutDetailsSchema, required=True)
    storeId = Text(required=True, column=V2CheckoutSession.store_id, min_length=1)
    chargePermissionType = _optional(Text(max_length=32))
    #: The buyer details the merchant asks for (UNCONFIRMED effect: every detail is shown).
    scopes = _optional(fields.List(Text(max_length=64)))


class UpdateCheckoutSessionSchema(_SessionFields):
    webCheckoutDetails = _optional(fields.Nested(WebCheckoutDetailsSchema))


class CompleteCheckoutSessionSchema(Schema):
    chargeAmount = fields.Nested(PriceSchema, required=True)
    totalOrderAmount = _optional(fields.Nested(PriceSchema))


class UpdateChargePermissionSchema(Schema):
    merchantMetadata = _optional(fields.Nested(MerchantMetadataSchema))


class CloseChargePermissionSchema(Schema):
    closureReason = _optional(Text(max_length=255))
    cancelPendingCharges = _optional(fields.Boolean())


class CreateChargeSchema(Schema):
    chargePermissionId = Text(required=True, max_length=32)
    chargeAmount = fields.Nested(PriceSchema, required=True)
    captureNow = _optional(fields.Boolean())
    softDescriptor = _optional(Text(max_length=16))
    canHandlePendingAuthorization = _optional(fields.Boolean())
    merchantMetadata = _optional(fields.Nested(MerchantMetadataSchema))
    providerMetadata = _optional(fields.Nested(ProviderMetadataSchema))
    platformId = _optional(Text(max_length=64))


class UpdateChargeSchema(Schema):
    merchantMetadata = _optional(fields.Nested(MerchantMetadataSchema))


class CaptureChargeSchema(Schema):
    captureAmount = fields.Nested(PriceSchema, required=True)
    softDescriptor = _optional(Text(max_length=16))


class CancelChargeSchema(Schema):
    cancellationReason = _optional(Text(max_length=255))


class CreateRefundSchema(Schema):
    chargeId = Text(required=True, max_length=48)
    refundAmount = fields.Nested(PriceSchema, required=True)
    softDescriptor = _optional(Text(max_length=16))


def body_of(loaded: Mapping[str, Any]) -> dict[str, Any]:
    """A loaded body without the nulls (an absent field and a null one mean the same)."""
    return {k: _without_nulls(v) for k, v in loaded.items() if v is not None}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return body_of(value)
    return value
