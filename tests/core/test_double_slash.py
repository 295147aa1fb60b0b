"""A path with a double slash is not an API address: answered in the API's own XML format, never
werkzeug's HTML 308 redirect to the merged path (found by tests/fuzz's long run), and "//" alone
is not taken for FPS's "/" (werkzeug's matcher reads it as "/" with a trailing slash)."""

from __future__ import annotations

import http.client
import socket
import xml.etree.ElementTree as ET

import pytest

from tests.support.servers import HOST, GatewayServer


@pytest.mark.parametrize(
    "path", ["/OffAmazonPayments_Sandbox//2013-01-01", "//OffAmazonPayments_Sandbox/2013-01-01"]
)
def test_a_double_slash_is_an_xml_invalid_address(app, path: str) -> None:
    answer = app.test_client().post(path, data={"Action": "GetServiceStatus"})
    assert answer.status_code == 404
    assert answer.mimetype == "text/xml"
    assert ET.fromstring(answer.data).findtext(".//{*}Code") == "InvalidAddress"


def _fps_not_found(status: int, content_type: str, body: bytes) -> None:
    assert (status, content_type) == (404, "text/xml"), body[:300]
    root = ET.fromstring(body)
    assert root.tag == "Response"  # FPS's error document: request.path is "/" (slashes stripped)
    assert root.findtext(".//Code") == "InvalidParams"


@pytest.mark.parametrize("path", ["//", "///"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_path_of_slashes_alone_is_not_fps(app, method: str, path: str) -> None:
    # The test client would parse "//" as a URL with an empty host: PATH_INFO is set as a
    # server sets it from the request line.
    answer = app.test_client().open(
        "/", method=method, data={"Action": "Pay"}, environ_overrides={"PATH_INFO": path}
    )
    _fps_not_found(answer.status_code, answer.mimetype, answer.data)


def test_a_request_line_of_two_slashes_through_the_server(live_server: GatewayServer) -> None:
    with socket.create_connection((HOST, live_server.port or 0), timeout=30) as sock:
        sock.sendall(f"GET // HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        media = (answer.getheader("Content-Type") or "").split(";")[0]
        _fps_not_found(answer.status, media, answer.read())
