"""What every answer must be, whatever was asked (issue 11; the guide: "bad input always gets a
clear error in the surface's own format and never a 500, a traceback ...").

- Never a 5xx (no test injects a fault), no exception escaping the application, no traceback
  or error in the server's log, no connection closed under the client without saying so.
- Off the control API (any path not under ``/sandbox``): XML (``text/xml``) that parses, whose
  root is a success (``<Action>Response``, status 2xx) or an error (Off-Amazon Payments'
  ``ErrorResponse`` or FPS's ``Response``, with a Code, status 4xx).
- Under ``/sandbox/api/v1`` (the JSON control API): JSON (``application/json``) that parses as
  strict JSON (no ``NaN``), an ``{"error": {"code", "message"}}`` object exactly when the status
  is 4xx. The rest of ``/sandbox`` (the dashboard's pages, the API's docs page, static files,
  the IPN certificate) is HTML or files, judged only for 5xx. No path answers ``OPTIONS`` by
  itself: it is a 405 in the surface's format like any method a route does not take.
- A request that must be refused (``Sent.must_fail``) gets a 4xx.
- A ``HEAD`` answer has no body; its status and type are judged like a ``GET``'s.
- The one answer not in its API's format: a request line over 8,190 bytes gets gunicorn's 414
  (HTML) before the application sees it, with ``Connection: close``
  [SRC: docs/operations-and-errors.md, "Where the WSGI server answers before the application
  can"]. The fuzzed requests send no malformed HTTP and no oversized headers, its other cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from tests.fuzz.calls import Sent
from tests.fuzz.transports import Reply

#: The JSON control API: every answer under it is JSON.
JSON_API_PREFIX = "/sandbox/api/v1/"
#: The longest request line gunicorn reads (``gateway.server``); longer ones get its 414.
REQUEST_LINE_LIMIT = 8190
XML_TYPES = ("text/xml", "application/xml")
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Problem:
    """One way an answer broke the contract: ``kind`` (see ``KINDS``) and what was seen."""

    kind: str
    detail: str


#: Problem kinds, in the order the tally reports them. "5xx" counts answers with a 5xx status
#: and requests that got no answer at all; "malformed" answers in the wrong format.
KINDS = ("5xx", "malformed", "status", "accepted", "connection", "traceback")


def judge(sent: Sent, reply: Reply) -> list[Problem]:
    problems = [_incident(text) for text in reply.incidents]
    if reply.status == 0:
        if not any(p.kind == "5xx" for p in problems):
            problems.append(Problem("5xx", "no answer"))
        return problems
    if reply.status >= 500:
        problems.append(Problem("5xx", f"status {reply.status}: {code_of(reply)}"))
    line = len(f"{sent.wire.method} {sent.wire.target} HTTP/1.1")
    if reply.status == 414 and line > REQUEST_LINE_LIMIT:
        if "close" not in reply.headers.get("connection", "").lower():
            problems.append(Problem("connection", "gunicorn's 414 without Connection: close"))
        return problems
    path = sent.wire.path
    if path.startswith("/sandbox"):
        problems += _judge_json(sent, reply, path)
    else:
        problems += _judge_xml(sent, reply)
    if sent.must_fail and 200 <= reply.status < 300:
        problems.append(Problem("accepted", f"{reply.status} for a request with {sent.must_fail}"))
    return problems


def _incident(text: str) -> Problem:
    kind, _, detail = text.partition(": ")
    if kind == "exception" or kind == "transport":
        return Problem("5xx", text)
    if kind == "connection":
        return Problem("connection", detail)
    return Problem("traceback", text)


def code_of(reply: Reply) -> str:
    """The error code an answer names, whatever its format (for grouping failures)."""
    try:
        root = ElementTree.fromstring(reply.body)
    except ElementTree.ParseError:
        pass
    else:
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == "Code" and element.text:
                return element.text
        return root.tag.rsplit("}", 1)[-1]
    try:
        document = json.loads(reply.body)
    except ValueError:
        return f"{reply.content_type or 'no type'} {reply.body[:60]!r}"
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        return str(document["error"].get("code"))
    return "JSON"


def _media_type(reply: Reply) -> str:
    return reply.content_type.split(";", 1)[0].strip().lower()


def _judge_xml(sent: Sent, reply: Reply) -> list[Problem]:
    if _media_type(reply) not in XML_TYPES:
        return [Problem("malformed", f"Content-Type {reply.content_type or 'missing'}, not XML")]
    if sent.wire.method == "HEAD":
        return [] if not reply.body else [Problem("malformed", "a HEAD answer with a body")]
    try:
        root = ElementTree.fromstring(reply.body)
    except ElementTree.ParseError as exc:
        return [Problem("malformed", f"not well-formed XML ({str(exc).split(':')[0]})")]
    name = root.tag.rsplit("}", 1)[-1]
    if name in ("ErrorResponse", "Response"):
        codes = [e.text for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Code"]
        if not codes or not codes[0]:
            return [Problem("malformed", f"an error answer <{name}> without a Code")]
        if reply.status < 400:
            return [Problem("status", f"error {codes[0]} answered with status {reply.status}")]
        return []
    if name.endswith("Response"):
        if not 200 <= reply.status < 300:
            return [Problem("status", f"success <{name}> answered with status {reply.status}")]
        return []
    return [Problem("malformed", f"unexpected root element <{name}>")]


def _strict(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _judge_json(sent: Sent, reply: Reply, path: str) -> list[Problem]:
    media = _media_type(reply)
    if not path.startswith(JSON_API_PREFIX):
        return []
    if media != JSON_TYPE:
        return [Problem("malformed", f"Content-Type {reply.content_type or 'missing'}, not JSON")]
    if sent.wire.method == "HEAD":
        return [] if not reply.body else [Problem("malformed", "a HEAD answer with a body")]
    try:
        document = json.loads(reply.body, parse_constant=_strict)
    except (ValueError, RecursionError) as exc:
        return [Problem("malformed", f"not JSON ({str(exc).split(':')[0]})")]
    error = document.get("error") if isinstance(document, dict) else None
    is_error = isinstance(error, dict) and len(document) == 1
    if 400 <= reply.status < 500:
        if not is_error or not isinstance(error, dict):
            return [Problem("malformed", f"a {reply.status} without an error object")]
        if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
            return [Problem("malformed", f"an error object without code and message: {error}")]
        return []
    if 200 <= reply.status < 300:
        return [Problem("status", "an error object with a 2xx status")] if is_error else []
    if reply.status >= 500:
        return []  # counted as 5xx already
    return [Problem("status", f"status {reply.status} on the control API")]
