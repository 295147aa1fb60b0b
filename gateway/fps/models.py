"""FPS tables: the caller's account settings, payment tokens and transactions. No Flask here.

Same conventions as ``gateway.store.models`` (whose ``Base`` these share, so ``create_all`` makes
them too): integer minor units, aware UTC datetimes, wire-string states, a ``version``
compare-and-set counter on every mutable row, and due work as ``due_at`` + planned state.
The merchant is the FPS caller and recipient; buyers are represented by their tokens.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.models import Base, Versioned


class FpsAccount(Versioned, Base):
    """A merchant's FPS fee schedule; a merchant without a row uses ``DEFAULT_FEES``."""

    __tablename__ = "fps_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), unique=True)
    #: Variable FPS fee in basis points of the amount (290 = 2.9 %).
    fee_basis_points: Mapped[int] = mapped_column(Integer)
    #: Fixed FPS fee per payment, in cents.
    fee_fixed_minor: Mapped[int] = mapped_column(BigInteger)

    __mapper_args__ = {"version_id_col": Versioned.version}


class FpsToken(Versioned, Base):
    """A payment token a buyer installed for the caller (created through the sandbox API)."""

    __tablename__ = "fps_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 64 upper-case alphanumerics [SRC: reference/amazon-wire.md §4.3 "Id formats"].
    amazon_id: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    caller_reference: Mapped[str] = mapped_column(String(128))
    token_type: Mapped[str] = mapped_column(String(16))
    friendly_name: Mapped[str | None] = mapped_column(String(128), default=None)
    payment_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: CC, ACH or ABT: how the buyer pays (CC and ACH settle asynchronously, ABT at once).
    payment_method: Mapped[str] = mapped_column(String(8), default="CC")
    buyer_name: Mapped[str] = mapped_column(String(128), default="Test Buyer")
    buyer_email: Mapped[str] = mapped_column(String(256), default="buyer@example.com")
    #: Limits in cents: per payment, and over the token's life (MultiUse, Prepaid, Postpaid).
    max_transaction_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    total_limit_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: Sum of the payments made with the token that did not fail, and how many there were.
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    #: Sandbox outcomes of payments with this token and of their refunds (Success or Failure).
    pay_outcome: Mapped[str] = mapped_column(String(16), default="Success")
    refund_outcome: Mapped[str] = mapped_column(String(16), default="Success")
    state: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_description: Mapped[str | None] = mapped_column(String(512), default=None)
    last_update: Mapped[datetime]
    created_at: Mapped[datetime]
    #: Tokens have no due work; the columns exist for the shared lifecycle functions.
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    planned_state: Mapped[str | None] = mapped_column(String(16), default=None)
    planned_reason: Mapped[str | None] = mapped_column(String(64), default=None)

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (UniqueConstraint("merchant_id", "caller_reference"),)


class FpsTransaction(Versioned, Base):
    """A Pay or Refund transaction. A refund points at the payment it refunds."""

    __tablename__ = "fps_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 35 upper-case alphanumerics [SRC: reference/amazon-wire.md §4.3 "Id formats"].
    amazon_id: Mapped[str] = mapped_column(String(35), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: FPS operation as the API spells it: Pay or Refund (reference §4.3).
    operation: Mapped[str] = mapped_column(String(16))
    caller_reference: Mapped[str] = mapped_column(String(128))
    caller_description: Mapped[str | None] = mapped_column(String(160), default=None)
    sender_description: Mapped[str | None] = mapped_column(String(160), default=None)
    sender_token_id: Mapped[int | None] = mapped_column(ForeignKey("fps_tokens.id"), default=None)
    original_id: Mapped[int | None] = mapped_column(
        ForeignKey("fps_transactions.id"), default=None, index=True
    )
    payment_method: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: The FPS fee of a payment, or (for a refund) the part of it given back.
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Who pays (or is given back) the FPS fee: Caller or Recipient (ChargeFeeTo).
    fee_payer: Mapped[str] = mapped_column(String(16), default="Recipient")
    #: The caller's marketplace fee of a payment, or (for a refund) the part of it given back.
    marketplace_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    marketplace_refund_policy: Mapped[str | None] = mapped_column(String(32), default=None)
    #: Payments only: refunds requested that have not failed (counts against the refund limit),
    #: and the FPS / marketplace fees given back by those refunds.
    refund_reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    marketplace_fee_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    override_ipn_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    state: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_description: Mapped[str | None] = mapped_column(String(512), default=None)
    last_update: Mapped[datetime]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    planned_state: Mapped[str | None] = mapped_column(String(16), default=None)
    planned_reason: Mapped[str | None] = mapped_column(String(64), default=None)

    sender_token: Mapped[FpsToken | None] = relationship()
    original: Mapped[FpsTransaction | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": Versioned.version}
    __table_args__ = (Index("ix_fps_transactions_due", "state", "due_at"),)
