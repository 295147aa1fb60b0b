"""The one XML renderer: plain data (dicts in order, lists, scalars) to Amazon-shaped XML.

Every value is escaped as text by ``xml_text`` (control characters included); numbers and dates
are formatted here only. Elements are unprefixed in a default namespace, which boto's
namespace-unaware SAX parser needs [SRC: reference/amazon-wire.md §3.3], and the declaration is
Amazon's double-quoted one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.errors import GatewayError

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


#: Characters XML 1.0 cannot carry at all, not even as character references (XML 1.0 §2.2).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def xml_text(text: str) -> str:
    """``text`` made safe as XML character data: the one place every answer's text goes through.

    Answers echo what the client sent (a path, a parameter's name or value), and one control
    character would make the whole document ill-formed, which both SDKs fail on with a parse
    error instead of the error we meant. Such a character is written as the visible escape
    ``\\uXXXX`` (``\\u0001`` for U+0001), not replaced by U+FFFD: the reader of a message
    sees exactly which character was sent (a U+FFFD would hide it). Only a diagnostic loses by
    it: a value holding such a character is refused before it is stored.
    Then what ElementTree escapes in text (``xml.etree.ElementTree._escape_cdata``).
    """
    if not (text.isascii() and text.isprintable()):  # the usual case skips the regex
        text = NOT_XML.sub(_visible, text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def build(out: list[str], name: str, value: Any) -> None:
    """Append ``value`` to ``out`` as element(s) named ``name``; None is left out.

    A mapping becomes an element with children, a list repeats ``name`` for each item, an
    element with no children and no text is written empty (``<IdList />``), anything else
    becomes escaped text. The output is byte for byte what ElementTree's serializer wrote
    before (tests/core compares it with Amazon's samples); strings are joined directly because
    building and serializing an element tree was the largest part of rendering an answer.
    """
    if value is None:
        return
    if isinstance(value, Mapping):
        start = len(out)
        out.append(f"<{name}>")
        for key, child in value.items():
            build(out, key, child)
        if len(out) == start + 1:
            out[start] = f"<{name} />"
        else:
            out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        for item in value:
            build(out, name, item)
    else:
        text = _text(value)
        out.append(f"<{name}>{xml_text(text)}</{name}>" if text else f"<{name} />")


def document(root_name: str, body: Mapping[str, Any], namespace: str | None) -> bytes:
    """A whole XML document: ``root_name`` in ``namespace`` holding ``body``."""
    out: list[str] = []
    for key, value in body.items():
        build(out, key, value)
    # The namespace is one of this package's constants: nothing in it needs escaping.
    start = f'<{root_name} xmlns="{namespace}">' if namespace else f"<{root_name}>"
    if out:
        out.insert(0, start)
        out.append(f"</{root_name}>")
    else:
        out.append(start[:-1] + " />")
    return XML_DECLARATION + "".join(out).encode("utf-8")


def render_result(
    operation: str, result: Mapping[str, Any] | None, request_id: str, namespace: str
) -> bytes:
    """``<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`` (no Result when ``result`` is None)."""
    body: dict[str, Any] = {}
    if result is not None:
        body[f"{operation}Result"] = result
    body["ResponseMetadata"] = {"RequestId": request_id}
    return document(f"{operation}Response", body, namespace)


def render_error(error: GatewayError, request_id: str) -> bytes:
    """Off-Amazon Payments ``ErrorResponse`` [SRC: reference/amazon-wire.md §1.3]: the one
    renderer of it, for the pipeline and for addresses no endpoint owns (``gateway.app``)."""
    body = {
        "Error": {"Type": error.fault, "Code": error.code, "Message": error.message},
        "RequestId": request_id,
    }
    return document("ErrorResponse", body, OFFAMAZON_NAMESPACE)
