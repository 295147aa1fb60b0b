"""Amazon Pay API v2 request and button signatures (clients/amazon_pay_v2/signing.py).

Known vectors pin the canonical request byte for byte; RSASSA-PSS is randomized, so signatures
are checked by verifying them, never by comparing bytes. Amazon's own Node.js SDK
(tests/node/v2_sign.js, pinned by tests/node/package-lock.json) signs requests whose canonical
request must equal ours and whose signatures our verifier must accept, which guards against a
symmetric bug shared by our signer and verifier.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from clients.amazon_pay_v2 import signing
from clients.amazon_pay_v2.signing import SignatureError

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
INSTALL = "run `npm ci` in tests/node (.ci/run does)"
KEY_ID = "SANDBOX-AHEGSJCM7T4LSGIP4MKDNHQC"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@cache
def private_key(n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def base_headers(**extra: str) -> dict[str, str]:
    return {
        "accept": "application/json",
        "content-type": "application/json",
        "x-amz-pay-date": "20240101T120000Z",
        "x-amz-pay-host": "pay-api.amazon.com",
        "x-amz-pay-region": "na",
        **extra,
    }


def test_canonical_request_vector() -> None:
    body = '{"chargeId":"S01-1234567-1234567-C000001","refundAmount":{"amount":"1.00","currencyCode":"USD"}}'
    headers = sorted(base_headers(**{"x-amz-pay-idempotency-key": "abc"}).items())
    canonical = signing.canonical_request(
        "post", "/sandbox/v2/refunds", {"b": "x y", "a": "it's*"}, headers, body
    )
    assert canonical == (
        "POST\n"
        "/sandbox/v2/refunds\n"
        "a=it%27s%2A&b=x%20y\n"
        "accept:application/json\n"
        "content-type:application/json\n"
        "x-amz-pay-date:20240101T120000Z\n"
        "x-amz-pay-host:pay-api.amazon.com\n"
        "x-amz-pay-idempotency-key:abc\n"
        "x-amz-pay-region:na\n"
        "\n"
        "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region\n"
        + signing.hex_sha256(body)
    )
    assert (
        signing.string_to_sign("AMZN-PAY-RSASSA-PSS", "") == f"AMZN-PAY-RSASSA-PSS\n{EMPTY_SHA256}"
    )
    assert signing.canonical_query("a=it's*", signing.uri_component) == "a=it's*"


@pytest.mark.parametrize(("algorithm", "salt"), sorted(signing.ALGORITHMS.items()))
def test_sign_and_verify_both_algorithms(algorithm: str, salt: int) -> None:
    key = private_key()
    sent = signing.sign_request(
        pem(key),
        KEY_ID,
        method="GET",
        path="/v2/charges/S01-1-1-C1",
        headers=base_headers(),
        algorithm=algorithm,
    )
    auth = signing.parse_authorization(sent["authorization"])
    assert (auth.algorithm, auth.public_key_id) == (algorithm, KEY_ID)
    assert (
        auth.signed_headers == "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region"
    )
    verified = signing.verify_request(
        signing.public_key_pem(key), "GET", "/v2/charges/S01-1-1-C1", "", sent, b""
    )
    assert verified.canonical_request.endswith(EMPTY_SHA256)
    # The salt length is the algorithm's: checked with cryptography directly.
    import base64

    from cryptography.hazmat.primitives import hashes

    key.public_key().verify(
        base64.b64decode(auth.signature),
        verified.string_to_sign.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt),
        hashes.SHA256(),
    )
    # The other algorithm's salt does not verify: the header's algorithm matters.
    other = next(a for a in signing.ALGORITHMS if a != algorithm)
    assert not signing.verify_string(
        key.public_key(), other, verified.string_to_sign, auth.signature
    )


def signed(headers: dict[str, str], body: str = "", path: str = "/v2/refunds") -> dict[str, str]:
    return signing.sign_request(
        private_key(), KEY_ID, method="POST", path=path, headers=headers, body=body
    )


@pytest.mark.parametrize(
    "variant",
    [
        {"x-amz-pay-date": "2024-01-01T12:00:00Z"},  # Node's date format
        {"x-amz-pay-date": "20240101T120000Z"},  # PHP's
        {"x-amz-pay-host": "127.0.0.1:8443"},  # the host with its port
        {"x-amz-pay-host": "127.0.0.1"},  # and without
    ],
)
def test_what_the_sdks_send_differently_verifies(variant: dict[str, str]) -> None:
    sent = signed(base_headers(**variant), body="{}")
    verified = signing.verify_request(
        private_key().public_key(), "POST", "/v2/refunds", None, sent, "{}"
    )
    assert f"{next(iter(variant))}:{next(iter(variant.values()))}\n" in verified.canonical_request


def test_trailing_slash_is_signed_as_sent() -> None:
    sent = signed(base_headers(), path="/v2/refunds/")  # the .NET SDK appends '/'
    key = private_key().public_key()
    assert signing.verify_request(key, "POST", "/v2/refunds/", None, sent, b"")
    with pytest.raises(SignatureError):
        signing.verify_request(key, "POST", "/v2/refunds", None, sent, b"")


def test_tampered_body_or_header_or_wrong_key_is_refused_with_the_expected_request() -> None:
    sent = signed(base_headers(), body='{"refundAmount":{"amount":"1.00"}}')
    key = private_key().public_key()
    with pytest.raises(SignatureError) as tampered:
        signing.verify_request(
            key, "POST", "/v2/refunds", None, sent, '{"refundAmount":{"amount":"9.00"}}'
        )
    assert tampered.value.reason == "bad_signature"
    assert tampered.value.canonical_request is not None
    assert tampered.value.canonical_request.endswith(
        signing.hex_sha256('{"refundAmount":{"amount":"9.00"}}')
    )
    assert tampered.value.string_to_sign == signing.string_to_sign(
        "AMZN-PAY-RSASSA-PSS", tampered.value.canonical_request
    )
    with pytest.raises(SignatureError, match="bad_signature"):
        signing.verify_request(
            key,
            "POST",
            "/v2/refunds",
            None,
            {**sent, "x-amz-pay-region": "eu"},
            '{"refundAmount":{"amount":"1.00"}}',
        )
    with pytest.raises(SignatureError, match="bad_signature"):
        signing.verify_request(
            private_key(1).public_key(),
            "POST",
            "/v2/refunds",
            None,
            sent,
            '{"refundAmount":{"amount":"1.00"}}',
        )


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing_authorization"),
        ("AMZN-PAY-RSASSA-PSS PublicKeyId=K, Signature=abc", "malformed_authorization"),
        ("HMAC PublicKeyId=K, SignedHeaders=accept, Signature=abc", "unsupported_algorithm"),
        (
            "AMZN-PAY-RSASSA-PSS PublicKeyId=K, SignedHeaders=accept;x-amz-pay-foo, Signature=abc",
            "missing_signed_header",
        ),
        (
            "AMZN-PAY-RSASSA-PSS PublicKeyId=K, SignedHeaders=accept, Signature=not base64!",
            "bad_signature",
        ),
    ],
)
def test_bad_authorization_headers(authorization: str | None, reason: str) -> None:
    headers = base_headers()
    if authorization is not None:
        headers["Authorization"] = authorization
    with pytest.raises(SignatureError) as err:
        signing.verify_request(private_key().public_key(), "GET", "/v2/x", None, headers, b"")
    assert err.value.reason == reason


def test_pay_dates_and_hosts() -> None:
    moment = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert signing.pay_date(moment) == "20240101T120000Z"
    assert signing.parse_pay_date("20240101T120000Z") == moment
    assert signing.parse_pay_date("2024-01-01T12:00:00Z") == moment
    with pytest.raises(ValueError, match="neither"):
        signing.parse_pay_date("Mon, 01 Jan 2024 12:00:00 GMT")
    assert signing.same_host("127.0.0.1:8443", "127.0.0.1:8443")
    assert signing.same_host("127.0.0.1", "127.0.0.1:8443")
    assert signing.same_host("Pay-API.amazon.com", "pay-api.amazon.com:443")
    assert not signing.same_host("127.0.0.1:8443", "127.0.0.1:8080")
    assert not signing.same_host("pay-api.amazon.eu", "pay-api.amazon.com")


def test_keys_load_from_pem_text_bytes_and_path(tmp_path: Path) -> None:
    key = private_key()
    path = tmp_path / "private.pem"
    path.write_text(pem(key))
    for form in (pem(key), pem(key).encode(), str(path), path):
        loaded = signing.load_private_key(form)
        assert loaded.private_numbers() == key.private_numbers()
    public = signing.public_key_pem(key)
    assert signing.load_public_key(public).public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize("algorithm", sorted(signing.ALGORITHMS))
def test_button_signature(algorithm: str) -> None:
    payload = {
        "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://shop.example/review"},
        "storeId": "amzn1.application-oa2-client.x",
    }
    signature = signing.sign_button_payload(private_key(), payload, algorithm)
    key = private_key().public_key()
    text = json.dumps(payload, separators=(",", ":"))
    assert signing.verify_button_signature(key, text, signature, algorithm) == (
        f"{algorithm}\n{signing.hex_sha256(text)}"
    )
    # PHP's json_encode escapes '/', and the PHP SDK hashes the unescaped text (stripcslashes).
    assert signing.verify_button_signature(key, text.replace("/", "\\/"), signature, algorithm)
    with pytest.raises(SignatureError) as err:
        signing.verify_button_signature(key, text.replace("review", "other"), signature, algorithm)
    assert err.value.string_to_sign == signing.button_string_to_sign(
        text.replace("review", "other"), algorithm
    )


# --- Amazon's Node.js SDK ----------------------------------------------------------------------


def node_sign(
    config: dict[str, Any], requests: list[dict[str, Any]], buttons: Sequence[Any] = ()
) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, f"Node.js is needed: install it, then {INSTALL}"
    assert (NODE_DIR / "node_modules" / "@amazonpay" / "amazon-pay-api-sdk-nodejs").is_dir(), (
        INSTALL
    )
    done = subprocess.run(
        [
            node,
            "v2_sign.js",
            json.dumps(
                {
                    "config": config,
                    "date": "2024-01-01T12:00:00.000Z",
                    "requests": requests,
                    "buttons": list(buttons),
                }
            ),
        ],
        cwd=NODE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


NODE_REQUESTS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "urlFragment": "refunds",
        "payload": {
            "chargeId": "S01-1-1-C1",
            "refundAmount": {"amount": "1.00", "currencyCode": "USD"},
        },
        "headers": {
            "x-amz-pay-idempotency-key": "0a1b2c",
            "x-amz-pay-simulation-code": "RefundDeclined",
        },
    },
    {"method": "GET", "urlFragment": "checkoutSessions/S01-2-2"},
    # A caller spelling its header in capitals: SignedHeaders keeps the spelling.
    {
        "method": "DELETE",
        "urlFragment": "charges/S01-3-3-C1/cancel",
        "payload": {"cancellationReason": "r"},
        "headers": {"X-Amz-Pay-Idempotency-Key": "K1"},
    },
    # A query encoded with encodeURIComponent, which keeps !'()*.
    {"method": "GET", "urlFragment": "reports", "queryParams": {"b": "it's (x)*", "a": "a b/c"}},
]


@pytest.mark.parametrize(
    ("key_id", "algorithm", "override"),
    [
        (KEY_ID, "AMZN-PAY-RSASSA-PSS", "127.0.0.1:8443"),
        ("AHEGSJCM7T4LSGIP4MKDNHQC", "AMZN-PAY-RSASSA-PSS-V2", None),
    ],
)
def test_node_sdk_signatures_verify_and_canonical_requests_match(
    key_id: str, algorithm: str, override: str | None
) -> None:
    key = private_key()
    config: dict[str, Any] = {
        "publicKeyId": key_id,
        "privateKey": pem(key),
        "region": "us",
        "sandbox": True,
        "algorithm": algorithm,
    }
    if override:
        config["overrideServiceUrl"] = override
    answer = node_sign(
        config,
        NODE_REQUESTS,
        buttons=[
            {
                "storeId": "s",
                "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://a.example/r"},
            },
            "plain text",
        ],
    )
    prefix = "/v2/" if key_id.startswith("SANDBOX-") else "/sandbox/v2/"
    for request, node in zip(NODE_REQUESTS, answer["requests"], strict=True):
        headers: dict[str, str] = node["headers"]
        assert node["path"] == prefix + request["urlFragment"]
        assert headers["x-amz-pay-date"] == "2024-01-01T12:00:00Z"
        assert headers["x-amz-pay-host"] == (override or "pay-api.amazon.com")
        query = request.get("queryParams")
        verified = signing.verify_request(
            key.public_key(), request["method"], node["path"], query, headers, node["payload"]
        )
        assert verified.canonical_request == node["canonicalRequest"]
        assert verified.string_to_sign == node["stringToSign"]
        assert verified.authorization.algorithm == algorithm
        assert verified.authorization.public_key_id == key_id
        # Our signer, given the same headers, builds the same canonical request (lowercase names).
        unsigned = {k: v for k, v in headers.items() if k != "authorization"}
        ours = signing.sign_request(
            key,
            key_id,
            method=request["method"],
            path=node["path"],
            headers=unsigned,
            body=node["payload"],
            query=query,
            algorithm=algorithm,
        )
        mine = signing.verify_request(
            key.public_key(), request["method"], node["path"], query, ours, node["payload"]
        )
        if "X-Amz-Pay-Idempotency-Key" not in unsigned and query is None:
            assert mine.canonical_request == node["canonicalRequest"]
        # A body changed in transit is refused, with the canonical request Node would have built.
        with pytest.raises(SignatureError) as err:
            signing.verify_request(
                key.public_key(),
                request["method"],
                node["path"],
                query,
                headers,
                node["payload"] + " ",
            )
        assert err.value.canonical_request is not None
        if query is None:  # (the expected reading encodes a query per RFC 3986, not as Node)
            expected_head = err.value.canonical_request.rsplit("\n", 1)[0]
            assert expected_head == node["canonicalRequest"].rsplit("\n", 1)[0]
    for payload, signature in zip(
        [
            '{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"}}',
            "plain text",
        ],
        answer["buttons"],
        strict=True,
    ):
        signing.verify_button_signature(key.public_key(), payload, signature, algorithm)
