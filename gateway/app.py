"""The Flask application factory. The only module besides ``gateway.api`` that imports Flask."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from gateway.config import Settings, load_settings
from gateway.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(
    overrides: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    initialize: bool = True,
) -> Flask:
    """Build the app. ``initialize`` creates tables and seeds a new database.

    ``gateway serve`` initializes once before starting its workers and passes
    ``initialize=False`` to them; tests may hand in a ready ``runtime`` (with a frozen clock).
    """
    from gateway.api import (
        access_log,
        administration,
        control,
        fps,
        fps_sandbox,
        journal,
        notifications,
        offamazon,
        sandbox,
        sandbox_state,
    )

    if runtime is None:
        runtime = Runtime.from_settings(settings or load_settings(overrides))
    if initialize:
        runtime.initialize()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_request_bytes
    app.extensions["gateway"] = runtime
    app.register_blueprint(offamazon.bp)
    app.register_blueprint(sandbox.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(fps.bp)
    app.register_blueprint(fps_sandbox.bp)
    app.register_blueprint(administration.bp)
    app.register_blueprint(journal.bp)
    app.register_blueprint(sandbox_state.bp)
    app.register_error_handler(HTTPException, _unrouted)
    if runtime.settings.access_log:
        access_log.install(app)
    return app


def _unrouted(error: HTTPException) -> ResponseReturnValue:
    """A path no blueprint owns: JSON under /sandbox, Amazon's XML InvalidAddress elsewhere."""
    from gateway.api.query import XML
    from gateway.api.sandbox import http_error
    from gateway.errors import GatewayError, InvalidAddress, InvalidParameterValue
    from gateway.wire.render import render_error

    if request.path.startswith("/sandbox"):
        return http_error(error)
    status = error.code or 500
    wire: GatewayError
    if status == 404:
        wire = InvalidAddress(f"The path {request.path} is not an Amazon Pay API address.")
    elif request.path.startswith("/OffAmazonPayments") and status in (405, 413):
        # amazon_pay raises ValueError on any non-XML answer (reference §3.1): answer XML.
        if status == 413:
            status = InvalidParameterValue.http_status  # MWS: "request too big" (§1.9)
            wire = InvalidParameterValue(
                f"The request is larger than {runtime_limit()} bytes, the largest accepted."
            )
        else:
            wire = InvalidAddress(f"The method {request.method} is not valid; use POST or GET.")
    else:
        return error
    runtime: Runtime = current_app.extensions["gateway"]
    return render_error(wire, runtime.ids.request_id()), status, {"Content-Type": XML}


def runtime_limit() -> int:
    runtime: Runtime = current_app.extensions["gateway"]
    return runtime.settings.max_request_bytes
