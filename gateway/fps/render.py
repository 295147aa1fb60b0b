"""FPS's answers as XML through the one renderer (``gateway.wire.render``). No Flask here.

Success: ``<ActionResponse xmlns="http://fps.amazonaws.com/doc/<Version>/">`` in the namespace of
the version asked for [SRC: reference/amazon-wire.md §4.1], ``<ActionResult>`` (none for
CancelToken, §4.3) and ``ResponseMetadata/RequestId``, rendered by the pipeline from
``NAMESPACE``. Errors: the un-namespaced
``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`` (§4.4).
"""

from __future__ import annotations

from gateway.errors import GatewayError
from gateway.wire.render import document

#: The FPS API versions emulated; the default is boto's (reference §3.3).
VERSIONS = ("2008-09-17", "2010-08-28")
#: The namespace of a success answer, ``{version}`` being the request's (reference §4.1).
NAMESPACE = "http://fps.amazonaws.com/doc/{version}/"


def render_fps_error(error: GatewayError, request_id: str) -> bytes:
    """FPS's error document: the one renderer of it (reference §4.4)."""
    body = {
        "Errors": {"Error": {"Code": error.code, "Message": error.message}},
        "RequestID": request_id,
    }
    return document("Response", body, None)
