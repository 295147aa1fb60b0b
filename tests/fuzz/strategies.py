"""Hypothesis strategies for fuzzed calls, built from the APIs' own schemas and routes.

Signed-query calls: every Action of ``gateway.wire.operations.SERVICE`` and
``gateway.fps.operations.SERVICE`` (and Actions neither has), each of its schema's parameters
valid, hostile or left out, plus unknown and repeated parameters; signed correctly most of the
time (Signature Version 2 as the SDKs sign, HmacSHA1, Version 1), otherwise badly or not at all;
Timestamps and Expires inside and far outside the window and in odd forms; other methods, paths,
content types, broken encodings and bodies up to past the size limit. Control-API calls: every
route of the app's URL map, its path arguments real, someone else's or hostile, its query
arguments and JSON bodies drawn from the marshmallow schemas its OpenAPI operation names
(``gateway.api.openapi``) with wrong types, huge numbers, odd dates and NUL, or bodies that are
not JSON at all.

Drawn values stay small (long ones are ``Repeat``), and which object a call names is a ``Ref``
chosen when it is sent. A call's values are drawn valid first, then none, one or a few of them
are made hostile (``MUTATIONS``): half the calls get past validation and reach the domain and
the database, and a hostile value mostly meets otherwise valid ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st
from marshmallow import Schema, class_registry, fields, validate

from gateway.api.openapi import operation_of
from gateway.api.sandbox import API_PREFIX
from gateway.fps.operations import SERVICE as FPS_SERVICE
from gateway.wire.operations import SERVICE as OFFAMAZON_SERVICE
from gateway.wire.pipeline import Service
from tests.fuzz.calls import (
    FORM,
    FPS_PATH,
    OFFAMAZON_PATHS,
    SIGNINGS_REFUSED,
    TIME_STYLES,
    UNIQUE,
    Clock,
    ControlCall,
    JsonValue,
    QueryCall,
    RawJson,
    Ref,
    Repeat,
    Value,
    json_text,
)

T = TypeVar("T")
SearchStrategy = st.SearchStrategy

# --- hostile values --------------------------------------------------------------------------

#: Longer than every column and limit (16, 32, 64, 128, 255, 512, 1024, 2048 ...).
LONG: list[Value] = [Repeat("A", n) for n in (17, 33, 65, 129, 256, 513, 1025, 2049, 4097, 70_000)]
NASTY_TEXT: list[Value] = [
    "", " ", "\x00", "a\x00b", "\x01", "\x08", "\x1b[31m", "\x7f", "\x85", "\ud7ff", "\ufffe",
    "\uffff", "\U0001f4a9", "<a>&amp;</a>", "]]>", "'\"", "%00", "%", "+", "&", "=", "\u2028",
    "null", "{}", "[]", "\\", "\t", "\r\n", "ＡＢＣ", "İ", "ß", " padded ",
    Repeat("é", 300), Repeat("\U0001f4a9", 600), Repeat("\x00", 40), *LONG,
]  # fmt: skip
NASTY_NUMBERS: list[Value] = [
    "-1", "0", "-0", "0.00", "0.001", "1.005", "1e400", "1E3", "1e-400", "-1e400",
    "99999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "2147483648", "NaN", "Infinity", "-Infinity", "inf", "0x10", "1_000", "１２", "٣", " 1",
    "1 ", "+1", "1,00", "10000000000000000000000000.00", "1.", ".5", Repeat("9", 5000),
]  # fmt: skip
#: Times that no request may be accepted with: out of range, invalid, or years away.
NASTY_TIMES: list[str] = [
    "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00Z", "", "now", "T",
    "2026-11-01T25:00:00Z", "2026-11-01T12:00:00+99:00", "+275760-09-13T00:00:00Z",
    "1970-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "\x00", "2026-11-01T12:00:00Z\x00",
]  # fmt: skip
#: IPN URLs no notification can ever be posted to (issue 11, finding 11): must be refused.
IMPOSSIBLE_URLS = [
    "http://127.0.0.1:99999/ipn", "http://127.0.0.1:0/ipn", "http://999.999.999.999/ipn",
    "http://127.0.0.1:-1/ipn",
]  # fmt: skip
NASTY_URLS: list[Value] = [
    *IMPOSSIBLE_URLS, "http://x:abc/", "http://h:65536/", "http://[::1", "http://[::1]:8/x",
    "ftp://127.0.0.1/", "http://", "javascript:alert(1)", "http://127.0.0.1:9/" + "a" * 3000,
    "http://127.0.0.1:9/\x00", "http://ü.example/", "//127.0.0.1/x",
]  # fmt: skip


def weighted(*choices: tuple[int, SearchStrategy[T]]) -> SearchStrategy[T]:
    """One of ``choices``, each drawn about ``weight`` times in the sum of weights (``one_of``
    would not do: it drops repeated strategies, and so ignores weights)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


def choose(*choices: tuple[int, T]) -> SearchStrategy[T]:
    """One of the values, each drawn about ``weight`` times in the sum of weights (one draw,
    where ``weighted`` takes three)."""
    return st.sampled_from([value for weight, value in choices for _ in range(weight)])


def pick(values: Sequence[T]) -> SearchStrategy[T]:
    return st.sampled_from(list(values))


