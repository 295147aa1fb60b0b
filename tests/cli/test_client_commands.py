"""The ``gateway`` CLI's client commands against a running ``gateway serve``: every command
group, ``--json`` parsed, errors as one line and a non-zero status, ``trigger`` (its
notification arrives), ``sign`` (its curl command answers 200), ``export`` then ``import``, and
``load``. Asynchronous work is applied by advancing the clock or awaited with the receiver's
deadline: nothing sleeps.

The commands run in this process through click's ``CliRunner`` (a console script's start costs
half a second, and these tests make about sixty calls), with the environment a shell would give
them; ``test_the_console_script_runs_a_client_command`` runs the real ``gateway`` script, as do
the docs' examples (tests/test_docs_blocks.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from tests.support.servers import GatewayServer
from tests.support.sink import Sink, message

pytestmark = pytest.mark.e2e

GATEWAY = str(Path(sys.executable).parent / "gateway")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenario.yaml"
ITEMS = [
    {"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "15.00"},
    {"sku": "TEE", "title": "T-shirt", "quantity": 1, "unit_price": "20.00"},
]


@dataclass(frozen=True)
class Done:
    """A finished command: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run(server: GatewayServer | str, *args: str, token: str | None = None) -> Done:
    """``gateway ARGS`` against ``server``, in process; an exception it lets escape fails the
    test (a traceback is never what a user should see)."""
    url = server if isinstance(server, str) else server.url
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GATEWAY_")}
    env["GATEWAY_URL"] = url
    if token:
        env["GATEWAY_TOKEN"] = token
    done = CliRunner().invoke(cli, list(args), env=env, prog_name="gateway", catch_exceptions=False)
    return Done(done.exit_code, done.stdout, done.stderr)


def ok(server: GatewayServer | str, *args: str, token: str | None = None) -> Any:
    """``gateway ARGS --json`` that must succeed; its JSON."""
    done = run(server, *args, "--json", token=token)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def failed(server: GatewayServer | str, *args: str, token: str | None = None) -> str:
    """``gateway ARGS`` that must fail with one line on stderr; that line."""
    done = run(server, *args, token=token)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def captured_order(server: GatewayServer, seller_id: str) -> str:
    """A Captured order with two line items, made by a scenario into ``seller_id``."""
    order: dict[str, Any] = {"status": "Captured", "line_items": ITEMS}
    made = server.sandbox(
        "POST", "/scenarios", merchants=[{"seller_id": seller_id, "orders": [order]}]
    )
    order_id: str = made["merchants"][0]["orders"][0]["amazon_order_reference_id"]
    return order_id


def test_merchants(live_server: GatewayServer) -> None:
    made = ok(live_server, "merchants", "create", "--store-name", "cli-shop")
    seller = made["seller_id"]
    assert made["store_name"] == "cli-shop" and made["secret_key"]
    assert ok(live_server, "merchants", "show", seller)["access_key"] == made["access_key"]
    listed = ok(live_server, "merchants", "list", "-q", seller)["items"]
    assert [m["seller_id"] for m in listed] == [seller]
    table = run(live_server, "merchants", "list", "-q", seller).stdout.splitlines()
    assert table[0].split() == ["SELLER_ID", "NAME", "STORE_NAME", "ACCESS_KEY", "IPN_URL"]
    assert table[1].split()[0] == seller
    assert failed(live_server, "merchants", "show", "ANOSUCHMERCHANT").startswith(
        "Error: MerchantNotFound"
    )
    switched = ok(live_server, "merchants", "throttling", seller, "sandbox")
    assert switched["mode"] == "sandbox"
    assert switched["services"]["offamazon_payments"]["Refund"]["burst"] == 2
    shown = run(live_server, "merchants", "throttling", seller).stdout.splitlines()
    assert shown[0] == "mode: sandbox"
    assert shown[1].split() == ["SERVICE", "OPERATION", "BURST", "RESTORE_SECONDS", "AVAILABLE"]
    assert ["fps", "Refund", "2", "2.0", "2"] in [line.split() for line in shown]
    assert ok(live_server, "merchants", "throttling", seller, "off") == {
        "mode": "off",
        "services": {},
    }
    assert failed(live_server, "merchants", "throttling", "ANOSUCHMERCHANT").startswith(
        "Error: MerchantNotFound"
    )


