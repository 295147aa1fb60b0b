"""The FPS IPN form and its signature check (``gateway.fps.ipn``), with a throwaway RSA key.

The string to sign is built here from reference/amazon-wire.md §4.6, not with the project's code:
``POST\\n<host>\\n<path>\\n`` + the sorted, RFC 3986-encoded parameters except ``signature``.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, quote

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gateway.fps import ipn

URL = "http://merchant.example:8000/fps/ipn"
FIELDS = {
    "notificationType": "TransactionStatus",
    "transactionId": "14GK6F2QU755ODS27SGHEURLKPG72Z54KMF",
    "transactionStatus": "SUCCESS",
    "operation": "PAY",
    "transactionAmount": "USD 100.000000",
    "callerReference": "order 1/ä",
}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _sign(key: rsa.RSAPrivateKey):
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA1())


def _verifier(key: rsa.RSAPrivateKey):
    def verify(signature: bytes, data: bytes) -> bool:
        try:
            key.public_key().verify(signature, data, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            return False
        return True

    return verify


def test_signed_form_is_rsa_sha1_over_the_sigv2_post_string(key):
    params = ipn.signed_form(URL, FIELDS, "http://sim/cert.pem", _sign(key))
    assert params["signatureVersion"] == "2"
    assert params["signatureMethod"] == "RSA-SHA1"
    unsigned = {k: v for k, v in params.items() if k != "signature"}
    canonical = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(unsigned.items())
    )
    expected = f"POST\nmerchant.example:8000\n/fps/ipn\n{canonical}".encode()
    signature = base64.b64decode(params["signature"])
    key.public_key().verify(signature, expected, padding.PKCS1v15(), hashes.SHA1())


def test_check_accepts_the_genuine_body_and_refuses_a_tampered_one(key):
    body = ipn.form_body(ipn.signed_form(URL, FIELDS, "http://sim/cert.pem", _sign(key)))
    text = body.decode()
    assert dict(parse_qsl(text))["callerReference"] == "order 1/ä"
    assert ipn.check(URL, text, _verifier(key)) is True
    assert ipn.check(URL, text.replace("SUCCESS", "FAILURE"), _verifier(key)) is False
    assert ipn.check("http://elsewhere.example/fps/ipn", text, _verifier(key)) is False
    assert ipn.check(URL, "not a form", _verifier(key)) is False
    assert ipn.check(URL, text.replace("RSA-SHA1", "RSA-SHA256"), _verifier(key)) is False
