"""Rows as JSON objects and back, by the models' own columns. No Flask here.

An exported row is its model's columns by name, less the database's own keys (``id``, the
owning merchant, foreign keys, which the document expresses by nesting and by Amazon ids) and
``version``; times are ISO 8601 strings. Each imported row is validated by a marshmallow schema
made from the same columns (type, length, nullability), so an error names the field, and the
values go back into the columns unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, String, Text

from gateway.store.models import UTCDateTime

#: Columns that are the database's own, never in a document.
DATABASE_KEYS = frozenset({"id", "merchant_id", "version"})


def _columns(model: type[Any], exclude: Collection[str]) -> list[Any]:
    table = model.__table__
    return [
        c
        for c in table.columns
        if c.name not in DATABASE_KEYS and c.name not in exclude and not c.foreign_keys
    ]


def as_json(obj: Any, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The row's own columns, JSON-ready."""
    out: dict[str, Any] = {}
    for column in _columns(type(obj), exclude):
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


class UTCDateTimeField(fields.DateTime):
    """An ISO 8601 time; one without a zone is UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _field(column: Any) -> fields.Field[Any]:
    kind = column.type
    options: dict[str, Any] = {"allow_none": column.nullable}
    required = not column.nullable and column.default is None
    options["required"] = required
    if isinstance(kind, UTCDateTime):
        return UTCDateTimeField(**options)
    if isinstance(kind, Boolean):
        return fields.Boolean(**options)
    if isinstance(kind, Integer | BigInteger):
        return fields.Integer(strict=True, **options)
    if isinstance(kind, Float):
        return fields.Float(**options)
    if isinstance(kind, JSON):
        return fields.Raw(**options)
    if isinstance(kind, String) and kind.length:
        return fields.String(validate=validate.Length(max=kind.length), **options)
    if isinstance(kind, String | Text):
        return fields.String(**options)
    return fields.Raw(**options)


def schema_for(
    model: type[Any],
    exclude: Collection[str] = (),
    extra: dict[str, fields.Field[Any]] | None = None,
) -> Schema:
    """A schema of the model's document columns (plus ``extra`` fields, such as nested rows)."""
    declared: dict[str, fields.Field[Any]] = {c.key: _field(c) for c in _columns(model, exclude)}
    declared.update(extra or {})
    meta = type("Meta", (), {"unknown": RAISE})
    schema_class = type(f"{model.__name__}Document", (Schema,), {"Meta": meta, **declared})
    schema: Schema = schema_class()
    return schema
