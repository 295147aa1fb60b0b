"""The one check that a parameter is an http(s) URL something could be posted to. No Flask here.

A URL the standard library cannot take apart (``http://[::1``), a port that is not a number from
1 to 65535 (``http://h:abc/``, ``:65536``, ``:-1``, ``:0``) or a dotted-decimal host that is not
an IPv4 address (``999.999.999.999``) is refused where it is loaded, as the parameter's
InvalidParameterValue, instead of failing later where the URL is used (signing a string for it,
posting to it). A marshmallow validator, for the schemas of ``gateway.wire.params`` and
``gateway.fps.params``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from marshmallow import ValidationError

_DOTTED_DECIMAL = re.compile(r"^[0-9.]+$")


def http_url(text: str) -> None:
    """Raise ValidationError unless ``text`` is an absolute http or https URL with a usable host
    and port."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # an unclosed or misplaced IPv6 bracket
        raise ValidationError(f"not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("must be an http:// or https:// URL")
    host = parts.hostname
    if not host:
        raise ValidationError("the URL has no host")
    try:
        port = parts.port  # parsed on access: ValueError unless a number in 0..65535
    except ValueError:
        port = 0
    if port == 0:
        raise ValidationError("the port must be a number from 1 to 65535")
    if _DOTTED_DECIMAL.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValidationError(f"{host} is not an IPv4 address") from None
