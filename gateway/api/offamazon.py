"""The emulated Off-Amazon Payments endpoint: HTTP in, the signed-query pipeline out.

``POST /OffAmazonPayments_Sandbox/2013-01-01`` and the live path ``/OffAmazonPayments/2013-01-01``
[SRC: reference/amazon-wire.md §1.1]. A GET with the parameters in the query string is accepted
too and signed as GET. Another version in the path answers InvalidAddress.

Each path is served with a trailing slash too, and verified over the path as sent: shop plugins
and community libraries call ``.../2013-01-01/`` and sign that [SRC: the Amazon Pay gateway of
woocommerce/woocommerce-gateway-amazon-pay, ``$endpoints`` in
includes/class-wc-amazon-payments-advanced-api.php; python-amazon-mws
mws/offamazonpayments.py ``SANDBOX_URI``; npm amazon-payments lib/environment.js ``SandboxEU``].
"""

from __future__ import annotations

from flask import Blueprint, Response

from gateway.api.query import answer, error_response
from gateway.errors import InvalidAddress
from gateway.wire.operations import API_VERSION, SERVICE

bp = Blueprint("offamazon", __name__)


@bp.route("/OffAmazonPayments_Sandbox/<version>", methods=["GET", "POST"])
@bp.route("/OffAmazonPayments_Sandbox/<version>/", methods=["GET", "POST"])
@bp.route("/OffAmazonPayments/<version>", methods=["GET", "POST"])
@bp.route("/OffAmazonPayments/<version>/", methods=["GET", "POST"])
def endpoint(version: str) -> Response:
    if version != API_VERSION:
        error = InvalidAddress(f"The version {version} in the path is not supported.")
        return error_response(SERVICE, error)
    return answer(SERVICE)
