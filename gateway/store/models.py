"""SQLAlchemy 2 models. The only place that knows table layouts.

Conventions:
- Money is integer minor units (``*_minor`` columns) with the currency beside it; never float,
  and no Numeric either (SQLite would keep it as a float).
- Times are stored as naive UTC and come back timezone-aware (``UTCDateTime``), on SQLite and
  PostgreSQL alike.
- States are the wire strings of ``gateway.domain.states``.
- Every mutable row has a ``version`` counter used by SQLAlchemy as ``version_id_col``: each
  UPDATE is ``... WHERE id = ? AND version = ?``, a compare-and-set, so two processes (two
  workers, or a worker and a request) can never both apply a change read from the same state.
  The loser gets ``StaleDataError`` and its unit of work is retried (``gateway.store.db``).
- Work that becomes due later (a Pending refund settling, an authorization expiring) is a
  ``due_at`` plus a planned outcome on the row itself, found by an index on ``(state, due_at)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Versioned:
    """Mixin: a compare-and-set counter on every UPDATE (see module docstring)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class Lifecycle(Versioned):
    """Mixin: the columns of an object that moves through a transition table.

    ``due_at`` with ``planned_state``/``planned_reason`` is work due later (a Pending refund
    settling, an authorization expiring): what happens and when, decided when it was planned.
    """

    state: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_description: Mapped[str | None] = mapped_column(String(512), default=None)
    last_update: Mapped[datetime]
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    planned_state: Mapped[str | None] = mapped_column(String(16), default=None)
    planned_reason: Mapped[str | None] = mapped_column(String(64), default=None)


class Merchant(Versioned, Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(32), unique=True)
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128), default="")
    store_name: Mapped[str] = mapped_column(String(128), default="")
    ipn_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    #: Seconds of simulated time a Pending refund (or other simulated async work) takes to settle.
    settle_delay_seconds: Mapped[int] = mapped_column(Integer, default=5)
    #: How many of the merchant's next refunds decline ProcessingFailure (an internal error).
    refund_processing_failures: Mapped[int] = mapped_column(Integer, default=0)
    ipn_signature_version: Mapped[str] = mapped_column(String(4), default="1")
    ipn_retry_all: Mapped[bool] = mapped_column(Boolean, default=False)
    ipn_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    ipn_reorder: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Amazon's request quotas applied to its signed requests: ``off``, ``sandbox`` or
    #: ``production`` (``gateway.faults.throttling``).
    throttling: Mapped[str] = mapped_column(String(16), default="off")
    #: The merchant's simulated clock: real time + offset, or frozen at an instant.
    clock_offset_seconds: Mapped[float] = mapped_column(default=0.0)
    clock_frozen_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": Versioned.version}


class BillingAgreement(Lifecycle, Base):
    """A buyer's consent to be charged later without their presence (recurring payments).

    The buyer's side (consent, address, payment method) comes from the sandbox API, as Amazon's
    widgets would set it; the seller's side from SetBillingAgreementDetails.
    """

    __tablename__ = "billing_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: The currency of its limit (and of every charge on it).
    currency: Mapped[str] = mapped_column(String(3))
    #: AmountLimitPerTimePeriod: what may be authorized per calendar month.
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    #: BillingAgreementConsent: the buyer ticked "allow recurring payments".
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    buyer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    destination: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    payment_method: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: Constraints that arose after confirmation (PaymentMethodExpired ...), set through the
    #: sandbox API; the buyer's next payment method clears them.
    buyer_constraints: Mapped[list[Any]] = mapped_column(default=list)
    seller_note: Mapped[str | None] = mapped_column(Text, default=None)
    platform_id: Mapped[str | None] = mapped_column(String(64), default=None)
    seller_billing_agreement_id: Mapped[str | None] = mapped_column(String(128), default=None)
    store_name: Mapped[str | None] = mapped_column(String(128), default=None)
    custom_information: Mapped[str | None] = mapped_column(Text, default=None)

    order_references: Mapped[list[OrderReference]] = relationship(
        back_populates="billing_agreement", order_by="OrderReference.id"
    )

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_billing_agreements_due", "state", "due_at"),)


