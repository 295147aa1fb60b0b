"""Throttling by Amazon's quotas, in process: the bucket's arithmetic, then through the signed
pipeline of both services with a frozen clock, the control API, the journal, export and import,
scenarios and the dashboard's switch. The official SDK and boto against a live server are in
``test_throttling_live.py``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from gateway.clock import FrozenClock
from gateway.faults.quotas import FPS_QUOTAS, OFFAMAZON_QUOTAS
from gateway.faults.throttling import PRODUCTION, SANDBOX, Quota, decide
from gateway.fps.operations import OPERATIONS as FPS_OPERATIONS
from gateway.runtime import Runtime
from gateway.wire.operations import OPERATIONS
from tests.fps.helpers import FpsApi
from tests.helpers import MerchantCredentials, SignedApi, new_merchant

API = "/sandbox/api/v1"


# --- the bucket ----------------------------------------------------------------------------------


def run_bucket(quota: Quota, times: Sequence[float]) -> list[bool]:
    """Which requests at ``times`` (seconds) a bucket lets through."""
    empty_at: int | None = None
    seen_at: int | None = None
    passed = []
    for moment in times:
        now = int(moment * 1_000_000)
        new, wait = decide(quota, empty_at, seen_at, now)
        passed.append(new is not None)
        if new is not None:
            empty_at, seen_at = new, now
        else:
            assert wait > 0
    return passed


def test_sandbox_refund_bursts_two_then_one_every_two_seconds() -> None:
    refund = OFFAMAZON_QUOTAS.tables[SANDBOX]["Refund"]
    assert (refund.burst, refund.restore_seconds) == (2, 2.0)
    assert run_bucket(refund, [0, 0, 0, 1.999, 2, 2, 4, 4]) == [
        True, True, False, False, True, False, True, False,
    ]  # fmt: skip


def test_a_quiet_bucket_refills_only_up_to_its_burst() -> None:
    get = OFFAMAZON_QUOTAS.tables[SANDBOX]["GetOrderReferenceDetails"]
    assert (get.burst, get.restore_seconds) == (5, 1.0)
    assert run_bucket(get, [0] * 6 + [3] * 4 + [100] * 6) == [True] * 5 + [False] + [
        True, True, True, False,
    ] + [True] * 5 + [False]  # fmt: skip


def test_production_figures() -> None:
    table = OFFAMAZON_QUOTAS.tables[PRODUCTION]
    assert (table["Refund"].burst, table["Refund"].restore_seconds) == (10, 1.0)
    assert (table["GetRefundDetails"].burst, table["GetRefundDetails"].restore_seconds) == (20, 0.5)
    # Two a second: after the burst, one more each half second.
    assert run_bucket(table["GetRefundDetails"], [0] * 21 + [0.5, 0.5, 1.0]) == [True] * 20 + [
        False, True, False, True,
    ]  # fmt: skip


def test_get_service_status_allows_two_then_one_per_five_minutes() -> None:
    for mode in (SANDBOX, PRODUCTION):
        status = OFFAMAZON_QUOTAS.tables[mode]["GetServiceStatus"]
        assert run_bucket(status, [0, 0, 0, 299.9, 300, 300]) == [
            True, True, False, False, True, False,
        ]  # fmt: skip


def test_a_clock_set_back_refills_the_bucket() -> None:
    refund = OFFAMAZON_QUOTAS.tables[SANDBOX]["Refund"]
    assert run_bucket(refund, [1000, 1000, 1000, 10, 10, 10]) == [
        True, True, False, True, True, False,
    ]  # fmt: skip


def test_every_operation_of_both_services_has_a_quota_in_both_modes() -> None:
    for quotas, operations in ((OFFAMAZON_QUOTAS, OPERATIONS), (FPS_QUOTAS, FPS_OPERATIONS)):
        for mode in (SANDBOX, PRODUCTION):
            assert set(quotas.tables[mode]) == set(operations)


def test_quotas_take_fractional_restore_rates() -> None:
    # API v2 restores 16 a second (reference amazon-pay-v2.md §7): whole microseconds.
    assert Quota.of(40, 16, 1) == Quota(40, 62_500)
    with pytest.raises(ValueError):
        Quota.of(1, 3, 1)  # a third of a second is no whole number of microseconds


# --- through the pipeline ------------------------------------------------------------------------


def throttle(app: Any, seller_id: str, mode: str) -> dict[str, Any]:
    answer = app.test_client().put(f"{API}/merchants/{seller_id}/throttling", json={"mode": mode})
    assert answer.status_code == 200, answer.data
    result: dict[str, Any] = answer.get_json()
    return result


def test_off_by_default_and_never_throttled(api: SignedApi, app: Any) -> None:
    shown = app.test_client().get(f"{API}/merchants/{api.merchant.seller_id}").get_json()
    assert shown["throttling"] == "off"
    for _ in range(5):
        api.ok("GetServiceStatus")


def test_over_the_quota_answers_amazons_request_throttled(
    api: SignedApi, app: Any, clock: FrozenClock, runtime: Runtime
) -> None:
    throttle(app, api.merchant.seller_id, "sandbox")
    api.ok("GetServiceStatus")
    api.ok("GetServiceStatus")
    refused = api.error("GetServiceStatus", "RequestThrottled", 503)
    # Amazon's sample (Throttled.xml): an empty Type, "Request is throttled".
    assert refused.find("Error/Type") == ""
    assert refused.find("Error/Message") == "Request is throttled"
    assert refused.find("RequestId")
    # Another operation has its own bucket.
    api.ok("GetMerchantAccountStatus")
    clock.advance(299)
    api.error("GetServiceStatus", "RequestThrottled", 503)
    clock.advance(1)
    api.ok("GetServiceStatus")
    api.error("GetServiceStatus", "RequestThrottled", 503)
    # Journaled like any other request, with its error code.
    page = app.test_client().get(
        f"{API}/merchants/{api.merchant.seller_id}/journal", query_string={"limit": 3}
    )
    entries = page.get_json()["items"]
    assert [(e["action"], e["status"], e.get("error_code")) for e in entries] == [
        ("GetServiceStatus", 503, "RequestThrottled"),
        ("GetServiceStatus", 200, None),
        ("GetServiceStatus", 503, "RequestThrottled"),
    ]


def test_writes_are_throttled_and_merchants_are_apart(
    api: SignedApi, app: Any, runtime: Runtime, clock: FrozenClock
) -> None:
    order = api.new_order()
    throttle(app, api.merchant.seller_id, "sandbox")
    details = {"OrderReferenceAttributes.OrderTotal.Amount": "10.00"}
    details["OrderReferenceAttributes.OrderTotal.CurrencyCode"] = "USD"
    for _ in range(2):
        api.ok("SetOrderReferenceDetails", AmazonOrderReferenceId=order, **details)
    api.error("SetOrderReferenceDetails", "RequestThrottled", 503, AmazonOrderReferenceId=order)
    # A refused request changed nothing, and another merchant's quota is whole.
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    throttle(app, other.merchant.seller_id, "sandbox")
    other.ok("GetServiceStatus")
    clock.advance(2)
    api.ok("SetOrderReferenceDetails", AmazonOrderReferenceId=order, **details)


def test_production_mode_and_switching_back_off(api: SignedApi, app: Any) -> None:
    shown = throttle(app, api.merchant.seller_id, "production")
    status = shown["services"]["offamazon_payments"]["GetMerchantAccountStatus"]
    assert status == {"burst": 20, "restore_seconds": 0.5, "available": 20}
    for _ in range(20):
        api.ok("GetMerchantAccountStatus")
    api.error("GetMerchantAccountStatus", "RequestThrottled", 503)
    shown = app.test_client().get(f"{API}/merchants/{api.merchant.seller_id}/throttling")
    assert (
        shown.get_json()["services"]["offamazon_payments"]["GetMerchantAccountStatus"]["available"]
        == 0
    )
    # Sandbox starts full; off never throttles.
    throttle(app, api.merchant.seller_id, "sandbox")
    for _ in range(5):
        api.ok("GetMerchantAccountStatus")
    api.error("GetMerchantAccountStatus", "RequestThrottled", 503)
    assert throttle(app, api.merchant.seller_id, "off") == {"mode": "off", "services": {}}
    api.ok("GetMerchantAccountStatus")


def test_fps_throttles_with_its_own_error_shape(
    app: Any, merchant: MerchantCredentials, clock: FrozenClock
) -> None:
    fps = FpsApi(app.test_client(), merchant, clock)
    throttle(app, fps.merchant.seller_id, "sandbox")
    for _ in range(5):
        fps.ok("GetTokens")
    refused = fps.call("GetTokens")
    assert (refused.status, refused.root.tag, refused.code) == (503, "Response", "RequestThrottled")
    assert refused.find("Errors/Error/Message") == "Request is throttled"
    assert refused.find("RequestID")
    # FPS's Refund and Off-Amazon Payments' Refund are two buckets.
    assert "fps" in throttle(app, fps.merchant.seller_id, "sandbox")["services"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({"mode": "fast"}, 400, "InvalidParameterValue"), ({}, 400, "InvalidParameterValue")],
)
def test_bad_modes_are_refused_in_the_control_apis_shape(
    api: SignedApi, app: Any, body: dict[str, Any], status: int, code: str
) -> None:
    answer = app.test_client().put(
        f"{API}/merchants/{api.merchant.seller_id}/throttling", json=body
    )
    assert answer.status_code == status
    assert answer.get_json()["error"]["code"]
    missing = app.test_client().put(
        f"{API}/merchants/NOSUCHSELLER/throttling", json={"mode": "off"}
    )
    assert missing.status_code == 404


def test_the_mode_travels_with_an_export(api: SignedApi, app: Any) -> None:
    throttle(app, api.merchant.seller_id, "production")
    client = app.test_client()
    exported = client.get(f"{API}/merchants/{api.merchant.seller_id}/export")
    assert exported.status_code == 200
    document = json.loads(exported.data)
    assert document["merchant"]["throttling"] == "production"
    imported = client.post(
        f"{API}/merchants/import", data=exported.data, content_type="application/json"
    )
    assert imported.status_code == 201, imported.data
    seller = imported.get_json()["seller_id"]
    assert client.get(f"{API}/merchants/{seller}").get_json()["throttling"] == "production"


def test_the_dashboard_switches_the_mode(api: SignedApi, app: Any) -> None:
    client = app.test_client()
    page = client.get(f"/sandbox/merchants/{api.merchant.seller_id}")
    assert page.status_code == 200 and b"Throttling" in page.data
    csrf = client.get_cookie("sandbox_csrf", path="/sandbox")
    assert csrf is not None
    done = client.post(
        f"/sandbox/merchants/{api.merchant.seller_id}/throttling",
        data={"mode": "sandbox", "csrf": csrf.value},
    )
    assert done.status_code == 303
    page = client.get(done.headers["Location"])
    assert b"Throttling sandbox" in page.data and b"GetServiceStatus" in page.data
    bad = client.post(
        f"/sandbox/merchants/{api.merchant.seller_id}/throttling",
        data={"mode": "turbo", "csrf": csrf.value},
    )
    assert bad.status_code == 400
    api.ok("GetServiceStatus")
    api.ok("GetServiceStatus")
    api.error("GetServiceStatus", "RequestThrottled", 503)


def test_a_scenario_sets_the_mode(app: Any, runtime: Runtime) -> None:
    from gateway.scenarios.loader import ScenarioProblem, load_scenario

    [made] = load_scenario(runtime, {"merchants": [{"throttling": "sandbox", "orders": []}]})
    shown = app.test_client().get(f"{API}/merchants/{made.seller_id}").get_json()
    assert shown["throttling"] == "sandbox"
    with pytest.raises(ScenarioProblem, match="throttling"):
        load_scenario(runtime, {"merchants": [{"throttling": "always"}]})


def test_concurrent_requests_share_one_quota(api: SignedApi, app: Any, clock: FrozenClock) -> None:
    from tests.support.race import race

    # Sixteen reads at once on a bucket that does not exist yet: the first inserts race, the
    # others wait on its row lock (PostgreSQL) or the write lock (SQLite); exactly the burst passes.
    throttle(app, api.merchant.seller_id, "sandbox")
    callers = [SignedApi(app.test_client(), api.merchant, clock) for _ in range(16)]
    statuses = race(16, lambda i: callers[i].call("GetMerchantAccountStatus").status)
    assert sorted(statuses) == [200] * 5 + [503] * 11
