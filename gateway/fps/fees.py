"""FPS fees: a percentage plus a fixed fee per payment, and their proportional refund. No Flask.

The schedule is per merchant (``FpsAccount``, set through the sandbox API); without one, the
defaults below apply. UNCONFIRMED default: 2.9 % + 0.30 USD, Amazon FPS's published card rate
for payments of 10 USD and more (the reference does not give FPS prices).

Refunds [SRC: reference/amazon-wire.md §4.5]: "The percentage of fee transferred is equal to the
percentage of the amount refunded": a 100.00 payment with 3.00 of fees refunded 50.00 gives back
1.50. UNCONFIRMED (§4.5, §6): whether the fixed part is kept; here the whole fee, fixed part
included, is refunded in proportion. Shares are computed on the running total (what all refunds
so far should have given back, less what they did), so rounding never drifts and a full refund,
in one part or many, gives back exactly the whole fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from gateway.fps import store

DEFAULT_FEE_BASIS_POINTS = 290
DEFAULT_FEE_FIXED_MINOR = 30


@dataclass(frozen=True)
class FeeSchedule:
    basis_points: int = DEFAULT_FEE_BASIS_POINTS
    fixed_minor: int = DEFAULT_FEE_FIXED_MINOR

    def fee(self, amount_minor: int) -> int:
        """The FPS fee of a payment of ``amount_minor`` cents (never more than the amount)."""
        variable = _round(Decimal(amount_minor) * self.basis_points / 10_000)
        return min(variable + self.fixed_minor, amount_minor)


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def schedule_for(session: Session, merchant_id: int) -> FeeSchedule:
    account = store.account_of(session, merchant_id)
    if account is None:
        return FeeSchedule()
    return FeeSchedule(account.fee_basis_points, account.fee_fixed_minor)


def percentage_of(amount_minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount, rounded half up to the cent (marketplace variable fee)."""
    return _round(Decimal(amount_minor) * percent / 100)


def refund_share(
    fee_minor: int, fee_refunded_minor: int, amount_minor: int, refunded_after_minor: int
) -> int:
    """The part of ``fee_minor`` a refund gives back.

    :param fee_minor: the whole fee of the payment.
    :param fee_refunded_minor: what earlier (not failed) refunds already gave back.
    :param amount_minor: the payment's amount.
    :param refunded_after_minor: all refunds of the payment including this one.
    """
    due = _round(Decimal(fee_minor) * refunded_after_minor / amount_minor)
    return max(0, min(due, fee_minor) - fee_refunded_minor)
