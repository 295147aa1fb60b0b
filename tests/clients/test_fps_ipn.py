"""FpsIpnVerifier: local RSA-SHA1 verification over the SigV2-style string, and remote mode."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from clients.errors import IpnVerificationError
from clients.fps import FpsClient
from clients.fps_ipn import FpsIpnVerifier, parse_params
from clients.fps_responses import FpsAmount
from clients.ipn_signing import fps_string_to_sign
from clients.transport import NO_RETRIES
from tests.clients.conftest import SECRET
from tests.clients.fake_amazon import FakeAmazon
from tests.clients.sns_signer import NOW, SnsSigner

IPN_URL = "http://127.0.0.1:9000/fps/ipn"
CERT_URL = "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"


def signed_body(
    signer: SnsSigner, url: str = IPN_URL, signed: dict[str, str] | None = None, **tampered: str
) -> str:
    """A signed IPN body; ``signed`` changes fields before signing, ``tampered`` after."""
    params = {
        "notificationType": "TransactionStatus",
        "transactionId": "14GK6F2QU755ODS27SGHEURLKPG72Z54KMF",
        "transactionStatus": "SUCCESS",
        "statusCode": "Success",
        "statusMessage": "The refund was successful.",
        "operation": "REFUND",
        "transactionAmount": "USD 1.100000",
        "transactionDate": "1764000000",
        "callerReference": "cr 1/é",
        "paymentMethod": "CC",
        "signatureVersion": "2",
        "signatureMethod": "RSA-SHA1",
        "certificateUrl": CERT_URL,
    } | (signed or {})
    raw = signer.key.sign(fps_string_to_sign(url, params), padding.PKCS1v15(), hashes.SHA1())
    params["signature"] = base64.b64encode(raw).decode()
    params.update(tampered)
    return urlencode(params)


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


def local(signer: SnsSigner) -> FpsIpnVerifier:
    return FpsIpnVerifier(fetch_certificate=signer.fetch, now=lambda: NOW)


def reason(verifier: FpsIpnVerifier, body: str | bytes, url: str = IPN_URL) -> str:
    with pytest.raises(IpnVerificationError) as info:
        verifier.verify(body, url)
    return info.value.reason


def test_string_to_sign_is_sigv2_shaped() -> None:
    params = {"b": "x y", "a": "1", "signature": "zzz"}
    assert fps_string_to_sign("http://Shop.example:8080/ipn", params) == (
        b"POST\nshop.example:8080\n/ipn\na=1&b=x%20y"
    )


def test_local_verification_parses_the_notification(signer: SnsSigner) -> None:
    note = local(signer).verify(signed_body(signer).encode(), IPN_URL)
    assert note.transaction_id == "14GK6F2QU755ODS27SGHEURLKPG72Z54KMF"
    assert (note.operation, note.transaction_status) == ("REFUND", "SUCCESS")
    assert note.transaction_amount == FpsAmount(Decimal("1.100000"), "USD")
    assert note.transaction_date == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert note.caller_reference == "cr 1/é"
    assert note.params["paymentMethod"] == "CC"
    assert signer.fetched == [CERT_URL]


@pytest.mark.parametrize(
    "overrides",
    [
        {"transactionStatus": "FAILURE"},
        {"transactionAmount": "USD 1.100001"},
        {"signature": base64.b64encode(b"x" * 256).decode()},
        {"signature": "%%%"},
    ],
)
def test_tampered_parameters_fail(signer: SnsSigner, overrides: dict[str, str]) -> None:
    assert reason(local(signer), signed_body(signer, IPN_URL, None, **overrides)) == "bad_signature"


def test_extra_parameter_fails(signer: SnsSigner) -> None:
    body = signed_body(signer) + "&extra=1"
    assert reason(local(signer), body) == "bad_signature"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/fps/ipn2", "http://127.0.0.1:9001/fps/ipn", "http://evil/fps/ipn"],
)
def test_signature_is_bound_to_the_ipn_url(signer: SnsSigner, url: str) -> None:
    assert reason(local(signer), signed_body(signer), url) == "bad_signature"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"signatureMethod": "RSA-SHA256"}, "unsupported_signature_version"),
        ({"signatureVersion": "1"}, "unsupported_signature_version"),
        ({"signature": ""}, "malformed"),
        (
            {"certificateUrl": "http://fps.sandbox.amazonaws.com/c.pem"},
            "certificate_url_not_allowed",
        ),
        ({"certificateUrl": "https://evil.example/c.pem"}, "certificate_url_not_allowed"),
    ],
)
def test_refusals(signer: SnsSigner, overrides: dict[str, str], expected: str) -> None:
    assert reason(local(signer), signed_body(signer, IPN_URL, None, **overrides)) == expected


def test_malformed_bodies(signer: SnsSigner) -> None:
    assert reason(local(signer), b"\xff\xfe") == "malformed"
    assert reason(local(signer), "") == "malformed"
    bad_amount = signed_body(signer, signed={"transactionAmount": "USD lots"})
    assert reason(local(signer), bad_amount) == "malformed"
    bad_date = signed_body(signer, signed={"transactionDate": "soon"})
    assert reason(local(signer), bad_date) == "malformed"


def test_parse_params_rejects_non_form_text() -> None:
    with pytest.raises(IpnVerificationError):
        parse_params("no-equals-sign")


def test_simulator_host_allowed_over_http(signer: SnsSigner) -> None:
    cert_url = "http://127.0.0.1:8080/fps/cert.pem"
    verifier = FpsIpnVerifier(["127.0.0.1:8080"], signer.fetch, now=lambda: NOW)
    body = signed_body(signer, signed={"certificateUrl": cert_url})
    assert verifier.verify(body, IPN_URL).transaction_id
    assert signer.fetched == [cert_url]
    moved = signed_body(signer, certificateUrl=cert_url)  # certificateUrl is signed too
    assert reason(verifier, moved) == "bad_signature"


def remote(fake: FakeAmazon) -> FpsIpnVerifier:
    client = FpsClient(fake.url + "/", "AKID", SECRET, retries=NO_RETRIES)
    return FpsIpnVerifier(remote=client)


def test_remote_success_sends_raw_body(fake: FakeAmazon, signer: SnsSigner) -> None:
    body = signed_body(signer)
    note = remote(fake).verify(body.encode(), IPN_URL)
    assert note.operation == "REFUND"
    sent = fake.requests[-1].params
    assert sent["Action"] == "VerifySignature"
    assert sent["HttpParameters"] == body
    assert sent["UrlEndPoint"] == IPN_URL
    assert signer.fetched == []


def test_remote_failure(fake: FakeAmazon, signer: SnsSigner) -> None:
    fake.reply(
        200,
        "<VerifySignatureResponse><VerifySignatureResult><VerificationStatus>Failure"
        "</VerificationStatus></VerifySignatureResult></VerifySignatureResponse>",
    )
    assert reason(remote(fake), signed_body(signer)) == "bad_signature"


def test_remote_error_answer(fake: FakeAmazon, signer: SnsSigner) -> None:
    fake.reply(
        400, "<Response><Errors><Error><Code>InvalidParams</Code></Error></Errors></Response>"
    )
    assert reason(remote(fake), signed_body(signer)) == "remote_verification_failed"


def test_remote_unreachable(signer: SnsSigner) -> None:
    client = FpsClient("http://127.0.0.1:9/", "AKID", SECRET, retries=NO_RETRIES, timeout=2)
    verifier = FpsIpnVerifier(remote=client)
    assert reason(verifier, signed_body(signer)) == "remote_verification_failed"
