"""Stored objects as Amazon's Details blocks (wire names, schema order). Used by API answers and IPNs.

Element names and order [SRC: reference/amazon-wire.md §1.6, from the Java SDK's JAXB propOrder].
A status can be passed in to render an object as it was at a notified change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.domain import billing_agreements
from gateway.domain.agreement_payments import Limits
from gateway.domain.money import format_amount
from gateway.domain.order_references import CONSTRAINT_DESCRIPTIONS, constraints
from gateway.domain.records import RefundRecord
from gateway.domain.states import BillingAgreementState as B
from gateway.domain.states import OrderReferenceState as O
from gateway.store.models import Authorization, BillingAgreement, Capture, OrderReference


def price(minor: int, currency: str) -> dict[str, str]:
    return {"Amount": format_amount(minor, currency), "CurrencyCode": currency}


def status(
    state: str, last_update: datetime, reason_code: str | None, reason_description: str | None
) -> dict[str, Any]:
    return {
        "State": state,
        "LastUpdateTimestamp": last_update,
        "ReasonCode": reason_code,
        "ReasonDescription": reason_description,
    }


def object_status(obj: Any) -> dict[str, Any]:
    return status(obj.state, obj.last_update, obj.reason_code, obj.reason_description)


def id_list(ids: list[str]) -> dict[str, Any]:
    """``<IdList><member>…</member></IdList>``, or an empty ``<IdList/>`` (reference §1.3)."""
    return {"member": ids} if ids else {}


def _fee(currency: str) -> dict[str, str]:
    # The sandbox charges no fees; Amazon shows 0.00 (reference §1.3, fixtures).
    return price(0, currency)


def order_reference_details(
    oro: OrderReference, status_block: dict[str, Any] | None = None
) -> dict[str, Any]:
    confirmed = oro.state != O.DRAFT
    total = _order_total(oro)
    found = constraints(oro) if oro.state == O.DRAFT else []
    return {
        "AmazonOrderReferenceId": oro.amazon_id,
        # The buyer is disclosed only after confirmation (reference §1.6).
        "Buyer": _buyer(oro.buyer) if confirmed and oro.buyer else None,
        "OrderTotal": total,
        "SellerNote": oro.seller_note,
        "PlatformId": oro.platform_id,
        "Destination": _destination(oro.destination, full=confirmed),
        "PaymentDescriptor": _payment_descriptor(oro.payment_method),
        "ReleaseEnvironment": "Sandbox",
        "SellerOrderAttributes": _seller_order_attributes(oro),
        "OrderReferenceStatus": status_block or object_status(oro),
        "Constraints": (
            {
                "Constraint": [
                    {"ConstraintID": c, "Description": CONSTRAINT_DESCRIPTIONS.get(c, c)}
                    for c in found
                ]
            }
            if found
            else None
        ),
        "CreationTimestamp": oro.created_at,
        "ExpirationTimestamp": oro.expires_at,
        "ParentDetails": _parent_details(oro),
        "IdList": id_list([a.amazon_id for a in oro.authorizations])
        if oro.authorizations
        else None,
        "RequestPaymentAuthorization": oro.request_payment_authorization,
        "PaymentServiceProviderAttributes": _payment_service_provider(oro),
    }


def _parent_details(oro: OrderReference) -> dict[str, Any] | None:
    """The billing agreement an order reference was made on (Java fixture
    SetOrderAttributesResponse.xml: ``<ParentDetails><Type>BillingAgreement</Type><Id>``)."""
    agreement = oro.billing_agreement if oro.billing_agreement_id is not None else None
    return None if agreement is None else {"Id": agreement.amazon_id, "Type": "BillingAgreement"}


def _payment_service_provider(oro: OrderReference) -> dict[str, Any] | None:
    attributes = {
        "PaymentServiceProviderId": oro.payment_service_provider_id,
        "PaymentServiceProviderOrderId": oro.payment_service_provider_order_id,
    }
    return attributes if any(v is not None for v in attributes.values()) else None


def order_reference_summary(oro: OrderReference) -> dict[str, Any]:
    """An ``OrderReferenceList/OrderReference`` of ListOrderReference (Java ``OrderReference``
    propOrder; fixture ListOrderReferenceResponse.xml)."""
    return {
        "ReleaseEnvironment": "Sandbox",
        "OrderReferenceStatus": object_status(oro),
        "AmazonOrderReferenceId": oro.amazon_id,
        "CreationTimestamp": oro.created_at,
        "SellerOrderAttributes": _seller_order_attributes(oro),
        "OrderTotal": _order_total(oro),
        "SellerNote": oro.seller_note,
    }


def _order_total(oro: OrderReference) -> dict[str, str] | None:
    if oro.amount_minor is None or not oro.currency:
        return None
    return {"CurrencyCode": oro.currency, "Amount": format_amount(oro.amount_minor, oro.currency)}


def _buyer(buyer: dict[str, Any]) -> dict[str, Any]:
    return {"Name": buyer.get("name"), "Email": buyer.get("email"), "Phone": buyer.get("phone")}


_ADDRESS_FIELDS = [
    ("Name", "name"),
    ("AddressLine1", "address_line1"),
    ("AddressLine2", "address_line2"),
    ("AddressLine3", "address_line3"),
    ("City", "city"),
    ("County", "county"),
    ("District", "district"),
    ("StateOrRegion", "state_or_region"),
    ("PostalCode", "postal_code"),
    ("CountryCode", "country_code"),
    ("Phone", "phone"),
]
#: Before confirmation Amazon shows only these parts of the address (reference §1.6).
_PRE_CONFIRM_FIELDS = {"City", "StateOrRegion", "PostalCode", "CountryCode"}


def _destination(destination: dict[str, Any] | None, *, full: bool) -> dict[str, Any] | None:
    if destination is None:
        return None
    physical = {
        wire: destination.get(key)
        for wire, key in _ADDRESS_FIELDS
        if full or wire in _PRE_CONFIRM_FIELDS
    }
    return {"DestinationType": "Physical", "PhysicalDestination": physical}


def _payment_descriptor(method: dict[str, Any] | None) -> dict[str, Any] | None:
    if method is None:
        return None
    name, tail = method.get("name", "Visa"), method.get("account_number_tail", "11")
    return {
        "Name": name,
        "AccountNumberTail": tail,
        "FullDescriptor": f"Amazon Pay ({name} **{tail})",
        "UseAmazonBalanceFirst": bool(method.get("use_amazon_balance_first", False)),
    }


def _seller_order_attributes(oro: OrderReference) -> dict[str, Any] | None:
    categories = oro.order_item_categories
    attributes = {
        "SellerOrderId": oro.seller_order_id,
        "StoreName": oro.store_name,
        "SupplementaryData": oro.supplementary_data,
        "OrderItemCategories": {"OrderItemCategory": list(categories)} if categories else None,
        "CustomInformation": oro.custom_information,
    }
    return attributes if any(v is not None for v in attributes.values()) else None


def authorization_details(
    auth: Authorization, status_block: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "AmazonAuthorizationId": auth.amazon_id,
        "AuthorizationReferenceId": auth.reference_id,
        "SellerAuthorizationNote": auth.seller_note or "",
        "AuthorizationAmount": price(auth.amount_minor, auth.currency),
        "CapturedAmount": price(auth.captured_minor, auth.currency),
        "AuthorizationFee": _fee(auth.currency),
        "IdList": id_list([c.amazon_id for c in auth.captures]),
        "CreationTimestamp": auth.created_at,
        "ExpirationTimestamp": auth.expires_at,
        "AuthorizationStatus": status_block or object_status(auth),
        "CaptureNow": auth.capture_now,
        "SoftDescriptor": auth.soft_descriptor,
        "SoftDecline": auth.soft_decline if auth.reason_code == "InvalidPaymentMethod" else None,
    }


def capture_details(cap: Capture, status_block: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "AmazonCaptureId": cap.amazon_id,
        "CaptureReferenceId": cap.reference_id,
        "SellerCaptureNote": cap.seller_note or "",
        "CaptureAmount": price(cap.amount_minor, cap.currency),
        "RefundedAmount": price(cap.refunded_minor, cap.currency),
        "CaptureFee": _fee(cap.currency),
        "IdList": id_list([r.amazon_id for r in cap.refunds]),
        "CreationTimestamp": cap.created_at,
        "CaptureStatus": status_block or object_status(cap),
        "SoftDescriptor": cap.soft_descriptor,
    }


def refund_details(ref: RefundRecord, status_block: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "AmazonRefundId": ref.amazon_id,
        "RefundReferenceId": ref.reference_id,
        "SellerRefundNote": ref.seller_note or "",
        "RefundType": ref.refund_type,
        "RefundAmount": price(ref.amount_minor, ref.currency),
        "FeeRefunded": price(ref.fee_refunded_minor, ref.currency),
        "CreationTimestamp": ref.created_at,
        "RefundStatus": status_block or object_status(ref),
        "SoftDescriptor": ref.soft_descriptor,
    }


# --- billing agreements ---------------------------------------------------------------------------


def billing_agreement_status(
    state: str, last_update: datetime, reason_code: str | None, reason_description: str | None
) -> dict[str, Any]:
    """``BillingAgreementStatus``: its time is ``LastUpdatedTimestamp`` in API answers (Java
    ``BillingAgreementStatus``; C# fixture ValidateBillingAgreementResponse.xml), unlike the
    other objects' ``LastUpdateTimestamp``. The agreement's IPN sample spells it like the
    others (``gateway.ipn.notification_data``)."""
    return {
        "State": state,
        "LastUpdatedTimestamp": last_update,
        "ReasonCode": reason_code,
        "ReasonDescription": reason_description,
    }


def billing_agreement_limits(limits: Limits) -> dict[str, Any]:
    return {
        "AmountLimitPerTimePeriod": price(limits.per_period_minor, limits.currency),
        "TimePeriodStartDate": limits.period_start,
        "TimePeriodEndDate": limits.period_end,
        "CurrentRemainingBalance": price(limits.remaining_minor, limits.currency),
    }


def seller_billing_agreement_attributes(agreement: BillingAgreement) -> dict[str, Any] | None:
    attributes = {
        "SellerBillingAgreementId": agreement.seller_billing_agreement_id,
        "StoreName": agreement.store_name,
        "CustomInformation": agreement.custom_information,
    }
    return attributes if any(v is not None for v in attributes.values()) else None


def billing_agreement_details(agreement: BillingAgreement, limits: Limits) -> dict[str, Any]:
    """``BillingAgreementDetails`` in the Java SDK's propOrder (C# fixture
    BillingAgreementDetailsResponse.xml; Java GetBillingAgreementDetailsWithSCAResponse.xml)."""
    confirmed = agreement.state != B.DRAFT
    found = billing_agreements.constraints(agreement)
    return {
        "AmazonBillingAgreementId": agreement.amazon_id,
        "BillingAgreementLimits": billing_agreement_limits(limits),
        # As for an order reference: the buyer and the full address only once confirmed.
        "Buyer": _buyer(agreement.buyer) if confirmed and agreement.buyer else None,
        "SellerNote": agreement.seller_note,
        "PlatformId": agreement.platform_id,
        "Destination": _destination(agreement.destination, full=confirmed),
        "ReleaseEnvironment": "Sandbox",
        "SellerBillingAgreementAttributes": seller_billing_agreement_attributes(agreement),
        "BillingAgreementStatus": billing_agreement_status(
            agreement.state,
            agreement.last_update,
            agreement.reason_code,
            agreement.reason_description,
        ),
        "Constraints": (
            {
                "Constraint": [
                    {
                        "ConstraintID": c,
                        "Description": billing_agreements.constraint_description(c),
                    }
                    for c in found
                ]
            }
            if found
            else None
        ),
        "CreationTimestamp": agreement.created_at,
        "BillingAgreementConsent": agreement.consent,
    }
