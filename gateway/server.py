"""Running the app under gunicorn (a production WSGI server, not Flask's development server).

gthread workers: a few processes with threads each, so that a long wait request does not hold
a whole process. The app is built in each worker after the fork (no preload), so no database
connection crosses a fork.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from gateway.config import Settings


class GatewayServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "threads": s.threads,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 5,
            "keepalive": 30,
            "loglevel": "warning",
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "gateway",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from gateway.app import create_app

        return create_app(settings=self.settings, initialize=False)
