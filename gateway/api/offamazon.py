"""The emulated Off-Amazon Payments endpoint: HTTP in, ``gateway.wire.offamazon.handle`` out.

``POST /OffAmazonPayments_Sandbox/2013-01-01`` and the live path ``/OffAmazonPayments/2013-01-01``
[SRC: reference/amazon-wire.md §1.1]. A GET with the parameters in the query string is accepted
too and signed as GET. Another version in the path answers InvalidAddress.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from gateway.errors import GatewayError, InvalidAddress, InvalidParameterValue
from gateway.runtime import Runtime
from gateway.wire.offamazon import API_VERSION, handle
from gateway.wire.render import render_error

bp = Blueprint("offamazon", __name__)

XML = "text/xml; charset=utf-8"


def _xml(status: int, body: bytes) -> Response:
    return Response(body, status=status, content_type=XML)


def _error(error: GatewayError) -> Response:
    runtime: Runtime = current_app.extensions["gateway"]
    body = render_error(error.code, error.message, error.fault, runtime.ids.request_id())
    return _xml(error.http_status, body)


@bp.route("/OffAmazonPayments_Sandbox/<version>", methods=["GET", "POST"])
@bp.route("/OffAmazonPayments/<version>", methods=["GET", "POST"])
def endpoint(version: str) -> Response:
    if version != API_VERSION:
        return _error(InvalidAddress(f"The version {version} in the path is not supported."))
    source = request.form if request.method == "POST" else request.args
    repeated = [name for name, values in source.lists() if len(values) > 1]
    if repeated:
        return _error(
            InvalidParameterValue(f"The parameter {repeated[0]} was given more than once.")
        )
    runtime: Runtime = current_app.extensions["gateway"]
    status, body = handle(
        runtime,
        method=request.method,
        host=request.host,
        path=request.path,
        params=source.to_dict(),
    )
    return _xml(status, body)
