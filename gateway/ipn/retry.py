"""When an unanswered IPN is tried again, after Amazon's rules [SRC: reference/amazon-wire.md §2.5].

In the merchant's simulated time:
- a 2xx answer ends it (delivered);
- any other answer (3xx, 5xx) or a read timeout is retried with exponential backoff and jitter
  (``Settings.ipn_retry_*``) until the horizon after the first attempt of the series, then it
  has failed;
- a 4xx answer or an unreachable endpoint (connection refused, DNS, connect timeout, connection
  dropped without an answer) is not retried, unless the merchant's ``ipn_retry_all`` is on,
  which retries those too. UNCONFIRMED: how Amazon classes a dropped connection and a read
  timeout; here: dropped = unreachable, read timeout = retried.

The jitter comes from the random source passed in (the runtime's), so a test can pin it. No
Flask here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from gateway.config import Settings
from gateway.ipn.transport import PostResult


def retry_delay(retry: int, settings: Settings, rng: Random) -> timedelta:
    """Wait before the ``retry``-th retry: doubling from the base, capped, plus 0-25 % jitter."""
    seconds = min(
        settings.ipn_retry_base_seconds * 2 ** min(retry - 1, 60),
        settings.ipn_retry_max_interval_seconds,
    )
    return timedelta(seconds=seconds * (1 + 0.25 * rng.random()))


def retryable(result: PostResult, retry_all: bool) -> bool:
    """Amazon retries other answers, not 4xx nor an unreachable endpoint (module docstring)."""
    if retry_all:
        return True
    if result.status_code is None:
        return result.reached
    return not 400 <= result.status_code < 500


def next_attempt(
    now: datetime, attempts: int, started: datetime, settings: Settings, rng: Random
) -> datetime | None:
    """When a retryable series with ``attempts`` so far, begun at ``started``, goes again;
    None once that would be past the horizon (the series has failed)."""
    at = now + retry_delay(attempts + 1, settings, rng)
    horizon = started + timedelta(seconds=settings.ipn_retry_horizon_seconds)
    return at if at <= horizon else None
