"""FPS authentication: Signature Version 2 (GET and POST) and Version 1, and the error XML.

Version 1 requests are signed here from the algorithm of reference/amazon-wire.md §4.2, not with
the project's signer: names sorted case-insensitively, ``name`` + ``value`` concatenated with no
separators and no encoding, HMAC-SHA1, Base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from clients import sigv2


def sign_v1(secret: str, params: dict[str, str]) -> str:
    message = "".join(name + params[name] for name in sorted(params, key=str.lower))
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def v1_params(fps, action: str, **params: str) -> dict[str, str]:
    out = {
        "Action": action,
        "AWSAccessKeyId": fps.merchant.access_key,
        "SignatureVersion": "1",
        "Timestamp": fps.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2010-08-28",
        **params,
    }
    out["Signature"] = sign_v1(fps.merchant.secret_key, out)
    return out


def test_signature_version_1_request_is_accepted(fps):
    token = fps.install_token(caller_reference="Mixed-Case ref&=/+")
    # Mixed-case names sort differently case-insensitively: CallerReference < caller-ish names.
    params = v1_params(fps, "GetTokenByCaller", CallerReference="Mixed-Case ref&=/+")
    answer = fps.get(params)
    assert answer.status == 200, answer.text()
    assert answer.find("GetTokenByCallerResult/Token/TokenId") == token


def test_signature_version_1_pay_is_accepted(fps):
    token = fps.install_token()
    params = v1_params(
        fps,
        "Pay",
        SenderTokenId=token,
        CallerReference="v1-pay",
        **{"TransactionAmount.Value": "3.00", "TransactionAmount.CurrencyCode": "USD"},
    )
    answer = fps.get(params)
    assert answer.status == 200, answer.text()
    assert answer.find("PayResult/TransactionStatus") == "Pending"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(CallerReference="other"),  # a value changed after signing
        lambda p: p.update(Signature=sign_v1("wrong secret", p)),
        lambda p: p.update(Signature=p["Signature"][:-4] + "AAA="),
    ],
)
def test_tampered_signature_version_1_request_is_refused(fps, tamper):
    fps.install_token(caller_reference="mine")
    params = v1_params(fps, "GetTokenByCaller", CallerReference="mine")
    tamper(params)
    answer = fps.get(params)
    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")


def test_signature_version_2_post_form_is_accepted(fps):
    token = fps.install_token(caller_reference="post")
    form = sigv2.signed_params(
        {"Action": "GetTokenByCaller", "Version": "2010-08-28", "CallerReference": "post"},
        access_key=fps.merchant.access_key,
        secret=fps.merchant.secret_key,
        method="POST",
        host="localhost",
        path="/",
        now=fps.clock.now(),
    )
    response = fps.client.post("/", data=form, headers={"Host": "localhost"})
    assert response.status_code == 200, response.data
    assert token.encode() in response.data


def _signed_for(fps, host):
    return sigv2.signed_params(
        {"Action": "GetTokens", "Version": "2010-08-28"},
        access_key=fps.merchant.access_key,
        secret=fps.merchant.secret_key,
        method="GET",
        host=host,
        path="/",
        now=fps.clock.now(),
    )


@pytest.mark.parametrize("host", ["shop.example.com", "mws.amazonservices.com"])
def test_signature_version_2_signed_for_another_host_is_refused(fps, host):
    # An Off-Amazon Payments host is not one of FPS's (gateway.signing.signing_hosts).
    assert fps.get(_signed_for(fps, host)).code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("host", ["fps.sandbox.amazonaws.com", "fps.amazonaws.com"])
def test_signature_version_2_signed_for_an_fps_host_is_accepted(fps, host):
    # A client routed here by a hosts-file entry or a proxy signs Amazon's name.
    assert fps.get(_signed_for(fps, host)).status == 200


def test_unknown_access_key_and_stale_timestamp(fps, clock):
    params = fps.signed("GetTokens")
    params["AWSAccessKeyId"] = "AKIAUNKNOWN000000000"
    answer = fps.get(params)
    assert (answer.status, answer.code) == (403, "InvalidClientTokenId")
    params = fps.signed("GetTokens")
    clock.advance(16 * 60)
    answer = fps.get(params)
    assert (answer.status, answer.code) == (400, "RequestExpired")


def test_error_answer_is_the_unnamespaced_fps_error_document(fps):
    response = fps.client.get(
        "/?" + urlencode(fps.signed("GetTransactionStatus", TransactionId="FAKE")),
        headers={"Host": "localhost"},
    )
    assert response.status_code == 400
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(response.data)
    assert root.tag == "Response"
    assert [e.tag for e in root] == ["Errors", "RequestID"]
    # Amazon's sample answer to a malformed id (reference §4.4).
    assert root.findtext("Errors/Error/Code") == "InvalidParams"
    message = "transactionId has to be a valid transaction ID. Specified value: FAKE"
    assert root.findtext("Errors/Error/Message") == message
    assert root.findtext("RequestID")