class OrderReference(Lifecycle, Base):
    __tablename__ = "order_references"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    expires_at: Mapped[datetime]
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    seller_note: Mapped[str | None] = mapped_column(Text, default=None)
    platform_id: Mapped[str | None] = mapped_column(String(64), default=None)
    seller_order_id: Mapped[str | None] = mapped_column(String(128), default=None)
    store_name: Mapped[str | None] = mapped_column(String(128), default=None)
    custom_information: Mapped[str | None] = mapped_column(Text, default=None)
    supplementary_data: Mapped[str | None] = mapped_column(Text, default=None)
    #: What the buyer chose in the widget: {"name", "email", "phone"}.
    buyer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Physical destination: name, address_line1..3, city, state_or_region, postal_code, ...
    destination: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: Payment method: {"name": "Visa", "account_number_tail": "11", "use_amazon_balance_first"}.
    payment_method: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: Constraint ids set by a sandbox simulation (PaymentMethodNotAllowed).
    simulated_constraints: Mapped[list[Any]] = mapped_column(default=list)
    #: The billing agreement this order reference was made on (CreateOrderReferenceForId,
    #: AuthorizeOnBillingAgreement): its ParentDetails.
    billing_agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_agreements.id"), default=None, index=True
    )
    # SetOrderAttributes only [SRC: Amazon Pay API reference, SetOrderAttributes].
    payment_service_provider_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payment_service_provider_order_id: Mapped[str | None] = mapped_column(String(64), default=None)
    #: SellerOrderAttributes/OrderItemCategories, in the order given.
    order_item_categories: Mapped[list[Any]] = mapped_column(default=list)
    request_payment_authorization: Mapped[bool | None] = mapped_column(Boolean, default=None)
    #: Attributes SetOrderAttributes changed after confirmation: each may change only once then.
    attributes_set_after_confirm: Mapped[list[Any]] = mapped_column(default=list)

    authorizations: Mapped[list[Authorization]] = relationship(
        back_populates="order_reference", order_by="Authorization.id"
    )
    billing_agreement: Mapped[BillingAgreement | None] = relationship(
        back_populates="order_references"
    )

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (
        Index("ix_order_references_due", "state", "due_at"),
        # The sandbox API's order list (gateway.store.listings): a merchant's orders newest
        # first, all of them or in one state, paged by (created_at, id) without a sort.
        Index("ix_order_references_merchant_created", "merchant_id", "created_at", "id"),
        Index("ix_order_references_merchant_state", "merchant_id", "state", "created_at", "id"),
        Index("ix_order_references_merchant_seller_order", "merchant_id", "seller_order_id"),
    )


class Authorization(Lifecycle, Base):
    __tablename__ = "authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(48), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), index=True)
    reference_id: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    seller_note: Mapped[str | None] = mapped_column(Text, default=None)
    soft_descriptor: Mapped[str | None] = mapped_column(String(20), default=None)  # "AMZ*" + 16
    capture_now: Mapped[bool] = mapped_column(Boolean, default=False)
    transaction_timeout: Mapped[int] = mapped_column(Integer, default=1440)
    soft_decline: Mapped[bool | None] = mapped_column(Boolean, default=None)
    expires_at: Mapped[datetime]
    #: Simulation detail kept for the worker (PaymentMethodUpdateTimeInMins, SoftDecline ...).
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)

    order_reference: Mapped[OrderReference] = relationship(back_populates="authorizations")
    captures: Mapped[list[Capture]] = relationship(
        back_populates="authorization", order_by="Capture.id"
    )

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_authorizations_due", "state", "due_at"),)


class Capture(Lifecycle, Base):
    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(48), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), index=True)
    reference_id: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: Sum of Completed refunds (what CaptureDetails/RefundedAmount shows).
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Sum of Pending and Completed refunds: what counts against the refund cap.
    refund_reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_count: Mapped[int] = mapped_column(Integer, default=0)
    seller_note: Mapped[str | None] = mapped_column(Text, default=None)
    soft_descriptor: Mapped[str | None] = mapped_column(String(20), default=None)

    authorization: Mapped[Authorization] = relationship(back_populates="captures")
    order_reference: Mapped[OrderReference] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="capture", order_by="Refund.id")

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_captures_due", "state", "due_at"),)


class Refund(Lifecycle, Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(48), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), index=True)
    reference_id: Mapped[str] = mapped_column(String(32))
    refund_type: Mapped[str] = mapped_column(String(32), default="SellerInitiated")
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    seller_note: Mapped[str | None] = mapped_column(Text, default=None)
    soft_descriptor: Mapped[str | None] = mapped_column(String(20), default=None)

    capture: Mapped[Capture] = relationship(back_populates="refunds")

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_refunds_due", "state", "due_at"),)


class ReferenceId(Base):
    """A seller-supplied reference id (Authorization/Capture/RefundReferenceId), unique per seller.

    The unique constraint is what makes idempotency hold under concurrent requests: of two racing
    requests with one reference id, one insert fails, and its retry finds the winner's row.
    """

    __tablename__ = "reference_ids"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    reference_id: Mapped[str] = mapped_column(String(128))
    #: The operation that used it ("Authorize", "Capture", "Refund", or an FPS action).
    operation: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the request's business parameters, to tell a retry from another request.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The Amazon id of what the first request created.
    object_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("merchant_id", "reference_id"),)


