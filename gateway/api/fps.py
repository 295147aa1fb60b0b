"""The emulated FPS endpoint: ``GET /?Action=…`` (POST form accepted too) to the FPS handler.

[SRC: reference/amazon-wire.md §4.1, §3.3] boto sends every FPS call as a GET to path ``/`` with
the parameters in the query string and signs ``GET\\n<Host without port>\\n/\\n…``; a POST is
signed as POST. The Host header is passed as received (lowercased by the verifier).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from gateway.fps.errors import InvalidParams
from gateway.fps.handler import handle
from gateway.fps.render import render_fps_error
from gateway.runtime import Runtime

bp = Blueprint("fps", __name__)

XML = "text/xml; charset=utf-8"


@bp.route("/", methods=["GET", "POST"])
def endpoint() -> Response:
    runtime: Runtime = current_app.extensions["gateway"]
    source = request.form if request.method == "POST" else request.args
    repeated = [name for name, values in source.lists() if len(values) > 1]
    if repeated:
        error = InvalidParams(f"The parameter {repeated[0]} was given more than once.")
        body = render_fps_error(error, runtime.ids.request_id())
        return Response(body, status=error.http_status, content_type=XML)
    status, body = handle(
        runtime,
        method=request.method,
        host=request.host,
        path=request.path,
        params=source.to_dict(),
    )
    return Response(body, status=status, content_type=XML)
