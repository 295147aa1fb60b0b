"""The edges of the emulated APIs, in process: client times outside the calendar, Expires, URLs
that cannot be taken apart, control characters echoed into answers, and every HTTP failure
answered in its surface's own format (issue 11, findings 1, 3, 4, 5 and 12).

Every answer here is parsed as XML (or JSON on the control API): a 500, an HTML page or an
ill-formed document fails the test. The same edges through a real gunicorn server (keep-alive,
the request line limit) are in ``test_http_edges_live.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from clients import sigv2
from gateway.errors import InvalidParameterValue
from gateway.fps.render import render_fps_error
from gateway.wire.render import document, render_error, xml_text
from tests.fps.helpers import HOST as FPS_HOST
from tests.fps.helpers import FpsAnswer, FpsApi
from tests.helpers import HOST, NS, PATH, Answer, SignedApi

#: Client times the calendar cannot hold once moved to UTC (year 0 and year 10000).
OUT_OF_CALENDAR = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"]


@pytest.fixture
def fps(app: Any, merchant: Any, clock: Any) -> FpsApi:
    return FpsApi(app.test_client(), merchant, clock)


def _xml(response: Any) -> ElementTree.Element:
    """The answer's body as XML; fails on anything that is not a well-formed document."""
    assert response.content_type == "text/xml", response.data[:200]
    return ElementTree.fromstring(response.data)


def _oap_error(response: Any) -> tuple[int, str, str]:
    root = _xml(response)
    assert root.tag == f"{NS}ErrorResponse", response.data
    answer = Answer(response.status_code, root)
    return response.status_code, answer.code or "", answer.find("Error/Message") or ""


def _fps_error(response: Any) -> tuple[int, str, str]:
    root = _xml(response)
    answer = FpsAnswer(response.status_code, root, "2010-08-28")
    assert root.tag == "Response", response.data
    return response.status_code, answer.code or "", answer.find("Errors/Error/Message") or ""


def _signed_without_timestamp(api: SignedApi, **time: str) -> dict[str, str]:
    """A GetServiceStatus form signed with ``time`` (Expires and/or Timestamp) as given."""
    params = {
        "Action": "GetServiceStatus",
        "SellerId": api.merchant.seller_id,
        "Version": "2013-01-01",
        "AWSAccessKeyId": api.merchant.access_key,
        "SignatureVersion": "2",
        "SignatureMethod": "HmacSHA256",
        **time,
    }
    params["Signature"] = sigv2.sign_v2(api.merchant.secret_key, "POST", HOST, PATH, params)
    return params


# --- finding 1: client times outside the calendar ---------------------------------------------


@pytest.mark.parametrize("moment", OUT_OF_CALENDAR)
def test_a_timestamp_outside_the_calendar_has_expired_on_off_amazon_payments(api, moment):
    refund = {"AmazonCaptureId": "S01-0000000-0000000-C000001", "RefundReferenceId": "r1"}
    for action, params in [("GetServiceStatus", {}), ("Refund", refund)]:
        answer = api.call(action, Timestamp=moment, **params)
        assert (answer.status, answer.code) == (400, "RequestExpired"), action
        assert moment in (answer.find("Error/Message") or "")


@pytest.mark.parametrize("moment", OUT_OF_CALENDAR)
def test_a_timestamp_outside_the_calendar_has_expired_on_fps(fps, moment):
    for action, params in [("GetTransactionStatus", {"TransactionId": "x"}), ("GetTokens", {})]:
        answer = fps.call(action, Timestamp=moment, **params)
        assert (answer.status, answer.code) == (400, "RequestExpired"), answer.text()


@pytest.mark.parametrize("moment", OUT_OF_CALENDAR)
def test_an_expires_outside_the_calendar_is_refused(api, moment):
    answer = api.post(_signed_without_timestamp(api, Expires=moment))
    # Year 0 has passed; year 10000 is more than 15 minutes ahead.
    expected = "RequestExpired" if moment.startswith("0001") else "InvalidParameterValue"
    assert (answer.status, answer.code) == (400, expected)


