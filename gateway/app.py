"""The Flask application factory. The only module besides ``gateway.api`` that imports Flask."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

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
        auth,
        billing_agreements,
        control,
        dashboard,
        faults,
        fps,
        fps_sandbox,
        hosted_checkout,
        http_errors,
        journal,
        keepalive,
        merchants,
        notifications,
        offamazon,
        openapi,
        orders,
        sandbox_state,
        throttling,
        v2,
        v2_accounts,
        v2_checkout,
        v2_orders,
    )
    from gateway.api.routing import LazyBuilderRule
    from gateway.api.sandbox import CanonicalIntegerConverter

    if runtime is None:
        runtime = Runtime.from_settings(settings or load_settings(overrides))
    if initialize:
        runtime.initialize()
    # The static route is added below, once the URL map and the config say how routes behave:
    # Flask's own (made in its constructor) would merge slashes and answer OPTIONS by itself.
    app = Flask(__name__, static_folder=None)
    app.url_rule_class = LazyBuilderRule
    # A path with "//" is not an API address: werkzeug would answer it with an HTML 308 redirect
    # to the merged path (the wrong format on the emulated APIs, found by the fuzzing). Unmerged,
    # it is a 404 in the surface's format (gateway.api.http_errors, which also refuses "//"
    # alone: werkzeug's matcher takes it for "/").
    app.url_map.merge_slashes = False
    app.url_map.converters["int"] = CanonicalIntegerConverter
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_request_bytes
    # A multipart form's fields may be as large as a whole urlencoded body (Flask's default
    # would refuse one over 500 kB with a 413 that names the wrong limit).
    app.config["MAX_FORM_MEMORY_SIZE"] = runtime.settings.max_request_bytes
    # No route answers OPTIONS by itself with an empty HTML 200: it is a method no API takes, a
    # 405 in the surface's own format (gateway.api.http_errors). Read when routes are added.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    # Static files (the vendored Swagger UI) under /sandbox: every other path is an API's.
    app.static_folder, app.static_url_path = "static", "/sandbox/static"
    app.add_url_rule(
        "/sandbox/static/<path:filename>", endpoint="static", view_func=app.send_static_file
    )
    app.extensions["gateway"] = runtime
    app.register_blueprint(offamazon.bp)
    app.register_blueprint(merchants.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(billing_agreements.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(fps.bp)
    app.register_blueprint(v2.bp)
    app.register_blueprint(v2_accounts.bp)
    app.register_blueprint(v2_checkout.bp)
    app.register_blueprint(v2_orders.bp)
    app.register_blueprint(fps_sandbox.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(administration.bp)
    app.register_blueprint(journal.bp)
    app.register_blueprint(sandbox_state.bp)
    app.register_blueprint(throttling.bp)
    app.register_blueprint(faults.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(hosted_checkout.bp)
    http_errors.install(app)
    keepalive.install(app)
    auth.install(app)
    if runtime.settings.access_log:
        access_log.install(app)
    return app
