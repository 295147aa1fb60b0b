"""Signature Version 2: known answers from the official SDK, then one broken ingredient at a time.

``clients.sigv2`` is shared by the server and our clients, so a symmetric bug would go unseen by
round trips; the official amazon_pay SDK's own code is the independent reference here
(``tests/core/sdk_vectors.py``), and its answers are also frozen in ``tests/vectors/sigv2.json``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest

from clients import sigv2
from tests.core.sdk_vectors import CASES, sdk_sign
from tests.helpers import HOST, PATH, SignedApi, new_merchant

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "sigv2.json").read_text(encoding="utf-8")
)["vectors"]


# --- known answers -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["params"]["Action"])
def test_matches_the_official_sdk(case):
    sdk = sdk_sign(case)
    endpoint = urlparse(case["endpoint"])
    ours = sigv2.signed_params(
        {k: v for k, v in sdk["params"].items() if k not in ("AWSAccessKeyId",)},
        access_key=case["access_key"],
        secret=case["secret"],
        method="POST",
        host=endpoint.netloc,
        path=endpoint.path,
    )
    # Same parameters (Timestamp included: the SDK's was kept) ...
    assert {k: v for k, v in ours.items() if k != "Signature"} == sdk["params"]
    # ... byte-identical canonical query and string to sign ...
    assert (
        sigv2.string_to_sign_v2("POST", endpoint.netloc, endpoint.path, ours)
        == (sdk["string_to_sign"])
    )
    canonical = sdk["string_to_sign"].split("\n", 3)[3]
    assert sigv2.canonical_query(ours).encode() == canonical.encode()
    # ... and the same signature.
    assert ours["Signature"] == sdk["signature"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["params"]["Action"])
def test_saved_vectors(vector):
    params = vector["params"]
    assert (
        sigv2.string_to_sign_v2(vector["method"], vector["host"], vector["path"], params)
        == vector["string_to_sign"]
    )
    assert (
        sigv2.sign_v2(vector["secret"], vector["method"], vector["host"], vector["path"], params)
        == vector["signature"]
    )


def test_saved_vectors_are_still_what_the_sdk_computes():
    assert [sdk_sign(case)["signature"] for case in CASES] == [v["signature"] for v in VECTORS]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["params"]["Action"])
def test_hmac_sha1_is_hmac_of_the_same_string(vector):
    expected = base64.b64encode(
        hmac.new(
            vector["secret"].encode(), vector["string_to_sign"].encode(), hashlib.sha1
        ).digest()
    ).decode()
    params = dict(vector["params"], SignatureMethod="HmacSHA1")
    string_to_sign = sigv2.string_to_sign_v2("POST", vector["host"], vector["path"], params)
    assert string_to_sign == vector["string_to_sign"].replace(
        "SignatureMethod=HmacSHA256", "SignatureMethod=HmacSHA1"
    )
    assert (
        sigv2.sign_v2(vector["secret"], "POST", vector["host"], vector["path"], params, "HmacSHA1")
        == base64.b64encode(
            hmac.new(vector["secret"].encode(), string_to_sign.encode(), hashlib.sha1).digest()
        ).decode()
    )
    assert len(base64.b64decode(expected)) == 20


def test_canonical_query_encoding_rules():
    assert sigv2.rfc3986("a b+c*d~e-f_g.h/") == "a%20b%2Bc%2Ad~e-f_g.h%2F"
    assert sigv2.rfc3986("ä") == "%C3%A4"
    # Names sort in byte order: upper case before lower case.
    assert sigv2.canonical_query({"b": "1", "B": "2", "a": "3"}) == "B=2&a=3&b=1"
    assert sigv2.canonical_query({"Signature": "x", "e": ""}) == "e="


# --- the server: one broken ingredient at a time -------------------------------------------------


def signed_form(
    api: SignedApi,
    *,
    params: dict[str, str] | None = None,
    secret: str | None = None,
    access_key: str | None = None,
    host: str = HOST,
    path: str = PATH,
    method: str = "POST",
    signature_method: str = "HmacSHA256",
    signature_version: str = "2",
    skew: timedelta = timedelta(0),
    drop: tuple[str, ...] = (),
    after: dict[str, str] | None = None,
) -> dict[str, str]:
    """A request signed like the SDK's, with one ingredient changed by the keyword given."""
    base = {
        "Action": "GetServiceStatus",
        "SellerId": api.merchant.seller_id,
        "Version": "2013-01-01",
    }
    base.update(params or {})
    form = sigv2.signed_params(
        base,
        access_key=access_key or api.merchant.access_key,
        secret=secret or api.merchant.secret_key,
        method=method,
        host=host,
        path=path,
        signature_version=signature_version,
        signature_method=signature_method,
        now=api.clock.now() + skew,
    )
    for name in drop:
        form.pop(name)
    form.update(after or {})
    return form


