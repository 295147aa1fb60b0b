"""gunicorn's gthread worker serving one plain HTTP listener and one HTTPS listener.

gunicorn applies TLS to a whole process: ``certfile``/``keyfile`` wrap the connections of every
bind, and it has no per-bind setting. This worker keeps gunicorn's TLS code and hands it, for
the connections of the HTTPS listener only, a view of the configuration that has TLS on and
answers with one ``ssl.SSLContext`` loaded per worker (``gateway.tls.server_context``; gunicorn
would load the certificate again for every connection). Those connections are wrapped, their
requests say ``https`` (``wsgi.url_scheme``), and the plain listener's are untouched.
One arbiter, one set of worker processes and one scheduler child serve both listeners.

Only gunicorn and ``ssl`` are imported here: the gunicorn master loads this class.
"""

from __future__ import annotations

import ssl
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from gateway.tls import TlsFiles, server_context


class _TlsConnectionConfig:
    """gunicorn's configuration as the HTTPS listener's connections see it: the process's, with
    TLS on (``is_ssl``, the ``https`` scheme) and this worker's context for every handshake."""

    is_ssl = True

    def __init__(self, cfg: Any, context: ssl.SSLContext) -> None:
        self._cfg = cfg
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cfg, name)

    def ssl_context(self, _conf: Any, _default_factory: Any) -> ssl.SSLContext:
        # gunicorn.sock.ssl_context calls conf.ssl_context(conf, default_factory): the server
        # hook of the same name, answered here with the context loaded once.
        return self._context


class HttpsThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread, with the connections accepted on ``app.https_address`` served over TLS."""

    #: The HTTPS listener's address (``getsockname()``) and files; None: no HTTPS listener.
    _https_address: Any = None
    _tls_config: _TlsConnectionConfig | None = None

    def init_process(self) -> None:
        address: Any = getattr(self.app, "https_address", None)
        files: TlsFiles | None = getattr(self.app, "tls_files", None)
        if address is not None and files is not None:
            self._https_address = address
            self._tls_config = _TlsConnectionConfig(self.cfg, server_context(files))
        super().init_process()  # runs the worker's loop; returns only when it stops

    def enqueue_req(self, conn: Any) -> None:
        # Every connection passes here before its first read (TConn.init wraps the socket then).
        if self._tls_config is not None and conn.server == self._https_address:
            conn.cfg = self._tls_config
        super().enqueue_req(conn)
