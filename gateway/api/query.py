"""The HTTP edge of the signed-query pipeline, shared by the Off-Amazon Payments and FPS endpoints.

The parameters are the form of a POST or the query string of a GET, each signed as sent
[SRC: reference/amazon-wire.md §1.1, §4.1]. A name given twice is refused before anything else:
the signature covers one value per name (§1.2).
"""

from __future__ import annotations

from flask import Response, current_app, request

from gateway.errors import GatewayError, InvalidParameterValue
from gateway.runtime import Runtime
from gateway.wire.pipeline import Service, handle

XML = "text/xml; charset=utf-8"


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["gateway"]
    return runtime


def xml_response(status: int, body: bytes) -> Response:
    return Response(body, status=status, content_type=XML)


def error_response(service: Service, error: GatewayError) -> Response:
    """``error`` answered in ``service``'s error shape, outside the pipeline."""
    return xml_response(*service.error_answer(error, _runtime().ids.request_id()))


def answer(service: Service) -> Response:
    """Run this request through the pipeline of ``service``."""
    source = request.form if request.method == "POST" else request.args
    repeated = [name for name, values in source.lists() if len(values) > 1]
    if repeated:
        return error_response(
            service, InvalidParameterValue(f"The parameter {repeated[0]} was given more than once.")
        )
    runtime = _runtime()
    with runtime.admission:  # see Settings.active_requests
        status, body = handle(
            runtime,
            service,
            method=request.method,
            host=request.host,
            path=request.path,
            params=source.to_dict(),
        )
    return xml_response(status, body)
