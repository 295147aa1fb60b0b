"""Amazon's Node.js SDK, unchanged but for ``overrideServiceUrl``, against ``gateway serve`` over
HTTPS: Get Buyer with both algorithms and every base, refusals with the expected canonical
request in the message, the button signature, and the SDK's idempotency key header."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from gateway.v2.keys import new_private_key_pem
from tests.support.servers import GatewayServer
from tests.v2.conftest import V2Merchant
from tests.v2.node import NodeSdk

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]


def buyer_token(server: GatewayServer, seller_id: str, name: str = "Node Buyer") -> str:
    made = server.sandbox(
        "POST",
        f"/merchants/{seller_id}/v2-buyer-tokens",
        buyer={"name": name, "email": "node@example.com"},
    )
    token: str = made["buyer_token"]
    return token


@pytest.mark.parametrize("algorithm", ["AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"])
def test_get_buyer_with_both_algorithms(
    v2_server: GatewayServer, node_sdk: NodeSdk, v2_merchant: V2Merchant, algorithm: str
) -> None:
    token = buyer_token(v2_server, v2_merchant.seller_id)
    client = node_sdk.client(
        v2_merchant.public_key_id, v2_merchant.private_key_pem, algorithm=algorithm
    )
    answer = node_sdk.call(client, "getBuyer", token)
    assert answer.status == 200, answer.body
    assert answer.body["name"] == "Node Buyer"
    assert answer.body["email"] == "node@example.com"
    assert answer.body["buyerId"].startswith("amzn1.account.")
    assert answer.headers["x-amz-pay-request-id"]


def test_environment_neutral_key_on_sandbox_and_live_bases(
    v2_server: GatewayServer, node_sdk: NodeSdk, new_v2_merchant: Callable[..., V2Merchant]
) -> None:
    merchant = new_v2_merchant(environment="any")
    token = buyer_token(v2_server, merchant.seller_id)
    for sandbox in (True, False):  # the SDK calls /sandbox/v2/ or /live/v2/
        client = node_sdk.client(merchant.public_key_id, merchant.private_key_pem, sandbox=sandbox)
        assert node_sdk.call(client, "getBuyer", token).status == 200
    sandbox_key = new_v2_merchant()  # SANDBOX-: the SDK calls /v2/ whatever `sandbox` says
    token = buyer_token(v2_server, sandbox_key.seller_id)
    client = node_sdk.client(sandbox_key.public_key_id, sandbox_key.private_key_pem, sandbox=False)
    assert node_sdk.call(client, "getBuyer", token).status == 200


def test_a_wrong_key_is_refused_with_the_expected_canonical_request(
    v2_server: GatewayServer, node_sdk: NodeSdk, v2_merchant: V2Merchant
) -> None:
    client = node_sdk.client(v2_merchant.public_key_id, new_private_key_pem())
    answer = node_sdk.call(client, "getBuyer", "some-token")
    assert (answer.status, answer.reason) == (401, "InvalidRequestSignature")
    message = answer.body["message"]
    assert "signing String [AMZN-PAY-RSASSA-PSS-V2\n" in message
    assert "[GET\n/v2/buyers/some-token\n\naccept:application/json\n" in message
    assert f"x-amz-pay-host:localhost:{v2_server.https_port}\n" in message


def test_a_tampered_body_is_refused_with_the_expected_canonical_request(
    node_sdk: NodeSdk, v2_merchant: V2Merchant
) -> None:
    # Get Buyer is the operation of this branch every test server has; any body is covered by
    # the signature, and the signature is checked before what the body holds.
    client = node_sdk.client(v2_merchant.public_key_id, v2_merchant.private_key_pem)
    signed = {"note": "signed", "amount": "1.00"}
    sent = {**signed, "amount": "1000.00"}
    answer = node_sdk.tampered(
        client, "GET", "buyers/some-token", signed, sent, {"x-amz-pay-idempotency-key": "t-1"}
    )
    assert (answer.status, answer.reason) == (401, "InvalidRequestSignature"), answer.body
    message = answer.body["message"]
    assert "[GET\n/v2/buyers/some-token\n\naccept:application/json\n" in message
    assert "x-amz-pay-idempotency-key:t-1\n" in message
    arrived = hashlib.sha256(json.dumps(sent, separators=(",", ":")).encode()).hexdigest()
    assert message.count(arrived) == 1  # the canonical request hashes the body that arrived


def test_button_signature_is_verifiable(node_sdk: NodeSdk, v2_merchant: V2Merchant) -> None:
    from clients.amazon_pay_v2 import signing

    client = node_sdk.client(v2_merchant.public_key_id, v2_merchant.private_key_pem)
    payload = {
        "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.test/review"},
        "storeId": "amzn1.application-oa2-client.test",
    }
    signature = node_sdk.value(client, "generateButtonSignature", payload)
    public = signing.public_key_pem(v2_merchant.private_key_pem)
    signing.verify_button_signature(public, payload, signature, "AMZN-PAY-RSASSA-PSS-V2")


def test_the_quick_start_configuration_of_the_banner_works(
    v2_server: GatewayServer, node_sdk: NodeSdk
) -> None:
    """docs/v2.md's quick start: the banner's Node SDK configuration for the seeded merchant
    (its private key in the data dir) and the seeded buyer token."""
    log = v2_server.log()
    key_id = "SANDBOX-ASANDBOXSELLERV2KEY00001"
    path = v2_server.data_dir / "v2-keys" / f"{key_id}.pem"
    assert f"publicKeyId: '{key_id}'" in log
    assert f"privateKey: fs.readFileSync('{path}')" in log
    assert f"overrideServiceUrl: '127.0.0.1:{v2_server.https_port}'" in log
    client = node_sdk.client(key_id, path.read_text())
    answer = node_sdk.call(client, "getBuyer", "sandbox-buyer-token-jane")
    assert answer.status == 200, answer.body
    assert answer.body["name"] == "Jane Buyer" and answer.body["postalCode"] == "98109"