def test_a_correct_request_is_answered(api):
    answer = api.post(signed_form(api))
    assert answer.status == 200
    assert answer.find("GetServiceStatusResult/Status") == "GREEN"


def test_hmac_sha1_is_accepted(api):
    assert api.post(signed_form(api, signature_method="HmacSHA1")).status == 200


def test_get_with_query_parameters_signed_as_get(api):
    form = signed_form(api, method="GET")
    response = api.client.get(f"{PATH}?{urlencode(form)}", headers={"Host": HOST})
    assert response.status_code == 200


def test_explicit_default_port_in_the_signed_host(api):
    # amazon_pay signs "host:80" when the endpoint spells it; requests then drops it (§1.2).
    assert api.post(signed_form(api, host=f"{HOST}:80")).status == 200


def _set(**values: str | None) -> Any:
    """A mutation of the signed form: set (or, with None, remove) parameters after signing."""

    def mutate(form: dict[str, str]) -> None:
        for name, value in values.items():
            if value is None:
                form.pop(name)
            else:
                form[name] = value

    return mutate


def _change_seller(form: dict[str, str]) -> None:
    form["SellerId"] = form["SellerId"] + "X"


BROKEN: list[tuple[str, dict[str, Any], str, int]] = [
    ("wrong secret", {"secret": "not-the-secret-0000000000"}, "SignatureDoesNotMatch", 403),
    ("parameter changed", {"mutate": _change_seller}, "SignatureDoesNotMatch", 403),
    ("parameter removed", {"mutate": _set(SellerId=None)}, "SignatureDoesNotMatch", 403),
    ("parameter added", {"mutate": _set(Extra="1")}, "SignatureDoesNotMatch", 403),
    ("other host", {"host": "shop.example.com"}, "SignatureDoesNotMatch", 403),
    ("Amazon host of another API", {"host": "fps.amazonaws.com"}, "SignatureDoesNotMatch", 403),
    ("Amazon host not published", {"host": "mws.amazonservices.ca"}, "SignatureDoesNotMatch", 403),
    ("other port", {"host": f"{HOST}:8080"}, "SignatureDoesNotMatch", 403),
    ("other path", {"path": "/OffAmazonPayments/2013-01-01"}, "SignatureDoesNotMatch", 403),
    ("other method", {"method": "GET"}, "SignatureDoesNotMatch", 403),
    (
        "signed HmacSHA1, declared HmacSHA256",
        {"signature_method": "HmacSHA1", "mutate": _set(SignatureMethod="HmacSHA256")},
        "SignatureDoesNotMatch",
        403,
    ),
    (
        "signed HmacSHA256, declared HmacSHA1",
        {"mutate": _set(SignatureMethod="HmacSHA1")},
        "SignatureDoesNotMatch",
        403,
    ),
    (
        "unsupported SignatureMethod",
        {"mutate": _set(SignatureMethod="HmacMD5")},
        "InvalidParameterValue",
        400,
    ),
    ("SignatureVersion 1", {"signature_version": "1"}, "InvalidParameterValue", 400),
    ("SignatureVersion 3", {"mutate": _set(SignatureVersion="3")}, "InvalidParameterValue", 400),
    ("16 minutes in the past", {"skew": timedelta(minutes=-16)}, "RequestExpired", 400),
    ("16 minutes in the future", {"skew": timedelta(minutes=16)}, "RequestExpired", 400),
    ("15 min 1 s in the past", {"skew": timedelta(minutes=-15, seconds=-1)}, "RequestExpired", 400),
    ("malformed Timestamp", {"mutate": _set(Timestamp="yesterday")}, "InvalidParameterValue", 400),
    ("no Signature", {"drop": ("Signature",)}, "MissingParameter", 400),
    ("no AWSAccessKeyId", {"drop": ("AWSAccessKeyId",)}, "MissingParameter", 400),
    ("no Timestamp", {"drop": ("Timestamp",)}, "MissingParameter", 400),
    ("no SignatureVersion", {"drop": ("SignatureVersion",)}, "MissingParameter", 400),
    ("unknown access key", {"access_key": "AKIANOSUCHKEY0000000"}, "InvalidAccessKeyId", 403),
    ("unknown Action", {"params": {"Action": "NoSuchAction"}}, "InvalidAddress", 400),
    ("other Version", {"params": {"Version": "2010-08-28"}}, "InvalidAddress", 400),
]


