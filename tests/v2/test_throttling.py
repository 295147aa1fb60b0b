"""API v2 under Amazon's v2 quotas (gateway.v2.quotas): 429 TooManyRequests over the burst, one
more call per restored interval on the merchant's clock, as the signed-query services do."""

from __future__ import annotations

from typing import Any

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from tests.faults.test_throttling import throttle
from tests.helpers import MerchantCredentials
from tests.v2.helpers import V2Api, issue_buyer, register_key


def test_get_buyer_is_throttled_by_the_sandbox_quota_and_restored_by_the_clock(
    app: Any, runtime: Runtime, merchant: MerchantCredentials, clock: FrozenClock
) -> None:
    v2 = V2Api(app.test_client(), register_key(runtime, merchant.seller_id), clock)
    token = issue_buyer(runtime, merchant.seller_id)
    for _ in range(8):  # off by default
        assert v2.call("GET", f"buyers/{token}").status == 200
    throttle(app, merchant.seller_id, "sandbox")
    # Get Buyer is not on Amazon's page: Get Charge's figures, a burst of 5, one a second.
    for _ in range(5):
        assert v2.call("GET", f"buyers/{token}").status == 200
    refused = v2.call("GET", f"buyers/{token}")
    assert (refused.status, refused.reason) == (429, "TooManyRequests")
    assert "GetBuyer allows a burst of 5" in refused.body["message"]
    clock.advance(1)
    assert v2.call("GET", f"buyers/{token}").status == 200
    assert v2.call("GET", f"buyers/{token}").status == 429
    # Journaled with its reason code.
    page = app.test_client().get(
        f"/sandbox/api/v1/merchants/{merchant.seller_id}/journal", query_string={"limit": 1}
    )
    [entry] = page.get_json()["items"]
    assert (entry["status"], entry["error_code"]) == (429, "TooManyRequests")


def test_production_figures_and_a_merchant_apart(
    app: Any, runtime: Runtime, merchant: MerchantCredentials, clock: FrozenClock
) -> None:
    from tests.helpers import new_merchant

    v2 = V2Api(app.test_client(), register_key(runtime, merchant.seller_id), clock)
    token = issue_buyer(runtime, merchant.seller_id)
    throttle(app, merchant.seller_id, "production")
    answers = [v2.call("GET", f"buyers/{token}").status for _ in range(21)]
    assert answers == [200] * 20 + [429]
    clock.advance(0.25)  # four restored a second
    assert v2.call("GET", f"buyers/{token}").status == 200
    other = new_merchant(runtime)
    other_v2 = V2Api(app.test_client(), register_key(runtime, other.seller_id), clock)
    other_token = issue_buyer(runtime, other.seller_id)
    assert other_v2.call("GET", f"buyers/{other_token}").status == 200
