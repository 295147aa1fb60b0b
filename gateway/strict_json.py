"""JSON read strictly, wherever the sandbox reads JSON it was sent (control API bodies, sandbox
simulation notes). No Flask here.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into infinity, and raises
``RecursionError`` (not ``ValueError``) for nesting deeper than the interpreter's recursion
limit; none of that is a number or a document this sandbox can store or compute with.
"""

from __future__ import annotations

import json
import math
from typing import Any


def loads(text: str | bytes) -> Any:
    """The JSON document in ``text``; ``ValueError`` for anything that is not JSON of finite
    numbers, whatever the reason (bad UTF-8, NaN, ``1e400``, nesting too deep to parse)."""
    try:
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite_number)
    except RecursionError:
        raise ValueError("the document is nested too deeply") from None


def _not_a_number(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def _finite_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text} is out of range")
    return number
