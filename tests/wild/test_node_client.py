"""A second, independent Off-Amazon Payments client, unchanged, beside the official SDK.

The npm package ``amazon-payments`` 0.2.9 (MadisonReed/amazon-payments; pinned by
tests/node/package-lock.json, installed by ``npm ci`` in tests/node, which .ci/run does) drives a
whole checkout-to-refund flow through ``tests/node/oap_flow.js``; only its endpoint is set. It
differs from the official SDK in what issue 15 lists: it signs the host without the port, sends
``Timestamp`` with a lowercase ``z``, and parses an answer only when ``Content-Type`` is exactly
``text/xml`` (anything else comes back unparsed as a success, so an error would pass unseen).
The official SDK then reads the same objects back, and the refund settles on the merchant's clock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import GatewayServer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
INSTALL = "run `npm ci` in tests/node (.ci/run does)"


def run_node_flow(
    server: GatewayServer, endpoint: str, *, env: dict[str, str] | None = None, **given: str
) -> dict[str, Any]:
    """``oap_flow.js`` with ``given`` (the endpoint and merchant added); its JSON answer."""
    node = shutil.which("node")
    assert node is not None, f"Node.js is needed: install it, then {INSTALL}"
    assert (NODE_DIR / "node_modules" / "amazon-payments").is_dir(), INSTALL
    done = subprocess.run(
        [node, "oap_flow.js", json.dumps({"endpoint": endpoint, **given})],
        cwd=NODE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{done.stderr}\n--- server log\n{server.log()[-3000:]}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def checkout_to_refund(server: GatewayServer, endpoint: str, env: dict[str, str] | None) -> None:
    """The whole flow with the Node client, checked step by step and against the official SDK."""
    merchant = server.new_merchant(store_name="nodestore")
    seller = merchant["seller_id"]
    order_id = server.new_order(seller)
    credentials = {
        "sellerId": seller,
        "accessKey": merchant["access_key"],
        "secretKey": merchant["secret_key"],
    }
    steps = run_node_flow(
        server, endpoint, env=env, orderId=order_id, amount="50.00", refundAmount="20.00",
        reference=uuid.uuid4().hex[:16], **credentials,
    )  # fmt: skip
    failed = {name: step["error"] for name, step in steps.items() if "error" in step}
    # The one call meant to fail reached the shop as Amazon's error, parsed from the XML.
    assert failed.pop("refundTooMuch")["type"] == "TransactionAmountExceeded"
    assert failed == {}, failed

    details = steps["getOrderReferenceDetails"]["result"]["OrderReferenceDetails"]
    assert (details["AmazonOrderReferenceId"], details["OrderTotal"]["Amount"]) == (
        order_id,
        "50.00",
    )
    authorization = steps["authorize"]["result"]["AuthorizationDetails"]
    assert authorization["AuthorizationStatus"]["State"] == "Open"
    capture = steps["capture"]["result"]["CaptureDetails"]
    assert capture["CaptureStatus"]["State"] == "Completed"
    refund = steps["refund"]["result"]["RefundDetails"]
    assert (refund["RefundStatus"]["State"], refund["RefundAmount"]["Amount"]) == (
        "Pending",
        "20.00",
    )
    assert (
        steps["getRefundDetails"]["result"]["RefundDetails"]["AmazonRefundId"]
        == (refund["AmazonRefundId"])
    )

    # The official SDK, beside it, sees the same objects.
    sdk = server.sdk(merchant)
    order = sdk.get_order_reference_details(amazon_order_reference_id=order_id).to_dict()
    state = order["GetOrderReferenceDetailsResponse"]["GetOrderReferenceDetailsResult"]
    assert state["OrderReferenceDetails"]["OrderReferenceStatus"]["State"] == "Open"
    captured = sdk.get_capture_details(amazon_capture_id=capture["AmazonCaptureId"]).to_dict()
    captured_details = captured["GetCaptureDetailsResponse"]["GetCaptureDetailsResult"]
    assert captured_details["CaptureDetails"]["IdList"]["member"] == refund["AmazonRefundId"]

    # The refund settles on the merchant's clock; both clients read it Completed.
    server.advance_clock(seller, 3600)
    later = run_node_flow(
        server, endpoint, env=env, refundId=refund["AmazonRefundId"], **credentials
    )
    settled = later["getRefundDetails"]["result"]["RefundDetails"]
    assert settled["RefundStatus"]["State"] == "Completed"
    official = sdk.get_refund_details(amazon_refund_id=refund["AmazonRefundId"]).to_dict()
    result = official["GetRefundDetailsResponse"]["GetRefundDetailsResult"]
    assert result["RefundDetails"]["RefundStatus"]["State"] == "Completed"


def test_the_node_client_checkout_to_refund_over_http(live_server: GatewayServer) -> None:
    checkout_to_refund(live_server, live_server.endpoint, env=None)


def test_the_node_client_checkout_to_refund_over_https(https_server: GatewayServer) -> None:
    # As its EU environment has it: HTTPS, and the path with a trailing slash. The certificate is
    # trusted the way a Node.js shop trusts one, through NODE_EXTRA_CA_CERTS.
    endpoint = f"https://localhost:{https_server.https_port}/OffAmazonPayments_Sandbox/2013-01-01/"
    trust = {"NODE_EXTRA_CA_CERTS": str(https_server.tls_cert)}
    checkout_to_refund(https_server, endpoint, env=trust)


def test_without_trusting_the_certificate_the_node_client_refuses_it(
    https_server: GatewayServer,
) -> None:
    merchant = https_server.new_merchant(store_name="nodestore")
    endpoint = f"https://localhost:{https_server.https_port}/OffAmazonPayments_Sandbox/2013-01-01"
    steps = run_node_flow(
        https_server, endpoint, env={"NODE_EXTRA_CA_CERTS": ""},
        refundId="S01-0000000-0000000-R000001", sellerId=merchant["seller_id"],
        accessKey=merchant["access_key"], secretKey=merchant["secret_key"],
    )  # fmt: skip
    assert "self-signed" in steps["getRefundDetails"]["error"]["message"]