class Dispute(Lifecycle, Base):
    """A buyer's A-to-z guarantee claim or a chargeback, filed through the sandbox API.

    While one is Open or Granted, refunds on its order reference settle Declined/ProcessingFailure
    (the buyer already got the money back that way). A granted one becomes a refund row of
    RefundType AmazonA-ZGuarantee or Chargeback on the capture.
    """

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    #: "a-to-z-claim" or "chargeback".
    dispute_type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(255), default=None)
    #: The refund row a granted dispute became.
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), default=None)

    order_reference: Mapped[OrderReference] = relationship()
    capture: Mapped[Capture] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}


class Notification(Base):
    """The IPN outbox: one row per notified state change, written in the transition's transaction.

    The object's state at that moment is kept on the row, so a later change does not alter what
    this notification says.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    #: Amazon's NotificationType: PaymentRefund, PaymentCapture, PaymentAuthorize, ...
    notification_type: Mapped[str] = mapped_column(String(64))
    #: The object kind (OrderReference, Authorization, Capture, Refund, Chargeback ...) and id.
    object_kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_description: Mapped[str | None] = mapped_column(String(512), default=None)
    #: The simulated time of the change (the merchant's clock).
    changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    #: Delivery bookkeeping, owned by gateway.ipn: pending, delivered, failed, no_endpoint.
    delivery_state: Mapped[str] = mapped_column(String(16), default="pending")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Extra data for notification kinds without a row of their own (disputes).
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_notifications_due", "delivery_state", "next_attempt_at"),
        # A merchant's notifications (IPN delivery finds the merchants with due ones), and the
        # sandbox API's list of them in one delivery state, newest first.
        Index("ix_notifications_merchant_state", "merchant_id", "delivery_state", "id"),
    )


class NotificationMessage(Base):
    """What delivering one notification sends, fixed when it is first attempted (gateway.ipn).

    Every retry, duplicate and redelivery posts these exact bytes, so ``message_id`` (the SNS
    MessageId) stays stable and receivers can dedupe by it. The row also tracks the current
    delivery series: its start (the first attempt, or the latest redelivery) bounds the retry
    horizon, and its attempts set the backoff.
    """

    __tablename__ = "notification_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    message_id: Mapped[str] = mapped_column(String(64))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The body as sent (UTF-8 text: SNS JSON, or a form-encoded FPS notification).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    series_started_at: Mapped[datetime]
    series_attempts: Mapped[int] = mapped_column(Integer, default=0)


class NotificationAttempt(Base):
    """One HTTP post of a notification to the merchant's endpoint, whatever came of it."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    #: The merchant's simulated time when the post started.
    attempted_at: Mapped[datetime]
    url: Mapped[str] = mapped_column(String(2048))
    #: The HTTP status the receiver answered; None when there was no answer.
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    #: Why there was no usable answer (connection refused, timeout ...).
    error: Mapped[str | None] = mapped_column(Text, default=None)
    #: The start of the receiver's answer, for debugging.
    response_snippet: Mapped[str | None] = mapped_column(Text, default=None)
    #: What the attempt led to: acknowledged, retry, failed (a duplicate copy: duplicate).
    outcome: Mapped[str] = mapped_column(String(16))


class ApiToken(Base):
    """A per-merchant token of the sandbox control API (``gateway.domain.api_tokens``).

    Only a SHA-256 digest of the token is kept: the token is shown once, when it is made. A
    token is 32 random bytes, so a plain digest (no salt, no slow hash) cannot be reversed.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: Hex SHA-256 of the whole token.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, shown in lists to tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]


# --- order administration, the request journal (sandbox control plane) -------------------------
# New tables rather than new columns: ``Database.create_all`` adds missing tables to an existing
# database but never alters one, so a data dir made by an older version keeps working.


class LineItem(Base):
    """A line of a buyer's order (what the cart held): sku, title, quantity and unit price.

    Amazon's order reference has no line items; the sandbox keeps them beside it so that an order
    can be canceled in part by its items (``gateway.domain.administration``).
    """

    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), index=True)
    #: 1, 2, ... in the order given.
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(256), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    canceled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)


class OrderAdministration(Lifecycle, Base):
    """What the seller did to an order outside Amazon's API: cancellations, what is owed to the
    buyer, and a deletion under way. One row per administered order.

    ``state`` is ``Active`` or ``Deleting``; a deleting order's ``due_at`` is when the deletion
    is next checked (``gateway.domain.deletion``), found by the ``(state, due_at)`` index like
    every other due work.
    """

    __tablename__ = "order_administration"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The order reference's Amazon id (the lifecycle names objects by it).
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    order_reference_id: Mapped[int] = mapped_column(ForeignKey("order_references.id"), unique=True)
    #: Value of the order canceled so far (minor units of the order's currency).
    canceled_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: When the whole order was canceled (None: not, or only in part).
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Refunds (Pending or Completed) the order should reach: what cancellations left to be
    #: refunded by hand comes on top of what was refunded when they were made.
    refund_target_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_order_administration_due", "state", "due_at"),)


class MerchantPreferences(Versioned, Base):
    """Control-plane settings of a merchant that Amazon's API does not know of."""

    __tablename__ = "merchant_preferences"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    #: ``automatic``: canceling or deleting an order with captured money refunds it at once;
    #: ``manual``: the refund is left to the seller and the order shows what is owed.
    refund_on_cancel: Mapped[str] = mapped_column(String(16), default="automatic")

    __mapper_args__ = {"version_id_col": Versioned.version}