def test_orders_refunds_and_disputes(live_server: GatewayServer) -> None:
    seller = live_server.new_merchant()["seller_id"]
    order_id = captured_order(live_server, seller)
    m = ["-m", seller]
    assert [o["amazon_order_reference_id"] for o in ok(live_server, "orders", "list", *m)["items"]] == [
        order_id
    ]  # fmt: skip
    shown = ok(live_server, "orders", "show", *m, order_id)
    assert (shown["payment_status"], shown["captured_amount"]) == ("Captured", "50.00")
    people = run(live_server, "orders", "show", *m, order_id).stdout
    assert "payment_status:" in people and "capture " in people

    refund = ok(live_server, "refunds", "create", *m, order_id, "--amount", "5.00")
    assert refund["refunds"][0]["RefundStatus"]["State"] == "Pending"
    ok(live_server, "clock", "advance", *m, "60")
    (listed,) = ok(live_server, "refunds", "list", *m, "--order", order_id)["items"]
    assert (listed["state"], listed["amount"]) == ("Completed", "5.00")

    canceled = ok(live_server, "orders", "cancel", *m, order_id, "--item", "MUG:1")
    assert canceled["canceled_amount"] == "15.00"

    dispute = ok(live_server, "disputes", "file", *m, order_id, "--type", "chargeback")
    assert (
        ok(live_server, "disputes", "list", *m)["items"][0]["dispute_id"] == dispute["dispute_id"]
    )
    resolved = ok(live_server, "disputes", "resolve", *m, dispute["dispute_id"], "denied")
    assert resolved["state"] == "Denied"

    deleted = ok(live_server, "orders", "delete", *m, order_id)
    assert deleted["state"] in ("Deleted", "Deleting")
    ok(live_server, "clock", "advance", *m, "60")
    assert "InvalidOrderReferenceId" in failed(live_server, "orders", "show", *m, order_id)
    assert "InvalidOrderReferenceId" in failed(
        live_server, "refunds", "create", *m, "x", "--amount", "1"
    )


def test_clock_notifications_and_journal(live_server: GatewayServer) -> None:
    seller = live_server.new_merchant()["seller_id"]
    m = ["-m", seller]
    frozen = ok(live_server, "clock", "freeze", *m)
    assert frozen["frozen"] is True
    later = ok(live_server, "clock", "advance", *m, "3600")["now"]
    moved = datetime.fromisoformat(later) - datetime.fromisoformat(frozen["now"])
    assert moved == timedelta(hours=1)
    assert ok(live_server, "clock", "resume", *m)["frozen"] is False
    assert ok(live_server, "clock", "reset", *m)["offset_seconds"] == 0
    assert ok(live_server, "clock", "show", *m)["frozen"] is False

    captured_order(live_server, seller)
    items = ok(live_server, "notifications", "list", *m, "--type", "PaymentCapture")["items"]
    assert [n["notification_type"] for n in items] == ["PaymentCapture"]
    shown = ok(live_server, "notifications", "show", *m, str(items[0]["id"]))
    assert shown["object_id"] == items[0]["object_id"]
    assert "NotificationNotFound" in failed(live_server, "notifications", "show", *m, "999999")
    assert ok(live_server, "journal", *m)["items"] == []  # a scenario is not a signed request


