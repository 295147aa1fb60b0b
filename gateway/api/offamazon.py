"""The emulated Off-Amazon Payments endpoint: HTTP in, the signed-query pipeline out.

``POST /OffAmazonPayments_Sandbox/2013-01-01`` and the live path ``/OffAmazonPayments/2013-01-01``
[SRC: reference/amazon-wire.md §1.1]. A GET with the parameters in the query string is accepted
too and signed as GET. Another version in the path answers InvalidAddress.
"""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.api.query import answer, error_response
from gateway.errors import InvalidAddress
from gateway.wire.operations import API_VERSION, SERVICE

bp = Blueprint("offamazon", __name__)


@bp.route("/OffAmazonPayments_Sandbox/<version>", methods=["GET", "POST"])
@bp.route("/OffAmazonPayments/<version>", methods=["GET", "POST"])
def endpoint(version: str) -> Response:
    if version != API_VERSION:
        error = InvalidAddress(f"The version {version} in the path is not supported.")
        return error_response(SERVICE, error)
    return answer(SERVICE)
