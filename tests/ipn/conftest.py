"""IPN fixtures: a live receiver, a delivery run that waits for its posts, merchant settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.ipn.outbox import deliver_due
from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials


@pytest.fixture(autouse=True)
def _quiet_dispatcher(runtime: Runtime) -> Iterator[None]:
    """Whatever a test started has finished (and its threads are gone) before teardown."""
    yield
    pool = runtime.dispatcher
    assert pool.wait_idle(30), "IPN deliveries still running at teardown"
    pool.close()


@pytest.fixture
def deliver(runtime: Runtime) -> Callable[[], int]:
    """One delivery sweep that returns when its posts are done."""
    return lambda: deliver_due(runtime, wait=True)


@pytest.fixture
def configure(app: Any, merchant: MerchantCredentials) -> Callable[..., dict[str, Any]]:
    """Change the merchant's settings through the sandbox API."""
    client = app.test_client()

    def patch(**settings: Any) -> dict[str, Any]:
        response = client.patch(f"/sandbox/api/v1/merchants/{merchant.seller_id}", json=settings)
        assert response.status_code == 200, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    return patch
