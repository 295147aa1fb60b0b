"""Namespace-agnostic reading helpers over ElementTree, shared by the response and IPN parsers.

Amazon's documents use several namespaces for the same element names (reference §1.3 API
namespace, §2.3 ``https://…/ipn/…`` for NotificationData, §4.1 FPS per-version namespaces), so
every lookup here matches on the local name only. Nothing here performs I/O.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation

Element = ET.Element


class XmlError(ValueError):
    """The document is not well-formed, or lacks an element the caller requires."""


def parse(document: str | bytes) -> Element:
    """Parse ``document``; DTDs are refused outright (no entity expansion from remote input)."""
    head = document[:2048] if isinstance(document, bytes) else document[:2048].encode("utf-8")
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise XmlError("XML documents with a DTD are not accepted")
    try:
        return ET.fromstring(document)
    except ET.ParseError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from exc


def local(tag: str) -> str:
    """``{namespace}Name`` → ``Name``."""
    return tag.rsplit("}", 1)[-1]


def child(parent: Element | None, name: str) -> Element | None:
    """The first direct child called ``name`` (any namespace), or None."""
    if parent is None:
        return None
    for element in parent:
        if local(element.tag) == name:
            return element
    return None


def children(parent: Element | None, name: str) -> Iterator[Element]:
    """All direct children called ``name`` (any namespace)."""
    if parent is None:
        return
    for element in parent:
        if local(element.tag) == name:
            yield element


def find(parent: Element | None, *path: str) -> Element | None:
    """Follow ``path`` of local names from ``parent``; None as soon as a step is missing."""
    node = parent
    for name in path:
        node = child(node, name)
    return node


def text(parent: Element | None, *path: str) -> str | None:
    """Stripped text of the element at ``path``; None when it is absent, "" when it is empty."""
    node = find(parent, *path)
    if node is None:
        return None
    return (node.text or "").strip()


def require(parent: Element | None, *path: str) -> Element:
    """Like :func:`find` but raises :class:`XmlError` naming the missing path."""
    node = find(parent, *path)
    if node is None:
        raise XmlError(f"missing element {'/'.join(path)}")
    return node


def required_text(element: Element, name: str) -> str:
    """Non-empty text of the child ``name``, else :class:`XmlError` naming element and child."""
    value = text(element, name)
    if not value:
        raise XmlError(f"{local(element.tag)} has no {name}")
    return value


def timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp as Amazon writes it (``2015-11-02T21:18:17.751Z``) → aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise XmlError(f"bad timestamp {value!r}") from exc


def decimal(value: str | None) -> Decimal | None:
    """A decimal amount; None when absent or empty."""
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise XmlError(f"bad amount {value!r}") from exc


def boolean(value: str | None) -> bool | None:
    """``true``/``false`` (any case) → bool; None when absent or empty."""
    if not value:
        return None
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise XmlError(f"bad boolean {value!r}")
    return lowered == "true"


def simple_fields(parent: Element | None) -> dict[str, str]:
    """Text of every childless direct child, by local name (the last one wins on repeats)."""
    if parent is None:
        return {}
    return {local(e.tag): (e.text or "").strip() for e in parent if len(e) == 0}