def sometimes(one_in: int) -> SearchStrategy[bool]:
    """True once in ``one_in`` draws or so."""
    return choose((one_in - 1, False), (1, True))


#: Text a form would carry: no control characters, surrogates or non-characters.
PLAIN = st.characters(exclude_categories=("Cc", "Cs", "Cn", "Co"))
ANY_TEXT = st.text(max_size=20)  # anything at all, NUL and control characters included


@cache
def nasty_text() -> SearchStrategy[Value]:
    return st.one_of(pick(NASTY_TEXT), ANY_TEXT)


def plain_text(max_size: int = 40, min_size: int = 0) -> SearchStrategy[str]:
    return st.text(PLAIN, min_size=min_size, max_size=min(max_size, 40))


def amounts() -> SearchStrategy[str]:
    """0.01 to 50.00: the world's authorizations are of 100.00, its captures of 60.00."""
    return st.integers(1, 5_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")


# --- sandbox simulation notes ----------------------------------------------------------------

_JSON_SCALARS = pick(
    [None, True, False, 0, -1, 1, 99999999999999, 10**30, 1.5, "", "true", "5", "x",
     RawJson("1e400"), RawJson("-1e400"), RawJson("NaN"), RawJson("Infinity"), RawJson("1e3"),
     RawJson("[]"), RawJson("{}")]
)  # fmt: skip
#: Any JSON. Containers hold at least one value (empty ones are among the scalars): hypothesis
#: warns that an ``extend`` which can build something from nothing does not recurse.
JSON_JUNK: SearchStrategy[JsonValue] = st.recursive(
    _JSON_SCALARS,
    lambda kids: (
        st.lists(kids, min_size=1, max_size=3)
        | st.dictionaries(st.text(max_size=4), kids, min_size=1, max_size=3)
    ),
    max_leaves=5,
)
#: The documented simulations per operation [SRC: docs/simulations.md, reference/amazon-wire.md
#: §1.8]: (State, ReasonCode) and the options each takes. Drawn mostly, so that the options'
#: values (the part most easily broken) are reached.
SIMULATIONS: Mapping[str, list[tuple[str | None, str | None, tuple[str, ...]]]] = {
    "Authorize": [
        ("Declined", "InvalidPaymentMethod", ("PaymentMethodUpdateTimeInMins", "SoftDecline")),
        ("Declined", "AmazonRejected", ()),
        ("Declined", "TransactionTimedOut", ()),
        ("Closed", "ExpiredUnused", ("ExpirationTimeInMins",)),
        ("Closed", "AmazonClosed", ()),
    ],
    "Capture": [
        ("Pending", None, ()),
        ("Declined", "AmazonRejected", ()),
        ("Closed", "AmazonClosed", ()),
    ],
    "Refund": [("Declined", "AmazonRejected", ())],
    "CloseOrderReference": [("Closed", "AmazonClosed", ())],
    "SetOrderReferenceDetails": [(None, None, ("Constraint",))],
}
#: Parameters the simulator reads a ``SandboxSimulation`` from, and the operation whose.
NOTE_PARAMETERS = {
    "SellerAuthorizationNote": "Authorize",
    "SellerCaptureNote": "Capture",
    "SellerRefundNote": "Refund",
    "OrderReferenceAttributes.SellerNote": "SetOrderReferenceDetails",
    "ClosureReason": "CloseOrderReference",
    "CancelationReason": "CloseOrderReference",
}
SIMULATION_STATES = ["Declined", "Closed", "Pending", "Open", "Completed", "Suspended", ""]
SIMULATION_REASONS = ["InvalidPaymentMethod", "AmazonRejected", "ExpiredUnused", "Foo"]
SIMULATION_OPTIONS = ["ExpirationTimeInMins", "PaymentMethodUpdateTimeInMins", "SoftDecline"]
#: Option values: good ones, and numbers no clock can add (``1e400``, ``99999999999999``).
OPTION_VALUES: SearchStrategy[JsonValue] = weighted(
    (3, st.integers(0, 120)),
    (1, pick(["true", "false", True, "5", 99999999999999, 10**30, -1, 1.5])),
    (1, pick([RawJson("1e400"), RawJson("1e308"), RawJson("NaN"), RawJson("-0")])),
    (1, JSON_JUNK),
)


CONSTRAINTS: SearchStrategy[JsonValue] = weighted(
    (3, st.just("PaymentMethodNotAllowed")), (1, pick(["AmountNotSet", ""])), (2, JSON_JUNK)
)


def _directive(
    state: JsonValue, reason: JsonValue, options: dict[str, JsonValue]
) -> dict[str, JsonValue]:
    directive = {"State": state, "ReasonCode": reason, **options}
    return {key: value for key, value in directive.items() if value is not None}


def _documented(
    state: str | None, reason: str | None, options: tuple[str, ...]
) -> SearchStrategy[dict[str, JsonValue]]:
    if options == ("Constraint",):
        return st.fixed_dictionaries({"Constraint": CONSTRAINTS})
    optional = dict.fromkeys(options, OPTION_VALUES)
    return st.fixed_dictionaries({}, optional=optional).map(
        lambda chosen: _directive(state, reason, chosen)
    )


@cache
def simulation_notes(operation: str) -> SearchStrategy[str]:
    """``{"SandboxSimulation": {...}}`` notes for ``operation``: its documented ones with odd
    option values, values of the wrong type where strings go, and every wrong shape."""
    documented = st.one_of(
        [
            _documented(state, reason, options)
            for state, reason, options in SIMULATIONS.get(operation, [(None, None, ())])
        ]
    )
    misshapen = st.fixed_dictionaries(
        {},
        optional={
            "State": weighted((2, pick(SIMULATION_STATES)), (1, JSON_JUNK)),
            "ReasonCode": weighted((2, pick(SIMULATION_REASONS)), (1, JSON_JUNK)),
            "Constraint": weighted((1, st.just("PaymentMethodNotAllowed")), (2, JSON_JUNK)),
            **dict.fromkeys(SIMULATION_OPTIONS, OPTION_VALUES),
        },
    )
    document = weighted(
        (4, documented.map(lambda d: {"SandboxSimulation": d})),
        (3, misshapen.map(lambda d: {"SandboxSimulation": d})),
        (1, JSON_JUNK.map(lambda junk: {"SandboxSimulation": junk})),
        (1, st.tuples(documented, JSON_JUNK).map(lambda p: {"SandboxSimulation": p[0], "x": p[1]})),
    )
    texts = pick(["SandboxSimulation", '{"SandboxSimulation":', '{"SandboxSimulation": {}}}'])
    return weighted((12, document.map(lambda d: json_text(d, None))), (1, texts))


# --- signed-query parameters from the operations' schemas ------------------------------------

#: Parameters naming an object, and the kind of object (``world`` pools them per merchant).
ID_PARAMETERS = {
    "AmazonOrderReferenceId": "order",
    "AmazonAuthorizationId": "authorization",
    "AmazonCaptureId": "capture",
    "AmazonRefundId": "refund",
    "TransactionId": "fps-transaction",
    "SenderTokenId": "fps-token",
    "TokenId": "fps-token",
    "AmazonBillingAgreementId": "billing-agreement",
    "Id": "billing-agreement",  # CreateOrderReferenceForId's, with IdType BillingAgreement
}


@cache
def refs(kind: str, role: str = "signer") -> SearchStrategy[Ref]:
    """One of ``role``'s objects of ``kind`` mostly; sometimes the other merchant's."""
    other = "other" if role != "other" else "signer"
    return st.builds(Ref, choose((9, f"{role}:{kind}"), (1, f"{other}:{kind}")), RECENT)


#: Which of the known objects: the newest ones mostly (fuzzed calls close, capture and use up
#: the older ones).
RECENT = weighted((3, choose((8, 0), (4, 1), (2, 2), (1, 3))), (1, st.integers(0, 63)))
#: A reference id never used before (a drawn one repeats, and gets DuplicateReferenceId).
FRESH_REFERENCE = st.integers(0, 9).map(lambda n: Ref(UNIQUE, n))


def _range(field: fields.Field[Any]) -> tuple[Any, Any]:
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            return validator.min, validator.max
    return None, None


#: FPS ``VerifySignature``'s ``HttpParameters``: IPN-like forms. The first gets as far as
#: checking the signature against the ``UrlEndPoint`` (a Version 2 RSA-SHA1 one, in base64).
HTTP_PARAMETERS = [
    "signatureVersion=2&signatureMethod=RSA-SHA1&signature=YWJjZA%3D%3D"
    "&certificateUrl=http%3A%2F%2F127.0.0.1%3A9%2Fc.pem&transactionId=x",
    "a=b",
    "signatureVersion=1&signature=abc",
    "transactionId=x&status=SUCCESS&signature=",
    "%",
    "&&&=",
]


def _is_url(key: str, field: fields.Field[Any]) -> bool:
    return isinstance(field, fields.Url) or key.endswith(("URL", "Url", "UrlEndPoint"))


def valid_value(key: str, field: fields.Field[Any], role: str) -> SearchStrategy[Value]:
    """A value ``field`` accepts, from its type and validators (and what the name says)."""
    if key in ID_PARAMETERS:
        return refs(ID_PARAMETERS[key], role)
    if key.endswith((".Amount", ".Value")):
        return amounts()
    if key.endswith("CurrencyCode"):
        return choose((12, "USD"), (1, "EUR"), (1, "GBP"))
    if isinstance(field, fields.Boolean):
        return pick(["true", "false"])
    if isinstance(field, fields.Integer):
        low, high = _range(field)
        return st.integers(low or 0, 1000 if high is None else high).map(str)
    if isinstance(field, fields.Decimal):
        low, high = _range(field)
        return st.integers(int(low or 0) * 100, int(100 if high is None else high) * 100).map(
            lambda n: f"{n // 100}.{n % 100:02d}"
        )
    if _is_url(key, field):
        return pick(["http://127.0.0.1:9/ipn", "https://localhost/notify", "http://[::1]:8/x"])
    if key == "HttpParameters":
        return choose((5, HTTP_PARAMETERS[0]), *((1, form) for form in HTTP_PARAMETERS[1:]))
    strategy: SearchStrategy[Value] = plain_text()
    if key.endswith("ReferenceId") or key == "CallerReference":
        return weighted((4, FRESH_REFERENCE), (1, plain_text(32, 1).filter(str.isalnum)))
    for validator in field.validators:
        if isinstance(validator, validate.Regexp):
            strategy = st.from_regex(str(validator.regex.pattern), fullmatch=True)
        elif isinstance(validator, validate.OneOf):
            strategy = pick(list(validator.choices))
        elif isinstance(validator, validate.Equal):
            strategy = st.just(str(validator.comparable))
        elif isinstance(validator, validate.Length):
            strategy = plain_text(validator.max or 40, validator.min or 0)
    if key in NOTE_PARAMETERS:
        return weighted((1, strategy), (2, simulation_notes(NOTE_PARAMETERS[key])))
    return strategy


def hostile_value(key: str, field: fields.Field[Any]) -> SearchStrategy[Value]:
    numeric = isinstance(field, fields.Number) or key.endswith((".Amount", ".Value"))
    choices: list[tuple[int, SearchStrategy[Value]]] = [(2, nasty_text())]
    if numeric or key == "TransactionTimeout":
        choices.append((3, pick(NASTY_NUMBERS)))
    if _is_url(key, field):
        choices.append((3, pick(NASTY_URLS)))
    if key in ID_PARAMETERS:
        choices.append((1, pick(["", "S01-0000000-0000000", "P01-0000000-0000000-A000000"])))
    return weighted(*choices)


#: How many values of a call are made hostile: none in half the calls, so that those reach the
#: domain and the database; one, so that a hostile value meets otherwise valid ones; or a few.
MUTATIONS = choose((10, 0), (7, 1), (2, 2), (1, 4))


def field_parameter(
    key: str, field: fields.Field[Any], role: str
) -> SearchStrategy[tuple[str, Value] | None]:
    """One parameter, valid or left out (required ones seldom)."""
    valid = valid_value(key, field, role).map(lambda v: (key, v))
    left_out: SearchStrategy[tuple[str, Value] | None] = st.none()
    if field.required:
        return weighted((19, valid), (1, left_out))
    return weighted((4, valid), (5, left_out))


@cache
def _hostile_parameters(api: str, action: str) -> SearchStrategy[tuple[str, Value]]:
    schema = (OFFAMAZON if api == "offamazon" else FPS).service.operations[action].schema
    return st.one_of(
        [
            st.tuples(st.just(field.data_key or name), hostile_value(field.data_key or name, field))
            for name, field in schema.fields.items()
        ]
        or [st.tuples(st.just("Foo"), nasty_text())]
    )


@cache
def operation_parameters(
    api: str, action: str, role: str
) -> SearchStrategy[list[tuple[str, Value]]]:
    """The parameters of ``action``, from its schema, valid and then ``MUTATIONS`` of them made
    hostile (made once per action and role)."""
    schema = (OFFAMAZON if api == "offamazon" else FPS).service.operations[action].schema
    valid = st.tuples(
        *[field_parameter(f.data_key or name, f, role) for name, f in schema.fields.items()]
    ).map(lambda items: [item for item in items if item is not None])
    hostile = _hostile_parameters(api, action)
    return st.tuples(
        valid, MUTATIONS.flatmap(lambda n: st.lists(hostile, min_size=n, max_size=n))
    ).map(lambda p: list({**dict(p[0]), **dict(p[1])}.items()))


JUNK_NAMES: list[str] = [
    "Foo", "action", "amazonorderreferenceid", "", "\x00", "Signature ", "A.B.C", "SellerID",
    "OrderReferenceAttributes.OrderTotal.Amount.Extra", "Padding", "%", "ä", "AWSAccessKeyId2",
]  # fmt: skip
extra_parameters = weighted(
    (4, st.just([])),
    (
        1,
        st.lists(
            st.tuples(weighted((3, pick(JUNK_NAMES)), (1, ANY_TEXT)), nasty_text()), max_size=2
        ),
    ),
)


@dataclass(frozen=True, eq=False)
class Api:
    """What draws differ by between the two signed-query APIs."""

    name: str
    service: Service
    paths: tuple[str, ...]
    odd_paths: tuple[str, ...]
    methods: tuple[tuple[int, str], ...]
    versions: tuple[str, ...]
    #: Actions of the other API and near-misses: Actions this one must refuse.
    foreign_actions: tuple[str, ...]


LONG_SEGMENT = "A" * 5000  # a request line past gunicorn's 4,094 bytes
OFFAMAZON = Api(
    "offamazon",
    OFFAMAZON_SERVICE,
    OFFAMAZON_PATHS,
    (
        "/OffAmazonPayments_Sandbox/2013-01-01/",
        "/OffAmazonPayments_Sandbox//2013-01-01",
        "/OffAmazonPayments_Sandbox/2013-01-01%00",
        "/OffAmazonPayments_Sandbox/2013-01-02",
        "//OffAmazonPayments_Sandbox/2013-01-01",
        "/offamazonpayments_sandbox/2013-01-01",
        "/OffAmazonPayments_Sandbox/%E2%80%A8",
        "/OffAmazonPayments_Sandbox/" + LONG_SEGMENT,
        "/OffAmazonPayments_Sandbox/%FF%FE",
        "/OffAmazonPayments_Sandbox/2013-01-01/../2013-01-01",
        "/OffAmazonPayments_Sandbox",
        "/OffAmazonPayments_Sandbox/%01",
        "/nowhere",
        "/static/x",
    ),
    (
        (14, "POST"),
        (4, "GET"),
        (1, "PUT"),
        (1, "DELETE"),
        (1, "PATCH"),
        (1, "OPTIONS"),
        (1, "HEAD"),
    ),
    ("2013-01-01",),
    ("Pay", "GetTransactionStatus", "authorize", "Authorize\x00", "GetOrderReferenceDetails "),
)
FPS = Api(
    "fps",
    FPS_SERVICE,
    (FPS_PATH,),
    ("/%00", "//", "/index.html", "/" + LONG_SEGMENT, "/%01", "/?", "/FPS", "/%FF"),
    (
        (14, "GET"),
        (4, "POST"),
        (1, "PUT"),
        (1, "DELETE"),
        (1, "PATCH"),
        (1, "OPTIONS"),
        (1, "HEAD"),
    ),
    FPS_SERVICE.versions,
    ("Authorize", "GetServiceStatus", "pay", "Pay\x00", "RefundX"),
)


@cache
def clocks() -> SearchStrategy[Clock]:
    inside = st.builds(
        Clock,
        name=st.just("Timestamp"),
        offset=pick([0.0, 0.0, 0.0, -300.0, 300.0, -60.0]),
        style=choose((6, "sdk"), *((1, style) for style in sorted(TIME_STYLES))),
    )
    outside = st.builds(
        Clock,
        name=st.just("Timestamp"),
        offset=pick([-1200.0, 1200.0, -86_400.0, 3e8, -6e10]),
    )
    expires = st.builds(
        Clock,
        name=st.just("Expires"),
        offset=pick([60.0, 600.0, -60.0, -3600.0, 1200.0, 86_400.0 * 365 * 7000]),
    )
    literal = st.builds(Clock, name=pick(["Timestamp", "Expires"]), literal=pick(NASTY_TIMES))
    odd = pick([Clock(name=None), Clock(name="both", offset=60.0)])
    return weighted((30, inside), (2, outside), (3, expires), (4, literal), (1, odd))


@dataclass(frozen=True)
class _QueryParts:
    """The strategies one signed-query call is drawn from (made once per API)."""

    action: SearchStrategy[str | None]
    role: SearchStrategy[str]
    version: SearchStrategy[Value | None]
    seller: dict[str, SearchStrategy[Value | None]]
    repeat: SearchStrategy[bool]
    padding: SearchStrategy[int | None]
    method: SearchStrategy[str]
    unusual_placement: SearchStrategy[bool]
    content_type: SearchStrategy[str | None]
    path: SearchStrategy[str]
    signing: SearchStrategy[str]
    encoding: SearchStrategy[str]


@cache
def _query_parts(api: Api) -> _QueryParts:
    def seller(role: str) -> SearchStrategy[Value | None]:
        return weighted(
            (12, st.just(Ref(f"{role}:seller"))),
            (1, pick([Ref("signer:seller"), Ref("other:seller")])),
            (1, nasty_text()),
            (1, st.none()),
        )

    v1 = 3 if api.name == "fps" else 1
    return _QueryParts(
        action=weighted(
            (30, pick(sorted(api.service.operations))),
            (2, pick(api.foreign_actions)),
            (1, ANY_TEXT),
            (1, st.none()),
        ),
        role=choose((12, "signer"), (1, "other")),
        version=weighted((12, pick(api.versions)), (1, st.none()), (1, nasty_text())),
        seller={role: seller(role) for role in ("signer", "other")},
        repeat=sometimes(40),
        padding=choose((90, None), (1, 5_000), (1, 10_000), (1, 1_100_000)),
        method=choose(*api.methods),
        unusual_placement=sometimes(30),
        content_type=choose(
            (20, FORM),
            (3, FORM + "; charset=UTF-8"),
            *(
                (1, t)
                for t in (None, "text/plain", "application/json", "multipart/form-data; boundary=x")
            ),
        ),
        path=choose(
            *((15 * len(api.odd_paths), path) for path in api.paths),
            *((1, path) for path in api.odd_paths),
        ),
        signing=choose(
            (80, "v2"),
            (6, "v2-sha1"),
            (2 * v1, "v1"),
            *((1, refused) for refused in SIGNINGS_REFUSED),
        ),
        encoding=choose((14, "rfc3986"), (4, "plus"), (1, "bad-escape"), (1, "bad-utf8")),
    )


@st.composite
def query_calls(draw: st.DrawFn, api: Api) -> QueryCall:
    """One signed-query call to ``api``."""
    parts = _query_parts(api)
    operations = api.service.operations
    action = draw(parts.action)
    known_action = action in operations
    role = draw(parts.role)
    schema_of = action if action in operations else draw(pick(sorted(operations)))
    params = draw(operation_parameters(api.name, schema_of, role))
    service: list[tuple[str, Value]] = []
    version = draw(parts.version)
    if version is not None:
        service.append(("Version", version))
    if api.name == "offamazon":
        seller = draw(parts.seller[role])
        if seller is not None:
            service.append(("SellerId", seller))
    params = service + params + draw(extra_parameters)
    if draw(parts.repeat) and params:
        params.append((params[0][0], draw(nasty_text())))  # a name given twice
    padding = draw(parts.padding)
    if padding is not None:
        params.append(("Padding", Repeat("A", padding)))
    method = draw(parts.method)
    placement = "query" if method in ("GET", "HEAD") else "body"
    if draw(parts.unusual_placement):
        placement = "body" if placement == "query" else "query"
    return QueryCall(
        api=api.name,  # type: ignore[arg-type]
        action=action,
        method=method,
        path=draw(parts.path),
        params=tuple(params),
        signing=draw(parts.signing),
        role=role,
        clock=draw(clocks()),
        placement=placement,  # type: ignore[arg-type]
        encoding=draw(parts.encoding),
        content_type=draw(parts.content_type),
        known_action=known_action,
        known_version=(version is None and api.name == "offamazon") or version in api.versions,
    )


# --- the control API ---------------------------------------------------------------------------

#: Path arguments of control routes and the kind of object each names (``amazon_id`` below
#: ``/billing-agreements`` names a billing agreement).
PATH_ARGUMENTS = {
    "seller_id": "seller",
    "amazon_id": "order",
    "dispute_id": "dispute",
    "notification_id": "notification",
    "transaction_id": "fps-transaction",
    "order_id": "order",
}
#: Control routes never fuzzed: a reset of the whole sandbox would delete the merchants every
#: other call signs with (the per-merchant reset is fuzzed, on the controlled merchant).
NOT_FUZZED = frozenset({"sandbox_state.reset_all"})
NASTY_SEGMENTS: list[Value] = [
    "\x00", "%", "..", ".", "NOSUCH", "0", "-1", "2147483648", "9223372036854775808",
    "99999999999999999999999", "1e3", " ", "é", "\u2028", "A/B", "\x01", Repeat("A", 300),
    Repeat("A", 5000),
]  # fmt: skip
#: Past int4 and int8, and what werkzeug's int converter refuses (a 404 then).
NASTY_INTEGER_SEGMENTS: list[Value] = [
    "0", "2147483648", "9223372036854775808", "99999999999999999999999", "-1", "1e3", "01", "\x00",
]  # fmt: skip
UNROUTED: list[tuple[str, ...]] = [
    ("sandbox", "api", "v1", "nosuch"), ("sandbox", "api", "v1", "health", "x"),
    ("sandbox", "api", "v1", "merchants", "{seller_id}", "clock", "x"), ("sandbox", "api", "v1", "merchants", "{seller_id}", "nosuch"),
    ("sandbox", "api", "v1", "merchants", "{seller_id}", "fps"),
]  # fmt: skip
CONTROL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


@dataclass(frozen=True)
class Endpoint:
    """What one method of a control route takes: its view, and the marshmallow schemas of its
    JSON body and query string as its OpenAPI operation names them (None: it takes none)."""

    name: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    #: The operation has a request body (named by a schema or described inline).
    takes_body: bool = False


@dataclass(frozen=True)
class Route:
    """A control-API path: its rule and what each method of it takes."""

    rule: str
    endpoints: tuple[tuple[str, Endpoint], ...]

    @property
    def methods(self) -> frozenset[str]:
        return frozenset(method for method, _ in self.endpoints)

    def endpoint(self, method: str) -> Endpoint:
        return dict(self.endpoints).get(method) or Endpoint("")


def _schema_class(node: object) -> type[Schema] | None:
    """The marshmallow class an OpenAPI ``schema:`` names (as apispec resolves it), or None for
    an inline one."""
    if isinstance(node, str):
        found = class_registry.get_class(node)
        return found if isinstance(found, type) and issubclass(found, Schema) else None
    return None


def _endpoint(app: Any, rule: Any, method: str) -> Endpoint:
    operation = operation_of(app.view_functions[rule.endpoint], rule, method)
    content = operation.get("requestBody", {}).get("content", {})
    body = _schema_class(content.get("application/json", {}).get("schema"))
    queries = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    query = _schema_class(queries[0].get("schema")) if queries else None
    return Endpoint(rule.endpoint, body, query, "requestBody" in operation)


def control_routes(app: Any) -> tuple[Route, ...]:
    """The JSON control API's routes (``/sandbox/api/v1``; the dashboard's HTML pages beside it
    are another surface), read from the app's URL map, each method with the schemas its
    OpenAPI operation names (``gateway.api.openapi``): new routes are fuzzed with their own
    schemas. Rules of one path (``GET`` and ``PUT`` of ``/fps/account``) are one route."""
    by_rule: dict[str, dict[str, Endpoint]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX) or rule.endpoint in NOT_FUZZED:
            continue
        for method in rule.methods or ():
            endpoint = Endpoint(rule.endpoint)
            if method not in ("HEAD", "OPTIONS"):
                endpoint = _endpoint(app, rule, method)
            by_rule.setdefault(rule.rule, {})[method] = endpoint
    return tuple(Route(rule, tuple(sorted(e.items()))) for rule, e in sorted(by_rule.items()))


def _segments(template: str) -> list[tuple[str, str | None]]:
    """``/a/<int:b>`` as ``[("a", None), ("b", "b")]`` (literal text, or the argument's name)."""
    out: list[tuple[str, str | None]] = []
    for part in template.strip("/").split("/"):
        if part.startswith("<") and part.endswith(">"):
            out.append((part, part[1:-1].split(":")[-1]))
        elif part.startswith("{") and part.endswith("}"):
            out.append((part, part[1:-1]))
        else:
            out.append((part, None))
    return out


_WILD_NUMBERS: list[JsonValue] = [
    1e308, -1e308, 10**20, -(10**20), 2**63, 0.5, "5", True,
    RawJson("1e400"), RawJson("NaN"), RawJson("-Infinity"),
]  # fmt: skip


def json_field(name: str, field: fields.Field[Any]) -> SearchStrategy[JsonValue]:
    """A value for a JSON body's ``field``: valid mostly, else the wrong type or hostile."""
    hostile: SearchStrategy[JsonValue] = weighted((2, JSON_JUNK), (2, nasty_text()))
    valid: SearchStrategy[JsonValue]
    if isinstance(field, fields.Nested):
        nested = field.schema
        valid = schema_json(type(nested)) if isinstance(nested, Schema) else st.just({})
    elif name in ("amazon_order_reference_id", "amazon_capture_id"):
        valid = refs("order" if name == "amazon_order_reference_id" else "capture", "controlled")
    elif name in ("amount", "fee_fixed", "max_transaction_amount", "total_amount"):
        valid = amounts()
        hostile = weighted((1, hostile), (2, pick(NASTY_NUMBERS)))
    elif isinstance(field, fields.Email):
        valid = pick(["buyer@example.com", "a.b+c@example.org"])
        hostile = weighted((1, hostile), (1, st.just("a" * 300 + "@example.com")))
    elif isinstance(field, fields.Url):
        valid = pick(["http://127.0.0.1:9/ipn", "https://localhost/notify", None])
        hostile = weighted((1, hostile), (2, pick(NASTY_URLS)))
    elif isinstance(field, fields.AwareDateTime):
        valid = pick(["2030-01-01T00:00:00Z", "2030-01-01T00:00:00+01:00"])
        hostile = weighted((1, hostile), (2, pick(NASTY_TIMES)))
    elif isinstance(field, fields.Boolean):
        valid = st.booleans()
    elif isinstance(field, fields.Integer | fields.Float | fields.Decimal):
        low, high = _range(field)
        low = -1e6 if low is None else low
        high = 1e6 if high is None else high
        if isinstance(field, fields.Integer):
            valid = st.integers(int(low), int(high))
        elif isinstance(field, fields.Decimal):
            valid = st.integers(int(low) * 100, int(high) * 100).map(lambda n: f"{n / 100:.2f}")
        else:
            valid = st.floats(float(low), float(high))
        hostile = weighted((1, hostile), (2, pick(_WILD_NUMBERS)))
    else:
        valid = valid_value(name, field, "controlled")
    return weighted((4, valid), (1, hostile))


@cache
def schema_json(schema: type[Schema]) -> SearchStrategy[dict[str, JsonValue]]:
    """A JSON object for ``schema``: its fields (required ones nearly always), sometimes an
    unknown one."""
    instance = schema()
    required = {n: json_field(n, f) for n, f in instance.fields.items() if f.required}
    optional = {n: json_field(n, f) for n, f in instance.fields.items() if not f.required}
    full = st.fixed_dictionaries(required, optional=optional)
    partial = st.fixed_dictionaries({}, optional={**required, **optional})
    unknown = st.tuples(full, st.text(max_size=8), JSON_JUNK).map(lambda t: {**t[0], t[1]: t[2]})
    return weighted((8, full), (1, partial), (1, unknown))


NASTY_BODIES: list[bytes | Repeat] = [
    b"", b" ", b"null", b"[]", b"123", b'"x"', b"{", b"{}}", b"\xff\xfe\x00", b'{"a": NaN}',
    b'{"seconds": Infinity}', b'{"x": "\\ud800"}', b'{"x": "\\u0000"}',
    b'{"seconds": ' + b"9" * 5000 + b"}", Repeat("[", 100_000), Repeat('{"a":', 50_000),
    Repeat(" ", 100_000), Repeat("A", 1_100_000),
]  # fmt: skip
CONTROL_TYPES = [
    None, "text/plain", FORM, "application/json; charset=latin-1", "application/vnd.api+json",
    "multipart/form-data; boundary=x",
]  # fmt: skip
WAIT_TIMEOUTS = ["0", "0.01", "-1", "nan", "inf", "61", "abc", "", "1e400"]
WAIT_STATES = ["Open", "Closed", "Completed", "Pending", "Declined", "Draft"]


@dataclass(frozen=True)
class _ControlParts:
    """The strategies one control-API call is drawn from (made once)."""

    unrouted: SearchStrategy[bool]
    seller_role: SearchStrategy[str]
    foreign_owner: SearchStrategy[bool]
    hostile_segment: SearchStrategy[bool]
    usual_method: SearchStrategy[bool]
    body_of_schema: SearchStrategy[str]
    body_without_schema: SearchStrategy[str]
    content_type: SearchStrategy[str | None]
    junk_query: SearchStrategy[list[tuple[str, Value]]]
    objects: dict[str, SearchStrategy[Value]]
    wait_timeout: SearchStrategy[str | None]
    wait_state: SearchStrategy[Value]
    often: SearchStrategy[bool]


@cache
def _control_parts() -> _ControlParts:
    objects = {
        role: weighted((6, refs("object", role)), (1, nasty_text()))
        for role in ("controlled", "other")
    }
    return _ControlParts(
        unrouted=sometimes(20),
        seller_role=choose((12, "controlled"), (1, "other")),
        foreign_owner=sometimes(13),
        hostile_segment=sometimes(7),
        usual_method=choose((12, True), (1, False)),
        body_of_schema=choose((5, "schema"), (1, "junk"), (2, "raw")),
        body_without_schema=choose((8, "none"), (1, "junk"), (1, "raw")),
        content_type=choose(
            (6 * len(CONTROL_TYPES), "application/json"), *((1, t) for t in CONTROL_TYPES)
        ),
        junk_query=st.lists(st.tuples(pick(JUNK_NAMES), nasty_text()), max_size=1),
        objects=objects,
        wait_timeout=weighted((8, pick(WAIT_TIMEOUTS)), (1, st.none())),
        wait_state=weighted((4, pick(WAIT_STATES)), (1, nasty_text())),
        often=choose((8, True), (1, False)),
    )


def _refused_url(body: object) -> bool:
    return isinstance(body, dict) and body.get("ipn_url") in IMPOSSIBLE_URLS


@st.composite
def control_calls(draw: st.DrawFn, routes: Sequence[Route]) -> ControlCall:
    """One call to the control API: a route of the URL map (or none), its arguments and body."""
    parts = _control_parts()
    unrouted = draw(parts.unrouted)
    route = Route("/" + "/".join(draw(pick(UNROUTED))), ()) if unrouted else draw(pick(routes))
    refused: list[str] = ["no such route"] if unrouted else []
    seller_role = "controlled"
    segments: list[Value] = []
    for literal, argument in _segments(route.rule):
        if argument is None:
            segments.append(literal)
            continue
        kind = PATH_ARGUMENTS.get(argument, argument)
        if argument == "amazon_id" and "/billing-agreements/" in route.rule:
            kind = "billing-agreement"
        if kind == "seller":
            seller_role = owner = draw(parts.seller_role)
        else:
            owner = "signer" if draw(parts.foreign_owner) else seller_role
        value: Value = Ref(f"{owner}:{kind}", draw(st.integers(0, 63)))
        if draw(parts.hostile_segment):
            value = draw(
                pick(NASTY_INTEGER_SEGMENTS if literal.startswith("<int") else NASTY_SEGMENTS)
            )
            refused.append(f"{argument} {value!r}")
        elif owner != seller_role:
            refused.append(f"{argument} of another merchant")
        segments.append(value)
    usual = sorted(route.methods - {"HEAD", "OPTIONS"}) or ["GET"]
    method = draw(pick(usual) if draw(parts.usual_method) else pick(CONTROL_METHODS))
    if not unrouted and method not in route.methods | {"OPTIONS"}:
        refused.append(f"method {method}")
    endpoint = route.endpoint(method)
    query = draw(_control_query(endpoint, seller_role)) + draw(parts.junk_query)
    schema = endpoint.body
    shape = draw(parts.body_of_schema if endpoint.takes_body else parts.body_without_schema)
    body: JsonValue | bytes | Repeat | None = None
    if shape == "schema":
        body = draw(schema_json(schema)) if schema is not None else draw(JSON_JUNK)
    elif shape == "junk":
        body = draw(JSON_JUNK)
    elif shape == "raw":
        body = draw(pick(NASTY_BODIES))
    if _refused_url(body):
        refused.append("an ipn_url no notification can be posted to")
    return ControlCall(
        method=method,
        route=route.rule,
        segments=tuple(segments),
        query=tuple(query),
        body=body,
        content_type=draw(parts.content_type),
        refused="; ".join(refused) or None,
    )


@st.composite
def _control_query(draw: st.DrawFn, endpoint: Endpoint, role: str) -> list[tuple[str, Value]]:
    """The query arguments ``endpoint`` reads, from its query schema. A wait never lasts: its
    timeout is tiny or invalid, or (the default is 10 s) its object one that does not exist."""
    parts = _control_parts()
    if endpoint.query is None:
        return []
    if "timeout" not in endpoint.query().fields:
        return list(draw(query_arguments(endpoint.query)).items())
    query: list[tuple[str, Value]] = []
    object_id = draw(parts.objects[role])
    timeout = draw(parts.wait_timeout)
    if timeout is None and isinstance(object_id, Ref):
        object_id = "NO-SUCH-OBJECT"
    if draw(parts.often):
        query.append(("object_id", object_id))
    if draw(parts.often):
        query.append(("state", draw(parts.wait_state)))
    if timeout is not None:
        query.append(("timeout", timeout))
    if draw(st.booleans()):
        query.append(("acknowledged", draw(pick(["true", "false", "1", "x"]))))
    return query


@cache
def query_arguments(schema: type[Schema]) -> SearchStrategy[dict[str, Value]]:
    """Query arguments for ``schema``'s fields, each left out, valid or hostile."""
    arguments: dict[str, SearchStrategy[Value]] = {}
    for name, field in schema().fields.items():
        key = field.data_key or name
        valid = (
            refs("object", "controlled")
            if key == "object_id"
            else valid_value(key, field, "controlled")
        )
        arguments[key] = weighted(
            (3, valid), (1, hostile_value(key, field)), (1, pick(NASTY_NUMBERS))
        )
    return st.fixed_dictionaries({}, optional=arguments)


def every_api(routes: Sequence[Route]) -> SearchStrategy[QueryCall | ControlCall]:
    """Calls to both emulated APIs and the control API, about a third each (hypothesis draws
    the third choice a little less often than the others)."""
    return weighted((2, query_calls(OFFAMAZON)), (2, query_calls(FPS)), (3, control_calls(routes)))
