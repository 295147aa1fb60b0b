"""A fuzzed request as hypothesis draws it (plain data), and the bytes it becomes on the wire.

A drawn call names real objects by ``Ref`` (resolved when it is sent, so that calls can use
objects earlier calls made) and long values by ``Repeat`` (drawn as a count, not as a million
characters). ``Call.to_wire`` signs at send time with the server's clock, and says whether the
request must be refused (``must_fail``): a bad signature, a Timestamp outside the window, an
unknown Action, a method the API has no use for, and so on. ``describe`` prints a request so
that a failure can be reproduced by hand.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, Protocol
from urllib.parse import quote, quote_plus, unquote_to_bytes

from clients import sigv2

Api = Literal["offamazon", "fps", "control"]
APIS: tuple[Api, ...] = ("offamazon", "fps", "control")

OFFAMAZON_PATHS = ("/OffAmazonPayments_Sandbox/2013-01-01", "/OffAmazonPayments/2013-01-01")
FPS_PATH = "/"
#: Methods the signed-query APIs answer (HEAD too, as a GET without its body; anything else
#: must be refused, in their XML).
QUERY_METHODS = ("GET", "POST")
#: The request Timestamp window [SRC: reference/amazon-wire.md §1.2], and the furthest ahead an
#: ``Expires`` may be (issue 11's choice); calls near either edge are not drawn (see strategies).
WINDOW = timedelta(minutes=15)
FORM = "application/x-www-form-urlencoded"
#: Characters XML 1.0 cannot carry: a parameter holding one must be refused.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


#: The kind of ``Ref`` that names nothing yet: a new reference id each time it is sent.
UNIQUE = "unique"


@dataclass(frozen=True)
class Ref:
    """The ``index``-th newest known object of ``kind`` (modulo how many there are when it is
    sent), or with kind ``UNIQUE`` a name never sent before."""

    kind: str
    index: int = 0


@dataclass(frozen=True)
class Repeat:
    """``text`` repeated ``count`` times."""

    text: str
    count: int

    def __repr__(self) -> str:
        return f"{self.text!r} * {self.count}"


@dataclass(frozen=True)
class RawJson:
    """A JSON token written as is (``NaN``, ``1e400``, ``-0``, a 5,000-digit integer)."""

    text: str


Value = str | Ref | Repeat
#: A JSON document as drawn: dicts, lists, scalars, with ``Ref``, ``Repeat`` and ``RawJson`` in it.
JsonValue = object


class World(Protocol):
    """What sending a call needs to know of the server and the objects on it."""

    @property
    def host(self) -> str:
        """The Host header sent and signed."""
        ...

    def now(self) -> datetime: ...

    def resolve(self, ref: Ref) -> str: ...

    def credentials(self, role: str) -> tuple[str, str, str]:
        """``(seller_id, access_key, secret_key)`` of the merchant playing ``role``."""
        ...


@dataclass(frozen=True)
class Wire:
    """One HTTP request, as bytes go out: ``target`` is the request-target (ASCII)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        """The path the application sees (percent-decoded as gunicorn and werkzeug do)."""
        return decoded_path(self.target.split("?", 1)[0])


@dataclass(frozen=True)
class Sent:
    """A call made concrete: what went out, the parameters it carried, and whether it must fail."""

    api: Api
    label: str
    wire: Wire
    shown: tuple[tuple[str, str], ...]
    must_fail: str | None
    #: The merchant whose objects a successful answer names (None: nobody's, or not known).
    role: str | None = None


def decoded_path(raw: str) -> str:
    return unquote_to_bytes(raw).decode("utf-8", "replace")


def materialize(value: Value, world: World) -> str:
    if isinstance(value, Ref):
        return world.resolve(value)
    if isinstance(value, Repeat):
        return value.text * value.count
    return value


# --- the signed-query APIs -------------------------------------------------------------------

SIGNINGS_ACCEPTED = ("v2", "v2-sha1", "v1")
#: Signing modes whose requests carry no valid signature.
SIGNINGS_REFUSED = (
    "unsigned",
    "wrong-secret",
    "unknown-key",
    "garbage",
    "tampered",
    "no-signature",
)


@dataclass(frozen=True)
class Clock:
    """The request's time parameter: ``Timestamp`` or ``Expires`` (``both``, or None: neither),
    ``offset`` seconds from the server's now written in ``style``, or ``literal`` as is."""

    name: Literal["Timestamp", "Expires", "both"] | None = "Timestamp"
    offset: float = 0.0
    style: str = "sdk"
    literal: str | None = None

    def params(self, now: datetime) -> list[tuple[str, str]]:
        if self.name is None:
            return []
        text = (
            self.literal if self.literal is not None else _timestamp(now, self.offset, self.style)
        )
        names = ("Timestamp", "Expires") if self.name == "both" else (self.name,)
        return [(name, text) for name in names]

    def refused(self) -> str | None:
        if self.name is None:
            return "neither Timestamp nor Expires"
        if self.name == "both":
            return "both Timestamp and Expires"  # docs/operations-and-errors.md
        if self.literal is not None:
            return f"{self.name}={self.literal!r} is not a time within the window"
        late = timedelta(seconds=self.offset)
        if self.name == "Timestamp" and abs(late) > WINDOW:
            return f"Timestamp {self.offset:+.0f} s from the server's time"
        if self.name == "Expires" and (late < timedelta(0) or late > WINDOW):
            return f"Expires {self.offset:+.0f} s from the server's time"
        return None


