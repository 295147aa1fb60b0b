"""API v2 tables: checkout sessions, charge permissions, charges and refunds. No Flask here.

Same conventions as ``gateway.store.models`` (whose ``Base`` these share, so ``create_all`` makes
them too): integer minor units beside the currency, aware UTC datetimes, wire-string states, a
``version`` compare-and-set counter on every row, due work as ``due_at`` + planned state. The v2
states are longer than v1's (``AuthorizationInitiated``), hence a lifecycle mixin of their own.
What Amazon's JSON carries as nested objects and the simulator only stores and shows again
(``merchantMetadata``, addresses, ``webCheckoutDetails``) is kept as JSON in Amazon's field names.
Each object remembers whether it was made on the live endpoint (``releaseEnvironment``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.models import Base, Versioned


class V2Lifecycle(Versioned):
    """The columns of a v2 object that moves through a transition table (``gateway.v2.states``)."""

    state: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_description: Mapped[str | None] = mapped_column(String(512), default=None)
    last_update: Mapped[datetime]
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    planned_state: Mapped[str | None] = mapped_column(String(32), default=None)
    planned_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Made on the live endpoint (``releaseEnvironment`` Live, production's timings).
    live: Mapped[bool] = mapped_column(Boolean, default=False)


class V2CheckoutSession(V2Lifecycle, Base):
    """A buyer's checkout on the merchant's site, Open until completed, canceled or expired."""

    __tablename__ = "v2_checkout_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A UUID, as Amazon's checkoutSessionId.
    amazon_id: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[str] = mapped_column(String(128))
    #: checkoutReviewReturnUrl, checkoutResultReturnUrl, checkoutCancelUrl, checkoutMode.
    web_checkout: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payment_intent: Mapped[str | None] = mapped_column(String(32), default=None)
    can_handle_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    soft_descriptor: Mapped[str | None] = mapped_column(String(16), default=None)
    charge_permission_type: Mapped[str] = mapped_column(String(16), default="OneTime")
    #: merchantReferenceId, merchantStoreName, noteToBuyer, customInformation.
    merchant_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    platform_id: Mapped[str | None] = mapped_column(String(64), default=None)
    provider_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: What the buyer did on Amazon's pages (``gateway.v2.buyer_journey``): the buyer
    #: (buyerId, name, email, phoneNumber), the addresses, the payment method chosen.
    buyer: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    payment_method: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: The buyer went through ``amazonPayRedirectUrl`` (Amazon processed the payment).
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime]
    charge_permission_id: Mapped[int | None] = mapped_column(
        ForeignKey("v2_charge_permissions.id"), default=None
    )
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("v2_charges.id"), default=None)

    charge_permission: Mapped[V2ChargePermission | None] = relationship(
        foreign_keys=[charge_permission_id]
    )
    charge: Mapped[V2Charge | None] = relationship(foreign_keys=[charge_id])

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_v2_checkout_sessions_due", "state", "due_at"),)


class V2ChargePermission(V2Lifecycle, Base):
    """The buyer's consent to be charged, made when a checkout session completes."""

    __tablename__ = "v2_charge_permissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``S01-5105180-3221187`` (``P01-`` live), as an order reference id.
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    charge_permission_type: Mapped[str] = mapped_column(String(16), default="OneTime")
    currency: Mapped[str] = mapped_column(String(3))
    #: limits.amountLimit: what may be charged in all; ``charged_minor`` counts the charges
    #: that are not Declined or Canceled (amountBalance is the difference).
    amount_limit_minor: Mapped[int] = mapped_column(BigInteger)
    charged_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What was captured on it so far (a OneTime permission closes when it reaches the limit).
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    merchant_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    platform_id: Mapped[str | None] = mapped_column(String(64), default=None)
    buyer: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    payment_method: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    expires_at: Mapped[datetime]

    charges: Mapped[list[V2Charge]] = relationship(
        back_populates="charge_permission", order_by="V2Charge.id"
    )

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_v2_charge_permissions_due", "state", "due_at"),)


class V2Charge(V2Lifecycle, Base):
    """One payment on a charge permission: an authorization, captured later or at once."""

    __tablename__ = "v2_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``<charge permission id>-C056351``.
    amazon_id: Mapped[str] = mapped_column(String(48), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    charge_permission_id: Mapped[int] = mapped_column(
        ForeignKey("v2_charge_permissions.id"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Sum of Refunded refunds (refundedAmount).
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Sum of RefundInitiated and Refunded refunds (and granted disputes): against the cap.
    refund_reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_count: Mapped[int] = mapped_column(Integer, default=0)
    capture_now: Mapped[bool] = mapped_column(Boolean, default=False)
    can_handle_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    soft_descriptor: Mapped[str | None] = mapped_column(String(16), default=None)
    merchant_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    provider_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: When an Authorized charge that is not captured is canceled ExpiredUnused.
    expires_at: Mapped[datetime]
    #: The capture amount asked for while CaptureInitiated (applied when it settles).
    pending_capture_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)

    charge_permission: Mapped[V2ChargePermission] = relationship(back_populates="charges")
    refunds: Mapped[list[V2Refund]] = relationship(back_populates="charge", order_by="V2Refund.id")

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_v2_charges_due", "state", "due_at"),)


class V2Refund(V2Lifecycle, Base):
    """A refund of a Captured charge: RefundInitiated, then Refunded or Declined."""

    __tablename__ = "v2_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``<charge permission id>-R012345``.
    amazon_id: Mapped[str] = mapped_column(String(48), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("v2_charges.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    soft_descriptor: Mapped[str | None] = mapped_column(String(16), default=None)

    charge: Mapped[V2Charge] = relationship(back_populates="refunds")

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_v2_refunds_due", "state", "due_at"),)


class V2Dispute(V2Lifecycle, Base):
    """An A-to-z claim or chargeback on a v2 charge (the sandbox dispute API files it).

    The v1 ``disputes`` table names an order reference and a capture (columns that cannot be
    made optional in an existing data dir), so v2 disputes have their table; the rules (limits,
    the transition table, refunds declining ProcessingFailure) are ``gateway.domain.disputes``'.
    """

    __tablename__ = "v2_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    amazon_id: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("v2_charges.id"), index=True)
    dispute_type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(255), default=None)

    charge: Mapped[V2Charge] = relationship()

    __mapper_args__ = {"version_id_col": Versioned.version}
