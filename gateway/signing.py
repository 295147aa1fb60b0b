"""Server-side verification of signed query requests (Signature Version 2, and 1 where allowed).

Order of checks, each with its own wire error [SRC: reference/amazon-wire.md §1.2, §1.9, §4.2]:
auth parameters present, signature version and method supported, Timestamp within 15 minutes of
the base clock (or Expires not passed and at most 15 minutes ahead), access key known, signature
equal (constant time). The signature is checked over the hosts of :func:`signing_hosts`: the
lowercased Host header as received first, which is what both amazon_pay (host:port) and boto
(host without port) sign. A mismatch answer carries the string to sign the server computed over
that first host, so an SDK author sees at once what differs.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from clients import sigv2
from gateway.errors import (
    InvalidAccessKeyId,
    InvalidParameterValue,
    MissingParameter,
    RequestExpired,
    SignatureDoesNotMatch,
)

#: How far a request's Timestamp may be from the server's time (reference §1.2).
TIMESTAMP_WINDOW = timedelta(minutes=15)

Account = TypeVar("Account")


#: The date-time forms accepted in Timestamp and Expires: MWS's profile of ISO 8601
#: [SRC: MWS developer guide, "ISO 8601 use in Amazon MWS" (DG_ISO8601) and "Working with
#: timestamps"]: a full calendar date, ``T``, hours, minutes and seconds (no truncated forms),
#: an optional fraction after ``.`` or ``,``, and an optional zone: ``Z`` or an offset of ``±hh``,
#: ``±hhmm`` or ``±hh:mm`` (MWS's own example is ``2009-02-23T18:12:22.093-07``). ``T`` and
#: ``Z`` may be lowercase as RFC 3339 §5.6 allows: a Node client merchants run
#: (npm ``amazon-payments``) sends ``2026-12-02T00:17:00z`` and works against Amazon. A space
#: for ``T`` is refused: the MWS guide calls ``T`` a required delimiter.
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?)?",
    re.ASCII,
)


def parse_timestamp(text: str, name: str = "Timestamp") -> datetime:
    """A Timestamp or Expires in any form of :data:`_DATE_TIME`; with no zone, UTC.

    UNCONFIRMED: what Amazon makes of a time with no zone. The MWS guide's sentence on it is
    cut off in every copy found, and python-amazon-mws (PyPI ``mws``) sends its Timestamp with
    none (``datetime.utcnow().isoformat()``); UTC is what that client means.

    The moment keeps the offset it was given: converting ``0001-01-01T00:00:00+23:59`` or
    ``9999-12-31T23:59:59-23:59`` to UTC leaves the calendar (OverflowError), while subtracting
    two aware datetimes gives a timedelta, which spans any two of them. So a client's time is
    only ever compared by :func:`_seconds_after`.
    """
    match = _DATE_TIME.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}")
        if match["fraction"]:
            # Digits past the microsecond are dropped, not rounded (nothing depends on them).
            moment = moment.replace(microsecond=int(match["fraction"][:6].ljust(6, "0")))
        return moment.replace(tzinfo=_zone(match))
    except ValueError:
        raise InvalidParameterValue(
            f"Value {text!r} for parameter {name} is invalid: not an ISO-8601 timestamp "
            "(write YYYY-MM-DDThh:mm:ssZ)."
        ) from None


def _zone(match: re.Match[str]) -> timezone:
    if match["sign"] is None:
        return UTC  # "Z", "z", or no zone at all
    offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"] or 0))
    return timezone(-offset if match["sign"] == "-" else offset)  # ValueError past 23:59


def _seconds_after(moment: datetime, now: datetime) -> float:
    """How far ``moment`` (a client's, any offset) is after ``now``; negative when before."""
    return (moment - now).total_seconds()


def _check_time(params: Mapping[str, str], now: datetime) -> None:
    """Timestamp within 15 minutes of ``now`` either way, or Expires not passed and not more than
    15 minutes ahead [SRC: reference/amazon-wire.md §1.2; MWS "Working with timestamps"]."""
    window = TIMESTAMP_WINDOW.total_seconds()
    minutes = int(window // 60)
    server_time = sigv2.timestamp(now)
    if "Timestamp" in params and "Expires" in params:
        # UNCONFIRMED for MWS: AWS's query APIs take "either Timestamp or Expires, but not
        # both" (their common parameters); answering which one counts would be a guess.
        raise InvalidParameterValue(
            "The parameters Timestamp and Expires were both given; send one of them."
        )
    if "Timestamp" in params:
        if abs(_seconds_after(parse_timestamp(params["Timestamp"]), now)) > window:
            raise RequestExpired(
                f"Request has expired. Timestamp date is {params['Timestamp']}; the server time "
                f"is {server_time} and requests are accepted within {minutes} minutes of it."
            )
    elif "Expires" in params:
        left = _seconds_after(parse_timestamp(params["Expires"], "Expires"), now)
        if left < 0:
            raise RequestExpired(
                f"Request has expired. Expires date is {params['Expires']}; the server time "
                f"is {server_time}."
            )
        if left > window:
            # UNCONFIRMED: how far ahead MWS lets Expires be. Without a bound, a request signed
            # with Expires=9999-12-31T23:59:59Z could be replayed forever; a Timestamp is
            # honoured for 15 minutes, and so is an Expires here, at most.
            raise InvalidParameterValue(
                f"Value {params['Expires']!r} for parameter Expires is invalid: it is more than "
                f"{minutes} minutes after the server time {server_time}."
            )
    else:
        raise MissingParameter(
            "The parameter Timestamp or Expires is required but was not supplied."
        )


#: The scheme's default port, which a client may spell in the host it signs while its HTTP
#: library leaves it out of the Host header (reference §1.2 caveat: amazon_pay signs the netloc
#: of its endpoint as configured, ``requests`` drops ``:443``).
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def signing_hosts(host: str, scheme: str, published: tuple[str, ...]) -> list[str]:
    """The hosts a signature is checked over, in order, each once.

    1. The Host header as received, lowercased: what amazon_pay and boto sign.
    2. The same host without its port: clients that sign the URL's host name and leave a
       non-default port out (npm ``amazon-payments`` signs ``url.parse(endpoint).hostname``).
       Where the Host header has no port, the host with the scheme's default port instead.
    3. Amazon's published host names for the API (``published``): what a client signs when a
       hosts-file entry or a proxy routes Amazon's name to the simulator and the Host header
       says something else [SRC: reference/amazon-wire.md §1.1 (MWS hosts), §4.1 (FPS hosts)].

    Nothing else: a signature over any other host is refused.
    """
    sent = host.lower()
    name, port = _split_port(sent)
    variants = [sent, name if port else f"{name}:{_DEFAULT_PORTS.get(scheme, '')}".rstrip(":")]
    return list(dict.fromkeys([*variants, *published]))


def _split_port(host: str) -> tuple[str, str]:
    """``host`` as (name, port); port empty when there is none (``[::1]`` is a name)."""
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and not name.endswith(":"):
        return name, port
    return host, ""


def verify(
    params: Mapping[str, str],
    *,
    method: str,
    host: str,
    scheme: str,
    path: str,
    now: datetime,
    secret_for: Callable[[str], tuple[Account, str] | None],
    signature_versions: tuple[str, ...] = ("2",),
    published_hosts: tuple[str, ...] = (),
) -> Account:
    """Check the request's signature and return the account its access key belongs to.

    ``host`` is the Host header and ``scheme`` the request's (``http``/``https``); the signature
    may be over any host of :func:`signing_hosts` with ``published_hosts``.
    """
    for name in ("AWSAccessKeyId", "Signature", "SignatureVersion"):
        if not params.get(name):
            raise MissingParameter(f"The parameter {name} is required but was not supplied.")
    version = params["SignatureVersion"]
    if version not in signature_versions:
        raise InvalidParameterValue(
            f"Value {version!r} for parameter SignatureVersion is invalid: "
            f"supported versions are {', '.join(signature_versions)}."
        )
    signature_method = params.get("SignatureMethod", "HmacSHA256" if version == "2" else "HmacSHA1")
    if version == "2" and signature_method not in sigv2.SIGNATURE_METHODS:
        raise InvalidParameterValue(
            f"Value {signature_method!r} for parameter SignatureMethod is invalid: "
            "use HmacSHA256 or HmacSHA1."
        )
    _check_time(params, now)
    found = secret_for(params["AWSAccessKeyId"])
    if found is None:
        raise InvalidAccessKeyId(
            f"The AWS Access Key Id {params['AWSAccessKeyId']} does not exist in our records."
        )
    account, secret = found
    given = params["Signature"].encode("utf-8")
    if version == "1":
        candidates = iter([sigv2.string_to_sign_v1(params)])
        digest = "sha1"
    else:
        # Made one at a time: the host as sent is the one that matches nearly always.
        candidates = (
            sigv2.string_to_sign_v2(method, signed_host, path, params)
            for signed_host in signing_hosts(host, scheme, published_hosts)
        )
        digest = sigv2.SIGNATURE_METHODS[signature_method]
    first = None
    for string_to_sign in candidates:
        first = first or string_to_sign
        expected = sigv2.hmac_base64(secret, string_to_sign, digest).encode("utf-8")
        if hmac.compare_digest(expected, given):
            return account
    mismatch = SignatureDoesNotMatch(
        SignatureDoesNotMatch.default_message
        + f" The string to sign the server computed (Signature Version {version}, "
        f"{signature_method if version == '2' else 'HmacSHA1'}) was: {first!r}"
    )
    mismatch.string_to_sign = first
    raise mismatch
