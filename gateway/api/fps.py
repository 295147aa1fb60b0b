"""The emulated FPS endpoint: ``GET /?Action=…`` (POST form accepted too) to the signed-query
pipeline.

[SRC: reference/amazon-wire.md §4.1, §3.3] boto sends every FPS call as a GET to path ``/`` with
the parameters in the query string and signs ``GET\\n<Host without port>\\n/\\n…``; a POST is
signed as POST. The Host header is passed as received (lowercased by the verifier).
"""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from gateway.api.query import answer
from gateway.fps.operations import SERVICE

bp = Blueprint("fps", __name__)


@bp.route("/", methods=["GET", "POST"])
def endpoint() -> ResponseReturnValue:
    if _is_a_browser_visit():
        return redirect("/sandbox/", code=303)
    return answer(SERVICE)


def _is_a_browser_visit() -> bool:
    """A plain GET of ``/`` (no parameters at all, so no FPS call) from a client preferring
    HTML: a person opening the sandbox, sent to the dashboard. Any signed call keeps going to
    FPS exactly as before."""
    if request.method != "GET" or request.args:
        return False
    best = request.accept_mimetypes.best_match(["text/html", "text/xml", "application/xml"])
    return best == "text/html"
