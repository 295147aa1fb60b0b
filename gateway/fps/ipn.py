"""FPS IPNs: the signed form body of a notification, and the VerifySignature check. No Flask.

Delivered by the shared outbox (``gateway.ipn``): ``gateway.composition`` installs ``render`` for
FPS's notification types ``TransactionStatus`` and ``TokenCancellation`` (``gateway.fps.states``),
so FPS IPNs have the same retries and delivery log as the Off-Amazon Payments ones, and are
signed with the same key.

[SRC: reference/amazon-wire.md §4.6] An FPS IPN is a form-encoded POST to the merchant's IPN URL
carrying lowerCamelCase parameters (``gateway.fps.states`` builds them when the change happens,
into ``Notification.extra["fps"]``) plus ``signatureVersion=2``, ``signatureMethod=RSA-SHA1``,
``certificateUrl`` and ``signature``: RSA-SHA1 over the SigV2 string
``POST\\n<host>\\n<path>\\n<sorted RFC 3986 params except signature>`` of the IPN URL.
``VerifySignature`` recomputes that string from ``UrlEndPoint`` and ``HttpParameters``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from clients import sigv2
from gateway.ipn.envelope import CERTIFICATE_PATH, Outgoing, RenderContext

if TYPE_CHECKING:
    from gateway.runtime import Runtime

SIGNATURE_VERSION = "2"
SIGNATURE_METHOD = "RSA-SHA1"


def _signing_host(url: str) -> str:
    """The host as a client sends it in the Host header: port only when not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def string_to_sign(url: str, params: Mapping[str, str]) -> str:
    unsigned = {k: v for k, v in params.items() if k != "signature"}
    return sigv2.string_to_sign_v2("POST", _signing_host(url), urlsplit(url).path or "/", unsigned)


def signed_form(
    url: str,
    fields: Mapping[str, str],
    certificate_url: str,
    sign: Callable[[bytes], bytes],
) -> dict[str, str]:
    """``fields`` plus the signature parameters, signed for delivery to ``url``."""
    params = {
        **fields,
        "signatureVersion": SIGNATURE_VERSION,
        "signatureMethod": SIGNATURE_METHOD,
        "certificateUrl": certificate_url,
    }
    signature = sign(string_to_sign(url, params).encode("utf-8"))
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
        SIGNATURE_VERSION,
        SIGNATURE_METHOD,
    ):
        return False
    try:
        signature = base64.b64decode(params.get("signature", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return verify_signature(signature, string_to_sign(url, params).encode("utf-8"))


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
    # cryptography is imported here and in verify(): most web workers never need it.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = ctx.key.private_key

    def sign(data: bytes) -> bytes:
        return key.sign(data, padding.PKCS1v15(), hashes.SHA1())

    fields: dict[str, str] = ctx.notification.extra["fps"]
    url = ctx.merchant.ipn_url or ""
    params = signed_form(url, fields, ctx.public_url + CERTIFICATE_PATH, sign)
    # FPS IPNs carry no message id of their own; the outbox keys this message by a UUID.
    return Outgoing(ctx.ids.uuid(), dict(HEADERS), form_body(params))


def verify(runtime: Runtime, url: str, http_parameters: str) -> bool:
    """The VerifySignature action: was ``http_parameters`` signed for ``url`` with our key?"""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    public_key = runtime.signing_key.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)

    def genuine(signature: bytes, data: bytes) -> bool:
        try:
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            return False
        return True

    return check(url, http_parameters, genuine)
