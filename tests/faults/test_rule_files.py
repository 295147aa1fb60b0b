"""Fault rules in files, in process: a scenario's ``faults`` (hitting the official SDK's requests
and the scenario's own IPNs; every bad rule refused naming the merchant, the rule and the field,
as the control API refuses it), and export then import keeping each rule with its state (a
seeded rule's draws go on where they stopped); an older document without rules imports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.scenarios.loader import ScenarioProblem, load_scenario
from gateway.scenarios.schema import MAX_FAULT_RULES
from gateway.testing import AmazonPaySandbox
from tests.faults.test_rules import BAD_RULES, RULES, add, slept  # noqa: F401 (a fixture)
from tests.helpers import MerchantCredentials, SignedApi

API = "/sandbox/api/v1"
#: A call that answers 404 InvalidOrderReferenceId when no rule hits it: a hit is a 500.
PROBE = {"AmazonOrderReferenceId": "S01-0000000-0000000"}


def rules_of(client: Any, seller_id: str) -> list[dict[str, Any]]:
    answer = client.get(RULES.format(seller_id))
    assert answer.status_code == 200, answer.get_json()
    items: list[dict[str, Any]] = answer.get_json()["items"]
    return items


def state(rule: dict[str, Any]) -> dict[str, Any]:
    """What a rule is and where it stands, without what an import makes anew (its id)."""
    return {k: v for k, v in rule.items() if k not in ("id", "description")}


# --- scenarios ------------------------------------------------------------------------------------


def test_a_scenarios_rules_hit_the_official_sdk_and_its_own_ipns(
    amazon_pay_sandbox: AmazonPaySandbox,
) -> None:
    sandbox = amazon_pay_sandbox
    document = {
        "merchants": [
            {
                "seller_id": sandbox.seller_id,
                "orders": [{"status": "Captured", "amount": "20.00"}],
                "faults": [
                    {
                        "kind": "error",
                        "action": "GetServiceStatus",
                        "error_code": "ServiceUnavailable",
                        "count": 1,
                    },
                    {"kind": "drop", "action": "PaymentCapture", "count": 1},
                ],
            }
        ]
    }
    [made] = load_scenario(sandbox.runtime, document)
    assert len(made.fault_rules) == 2

    hit = sandbox.sdk.get_service_status()
    assert not hit.success
    error = hit.to_dict()["ErrorResponse"]["Error"]
    assert (error["Code"], error["Type"]) == ("ServiceUnavailable", "Receiver")
    assert sandbox.sdk.get_service_status().success  # count 1: the next goes through

    # The scenario's notifications go out after it is made: the capture's is dropped.
    received = sandbox.wait(2)
    assert sorted(n.notification_type for n in received) == ["PaymentAuthorize"] * 2
    log = sandbox.control("GET", "/faults/log")["items"]
    assert [(e["kind"], e["action"]) for e in log] == [
        ("drop", "PaymentCapture"),
        ("error", "GetServiceStatus"),
    ]
    assert log[1]["request_id"] == hit.request_id

    # Loaded again, the merchant's rules are the scenario's again, not twice as many.
    load_scenario(sandbox.runtime, document)
    listed = sandbox.control("GET", "/faults")["items"]
    assert [(r["kind"], r["remaining"], r["injected"]) for r in listed] == [
        ("error", 1, 0),
        ("drop", 1, 0),
    ]
    # Without ``faults`` an existing merchant keeps its rules; ``faults: []`` clears them.
    load_scenario(sandbox.runtime, {"merchants": [{"seller_id": sandbox.seller_id}]})
    assert len(sandbox.control("GET", "/faults")["items"]) == 2
    load_scenario(sandbox.runtime, {"merchants": [{"seller_id": sandbox.seller_id, "faults": []}]})
    assert sandbox.control("GET", "/faults")["items"] == []


def test_a_scenario_rule_is_stored_as_the_control_api_stores_it(app: Any, runtime: Runtime) -> None:
    rule = {"kind": "latency", "seconds": 1, "max_seconds": 2, "probability": 0.5, "seed": 3}
    [made] = load_scenario(runtime, {"merchants": [{"faults": [rule]}]})
    client = app.test_client()
    posted = client.post(RULES.format(made.seller_id), json=rule)
    assert posted.status_code == 201, posted.get_json()
    scenario_rule, api_rule = rules_of(client, made.seller_id)
    assert scenario_rule["id"] == made.fault_rules[0]
    assert {**state(scenario_rule), "created_at": None} == {**state(api_rule), "created_at": None}


@pytest.mark.parametrize(("rule", "field"), BAD_RULES)
def test_every_bad_scenario_rule_names_the_merchant_rule_and_field(
    app: Any, runtime: Runtime, rule: dict[str, Any], field: str
) -> None:
    # The control API refuses the same rule for the same field (one validation).
    made = load_scenario(runtime, {"merchants": [{}]})[0]
    answer = app.test_client().post(RULES.format(made.seller_id), json=rule)
    assert answer.status_code == 400 and field in answer.get_json()["error"]["fields"]

    good = {"kind": "error", "count": 1}
    document = {"merchants": [{"store_name": "first"}, {"faults": [good, rule]}]}
    with pytest.raises(ScenarioProblem) as refused:
        load_scenario(runtime, document)
    message = str(refused.value)
    assert message.startswith(f"merchants[1].faults[1].{field}: "), message
    assert "\n" not in message


def test_a_bad_scenario_rule_makes_nothing(app: Any, runtime: Runtime) -> None:
    client = app.test_client()
    before = client.get(f"{API}/merchants").get_json()["items"]
    document = {"merchants": [{"faults": [{"kind": "error"}]}, {"faults": [{"kind": "delay"}]}]}
    with pytest.raises(ScenarioProblem, match=r"merchants\[1\]\.faults\[0\]\.seconds"):
        load_scenario(runtime, document)
    assert client.get(f"{API}/merchants").get_json()["items"] == before


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ("error", "merchants[0].faults: Not a valid list."),
        (["error"], "merchants[0].faults[0]._schema: Invalid input type."),
        ([{"kind": "error"}] * (MAX_FAULT_RULES + 1), "merchants[0].faults: Longer than maximum"),
        (None, "merchants[0].faults: Field may not be null."),
    ],
)
def test_a_faults_entry_that_is_not_a_list_of_rules(
    runtime: Runtime, faults: Any, message: str
) -> None:
    with pytest.raises(ScenarioProblem) as refused:
        load_scenario(runtime, {"merchants": [{"faults": faults}]})
    assert str(refused.value).startswith(message), refused.value


def test_a_bad_rule_in_a_scenario_over_the_api(app: Any) -> None:
    text = "merchants:\n  - faults:\n      - {kind: bad_cert_url, action: PaymentTeleport}\n"
    answer = app.test_client().post(f"{API}/scenarios", data=text, content_type="application/yaml")
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "InvalidScenario"
    assert error["message"].startswith("merchants[0].faults[0].action: Not a NotificationType")


# --- export and import ------------------------------------------------------------------------------


def export(client: Any, seller_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/merchants/{seller_id}/export")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.data)
    return document


def import_(client: Any, document: dict[str, Any], status: int = 201) -> Any:
    response = client.post(
        f"{API}/merchants/import", data=json.dumps(document), content_type="application/json"
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def probes(api: SignedApi, n: int) -> list[int]:
    """The statuses of ``n`` calls a seeded rule draws for (500: hit, 404: not)."""
    return [api.call("GetOrderReferenceDetails", **PROBE).status for _ in range(n)]


@pytest.mark.usefixtures("slept")  # latency rules record their waits, nothing waits
def test_export_then_import_keeps_rules_and_their_state(
    api: SignedApi, app: Any, clock: FrozenClock
) -> None:
    control = app.test_client()
    seller = api.merchant.seller_id
    add(control, api, kind="error", action="GetOrderReferenceDetails", probability=0.5, seed=7)
    add(control, api, kind="latency", seconds=0.5, max_seconds=1, count=3, seed=1)
    add(control, api, kind="drop", action="PaymentRefund", count=2)
    used_up = add(control, api, kind="empty", action="GetServiceStatus", count=1)
    emptied = api.client.post(api.path, data=api.form("GetServiceStatus"))
    assert emptied.data == b""  # the empty rule's one hit
    before = probes(api, 6)
    assert set(before) == {500, 404}

    document = export(control, seller)
    assert document["version"] == 1
    exported = document["fault_rules"]
    assert [r["kind"] for r in exported] == ["error", "latency", "drop", "empty"]
    assert (
        exported[0]["matched"] == 6 and exported[0]["seed"] == 7 and "remaining" not in exported[0]
    )
    assert (exported[3]["remaining"], exported[3]["injected"]) == (0, 1)
    assert "fault_events" not in document  # the log is not exported (docs/administration.md)

    twin = import_(control, document)
    assert twin["imported"]["fault_rules"] == 4
    twin_api = SignedApi(
        app.test_client(),
        MerchantCredentials(twin["seller_id"], twin["access_key"], twin["secret_key"]),
        clock,
    )
    original_rules = rules_of(control, seller)
    assert [state(r) for r in rules_of(control, twin["seller_id"])] == [
        state(r) for r in original_rules
    ]
    assert original_rules[3]["id"] == used_up["id"]
    log = control.get(RULES.format(twin["seller_id"]) + "/log").get_json()["items"]
    assert log == []

    # The twin's seeded draws go on where the original's stopped: the same hits from here on,
    # not the sequence's start again.
    after = probes(api, 12)
    assert probes(twin_api, 12) == after
    assert set(after) == {500, 404}
    # A twin that started the sequence over would have drawn its first 12 instead.
    assert after != (before + after)[:12]
    control.delete(RULES.format(seller))
    add(control, api, kind="error", action="GetOrderReferenceDetails", probability=0.5, seed=7)
    assert probes(api, 18) == before + after  # what the original draws, from its start


def test_a_document_without_fault_rules_imports_with_none(api: SignedApi, app: Any) -> None:
    control = app.test_client()
    add(control, api, kind="error", count=2)
    document = export(control, api.merchant.seller_id)
    del document["fault_rules"]  # as exported before rules were
    twin = import_(control, document)
    assert "fault_rules" not in twin["imported"]
    assert rules_of(control, twin["seller_id"]) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"action": "PaymentTeleport"}, "fault_rules[0].action: Not a NotificationType"),
        ({"remaining": -1}, "fault_rules[0].remaining: Must be greater than or equal to 0"),
        ({"count": 2}, "fault_rules[0].count: Unknown field."),
        ({"matched": "3"}, "fault_rules[0].matched: Not a valid integer."),
        ({"seconds": 5}, "fault_rules[0].seconds: Not a setting of a drop rule."),
        ({"created_at": None}, "fault_rules[0].created_at: Field may not be null."),
    ],
)
def test_a_bad_rule_in_a_document_fails_the_import_naming_it(
    api: SignedApi, app: Any, change: dict[str, Any], message: str
) -> None:
    control = app.test_client()
    add(control, api, kind="drop", action="PaymentRefund", count=2)
    document = export(control, api.merchant.seller_id)
    document["fault_rules"][0].update(change)
    merchants = control.get(f"{API}/merchants").get_json()["items"]
    error = import_(control, document, status=400)["error"]
    assert error["code"] == "InvalidDocument"
    assert error["message"].startswith(message), error["message"]
    assert control.get(f"{API}/merchants").get_json()["items"] == merchants  # nothing kept


def test_the_cli_offers_the_kinds_and_services_a_rule_may_have() -> None:
    # ``gateway faults add`` imports click only (its checks are the control API's): its choices
    # are kept equal to the spec's here.
    from gateway.cli import faults as cli
    from gateway.faults import rules, specs

    assert (*cli.REQUEST_KINDS, *cli.IPN_KINDS) == specs.KINDS
    add = cli.faults.commands["add"]
    service = next(p for p in add.params if p.name == "service")
    assert tuple(service.type.choices) == rules.SERVICES  # type: ignore[attr-defined]
