from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clients.offamazon import SANDBOX_PATH, OffAmazonPaymentsClient
from clients.transport import RetryPolicy
from tests.clients.fake_amazon import FakeAmazon

SECRET = "test-secret-key"
FIXED_NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


class Sleeps(list[float]):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    with FakeAmazon(SECRET) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeAmazon, sleeps: Sleeps) -> OffAmazonPaymentsClient:
    return OffAmazonPaymentsClient(
        fake.url + SANDBOX_PATH,
        "AKID",
        SECRET,
        "SELLER1",
        retries=RetryPolicy(sleep=sleeps),
        clock=lambda: FIXED_NOW,
    )
