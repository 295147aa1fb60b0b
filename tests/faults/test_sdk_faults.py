"""Fault rules through the official ``amazon-pay`` SDK (and boto 2.49 for FPS) against a real
``gateway serve`` (the session's ``live_server``): what the SDK does on each injected error and
broken answer, with and without its own retries (its sleeps recorded, not waited), one small
real latency, and the fault log showing each hit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from amazon_pay import payment_request

from clients.sdk import boto_fps_connection
from tests.fps.boto_helpers import collect_boto_sockets
from tests.support.servers import GatewayServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # boto's pooled sockets
]


@pytest.fixture
def merchant(live_server: GatewayServer) -> dict[str, Any]:
    return live_server.new_merchant(store_name="faults")


@pytest.fixture
def sdk_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's back-off sleeps between its retries, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(payment_request.time, "sleep", slept.append)
    return slept


def rule(server: GatewayServer, merchant: dict[str, Any], **body: Any) -> dict[str, Any]:
    path = f"/merchants/{merchant['seller_id']}/faults"
    created: dict[str, Any] = server.sandbox("POST", path, status=201, **body)
    return created


def fault_log(server: GatewayServer, merchant: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = server.sandbox(
        "GET", f"/merchants/{merchant['seller_id']}/faults/log"
    )["items"]
    return items


def code(response: Any) -> str:
    error: str = response.to_dict()["ErrorResponse"]["Error"]["Code"]
    return error


def test_injected_500_without_retries(live_server, merchant):
    client = live_server.sdk(merchant)
    made = rule(live_server, merchant, kind="error", action="GetServiceStatus", count=1)
    answer = client.get_service_status()
    assert not answer.success
    assert code(answer) == "InternalServerError"
    assert answer.to_dict()["ErrorResponse"]["Error"]["Type"] == "Receiver"
    assert client.get_service_status().success  # N was 1
    (hit,) = fault_log(live_server, merchant)
    assert (hit["rule_id"], hit["action"]) == (made["id"], "GetServiceStatus")
    assert hit["request_id"] == answer.request_id


def test_sdk_retries_through_next_three_503s(live_server, merchant, sdk_sleeps):
    client = live_server.sdk(merchant, handle_throttle=True)
    rule(live_server, merchant, kind="error", error_code="ServiceUnavailable", count=3)
    answer = client.get_service_status()
    assert answer.success  # the fourth try, after sleeping 0, 1, 4 and 10 s
    assert sdk_sleeps == [0, 1, 4, 10]
    assert len(fault_log(live_server, merchant)) == 3


def test_sdk_gives_up_after_four_throttled_answers(live_server, merchant, sdk_sleeps):
    client = live_server.sdk(merchant, handle_throttle=True)
    rule(live_server, merchant, kind="error", error_code="RequestThrottled", count=5)
    answer = client.get_service_status()
    # The SDK discards the server's body after its last retry (reference §3.1).
    assert not answer.success and answer.to_dict() == {"error": "503"}
    assert len(fault_log(live_server, merchant)) == 4


def test_closed_connection_raises_from_the_sdk(live_server, merchant):
    client = live_server.sdk(merchant)
    order_id = live_server.new_order(merchant["seller_id"])
    rule(live_server, merchant, kind="close", action="SetOrderReferenceDetails", count=1)
    with pytest.raises(requests.ConnectionError):
        client.set_order_reference_details(amazon_order_reference_id=order_id, order_total="5.00")
    # The operation ran before the connection was dropped.
    details = client.get_order_reference_details(amazon_order_reference_id=order_id).to_dict()
    result = details["GetOrderReferenceDetailsResponse"]["GetOrderReferenceDetailsResult"]
    assert result["OrderReferenceDetails"]["OrderTotal"]["Amount"] == "5.00"
    (hit,) = fault_log(live_server, merchant)
    assert hit["effect"] == "closed the connection with no answer"


@pytest.mark.parametrize("kind", ["empty", "truncate"])
def test_broken_200_answers_raise_invalid_xml(live_server, merchant, kind):
    client = live_server.sdk(merchant, handle_throttle=True)
    rule(live_server, merchant, kind=kind, count=1)
    # A 200 is not retried: the SDK parses it and fails (reference §3.1).
    with pytest.raises(ValueError, match="Invalid XML"):
        client.get_service_status()
    assert client.get_service_status().success
    (hit,) = fault_log(live_server, merchant)
    assert hit["kind"] == kind


def test_a_small_real_latency(live_server, merchant):
    client = live_server.sdk(merchant)
    rule(live_server, merchant, kind="latency", seconds=0.3, count=1)
    started = time.monotonic()
    assert client.get_service_status().success
    assert time.monotonic() - started >= 0.3
    (hit,) = fault_log(live_server, merchant)
    assert hit["effect"] == "added 0.300 s of latency"


def test_seeded_probability_through_the_sdk(live_server, merchant):
    client = live_server.sdk(merchant)
    rule(live_server, merchant, kind="error", probability=0.5, seed=42, count=100)
    first = [client.get_service_status().success for _ in range(10)]
    live_server.sandbox("DELETE", f"/merchants/{merchant['seller_id']}/faults")
    rule(live_server, merchant, kind="error", probability=0.5, seed=42, count=100)
    assert [client.get_service_status().success for _ in range(10)] == first
    assert True in first and False in first


@pytest.fixture
def boto_conn(live_server: GatewayServer, merchant: dict[str, Any]) -> Iterator[Any]:
    pytest.importorskip("boto")
    yield boto_fps_connection(live_server.url, merchant["access_key"], merchant["secret_key"])
    collect_boto_sockets()


def test_fps_error_rule_through_boto(live_server, merchant, boto_conn, monkeypatch):
    import boto.connection
    from boto.exception import BotoServerError
    from boto.fps.connection import FPSConnection
    from boto.fps.exception import InvalidTransactionId

    made = rule(
        live_server, merchant, kind="error", service="FPS", error_code="InternalError", count=3
    )
    assert made["http_status"] == 500
    response = FPSConnection.get_transaction_status.response
    params = {"TransactionId": "1" * 35}
    # boto raises its generic server error for a 5xx, the body being FPS's error document.
    with pytest.raises(BotoServerError) as raised:
        boto_conn.get_object("GetTransactionStatus", params, response)
    assert raised.value.status == 500 and "<Code>InternalError</Code>" in raised.value.body
    # With retries (its back-off recorded, not slept), boto gets through the next two.
    slept: list[float] = []
    monkeypatch.setattr(boto.connection.time, "sleep", slept.append)
    boto_conn.num_retries = 2
    with pytest.raises(InvalidTransactionId):  # the operation's own answer, at last
        boto_conn.get_object("GetTransactionStatus", params, response)
    assert len(slept) == 2
    hits = fault_log(live_server, merchant)
    assert len(hits) == 3 and {h["service"] for h in hits} == {"FPS"}


def test_cli_adds_lists_logs_and_deletes_rules(live_server, merchant):
    from tests.cli.test_client_commands import failed, ok, run

    m = ("-m", merchant["seller_id"])
    made = ok(
        live_server,
        "faults",
        "add",
        *m,
        "error",
        "--action",
        "GetServiceStatus",
        "--code",
        "ServiceUnavailable",
        "--count",
        "1",
    )
    assert (made["http_status"], made["remaining"]) == (503, 1)
    ok(live_server, "faults", "add", *m, "drop", "--count", "2")
    assert not live_server.sdk(merchant).get_service_status().success
    table = run(live_server, "faults", "list", *m).stdout
    assert "error ServiceUnavailable (503) on GetServiceStatus, 0 left" in table
    (hit,) = ok(live_server, "faults", "log", *m)["items"]
    assert hit["effect"] == "answered ServiceUnavailable (503)"
    assert "answered ServiceUnavailable (503)" in run(live_server, "faults", "log", *m).stdout
    assert ok(live_server, "faults", "delete", *m, str(made["id"])) == {"deleted": 1}
    assert ok(live_server, "faults", "clear", *m) == {"deleted": 1}
    assert "Not a documented error code" in failed(
        live_server, "faults", "add", *m, "error", "--code", "Nope"
    )
