"""Throttling through the real clients against a live server: the official ``amazon-pay`` SDK
with and without ``handle_throttle``, and boto 2.49's FPS connection. The merchant's clock is
frozen, so the quota holds exactly, and moved through the sandbox API instead of waited for."""

from __future__ import annotations

import types
from typing import Any

import pytest

from clients.sdk import boto_fps_connection
from tests.fps.boto_helpers import collect_boto_sockets
from tests.support.servers import GatewayServer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]


def throttled_merchant(server: GatewayServer, mode: str = "sandbox") -> dict[str, Any]:
    merchant = server.new_merchant()
    seller = merchant["seller_id"]
    server.sandbox("POST", f"/merchants/{seller}/clock/freeze")
    server.sandbox("PUT", f"/merchants/{seller}/throttling", mode=mode)
    return merchant


def test_the_sdk_meets_request_throttled_after_the_burst(live_server: GatewayServer) -> None:
    merchant = throttled_merchant(live_server)
    order = live_server.new_order(merchant["seller_id"])
    client = live_server.sdk(merchant)  # handle_throttle=False
    for _ in range(5):  # sandbox Get* calls: a burst of 5, one more a second
        assert client.get_order_reference_details(amazon_order_reference_id=order).success
    refused = client.get_order_reference_details(amazon_order_reference_id=order)
    assert not refused.success
    error = refused.to_dict()["ErrorResponse"]
    assert error["Error"] == {
        "Type": None,
        "Code": "RequestThrottled",
        "Message": "Request is throttled",
    }
    assert error["RequestId"]
    # One restore interval later, exactly one more call passes.
    live_server.advance_clock(merchant["seller_id"], 1)
    assert client.get_order_reference_details(amazon_order_reference_id=order).success
    assert not client.get_order_reference_details(amazon_order_reference_id=order).success
    journal = live_server.sandbox("GET", f"/merchants/{merchant['seller_id']}/journal?limit=1")
    [last] = journal["items"]
    assert (last["status"], last["error_code"]) == (503, "RequestThrottled")


def test_the_sdk_retries_through_throttling_with_handle_throttle(
    live_server: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amazon_pay import payment_request

    merchant = throttled_merchant(live_server)
    seller = merchant["seller_id"]
    order = live_server.new_order(seller)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        # The SDK's back-off (0, 1, 4, 10 s), spent on the merchant's clock instead.
        slept.append(seconds)
        if seconds:
            live_server.advance_clock(seller, seconds)

    monkeypatch.setattr(payment_request, "time", types.SimpleNamespace(sleep=sleep))
    client = live_server.sdk(merchant, handle_throttle=True)
    details = {"amazon_order_reference_id": order, "order_total": "25.00"}
    for _ in range(2):  # sandbox SetOrderReferenceDetails: a burst of 2, one more every 2 s
        assert client.set_order_reference_details(**details).success
    assert slept == [0, 0]
    # Throttled at once, and still after the 1 s back-off; restored by the 4 s one.
    answer = client.set_order_reference_details(**details)
    assert answer.success, answer.to_dict()
    assert slept[2:] == [0, 1, 4]
    # GetServiceStatus restores one call per 5 minutes: the SDK's 15 s of back-off is not
    # enough, and it gives up with its own synthetic answer.
    for _ in range(2):
        assert client.get_service_status().success
    slept.clear()
    given_up = client.get_service_status()
    assert not given_up.success and given_up.to_dict() == {"error": "503"}
    assert slept == [0, 1, 4, 10]


# boto 2.49 pools its HTTP connections and never closes them (reference §3.3).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_boto_fps_is_throttled_with_fps_error_shape(live_server: GatewayServer) -> None:
    pytest.importorskip("boto")
    try:
        _throttle_boto(live_server)
    finally:
        collect_boto_sockets()  # its connections, now the frames holding them are gone


def _throttle_boto(live_server: GatewayServer) -> None:
    from boto.exception import BotoServerError
    from boto.fps.connection import FPSConnection

    merchant = throttled_merchant(live_server)
    conn = boto_fps_connection(live_server.url, merchant["access_key"], merchant["secret_key"])
    for _ in range(5):  # FPS reads: a burst of 5, one more a second (UNCONFIRMED figures)
        conn.get_object("GetTokens", {}, FPSConnection.get_tokens.response)
    with pytest.raises(BotoServerError) as refused:
        conn.get_object("GetTokens", {}, FPSConnection.get_tokens.response)
    # boto retries a 5xx num_retries times (0 here), then raises what it parsed.
    assert refused.value.status == 503
    assert (refused.value.error_code, refused.value.error_message) == (
        "RequestThrottled",
        "Request is throttled",
    )
    assert "<Response><Errors><Error>" in str(refused.value.body)
    live_server.advance_clock(merchant["seller_id"], 1)
    conn.get_object("GetTokens", {}, FPSConnection.get_tokens.response)
