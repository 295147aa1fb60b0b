"""The emulated Amazon Pay API v2 endpoint: HTTP in, ``gateway.v2.edge`` out.

``/sandbox/v2/…``, ``/live/v2/…`` and ``/v2/…`` (a ``SANDBOX-``/``LIVE-`` public key id names
the environment) on every host the server is reached under: the SDKs call
``https://<host>/<base>/<operation path>`` where ``<host>`` is Amazon's
(``pay-api.amazon.com|eu|jp``, reference §1) or the override an SDK was given [SRC:
reference/amazon-pay-v2.md §9]. Every method is routed here, so that a method no operation
takes is answered by the edge in v2's shape (405 with ``Allow``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from gateway.api.query import faulted
from gateway.runtime import Runtime
from gateway.v2.edge import V2Request, V2Response, handle

bp = Blueprint("amazon_pay_v2", __name__)

#: JSON, as Amazon answers (the Node SDK parses the body whatever the header says).
JSON = "application/json"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["gateway"]
    return runtime


def json_response(answer: V2Response) -> Response:
    response = Response(answer.body, status=answer.status, content_type=JSON)
    response.headers.update(answer.headers)
    return response


def _raw_path() -> str:
    """The path as the client sent it (gunicorn: ``RAW_URI``; werkzeug: ``REQUEST_URI``), else
    the decoded one: a signer signs the path it sent."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw.split("?", 1)[0]
    return request.path


@bp.route("/sandbox/v2/<path:rest>", methods=METHODS)
@bp.route("/live/v2/<path:rest>", methods=METHODS)
@bp.route("/v2/<path:rest>", methods=METHODS)
def endpoint(rest: str) -> Response:
    runtime = _runtime()
    v2_request = V2Request(
        method=request.method,
        path=request.path,
        raw_path=_raw_path(),
        query=request.query_string.decode("latin-1"),
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
        host=request.host,
    )
    with runtime.admission:  # see Settings.active_requests
        answer = handle(runtime, v2_request)
    return faulted(runtime, answer.delay, answer.close) or json_response(answer)
