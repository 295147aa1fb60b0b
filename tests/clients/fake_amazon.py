"""A tiny signature-checking stand-in for the Off-Amazon Payments and FPS endpoints (tests only).

It verifies every request with ``clients.sigv2`` against the Host header it received (as the
real services do, reference §1.2/§3.3), records it, and answers from a script of replies or,
by default, from the Amazon sample responses in ``tests/data/``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from clients import sigv2
from tests.helpers import DATA

RESPONSES = DATA / "amazon-pay-samples" / "responses"
FPS_RESPONSES = DATA / "fps"

SAMPLE_FILES = {
    "GetOrderReferenceDetails": "GetOrderReferenceDetailsResponse.xml",
    "SetOrderReferenceDetails": "SetOrderReferenceDetailsResponse.xml",
    "ConfirmOrderReference": "ConfirmOrderReferenceResponse.xml",
    "CancelOrderReference": "CancelOrderReferenceResponse.xml",
    "CloseOrderReference": "CloseOrderReferenceResponse.xml",
    "Authorize": "AuthorizeResponse.xml",
    "GetAuthorizationDetails": "GetAuthorizationDetailsResponse.xml",
    "CloseAuthorization": "CloseAuthorizationResponse.xml",
    "Capture": "CaptureResponse.xml",
    "GetCaptureDetails": "GetCaptureDetailsResponse.xml",
    "Refund": "RefundResponse.xml",
    "GetRefundDetails": "GetRefundDetails.xml",
    "GetServiceStatus": "GetServiceStatusResponseGreen.xml",
}

SIGNATURE_ERROR = b"""<?xml version="1.0"?>
<ErrorResponse xmlns="http://mws.amazonservices.com/schema/OffAmazonPayments/2013-01-01">
  <Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>mismatch</Message></Error>
  <RequestId>fake-request</RequestId>
</ErrorResponse>"""


@dataclass
class Recorded:
    method: str
    path: str
    host: str
    params: dict[str, str]


def sample_for(record: Recorded) -> bytes:
    """FPS answers for requests to ``/`` (§4.1), Off-Amazon Payments samples otherwise."""
    action = record.params.get("Action", "")
    if record.path == "/":
        return (FPS_RESPONSES / f"{action}.xml").read_bytes()
    return (RESPONSES / SAMPLE_FILES[action]).read_bytes()


class FakeAmazon:
    """Run with ``with FakeAmazon(secret) as fake:``; ``fake.url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[Recorded] = []
        self.replies: deque[tuple[int, bytes]] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply(self, status: int, body: bytes | str) -> None:
        """Queue one scripted reply (used before the default sample answer)."""
        self.replies.append((status, body.encode() if isinstance(body, str) else body))

    def __enter__(self) -> FakeAmazon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def signature_ok(self, record: Recorded) -> bool:
        params = record.params
        if params.get("SignatureVersion") == "1":
            expected = sigv2.sign_v1(self.secret, params)
        else:
            expected = sigv2.sign_v2(
                self.secret,
                record.method,
                record.host,
                record.path,
                params,
                params.get("SignatureMethod", ""),
            )
        return expected == params.get("Signature")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve(urlsplit(self.path).query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self._serve(self.rfile.read(length).decode("utf-8"))

            def _serve(self, encoded: str) -> None:
                record = Recorded(
                    method=self.command,
                    path=urlsplit(self.path).path,
                    host=self.headers.get("Host", ""),
                    params=dict(parse_qsl(encoded, keep_blank_values=True)),
                )
                fake.requests.append(record)
                if not fake.signature_ok(record):
                    status, body = 403, SIGNATURE_ERROR
                elif fake.replies:
                    status, body = fake.replies.popleft()
                else:
                    status, body = 200, sample_for(record)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
