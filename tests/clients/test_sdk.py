"""clients.sdk: the official amazon_pay client and boto's FPSConnection pointed at a local URL."""

from __future__ import annotations

import pytest

from clients.sdk import boto_fps_connection, mws_endpoint, point_amazon_pay_client
from tests.clients.conftest import SECRET
from tests.clients.fake_amazon import FakeAmazon

pytestmark = pytest.mark.sdk


def test_mws_endpoint_paths() -> None:
    assert mws_endpoint("http://127.0.0.1:8080/") == (
        "http://127.0.0.1:8080/OffAmazonPayments_Sandbox/2013-01-01"
    )
    assert mws_endpoint("http://h", sandbox=False) == "http://h/OffAmazonPayments/2013-01-01"


def test_point_existing_amazon_pay_client(fake: FakeAmazon) -> None:
    pytest.importorskip("amazon_pay")
    from amazon_pay.client import AmazonPayClient

    sdk = AmazonPayClient("AKID", SECRET, "SELLER1", region="us", currency_code="USD", sandbox=True)
    point_amazon_pay_client(sdk, fake.url)
    answer = sdk.get_service_status()
    assert answer.success
    assert fake.signature_ok(fake.requests[-1])
    assert fake.requests[-1].path == "/OffAmazonPayments_Sandbox/2013-01-01"


def test_boto_fps_connection_reaches_the_fake(fake: FakeAmazon) -> None:
    pytest.importorskip("boto")
    conn = boto_fps_connection(fake.url, "AKID", SECRET)
    assert (conn.host, conn.port, conn.is_secure, conn.num_retries) == (
        "127.0.0.1",
        int(fake.url.rsplit(":", 1)[1]),
        False,
        0,
    )
    result = conn.get_tokens()
    sent = fake.requests[-1]
    assert (sent.method, sent.path, sent.params["Action"]) == ("GET", "/", "GetTokens")
    assert fake.signature_ok(sent)
    assert [t.TokenId for t in result.GetTokensResult.Token][1] == "SECONDTOKEN"


def test_boto_https_defaults_port_443() -> None:
    pytest.importorskip("boto")
    conn = boto_fps_connection("https://fps.sandbox.amazonaws.com", "AKID", SECRET)
    assert (conn.host, conn.port, conn.is_secure) == ("fps.sandbox.amazonaws.com", 443, True)
