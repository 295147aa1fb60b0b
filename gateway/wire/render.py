"""The one XML renderer: plain data (dicts in order, lists, scalars) to Amazon-shaped XML.

An ElementTree builder escapes every value; numbers and dates are formatted here only. Elements
are unprefixed in a default namespace, which boto's namespace-unaware SAX parser needs
[SRC: reference/amazon-wire.md §3.3], and the declaration is Amazon's double-quoted one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

#: Off-Amazon Payments API namespace [SRC: reference/amazon-wire.md §1.3].
OFFAMAZON_NAMESPACE = "http://mws.amazonservices.com/schema/OffAmazonPayments/2013-01-01"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def timestamp(moment: datetime) -> str:
    """``2015-11-02T21:18:17.751Z``: UTC with milliseconds, as Amazon's samples write it."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value)
    return str(value)


def build(parent: Element, name: str, value: Any) -> None:
    """Append ``value`` under ``parent`` as element(s) named ``name``; None is left out.

    A mapping becomes an element with children, a list repeats ``name`` for each item, an
    empty mapping is an empty element (``<IdList/>``), anything else becomes text.
    """
    if value is None:
        return
    if isinstance(value, Mapping):
        node = SubElement(parent, name)
        for key, child in value.items():
            build(node, key, child)
    elif isinstance(value, list | tuple):
        for item in value:
            build(parent, name, item)
    else:
        SubElement(parent, name).text = _text(value)


def document(root_name: str, body: Mapping[str, Any], namespace: str | None) -> bytes:
    """A whole XML document: ``root_name`` in ``namespace`` holding ``body``."""
    root = Element(root_name, {"xmlns": namespace} if namespace else {})
    for key, value in body.items():
        build(root, key, value)
    return XML_DECLARATION + tostring(root, encoding="unicode").encode("utf-8")


def render_result(
    operation: str, result: Mapping[str, Any] | None, request_id: str, namespace: str
) -> bytes:
    """``<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`` (no Result when ``result`` is None)."""
    body: dict[str, Any] = {}
    if result is not None:
        body[f"{operation}Result"] = result
    body["ResponseMetadata"] = {"RequestId": request_id}
    return document(f"{operation}Response", body, namespace)


def render_error(code: str, message: str, fault: str, request_id: str) -> bytes:
    """Off-Amazon Payments ``ErrorResponse`` [SRC: reference/amazon-wire.md §1.3]."""
    body = {"Error": {"Type": fault, "Code": code, "Message": message}, "RequestId": request_id}
    return document("ErrorResponse", body, OFFAMAZON_NAMESPACE)
