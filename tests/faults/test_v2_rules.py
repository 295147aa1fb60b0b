"""Fault rules on API v2 requests, in process: injected errors in v2's JSON shape, the 429 of a
throttling rule, latency without waiting (``Runtime.sleep`` records), broken answers after the
operation ran (an idempotent retry replays it), a closed connection, the control API's checks
and the fault log naming the v2 operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from gateway.clock import FrozenClock
from gateway.faults import rules
from gateway.runtime import Runtime
from gateway.testing import inprocess
from gateway.v2 import edge
from tests.helpers import MerchantCredentials
from tests.v2.helpers import HOST, V2Api, issue_buyer, register_key, signed_request

RULES = "/sandbox/api/v1/merchants/{}/faults"
V2 = "AmazonPayV2"
SESSION = {
    "storeId": "amzn1.application-oa2-client.test",
    "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
}


@pytest.fixture
def v2(app: Any, runtime: Runtime, merchant: MerchantCredentials, clock: FrozenClock) -> V2Api:
    return V2Api(app.test_client(), register_key(runtime, merchant.seller_id), clock)


@pytest.fixture
def buyer(runtime: Runtime, merchant: MerchantCredentials) -> str:
    return issue_buyer(runtime, merchant.seller_id)


@pytest.fixture
def slept(runtime: Runtime) -> list[float]:
    waits: list[float] = []
    runtime.sleep = waits.append
    return waits


class Control:
    def __init__(self, client: Any, seller_id: str) -> None:
        self.client, self.url = client, RULES.format(seller_id)
        self.seller_id = seller_id

    def add(self, status: int = 201, **rule: Any) -> dict[str, Any]:
        response = self.client.post(self.url, json=rule)
        assert response.status_code == status, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    def log(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.client.get(self.url + "/log").get_json()["items"]
        return items

    def journal(self) -> list[dict[str, Any]]:
        url = f"/sandbox/api/v1/merchants/{self.seller_id}/journal"
        items: list[dict[str, Any]] = self.client.get(url).get_json()["items"]
        return items


@pytest.fixture
def control(app: Any, merchant: MerchantCredentials) -> Control:
    return Control(app.test_client(), merchant.seller_id)


def test_the_edge_names_the_rules_service() -> None:
    assert edge.SERVICE_NAME == rules.V2_SERVICE in rules.SERVICES


def test_next_n_errors_in_v2_shape_then_the_operation_runs(
    v2: V2Api, control: Control, buyer: str
) -> None:
    rule = control.add(
        kind="error", service=V2, action="GetBuyer", error_code="ServiceUnavailable", count=2
    )
    assert (rule["http_status"], rule["remaining"]) == (503, 2)
    for _ in range(2):
        answer = v2.call("GET", f"buyers/{buyer}")
        assert (answer.status, answer.reason) == (503, "ServiceUnavailable")
        assert set(answer.body) == {"reasonCode", "message"}
        assert "fault rule" in answer.body["message"]
        assert answer.headers["x-amz-pay-request-id"]
    assert v2.call("GET", f"buyers/{buyer}").status == 200
    hits = control.log()
    assert [(h["service"], h["action"]) for h in hits] == [(V2, "GetBuyer")] * 2
    assert [h["effect"] for h in hits] == ["answered ServiceUnavailable (503)"] * 2
    # The journal shows the injected answers under the fault log's request ids.
    errors = {e["request_id"]: e["error_code"] for e in control.journal() if e.get("error_code")}
    assert {errors[h["request_id"]] for h in hits} == {"ServiceUnavailable"}


def test_a_rule_of_every_service_and_its_codes_translated(
    v2: V2Api, control: Control, buyer: str
) -> None:
    # RequestThrottled (Off-Amazon Payments' 503) is v2's TooManyRequests 429.
    control.add(kind="error", error_code="RequestThrottled", count=1)
    control.add(kind="error", service=V2, error_code="TooManyRequests", count=1)
    control.add(kind="error", count=1)  # InternalServerError
    answers = [v2.call("GET", f"buyers/{buyer}") for _ in range(4)]
    assert [(a.status, a.reason) for a in answers] == [
        (429, "TooManyRequests"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (200, None),
    ]


def test_v2_rules_are_checked_against_v2(control: Control, api: Any) -> None:
    rule = control.add(kind="error", service=V2, error_code="TooManyRequests")
    assert rule["http_status"] == 429
    assert control.add(kind="error", service=V2, action="CreateRefund")["http_status"] == 500
    refused = [
        {"kind": "error", "service": V2, "error_code": "InvalidOrderReferenceId"},
        {"kind": "error", "service": V2, "action": "Authorize"},
        {"kind": "error", "service": "FPS", "action": "GetCharge"},
    ]
    for bad in refused:
        answer = control.add(400, **bad)
        assert set(answer["error"]["fields"]) & {"error_code", "action"}, answer
    # A v1 request is not hit by a v2 rule.
    api.ok("GetServiceStatus")


def test_latency_is_recorded(v2: V2Api, control: Control, buyer: str, slept: list[float]) -> None:
    control.add(kind="latency", service=V2, seconds=1.5, count=1)
    control.add(kind="error", action="GetBuyer", error_code="ServiceUnavailable", count=1)
    assert v2.call("GET", f"buyers/{buyer}").status == 503
    assert v2.call("GET", f"buyers/{buyer}").status == 200
    assert slept == [1.5]
    assert [h["effect"] for h in control.log()][-1] == "added 1.500 s of latency"


def test_empty_and_truncated_answers_after_the_operation_ran(v2: V2Api, control: Control) -> None:
    control.add(kind="empty", service=V2, action="CreateCheckoutSession", count=1)
    control.add(kind="truncate", action="CreateCheckoutSession", count=1)

    def create(key: str) -> Any:
        path = f"{v2.base}/checkoutSessions"
        raw = json.dumps(SESSION).encode()
        signed = signed_request(
            v2.public_key_id,
            "POST",
            path,
            raw,
            v2.clock.now(),
            headers={"x-amz-pay-idempotency-key": key},
        )
        return v2.client.post(path, data=raw, headers=signed)

    empty = create("k1")
    assert (empty.status_code, empty.data) == (200, b"")
    truncated = create("k1")  # the retry replays the session the empty answer's call made
    assert truncated.status_code == 201 and truncated.data.startswith(b'{"checkoutSessionId"')
    whole = create("k1").get_json()
    assert truncated.data == json.dumps(whole).encode()[: len(truncated.data)]
    assert len(truncated.data) < len(json.dumps(whole))
    effects = [h["effect"] for h in control.log()]
    assert effects == ["answered truncated JSON", "answered an empty 200"]  # newest first
    messages = [e.get("error_message") for e in control.journal()]
    assert "answered truncated JSON" in messages and "answered an empty 200" in messages


def test_close_in_process_is_a_dropped_connection(
    app: Any, v2: V2Api, control: Control, buyer: str
) -> None:
    control.add(kind="close", service=V2, count=1)
    path = f"{v2.base}/buyers/{buyer}"
    url = f"http://{HOST}{path}"

    def call() -> Any:
        headers = signed_request(v2.public_key_id, "GET", path, b"", v2.clock.now())
        return inprocess.call(app, "GET", url, headers, b"")

    with pytest.raises(requests.ConnectionError, match="no answer"):
        call()
    assert call().status == 200
