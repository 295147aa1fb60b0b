"""An in-process network for tests: HTTP to chosen URL prefixes answered by WSGI apps, no sockets.

Two kinds of traffic reach a sandbox in a test, and both are routed here:

- What ``requests`` sends (the official ``amazon_pay`` SDK, which calls ``requests.post`` with no
  session of its own; the client toolkit; certificate fetches; a test's own calls): while
  :meth:`InProcessNetwork.intercepting` is active, ``requests``' transport adapter answers a URL
  under a routed prefix by calling the app in this thread (without reading the environment's
  proxy settings, which no in-process host uses); any other URL goes out as before.
- IPN posts from the simulator's delivery pool, which uses urllib3 directly
  (``gateway.ipn.transport``): :meth:`InProcessNetwork.ipn_transport` is a transport for the
  runtime's dispatcher that posts to a routed receiver app in process, and any other URL over
  the network as ``Transport`` does.

A request is turned into a WSGI environ by werkzeug (Flask's own toolkit) and the app's answer
into a urllib3 response, which ``requests`` then builds its ``Response`` from as it would from
the network, so callers see no difference but the speed. The routed hosts are under ``.invalid``
(RFC 2606: never resolvable), so a URL that is not routed fails at once rather than reaching a
real host. No Flask here (the apps are plain WSGI callables).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from urllib3.exceptions import NewConnectionError
from werkzeug.test import EnvironBuilder, run_wsgi_app

from gateway.faults.rules import CLOSE_CONNECTION

if TYPE_CHECKING:
    from gateway.ipn.transport import Transport

#: A WSGI application.
WsgiApp = Callable[..., Any]


def call(
    app: WsgiApp, method: str, url: str, headers: Mapping[str, str], body: bytes | None
) -> urllib3.HTTPResponse:
    """One request answered by ``app`` in this thread, as the urllib3 response a socket would
    have given (status, headers, the whole body, unread)."""
    parts = urlsplit(url)
    builder = EnvironBuilder(
        path=parts.path or "/",
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=method,
        headers=list(headers.items()),
        data=body or b"",
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    app_iter, status, answer_headers = run_wsgi_app(app, environ, buffered=True)
    if CLOSE_CONNECTION in answer_headers:
        # A close fault rule: what a client meets when the server hangs up with no answer.
        raise requests.ConnectionError(
            "Connection aborted: the server closed the connection with no answer "
            "(a sandbox fault rule)"
        )
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    code, _, reason = status.partition(" ")
    # What ``requests`` expects of a socket's answer: a length and no compression left to undo.
    fields = [(k, v) for k, v in answer_headers.items() if k.lower() != "content-length"]
    fields.append(("Content-Length", str(len(content))))
    return urllib3.HTTPResponse(
        body=BytesIO(content),
        headers=urllib3.HTTPHeaderDict(fields),
        status=int(code),
        reason=reason,
        preload_content=False,
        decode_content=False,
        request_method=method,
        request_url=url,
    )


class InProcessNetwork:
    """URL prefixes answered by WSGI apps (thread-safe: routes change while the pool posts)."""

    def __init__(self) -> None:
        self._routes: dict[str, WsgiApp] = {}
        self._lock = threading.Lock()

    def route(self, prefix: str, app: WsgiApp) -> None:
        """Answer URLs starting with ``prefix`` (``http://host/`` or a deeper path) by ``app``."""
        with self._lock:
            self._routes[prefix] = app

    def unroute(self, prefix: str) -> None:
        with self._lock:
            self._routes.pop(prefix, None)

    def app_for(self, url: str) -> WsgiApp | None:
        """The app of the longest routed prefix of ``url``; None when none is routed."""
        with self._lock:
            best = max((p for p in self._routes if url.startswith(p)), key=len, default=None)
            return None if best is None else self._routes[best]

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on an in-process host (under ``.invalid``)."""
        host = urlsplit(url).hostname or ""
        return host.endswith(".invalid")

    # --- requests --------------------------------------------------------------------------

    @contextmanager
    def intercepting(self) -> Iterator[None]:
        """While active, ``requests`` (any session, any thread) answers routed URLs in process."""
        original = HTTPAdapter.send
        original_merge = requests.Session.merge_environment_settings
        network = self

        def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            url = request.url or ""
            if not network.owns(url):
                return original(adapter, request, **kwargs)
            app = network.app_for(url)
            if app is None:
                raise requests.ConnectionError(f"nothing in process answers {url}", request=request)
            body = request.body.encode() if isinstance(request.body, str) else request.body
            raw = call(app, request.method or "GET", url, request.headers, body)
            return adapter.build_response(request, raw)

        def merge_environment_settings(
            session: requests.Session, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> Any:
            if not isinstance(url, str) or not network.owns(url):
                return original_merge(session, url, proxies, stream, verify, cert)
            # Answered in this process: no proxy or CA bundle of the environment applies, so
            # the environment is not read (a third of a request's cost in process); the rest is
            # what ``Session.merge_environment_settings`` does.
            merge: Callable[[Any, Any], Any] = merge_setting
            return {
                "proxies": merge(proxies, session.proxies),
                "stream": merge(stream, session.stream),
                "verify": merge(verify, session.verify),
                "cert": merge(cert, session.cert),
            }

        HTTPAdapter.send = send  # type: ignore[assignment]
        requests.Session.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            HTTPAdapter.send = original  # type: ignore[method-assign]
            requests.Session.merge_environment_settings = original_merge  # type: ignore[method-assign]

    # --- IPN delivery ----------------------------------------------------------------------

    def ipn_transport(self) -> Transport:
        """A delivery pool thread's transport: in process for routed URLs (a URL on an
        in-process host that nothing answers is unreachable), the network for the others."""
        from gateway.ipn.transport import Transport

        network = self

        class InProcessTransport(Transport):
            def post(
                self, url: str, body: bytes, headers: dict[str, str], timeout: urllib3.Timeout
            ) -> urllib3.BaseHTTPResponse:
                if not network.owns(url):
                    return super().post(url, body, headers, timeout)
                app = network.app_for(url)
                if app is None:
                    raise NewConnectionError(None, f"nothing in process answers {url}")  # type: ignore[arg-type]
                return call(app, "POST", url, headers, body)

        return InProcessTransport()
