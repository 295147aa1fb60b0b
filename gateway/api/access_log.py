"""One log line per request: method, path, Action (when the request names one), status, time.

``gateway serve`` logs them on stderr (``--no-access-log`` or ``GATEWAY_ACCESS_LOG=0`` turns
them off). The Action is read from the query string or from a form body the view has already
parsed, never by parsing a body here.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("gateway.access")


def install(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_log)


def _start() -> None:
    g.access_log_start = time.perf_counter()


def _action() -> str:
    action = request.args.get("Action")
    if action is None and "form" in request.__dict__:  # parsed by the view: free to read
        action = request.form.get("Action")
    return f" Action={action}" if action else ""


def _log(response: Response) -> Response:
    elapsed = (time.perf_counter() - g.get("access_log_start", time.perf_counter())) * 1000
    log.info(
        "%s %s%s %d %.1fms", request.method, request.path, _action(), response.status_code, elapsed
    )
    return response
