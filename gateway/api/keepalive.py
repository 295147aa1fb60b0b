"""Keep-alive kept honest: a body the application did not read is read to its end here.

An answer given without reading the body (a 404, a 405, an error found in the query string, a
body over ``max_request_bytes``) leaves the body on the connection. gunicorn's gthread worker
reads at most 64 kB of such a rest and otherwise closes the connection after it has answered
``Connection: keep-alive``, so the client's next request on it fails (RemoteDisconnected, a broken
pipe); and a server that stops reading while the client still sends makes the client see a reset
instead of the answer (werkzeug's ``get_input_stream`` warns of the same).

So before the answer goes out, the rest of the body is read and dropped here, up to
``Settings.drained_body_bytes`` (16 MiB): the client has sent everything when it reads the answer,
and the connection stays usable. A body declared longer is never read and one of unknown length
(chunked) may be longer: ``gateway.server`` marks those requests ``Connection: close`` before the
application runs, so the answer says that the server will close.
"""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, request

from gateway.runtime import Runtime

#: Bytes read at a time while dropping a body.
_CHUNK = 64 * 1024


def install(app: Flask) -> None:
    app.teardown_request(_drain_body)


def _drain_body(_error: BaseException | None) -> None:
    # Only a server that ends the input stream itself (gunicorn does; werkzeug's development
    # server only for chunked bodies) lets it be read to its end without blocking (PEP 3333 and
    # werkzeug's "wsgi.input_terminated").
    if "wsgi.input_terminated" not in request.environ:
        return
    runtime: Runtime = current_app.extensions["gateway"]
    left = runtime.settings.drained_body_bytes
    length = request.content_length
    if length is not None and length > left:
        return  # never read: gateway.server answered it Connection: close
    stream = request.environ["wsgi.input"]  # the server's own stream: where the app stopped
    # The rest is only thrown away: a client that stops sending it, or a malformed chunk, leaves
    # the connection to gunicorn, which closes it (its body reader has failed).
    with contextlib.suppress(Exception):
        while left > 0 and (chunk := stream.read(min(_CHUNK, left))):
            left -= len(chunk)
