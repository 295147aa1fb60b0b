"""FPS answers as XML through the one renderer (``gateway.wire.render``). No Flask here.

Success: ``<ActionResponse xmlns="http://fps.amazonaws.com/doc/<Version>/">`` in the namespace of
the version asked for [SRC: reference/amazon-wire.md §4.1], ``<ActionResult>`` (none for
CancelToken, §4.3) and ``ResponseMetadata/RequestId``. Errors: the un-namespaced
``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`` (§4.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.fps.errors import FpsError
from gateway.wire.render import document, render_result

#: The FPS API versions emulated; the default is boto's (reference §3.3).
VERSIONS = ("2008-09-17", "2010-08-28")


def namespace(version: str) -> str:
    return f"http://fps.amazonaws.com/doc/{version}/"


def render_success(
    action: str, result: Mapping[str, Any] | None, request_id: str, version: str
) -> bytes:
    return render_result(action, result, request_id, namespace(version))


def render_fps_error(error: FpsError, request_id: str) -> bytes:
    body = {
        "Errors": {"Error": {"Code": error.code, "Message": error.message}},
        "RequestID": request_id,
    }
    return document("Response", body, None)
