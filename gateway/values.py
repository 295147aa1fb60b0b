"""Value types shared by every schema: the emulated APIs' parameters and the control API's JSON.

A value is checked here, by the schema that loads it, before it reaches the domain or the
database, and the same way on SQLite and PostgreSQL (which refuses what SQLite silently stores):

- text holds no control character (PostgreSQL refuses NUL in text, XML 1.0 cannot carry the
  other C0 controls) and fits its column: lengths are read from the models, never copied;
- integers used as row ids fit the id column (``row_id_range``);
- datetimes can be stored, compared and rendered (``StorableDateTime``);
- URLs that the sandbox posts to can be posted to (``HttpUrl``: a real port, a real address).

No Flask here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields
from marshmallow.validate import URL, Email, Length, Validator
from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import QueryableAttribute

#: Characters no value may hold: C0 controls but tab, line feed and carriage return; DEL and the
#: C1 controls; lone surrogates and U+FFFE/U+FFFF (not characters XML can carry). UNCONFIRMED:
#: what Amazon answers to them; refusing them as InvalidParameterValue is our choice.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

#: The earliest and latest instants a datetime value may name (UTC). Before 1970 no payment
#: token or clock of this sandbox can be; the upper end keeps every conversion to UTC and every
#: four-digit ``%Y`` rendering possible. A choice: Amazon documents no range.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def control_character(text: str) -> str | None:
    """The first character of ``text`` no value may hold, as ``U+XXXX``; None when there is none."""
    found = _CONTROL_CHARACTER.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _refusal(code_point: str) -> str:
    return f"must not hold control characters ({code_point} found)"


def first_unreadable(values: Mapping[str, str]) -> tuple[str, str] | None:
    """``(name, problem)`` of the first entry whose name or value holds a control character."""
    for name, value in values.items():
        found = control_character(name) or control_character(value)
        if found is not None:
            return name, _refusal(found)
    return None


def column_length(column: QueryableAttribute[Any]) -> int:
    """The length of a ``String(n)`` column: the most characters a value stored in it may have."""
    column_type = column.expression.type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"{column} is not a column of bounded length")
    return column_type.length


def row_id_range(column: QueryableAttribute[Any]) -> tuple[int, int]:
    """The ids an integer id column can hold: 1 to the largest of its type (int4 or int8)."""
    column_type = column.expression.type
    if isinstance(column_type, BigInteger):
        return 1, 2**63 - 1
    if isinstance(column_type, Integer):
        return 1, 2**31 - 1
    raise TypeError(f"{column} is not an integer column")


class NoControlCharacters(Validator):
    """Refuses text holding a control character (see ``control_character``)."""

    def __call__(self, value: str) -> str:
        found = control_character(value)
        if found is not None:
            raise ValidationError(_refusal(found))
        return value


class Text(fields.String):
    """A string without control characters and no longer than its column (``column``), or than
    ``max_length`` where the API's own limit is shorter or the value is not stored in a column of its
    own. ``validate`` adds checks (a pattern, a choice)."""

    def __init__(
        self,
        *,
        column: QueryableAttribute[Any] | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        validate: Any = None,
        **kwargs: Any,
    ) -> None:
        if column is not None:
            fits = column_length(column)
            if max_length is not None and max_length > fits:
                raise ValueError(f"{max_length} characters do not fit {column} ({fits})")
            max_length = fits if max_length is None else max_length
        checks: list[Any] = [NoControlCharacters()]
        if min_length is not None or max_length is not None:
            checks.append(Length(min=min_length, max=max_length))
        if validate is not None:
            checks.extend(validate if isinstance(validate, list | tuple) else [validate])
        super().__init__(validate=checks, **kwargs)


class EmailAddress(Text):
    """An email address (marshmallow's check, which lets a quoted local part hold controls)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=Email(), **kwargs)


class HttpUrl(Text):
    """An http(s) URL the sandbox can post to: a host that is a name or a real IP address, and a
    port from 1 to 65535. ``999.999.999.999`` or port 99999 would only fail later, when an IPN
    is posted; here they are refused when the URL is given."""

    _shape = URL(require_tld=False, schemes={"http", "https"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[self._shape, _postable], **kwargs)


def _postable(url: str) -> None:
    # marshmallow runs every validator even when the shape check failed: this one must not
    # raise anything but ValidationError on any text (urlsplit refuses an unclosed "[::1").
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError(f"is not a URL ({exc})") from None
    try:
        port = parts.port
    except ValueError:
        raise ValidationError("has a port outside 1 to 65535") from None
    if port == 0:
        raise ValidationError("has a port outside 1 to 65535")
    host = parts.hostname or ""
    if ":" in host or all(label.isdigit() for label in host.split(".")):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValidationError(f"has an impossible IP address {host!r}") from None


class StorableDateTime(fields.AwareDateTime):
    """An ISO 8601 datetime with an offset, between ``EARLIEST`` and ``LATEST`` once in UTC, so
    that it can be stored (as naive UTC), compared with the sandbox's aware clocks and rendered.
    ``0001-01-01T00:00:00+01:00`` is not: it has no UTC equivalent."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = moment.astimezone(UTC)
        except OverflowError:
            utc = None
        if utc is None or not EARLIEST <= utc <= LATEST:
            raise ValidationError(
                f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} in UTC"
            )
        return moment
