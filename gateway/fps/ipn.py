"""FPS IPNs: the signed form body of a notification, and the VerifySignature check. No Flask.

Delivered by the shared outbox (``gateway.ipn``): ``gateway.composition`` installs ``render`` for
FPS's notification types ``TransactionStatus`` and ``TokenCancellation`` (``gateway.fps.states``),
so FPS IPNs have the same retries and delivery log as the Off-Amazon Payments ones, and are
signed with the same key.

[SRC: reference/amazon-wire.md §4.6] An FPS IPN is a form-encoded POST to the merchant's IPN URL
carrying lowerCamelCase parameters (``gateway.fps.states`` builds them when the change happens,
into ``Notification.extra["fps"]``) plus ``signatureVersion=2``, ``signatureMethod=RSA-SHA1``,
``certificateUrl`` and ``signature``: RSA-SHA1 over the SigV2 string
``POST\\n<host>\\n<path>\\n<sorted RFC 3986 params except signature>`` of the IPN URL, built by
``clients.ipn_signing`` as the client toolkit's verifier builds it. ``VerifySignature`` recomputes
that string from ``UrlEndPoint`` and ``HttpParameters``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from clients.ipn_signing import (
    FPS_DIGEST,
    FPS_SIGNATURE_METHOD,
    FPS_SIGNATURE_VERSION,
    fps_string_to_sign,
)
from gateway.ipn.envelope import CERTIFICATE_PATH, Outgoing, RenderContext

if TYPE_CHECKING:
    from gateway.runtime import Runtime


def signed_form(
    url: str,
    fields: Mapping[str, str],
    certificate_url: str,
    sign: Callable[[bytes], bytes],
) -> dict[str, str]:
    """``fields`` plus the signature parameters, signed for delivery to ``url``."""
    params = {
        **fields,
        "signatureVersion": FPS_SIGNATURE_VERSION,
        "signatureMethod": FPS_SIGNATURE_METHOD,
        "certificateUrl": certificate_url,
    }
    signature = sign(fps_string_to_sign(url, params))
    params["signature"] = base64.b64encode(signature).decode("ascii")
    return params


def form_body(params: Mapping[str, str]) -> bytes:
    return urlencode(list(params.items())).encode("ascii")


def check(url: str, http_parameters: str, verify_signature: Callable[[bytes, bytes], bool]) -> bool:
    """Whether ``http_parameters`` (a raw IPN body) carries a genuine signature for ``url``."""
    try:
        params = dict(parse_qsl(http_parameters, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return False
    if (params.get("signatureVersion"), params.get("signatureMethod")) != (
        FPS_SIGNATURE_VERSION,
        FPS_SIGNATURE_METHOD,
    ):
        return False
    try:
        signature = base64.b64decode(params.get("signature", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return verify_signature(signature, fps_string_to_sign(url, params))


# --- the shared outbox's renderer, and VerifySignature against the same key -----------------

#: FPS's IPN is a plain form POST (reference §4.6), without SNS's headers.
HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    # UNCONFIRMED: the User-Agent Amazon FPS sent.
    "User-Agent": "Amazon Pay simulator FPS IPN",
}


def render(ctx: RenderContext) -> Outgoing:
    """The signed form of one FPS notification for the merchant's IPN URL (where delivery posts).

    The parameters are the ones the change stored on its row (``Notification.extra["fps"]``);
    ``certificateUrl`` is the simulator's IPN certificate, served by ``gateway.api.notifications``.
    """

    def sign(data: bytes) -> bytes:
        return ctx.key.sign(data, FPS_DIGEST)

    fields: dict[str, str] = ctx.notification.extra["fps"]
    url = ctx.merchant.ipn_url or ""
    params = signed_form(url, fields, ctx.public_url + CERTIFICATE_PATH, sign)
    # FPS IPNs carry no message id of their own; the outbox keys this message by a UUID.
    return Outgoing(ctx.ids.uuid(), dict(HEADERS), form_body(params))


def verify(runtime: Runtime, url: str, http_parameters: str) -> bool:
    """The VerifySignature action: was ``http_parameters`` signed for ``url`` with our key?"""
    key = runtime.signing_key

    def genuine(signature: bytes, data: bytes) -> bool:
        return key.verify(signature, data, FPS_DIGEST)

    return check(url, http_parameters, genuine)
