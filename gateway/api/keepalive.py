"""Keep-alive kept honest: a body the application did not read is read to its end here.

An answer given without reading the body (a 404, a 405, an error found in the query string, a
body over ``max_request_bytes``) leaves the body on the connection. gunicorn's gthread worker
reads at most 64 kB of such a rest and otherwise closes the connection, after it has already
answered ``Connection: keep-alive``: the client's next request on that connection then fails
(RemoteDisconnected, a broken pipe). So after every request the rest of a body of declared length
up to ``max_request_bytes`` is read and dropped here, and the connection stays usable. A longer
body, or one of unknown length (chunked), is never read: ``gateway.server`` marks such a request
``Connection: close`` before the application runs, so the answer says that the server will close.
"""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

#: Bytes read at a time while dropping a body.
_CHUNK = 64 * 1024


def install(app: Flask) -> None:
    app.teardown_request(_drain_body)


def _drain_body(_error: BaseException | None) -> None:
    length = request.content_length
    if length is None or length > current_app.config["MAX_CONTENT_LENGTH"]:
        return
    # The body's rest is the client's to send: a client that stops sending it (or a read the
    # server refuses) leaves the connection to the WSGI server, which then closes it.
    with contextlib.suppress(HTTPException, OSError):
        stream = request.stream
        while stream.read(_CHUNK):
            pass