#: How a time is written: the SDKs' form and others ISO-8601 allows (all the same instant).
TIME_STYLES: dict[str, Callable[[datetime], str]] = {
    "sdk": sigv2.timestamp,
    "millis": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
    "utc-offset": lambda t: t.isoformat(timespec="seconds"),
    "naive": lambda t: t.replace(tzinfo=None).isoformat(timespec="seconds"),
    "plus-five": lambda t: t.astimezone(timezone(timedelta(hours=5))).isoformat(),
    "micros": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
}


def _timestamp(now: datetime, offset: float, style: str) -> str:
    return TIME_STYLES[style]((now + timedelta(seconds=offset)).astimezone(UTC))


@dataclass(frozen=True)
class QueryCall:
    """A request to Off-Amazon Payments or FPS: parameters, how they are signed and sent."""

    api: Literal["offamazon", "fps"]
    action: str | None
    method: str
    path: str
    params: tuple[tuple[str, Value], ...]
    signing: str = "v2"
    #: The merchant whose keys sign (``World.credentials``).
    role: str = "signer"
    clock: Clock = field(default_factory=Clock)
    placement: Literal["body", "query"] = "body"
    encoding: str = "rfc3986"
    content_type: str | None = FORM
    #: The service's own parameters (Action, Version, SellerId) as drawn, for ``must_fail``.
    known_action: bool = True
    known_version: bool = True

    def to_wire(self, world: World) -> Sent:
        seller_id, access_key, secret = world.credentials(self.role)
        params = [(name, materialize(value, world)) for name, value in self.params]
        if self.action is not None:
            params.insert(0, ("Action", self.action))
        signed = self._sign(params, world, access_key, secret)
        encoded = _encode(signed, self.encoding)
        query, body = ("", encoded) if self.placement == "body" else (encoded, "")
        headers = [("Host", world.host)]
        if self.content_type is not None and self.method not in ("GET", "HEAD"):
            headers.append(("Content-Type", self.content_type))
        wire = Wire(
            self.method,
            self.path + (f"?{query}" if query else ""),
            tuple(headers),
            body.encode("ascii"),
        )
        return Sent(
            self.api,
            f"{self.api} {_action_label(self.action)} signed {self.signing} as {self.role}",
            wire,
            tuple(signed),
            self._refused(params, wire, seller_id),
            self.role if self.signing in SIGNINGS_ACCEPTED else None,
        )

    def _sign(
        self, params: list[tuple[str, str]], world: World, access_key: str, secret: str
    ) -> list[tuple[str, str]]:
        params = params + self.clock.params(world.now())
        if self.signing == "unsigned":
            return params
        version = "1" if self.signing == "v1" else "2"
        method = "HmacSHA1" if self.signing == "v2-sha1" else "HmacSHA256"
        key = "AKIAFUZZUNKNOWNKEY00" if self.signing == "unknown-key" else access_key
        params += [("AWSAccessKeyId", key), ("SignatureVersion", version)]
        if version == "2":
            params.append(("SignatureMethod", method))
        if self.signing == "no-signature":
            return params
        secret = "not-the-secret-key-of-this-merchant" if self.signing == "wrong-secret" else secret
        as_dict = dict(params)  # a repeated name is signed once (the server refuses it anyway)
        if version == "1":
            signature = sigv2.sign_v1(secret, as_dict)
        else:
            path = decoded_path(self.path)
            signature = sigv2.sign_v2(secret, self.method, world.host, path, as_dict, method)
        if self.signing == "garbage":
            signature = "Zm9vYmFy" + signature[8:]
        params.append(("Signature", signature))
        if self.signing == "tampered":
            name, value = params[0]
            params[0] = (name, value + "x")
        return params

    def _refused(self, params: list[tuple[str, str]], wire: Wire, seller_id: str) -> str | None:
        """Why this request must be refused, or None when it may succeed."""
        if self.method not in QUERY_METHODS:
            return None if self.method == "HEAD" else f"method {self.method}"
        endpoint = OFFAMAZON_PATHS if self.api == "offamazon" else (FPS_PATH,)
        # werkzeug serves "//" as "/" (it merges slashes): not a path this oracle insists on.
        if re.sub("/+", "/", wire.path) not in endpoint:
            return f"path {wire.path!r} is no {self.api} endpoint"
        if self.signing in SIGNINGS_REFUSED:
            return f"signature: {self.signing}"
        if self.signing == "v1" and self.api == "offamazon":
            return "Signature Version 1 on Off-Amazon Payments"
        names = [name for name, _ in params]
        if len(set(names)) != len(names):
            return "a parameter given twice"
        unsendable = [name for name, value in params if NOT_XML.search(name + value)]
        if unsendable:
            return f"parameter {unsendable[0]!r} holds a character XML cannot carry"
        if self.encoding in ("bad-escape", "bad-utf8"):
            return f"encoding {self.encoding}"
        if self.method == "POST" and self.placement == "query":
            return "a POST with its parameters in the query string"
        if self.method == "POST" and not (self.content_type or "").startswith(FORM):
            return f"a POST body of type {self.content_type}"
        if self.method == "GET" and self.placement == "body":
            return "a GET with its parameters in a body"
        refused_time = self.clock.refused()
        if refused_time:
            return refused_time
        if not self.known_action:
            return f"Action {self.action!r}"
        if not self.known_version:
            return "an unsupported Version"
        given = dict(params).get("SellerId")
        if self.api == "offamazon" and given is not None and given != seller_id:
            return "SellerId of another merchant than the signer"
        return None


