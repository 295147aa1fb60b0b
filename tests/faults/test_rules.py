"""Fault rules on signed requests, in process: each kind, "next N" exactness, seeded
probability, latency without waiting (``Runtime.sleep`` records), the control API's checks and
the fault log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from gateway.runtime import Runtime
from gateway.testing import inprocess
from tests.helpers import HOST, SignedApi

RULES = "/sandbox/api/v1/merchants/{}/faults"


@pytest.fixture
def slept(runtime: Runtime) -> list[float]:
    """What latency rules waited (nothing really waits)."""
    waits: list[float] = []
    runtime.sleep = waits.append
    return waits


@pytest.fixture
def control(app: Any, api: SignedApi) -> Any:
    return app.test_client()


def add(control: Any, api: SignedApi, status: int = 201, **rule: Any) -> dict[str, Any]:
    response = control.post(RULES.format(api.merchant.seller_id), json=rule)
    assert response.status_code == status, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def fault_log(control: Any, api: SignedApi, **args: Any) -> list[dict[str, Any]]:
    response = control.get(RULES.format(api.merchant.seller_id) + "/log", query_string=args)
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def raw(api: SignedApi, action: str, **params: str) -> Any:
    return api.client.post(api.path, data=api.form(action, **params), headers={"Host": "x"})


def test_next_n_errors_then_the_operation_runs(api, control):
    order_id = api.open_order()
    rule = add(
        control, api, kind="error", action="Authorize", error_code="ServiceUnavailable", count=2
    )
    assert (rule["http_status"], rule["remaining"], rule["target"]) == (503, 2, "request")
    for n in range(2):
        api.error(
            "Authorize",
            "ServiceUnavailable",
            503,
            AmazonOrderReferenceId=order_id,
            AuthorizationReferenceId=f"a{n}",
            **{
                "AuthorizationAmount.Amount": "1.00",
                "AuthorizationAmount.CurrencyCode": "USD",
                "TransactionTimeout": "0",
            },
        )
    # Nothing happened on an injected error: the same reference id still authorizes once.
    assert api.authorize(order_id, "1.00", "a0").status == 200
    # Other actions were never hit.
    api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    (listed,) = control.get(RULES.format(api.merchant.seller_id)).get_json()["items"]
    assert (listed["remaining"], listed["injected"]) == (0, 2)
    hits = fault_log(control, api)
    assert [h["effect"] for h in hits] == ["answered ServiceUnavailable (503)"] * 2
    assert {h["action"] for h in hits} == {"Authorize"}
    assert all(h["rule_id"] == rule["id"] and h["request_id"] for h in hits)


def test_error_answer_is_the_services_error_response(api, control):
    add(control, api, kind="error", count=1)  # InternalServerError, any action
    answer = api.error(
        "GetOrderReferenceDetails",
        "InternalServerError",
        500,
        AmazonOrderReferenceId="S01-0000000-0000000",
    )
    assert "fault rule" in (answer.find("Error/Message") or "")
    assert answer.find("Error/Type") == "Receiver"
    (hit,) = fault_log(control, api)
    # The request journal shows the same request under the same id.
    journal = control.get(f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/journal")
    (entry,) = journal.get_json()["items"]
    assert (entry["request_id"], entry["error_code"]) == (hit["request_id"], "InternalServerError")


def test_documented_status_and_override(api, control):
    rule = add(control, api, kind="error", error_code="InvalidAuthorizationStatus")
    assert rule["http_status"] == 405
    rule = add(control, api, kind="error", error_code="RequestThrottled", http_status=500)
    assert rule["http_status"] == 500


#: Bad rules and the field each is refused for: by the control API, the dashboard's form, a
#: scenario's ``faults`` and an import, which all check a rule with ``gateway.faults.specs``.
BAD_RULES = [
    ({"kind": "error", "error_code": "NoSuchCode"}, "error_code"),
    ({"kind": "error", "service": "FPS", "error_code": "InvalidOrderReferenceId"}, "error_code"),
    ({"kind": "error", "action": "Teleport"}, "action"),
    ({"kind": "latency"}, "seconds"),
    ({"kind": "latency", "seconds": 2, "max_seconds": 1}, "max_seconds"),
    ({"kind": "latency", "seconds": 301}, "seconds"),
    ({"kind": "close", "seconds": 2}, "seconds"),
    ({"kind": "drop", "action": "Authorize"}, "action"),
    ({"kind": "drop", "service": "FPS"}, "service"),
    ({"kind": "delay"}, "seconds"),
    ({"kind": "delay", "seconds": 0}, "seconds"),
    ({"kind": "error", "probability": 0}, "probability"),
    ({"kind": "error", "count": 0}, "count"),
    ({"kind": "error", "seed": -1}, "seed"),
    ({"kind": "error", "http_status": 200}, "http_status"),
    ({"kind": "error", "service": "Nowhere"}, "service"),
    ({"kind": "explode"}, "kind"),
    ({"service": "FPS"}, "kind"),
    ({"kind": "error", "colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("rule", "field"), BAD_RULES)
def test_bad_rules_are_refused_naming_the_field(api, control, rule, field):
    answer = add(control, api, status=400, **rule)
    assert field in answer["error"]["fields"], answer


def test_seeded_probability_is_repeatable(api, control, runtime):
    def pattern() -> list[int]:
        control.delete(RULES.format(api.merchant.seller_id))
        add(control, api, kind="error", action="GetOrderReferenceDetails", probability=0.5, seed=7)
        return [
            api.call(
                "GetOrderReferenceDetails", AmazonOrderReferenceId="S01-0000000-0000000"
            ).status
            for _ in range(12)
        ]

    first = pattern()
    assert set(first) == {500, 404}  # some hit, some not (InvalidOrderReferenceId: 404)
    runtime.random.seed(99)  # the seeded rule does not use the process's source
    assert pattern() == first


def test_latency_fixed_and_in_a_range(api, control, slept):
    add(control, api, kind="latency", seconds=1.5, count=1)
    api.ok("GetServiceStatus")
    add(control, api, kind="latency", seconds=2, max_seconds=3, count=3, seed=1)
    for _ in range(3):
        api.ok("GetServiceStatus")
    api.ok("GetServiceStatus")
    assert slept[0] == 1.5 and len(slept) == 4
    assert all(2 <= s <= 3 for s in slept[1:]) and len(set(slept[1:])) == 3
    assert [h["effect"] for h in fault_log(control, api)][-1] == "added 1.500 s of latency"


def test_latency_and_an_error_hit_the_same_call(api, control, slept):
    add(control, api, kind="latency", seconds=0.25, count=1)
    add(control, api, kind="error", error_code="RequestThrottled", count=1)
    api.error("GetServiceStatus", "RequestThrottled", 503)
    assert slept == [0.25]
    assert len(fault_log(control, api)) == 2


def test_empty_and_truncated_answers_after_the_operation_ran(api, control):
    order_id = api.open_order()
    add(control, api, kind="empty", action="Authorize", count=1)
    add(control, api, kind="truncate", action="Authorize", count=1)
    form = api.form(
        "Authorize",
        AmazonOrderReferenceId=order_id,
        AuthorizationReferenceId="r1",
        **{
            "AuthorizationAmount.Amount": "1.00",
            "AuthorizationAmount.CurrencyCode": "USD",
            "TransactionTimeout": "0",
        },
    )
    empty = api.client.post(api.path, data=form)
    assert (empty.status_code, empty.data) == (200, b"")
    truncated = api.client.post(
        api.path, data=api.form("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    )
    assert truncated.status_code == 200 and b"</GetOrderReferenceDetailsResponse>" in truncated.data
    again = api.client.post(api.path, data=form)  # the idempotent retry of the same Authorize
    assert again.status_code == 200
    assert again.data.startswith(b"<?xml") and not again.data.rstrip().endswith(b">")
    # The authorization exists once: the empty answer's Authorize had run.
    details = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert (
        len(details.all("GetOrderReferenceDetailsResult/OrderReferenceDetails/IdList/member")) == 1
    )
    journal = control.get(f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/journal")
    messages = [e.get("error_message") for e in journal.get_json()["items"]]
    assert "answered truncated XML" in messages and "answered an empty 200" in messages


def test_close_in_process_is_a_dropped_connection(api, control, app):
    add(control, api, kind="close", count=1)
    body = urlencode(api.form("GetServiceStatus")).encode()
    headers = {"Host": HOST, "Content-Type": "application/x-www-form-urlencoded"}
    url = f"http://{HOST}{api.path}"
    with pytest.raises(requests.ConnectionError, match="no answer"):
        inprocess.call(app, "POST", url, headers, body)
    assert inprocess.call(app, "POST", url, headers, body).status == 200


def test_service_and_action_scope(api, control):
    add(control, api, kind="error", service="FPS", error_code="InternalError")
    api.ok("GetServiceStatus")  # an Off-Amazon Payments call is not hit
    (rule,) = control.get(RULES.format(api.merchant.seller_id)).get_json()["items"]
    assert rule["matched"] == 0


def test_delete_rule_and_all(api, control):
    one = add(control, api, kind="error")
    add(control, api, kind="close")
    url = RULES.format(api.merchant.seller_id)
    assert control.delete(f"{url}/{one['id']}").get_json() == {"deleted": 1}
    missing = control.delete(f"{url}/{one['id']}")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "FaultRuleNotFound")
    assert control.delete(url).get_json() == {"deleted": 1}
    api.ok("GetServiceStatus")


def test_fault_log_pages_and_filters(api, control):
    rule = add(control, api, kind="error", count=5)
    for _ in range(5):
        api.call("GetServiceStatus")
    first = control.get(RULES.format(api.merchant.seller_id) + "/log?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    rest = fault_log(control, api, cursor=first["next"], limit=10)
    assert len(rest) == 3
    assert len(fault_log(control, api, rule_id=rule["id"] + 1)) == 0
    assert len(fault_log(control, api, request_id=rest[0]["request_id"])) == 1
    bad = control.get(RULES.format(api.merchant.seller_id) + "/log?cursor=zz")
    assert bad.status_code == 400


def test_an_id_with_a_leading_zero_is_no_address(api, control):
    one = add(control, api, kind="error")
    url = RULES.format(api.merchant.seller_id)
    answer = control.delete(f"{url}/0{one['id']}")
    assert answer.status_code == 404 and answer.is_json
    assert control.delete(f"{url}/{one['id']}").get_json() == {"deleted": 1}
