"""FPS fixtures: signed in-process FPS calls as a merchant, tokens installed through the sandbox
API, and settling Pending work by moving the frozen clock."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.worker.jobs import run_due_work
from tests.fps.helpers import FpsApi
from tests.helpers import MerchantCredentials, new_merchant


@pytest.fixture
def fps(app: Any, merchant: MerchantCredentials, clock: FrozenClock) -> FpsApi:
    return FpsApi(app.test_client(), merchant, clock)


@pytest.fixture
def other_fps(app: Any, runtime: Runtime, clock: FrozenClock) -> FpsApi:
    """Another merchant: another FPS caller."""
    return FpsApi(app.test_client(), new_merchant(runtime), clock)


@pytest.fixture
def settle(runtime: Runtime, clock: FrozenClock) -> Any:
    """Move the clock past the settle delay (5 s by default) and run the due work."""

    def run(seconds: float = 5) -> int:
        clock.advance(seconds)
        return run_due_work(runtime)

    return run