def test_a_timestamp_with_another_offset_is_the_same_moment(api):
    # 12:00 UTC written as 13:00+01:00, and as 00:01+12:01 of the same day: both now.
    for moment in ["2026-11-01T13:00:00+01:00", "2026-11-01T00:01:00-11:59"]:
        assert api.call("GetServiceStatus", Timestamp=moment).status == 200, moment


# --- finding 12: Expires honoured, at most 15 minutes ahead -------------------------------------


def test_an_expires_far_in_the_future_is_refused(api):
    answer = api.post(_signed_without_timestamp(api, Expires="9999-12-31T23:59:59Z"))
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    assert "Expires" in (answer.find("Error/Message") or "")


@pytest.mark.parametrize(
    ("ahead", "status"),
    [
        (timedelta(seconds=1), 200),
        (timedelta(minutes=15), 200),
        (timedelta(minutes=15, seconds=1), 400),
        (timedelta(seconds=-1), 400),
    ],
)
def test_expires_is_accepted_up_to_15_minutes_ahead_and_until_it_passes(api, ahead, status):
    expires = sigv2.timestamp(api.clock.now() + ahead)
    assert api.post(_signed_without_timestamp(api, Expires=expires)).status == status


def test_a_request_signed_with_expires_is_refused_once_it_has_passed(api):
    form = _signed_without_timestamp(
        api, Expires=sigv2.timestamp(api.clock.now() + timedelta(minutes=10))
    )
    assert api.post(form).status == 200
    api.clock.advance(10 * 60 + 1)
    replayed = api.post(form)
    assert (replayed.status, replayed.code) == (400, "RequestExpired")


def test_timestamp_and_expires_together_are_refused(api):
    now = sigv2.timestamp(api.clock.now())
    answer = api.post(_signed_without_timestamp(api, Timestamp=now, Expires=now))
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")


# --- finding 3: VerifySignature with a URL that cannot be taken apart --------------------------

BAD_URLS = [
    "http://x:abc/",
    "http://h:65536/",
    "http://h:-1/",
    "http://h:0/ipn",
    "http://[::1",
    "http://999.999.999.999/ipn",
    "ftp://shop/ipn",
    "/ipn",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_verify_signature_with_an_unusable_url_is_invalid_params(fps, url):
    body = "signatureVersion=2&signatureMethod=RSA-SHA1&signature=AAAA&a=b"
    answer = fps.call("VerifySignature", UrlEndPoint=url, HttpParameters=body)
    assert (answer.status, answer.code) == (400, "InvalidParams"), answer.text()
    assert "UrlEndPoint" in (answer.find("Errors/Error/Message") or "")


# --- finding 4: control characters never reach an answer raw -----------------------------------


def test_xml_text_writes_each_character_xml_cannot_carry_as_a_visible_escape():
    assert xml_text("a\x00b\x01\x1f\ud800\ufffe\uffff<&>") == (
        "a\\u0000b\\u0001\\u001f\\ud800\\ufffe\\uffff&lt;&amp;&gt;"
    )
    # What XML 1.0 allows stays as it is: tab, newline, carriage return, DEL, any plane.
    kept = "\t\n\r\x7f é 中 \U0001f600 \ufffd"
    assert xml_text(kept) == kept


#: Every character XML 1.0 cannot carry, from each range (XML 1.0 §2.2).
NOT_XML = [chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xD800, 0xDFFF, 0xFFFE]]


@pytest.mark.parametrize("character", NOT_XML, ids=lambda c: f"U+{ord(c):04X}")
def test_every_renderer_writes_well_formed_xml_whatever_the_text(character):
    error = InvalidParameterValue(f"echo {character} here")
    for rendered in (
        render_error(error, f"id{character}"),
        render_fps_error(error, f"id{character}"),
        document("Note", {"Text": character, "Nested": {"Value": [character]}}, None),
    ):
        root = ElementTree.fromstring(rendered)  # raises if ill-formed
        assert f"\\u{ord(character):04x}" in "".join(root.itertext())


