"""The emulated FPS endpoint: ``GET /?Action=…`` (POST form accepted too) to the signed-query
pipeline.

[SRC: reference/amazon-wire.md §4.1, §3.3] boto sends every FPS call as a GET to path ``/`` with
the parameters in the query string and signs ``GET\\n<Host without port>\\n/\\n…``; a POST is
signed as POST. The Host header is passed as received (lowercased by the verifier).
"""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.api.query import answer
from gateway.fps.operations import SERVICE

bp = Blueprint("fps", __name__)


@bp.route("/", methods=["GET", "POST"])
def endpoint() -> Response:
    return answer(SERVICE)
