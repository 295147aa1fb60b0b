"""The one clock: real time as a source, and each merchant's simulated time derived from it.

A merchant's clock is real time plus an offset, or a frozen instant (columns on the merchant row,
so every process sharing the database sees the same time). Signature timestamps are checked
against the base clock, not a merchant's, because clients sign with their wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """Real time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self._now = moment


def merchant_now(base: datetime, offset_seconds: float, frozen_at: datetime | None) -> datetime:
    """A merchant's simulated time given the base time and the merchant's clock columns."""
    if frozen_at is not None:
        return frozen_at
    return base + timedelta(seconds=offset_seconds)
