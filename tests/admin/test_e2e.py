"""Order administration, the journal, reset, export/import and scenarios against a real
``gateway serve``, checked through the official amazon_pay SDK. Asynchronous work is applied by
advancing the merchant's clock (or, with the scheduler, awaited by the sandbox's wait endpoint,
which polls on the server with a deadline): nothing here sleeps."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.servers import CONTROL, GatewayServer, ServerError
from tests.support.sink import Sink

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenario.yaml"
ITEMS = [
    {"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "15.00"},
    {"sku": "TEE", "title": "T-shirt", "quantity": 1, "unit_price": "20.00"},
]


def answer(response: Any, kind: str) -> dict[str, Any]:
    assert response.success, response.to_xml()
    (root,) = response.to_dict().values()
    result = next(v for k, v in root.items() if k.endswith("Result"))
    value: dict[str, Any] = result[f"{kind}Details"]
    return value


def error(response: Any) -> tuple[str, str]:
    assert not response.success
    failure = response.to_dict()["ErrorResponse"]["Error"]
    return failure["Code"], failure["Message"]


def captured_order(
    server: GatewayServer, merchant: dict[str, Any], client: Any, **body: Any
) -> dict[str, str]:
    """An order made by the buyer's widget, then set, confirmed, authorized and captured in whole
    by the SDK; its ids."""
    order_id = server.new_order(merchant["seller_id"], **body)
    total = body.get("amount", "50.00")
    run = uuid.uuid4().hex[:10]
    assert client.set_order_reference_details(
        amazon_order_reference_id=order_id, order_total=total
    ).success
    assert client.confirm_order_reference(amazon_order_reference_id=order_id).success
    auth = answer(
        client.authorize(
            amazon_order_reference_id=order_id,
            authorization_reference_id=f"a{run}",
            authorization_amount=total,
            transaction_timeout=0,
        ),
        "Authorization",
    )
    cap = answer(
        client.capture(
            amazon_authorization_id=auth["AmazonAuthorizationId"],
            capture_reference_id=f"c{run}",
            capture_amount=total,
        ),
        "Capture",
    )
    return {
        "order": order_id,
        "authorization": auth["AmazonAuthorizationId"],
        "capture": cap["AmazonCaptureId"],
    }


def test_canceling_line_items_refunds_them_with_their_ipns(
    live_server_with_scheduler: GatewayServer,
):
    server = live_server_with_scheduler
    with Sink() as receiver:
        merchant = server.new_merchant(ipn_url=receiver.url)
        client = server.sdk(merchant)
        seller = merchant["seller_id"]
        ids = captured_order(server, merchant, client, line_items=ITEMS)
        done = server.sandbox(
            "POST",
            f"/merchants/{seller}/orders/{ids['order']}/cancel",
            status=200,
            line_items=[{"sku": "MUG"}],
        )
        assert (done["canceled_amount"], done["refund_due_amount"]) == ("30.00", "30.00")
        refund_id = done["refunds"][0]["AmazonRefundId"]
        assert (
            answer(client.get_refund_details(amazon_refund_id=refund_id), "Refund")["RefundStatus"][
                "State"
            ]
            == "Pending"
        )
        server.advance_clock(seller, 5)
        waited = requests.get(
            f"{server.url}{CONTROL}/merchants/{seller}/wait",
            params={
                "object_id": refund_id,
                "state": "Completed",
                "acknowledged": "true",
                "timeout": 30,
            },
            timeout=40,
        )
        assert waited.status_code == 200, waited.text
        refund = answer(client.get_refund_details(amazon_refund_id=refund_id), "Refund")
        assert (refund["RefundStatus"]["State"], refund["RefundAmount"]["Amount"]) == (
            "Completed",
            "30.00",
        )
        order = answer(
            client.get_order_reference_details(amazon_order_reference_id=ids["order"]),
            "OrderReference",
        )
        assert order["OrderTotal"]["Amount"] == "20.00"
        refund_ipns = [m for m in receiver.bodies() if refund_id.encode() in m]
        assert refund_ipns, "the refund's IPN was delivered"


def test_a_deleted_orders_ids_answer_as_ids_that_never_existed(live_server: GatewayServer):
    merchant = live_server.new_merchant()
    client = live_server.sdk(merchant)
    seller = merchant["seller_id"]
    ids = captured_order(live_server, merchant, client)
    deleting = live_server.sandbox(
        "DELETE", f"/merchants/{seller}/orders/{ids['order']}", status=202
    )
    ids["refund"] = deleting["refunds"][0]["AmazonRefundId"]
    live_server.advance_clock(seller, 5)
    never = {
        "order": "S01-9999999-9999999",
        "authorization": "S01-9999999-9999999-A999999",
        "capture": "S01-9999999-9999999-C999999",
        "refund": "S01-9999999-9999999-R999999",
    }
    calls = {
        "order": lambda i: client.get_order_reference_details(amazon_order_reference_id=i),
        "authorization": lambda i: client.get_authorization_details(amazon_authorization_id=i),
        "capture": lambda i: client.get_capture_details(amazon_capture_id=i),
        "refund": lambda i: client.get_refund_details(amazon_refund_id=i),
    }
    for kind, call in calls.items():
        code, message = error(call(ids[kind]))
        never_code, never_message = error(call(never[kind]))
        assert (code, message.replace(ids[kind], "ID")) == (
            never_code,
            never_message.replace(never[kind], "ID"),
        )
    assert (
        live_server.sandbox("GET", f"/merchants/{seller}/orders/{ids['order']}", status=404)[
            "error"
        ]["code"]
        == "InvalidOrderReferenceId"
    )


def test_the_journal_holds_the_sdks_requests_redacted(live_server: GatewayServer):
    merchant = live_server.new_merchant()
    client = live_server.sdk(merchant)
    order_id = live_server.new_order(merchant["seller_id"])
    client.get_order_reference_details(amazon_order_reference_id=order_id)
    bad = live_server.sdk({**merchant, "secret_key": "not-the-secret-key-at-all"})
    assert (
        error(bad.get_order_reference_details(amazon_order_reference_id=order_id))[0]
        == "SignatureDoesNotMatch"
    )
    items = live_server.sandbox("GET", f"/merchants/{merchant['seller_id']}/journal")["items"]
    assert [(e["action"], e["status"]) for e in items] == [
        ("GetOrderReferenceDetails", 403),
        ("GetOrderReferenceDetails", 200),
    ]
    assert all(e["parameters"]["Signature"] == "[redacted]" for e in items)
    assert items[0]["string_to_sign"].startswith("POST\n127.0.0.1:")
    assert merchant["secret_key"] not in json.dumps(items)


def test_reset_keeps_the_keys_and_export_import_gives_the_same_objects(live_server: GatewayServer):
    merchant = live_server.new_merchant()
    client = live_server.sdk(merchant)
    seller = merchant["seller_id"]
    ids = captured_order(live_server, merchant, client, line_items=ITEMS, amount="50.00")
    exported = requests.get(f"{live_server.url}{CONTROL}/merchants/{seller}/export", timeout=30)
    assert exported.status_code == 200
    imported = requests.post(
        f"{live_server.url}{CONTROL}/merchants/import",
        data=exported.content,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert imported.status_code == 201, imported.text
    twin = imported.json()
    order_id = json.loads(
        requests.get(
            f"{live_server.url}{CONTROL}/merchants/{twin['seller_id']}/export", timeout=30
        ).content
    )["order_references"][0]["amazon_id"]
    twin_client = live_server.sdk({**twin})
    mine = answer(
        client.get_order_reference_details(amazon_order_reference_id=ids["order"]), "OrderReference"
    )
    theirs = answer(
        twin_client.get_order_reference_details(amazon_order_reference_id=order_id),
        "OrderReference",
    )
    strip = lambda d: json.loads(json.dumps(d).replace(ids["order"], "ID").replace(order_id, "ID"))  # noqa: E731
    assert strip(mine) == strip(theirs)

    live_server.sandbox("POST", f"/merchants/{seller}/reset", status=200)
    assert (
        error(client.get_order_reference_details(amazon_order_reference_id=ids["order"]))[0]
        == "InvalidOrderReferenceId"
    )
    assert client.get_service_status().success  # the same keys still sign


def test_a_scenario_over_the_api_yields_the_states_asked(live_server: GatewayServer):
    document = {
        "merchants": [
            {
                "orders": [
                    {"status": "PartiallyRefunded", "amount": "40.00", "refunded": "10.00"},
                    {"status": "Canceled"},
                ]
            }
        ]
    }
    made = live_server.sandbox("POST", "/scenarios", status=201, **document)["merchants"][0]
    client = live_server.sdk(made)
    partly, canceled = made["orders"]
    refund = answer(client.get_refund_details(amazon_refund_id=partly["refunds"][0]), "Refund")
    assert (refund["RefundStatus"]["State"], refund["RefundAmount"]["Amount"]) == (
        "Completed",
        "10.00",
    )
    status = answer(
        client.get_order_reference_details(
            amazon_order_reference_id=canceled["amazon_order_reference_id"]
        ),
        "OrderReference",
    )["OrderReferenceStatus"]
    assert status["State"] == "Canceled"


def test_a_scenario_loaded_at_start(own_server):
    server = own_server()
    server.argv += ["--scenario", str(EXAMPLE)]
    server.start()
    assert re.search(r"scenario .*: 1 merchant\(s\), 31 order\(s\)", server.log())
    client = server.sdk(
        {
            "seller_id": "ASCENARIOSTORE",
            "access_key": "AKIASCENARIOSTORE0001",
            "secret_key": "scenario-secret-key-0123456789abcdefghij",
        }
    )
    expected = {
        "S01-1000000-0000001": "Draft",
        "S01-1000000-0000003": "Open",
        "S01-1000000-0000005": "Closed",
        "S01-1000000-0000008": "Canceled",
        "S01-1000000-0000009": "Suspended",
    }
    for order_id, state in expected.items():
        found = answer(
            client.get_order_reference_details(amazon_order_reference_id=order_id), "OrderReference"
        )
        assert found["OrderReferenceStatus"]["State"] == state, order_id
    shown = server.sandbox("GET", "/merchants/ASCENARIOSTORE/orders/S01-1000000-0000010")
    assert shown["payment_status"] == "Captured"


def test_a_bad_scenario_at_start_is_one_line_and_status_2(own_server, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("merchants:\n  - orders:\n      - status: Paid\n")
    server = own_server()
    server.argv += ["--scenario", str(bad)]
    with pytest.raises(
        ServerError, match=r"exited with 2:[\s\S]*merchants\[0\]\.orders\[0\]\.status"
    ):
        server.start(timeout=30)
