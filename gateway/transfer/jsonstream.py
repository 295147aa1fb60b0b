"""Reading one large JSON document a value at a time. No Flask here.

A merchant's export is one JSON object whose large members are arrays (order references,
notifications ...). ``members`` yields the object's members in order: a plain value whole, an
array as an iterator over its elements, each parsed (by the standard library's decoder) only
when reached, so memory holds one element at a time, not the document.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 64 * 1024
_WHITESPACE = " \t\n\r"


class DocumentError(ValueError):
    """The stream is not the JSON the reader expects; the message says where."""


class Reader:
    """A JSON text read from a binary stream in chunks."""

    def __init__(self, stream: IO[bytes], chunk: int = CHUNK) -> None:
        self._stream = stream
        self._chunk = chunk
        self._decode = codecs.getincrementaldecoder("utf-8")()
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._consumed = 0  # characters dropped from the buffer's front

    @property
    def position(self) -> int:
        """Characters read so far (for error messages)."""
        return self._consumed + self._pos

    def _fill(self) -> bool:
        """Read the next chunk; False at the end of the stream."""
        if self._eof:
            return False
        data = self._stream.read(self._chunk)
        try:
            text = self._decode.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise DocumentError(f"the document is not UTF-8 ({exc.reason})") from None
        if not data:
            self._eof = True
        if self._pos > CHUNK:  # drop what was read
            self._consumed += self._pos
            self._buffer, self._pos = self._buffer[self._pos :], 0
        self._buffer += text
        return bool(data)

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end)."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the document"
            raise DocumentError(f"expected {char!r} at character {self.position}, found {shown}")
        self._pos += 1

    def value(self) -> Any:
        """The next JSON value, whole."""
        self.peek()
        while True:
            try:
                found, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                raise DocumentError(
                    f"invalid JSON at character {self._consumed + exc.pos}: {exc.msg}"
                ) from None
            # A number (or literal) ending where the buffer does may go on in the next chunk.
            if end == len(self._buffer) and not self._eof and self._fill():
                continue
            self._pos = end
            return found

    def elements(self) -> Iterator[Any]:
        """The elements of the array that comes next, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self._pos += 1
                continue
            self.expect("]")
            return

    def end(self) -> None:
        """Nothing but whitespace may follow the document."""
        if self.peek() != "":
            raise DocumentError(f"unexpected data after the document at character {self.position}")


def members(reader: Reader) -> Iterator[tuple[str, Any]]:
    """The members of the object that comes next: ``(name, value)``, an array's value being an
    iterator over its elements, which the caller consumes before asking for the next member."""
    reader.expect("{")
    if reader.peek() == "}":
        reader.expect("}")
        return
    while True:
        name = reader.value()
        if not isinstance(name, str):
            raise DocumentError(f"expected a member name at character {reader.position}")
        reader.expect(":")
        if reader.peek() == "[":
            items = reader.elements()
            yield name, items
            for _ in items:  # whatever the caller left unread
                pass
        else:
            yield name, reader.value()
        if reader.peek() == ",":
            reader.expect(",")
            continue
        reader.expect("}")
        return
