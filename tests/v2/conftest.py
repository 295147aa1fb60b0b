"""API v2 fixtures: a merchant's in-process domain calls."""

from __future__ import annotations

import pytest

from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials
from tests.v2.domain_helpers import Shop


@pytest.fixture
def shop(runtime: Runtime, merchant: MerchantCredentials) -> Shop:
    return Shop(runtime, merchant.seller_id)
