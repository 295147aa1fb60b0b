"""``x-amz-pay-idempotency-key`` in process, on a test-only operation of a test table (the
product's create operations are v2-domain's): replay, DuplicateIdempotencyKey, scope, limits."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

import pytest
from marshmallow import RAISE, Schema, fields

from gateway.clock import FrozenClock
from gateway.domain.lifecycle import Context
from gateway.runtime import Runtime
from gateway.v2.calls import V2Answer, V2Call
from gateway.v2.edge import V2Request, handle
from gateway.v2.operations import Operation, OperationTable
from tests.helpers import MerchantCredentials, new_merchant
from tests.v2.helpers import HOST, register_key, signed_request


class WidgetSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    size = fields.Integer(load_default=1)


def make_widget(counter: itertools.count[int]) -> Any:
    def handler(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
        number = next(counter)
        return V2Answer(
            201,
            {
                "widgetId": f"W-{number}",
                "name": call.body["name"],
                "live": ctx.live,
                "target": call.path_params.get("targetId"),
            },
        )

    return handler


@pytest.fixture
def table() -> OperationTable:
    counter = itertools.count(1)
    return OperationTable(
        [
            Operation(
                "CreateWidget",
                "POST",
                "widgets",
                make_widget(counter),
                WidgetSchema(),
                requires_idempotency_key=True,
            ),
            Operation(
                "PolishWidget",
                "POST",
                "widgets/{targetId}/polish",
                make_widget(counter),
                WidgetSchema(),
                requires_idempotency_key=True,
            ),
        ]
    )


class Caller:
    def __init__(
        self, runtime: Runtime, table: OperationTable, key_id: str, clock: FrozenClock
    ) -> None:
        self.runtime, self.table, self.key_id, self.clock = runtime, table, key_id, clock

    def __call__(
        self, path: str, body: Mapping[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body).encode()
        extra = {} if key is None else {"x-amz-pay-idempotency-key": key}
        full = f"/v2/{path}"
        headers = signed_request(self.key_id, "POST", full, raw, self.clock.now(), headers=extra)
        request = V2Request("POST", full, full, "", list(headers.items()), raw, HOST)
        answer = handle(self.runtime, request, self.table)
        return answer.status, json.loads(answer.body)


@pytest.fixture
def call(
    runtime: Runtime, table: OperationTable, merchant: MerchantCredentials, clock: FrozenClock
) -> Caller:
    return Caller(runtime, table, register_key(runtime, merchant.seller_id), clock)


def test_same_key_and_body_replays_the_first_answer(call: Caller) -> None:
    first = call("widgets", {"name": "a"}, "key-1")
    assert first == (201, {"widgetId": "W-1", "name": "a", "live": False, "target": None})
    assert call("widgets", {"name": "a"}, "key-1") == first
    # Key order and whitespace do not make another request.
    assert call("widgets", {"size": 1, "name": "a"}, "key-1")[1]["widgetId"] == "W-1"
    assert call("widgets", {"name": "a"}, "key-2")[1]["widgetId"] == "W-2"


def test_another_body_is_duplicate_idempotency_key(call: Caller) -> None:
    call("widgets", {"name": "a"}, "key-1")
    status, body = call("widgets", {"name": "b"}, "key-1")
    assert (status, body["reasonCode"]) == (400, "DuplicateIdempotencyKey")
    assert "key-1" in body["message"]


def test_keys_are_scoped_per_operation_and_path(call: Caller) -> None:
    assert call("widgets", {"name": "a"}, "k")[1]["widgetId"] == "W-1"
    assert call("widgets/T1/polish", {"name": "a"}, "k")[1]["widgetId"] == "W-2"
    assert call("widgets/T1/polish", {"name": "a"}, "k")[1]["widgetId"] == "W-2"
    status, body = call("widgets/T2/polish", {"name": "a"}, "k")
    assert (status, body["reasonCode"]) == (400, "DuplicateIdempotencyKey")


def test_keys_are_scoped_per_merchant(
    runtime: Runtime, table: OperationTable, call: Caller, clock: FrozenClock
) -> None:
    other = new_merchant(runtime)
    other_call = Caller(runtime, table, register_key(runtime, other.seller_id), clock)
    assert call("widgets", {"name": "a"}, "k")[1]["widgetId"] == "W-1"
    assert other_call("widgets", {"name": "b"}, "k")[1]["widgetId"] == "W-2"


def test_key_required_and_bounded(call: Caller) -> None:
    status, body = call("widgets", {"name": "a"}, None)
    assert (status, body["reasonCode"]) == (400, "MissingHeader")
    assert "x-amz-pay-idempotency-key" in body["message"]
    status, body = call("widgets", {"name": "a"}, "k" * 33)
    assert (status, body["reasonCode"]) == (400, "InvalidHeaderValue")
    assert call("widgets", {"name": "a"}, "k" * 32)[0] == 201


def test_a_refused_request_keeps_no_answer(call: Caller) -> None:
    status, body = call("widgets", {"name": "a", "colour": "red"}, "k")
    assert (status, body["reasonCode"]) == (400, "UnrecognizedField")
    assert "colour" in body["message"]
    assert call("widgets", {"name": "a"}, "k")[0] == 201


@pytest.mark.parametrize(
    ("body", "reason"),
    [({}, "MissingParameterValue"), ({"name": 5}, "InvalidParameterValue")],
)
def test_schema_errors(call: Caller, body: dict[str, Any], reason: str) -> None:
    status, answer = call("widgets", body, "k")
    assert (status, answer["reasonCode"]) == (400, reason)
    assert "name" in answer["message"]


def test_bad_json_and_content_type(
    runtime: Runtime, table: OperationTable, call: Caller, clock: FrozenClock
) -> None:
    def raw_call(raw: bytes, content_type: str) -> dict[str, Any]:
        headers = signed_request(
            call.key_id,
            "POST",
            "/v2/widgets",
            raw,
            clock.now(),
            headers={"x-amz-pay-idempotency-key": "k", "content-type": content_type},
        )
        request = V2Request(
            "POST", "/v2/widgets", "/v2/widgets", "", list(headers.items()), raw, HOST
        )
        answer = handle(runtime, request, table)
        result: dict[str, Any] = json.loads(answer.body)
        return result

    assert raw_call(b"{nope", "application/json")["reasonCode"] == "InvalidRequestFormat"
    assert raw_call(b"[1]", "application/json")["reasonCode"] == "InvalidRequestFormat"
    assert raw_call(b'{"a": NaN}', "application/json")["reasonCode"] == "InvalidRequestFormat"
    assert raw_call(b'{"name": "a"}', "text/plain")["reasonCode"] == "InvalidHeaderValue"
    assert "widgetId" in raw_call(b'{"name": "a"}', "application/json; charset=utf-8")


def test_the_live_base_runs_the_handler_live(
    runtime: Runtime, table: OperationTable, merchant: MerchantCredentials, clock: FrozenClock
) -> None:
    neutral = register_key(runtime, merchant.seller_id, environment=None)
    live = Caller(runtime, table, neutral, clock)
    for base, expected in (("/live/v2", True), ("/sandbox/v2", False)):
        raw = json.dumps({"name": "a"}).encode()
        path = f"{base}/widgets"
        headers = signed_request(
            neutral,
            "POST",
            path,
            raw,
            clock.now(),
            headers={"x-amz-pay-idempotency-key": base[1:5]},
        )
        request = V2Request("POST", path, path, "", list(headers.items()), raw, HOST)
        answer = json.loads(handle(live.runtime, request, table).body)
        assert answer["live"] is expected, base
