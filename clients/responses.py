"""Off-Amazon Payments XML → frozen dataclasses, and error answers → :class:`AmazonPayError`.

Shapes follow reference/amazon-wire.md §1.3 (envelope, Price, IdList of ``<member>``) and §1.6
(per-operation Details). Element order is not significant (the samples disagree), so fields are
found by local name. The same Details parsers serve IPN NotificationData (§2.3), whose amounts
use one decimal (``1.0``) and whose namespace differs. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from clients import _xml
from clients._xml import Element
from clients.errors import AmazonPayError


@dataclass(frozen=True)
class Price:
    """``<X><Amount/><CurrencyCode/></X>`` (§1.3)."""

    amount: Decimal
    currency_code: str


@dataclass(frozen=True)
class Status:
    """AuthorizationStatus / CaptureStatus / RefundStatus / OrderReferenceStatus (§1.6 Status)."""

    state: str
    last_update: datetime | None = None
    reason_code: str | None = None
    reason_description: str | None = None


@dataclass(frozen=True)
class AuthorizationDetails:
    """``AuthorizationDetails`` (§1.6). ``id_list`` holds the capture ids."""

    amazon_authorization_id: str
    authorization_reference_id: str | None
    seller_authorization_note: str | None
    authorization_amount: Price | None
    captured_amount: Price | None
    authorization_fee: Price | None
    id_list: tuple[str, ...]
    creation_timestamp: datetime | None
    expiration_timestamp: datetime | None
    status: Status
    capture_now: bool | None
    soft_descriptor: str | None
    soft_decline: bool | None
    #: ``ResponseMetadata/RequestId`` when the details came from an API answer, else None.
    request_id: str | None = None


@dataclass(frozen=True)
class CaptureDetails:
    """``CaptureDetails`` (§1.6). ``id_list`` holds the refund ids."""

    amazon_capture_id: str
    capture_reference_id: str | None
    seller_capture_note: str | None
    capture_amount: Price | None
    refunded_amount: Price | None
    capture_fee: Price | None
    id_list: tuple[str, ...]
    creation_timestamp: datetime | None
    status: Status
    soft_descriptor: str | None
    request_id: str | None = None


@dataclass(frozen=True)
class RefundDetails:
    """``RefundDetails`` (§1.6)."""

    amazon_refund_id: str
    refund_reference_id: str | None
    seller_refund_note: str | None
    refund_type: str | None
    refund_amount: Price | None
    fee_refunded: Price | None
    creation_timestamp: datetime | None
    status: Status
    soft_descriptor: str | None
    request_id: str | None = None


@dataclass(frozen=True)
class Address:
    """``PhysicalDestination`` / ``BillingAddress`` (only the fields Amazon returned are set)."""

    name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    city: str | None = None
    state_or_region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Buyer:
    """``Buyer`` (returned only after confirmation, §1.6)."""

    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class SellerOrderAttributes:
    """``SellerOrderAttributes`` (§1.6)."""

    seller_order_id: str | None = None
    store_name: str | None = None
    custom_information: str | None = None
    supplementary_data: str | None = None


@dataclass(frozen=True)
class Constraint:
    """``Constraints/Constraint`` (e.g. ``PaymentPlanNotSet``, ``PaymentMethodNotAllowed``)."""

    constraint_id: str
    description: str | None


@dataclass(frozen=True)
class OrderReferenceDetails:
    """``OrderReferenceDetails`` (API) or ``OrderReference`` (IPN); ``id_list``: auth ids."""

    amazon_order_reference_id: str
    order_total: Price | None
    seller_note: str | None
    platform_id: str | None
    release_environment: str | None
    seller_order_attributes: SellerOrderAttributes | None
    status: Status
    constraints: tuple[Constraint, ...]
    creation_timestamp: datetime | None
    expiration_timestamp: datetime | None
    id_list: tuple[str, ...]
    buyer: Buyer | None
    destination: Address | None
    request_id: str | None = None


@dataclass(frozen=True)
class ServiceStatus:
    """``GetServiceStatusResult`` (§1.6): ``GREEN``, ``GREEN_I``, ``YELLOW`` or ``RED``."""

    status: str
    timestamp: datetime | None
    message_id: str | None
    messages: tuple[tuple[str, str], ...]
    request_id: str | None = None


@dataclass(frozen=True)
class Acknowledgement:
    """The answer of operations that return only ``ResponseMetadata`` (Confirm, Cancel, Close…)."""

    request_id: str | None


# --- element parsers (shared with the IPN parser) ---------------------------------------------


def parse_price(element: Element | None) -> Price | None:
    """A Price element, or None when absent or without an Amount."""
    amount = _xml.decimal(_xml.text(element, "Amount"))
    if element is None or amount is None:
        return None
    return Price(amount=amount, currency_code=_xml.text(element, "CurrencyCode") or "")


def parse_status(element: Element | None) -> Status | None:
    """A Status element, or None when absent."""
    if element is None:
        return None
    return Status(
        state=_xml.text(element, "State") or "",
        last_update=_xml.timestamp(_xml.text(element, "LastUpdateTimestamp")),
        reason_code=_xml.text(element, "ReasonCode") or None,
        reason_description=_xml.text(element, "ReasonDescription") or None,
    )


def _required_status(element: Element, name: str) -> Status:
    status = parse_status(_xml.child(element, name))
    if status is None:
        raise _xml.XmlError(f"{_xml.local(element.tag)} has no {name}")
    return status


def parse_id_list(element: Element | None) -> tuple[str, ...]:
    """``IdList/member*`` (an empty ``<IdList/>`` or a missing one gives ``()``; §1.3)."""
    return tuple((m.text or "").strip() for m in _xml.children(element, "member"))


def parse_authorization_details(
    element: Element, request_id: str | None = None
) -> AuthorizationDetails:
    """``AuthorizationDetails`` → dataclass."""
    return AuthorizationDetails(
        amazon_authorization_id=_xml.required_text(element, "AmazonAuthorizationId"),
        authorization_reference_id=_xml.text(element, "AuthorizationReferenceId"),
        seller_authorization_note=_xml.text(element, "SellerAuthorizationNote"),
        authorization_amount=parse_price(_xml.child(element, "AuthorizationAmount")),
        captured_amount=parse_price(_xml.child(element, "CapturedAmount")),
        authorization_fee=parse_price(_xml.child(element, "AuthorizationFee")),
        id_list=parse_id_list(_xml.child(element, "IdList")),
        creation_timestamp=_xml.timestamp(_xml.text(element, "CreationTimestamp")),
        expiration_timestamp=_xml.timestamp(_xml.text(element, "ExpirationTimestamp")),
        status=_required_status(element, "AuthorizationStatus"),
        capture_now=_xml.boolean(_xml.text(element, "CaptureNow")),
        soft_descriptor=_xml.text(element, "SoftDescriptor"),
        soft_decline=_xml.boolean(_xml.text(element, "SoftDecline")),
        request_id=request_id,
    )


def parse_capture_details(element: Element, request_id: str | None = None) -> CaptureDetails:
    """``CaptureDetails`` → dataclass."""
    return CaptureDetails(
        amazon_capture_id=_xml.required_text(element, "AmazonCaptureId"),
        capture_reference_id=_xml.text(element, "CaptureReferenceId"),
        seller_capture_note=_xml.text(element, "SellerCaptureNote"),
        capture_amount=parse_price(_xml.child(element, "CaptureAmount")),
        refunded_amount=parse_price(_xml.child(element, "RefundedAmount")),
        capture_fee=parse_price(_xml.child(element, "CaptureFee")),
        id_list=parse_id_list(_xml.child(element, "IdList")),
        creation_timestamp=_xml.timestamp(_xml.text(element, "CreationTimestamp")),
        status=_required_status(element, "CaptureStatus"),
        soft_descriptor=_xml.text(element, "SoftDescriptor"),
        request_id=request_id,
    )


def parse_refund_details(element: Element, request_id: str | None = None) -> RefundDetails:
    """``RefundDetails`` → dataclass."""
    return RefundDetails(
        amazon_refund_id=_xml.required_text(element, "AmazonRefundId"),
        refund_reference_id=_xml.text(element, "RefundReferenceId"),
        seller_refund_note=_xml.text(element, "SellerRefundNote"),
        refund_type=_xml.text(element, "RefundType"),
        refund_amount=parse_price(_xml.child(element, "RefundAmount")),
        fee_refunded=parse_price(_xml.child(element, "FeeRefunded")),
        creation_timestamp=_xml.timestamp(_xml.text(element, "CreationTimestamp")),
        status=_required_status(element, "RefundStatus"),
        soft_descriptor=_xml.text(element, "SoftDescriptor"),
        request_id=request_id,
    )


def _parse_address(element: Element | None) -> Address | None:
    if element is None:
        return None
    return Address(
        name=_xml.text(element, "Name"),
        address_line1=_xml.text(element, "AddressLine1"),
        address_line2=_xml.text(element, "AddressLine2"),
        address_line3=_xml.text(element, "AddressLine3"),
        city=_xml.text(element, "City"),
        state_or_region=_xml.text(element, "StateOrRegion"),
        postal_code=_xml.text(element, "PostalCode"),
        country_code=_xml.text(element, "CountryCode"),
        phone=_xml.text(element, "Phone"),
    )


def _parse_buyer(element: Element | None) -> Buyer | None:
    if element is None:
        return None
    return Buyer(
        name=_xml.text(element, "Name"),
        email=_xml.text(element, "Email"),
        phone=_xml.text(element, "Phone"),
    )


def _parse_seller_order_attributes(element: Element | None) -> SellerOrderAttributes | None:
    if element is None:
        return None
    return SellerOrderAttributes(
        seller_order_id=_xml.text(element, "SellerOrderId"),
        store_name=_xml.text(element, "StoreName"),
        custom_information=_xml.text(element, "CustomInformation"),
        supplementary_data=_xml.text(element, "SupplementaryData"),
    )


def parse_order_reference_details(
    element: Element, request_id: str | None = None
) -> OrderReferenceDetails:
    """``OrderReferenceDetails`` (API) or ``OrderReference`` (IPN) → dataclass."""
    constraints = tuple(
        Constraint(
            constraint_id=_xml.text(c, "ConstraintID") or "",
            description=_xml.text(c, "Description"),
        )
        for c in _xml.children(_xml.child(element, "Constraints"), "Constraint")
    )
    return OrderReferenceDetails(
        amazon_order_reference_id=_xml.required_text(element, "AmazonOrderReferenceId"),
        order_total=parse_price(_xml.child(element, "OrderTotal")),
        seller_note=_xml.text(element, "SellerNote"),
        platform_id=_xml.text(element, "PlatformId"),
        release_environment=_xml.text(element, "ReleaseEnvironment"),
        seller_order_attributes=_parse_seller_order_attributes(
            _xml.child(element, "SellerOrderAttributes")
        ),
        status=_required_status(element, "OrderReferenceStatus"),
        constraints=constraints,
        creation_timestamp=_xml.timestamp(_xml.text(element, "CreationTimestamp")),
        expiration_timestamp=_xml.timestamp(_xml.text(element, "ExpirationTimestamp")),
        id_list=parse_id_list(_xml.child(element, "IdList")),
        buyer=_parse_buyer(_xml.child(element, "Buyer")),
        destination=_parse_address(_xml.find(element, "Destination", "PhysicalDestination")),
        request_id=request_id,
    )


def parse_service_status(result: Element, request_id: str | None = None) -> ServiceStatus:
    """``GetServiceStatusResult`` → dataclass."""
    messages = tuple(
        (_xml.text(m, "Locale") or "", _xml.text(m, "Text") or "")
        for m in _xml.children(_xml.child(result, "Messages"), "Message")
    )
    return ServiceStatus(
        status=_xml.text(result, "Status") or "",
        timestamp=_xml.timestamp(_xml.text(result, "Timestamp")),
        message_id=_xml.text(result, "MessageId"),
        messages=messages,
        request_id=request_id,
    )


# --- envelopes --------------------------------------------------------------------------------


def request_id_of(root: Element) -> str | None:
    """``ResponseMetadata/RequestId`` or a top-level ``RequestId``/``RequestID`` (§1.3, §4.4)."""
    for path in (("ResponseMetadata", "RequestId"), ("RequestId",), ("RequestID",)):
        value = _xml.text(root, *path)
        if value:
            return value
    return None


def parse_error(body: bytes, http_status: int) -> AmazonPayError:
    """Turn an error answer into :class:`AmazonPayError` (never raises).

    Handles ``ErrorResponse/Error/{Type,Code,Message}`` + ``RequestId|RequestID`` (§1.3), FPS
    ``Response/Errors/Error/{Code,Message}`` + ``RequestID`` (§4.4), and bodies that are not XML
    (code ``HTTP<status>``, first 200 characters as message).
    """
    try:
        root = _xml.parse(body)
    except _xml.XmlError:
        snippet = body[:200].decode("utf-8", "replace").strip()
        return AmazonPayError(f"HTTP{http_status}", snippet or "empty body", http_status)
    error = _xml.child(root, "Error")
    if error is None:
        error = _xml.find(root, "Errors", "Error")
    if error is None:
        return AmazonPayError(
            f"HTTP{http_status}",
            f"unrecognised error document <{_xml.local(root.tag)}>",
            http_status,
            request_id_of(root),
        )
    return AmazonPayError(
        code=_xml.text(error, "Code") or f"HTTP{http_status}",
        message=_xml.text(error, "Message") or "",
        http_status=http_status,
        request_id=request_id_of(root),
        type=_xml.text(error, "Type") or None,
    )
