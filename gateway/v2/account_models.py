"""API v2 tables of a merchant's account: its public keys, the idempotency keys of its requests,
the buyer tokens issued to it. No Flask here.

Same conventions as ``gateway.store.models`` (whose ``Base`` these share, so ``create_all`` makes
them too): aware UTC datetimes; rows are written once (a key is made or deleted, never changed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models import Base


class V2PublicKey(Base):
    """A public key the merchant signs API v2 requests for (the private key is the merchant's)."""

    __tablename__ = "v2_public_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``SANDBOX-AH…``, ``LIVE-AH…`` or environment-neutral ``AH…`` (``gateway.v2.keys``).
    public_key_id: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: ``sandbox`` or ``live`` for an environment-specific id; None: either.
    environment: Mapped[str | None] = mapped_column(String(8), default=None)
    public_key_pem: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]


class V2IdempotencyKey(Base):
    """The first answer given to a request with an ``x-amz-pay-idempotency-key``."""

    __tablename__ = "v2_idempotency_keys"
    __table_args__ = (UniqueConstraint("merchant_id", "operation", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    operation: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the request: path parameters and body (``gateway.domain.idempotency``).
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class V2BuyerToken(Base):
    """A buyer token (what Amazon Sign-In hands the merchant) and the buyer it stands for."""

    __tablename__ = "v2_buyer_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(128), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    #: Amazon's directed buyer id (``amzn1.account.…``), the same for every token of a buyer.
    buyer_id: Mapped[str] = mapped_column(String(64))
    #: The Buyer object's other fields, in Amazon's JSON names (``gateway.v2.buyers``).
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
