"""The JSON objects of Amazon Pay API v2, as ``TypedDict`` s: the client's answers are the decoded
JSON itself (plain dicts, every field Amazon sends kept), typed for editors and mypy.

Field names and nesting: reference/amazon-pay-v2.md §2 [SRC: the .NET SDK's WebStore/* types;
developer.amazon.com/docs/amazon-pay-api-v2/{checkout-session,charge-permission,charge,refund}.html].
``total=False``: Amazon omits or nulls fields by state, so every key is optional.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Price(TypedDict, total=False):
    """An amount: a string with the currency's decimals, and an ISO 4217 code."""

    amount: str
    currencyCode: str


class StatusDetails(TypedDict, total=False):
    """An object's state and why it is in it."""

    state: str
    reasonCode: str | None
    reasonDescription: str | None
    lastUpdatedTimestamp: str


class MerchantMetadata(TypedDict, total=False):
    merchantReferenceId: str | None
    merchantStoreName: str | None
    noteToBuyer: str | None
    customInformation: str | None


class Address(TypedDict, total=False):
    name: str | None
    addressLine1: str | None
    addressLine2: str | None
    addressLine3: str | None
    city: str | None
    county: str | None
    district: str | None
    stateOrRegion: str | None
    postalCode: str | None
    countryCode: str | None
    phoneNumber: str | None


class Buyer(TypedDict, total=False):
    """Get Buyer's answer, and the ``buyer`` of a checkout session or charge permission."""

    buyerId: str
    name: str | None
    email: str | None
    phoneNumber: str | None
    primeMembershipTypes: list[str] | None
    shippingAddress: Address | None
    billingAddress: Address | None


class WebCheckoutDetails(TypedDict, total=False):
    checkoutReviewReturnUrl: str | None
    checkoutResultReturnUrl: str | None
    amazonPayRedirectUrl: str | None
    checkoutMode: str | None


class PaymentDetails(TypedDict, total=False):
    paymentIntent: str | None
    canHandlePendingAuthorization: bool
    chargeAmount: Price | None
    totalOrderAmount: Price | None
    softDescriptor: str | None
    presentmentCurrency: str | None
    allowOvercharge: bool | None
    extendExpiration: bool | None


class Constraint(TypedDict, total=False):
    constraintId: str
    description: str


class CheckoutSession(TypedDict, total=False):
    checkoutSessionId: str
    webCheckoutDetails: WebCheckoutDetails
    productType: str | None
    paymentDetails: PaymentDetails
    merchantMetadata: MerchantMetadata
    buyer: Buyer | None
    shippingAddress: Address | None
    billingAddress: Address | None
    paymentPreferences: list[dict[str, Any]] | None
    statusDetails: StatusDetails
    constraints: list[Constraint]
    chargePermissionId: str | None
    chargeId: str | None
    chargePermissionType: str | None
    creationTimestamp: str
    expirationTimestamp: str | None
    storeId: str | None
    releaseEnvironment: str


class Limits(TypedDict, total=False):
    amountLimit: Price
    amountBalance: Price


class ChargePermission(TypedDict, total=False):
    chargePermissionId: str
    chargePermissionReferenceId: str | None
    chargePermissionType: str
    buyer: Buyer | None
    shippingAddress: Address | None
    billingAddress: Address | None
    paymentPreferences: list[dict[str, Any]] | None
    statusDetails: StatusDetails
    limits: Limits
    merchantMetadata: MerchantMetadata
    platformId: str | None
    creationTimestamp: str
    expirationTimestamp: str | None
    presentmentCurrency: str | None
    releaseEnvironment: str


class Charge(TypedDict, total=False):
    chargeId: str
    chargePermissionId: str
    chargeAmount: Price
    captureAmount: Price | None
    refundedAmount: Price | None
    convertedAmount: str | None
    conversionRate: str | None
    softDescriptor: str | None
    merchantMetadata: MerchantMetadata | None
    providerMetadata: dict[str, Any] | None
    channel: str | None
    chargeInitiator: str | None
    statusDetails: StatusDetails
    creationTimestamp: str
    expirationTimestamp: str | None
    releaseEnvironment: str


class Refund(TypedDict, total=False):
    refundId: str
    chargeId: str
    refundAmount: Price
    softDescriptor: str | None
    statusDetails: StatusDetails
    creationTimestamp: str
    releaseEnvironment: str
