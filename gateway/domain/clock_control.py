"""Moving a merchant's simulated clock. No Flask here.

Each merchant's clock is real time plus an offset, or frozen (``gateway.clock``). Advancing moves
only that merchant's time; the caller then runs what became due (``worker.jobs.run_due_work``).
Resetting is the one move back: the merchant returns to real time (see ``reset``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.clock import merchant_now
from gateway.errors import InvalidParameterValue
from gateway.store.models import Merchant

#: Largest single move, to catch unit mistakes (ms for s) early: 400 days.
MAX_ADVANCE_SECONDS = 400 * 24 * 3600

#: A merchant's clock never passes this instant. Every due time is planned from the merchant's
#: time, at most months ahead, and must remain a datetime (whose last year is 9999): a clock
#: advanced there step by step would otherwise make each later request of that merchant fail.
#: A choice; Amazon has no such clock.
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)


def advance(merchant: Merchant, seconds: float, base: datetime) -> None:
    if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        raise InvalidParameterValue(
            f"seconds must be between 0 and {MAX_ADVANCE_SECONDS} (the clock never goes back)."
        )
    now = merchant_now(base, merchant.clock_offset_seconds, merchant.clock_frozen_at)
    if now + timedelta(seconds=seconds) > LATEST_TIME:
        raise InvalidParameterValue(
            f"seconds would move the clock past {LATEST_TIME:%Y-%m-%d}, the latest it can show "
            f"(reset it to go back to real time)."
        )
    if merchant.clock_frozen_at is not None:
        merchant.clock_frozen_at += timedelta(seconds=seconds)
    else:
        merchant.clock_offset_seconds += seconds


def freeze(merchant: Merchant, base: datetime) -> None:
    if merchant.clock_frozen_at is None:
        merchant.clock_frozen_at = merchant_now(
            base, merchant.clock_offset_seconds, merchant.clock_frozen_at
        )


def resume(merchant: Merchant, base: datetime) -> None:
    """Let time run again from where it stood (the offset absorbs the frozen interval)."""
    if merchant.clock_frozen_at is not None:
        merchant.clock_offset_seconds = (merchant.clock_frozen_at - base).total_seconds()
        merchant.clock_frozen_at = None


def reset(merchant: Merchant) -> None:
    """Back to real time, running. The caller applies what is due at the merchant's current time
    first; objects due later keep their simulated due times, so they happen once real time
    reaches them (advance the clock again to get there sooner). Objects made while the clock was
    ahead keep their timestamps, later than those of objects made after the reset."""
    merchant.clock_offset_seconds = 0.0
    merchant.clock_frozen_at = None
