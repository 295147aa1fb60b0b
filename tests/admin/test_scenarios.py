"""Scenario files in process: each status is what the order shows, its objects and
notifications are those of a real flow, bad files are refused naming the entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from gateway.scenarios.loader import ScenarioProblem, load_scenario, parse_file
from gateway.scenarios.schema import STATUSES
from gateway.store.models import Notification
from tests.helpers import MerchantCredentials, SignedApi

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenario.yaml"


def shown(app, seller_id: str, order_id: str):
    response = app.test_client().get(f"/sandbox/api/v1/merchants/{seller_id}/orders/{order_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_status_is_made_as_asked(app, runtime):
    document = {"merchants": [{"orders": [{"status": s, "amount": "50.00"} for s in STATUSES]}]}
    [merchant] = load_scenario(runtime, document)
    statuses = [
        shown(app, merchant.seller_id, o.amazon_order_reference_id)["payment_status"]
        for o in merchant.orders
    ]
    assert statuses == list(STATUSES)


def test_the_example_scenario_loads_with_its_fixed_ids_and_again_from_scratch(app, runtime, clock):
    document = parse_file(EXAMPLE.read_text(), EXAMPLE.name)
    [merchant] = load_scenario(runtime, document)
    assert merchant.seller_id == "ASCENARIOSTORE" and len(merchant.orders) == 31
    api = SignedApi(
        app.test_client(),
        MerchantCredentials(merchant.seller_id, merchant.access_key, merchant.secret_key),
        clock,
    )
    answer = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId="S01-1000000-0000004")
    assert (
        answer.find("GetOrderReferenceDetailsResult/OrderReferenceDetails/OrderTotal/Amount")
        == "45.00"
    )
    order = shown(app, merchant.seller_id, "S01-1000000-0000004")
    assert [i["sku"] for i in order["line_items"]] == ["MUG-BLUE", "TEE-M"]
    refunded = shown(app, merchant.seller_id, "S01-1000000-0000006")
    assert refunded["refunded_amount"] == "30.00"
    # Loading it again resets the merchant first: the same ids, made anew.
    [again] = load_scenario(runtime, document)
    assert [o.amazon_order_reference_id for o in again.orders][:11] == [
        o.amazon_order_reference_id for o in merchant.orders
    ][:11]


def test_a_scenario_flow_writes_the_notifications_a_real_flow_writes(app, runtime):
    document = {"merchants": [{"orders": [{"status": "Refunded", "amount": "10.00"}]}]}
    [merchant] = load_scenario(runtime, document)
    [order] = merchant.orders
    with runtime.db.session(write=False) as session:
        rows = session.scalars(select(Notification).order_by(Notification.id))
        seen = [(r.notification_type, r.state, r.reason_code) for r in rows]
    assert seen == [
        ("PaymentAuthorize", "Open", None),
        ("PaymentCapture", "Completed", None),
        ("PaymentAuthorize", "Closed", "MaxCapturesProcessed"),
        ("PaymentRefund", "Completed", None),
    ]
    assert order.ids["refunds"]


def test_a_disputed_order_declines_the_next_refund(app, runtime):
    document = {
        "merchants": [{"orders": [{"status": "Captured", "dispute": {"type": "a-to-z-claim"}}]}]
    }
    [merchant] = load_scenario(runtime, document)
    order_id = merchant.orders[0].amazon_order_reference_id
    client = app.test_client()
    base = f"/sandbox/api/v1/merchants/{merchant.seller_id}"
    assert (
        client.post(f"{base}/orders/{order_id}/refunds", json={"amount": "5.00"}).status_code == 201
    )
    assert client.post(f"{base}/clock/advance", json={"seconds": 5}).status_code == 200
    [refund] = [
        r
        for a in shown(app, merchant.seller_id, order_id)["authorizations"]
        for c in a["captures"]
        for r in c["refunds"]
    ]
    assert (refund["state"], refund["reason_code"]) == ("Declined", "ProcessingFailure")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"merchants": [{"orders": [{"status": "Paid"}]}]},
            "merchants[0].orders[0].status: Must be one of",
        ),
        (
            {"merchants": [{"orders": [{"status": "Open", "dispute": {"type": "chargeback"}}]}]},
            "merchants[0].orders[0].dispute: A dispute needs",
        ),
        (
            {"merchants": [{"orders": [{}, {"status": "Open", "amount": "x"}]}]},
            "merchants[0].orders[1].amount",
        ),
        (
            {
                "merchants": [
                    {"orders": [{"status": "Refunded", "amount": "10.00", "refunded": "20.00"}]}
                ]
            },
            "merchants[0].orders[0]: TransactionAmountExceeded",
        ),
        ({"shops": []}, "shops: Unknown field"),
        ([1, 2], "document: must be an object"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_entry(runtime, document, message):
    with pytest.raises(ScenarioProblem, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_scenario(runtime, document)


def test_a_scenario_over_the_api_as_yaml(app):
    text = yaml.safe_dump(
        {"merchants": [{"store_name": "api", "orders": [{"status": "Authorized"}]}]}
    )
    client = app.test_client()
    response = client.post("/sandbox/api/v1/scenarios", data=text, content_type="application/yaml")
    assert response.status_code == 201, response.get_json()
    [merchant] = response.get_json()["merchants"]
    assert (
        merchant["orders"][0]["status"] == "Authorized" and merchant["orders"][0]["authorizations"]
    )
    bad = client.post(
        "/sandbox/api/v1/scenarios", data="merchants: [", content_type="application/yaml"
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "InvalidScenario"
    other = client.post("/sandbox/api/v1/scenarios", data=text, content_type="text/plain")
    assert other.status_code == 415
