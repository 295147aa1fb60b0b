"""Amazon query-API request signing: Signature Version 2 (MWS, Off-Amazon Payments, FPS) and 1 (FPS).

Standard library only, so that both the simulator and user code can import it. The server shares
this module; known-answer vectors computed by the official SDK guard against a symmetric bug
(tests/test_sigv2.py).

Version 2 [SRC: reference/amazon-wire.md §1.2]: the string to sign is
``VERB\\nhost\\npath\\ncanonical-query`` where the canonical query is every parameter but
``Signature`` sorted by name in byte order, each name and value percent-encoded per RFC 3986
(uppercase hex, space as %20), joined with ``&``. HmacSHA256 or HmacSHA1, Base64.

Version 1 [SRC: reference/amazon-wire.md §4.2]: names sorted case-insensitively, ``name1value1name2value2``
concatenated with no separators and no encoding, HMAC-SHA1, Base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

#: Signature methods of Version 2 and the hash each names.
SIGNATURE_METHODS: Mapping[str, str] = {"HmacSHA256": "sha256", "HmacSHA1": "sha1"}

#: Parameters that are never part of the signed content.
UNSIGNED_PARAMETERS = frozenset({"Signature"})


def rfc3986(value: str) -> str:
    """Percent-encode ``value`` as SigV2 wants: unreserved ``A-Za-z0-9-_.~`` kept, UTF-8 bytes, %XY."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The canonicalized query of Signature Version 2 (byte-ordered names, RFC 3986 encoding)."""
    items = sorted(
        ((k, v) for k, v in params.items() if k not in UNSIGNED_PARAMETERS),
        key=lambda kv: kv[0].encode("utf-8"),
    )
    return "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in items)


def string_to_sign_v2(method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """``METHOD\\nhost\\npath\\ncanonical`` with the host lowercased and an empty path as ``/``."""
    return "\n".join([method.upper(), host.lower(), path or "/", canonical_query(params)])


def signing_host(url: str) -> str:
    """The Host header ``requests`` will send for ``url``: netloc minus an explicit default port.

    amazon_pay signs the configured netloc verbatim while ``requests`` drops ``:80``/``:443``
    from the Host header, a mismatch noted in reference §1.2; signing what is sent avoids it.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    default = {"http": ":80", "https": ":443"}.get(parts.scheme)
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return netloc


def string_to_sign_v1(params: Mapping[str, str]) -> str:
    """Names sorted case-insensitively, ``name`` then ``value`` concatenated, nothing encoded."""
    items = sorted(
        ((k, v) for k, v in params.items() if k not in UNSIGNED_PARAMETERS),
        key=lambda kv: kv[0].lower(),
    )
    return "".join(k + v for k, v in items)


def hmac_base64(secret: str, message: str, digest: str) -> str:
    """Base64 of HMAC(``secret``, ``message``) with hashlib's ``digest`` ("sha256" or "sha1")."""
    mac = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), getattr(hashlib, digest))
    return base64.b64encode(mac.digest()).decode("ascii")


def sign_v2(
    secret: str,
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    signature_method: str = "HmacSHA256",
) -> str:
    """The Version 2 signature of a request (``params`` must already hold SignatureMethod)."""
    digest = SIGNATURE_METHODS[signature_method]
    return hmac_base64(secret, string_to_sign_v2(method, host, path, params), digest)


def sign_v1(secret: str, params: Mapping[str, str]) -> str:
    """The Version 1 signature (always HMAC-SHA1)."""
    return hmac_base64(secret, string_to_sign_v1(params), "sha1")


def timestamp(now: datetime | None = None) -> str:
    """An ISO-8601 UTC timestamp in the form the official SDKs send (no fraction, ``Z``)."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_params(
    params: Mapping[str, str],
    *,
    access_key: str,
    secret: str,
    method: str,
    host: str,
    path: str,
    signature_version: str = "2",
    signature_method: str = "HmacSHA256",
    now: datetime | None = None,
) -> dict[str, str]:
    """Return ``params`` plus the auth parameters and ``Signature``, ready to send.

    ``Timestamp`` is added when absent. ``host`` must be the Host header the transport will send
    (``127.0.0.1:8080`` for a non-default port; boto's FPS connection sends it without a port).
    """
    out = dict(params)
    out["AWSAccessKeyId"] = access_key
    out["SignatureVersion"] = signature_version
    out.setdefault("Timestamp", timestamp(now))
    if signature_version == "1":
        out.pop("SignatureMethod", None)
        out["Signature"] = sign_v1(secret, out)
    else:
        out["SignatureMethod"] = signature_method
        out["Signature"] = sign_v2(secret, method, host, path, out, signature_method)
    return out