def test_sign_prints_a_curl_command_the_server_accepts(live_server: GatewayServer) -> None:
    seller = live_server.new_merchant()["seller_id"]
    signed = ok(live_server, "sign", "-m", seller, "GetServiceStatus")
    assert signed["parameters"]["Signature"] == signed["signature"]
    assert signed["string_to_sign"].startswith("POST\n127.0.0.1:")
    curl = subprocess.run(
        ["bash", "-c", signed["curl"] + " -w '\\n%{http_code}'"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    body, status = curl.stdout.rsplit("\n", 1)
    assert status == "200", body
    assert "<Status>GREEN</Status>" in body

    wrong = ok(live_server, "sign", "-m", seller, "GetServiceStatus", "--access-key",
               ok(live_server, "merchants", "show", seller)["access_key"], "--secret-key", "x" * 40)  # fmt: skip
    refused = subprocess.run(["bash", "-c", wrong["curl"]], capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert "SignatureDoesNotMatch" in refused.stdout


def test_export_then_import_gives_the_same_objects(live_server: GatewayServer, tmp_path: Path):
    seller = live_server.new_merchant()["seller_id"]
    order_id = captured_order(live_server, seller)
    document = tmp_path / "export.json"
    assert run(live_server, "export", "-m", seller, "-o", str(document)).returncode == 0
    twin = ok(live_server, "import", str(document))
    assert twin["seller_id"] != seller and twin["imported"]["order_references"] == 1

    def shape(seller_id: str) -> list[tuple[str, str, str]]:
        orders = ok(live_server, "orders", "list", "-m", seller_id)["items"]
        return [(o["state"], o["amount"], o["captured_amount"]) for o in orders]

    assert shape(twin["seller_id"]) == shape(seller) == [("Open", "50.00", "50.00")]
    original = ok(live_server, "orders", "show", "-m", seller, order_id)
    (copied,) = ok(live_server, "orders", "list", "-m", twin["seller_id"])["items"]
    assert copied["amazon_order_reference_id"] != order_id
    imported = ok(
        live_server, "orders", "show", "-m", twin["seller_id"], copied["amazon_order_reference_id"]
    )
    assert [i["sku"] for i in imported["line_items"]] == [i["sku"] for i in original["line_items"]]

    assert ok(live_server, "reset", "-m", twin["seller_id"])["clock"]["offset_seconds"] == 0
    assert ok(live_server, "orders", "list", "-m", twin["seller_id"])["items"] == []
    assert "InvalidDocument" in failed(live_server, "import", str(EXAMPLE))


def test_load_a_scenario_into_the_running_server(live_server: GatewayServer) -> None:
    loaded = ok(live_server, "load", str(EXAMPLE))
    (merchant,) = loaded["merchants"]
    assert merchant["seller_id"] == "ASCENARIOSTORE" and len(merchant["orders"]) == 31
    statuses = ok(live_server, "orders", "show", "-m", "ASCENARIOSTORE", "S01-1000000-0000004")
    assert statuses["payment_status"] == "Captured"


def test_a_scenarios_fault_rules_load_and_travel_with_an_export(
    live_server: GatewayServer, tmp_path: Path
) -> None:
    seller = f"AFAULTS{os.urandom(4).hex().upper()}"
    scenario = tmp_path / "faults.yaml"
    scenario.write_text(
        f"merchants:\n"
        f"  - seller_id: {seller}\n"
        f"    faults:\n"
        f"      - {{kind: error, action: GetServiceStatus, error_code: ServiceUnavailable}}\n"
        f"      - {{kind: drop, action: PaymentRefund, count: 2, probability: 0.5, seed: 4}}\n"
    )
    loaded = run(live_server, "load", str(scenario))
    assert loaded.returncode == 0 and f"{seller}: 0 order(s), 2 fault rule(s)" in loaded.stdout
    rules = ok(live_server, "faults", "list", "-m", seller)["items"]
    assert [(r["kind"], r.get("http_status"), r.get("remaining")) for r in rules] == [
        ("error", 503, None),
        ("drop", None, 2),
    ]
    document = tmp_path / "export.json"
    assert run(live_server, "export", "-m", seller, "-o", str(document)).returncode == 0
    twin = ok(live_server, "import", str(document))
    assert twin["imported"]["fault_rules"] == 2
    copied = ok(live_server, "faults", "list", "-m", twin["seller_id"])["items"]
    ignored = ("id", "description")
    assert [{k: v for k, v in r.items() if k not in ignored} for r in copied] == [
        {k: v for k, v in r.items() if k not in ignored} for r in rules
    ]
    scenario.write_text(f"merchants: [{{seller_id: {seller}, faults: [{{kind: drop, seed: -1}}]}}]")
    assert "merchants[0].faults[0].seed" in failed(live_server, "load", str(scenario))


def test_errors_are_one_line(live_server: GatewayServer, tmp_path: Path) -> None:
    from tests.support.servers import free_port

    down = f"http://127.0.0.1:{free_port()}"
    line = failed(down, "merchants", "list")
    assert down in line and "cannot reach" in line
    assert "InvalidToken" in failed(live_server, "merchants", "list", token="gwa_wrong")
    assert "MerchantNotFound" in failed(live_server, "orders", "list", "-m", "ANOSUCHSELLER")
    bad = tmp_path / "bad.yaml"
    bad.write_text("merchants: [{orders: [{status: Nope}]}]\n")
    assert "merchants[0].orders[0]" in failed(live_server, "load", str(bad))


@pytest.mark.parametrize(
    ("event", "reason", "kind", "state", "reason_code"),
    [
        ("refund.completed", None, "PaymentRefund", "Completed", None),
        ("refund.declined", "ProcessingFailure", "PaymentRefund", "Declined", "ProcessingFailure"),
        ("capture.declined", None, "PaymentCapture", "Declined", "AmazonRejected"),
        ("authorization.declined", None, "PaymentAuthorize", "Declined", "InvalidPaymentMethod"),
    ],
)
def test_trigger_sends_the_notification(
    live_server_with_scheduler: GatewayServer,
    receiver: Sink,
    event: str,
    reason: str | None,
    kind: str,
    state: str,
    reason_code: str | None,
) -> None:
    server = live_server_with_scheduler
    seller = server.new_merchant(ipn_url=receiver.url)["seller_id"]
    args = ["trigger", "-m", seller, event, *(["--reason", reason] if reason else [])]
    made = ok(server, *args)
    status_of = {"PaymentRefund": "RefundDetails", "PaymentCapture": "CaptureDetails"}
    status_of["PaymentAuthorize"] = "AuthorizationDetails"

    def wanted(item: Any) -> bool:
        sent = message(item.body)
        return (
            sent["NotificationType"] == kind
            and f"<State>{state}</State>" in sent["NotificationData"]
        )

    arrived = message(receiver.next_matching(wanted, timeout=30).body)
    assert made["seller_id"] == seller
    if reason_code:
        assert f"<ReasonCode>{reason_code}</ReasonCode>" in arrived["NotificationData"]
    assert status_of[kind] in arrived["NotificationData"]


def test_trigger_list_and_a_server_that_requires_tokens(own_server) -> None:
    listed = subprocess.run([GATEWAY, "trigger", "--list"], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert "refund.declined" in listed.stdout and "chargeback.filed" in listed.stdout

    server = own_server()
    server.env["GATEWAY_REQUIRE_TOKEN"] = "1"
    server.argv += ["--scenario", str(EXAMPLE)]
    server.start()
    admin = (server.data_dir / "admin-token").read_text().strip()
    assert "TokenRequired" in failed(server, "orders", "list", "-m", "ASCENARIOSTORE")
    orders = ok(server, "orders", "list", "-m", "ASCENARIOSTORE", "--limit", "500", token=admin)
    assert len(orders["items"]) == 31


def test_the_console_script_runs_a_client_command(live_server: GatewayServer) -> None:
    """The installed ``gateway`` script, in a process of its own, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_URL"] = live_server.url
    made = subprocess.run(
        [GATEWAY, "merchants", "create", "--store-name", "script-shop", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    seller = json.loads(made.stdout)["seller_id"]
    wrong = subprocess.run(
        [GATEWAY, "orders", "show", "-m", seller, "S01-0000000-0000000"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert wrong.returncode != 0 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr


def test_v2_keys_and_buyers(live_server: GatewayServer, tmp_path: Path) -> None:
    seller = live_server.new_merchant()["seller_id"]
    out = tmp_path / "key.pem"
    made = ok(live_server, "v2-keys", "create", "-m", seller, "--out", str(out))
    assert made["public_key_id"].startswith("SANDBOX-A")
    assert "BEGIN PRIVATE KEY" in out.read_text() and (out.stat().st_mode & 0o777) == 0o600
    listed = ok(live_server, "v2-keys", "list", "-m", seller)["items"]
    assert [k["public_key_id"] for k in listed] == [made["public_key_id"]]
    shown = run(live_server, "v2-keys", "create", "-m", seller, "--environment", "any").stdout
    assert "public key id: A" in shown and "BEGIN PRIVATE KEY" in shown
    buyer = ok(live_server, "v2-buyers", "sign-in", "-m", seller, "--name", "Ann")
    assert buyer["buyer"]["name"] == "Ann" and buyer["buyer_token"]
    ok(live_server, "v2-keys", "delete", "-m", seller, made["public_key_id"])
    line = failed(live_server, "v2-keys", "delete", "-m", seller, made["public_key_id"])
    assert "KeyNotFound" in line