def _action_label(action: str | None) -> str:
    if action is None:
        return "(no Action)"
    return action if action.isidentifier() and action.isascii() else ascii(action)


def _encode(params: Iterable[tuple[str, str]], encoding: str) -> str:
    pairs = list(params)
    if encoding == "plus":
        text = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    else:
        text = "&".join(f"{sigv2.rfc3986(k)}={sigv2.rfc3986(v)}" for k, v in pairs)
    if encoding == "bad-escape":
        text += "&%GG=%"
    elif encoding == "bad-utf8":
        text += "&Junk=%FF%FEa%C3"
    return text


# --- the control API -------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlCall:
    """A request to the JSON control API: a path of segments (each percent-encoded when sent),
    query arguments, and a body (JSON as drawn, or raw bytes)."""

    method: str
    route: str
    segments: tuple[Value, ...]
    query: tuple[tuple[str, Value], ...] = ()
    body: JsonValue | bytes | Repeat | None = None
    content_type: str | None = "application/json"
    #: Why this call must be refused whatever the server's state (None: it may succeed).
    refused: str | None = None

    def to_wire(self, world: World) -> Sent:
        path = "/" + "/".join(quote(materialize(s, world), safe="") for s in self.segments)
        query = "&".join(
            f"{quote(k, safe='')}={quote(materialize(v, world), safe='')}" for k, v in self.query
        )
        body = self._body(world)
        headers = [("Host", world.host)]
        if self.content_type is not None and body:
            headers.append(("Content-Type", self.content_type))
        wire = Wire(self.method, path + (f"?{query}" if query else ""), tuple(headers), body)
        # An OPTIONS is answered from the URL map alone, whatever the path's arguments name.
        refused = None if self.method == "OPTIONS" else self.refused
        return Sent("control", f"control {self.method} {self.route}", wire, (), refused)

    def _body(self, world: World) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, Repeat):
            return materialize(self.body, world).encode("utf-8")
        return json_text(self.body, world).encode("ascii")  # json.dumps escapes the rest


def json_text(value: JsonValue, world: World | None) -> str:
    """``value`` as JSON text, its ``Ref``s resolved (``world`` None: there are none) and
    ``RawJson`` tokens written as they are."""
    if isinstance(value, RawJson):
        return value.text
    if isinstance(value, Repeat):
        return json.dumps(value.text * value.count)
    if isinstance(value, Ref):
        if world is None:
            raise ValueError(f"{value} cannot be resolved here")
        return json.dumps(world.resolve(value))
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {json_text(v, world)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(v, world) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "1e400" if value > 0 else "-1e400" if value < 0 else "NaN"
    return json.dumps(value)


# --- reports ---------------------------------------------------------------------------------


def short(text: str, limit: int = 160) -> str:
    """``text`` shortened for a report: a run of one character as ``'x' * n``."""
    if len(text) <= limit:
        return repr(text)
    runs = re.search(r"(.)\1{63,}", text, re.DOTALL)
    if runs:
        start, end = runs.span()
        parts = [short(text[:start], limit // 2)] if start else []
        parts.append(f"{runs.group(1)!r} * {end - start}")
        if end < len(text):
            parts.append(short(text[end:], limit // 2))
        return " + ".join(parts)
    return f"{text[: limit // 2]!r} ... ({len(text)} characters) ... {text[-limit // 4 :]!r}"


def describe(sent: Sent) -> str:
    """The request in a form one can reproduce: request line, headers, parameters, body."""
    wire = sent.wire
    lines = [f"{sent.label}", f"  {wire.method} {short(wire.target, 400)} HTTP/1.1"]
    lines += [f"  {name}: {value}" for name, value in wire.headers]
    if wire.body:
        lines.append(f"  body ({len(wire.body)} bytes): {short(wire.body.decode('latin-1'), 400)}")
    if sent.shown:
        shown = ", ".join(
            f"{k if k.isprintable() else repr(k)}={short(v, 120)}"
            for k, v in sent.shown
            if k != "Signature"
        )
        lines.append(f"  parameters: {shown}")
    if sent.must_fail:
        lines.append(f"  must be refused: {sent.must_fail}")
    return "\n".join(lines)
