"""Answers the application gives when no view answers: each in the format of its surface.

What werkzeug raises before or instead of a view (no route: 404, a method the route does not take:
405, a body over ``max_request_bytes``: 413, a malformed body: 400) and any exception a view lets
escape (logged with its traceback, answered 500 without one) are answered by the path's surface:

- ``/sandbox/v2/...``, ``/live/v2/...``, ``/v2/...``: API v2's JSON error
  (``{"reasonCode", "message"}``, ``gateway.v2.errors``);
- ``/sandbox/...``: the control API's JSON error (``gateway.api.sandbox``);
- ``/checkout/...``: the hosted buyer pages' HTML error page (``gateway.api.hosted_checkout``);
- ``/``: FPS's error document (``<Response><Errors>``, reference §4.4), through FPS's service;
- any other path: Off-Amazon Payments' ``ErrorResponse`` (§1.3). amazon_pay raises ValueError on
  an answer that is not XML (§3.1) and boto fails to parse one, so even an address no API owns
  answers XML: InvalidAddress, as MWS does for a bad path (§1.9).

OPTIONS is not answered automatically (``PROVIDE_AUTOMATIC_OPTIONS`` off in ``gateway.app``): it
is a method no route takes, so a 405 in the surface's format. What the WSGI server answers before
the application sees a request is listed in docs/operations-and-errors.md.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from gateway.api import hosted_checkout
from gateway.api.query import xml_response
from gateway.api.sandbox import http_error, json_error
from gateway.api.v2 import json_response
from gateway.errors import GatewayError, InternalServerError, InvalidAddress, InvalidParameterValue
from gateway.fps.operations import SERVICE as FPS
from gateway.runtime import Runtime
from gateway.v2 import errors as v2_errors
from gateway.v2.edge import error_response as v2_error_response
from gateway.v2.edge import is_v2_path
from gateway.wire.operations import SERVICE as OFFAMAZON
from gateway.wire.pipeline import Service

log = logging.getLogger(__name__)

#: The path prefix of the JSON control API.
CONTROL_PREFIX = "/sandbox"


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_refuse_double_slash)


def _refuse_double_slash() -> None:
    """A path with "//" is no address (``merge_slashes`` is off in ``gateway.app``). werkzeug's
    matcher takes "//" alone for "/" (an empty segment before a trailing slash), which would
    serve FPS there: refused here, before any view, with the 404 of the path's surface."""
    if "//" in request.environ.get("PATH_INFO", ""):
        raise NotFound()


def _service(path: str) -> Service:
    """The emulated API whose error format an answer on ``path`` takes (FPS lives at ``/``)."""
    return FPS if path == "/" else OFFAMAZON


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["gateway"]
    return runtime


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if is_v2_path(request.path):
        return _v2_http_error(error)
    if request.path.startswith(CONTROL_PREFIX):
        return http_error(error)
    if _hosted(request.path) and (error.code or 500) < 500:
        return hosted_checkout.error_page(error.code or 400, error.description or "Not here.")
    status = error.code or 500
    headers: dict[str, str] = {}
    wire: GatewayError
    if status == 404:
        wire = InvalidAddress(f"The path {request.path} is not an Amazon Pay API address.")
    elif isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        wire = InvalidAddress(f"The method {request.method} is not valid here; use {allowed}.")
        headers["Allow"] = allowed
    elif status == 413:
        limit = _runtime().settings.max_request_bytes
        # MWS answers a request that is too big InvalidParameterValue, 400 (reference §1.9).
        wire = InvalidParameterValue(
            f"The request is larger than {limit} bytes, the largest accepted."
        )
    elif status < 500:
        wire = InvalidParameterValue(f"The request cannot be read: {error.description}")
    else:
        return _internal_error()
    # A wrong address or method keeps its HTTP status (404 is MWS's for InvalidAddress, §1.9;
    # a 405 names the methods in Allow); anything else takes the status of the error answered.
    return _xml(wire, status if status in (404, 405) else None, headers)


def _v2_http_error(error: HTTPException) -> Response:
    """What werkzeug raised on an API v2 path, in v2's JSON (statuses: ``gateway.v2.errors``)."""
    status = error.code or 500
    wire: v2_errors.V2Error
    if status == 404:
        wire = v2_errors.ResourceNotFound(
            f"The path {request.path} is not an Amazon Pay API v2 resource."
        )
    elif isinstance(error, MethodNotAllowed):
        allowed = tuple(sorted(error.valid_methods or ()))
        wire = v2_errors.MethodNotAllowed(
            f"The method {request.method} is not allowed here; use {', '.join(allowed)}."
        )
        wire.allowed = allowed
    elif status == 413:
        limit = _runtime().settings.max_request_bytes
        wire = v2_errors.RequestTooLarge(
            f"The request is larger than {limit} bytes, the largest accepted."
        )
    elif status < 500:
        wire = v2_errors.InvalidRequest(f"The request cannot be read: {error.description}")
    else:
        wire = v2_errors.InternalServerError("An internal error occurred.")
    return json_response(v2_error_response(_runtime(), wire))


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.error("unexpected error answering %s %s", request.method, request.path, exc_info=error)
    if is_v2_path(request.path):
        internal = v2_errors.InternalServerError("An internal error occurred.")
        return json_response(v2_error_response(_runtime(), internal))
    if request.path.startswith(CONTROL_PREFIX):
        return json_error(500, "InternalServerError", "An internal error occurred.")
    if _hosted(request.path):
        return hosted_checkout.error_page(500, "An internal error occurred.")
    return _internal_error()


def _hosted(path: str) -> bool:
    return path == hosted_checkout.PREFIX or path.startswith(hosted_checkout.PREFIX + "/")


def _internal_error() -> Response:
    request_id = _runtime().ids.request_id()
    wire = InternalServerError(f"An internal error occurred (request {request_id}).")
    return _xml(wire, None, {}, request_id)


def _xml(
    wire: GatewayError, status: int | None, headers: dict[str, str], request_id: str | None = None
) -> Response:
    service = _service(request.path)
    answered_status, body = service.error_answer(wire, request_id or _runtime().ids.request_id())
    response = xml_response(status or answered_status, body)
    response.headers.update(headers)
    return response
