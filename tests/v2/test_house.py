"""API v2 objects in the control plane, in process: the control API's lists and reads, and the
dashboard's orders list, checkout page and actions (capture, refund, cancel a charge, close the
charge permission, disputes), each calling API v2's domain functions."""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.v2 import charges
from tests.v2.domain_helpers import Shop, price

API = "/sandbox/api/v1/merchants"


def _dashboard(shop: Shop, path: str = "") -> str:
    return f"/sandbox/merchants/{shop.seller_id}{path}"


def _act(client: Any, shop: Shop, any_id: str, action: str, **values: str) -> tuple[int, str]:
    """The confirmation page of ``action``, then confirmed: the status and page shown."""
    base = _dashboard(shop, f"/v2/{any_id}/{action}")
    confirm = client.get(base, query_string=values)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Yes:" in page, page
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    done = client.post(base, data={"csrf": found.group(1), "confirmed": "yes", **values})
    return done.status_code, done.get_data(as_text=True)


def _flash(page: str) -> str:
    found = re.search(r'<p class="flash (?:done|error)"[^>]*>([^<]*)</p>', page)
    assert found, page
    return found.group(1)


def test_control_api_lists_and_reads_v2_checkouts(app: Any, shop: Shop) -> None:
    client = app.test_client()
    completed = shop.checkout()
    open_id = shop.session()
    charge_id = completed["chargeId"]
    listed = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions").get_json()
    assert [row["checkout_session_id"] for row in listed["items"]] == [
        open_id,
        completed["checkoutSessionId"],
    ]
    assert listed["next"] is None
    row = listed["items"][1]
    assert (row["state"], row["amount"], row["currency_code"]) == ("Completed", "100.00", "USD")
    assert row["charge_permission_id"] == completed["chargePermissionId"]
    assert row["charge_permission_state"] == "Chargeable"
    assert row["buyer_name"] == "Test Buyer"

    by_charge = client.get(
        f"{API}/{shop.seller_id}/v2/checkout-sessions", query_string={"q": charge_id}
    ).get_json()
    assert [r["checkout_session_id"] for r in by_charge["items"]] == [
        completed["checkoutSessionId"]
    ]
    only_open = client.get(
        f"{API}/{shop.seller_id}/v2/checkout-sessions", query_string={"state": "Open", "limit": 1}
    ).get_json()
    assert [r["checkout_session_id"] for r in only_open["items"]] == [open_id]

    read = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions/{charge_id}").get_json()
    assert read["checkout_session"]["checkoutSessionId"] == completed["checkoutSessionId"]
    assert read["charge_permission"]["chargePermissionId"] == completed["chargePermissionId"]
    assert [c["chargeId"] for c in read["charges"]] == [charge_id]
    assert read["charges"][0]["statusDetails"]["state"] == "Authorized"
    assert read["refunds"] == [] and read["disputes"] == []

    missing = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions/S01-0000000-0000000")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "CheckoutNotFound"
    bad = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions", query_string={"state": "x"})
    assert bad.status_code == 400
    bad_cursor = client.get(
        f"{API}/{shop.seller_id}/v2/checkout-sessions", query_string={"cursor": "nope"}
    )
    assert bad_cursor.status_code == 400


