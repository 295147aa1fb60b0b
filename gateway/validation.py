"""marshmallow's nested error messages as lines that name the entry at fault. No Flask here.

``{"merchants": {0: {"orders": {2: {"status": ["Must be one of ..."]}}}}}`` becomes
``merchants[0].orders[2].status: Must be one of ...``: what a scenario file or an imported
document reports, so the user finds the entry without counting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, ValidationError


class InvalidEntry(ValueError):
    """A document's entry does not validate; the message names it."""


def field_errors(messages: Any, path: str = "") -> Iterator[str]:
    if isinstance(messages, dict):
        for key, inner in messages.items():
            step = f"[{key}]" if isinstance(key, int) else f".{key}" if path else str(key)
            yield from field_errors(inner, f"{path}{step}")
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield f"{path or 'document'}: {' '.join(messages)}"
    elif isinstance(messages, list):
        for inner in messages:
            yield from field_errors(inner, path)
    else:
        yield f"{path or 'document'}: {messages}"


def load(schema: Schema, data: Any, path: str = "") -> dict[str, Any]:
    """``data`` loaded by ``schema``; InvalidEntry naming the first few entries at fault."""
    if not isinstance(data, dict):
        raise InvalidEntry(f"{path or 'document'}: must be an object")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        problems = list(field_errors(exc.normalized_messages(), path))  # type: ignore[no-untyped-call]
        raise InvalidEntry(
            "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        ) from None
    return loaded
