"""FPS IPNs: the signed form body of a notification, and the VerifySignature check. No Flask.

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
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from clients import sigv2

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


def check(
    url: str, http_parameters: str, verify_signature: Callable[[bytes, bytes], bool]
) -> bool:
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


def verify(runtime: Any, url: str, http_parameters: str) -> bool:
    """The VerifySignature action: checked against the simulator's IPN signing key."""
    from gateway.fps.ipn_key import verifier  # the key lives with IPN delivery (gateway.ipn)

    return check(url, http_parameters, verifier(runtime))
