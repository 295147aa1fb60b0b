"""The HTTP edges through a real ``gateway serve`` (gunicorn, gthread): keep-alive after a body
the application did not read, every method answered in its surface's format, and the request line
and header sizes the server reads before the application can answer (issue 11, findings 5, 6).

Keep-alive is checked with ``http.client`` on one connection: the answer to the first request
says whether the server keeps the connection, and the second request must then either go out on
the very same socket (kept) or on a new one (the server said ``Connection: close``). A server
that closes after saying keep-alive fails the second request with RemoteDisconnected or a broken
pipe.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import requests

from clients import sigv2
from tests.helpers import NS, PATH
from tests.support.servers import HEALTH_PATH, HOST, GatewayServer

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
XML = "text/xml; charset=utf-8"


@dataclass
class TwoRequests:
    status: int
    connection: str
    content_type: str
    body: bytes
    #: Whether the second request went out on the first one's socket.
    reused: bool


def two_requests(
    port: int, method: str, path: str, body: bytes | Iterator[bytes], content_type: str
) -> TwoRequests:
    """``method path`` with ``body``, then a health check on the same ``HTTPConnection``."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        # An iterator is sent chunked (http.client adds Transfer-Encoding and the framing).
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        first = connection.getresponse()
        data = first.read()
        socket_before = connection.sock  # None once http.client honoured Connection: close
        connection.request("GET", HEALTH_PATH)
        second = connection.getresponse()
        assert second.status == 200, second.read()
        second.read()
        return TwoRequests(
            first.status,
            first.getheader("Connection", ""),
            first.getheader("Content-Type", ""),
            data,
            reused=socket_before is not None and connection.sock is socket_before,
        )
    finally:
        connection.close()


def _chunks(total: int) -> Iterator[bytes]:
    chunk = b"a=" + b"x" * 65_534
    for _ in range(total // len(chunk)):
        yield chunk


#: (what, method, path, body, content type, Connection the server must answer)
UNREAD_BODIES = [
    (
        "3.5 MB form to Off-Amazon Payments",
        "POST",
        PATH,
        b"a=" + b"x" * 3_500_000,
        FORM,
        "keep-alive",
    ),
    ("1.1 MB form to FPS", "POST", "/", b"a=" + b"x" * 1_100_000, FORM, "keep-alive"),
    (
        "100 kB PUT to the control API",
        "PUT",
        "/sandbox/api/v1/merchants",
        b"x" * 100_000,
        JSON,
        "keep-alive",
    ),
    (
        "1 MB POST to an unknown path",
        "POST",
        "/merchants/nowhere",
        b"x" * 1_000_000,
        FORM,
        "keep-alive",
    ),
    (
        "200 kB body with an FPS GET",
        "GET",
        "/?Action=GetTokens",
        b"x" * 200_000,
        FORM,
        "keep-alive",
    ),
    (
        "1 MB form, a signature failure",
        "POST",
        PATH,
        b"Action=GetServiceStatus&a=" + b"x" * 990_000,
        FORM,
        "keep-alive",
    ),
    ("chunked 2 MB form", "POST", PATH, None, FORM, "close"),
    (
        "5 MB PUT to the control API",
        "PUT",
        "/sandbox/api/v1/health",
        b"x" * 5_000_000,
        JSON,
        "keep-alive",
    ),
]


@pytest.mark.parametrize(
    ("what", "method", "path", "body", "content_type", "connection"),
    UNREAD_BODIES,
    ids=[case[0] for case in UNREAD_BODIES],
)
def test_the_connection_is_kept_or_closed_as_the_answer_says(
    live_server: GatewayServer, what, method, path, body, content_type, connection
):
    sent = _chunks(2_000_000) if body is None else body
    result = two_requests(live_server.port or 0, method, path, sent, content_type)
    assert result.status in (400, 401, 403, 404, 405, 413), result.body[:300]
    assert result.connection == connection, what
    # Kept: the health check went out on the same socket; closed: on a new one, and it worked.
    assert result.reused == (connection == "keep-alive")
    if path.startswith("/sandbox"):
        assert result.content_type == JSON
    else:
        assert result.content_type == XML
        ElementTree.fromstring(result.body)


def test_a_body_declared_over_16_mib_is_answered_connection_close_unread(
    live_server: GatewayServer,
):
    # Only the head is sent: the server answers without waiting for the body it will not read,
    # and says it closes (sending 20 MB would only race the close).
    with socket.create_connection((HOST, live_server.port or 0), timeout=30) as sock:
        head = f"POST {PATH} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {FORM}\r\n"
        sock.sendall((head + "Content-Length: 20000000\r\n\r\n").encode())
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert (answer.status, answer.getheader("Connection")) == (400, "close")
        assert ElementTree.fromstring(answer.read()).tag == f"{NS}ErrorResponse"
        assert sock.recv(1) == b""  # closed by the server, as announced


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"])
def test_every_method_is_answered_in_the_surfaces_format(live_server: GatewayServer, method):
    for path, root in [
        ("/", "Response"),
        (PATH, f"{NS}ErrorResponse"),
        ("/no/where", f"{NS}ErrorResponse"),
    ]:
        response = requests.request(method, live_server.url + path, timeout=30)
        assert response.headers["Content-Type"] == XML, (path, response.text[:200])
        assert response.status_code in (400, 404, 405), path
        if method != "HEAD":
            assert ElementTree.fromstring(response.content).tag == root
    control = requests.request(method, live_server.url + HEALTH_PATH, timeout=30)
    assert control.headers["Content-Type"] == JSON
    if method != "HEAD":
        assert control.status_code == 405
        assert control.json()["error"]["code"] == "MethodNotAllowed"


def _signed_get_url(server: GatewayServer, merchant: dict[str, Any], padding: int) -> str:
    params = sigv2.signed_params(
        {"Action": "GetServiceStatus", "SellerId": merchant["seller_id"], "Padding": "p" * padding},
        access_key=merchant["access_key"],
        secret=merchant["secret_key"],
        method="GET",
        host=f"{HOST}:{server.port}",
        path=PATH,
    )
    return f"{PATH}?{urlencode(params)}"


def test_a_signed_get_of_8100_bytes_is_answered_by_the_api(live_server: GatewayServer):
    merchant = live_server.new_merchant()
    target = _signed_get_url(live_server, merchant, 7_850)
    line = f"GET {target} HTTP/1.1"
    assert 8_000 < len(line) <= 8_190
    response = requests.get(live_server.url + target, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert ElementTree.fromstring(response.content).tag == f"{NS}GetServiceStatusResponse"


def test_a_header_of_12_kb_reaches_the_application(live_server: GatewayServer):
    response = requests.get(
        live_server.url + HEALTH_PATH, headers={"X-Trace": "t" * 12_000}, timeout=30
    )
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_beyond_8190_bytes_the_wsgi_server_answers_414_and_closes(live_server: GatewayServer):
    # Documented in docs/operations-and-errors.md: the one answer the application cannot give.
    response = requests.get(f"{live_server.url}/?{'a' * 8_200}", timeout=30)
    assert response.status_code == 414
    assert response.headers["Connection"] == "close"
