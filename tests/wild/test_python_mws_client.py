"""A third client, unchanged: python-amazon-mws (PyPI ``mws`` 0.8.15, pinned in the test extra),
through a checkout-to-refund flow over HTTPS, beside the official SDK.

It is what merchants on python-amazon-mws run, and it differs from the official SDK in three of
issue 15's points at once: it calls the path with a trailing slash
(``OffAmazonPayments.SANDBOX_URI``), sends ``Timestamp`` with no zone
(``datetime.utcnow().isoformat()``), and only works over HTTPS: it signs
``domain.replace("https://", "")``, so an ``http://`` endpoint would be signed with its scheme.
Its only settings here are its endpoint (``domain``, ``uri``) and, as for any client of
``requests``, the certificate to trust (``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from mws.offamazonpayments import OffAmazonPayments

from tests.support.servers import GatewayServer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]


def _text(node: Any) -> str:
    """A leaf of the client's parsed answer (its ``utils.XML2Dict`` gives text as a string)."""
    assert isinstance(node, str), node
    return node


def test_python_amazon_mws_checkout_to_refund_over_https(
    https_server: GatewayServer, monkeypatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(https_server.tls_cert))
    merchant = https_server.new_merchant(store_name="mwsstore")
    order_id = https_server.new_order(merchant["seller_id"])
    client = OffAmazonPayments(
        merchant["access_key"],
        merchant["secret_key"],
        merchant["seller_id"],
        domain=https_server.https_url,
        uri=OffAmazonPayments.SANDBOX_URI,
    )
    ref = uuid.uuid4().hex[:16]

    details = client.set_order_reference_details(order_id, "30.00", "mwsstore").parsed
    assert _text(details["OrderReferenceDetails"]["OrderTotal"]["Amount"]) == "30.00"
    client.confirm_order_reference(order_id)
    authorization = client.authorize(order_id, 30.0, f"{ref}-a", timeout=0).parsed
    auth = authorization["AuthorizationDetails"]
    assert _text(auth["AuthorizationStatus"]["State"]) == "Open"
    capture = client.capture(_text(auth["AmazonAuthorizationId"]), 30.0, f"{ref}-c").parsed
    capture_id = _text(capture["CaptureDetails"]["AmazonCaptureId"])
    assert _text(capture["CaptureDetails"]["CaptureStatus"]["State"]) == "Completed"
    refund = client.refund(capture_id, 10.0, f"{ref}-r").parsed["RefundDetails"]
    refund_id = _text(refund["AmazonRefundId"])
    assert _text(refund["RefundStatus"]["State"]) == "Pending"

    https_server.advance_clock(merchant["seller_id"], 3600)
    settled = client.get_refund_details(refund_id).parsed["RefundDetails"]
    assert _text(settled["RefundStatus"]["State"]) == "Completed"
    # The official SDK, beside it over plain HTTP, reads the same refund.
    official = https_server.sdk(merchant).get_refund_details(amazon_refund_id=refund_id).to_dict()
    result = official["GetRefundDetailsResponse"]["GetRefundDetailsResult"]
    assert result["RefundDetails"]["RefundAmount"]["Amount"] == "10.00"
    assert result["RefundDetails"]["RefundStatus"]["State"] == "Completed"
