"""Retry times come from the runtime's random source: pinned, they are exact."""

from __future__ import annotations

from datetime import timedelta
from random import Random

from tests.ipn.test_delivery import only_row


class Halfway(Random):
    """Every draw is 0.5: 12.5 % of jitter on each wait."""

    def random(self) -> float:
        return 0.5


def test_retry_times_use_the_runtimes_random_source(
    api, runtime, clock, receiver, configure, deliver
):
    # With the default base of 2 s: waits of 2 s and 4 s, each plus 12.5 %.
    assert runtime.settings.ipn_retry_base_seconds == 2.0
    runtime.random = Halfway()
    receiver.script = [503, 503]
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()
    assert only_row(runtime).next_attempt_at == clock.now() + timedelta(seconds=2.25)
    clock.advance(2.25)
    deliver()
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("pending", 2)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=4.5)
