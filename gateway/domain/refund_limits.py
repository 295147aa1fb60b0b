"""The limits on refunding one charge, shared by Off-Amazon Payments and API v2. No Flask here.

[SRC: reference/amazon-wire.md §1.7; reference/amazon-pay-v2.md §3] All refunds of a capture (a
v2 charge) add up to at most the captured amount plus the lesser of 15 % or 75 USD/GBP/EUR
(8,400 JPY): ``money.refund_cap``; at most 10 refunds per capture. UNCONFIRMED for API v2: the
count of 10, documented for v1 only, applies to a v2 charge here too.
"""

from __future__ import annotations

from gateway.domain.money import format_amount, refund_cap
from gateway.errors import TransactionAmountExceeded, TransactionCountExceeded

MAX_REFUNDS_PER_CAPTURE = 10


def check_refund(
    *,
    what: str,
    refund_count: int,
    reserved_minor: int,
    captured_minor: int,
    currency: str,
    amount_minor: int,
) -> None:
    """Refuse a refund of ``amount_minor`` on ``what`` (``capture S01-…``, ``charge S01-…``)
    that already has ``refund_count`` refunds and ``reserved_minor`` requested or refunded."""
    if refund_count >= MAX_REFUNDS_PER_CAPTURE:
        raise TransactionCountExceeded(
            f"{what[:1].upper()}{what[1:]} already has {MAX_REFUNDS_PER_CAPTURE} refunds, "
            "the maximum."
        )
    limit = refund_cap(captured_minor, currency)
    if reserved_minor + amount_minor > limit:
        remaining = max(limit - reserved_minor, 0)
        raise TransactionAmountExceeded(
            f"The refund amount {format_amount(amount_minor, currency)} {currency} exceeds the "
            f"refundable amount of {what}: {format_amount(remaining, currency)} {currency} "
            "remain (captured amount plus the lesser of 15% or 75, less refunds already "
            "requested)."
        )
