"""gunicorn's gthread worker serving one plain HTTP listener and one HTTPS listener.

gunicorn applies TLS to a whole process: ``certfile``/``keyfile`` wrap the connections of every
bind, and it has no per-bind setting. This worker keeps gunicorn's TLS code and hands it, for
the connections of the HTTPS listener only, a view of the configuration that has TLS on and
answers with one ``ssl.SSLContext`` loaded per worker (``gateway.tls.server_context``; gunicorn
would load the certificate again for every connection). Those connections are wrapped, their
requests say ``https`` (``wsgi.url_scheme``), and the plain listener's are untouched.
One arbiter, one set of worker processes and one scheduler child serve both listeners. A plain
HTTP request on the HTTPS listener is told so, in plain HTTP, instead of having its connection
dropped.

Only gunicorn and ``ssl`` are imported here: the gunicorn master loads this class.
"""

from __future__ import annotations

import socket
import ssl
import time
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

    #: The HTTPS listener's address (``getsockname()``) and its connections' configuration;
    #: None: no HTTPS listener.
    _https_address: Any = None
    _tls_config: _TlsConnectionConfig | None = None

    def init_process(self) -> None:
        address: Any = getattr(self.app, "https_address", None)
        files: TlsFiles | None = getattr(self.app, "tls_files", None)
        if address is not None and files is not None:
            self._https_address = address
            self._tls_config = _TlsConnectionConfig(self.cfg, server_context(files))
        super().init_process()  # runs the worker's loop; returns only when it stops

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, ssl.SSLError) and exc.reason == "HTTP_REQUEST":
            self.log.warning("plain HTTP request on the HTTPS port from ip=%s", (addr or ("",))[0])
            _answer_plain_http(client, self.app.settings.port)
            return
        super().handle_error(req, client, addr, exc)

    def enqueue_req(self, conn: Any) -> None:
        # Every connection passes here before its first read (TConn.init wraps the socket then).
        if self._tls_config is not None and conn.server == self._https_address:
            conn.cfg = self._tls_config
        super().enqueue_req(conn)


#: How long the rest of a plain HTTP request is read (and dropped) before its connection closes:
#: closing with unread bytes sends a reset, which can destroy the answer before the client reads it.
_DRAIN_SECONDS = 0.5


def _answer_plain_http(client: ssl.SSLSocket, http_port: int) -> None:
    """Answer a plain HTTP request that reached the HTTPS listener, in plain HTTP.

    OpenSSL took its first bytes for a handshake and gave up (``HTTP_REQUEST``); the answer goes
    out on the TCP socket under the TLS one (``socket.socket``'s own methods), as nginx answers
    the same mistake, instead of a connection closed without a word.
    """
    body = (
        "This is the HTTPS port of the Amazon Pay simulator: send HTTPS here, "
        f"or plain HTTP to port {http_port}.\n"
    ).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        socket.socket.sendall(client, head + body)
        socket.socket.shutdown(client, socket.SHUT_WR)
        deadline = time.monotonic() + _DRAIN_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            socket.socket.settimeout(client, left)
            if not socket.socket.recv(client, 65536):
                break
    except OSError:
        pass  # the client went away first: nothing more to tell it
