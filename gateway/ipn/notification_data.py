"""NotificationData of the Amazon Pay IPN types (``DATA``, rendered by ``envelope.sns_renderer``).

Roots and elements follow Amazon's sample notifications [SRC: reference/amazon-wire.md §2.3;
testdata amazon-pay-samples/ipn/*.json]: the API's Details block reduced to the elements the
samples show (plus API fields that are set, such as a seller note), with the object's status
as it was at the notified change (kept on the row). Amounts and id lists are the object's
current ones. No Flask here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from gateway.domain import agreement_payments
from gateway.domain.lifecycle import CHARGEBACK_NOTIFICATION_TYPE
from gateway.ipn.envelope import DataBuilder
from gateway.registry import Registry
from gateway.store import refunds
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    Merchant,
    Notification,
    OrderReference,
    Refund,
)
from gateway.wire import views


class NotifiedObjectMissing(LookupError):
    """The row names an object that is not there (deleted data, or another merchant's)."""


def ipn_amount(text: str) -> str:
    """``5.0``, ``0.4``, ``100.0``: IPN amounts drop trailing zeros but keep one decimal,
    unlike API answers (reference §2.3, "IPN amounts use one decimal"). UNCONFIRMED beyond
    the samples' values."""
    plain = format(Decimal(text).normalize(), "f")
    return plain if "." in plain else plain + ".0"


def _ipn_amounts(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Amount", "CurrencyCode"}:
            return {"Amount": ipn_amount(value["Amount"]), "CurrencyCode": value["CurrencyCode"]}
        return {k: _ipn_amounts(v) for k, v in value.items()}
    return value


#: ``session.info`` key of the objects ``prefetch`` loaded, by (model, merchant id, Amazon id).
PREFETCHED = "ipn.prefetched"


def prefetch(registry: Registry, session: Session, rows: Iterable[Notification]) -> None:
    """Load the notified objects of many rows with one query per kind, for ``_load``.

    Delivery renders a chunk of rows in one transaction; one query per row was most of the
    rendering's cost. The objects are kept in ``session.info``, so they live as long as that
    session's transaction.
    """
    kinds = registry.kinds
    wanted: dict[tuple[Any, int], set[str]] = {}
    for row in rows:
        kind = kinds.get(row.object_kind)
        if kind is not None:
            model = kind.model
            wanted.setdefault((model, row.merchant_id), set()).add(row.object_id)
    found: dict[tuple[Any, int, str], Any] = session.info.setdefault(PREFETCHED, {})
    for (model, merchant_id), ids in wanted.items():
        params = {"merchant_id": merchant_id, "ids": list(ids)}
        for obj in session.scalars(_objects_statement(model), params):
            found[(model, merchant_id, obj.amazon_id)] = obj


@functools.lru_cache(maxsize=32)
def _objects_statement(model: Any) -> Select[Any]:
    """A merchant's objects of ``model`` by Amazon id (bound: ``merchant_id``, ``ids``), built
    once per model: building it cost more than running it."""
    return select(model).where(
        model.merchant_id == bindparam("merchant_id"),
        model.amazon_id.in_(bindparam("ids", expanding=True)),
    )


def _load(session: Session, model: Any, row: Notification) -> Any:
    obj = session.info.get(PREFETCHED, {}).get((model, row.merchant_id, row.object_id))
    if obj is None:
        obj = session.scalar(
            select(model).where(
                model.amazon_id == row.object_id, model.merchant_id == row.merchant_id
            )
        )
    if obj is None:
        raise NotifiedObjectMissing(f"{row.object_kind} {row.object_id} not found")
    return obj


def _status(row: Notification) -> dict[str, Any]:
    return views.status(row.state, row.changed_at, row.reason_code, row.reason_description)


def _shape(details: dict[str, Any], elements: list[str], **extra: Any) -> dict[str, Any]:
    """``details`` reduced to ``elements`` in that order; empty notes left out."""
    merged = {**details, **extra}
    picked = {name: merged.get(name) for name in elements}
    shaped: dict[str, Any] = _ipn_amounts({k: (None if v == "" else v) for k, v in picked.items()})
    return shaped


# Element lists in the samples' order, API-only optional fields where the API puts them.
_ORDER_REFERENCE = [
    "AmazonOrderReferenceId",
    "OrderTotal",
    "SellerOrderAttributes",
    "OrderReferenceStatus",
    "CreationTimestamp",
    "ExpirationTimestamp",
]
_AUTHORIZATION = [
    "AmazonAuthorizationId",
    "AuthorizationReferenceId",
    "SellerAuthorizationNote",
    "AuthorizationAmount",
    "CapturedAmount",
    "AuthorizationFee",
    "IdList",
    "CreationTimestamp",
    "ExpirationTimestamp",
    "AuthorizationStatus",
    "SoftDecline",
    "OrderItemCategories",
    "CaptureNow",
    "SoftDescriptor",
]
_CAPTURE = [
    "AmazonCaptureId",
    "CaptureReferenceId",
    "SellerCaptureNote",
    "CaptureAmount",
    "RefundedAmount",
    "CaptureFee",
    "IdList",
    "CreationTimestamp",
    "CaptureStatus",
    "SoftDescriptor",
]
_REFUND = [
    "AmazonRefundId",
    "RefundReferenceId",
    "SellerRefundNote",
    "RefundType",
    "RefundAmount",
    "FeeRefunded",
    "CreationTimestamp",
    "RefundStatus",
    "SoftDescriptor",
]


def order_reference_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    oro = _load(session, OrderReference, row)
    details = views.order_reference_details(oro, _status(row))
    # The samples show an empty <SellerOrderAttributes/> when none are set.
    attributes = details["SellerOrderAttributes"] or {}
    body = _shape(details, _ORDER_REFERENCE, SellerOrderAttributes=attributes)
    return "OrderReferenceNotification", {"OrderReference": body}


def authorization_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    details = views.authorization_details(_load(session, Authorization, row), _status(row))
    # The sandbox has no item categories; the samples show the empty element.
    body = _shape(details, _AUTHORIZATION, OrderItemCategories={})
    return "AuthorizationNotification", {"AuthorizationDetails": body}


def capture_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    details = views.capture_details(_load(session, Capture, row), _status(row))
    return "CaptureNotification", {"CaptureDetails": _shape(details, _CAPTURE)}


def refund_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    details = views.refund_details(refunds.as_record(_load(session, Refund, row)), _status(row))
    return "RefundNotification", {"RefundDetails": _shape(details, _REFUND)}


#: Dispute states as ChargebackState. The sample shows only RECEIVED; the others are UNCONFIRMED.
CHARGEBACK_STATES = {"Open": "RECEIVED", "Granted": "ACCEPTED", "Denied": "CLOSED"}


def chargeback_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    """ChargebackNotification as in ChargebackNotification_Service.json (reference §2.3)."""
    dispute: Dispute = _load(session, Dispute, row)
    body = {
        "AmazonChargebackId": dispute.amazon_id,
        "AmazonOrderReferenceId": dispute.order_reference.amazon_id,
        # UNCONFIRMED: the sample's value looks like the seller's CaptureReferenceId.
        "AmazonCaptureReferenceId": dispute.capture.reference_id,
        "CreationTimestamp": dispute.created_at,
        "ChargebackAmount": _ipn_amounts(views.price(dispute.amount_minor, dispute.currency)),
        "ChargebackState": CHARGEBACK_STATES.get(row.state, row.state.upper()),
        "ChargebackReason": dispute.reason or "Generic Service Chargeback",
    }
    return "ChargebackNotification", {"ChargebackDetails": body}


def billing_agreement_data(session: Session, row: Notification) -> tuple[str, dict[str, Any]]:
    """BillingAgreementNotification as in Amazon's samples (Java IPN fixtures
    BillingAgreementNotification.json, BA_PaymentMethodUpdated.json): the seller's id inside
    SellerBillingAgreementAttributes, a status spelled ``LastUpdateTimestamp`` (the API says
    ``LastUpdatedTimestamp``), the limits as they are at the change. Its EventType is in the
    Message (``envelope.sns_notification``)."""
    agreement: BillingAgreement = _load(session, BillingAgreement, row)
    merchant_seller_id = session.get_one(Merchant, row.merchant_id).seller_id
    limits = views.billing_agreement_limits(
        agreement_payments.limits(session, agreement, row.changed_at)
    )
    attributes = views.seller_billing_agreement_attributes(agreement) or {}
    body = {
        "AmazonBillingAgreementId": agreement.amazon_id,
        "SellerBillingAgreementAttributes": {"SellerId": merchant_seller_id, **attributes},
        "BillingAgreementStatus": _status(row),
        "CreationTimestamp": agreement.created_at,
        "BillingAgreementLimits": _ipn_amounts(limits),
        "BillingAgreementConsent": agreement.consent,
    }
    return "BillingAgreementNotification", {"BillingAgreement": body}


#: Each Amazon Pay NotificationType's data (``gateway.composition`` installs their renderers).
DATA: tuple[tuple[str, DataBuilder], ...] = (
    ("OrderReferenceNotification", order_reference_data),
    ("PaymentAuthorize", authorization_data),
    ("PaymentCapture", capture_data),
    ("PaymentRefund", refund_data),
    (CHARGEBACK_NOTIFICATION_TYPE, chargeback_data),
    ("BillingAgreementNotification", billing_agreement_data),
)
