"""Amazon's request throttling: a leaky bucket per merchant and operation. No Flask here.

Amazon's quotas are leaky buckets [SRC: reference/amazon-wire.md §1.10, amazon-pay-v2.md §7]:
a bucket holds up to ``burst`` requests, each request takes one place, and one place is restored
every ``interval``; a request finding the bucket full is refused (Off-Amazon Payments: 503
RequestThrottled). The bucket is kept as one instant, the generic cell rate algorithm's
"theoretical arrival time": when the bucket would be empty again (``empty_at``). A request at
``now`` fits when ``max(empty_at, now) + interval - now <= burst * interval``.

A service brings its own figures and its own refusal as data (:class:`ServiceQuotas`), so a new
API adds its table and its answer without a change here. Time is the merchant's clock, so a test
moves the clock instead of waiting. The bucket is a row (``gateway.store.throttle_buckets``)
read ``FOR UPDATE`` and changed in the request's transaction: every server process sharing the
database draws on the same quota. A request refused by its operation (an error answer) rolls its
transaction back and so does not count; a choice: whether Amazon counts refused requests is
UNCONFIRMED.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from sqlalchemy.orm import Session

from gateway.store import throttle_buckets
from gateway.store.models import Merchant

#: The modes a merchant chooses from: no throttling (the default, so test suites stay fast),
#: Amazon's sandbox figures, or its production figures.
OFF, SANDBOX, PRODUCTION = "off", "sandbox", "production"
MODES = (OFF, SANDBOX, PRODUCTION)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``burst`` requests at once, one more every ``interval_us`` microseconds."""

    burst: int
    interval_us: int

    @classmethod
    def of(cls, burst: int, restored: int, seconds: int) -> Quota:
        """``burst`` requests, ``restored`` of them regained every ``seconds`` (Amazon's wording:
        "maximum request quota" and "restore rate")."""
        interval = Fraction(seconds * 1_000_000, restored)
        if burst < 1 or interval.denominator != 1 or interval <= 0:
            raise ValueError(f"a quota of {burst} and {restored} per {seconds} s")
        return cls(burst, int(interval))

    @property
    def restore_seconds(self) -> float:
        """Seconds until one more request is allowed."""
        return self.interval_us / 1_000_000


#: One service's quotas in one mode, by operation name.
QuotaTable = Mapping[str, Quota]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was throttled: what a service's answer may tell the caller."""

    operation: str
    quota: Quota
    #: Seconds of the merchant's clock until the request would be let through.
    retry_after_seconds: float


@dataclass(frozen=True)
class ServiceQuotas:
    """A service's throttling: its tables by mode and its answer to a throttled request."""

    #: The buckets' namespace in the database (the same operation name in two services is two
    #: buckets).
    key: str
    #: ``sandbox`` and ``production`` tables; an operation missing from one is not throttled.
    tables: Mapping[str, QuotaTable]
    #: The exception the service answers a throttled request with.
    refuse: Callable[[Refusal], Exception]


def microseconds(moment: datetime) -> int:
    """``moment`` as whole microseconds since the epoch (exact: no float)."""
    return (moment - _EPOCH) // _MICROSECOND


def _standing(empty_at_us: int | None, seen_at_us: int | None, now_us: int) -> int | None:
    """The bucket's ``empty_at``; None when it is whole: no bucket yet, or a clock set back
    before the last request let through (a reset)."""
    if empty_at_us is None or seen_at_us is None or now_us < seen_at_us:
        return None
    return empty_at_us


def decide(
    quota: Quota, empty_at_us: int | None, seen_at_us: int | None, now_us: int
) -> tuple[int | None, int]:
    """``(the bucket's new empty_at, 0)`` when a request at ``now_us`` fits, else
    ``(None, microseconds until it would)``.

    No bucket yet, or a clock set back before the last request let through (a clock reset):
    the bucket is full of room again.
    """
    standing = _standing(empty_at_us, seen_at_us, now_us)
    if standing is None:
        return now_us + quota.interval_us, 0
    after = max(standing, now_us) + quota.interval_us
    allowed = now_us + quota.burst * quota.interval_us
    if after <= allowed:
        return after, 0
    return None, after - allowed


def admit(
    session: Session,
    merchant_id: int,
    mode: str,
    quotas: ServiceQuotas,
    operation: str,
    now: datetime,
) -> None:
    """Take a place in the merchant's bucket for ``operation``, or raise the service's refusal.

    ``mode`` is the merchant's setting; ``off`` costs one comparison.
    """
    if mode == OFF:
        return
    quota = quotas.tables[mode].get(operation)
    if quota is None:
        return
    now_us = microseconds(now)
    key = (merchant_id, quotas.key, operation)
    found = throttle_buckets.lock(session, *key)
    empty_at_us, seen_at_us = found or (None, None)
    empty_at, wait_us = decide(quota, empty_at_us, seen_at_us, now_us)
    if empty_at is None:
        raise quotas.refuse(Refusal(operation, quota, wait_us / 1_000_000))
    throttle_buckets.save(
        session, *key, empty_at_us=empty_at, seen_at_us=now_us, exists=bool(found)
    )


def levels(
    session: Session, merchant_id: int, mode: str, quotas: ServiceQuotas, now: datetime
) -> dict[str, int]:
    """How many requests of each operation the merchant could make at once at ``now``."""
    if mode == OFF:
        return {}
    now_us = microseconds(now)
    buckets = throttle_buckets.of_merchant(session, merchant_id, quotas.key)
    room: dict[str, int] = {}
    for operation, quota in quotas.tables[mode].items():
        empty_at, seen_at = buckets.get(operation, (None, None))
        standing = _standing(empty_at, seen_at, now_us)
        if standing is None:
            room[operation] = quota.burst
        else:
            queued = max(standing - now_us, 0)
            room[operation] = quota.burst - -(-queued // quota.interval_us)  # ceil
    return room


def switch(session: Session, merchant: Merchant, mode: str) -> None:
    """Set the merchant's mode (an ORM row of this transaction); a change starts every bucket
    full again, so no quota of one mode is counted against another's."""
    if mode not in MODES:
        raise ValueError(f"throttling mode {mode!r}")
    if merchant.throttling != mode:
        merchant.throttling = mode
        throttle_buckets.clear(session, merchant.id)