@pytest.mark.parametrize(("why", "change", "code", "status"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_ingredient(api, why, change, code, status):
    change = dict(change)
    mutate = change.pop("mutate", None)
    form = signed_form(api, **change)
    if mutate is not None:
        mutate(form)
    answer = api.post(form)
    assert (answer.status, answer.code) == (status, code), answer.find("Error/Message")
    assert answer.find("Error/Type") == "Sender"
    assert answer.find("RequestId")


def test_no_action(api):
    form = _resign_without(api, signed_form(api), "Action")
    answer = api.post(form)
    assert (answer.status, answer.code) == (400, "MissingParameter")


def test_repeated_parameter(api):
    from werkzeug.datastructures import MultiDict

    form = MultiDict([*signed_form(api).items(), ("Action", "GetServiceStatus")])
    response = api.client.post(PATH, data=form, headers={"Host": HOST})
    assert response.status_code == 400
    assert "<Code>InvalidParameterValue</Code>" in response.get_data(as_text=True)


def _resign_without(api: SignedApi, form: dict[str, str], name: str) -> dict[str, str]:
    params = {k: v for k, v in form.items() if k not in ("Signature", name)}
    params["Signature"] = sigv2.sign_v2(api.merchant.secret_key, "POST", HOST, PATH, params)
    return params


@pytest.mark.parametrize("minutes", [-14, 14, -15, 15])
def test_timestamps_within_the_window_are_accepted(api, minutes):
    assert api.post(signed_form(api, skew=timedelta(minutes=minutes))).status == 200


def test_expires_instead_of_timestamp(api):
    def form_with(expires):
        params = {
            "Action": "GetServiceStatus",
            "SellerId": api.merchant.seller_id,
            "Version": "2013-01-01",
            "AWSAccessKeyId": api.merchant.access_key,
            "SignatureVersion": "2",
            "SignatureMethod": "HmacSHA256",
            "Expires": sigv2.timestamp(expires),
        }
        params["Signature"] = sigv2.sign_v2(api.merchant.secret_key, "POST", HOST, PATH, params)
        return params

    assert api.post(form_with(api.clock.now() + timedelta(minutes=1))).status == 200
    expired = api.post(form_with(api.clock.now() - timedelta(seconds=1)))
    assert (expired.status, expired.code) == (400, "RequestExpired")


def test_seller_id_of_another_merchant(api, runtime):
    other = new_merchant(runtime)
    answer = api.post(signed_form(api, params={"SellerId": other.seller_id}))
    assert (answer.status, answer.code) == (401, "UnauthorizedAccess")


def test_signed_by_another_merchant_for_its_own_seller_id_is_fine(api, runtime, app, clock):
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    assert other.post(signed_form(other)).status == 200


def test_mismatch_message_shows_the_servers_string_to_sign(api):
    form = signed_form(api, secret="not-the-secret-0000000000")
    answer = api.post(form)
    assert answer.code == "SignatureDoesNotMatch"
    expected = sigv2.string_to_sign_v2("POST", HOST, PATH, form)
    message = answer.find("Error/Message")
    assert message is not None
    assert message.startswith("The request signature we calculated does not match")
    assert expected.replace("\n", "\\n") in message
    # The message never reveals the secret or the expected signature.
    assert api.merchant.secret_key not in message
    expected_signature = sigv2.sign_v2(api.merchant.secret_key, "POST", HOST, PATH, form)
    assert expected_signature not in message


def test_too_large_a_request_is_an_xml_error(api):
    form = signed_form(api, params={"Padding": "a" * 1_100_000})
    response = api.client.post(PATH, data=form, headers={"Host": HOST})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<Code>InvalidParameterValue</Code>" in body and body.startswith("<?xml")


def test_another_method_is_an_xml_error(api):
    response = api.client.put(PATH, data=signed_form(api), headers={"Host": HOST})
    assert response.status_code == 405
    assert "<Code>InvalidAddress</Code>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("host", "scheme", "expected"),
    [
        ("127.0.0.1:8080", "http", ["127.0.0.1:8080", "127.0.0.1"]),
        ("LocalHost", "https", ["localhost", "localhost:443"]),
        ("[::1]:8443", "https", ["[::1]:8443", "[::1]"]),
        ("[::1]", "http", ["[::1]", "[::1]:80"]),
        (
            "mws.amazonservices.com",
            "https",
            ["mws.amazonservices.com", "mws.amazonservices.com:443"],
        ),
    ],
)
def test_the_hosts_a_signature_may_be_over(host, scheme, expected):
    from gateway.signing import signing_hosts

    published = ("mws.amazonservices.com", "mws.amazonservices.jp")
    hosts = signing_hosts(host, scheme, published)
    assert hosts == list(dict.fromkeys([*expected, *published]))  # the Host as sent first, once
