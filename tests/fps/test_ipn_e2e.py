"""FPS IPNs end to end: a real server process posts signed form IPNs to a receiver on loopback.

Each IPN's signature is checked independently of our code (the ``cryptography`` library over the
string of reference/amazon-wire.md §4.6, with the certificate fetched from ``certificateUrl``)
and through boto's VerifySignature call: Success for the genuine body, Failure once tampered.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.fps.boto_helpers import Merchant, collect_boto_sockets
from tests.support.servers import GatewayServer
from tests.support.sink import Received, Sink, rsa_public_key

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # boto's pooled sockets (§3.3)
]


@pytest.fixture
def server(live_server_with_scheduler: GatewayServer) -> Iterator[GatewayServer]:
    pytest.importorskip("boto")
    yield live_server_with_scheduler
    collect_boto_sockets()


def form(item: Received) -> dict[str, str]:
    assert item.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    return dict(parse_qsl(item.body.decode("utf-8"), keep_blank_values=True))


def verify_independently(params: dict[str, str], url: str) -> None:
    """RSA-SHA1 over ``POST\\nhost[:port]\\npath\\n<sorted RFC 3986 params but signature>``."""
    assert (params["signatureVersion"], params["signatureMethod"]) == ("2", "RSA-SHA1")
    pem = requests.get(params["certificateUrl"], timeout=10).content
    public_key = rsa_public_key(pem)
    unsigned = sorted((k, v) for k, v in params.items() if k != "signature")
    canonical = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in unsigned)
    parts = urlsplit(url)
    message = f"POST\n{parts.netloc}\n{parts.path}\n{canonical}".encode()
    signature = base64.b64decode(params["signature"])
    public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA1())  # raises if forged


def verification_status(shop: Merchant, url: str, body: str) -> str:
    answer = shop.call("VerifySignature", "verify_signature", UrlEndPoint=url, HttpParameters=body)
    status: str = answer.VerifySignatureResult.VerificationStatus
    return status


def next_of(receiver: Sink, **expected: str) -> tuple[Received, dict[str, Any]]:
    item = receiver.next_matching(
        lambda r: all(form(r).get(k) == v for k, v in expected.items()), timeout=20
    )
    return item, form(item)


def test_payment_refund_and_token_cancellation_ipns_are_signed_and_verifiable(
    server: GatewayServer, receiver: Sink
) -> None:
    shop = Merchant(server)
    server.sandbox("PATCH", f"/merchants/{shop.seller_id}", ipn_url=receiver.url)
    token = shop.install_token()
    txn = shop.pay(token, "100.00", "ipn-order").PayResult.TransactionId
    shop.advance(5)

    item, params = next_of(receiver, transactionId=txn)
    assert params["notificationType"] == "TransactionStatus"
    assert (params["transactionStatus"], params["operation"]) == ("SUCCESS", "PAY")
    assert params["transactionAmount"] == "USD 100.000000"
    assert params["callerReference"] == "ipn-order"
    verify_independently(params, receiver.url)
    body = item.body.decode("utf-8")
    assert verification_status(shop, receiver.url, body) == "Success"
    tampered = body.replace("100.000000", "900.000000")
    assert verification_status(shop, receiver.url, tampered) == "Failure"
    assert verification_status(shop, "http://127.0.0.1:1/elsewhere", body) == "Failure"

    refund_id = shop.refund(txn, "40.00", "ipn-refund").RefundResult.TransactionId
    shop.advance(5)
    _, params = next_of(receiver, transactionId=refund_id)
    assert (params["transactionStatus"], params["operation"]) == ("SUCCESS", "REFUND")
    assert params["transactionAmount"] == "USD 40.000000"
    verify_independently(params, receiver.url)

    shop.call("CancelToken", "cancel_token", TokenId=token)
    item, params = next_of(receiver, notificationType="TokenCancellation")
    assert params["tokenId"] == token
    verify_independently(params, receiver.url)
    assert verification_status(shop, receiver.url, item.body.decode()) == "Success"
