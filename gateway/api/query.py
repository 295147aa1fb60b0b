"""The HTTP edge of the signed-query pipeline, shared by the Off-Amazon Payments and FPS endpoints.

The parameters are the query string and, for a POST, the form body too, signed as sent with the
request's own verb [SRC: reference/amazon-wire.md §1.1, §4.1]. A POST usually carries them all
in its body; MWS clients built on the AWS query protocol send them all, the Signature included,
in the URL of a POST with an empty body [SRC: MWS developer guide, "Signing a Query Request"].
A name given twice, in one place or in both, is refused before anything else: the signature
covers one value per name (§1.2).

Every answer is ``Content-Type: text/xml``, exactly what MWS sends: the npm client
``amazon-payments`` parses an answer only when the header equals ``text/xml`` and hands anything
else back unparsed, as a success. UNCONFIRMED for FPS, whose answers' headers no source shows:
the same, as AWS's query APIs of its time answered; boto reads the body whatever the header.
"""

from __future__ import annotations

import contextlib
import socket

from flask import Response, current_app, request
from werkzeug.datastructures import MultiDict

from gateway.errors import GatewayError, InvalidParameterValue
from gateway.faults.rules import CLOSE_CONNECTION
from gateway.runtime import Runtime
from gateway.wire.pipeline import Service, handle

#: No charset parameter: the XML declaration of every answer says UTF-8.
XML = "text/xml"


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["gateway"]
    return runtime


def xml_response(status: int, body: bytes) -> Response:
    return Response(body, status=status, content_type=XML)


def error_response(service: Service, error: GatewayError) -> Response:
    """``error`` answered in ``service``'s error shape, outside the pipeline."""
    return xml_response(*service.error_answer(error, _runtime().ids.request_id()))


def _parameters() -> dict[str, str] | GatewayError:
    """The request's parameters, or the error for a name given more than once."""
    query: MultiDict[str, str] = request.args
    body: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
    for name, values in [*query.lists(), *body.lists()]:
        if len(values) > 1:
            return InvalidParameterValue(f"The parameter {name} was given more than once.")
    both = [name for name in query if name in body]
    if both:
        return InvalidParameterValue(
            f"The parameter {both[0]} was given both in the query string and in the body; "
            "send each parameter once."
        )
    return {**query.to_dict(), **body.to_dict()}


def answer(service: Service) -> Response:
    """Run this request through the pipeline of ``service``."""
    params = _parameters()
    if isinstance(params, GatewayError):
        return error_response(service, params)
    runtime = _runtime()
    with runtime.admission:  # see Settings.active_requests
        answered = handle(
            runtime,
            service,
            method=request.method,
            host=request.host,
            scheme=request.scheme,
            path=request.path,
            params=params,
        )
    return faulted(runtime, answered.delay, answered.close) or xml_response(
        answered.status, answered.body
    )


def faulted(runtime: Runtime, delay: float, close: bool) -> Response | None:
    """What the fault rules that hit a request do at the HTTP layer, once it is answered and out
    of its admission slot (``gateway.faults.rules``): wait a latency rule's ``delay`` (it holds
    up this answer only), and close the connection for a close rule (None: send the answer)."""
    if delay > 0:
        runtime.sleep(delay)
    return closed_connection() if close else None


def closed_connection() -> Response:
    """A close fault rule: the connection is shut down with no answer written.

    Under gunicorn the socket is in the environ (``gunicorn.socket``; werkzeug's server puts
    ``werkzeug.socket``): it is shut down here, so writing the (empty) response then fails with
    EPIPE, which gunicorn's worker takes for a client gone and closes the connection without a
    word (``gthread.ThreadWorker.handle`` ignores EPIPE, ECONNRESET and ENOTCONN). In process
    (``gateway.testing.inprocess``) there is no socket: the ``CLOSE_CONNECTION`` header of the
    answer that never reaches a socket tells the caller to fail the request as a dropped one.
    """
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=200, content_type=XML, headers={CLOSE_CONNECTION: "1"})
