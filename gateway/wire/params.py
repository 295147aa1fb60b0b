"""Request parameters of each Off-Amazon Payments operation, one marshmallow schema each, and
the one place parameters are checked and loaded (for FPS too).

``data_key`` is the wire name [SRC: reference/amazon-wire.md §1.5]; Python names are snake_case.
Limits [same section]: notes 255, SellerNote 1024, SoftDescriptor 16, reference ids
``[A-Za-z0-9_-]{1,32}``, TransactionTimeout 0..1440 minutes; a value kept in a column of its own
is no longer than the column (``gateway.values.Text``). marshmallow's ValidationError is
translated here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from gateway.domain.order_lists import MAX_PAGE_SIZE
from gateway.domain.states import OrderReferenceState
from gateway.errors import InvalidParameterValue, MissingParameter
from gateway.store.models import BillingAgreement, OrderReference
from gateway.values import Text, first_unreadable

_REFERENCE_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,32}\Z", error="must be 1 to 32 letters, digits, '-' or '_'"
)
_CURRENCY = validate.Regexp(r"^[A-Z]{3}\Z", error="must be a three-letter ISO 4217 code")
_NOTE = 255
_SELLER_NOTE = 1024
_DESCRIPTOR = 16
_AMAZON_ID = validate.Length(min=1, max=64)


def text(key: str, *, required: bool = False, **kw: Any) -> Text:
    """A string parameter named ``key`` on the wire (``gateway.values.Text``: ``column`` or
    ``max_length`` bound its length)."""
    return Text(data_key=key, required=required, **kw)


class Params(Schema):
    """The parameters of one operation; others (auth, Action, Version ...) are ignored."""

    class Meta:
        unknown = EXCLUDE


class OrderReferenceIdParams(Params):
    amazon_order_reference_id = text("AmazonOrderReferenceId", required=True, validate=_AMAZON_ID)


class GetOrderReferenceDetailsParams(OrderReferenceIdParams):
    address_consent_token = text("AddressConsentToken")
    access_token = text("AccessToken")


class OrderReferenceAttributesParams(Params):
    """``OrderReferenceAttributes``: of SetOrderReferenceDetails, and of the order reference
    CreateOrderReferenceForId makes."""

    amount = text("OrderReferenceAttributes.OrderTotal.Amount", required=True)
    currency = text(
        "OrderReferenceAttributes.OrderTotal.CurrencyCode", required=True, validate=_CURRENCY
    )
    platform_id = text("OrderReferenceAttributes.PlatformId", column=OrderReference.platform_id)
    seller_note = text("OrderReferenceAttributes.SellerNote", max_length=_SELLER_NOTE)
    seller_order_id = text(
        "OrderReferenceAttributes.SellerOrderAttributes.SellerOrderId",
        column=OrderReference.seller_order_id,
    )
    store_name = text(
        "OrderReferenceAttributes.SellerOrderAttributes.StoreName",
        column=OrderReference.store_name,
    )
    custom_information = text(
        "OrderReferenceAttributes.SellerOrderAttributes.CustomInformation",
        max_length=_SELLER_NOTE,
    )


class SetOrderReferenceDetailsParams(OrderReferenceIdParams, OrderReferenceAttributesParams):
    supplementary_data = text(
        "OrderReferenceAttributes.SellerOrderAttributes.SupplementaryData",
        max_length=_SELLER_NOTE,
    )


class ConfirmOrderReferenceParams(OrderReferenceIdParams):
    authorization_amount = text("AuthorizationAmount.Amount")
    authorization_currency = text("AuthorizationAmount.CurrencyCode", validate=_CURRENCY)
    success_url = text("SuccessUrl")
    failure_url = text("FailureUrl")
    expect_immediate_authorization = fields.Boolean(data_key="ExpectImmediateAuthorization")


class CancelOrderReferenceParams(OrderReferenceIdParams):
    # "CancelationReason" with one "l" is Amazon's spelling (reference §1.5).
    reason = text("CancelationReason", max_length=_NOTE)


class CloseOrderReferenceParams(OrderReferenceIdParams):
    reason = text("ClosureReason", max_length=_NOTE)


class AuthorizeParams(OrderReferenceIdParams):
    reference_id = text("AuthorizationReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("AuthorizationAmount.Amount", required=True)
    currency = text("AuthorizationAmount.CurrencyCode", required=True, validate=_CURRENCY)
    transaction_timeout = fields.Integer(
        data_key="TransactionTimeout", load_default=1440, validate=validate.Range(0, 1440)
    )
    capture_now = fields.Boolean(data_key="CaptureNow", load_default=False)
    seller_note = text("SellerAuthorizationNote", max_length=_NOTE)
    soft_descriptor = text("SoftDescriptor", max_length=_DESCRIPTOR)


class AuthorizationIdParams(Params):
    amazon_authorization_id = text("AmazonAuthorizationId", required=True, validate=_AMAZON_ID)


class CloseAuthorizationParams(AuthorizationIdParams):
    reason = text("ClosureReason", max_length=_NOTE)


class CaptureParams(AuthorizationIdParams):
    reference_id = text("CaptureReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("CaptureAmount.Amount", required=True)
    currency = text("CaptureAmount.CurrencyCode", required=True, validate=_CURRENCY)
    seller_note = text("SellerCaptureNote", max_length=_NOTE)
    soft_descriptor = text("SoftDescriptor", max_length=_DESCRIPTOR)


class CaptureIdParams(Params):
    amazon_capture_id = text("AmazonCaptureId", required=True, validate=_AMAZON_ID)


class RefundParams(CaptureIdParams):
    reference_id = text("RefundReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("RefundAmount.Amount", required=True)
    currency = text("RefundAmount.CurrencyCode", required=True, validate=_CURRENCY)
    seller_note = text("SellerRefundNote", max_length=_NOTE)
    soft_descriptor = text("SoftDescriptor", max_length=_DESCRIPTOR)


class RefundIdParams(Params):
    amazon_refund_id = text("AmazonRefundId", required=True, validate=_AMAZON_ID)


class NoParams(Params):
    pass


# --- billing agreements, SetOrderAttributes, ListOrderReference ---------------------------------
# Wire names as amazon_pay 2.7.1 sends them (client.py); lengths from the columns that keep the
# values, or Amazon's where it documents one (ClosureReason of an agreement: 1024).


def enumerated(data: Mapping[str, Any], prefix: str, item: fields.Field[Any]) -> list[Any]:
    """The values of ``prefix.1``, ``prefix.2`` ... in order, each checked by ``item``: how the
    official SDK sends a list (``AmazonPayClient._enumerate``). A bad member is reported under
    its own wire name."""
    numbered = []
    for key in data:
        if key.startswith(prefix):
            suffix = key[len(prefix) :]
            if not (suffix.isascii() and suffix.isdigit() and int(suffix) >= 1):
                raise ValidationError({key: ["is not a numbered member (.1, .2, ...)"]})
            numbered.append((int(suffix), key))
    values = []
    for _, key in sorted(numbered):
        try:
            values.append(item.deserialize(data[key]))
        except ValidationError as exc:
            raise ValidationError({key: exc.messages}) from None
    return values


class BillingAgreementIdParams(Params):
    amazon_billing_agreement_id = text(
        "AmazonBillingAgreementId", required=True, validate=_AMAZON_ID
    )


class GetBillingAgreementDetailsParams(BillingAgreementIdParams):
    address_consent_token = text("AddressConsentToken")


class SetBillingAgreementDetailsParams(BillingAgreementIdParams):
    platform_id = text("BillingAgreementAttributes.PlatformId", column=BillingAgreement.platform_id)
    seller_note = text("BillingAgreementAttributes.SellerNote", max_length=_SELLER_NOTE)
    seller_billing_agreement_id = text(
        "BillingAgreementAttributes.SellerBillingAgreementAttributes.SellerBillingAgreementId",
        column=BillingAgreement.seller_billing_agreement_id,
    )
    store_name = text(
        "BillingAgreementAttributes.SellerBillingAgreementAttributes.StoreName",
        column=BillingAgreement.store_name,
    )
    custom_information = text(
        "BillingAgreementAttributes.SellerBillingAgreementAttributes.CustomInformation",
        max_length=_SELLER_NOTE,
    )


class CloseBillingAgreementParams(BillingAgreementIdParams):
    # 1024 for an agreement [SRC: Amazon Pay API reference, CloseBillingAgreement].
    reason = text("ClosureReason", max_length=1024)


class AuthorizeOnBillingAgreementParams(BillingAgreementIdParams):
    reference_id = text("AuthorizationReferenceId", required=True, validate=_REFERENCE_ID)
    amount = text("AuthorizationAmount.Amount", required=True, max_length=32)
    currency = text("AuthorizationAmount.CurrencyCode", required=True, validate=_CURRENCY)
    transaction_timeout = fields.Integer(
        data_key="TransactionTimeout", load_default=1440, validate=validate.Range(0, 1440)
    )
    capture_now = fields.Boolean(data_key="CaptureNow", load_default=False)
    seller_authorization_note = text("SellerAuthorizationNote", max_length=_NOTE)
    soft_descriptor = text("SoftDescriptor", max_length=_DESCRIPTOR)
    seller_note = text("SellerNote", max_length=_SELLER_NOTE)
    platform_id = text("PlatformId", column=OrderReference.platform_id)
    inherit_shipping_address = fields.Boolean(data_key="InheritShippingAddress", load_default=True)
    seller_order_id = text(
        "SellerOrderAttributes.SellerOrderId", column=OrderReference.seller_order_id
    )
    store_name = text("SellerOrderAttributes.StoreName", column=OrderReference.store_name)
    custom_information = text("SellerOrderAttributes.CustomInformation", max_length=_SELLER_NOTE)
    supplementary_data = text("SellerOrderAttributes.SupplementaryData", max_length=_SELLER_NOTE)


class CreateOrderReferenceForIdParams(OrderReferenceAttributesParams):
    object_id = text("Id", required=True, validate=_AMAZON_ID)
    object_id_type = text("IdType", required=True, max_length=32)
    inherit_shipping_address = fields.Boolean(data_key="InheritShippingAddress", load_default=True)
    confirm_now = fields.Boolean(data_key="ConfirmNow", load_default=False)
    # The SDK sends it here, not under SellerOrderAttributes as SetOrderReferenceDetails does.
    supplementary_data = text("OrderReferenceAttributes.SupplementaryData", max_length=_SELLER_NOTE)


#: OrderAttributes.SellerOrderAttributes.OrderItemCategories.OrderItemCategory.N
_ITEM_CATEGORY = "OrderAttributes.SellerOrderAttributes.OrderItemCategories.OrderItemCategory."
#: Where the collected list is kept while loading (no wire parameter has this name).
_ITEM_CATEGORIES = "OrderAttributes.SellerOrderAttributes.OrderItemCategories"


class SetOrderAttributesParams(OrderReferenceIdParams):
    amount = text("OrderAttributes.OrderTotal.Amount", max_length=32)
    currency = text("OrderAttributes.OrderTotal.CurrencyCode", validate=_CURRENCY)
    seller_note = text("OrderAttributes.SellerNote", max_length=_SELLER_NOTE)
    platform_id = text("OrderAttributes.PlatformId", column=OrderReference.platform_id)
    request_payment_authorization = fields.Boolean(
        data_key="OrderAttributes.RequestPaymentAuthorization"
    )
    seller_order_id = text(
        "OrderAttributes.SellerOrderAttributes.SellerOrderId", column=OrderReference.seller_order_id
    )
    store_name = text(
        "OrderAttributes.SellerOrderAttributes.StoreName", column=OrderReference.store_name
    )
    custom_information = text(
        "OrderAttributes.SellerOrderAttributes.CustomInformation", max_length=_SELLER_NOTE
    )
    supplementary_data = text(
        "OrderAttributes.SellerOrderAttributes.SupplementaryData", max_length=_SELLER_NOTE
    )
    payment_service_provider_id = text(
        "OrderAttributes.PaymentServiceProviderAttributes.PaymentServiceProviderId",
        column=OrderReference.payment_service_provider_id,
    )
    payment_service_provider_order_id = text(
        "OrderAttributes.PaymentServiceProviderAttributes.PaymentServiceProviderOrderId",
        column=OrderReference.payment_service_provider_order_id,
    )
    order_item_categories = fields.List(fields.String(), data_key=_ITEM_CATEGORIES)

    @pre_load
    def _categories(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        # UNCONFIRMED: Amazon's length limit of a category; 64 characters here.
        found = enumerated(data, _ITEM_CATEGORY, Text(max_length=64))
        loaded = {k: v for k, v in data.items() if k != _ITEM_CATEGORIES}
        return {**loaded, _ITEM_CATEGORIES: found} if found else loaded


_STATUS_FILTER = "OrderReferenceStatusListFilter.OrderReferenceStatus."
_STATUS_FILTERS = "OrderReferenceStatusListFilter"


class ListOrderReferenceParams(Params):
    query_id = text("QueryId", required=True, column=OrderReference.seller_order_id)
    query_id_type = text("QueryIdType", required=True, max_length=32)
    payment_domain = text("PaymentDomain", required=True, max_length=16)
    start_time = text("CreatedTimeRange.StartTime", max_length=64)
    end_time = text("CreatedTimeRange.EndTime", max_length=64)
    sort_order = text("SortOrder", max_length=16)
    page_size = fields.Integer(data_key="PageSize", validate=validate.Range(1, MAX_PAGE_SIZE))
    states = fields.List(fields.String(), data_key=_STATUS_FILTERS)

    @pre_load
    def _states(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        state = Text(validate=validate.OneOf([s.value for s in OrderReferenceState]))
        found = enumerated(data, _STATUS_FILTER, state)
        loaded = {k: v for k, v in data.items() if k != _STATUS_FILTERS}
        return {**loaded, _STATUS_FILTERS: found} if found else loaded


class NextPageTokenParams(Params):
    next_page_token = text("NextPageToken", required=True, max_length=4096)


def refuse_unreadable(params: Mapping[str, str]) -> None:
    """InvalidParameterValue naming the first parameter whose name or value holds a control
    character. Run on every parameter of a request before anything reads one: the access key is
    looked up in the database (PostgreSQL refuses NUL in a query) and answers echo values (XML
    cannot carry C0 controls). ``load`` then checks each declared value again, as the control
    API's bodies are checked."""
    problem = first_unreadable(params)
    if problem is not None:
        name, message = problem
        raise InvalidParameterValue(
            f"Value {_shown(params[name])} for parameter {name!r} is invalid: {message}"
        )


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
    return InvalidParameterValue(
        f"Value {_shown(params[name])} for parameter {name} is invalid: {text}"
    )


#: The most characters of a refused value an error message repeats.
_SHOWN = 64


def _shown(value: str) -> str:
    """``value`` as an error message quotes it: its start only when it is long (a refused value
    may be megabytes)."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}... ({len(value)} characters)"
