"""Read types: what the domain and the views read of a stored merchant or refund. No SQL here.

Frozen dataclasses, built by ``gateway.store`` from a row (one statement, no unit of work). The
ORM models in ``gateway.store.models`` stay the table mappings that store code and writes use;
operations that only read a merchant or a refund get one of these, whichever path produced it
(a new refund, a replayed one, GetRefundDetails, settlement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    """A merchant: its credentials, settings and simulated clock."""

    id: int
    seller_id: str
    access_key: str
    secret_key: str
    name: str
    store_name: str
    ipn_url: str | None
    settle_delay_seconds: int
    refund_processing_failures: int
    ipn_signature_version: str
    ipn_retry_all: bool
    ipn_duplicate: bool
    ipn_reorder: bool
    throttling: str
    clock_offset_seconds: float
    clock_frozen_at: datetime | None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """A refund as stored. ``version`` is the row's compare-and-set counter as it was read."""

    id: int
    amazon_id: str
    merchant_id: int
    capture_id: int
    order_reference_id: int
    reference_id: str
    refund_type: str
    currency: str
    amount_minor: int
    fee_refunded_minor: int
    seller_note: str | None
    soft_descriptor: str | None
    state: str
    reason_code: str | None
    reason_description: str | None
    last_update: datetime
    created_at: datetime
    due_at: datetime | None
    planned_state: str | None
    planned_reason: str | None
    version: int

    def moved_to(
        self,
        state: str,
        reason_code: str | None,
        reason_description: str | None,
        now: datetime,
    ) -> RefundRecord:
        """This refund after a state change at ``now``: nothing planned any more, its
        ``version`` still the one it was read at (for the store's compare-and-set).

        Written out rather than ``dataclasses.replace``, which costs several times as much and
        runs once per refund when settlement moves a hundred thousand of them.
        """
        return RefundRecord(
            self.id,
            self.amazon_id,
            self.merchant_id,
            self.capture_id,
            self.order_reference_id,
            self.reference_id,
            self.refund_type,
            self.currency,
            self.amount_minor,
            self.fee_refunded_minor,
            self.seller_note,
            self.soft_descriptor,
            state,
            reason_code,
            reason_description,
            now,
            self.created_at,
            None,
            None,
            None,
            self.version,
        )
