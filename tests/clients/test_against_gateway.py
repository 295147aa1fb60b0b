"""The typed clients against the real simulator app, served over loopback HTTP in a thread.

Uses the suite's ``app``/``runtime``/``merchant``/``clock`` fixtures (tests/conftest.py). The
``clients`` package itself never imports ``gateway``; only this test does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from clients import AmazonPayError, OffAmazonPaymentsClient, Price
from clients.offamazon import SANDBOX_PATH
from clients.transport import NO_RETRIES
from tests.helpers import MerchantCredentials
from tests.support.servers import serving


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def typed_client(
    base_url: str, merchant: MerchantCredentials, clock: Any, **options: Any
) -> OffAmazonPaymentsClient:
    return OffAmazonPaymentsClient(
        base_url + SANDBOX_PATH,
        merchant.access_key,
        merchant.secret_key,
        merchant.seller_id,
        clock=clock.now,
        retries=NO_RETRIES,
        **options,
    )


def new_order(base_url: str, merchant: MerchantCredentials) -> str:
    response = requests.post(
        f"{base_url}/sandbox/api/v1/merchants/{merchant.seller_id}/order-references",
        json={},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    order_id: str = response.json()["amazon_order_reference_id"]
    return order_id


@pytest.mark.parametrize("signature_method", ["HmacSHA256", "HmacSHA1"])
def test_full_payment_flow(
    base_url: str,
    merchant: MerchantCredentials,
    clock: Any,
    runtime: Any,
    signature_method: str,
) -> None:
    from gateway.worker.jobs import run_due_work

    client = typed_client(base_url, merchant, clock, signature_method=signature_method)
    order_id = new_order(base_url, merchant)

    oro = client.set_order_reference_details(
        order_id, Decimal("100.00"), "USD", seller_order_id="o-1", store_name="shop"
    )
    assert oro.status.state == "Draft"
    assert oro.order_total == Price(Decimal("100.00"), "USD")
    assert client.confirm_order_reference(order_id).request_id
    assert client.get_order_reference_details(order_id).status.state == "Open"

    auth = client.authorize(order_id, "auth-1", "100.00", "USD", transaction_timeout=0)
    assert auth.status.state == "Open"
    assert auth.authorization_amount == Price(Decimal("100.00"), "USD")

    capture = client.capture(auth.amazon_authorization_id, "cap-1", "100.00", "USD")
    assert capture.status.state == "Completed"
    again = client.get_authorization_details(auth.amazon_authorization_id)
    assert again.id_list == (capture.amazon_capture_id,)

    refund = client.refund(capture.amazon_capture_id, "ref-1", Decimal("10.00"), "USD")
    assert refund.status.state == "Pending"
    clock.advance(3600)
    run_due_work(runtime)
    assert client.get_refund_details(refund.amazon_refund_id).status.state == "Completed"
    settled = client.get_capture_details(capture.amazon_capture_id)
    assert settled.refunded_amount == Price(Decimal("10.00"), "USD")
    assert settled.id_list == (refund.amazon_refund_id,)
    assert client.get_service_status().status.startswith("GREEN")


def test_error_answers_become_amazon_pay_errors(
    base_url: str, merchant: MerchantCredentials, clock: Any
) -> None:
    client = typed_client(base_url, merchant, clock)
    with pytest.raises(AmazonPayError) as info:
        client.get_refund_details("S01-0000000-0000000-R000000")
    assert info.value.http_status in (400, 404)
    assert info.value.request_id
    assert info.value.type == "Sender"

    bad = OffAmazonPaymentsClient(
        base_url + SANDBOX_PATH,
        merchant.access_key,
        "wrong-secret",
        merchant.seller_id,
        clock=clock.now,
        retries=NO_RETRIES,
    )
    with pytest.raises(AmazonPayError) as info:
        bad.get_service_status()
    assert (info.value.code, info.value.http_status) == ("SignatureDoesNotMatch", 403)


def test_cancel_and_close(base_url: str, merchant: MerchantCredentials, clock: Any) -> None:
    client = typed_client(base_url, merchant, clock)
    order_id = new_order(base_url, merchant)
    client.set_order_reference_details(order_id, "20.00", "USD")
    client.confirm_order_reference(order_id)
    auth = client.authorize(order_id, "a-close", "5.00", "USD", transaction_timeout=0)
    client.close_authorization(auth.amazon_authorization_id, closure_reason="done")
    closed = client.get_authorization_details(auth.amazon_authorization_id)
    assert (closed.status.state, closed.status.reason_code) == ("Closed", "SellerClosed")
    client.cancel_order_reference(order_id, cancelation_reason="changed mind")
    assert client.get_order_reference_details(order_id).status.state == "Canceled"


@pytest.mark.sdk
def test_official_sdk_through_helper(
    base_url: str, merchant: MerchantCredentials, clock: Any
) -> None:
    pytest.importorskip("amazon_pay")
    from clients.sdk import amazon_pay_client

    clock.set(datetime.now(UTC))  # the SDK stamps requests with the real time
    client = typed_client(base_url, merchant, clock)
    order_id = new_order(base_url, merchant)
    client.set_order_reference_details(order_id, "20.00", "USD")
    sdk = amazon_pay_client(
        base_url,
        merchant.access_key,
        merchant.secret_key,
        merchant.seller_id,
        handle_throttle=False,
    )
    assert sdk._mws_endpoint == base_url + SANDBOX_PATH
    answer = sdk.get_order_reference_details(amazon_order_reference_id=order_id)
    assert answer.success, answer.to_json()
    details = answer.to_dict()["GetOrderReferenceDetailsResponse"]
    result = details["GetOrderReferenceDetailsResult"]["OrderReferenceDetails"]
    assert result["AmazonOrderReferenceId"] == order_id


def test_clients_import_neither_gateway_nor_flask() -> None:
    code = (
        "import importlib, pkgutil, sys, clients;"
        # Every module of the package, and every exported name (each imported on first access).
        "[importlib.import_module(f'clients.{m.name}') for m in pkgutil.iter_modules(clients.__path__)];"
        "[getattr(clients, name) for name in clients.__all__];"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('gateway', 'flask', 'werkzeug')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_exported_name_resolves_to_its_module() -> None:
    import importlib

    import clients

    assert sorted(clients.__all__) == sorted(clients._EXPORTS)
    for name, module in clients._EXPORTS.items():
        assert getattr(clients, name) is getattr(importlib.import_module(module), name)
