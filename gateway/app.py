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
    from gateway.api import offamazon, sandbox

    if runtime is None:
        runtime = Runtime.from_settings(settings or load_settings(overrides))
    if initialize:
        runtime.initialize()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_request_bytes
    app.extensions["gateway"] = runtime
    app.register_blueprint(offamazon.bp)
    app.register_blueprint(sandbox.bp)
    return app