def test_dashboard_lists_v2_checkouts_and_administers_one(app: Any, shop: Shop) -> None:
    client = app.test_client()
    completed = shop.checkout()
    session_id, charge_id = completed["checkoutSessionId"], completed["chargeId"]
    listing = client.get(_dashboard(shop, "/orders")).get_data(as_text=True)
    assert session_id in listing and completed["chargePermissionId"] in listing
    assert "status-Completed" in listing
    none_open = client.get(_dashboard(shop, "/orders"), query_string={"v2_state": "Open"})
    assert session_id not in none_open.get_data(as_text=True)

    page = client.get(_dashboard(shop, f"/v2/{charge_id}"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Authorized" in text and "Visa ****1111" in text

    status, text = _act(client, shop, session_id, "capture", charge_id=charge_id, amount="100.00")
    assert status == 200 and _flash(text) == f"Charge {charge_id} captured: Captured."
    status, text = _act(client, shop, session_id, "refund", charge_id=charge_id, amount="30.00")
    assert status == 200 and "RefundInitiated" in _flash(text)
    refund_id = re.search(r"Refund (\S+) made", _flash(text)).group(1)  # type: ignore[union-attr]
    status, text = _act(client, shop, session_id, "refund", charge_id=charge_id, amount="500.00")
    assert status == 400 and "refund" in _flash(text).lower()
    status, text = _act(client, shop, session_id, "dispute", type="a-to-z-claim")
    assert status == 200 and "filed: Open" in _flash(text)
    dispute_id = re.search(r"Dispute (\S+) filed", _flash(text)).group(1)  # type: ignore[union-attr]
    status, text = _act(
        client, shop, session_id, "resolve", dispute_id=dispute_id, outcome="denied"
    )
    assert status == 200 and _flash(text) == f"Dispute {dispute_id} Denied."

    status, text = _act(client, shop, session_id, "clock", how="advance", seconds="600")
    assert status == 200 and "Clock now" in _flash(text)
    text = client.get(_dashboard(shop, f"/v2/{refund_id}")).get_data(as_text=True)
    refund_row = re.search(rf"<tr class=\"refund\">.*?{refund_id}.*?</tr>", text, re.S)
    assert refund_row and "Refunded" in refund_row.group(0)
    assert f"<strong>{refund_id}</strong> Refunded" in text  # the timeline


def test_dashboard_cancels_a_charge_and_closes_the_charge_permission(app: Any, shop: Shop) -> None:
    client = app.test_client()
    first = shop.checkout()
    status, text = _act(client, shop, first["chargeId"], "cancel-charge", reason="Out of stock")
    assert status == 200
    assert _flash(text) == f"Charge {first['chargeId']} canceled: Canceled/MerchantCanceled."
    status, text = _act(client, shop, first["chargeId"], "cancel-charge")
    assert status == 405 and "only an AuthorizationInitiated or Authorized" in _flash(text)

    second = shop.checkout()
    status, text = _act(
        client, shop, second["checkoutSessionId"], "close", cancel_pending_charges="yes"
    )
    assert status == 200 and "closed: MerchantClosed" in _flash(text)
    read = client.get(
        f"{API}/{shop.seller_id}/v2/checkout-sessions/{second['checkoutSessionId']}"
    ).get_json()
    assert read["charge_permission"]["statusDetails"]["state"] == "Closed"
    charge_status = read["charges"][0]["statusDetails"]
    assert (charge_status["state"], charge_status["reasonCode"]) == (
        "Canceled",
        "ChargePermissionCanceled",
    )


def test_dashboard_v2_bad_input_is_a_page_never_a_500(app: Any, shop: Shop) -> None:
    client = app.test_client()
    open_id = shop.session(paymentDetails={"chargeAmount": price("5.00")})
    missing = client.get(_dashboard(shop, "/v2/nope"))
    assert missing.status_code == 404 and "No API v2 checkout" in missing.get_data(as_text=True)
    assert client.get(_dashboard(shop, f"/v2/{open_id}")).status_code == 200
    status, text = _act(client, shop, open_id, "refund", amount="1.00")
    assert status == 409 and "not completed" in _flash(text)
    assert client.get(_dashboard(shop, f"/v2/{open_id}/explode")).status_code == 404
    completed = shop.checkout()
    status, text = _act(client, shop, completed["chargeId"], "capture")
    assert status == 400 and "amount is required" in _flash(text)
    status, text = _act(client, shop, completed["chargeId"], "capture", amount="abc")
    assert status == 400
    stale = client.post(
        _dashboard(shop, f"/v2/{completed['chargeId']}/close"), data={"confirmed": "yes"}
    )
    assert stale.status_code == 403


def test_cli_lists_and_shows_v2_checkouts(app: Any, shop: Shop) -> None:
    from click.testing import CliRunner

    from gateway.cli import cli
    from gateway.testing.inprocess import InProcessNetwork

    completed = shop.checkout()
    network = InProcessNetwork()
    network.route("http://sim.invalid/", app)
    env = {"GATEWAY_URL": "http://sim.invalid", "GATEWAY_MERCHANT": shop.seller_id}
    runner = CliRunner()
    with network.intercepting():
        listed = runner.invoke(cli, ["v2-checkouts", "list", "--state", "Completed"], env=env)
        shown = runner.invoke(cli, ["v2-checkouts", "show", completed["chargeId"]], env=env)
        as_json = runner.invoke(
            cli, ["v2-checkouts", "show", completed["checkoutSessionId"], "--json"], env=env
        )
        missing = runner.invoke(cli, ["v2-checkouts", "show", "nope"], env=env)
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()[:2]
    assert header.split()[:3] == ["CHECKOUT_SESSION_ID", "STATE", "REASON_CODE"]
    assert row.split()[:2] == [completed["checkoutSessionId"], "Completed"]
    assert shown.exit_code == 0, shown.output
    assert f"charge {completed['chargeId']} Authorized 100.00" in shown.output
    assert f"charge permission {completed['chargePermissionId']} Chargeable" in shown.output
    assert as_json.exit_code == 0
    assert '"chargePermissionId"' in as_json.output
    assert missing.exit_code != 0 and "No API v2 checkout" in missing.output
    assert len(missing.output.strip().splitlines()) == 1


def test_a_merchant_reset_removes_its_v2_objects(app: Any, shop: Shop) -> None:
    client = app.test_client()
    completed = shop.checkout()
    with_refund = shop.checkout()
    shop.run(
        lambda ctx: charges.capture(
            ctx, with_refund["chargeId"], {"captureAmount": price("100.00")}
        )
    )
    status, _text = _act(
        client,
        shop,
        with_refund["chargeId"],
        "refund",
        charge_id=with_refund["chargeId"],
        amount="5.00",
    )
    assert status == 200
    _act(client, shop, with_refund["chargeId"], "dispute", type="chargeback")
    shop.session()
    listed = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions").get_json()
    assert len(listed["items"]) == 3
    reset = client.post(f"{API}/{shop.seller_id}/reset")
    assert reset.status_code == 200, reset.get_data(as_text=True)
    assert client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions").get_json()["items"] == []
    gone = client.get(f"{API}/{shop.seller_id}/v2/checkout-sessions/{completed['chargeId']}")
    assert gone.status_code == 404
    assert shop.notifications("CHARGE") == [] and shop.notifications("REFUND") == []


def test_export_and_import_carry_v2_objects(api: Any, shop: Shop) -> None:
    from tests.admin.test_transfer import canonical, export, import_

    captured = shop.checkout()
    shop.run(
        lambda ctx: charges.capture(ctx, captured["chargeId"], {"captureAmount": price("100.00")})
    )
    client = api.client
    _act(client, shop, captured["chargeId"], "refund", amount="10.00")
    _act(client, shop, captured["chargeId"], "dispute", type="chargeback")
    shop.due(600)
    canceled = shop.session()
    shop.buyer(canceled, card="3064")
    shop.session()
    first = export(api)
    assert len(first["v2_charge_permissions"]) == 1 and len(first["v2_checkout_sessions"]) == 3
    charge = first["v2_charge_permissions"][0]["charges"][0]
    assert charge["state"] == "Captured" and len(charge["refunds"]) == 1
    assert len(charge["disputes"]) == 1
    made = import_(api, json.dumps(first).encode())
    assert made["imported"]["v2_checkout_sessions"] == 3
    second = export(api, made["seller_id"])
    assert canonical(second) == canonical(first)
    old_ids = {s["amazon_id"] for s in first["v2_checkout_sessions"]}
    assert not old_ids & {s["amazon_id"] for s in second["v2_checkout_sessions"]}
    new_charge = second["v2_charge_permissions"][0]["charges"][0]["amazon_id"]
    read = client.get(f"{API}/{made['seller_id']}/v2/checkout-sessions/{new_charge}").get_json()
    assert read["charges"][0]["captureAmount"] == {"amount": "100.00", "currencyCode": "USD"}
    # The chargeback was open when the refund settled: Declined/ProcessingFailure.
    refund_status = read["refunds"][0]["statusDetails"]
    assert (refund_status["state"], refund_status["reasonCode"]) == (
        "Declined",
        "ProcessingFailure",
    )
    assert read["disputes"][0]["type"] == "chargeback"
    v2_notes = [n for n in second["notifications"] if "ChargePermissionId" in n["extra"]]
    assert v2_notes and all(
        n["extra"]["ChargePermissionId"] == second["v2_charge_permissions"][0]["amazon_id"]
        for n in v2_notes
    )


def _checkout(app: Any, seller_id: str, any_id: str) -> dict[str, Any]:
    read = app.test_client().get(f"{API}/{seller_id}/v2/checkout-sessions/{any_id}")
    assert read.status_code == 200, read.get_json()
    found: dict[str, Any] = read.get_json()
    return found


def test_scenario_files_make_v2_checkouts_in_every_status(app: Any, runtime: Any) -> None:
    from gateway.scenarios.loader import load_scenario
    from gateway.scenarios.schema import V2_STATUSES

    checkouts: list[dict[str, Any]] = [{"status": s, "amount": "50.00"} for s in V2_STATUSES]
    checkouts[V2_STATUSES.index("Captured")]["dispute"] = {"type": "a-to-z-claim"}
    [merchant] = load_scenario(runtime, {"merchants": [{"v2_checkouts": checkouts}]})
    shown = {}
    for made in merchant.v2_checkouts:
        found = _checkout(app, merchant.seller_id, made.checkout_session_id)
        session_status = found["checkout_session"]["statusDetails"]
        charge = found["charges"][0] if found["charges"] else None
        shown[made.status] = (
            session_status["state"],
            session_status["reasonCode"],
            charge and charge["statusDetails"]["state"],
            charge and (charge["refundedAmount"] or {}).get("amount"),
            found["charge_permission"] and found["charge_permission"]["statusDetails"]["state"],
        )
    assert shown == {
        "Open": ("Open", None, None, None, None),
        "BuyerCanceled": ("Canceled", "BuyerCanceled", None, None, None),
        "Declined": ("Canceled", "Declined", None, None, None),
        "Authorized": ("Completed", None, "Authorized", None, "Chargeable"),
        "Captured": ("Completed", None, "Captured", "0.00", "Closed"),
        "PartiallyRefunded": ("Completed", None, "Captured", "25.00", "Closed"),
        "Refunded": ("Completed", None, "Captured", "50.00", "Closed"),
        "Closed": ("Completed", None, "Canceled", None, "Closed"),
    }
    disputed = _checkout(app, merchant.seller_id, merchant.v2_checkouts[4].checkout_session_id)
    assert [d["type"] for d in disputed["disputes"]] == ["a-to-z-claim"]


def test_the_example_scenario_has_v2_checkouts_and_bad_ones_are_refused(
    app: Any, runtime: Any
) -> None:
    from pathlib import Path

    import pytest

    from gateway.scenarios.loader import ScenarioProblem, load_scenario, parse_file

    example = Path(__file__).resolve().parents[2] / "examples" / "scenario.yaml"
    [merchant] = load_scenario(runtime, parse_file(example.read_text(), example.name))
    assert [c.status for c in merchant.v2_checkouts] == [
        "Open",
        "BuyerCanceled",
        "Authorized",
        "Captured",
        "PartiallyRefunded",
        "Closed",
    ]
    listed = app.test_client().get(f"{API}/{merchant.seller_id}/v2/checkout-sessions").get_json()
    assert len(listed["items"]) == 6
    with pytest.raises(ScenarioProblem, match=r"merchants\[0\]\.v2_checkouts\[0\]\.dispute"):
        load_scenario(
            runtime,
            {
                "merchants": [
                    {"v2_checkouts": [{"status": "Open", "dispute": {"type": "chargeback"}}]}
                ]
            },
        )
    with pytest.raises(ScenarioProblem, match=r"v2_checkouts\[0\]: TransactionAmountExceeded"):
        load_scenario(
            runtime,
            {
                "merchants": [
                    {
                        "v2_checkouts": [
                            {"status": "Captured", "amount": "10.00", "captured": "20.00"}
                        ]
                    }
                ]
            },
        )


def test_the_journal_views_show_v2_requests(app: Any, runtime: Any, shop: Shop, clock: Any) -> None:
    from tests.v2.helpers import V2Api, register_key

    client = app.test_client()
    v2 = V2Api(client, register_key(runtime, shop.seller_id), clock)
    made = v2.call(
        "POST",
        "checkoutSessions",
        {
            "storeId": "amzn1.application-oa2-client.test",
            "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
        },
        headers={"x-amz-pay-idempotency-key": "journal-test-0001"},
    )
    assert made.status == 201, made.body
    page = client.get(
        _dashboard(shop, "/journal"), query_string={"action": "CreateCheckoutSession"}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>CreateCheckoutSession</strong> (AmazonPayV2) → HTTP 201" in text
    entries = client.get(f"{API}/{shop.seller_id}/journal").get_json()["items"]
    assert entries[0]["action"] == "CreateCheckoutSession"


def test_cli_files_a_dispute_on_a_v2_charge(app: Any, shop: Shop) -> None:
    from click.testing import CliRunner

    from gateway.cli import cli
    from gateway.testing.inprocess import InProcessNetwork

    completed = shop.checkout()
    shop.run(
        lambda ctx: charges.capture(ctx, completed["chargeId"], {"captureAmount": price("100.00")})
    )
    network = InProcessNetwork()
    network.route("http://sim.invalid/", app)
    env = {"GATEWAY_URL": "http://sim.invalid", "GATEWAY_MERCHANT": shop.seller_id}
    with network.intercepting():
        filed = CliRunner().invoke(
            cli,
            ["disputes", "file", completed["chargePermissionId"], "--v2", "--type", "chargeback"],
            env=env,
        )
    assert filed.exit_code == 0, filed.output
    assert f"charge_id:     {completed['chargeId']}" in filed.output
    assert "state:         Open" in filed.output
