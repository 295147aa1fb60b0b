"""What clients in the wild send, through real requests to a real ``gateway serve`` (issue 15).

Each test signs and sends its request with ``requests`` exactly as the client it stands for does
(the source is named in docs/clients-in-the-wild.md), and asserts on the answer the server gives:
the trailing-slash path, the POST with its parameters in the query string, each Timestamp form,
the exact ``Content-Type``, and each host a signature may be over (and one it may not). The
second client's whole flow, unchanged, is in ``test_node_client.py``; HTTPS in ``test_https.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import requests

from clients import sigv2
from tests.helpers import NS
from tests.support.servers import GatewayServer

pytestmark = pytest.mark.e2e

PATH = "/OffAmazonPayments_Sandbox/2013-01-01"
FPS_NS = "{http://fps.amazonaws.com/doc/2010-08-28/}"


@pytest.fixture
def merchant(live_server: GatewayServer) -> dict[str, Any]:
    return live_server.new_merchant(store_name="wildstore")


@pytest.fixture
def sign(live_server: GatewayServer, merchant: dict[str, Any]) -> Callable[..., dict[str, str]]:
    """GetServiceStatus parameters signed for ``method host path`` (default: as ``requests``
    sends them to the live server), with ``extra`` parameters and ``timestamp`` as given."""

    def signed(
        *,
        method: str = "POST",
        host: str | None = None,
        path: str = PATH,
        timestamp: str | None = None,
        action: str = "GetServiceStatus",
        version: str = "2013-01-01",
        **extra: str,
    ) -> dict[str, str]:
        params = {"Action": action, "Version": version, **extra}
        if version == "2013-01-01":
            params["SellerId"] = merchant["seller_id"]
        if timestamp is not None:
            params["Timestamp"] = timestamp
        return sigv2.signed_params(
            params,
            access_key=merchant["access_key"],
            secret=merchant["secret_key"],
            method=method,
            host=host or f"127.0.0.1:{live_server.port}",
            path=path,
        )

    return signed


def _xml(response: requests.Response) -> ElementTree.Element:
    return ElementTree.fromstring(response.content)


def _code(response: requests.Response) -> str | None:
    return _xml(response).findtext(f"{NS}Error/{NS}Code")


def _message(response: requests.Response) -> str:
    return _xml(response).findtext(f"{NS}Error/{NS}Message") or ""


def _status(response: requests.Response) -> str | None:
    return _xml(response).findtext(f"{NS}GetServiceStatusResult/{NS}Status")


# --- 1. the path with a trailing slash --------------------------------------------------------


@pytest.mark.parametrize("path", [PATH + "/", "/OffAmazonPayments/2013-01-01/"])
def test_the_path_with_a_trailing_slash_is_served_and_signed_as_sent(live_server, sign, path):
    response = requests.post(live_server.url + path, data=sign(path=path), timeout=30)
    assert response.status_code == 200, response.text
    assert _status(response) == "GREEN"


def test_a_signature_over_the_path_without_its_slash_does_not_match(live_server, sign):
    response = requests.post(live_server.url + PATH + "/", data=sign(path=PATH), timeout=30)
    assert (response.status_code, _code(response)) == (403, "SignatureDoesNotMatch")
    # The string to sign the server computed is over the path as sent.
    assert f"\\n{PATH}/\\n" in _message(response)


# --- 2. POST with the signed parameters in the query string -----------------------------------


def test_post_with_every_parameter_in_the_query_string_and_an_empty_body(live_server, sign):
    url = f"{live_server.url}{PATH}?{urlencode(sign())}"
    response = requests.post(url, data=b"", timeout=30)
    assert response.status_code == 200, response.text
    assert _status(response) == "GREEN"


def test_post_with_the_parameters_split_between_query_string_and_body(live_server, sign):
    params = sign()
    in_url = {k: params[k] for k in ("Signature", "AWSAccessKeyId", "Timestamp")}
    in_body = {k: v for k, v in params.items() if k not in in_url}
    url = f"{live_server.url}{PATH}?{urlencode(in_url)}"
    response = requests.post(url, data=in_body, timeout=30)
    assert response.status_code == 200, response.text


def test_a_parameter_both_in_the_query_string_and_in_the_body_is_refused(live_server, sign):
    params = sign()
    url = f"{live_server.url}{PATH}?{urlencode({'Action': params['Action']})}"
    response = requests.post(url, data=params, timeout=30)
    assert (response.status_code, _code(response)) == (400, "InvalidParameterValue")
    assert "Action" in _message(response) and "query string" in _message(response)


def test_a_get_is_signed_as_get(live_server, sign):
    url = f"{live_server.url}{PATH}?{urlencode(sign(method='GET'))}"
    assert requests.get(url, timeout=30).status_code == 200


# --- 3. every Timestamp form Amazon accepts ---------------------------------------------------


def _forms(now: datetime) -> dict[str, str]:
    """``now`` written in each accepted form (the client that sends it, where one is known)."""
    seconds = now.strftime("%Y-%m-%dT%H:%M:%S")
    ahead = (now + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    behind = (now - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "Z (amazon_pay, boto)": seconds + "Z",
        "lowercase z (npm amazon-payments)": seconds + "z",
        "lowercase t and z (RFC 3339 5.6)": seconds.replace("T", "t") + "z",
        "milliseconds (PHP SDK)": seconds + ".000Z",
        "microseconds": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "a decimal comma": seconds + ",5Z",
        "no zone (python-amazon-mws)": seconds,
        "+00:00": seconds + "+00:00",
        "+0000": seconds + "+0000",
        "+05:30": ahead + "+05:30",
        "-07 (MWS guide's example form)": behind + "-07",
        "-0700": behind + "-0700",
    }


FORM_NAMES = list(_forms(datetime.now(UTC)))


@pytest.mark.parametrize("form", FORM_NAMES)
def test_each_timestamp_form_amazon_accepts(live_server, sign, form):
    timestamp = _forms(datetime.now(UTC).replace(microsecond=123456))[form]
    response = requests.post(live_server.url + PATH, data=sign(timestamp=timestamp), timeout=30)
    assert response.status_code == 200, (timestamp, response.text)


def test_a_timestamp_form_is_the_moment_it_says(live_server, sign):
    # Twenty minutes ago written as local time 05:30 ahead: outside the window, whatever the form.
    then = datetime.now(timezone(timedelta(hours=5, minutes=30))) - timedelta(minutes=20)
    timestamp = then.strftime("%Y-%m-%dT%H:%M:%S+0530")
    response = requests.post(live_server.url + PATH, data=sign(timestamp=timestamp), timeout=30)
    assert (response.status_code, _code(response)) == (400, "RequestExpired")


@pytest.mark.parametrize(
    "shape",
    [
        "{date} {time}Z",  # a space for T: the MWS guide makes T a required delimiter
        "{date}T{hm}Z",  # no seconds: "no truncated formats are allowed"
        "{date}",  # a date alone
        "{date}T{time}UTC",
        "{date}T{time}+5",
    ],
)
def test_forms_amazon_does_not_accept_are_refused(live_server, sign, shape):
    now = datetime.now(UTC)
    timestamp = shape.format(
        date=now.strftime("%Y-%m-%d"), time=now.strftime("%H:%M:%S"), hm=now.strftime("%H:%M")
    )
    response = requests.post(live_server.url + PATH, data=sign(timestamp=timestamp), timeout=30)
    assert (response.status_code, _code(response)) == (400, "InvalidParameterValue")
    assert "Timestamp" in _message(response)


# --- 4. Content-Type: text/xml exactly --------------------------------------------------------


def test_every_answer_is_text_xml_exactly(live_server, sign):
    oap = live_server.url + PATH
    answers = {
        "success": requests.post(oap, data=sign(), timeout=30),
        "signature error": requests.post(oap, data={**sign(), "Signature": "x"}, timeout=30),
        "unknown path": requests.post(live_server.url + "/OffAmazonPayments_Sandbox", timeout=30),
        "wrong method": requests.put(oap, timeout=30),
        "FPS success": requests.get(
            live_server.url + "/",
            params=sign(method="GET", path="/", action="GetTokens", version="2010-08-28"),
            timeout=30,
        ),
        "FPS error": requests.get(live_server.url + "/", params={"Action": "Pay"}, timeout=30),
    }
    for what, response in answers.items():
        assert response.headers["Content-Type"] == "text/xml", what
        assert response.content.startswith(b"<?xml"), what
    assert answers["success"].status_code == 200
    assert answers["FPS success"].status_code == 200
    assert {answers[e].status_code for e in answers if "success" not in e} <= {400, 403, 404, 405}


# --- 5. the hosts a signature may be over -----------------------------------------------------


def test_signatures_over_each_accepted_host(live_server, sign):
    accepted = [
        f"127.0.0.1:{live_server.port}",  # the Host header as sent (amazon_pay)
        "127.0.0.1",  # without its port (npm amazon-payments)
        "mws.amazonservices.com",  # Amazon's names, routed here by a hosts file or a proxy
        "mws-eu.amazonservices.com",
        "mws.amazonservices.jp",
    ]
    for host in accepted:
        response = requests.post(live_server.url + PATH, data=sign(host=host), timeout=30)
        assert response.status_code == 200, (host, response.text)


def test_fps_signatures_over_each_accepted_host(live_server, sign):
    for host in ["127.0.0.1", "fps.sandbox.amazonaws.com", "fps.amazonaws.com"]:
        params = sign(method="GET", host=host, path="/", action="GetTokens", version="2010-08-28")
        response = requests.get(live_server.url + "/", params=params, timeout=30)
        assert response.status_code == 200, (host, response.text)


@pytest.mark.parametrize(
    "host",
    [
        "shop.example.com",
        "fps.sandbox.amazonaws.com",  # FPS's name, not Off-Amazon Payments'
        "mws.amazonservices.com:8443",  # Amazon's name with a port no one sends it with
        "127.0.0.1:1",  # another port
    ],
)
def test_a_signature_over_any_other_host_is_refused(live_server, sign, host):
    response = requests.post(live_server.url + PATH, data=sign(host=host), timeout=30)
    assert (response.status_code, _code(response)) == (403, "SignatureDoesNotMatch")
    # The string to sign shown is the one over the Host header as sent, tried first.
    assert f"'POST\\n127.0.0.1:{live_server.port}\\n{PATH}\\n" in _message(response)