class ThrottleBucket(Base):
    """A merchant's leaky bucket for one operation of one service (``gateway.faults.throttling``).

    One small row, changed in the request's own transaction after a ``FOR UPDATE`` read, so
    every server process sharing the database draws on the same quota.
    """

    __tablename__ = "throttle_buckets"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    #: The quota table's key (``offamazon``, ``fps`` ...).
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: When the bucket is next empty, in microseconds of the merchant's clock since the epoch
    #: (the generic cell rate algorithm's "theoretical arrival time").
    empty_at_us: Mapped[int] = mapped_column(BigInteger)
    #: The merchant's time of the last request let through: a clock set back before it refills
    #: the bucket.
    seen_at_us: Mapped[int] = mapped_column(BigInteger)


class JournalEntry(Base):
    """One signed request of an emulated API, as the request journal keeps it (a ring per
    merchant, ``gateway.store.journal``). ``merchant_id`` is None for a request whose access key
    belongs to no merchant. On SQLite the table lives in a database file of its own beside the
    main one (``gateway.wire.journal``), on PostgreSQL in the same database."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No foreign key: on SQLite the journal is a database file of its own (``Journal``).
    merchant_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Real (base) time the request arrived.
    received_at: Mapped[datetime]
    service: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    #: The request's parameters, signature and secrets redacted.
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    latency_ms: Mapped[float] = mapped_column(default=0.0)
    request_id: Mapped[str] = mapped_column(String(64))
    #: For a signature that did not match: the string to sign the server computed.
    string_to_sign: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_journal_entries_merchant", "merchant_id", "id"),)


class FaultRule(Base):
    """A fault the sandbox injects for a merchant on purpose (``gateway.faults``): into its
    signed requests (``target`` request: an error answer, latency, a broken answer) or into its
    IPNs (``target`` ipn: dropped, delayed, a broken signature, a certificate URL off the
    allow-list). Kept in the database so that every server process sees the same rules, and
    ``remaining`` (the next N) is counted down by one atomic UPDATE, so N means N across them.
    """

    __tablename__ = "fault_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    #: ``request`` or ``ipn``.
    target: Mapped[str] = mapped_column(String(8))
    #: request: error, latency, close, empty, truncate; ipn: drop, delay, bad_signature,
    #: bad_cert_url (``gateway.faults.rules.KINDS``).
    kind: Mapped[str] = mapped_column(String(16))
    #: The service whose requests it hits (its ``Service.name``); None: any.
    service: Mapped[str | None] = mapped_column(String(32), default=None)
    #: The Action (request) or NotificationType (ipn) it hits; None: any.
    action: Mapped[str | None] = mapped_column(String(64), default=None)
    #: kind error: the code and HTTP status answered.
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    #: kind latency: seconds added, fixed (max None) or uniform in [seconds, max_seconds];
    #: kind delay: seconds of the merchant's clock an IPN is held back.
    seconds: Mapped[float | None] = mapped_column(default=None)
    max_seconds: Mapped[float | None] = mapped_column(default=None)
    #: How many more faults it injects; None: every call it hits, until deleted.
    remaining: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The chance that it hits a matching call (None: always).
    probability: Mapped[float | None] = mapped_column(default=None)
    #: With a seed, the k-th matching call's draw is the same in every process and every run.
    seed: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: Matching calls seen (the k of a seeded draw) and faults injected.
    matched: Mapped[int] = mapped_column(Integer, default=0)
    injected: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_fault_rules_merchant", "merchant_id", "target", "id"),)


class FaultEvent(Base):
    """The fault log: one fault a rule injected, and what it hit (a request, by its request id
    as the request journal shows it, or a notification)."""

    __tablename__ = "fault_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    #: No foreign key: the log outlives a deleted rule.
    rule_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    #: Real (base) time, like the request journal's ``received_at``.
    occurred_at: Mapped[datetime]
    service: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    notification_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: What was done ("answered InternalServerError (500)", "dropped", ...).
    effect: Mapped[str] = mapped_column(String(256))
    #: The rule as it was when it fired ("error InternalServerError 500 on Authorize, next 3").
    rule: Mapped[str] = mapped_column(String(256))

    __table_args__ = (Index("ix_fault_events_merchant", "merchant_id", "id"),)