def test_a_nul_in_the_path_is_echoed_escaped(app):
    response = app.test_client().get("/OffAmazonPayments_Sandbox/2013-01-01%00")
    status, code, message = _oap_error(response)
    assert (status, code) == (400, "InvalidAddress")
    assert "2013-01-01\\u0000" in message


def test_a_repeated_parameter_named_with_a_control_character_is_echoed_escaped(app):
    response = app.test_client().post(
        PATH, data="%01a=1&%01a=2", content_type="application/x-www-form-urlencoded"
    )
    status, code, message = _oap_error(response)
    assert (status, code) == (400, "InvalidParameterValue")
    assert "\\u0001a" in message


def test_an_fps_transaction_id_with_a_control_character_is_well_formed_invalid_params(fps):
    response = fps.client.get(
        "/?" + urlencode(fps.signed("GetTransactionStatus", TransactionId="\x01")),
        headers={"Host": FPS_HOST},
    )
    status, code, _ = _fps_error(response)
    assert (status, code) == (400, "InvalidParams")


# --- finding 5: every answer in the surface's own format ---------------------------------------

OAP_PATHS = [PATH, "/OffAmazonPayments/2013-01-01", "/OffAmazonPayments_Sandbox/2099-01-01"]


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", OAP_PATHS)
def test_another_method_on_off_amazon_payments_is_its_xml_error(app, method, path):
    response = app.test_client().open(path, method=method)
    status, code, message = _oap_error(response)
    assert (status, code) == (405, "InvalidAddress")
    assert method in message
    assert response.headers["Allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"])
def test_another_method_on_fps_is_its_xml_error(app, method):
    response = app.test_client().open("/", method=method)
    status, code, message = _fps_error(response)
    assert (status, code) == (405, "InvalidParams")
    assert method in message


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS", "PUT", "DELETE"])
def test_an_unknown_path_is_off_amazon_payments_invalid_address(app, method):
    status, code, _ = _oap_error(app.test_client().open("/no/such/address", method=method))
    assert (status, code) == (404, "InvalidAddress")


@pytest.mark.parametrize("path", ["/", PATH, "/no/such/address"])
def test_head_answers_the_headers_of_the_xml_answer(app, path):
    response = app.test_client().head(path)
    assert response.content_type == "text/xml"
    assert response.status_code in (400, 404)
    assert response.data == b""


def test_an_fps_body_over_the_limit_is_its_xml_error(app):
    response = app.test_client().post("/", data={"Padding": "a" * 1_100_000})
    status, code, message = _fps_error(response)
    assert (status, code) == (400, "InvalidParams")
    assert "1000000 bytes" in message


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE"])
def test_the_control_api_answers_json_for_any_method(app, method):
    response = app.test_client().open("/sandbox/api/v1/health", method=method)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "MethodNotAllowed"


def test_an_unexpected_failure_is_the_surfaces_500_without_a_traceback(app, api, monkeypatch, fps):
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug outside the pipeline")

    monkeypatch.setattr("gateway.api.query.handle", broken)
    monkeypatch.setattr("gateway.api.merchants.merchant_json", broken)
    status, code, message = _oap_error(api.client.post(PATH, data=api.form("GetServiceStatus")))
    assert (status, code) == (500, "InternalServerError")
    assert "RuntimeError" not in message and "Traceback" not in message
    status, code, _ = _fps_error(fps.client.get("/?Action=GetTokens"))
    assert (status, code) == (500, "InternalError")
    control = app.test_client().get(f"/sandbox/api/v1/merchants/{api.merchant.seller_id}")
    assert control.status_code == 500
    assert control.get_json()["error"]["code"] == "InternalServerError"


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/static/api-docs.js",  # Flask's static route: it once answered an empty 200
        "/sandbox/api/v1/health",
        "/sandbox/login",
        "/sandbox/api/v1/openapi.json",
    ],
)
def test_options_on_the_sandbox_paths_is_the_control_apis_405(app, path):
    response = app.test_client().options(path)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "MethodNotAllowed"
    assert "OPTIONS" not in response.headers["Allow"]
