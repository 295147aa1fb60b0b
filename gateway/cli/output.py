"""What client commands print: the API's JSON as it came (``--json``, for scripts) or plain
aligned columns and ``name: value`` lines for people. click has no table helper; this is it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click


def cell(value: Any) -> str:
    """A value as one table cell: nested objects as compact JSON, nothing as ``-``."""
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def pick(item: Mapping[str, Any], column: str) -> Any:
    """``column`` of ``item``; ``a.b`` reaches into a nested object."""
    value: Any = item
    for part in column.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def table(items: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows under a header of ``columns`` (upper-cased, their last part), columns aligned."""
    rows = [[c.rsplit(".", 1)[-1].upper() for c in columns]]
    rows += [[cell(pick(item, c)) for c in columns] for item in items]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def fields(item: Mapping[str, Any], names: Sequence[str]) -> str:
    """``name: value`` lines, names aligned (a nested one by its whole path, ``a.b``)."""
    width = max((len(n) for n in names), default=0)
    return "\n".join(f"{n + ':':<{width + 1}} {cell(pick(item, n))}" for n in names)


def show(answer: Any, as_json: bool, render: str) -> None:
    """Print ``answer`` as JSON when ``as_json``, else ``render``."""
    click.echo(json.dumps(answer, indent=2) if as_json else render)


def show_list(answer: Mapping[str, Any], as_json: bool, columns: Sequence[str]) -> None:
    """A list page: its JSON, or a table with a last line naming the next page's cursor."""
    render = table(answer["items"], columns)
    if answer.get("next"):
        render += f"\n(more: --cursor {answer['next']})"
    show(answer, as_json, render)


def show_object(answer: Mapping[str, Any], as_json: bool, names: Sequence[str]) -> None:
    click.echo(json.dumps(answer, indent=2) if as_json else fields(answer, names))
