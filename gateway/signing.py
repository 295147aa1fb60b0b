"""Server-side verification of signed query requests (Signature Version 2, and 1 where allowed).

Order of checks, each with its own wire error [SRC: reference/amazon-wire.md §1.2, §1.9, §4.2]:
auth parameters present, signature version and method supported, Timestamp within 15 minutes of
the base clock (or Expires not passed and at most 15 minutes ahead), access key known, signature
equal (constant time). The signature is computed with the lowercased Host header as received,
which is what both amazon_pay (host:port) and boto (host without port) sign. A mismatch answer
carries the string to sign the server computed, so an SDK author sees at once what differs.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
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


def parse_timestamp(text: str, name: str = "Timestamp") -> datetime:
    """Any ISO-8601 form the SDKs send (``Z``, ``.000Z``, ``+00:00``, another offset); naive
    means UTC.

    The moment keeps the offset it was given: converting ``0001-01-01T00:00:00+23:59`` or
    ``9999-12-31T23:59:59-23:59`` to UTC leaves the calendar (OverflowError), while subtracting
    two aware datetimes gives a timedelta, which spans any two of them. So a client's time is
    only ever compared by :func:`_seconds_after`.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidParameterValue(
            f"Value {text!r} for parameter {name} is invalid: not an ISO-8601 timestamp."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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


def _host_candidates(host: str) -> list[str]:
    # amazon_pay signs an explicit default port that requests then drops from the Host header
    # (reference §1.2 caveat), so a portless Host also tries the default ports.
    host = host.lower()
    if ":" in host.rsplit("]", 1)[-1]:
        return [host]
    return [host, f"{host}:80", f"{host}:443"]


def verify(
    params: Mapping[str, str],
    *,
    method: str,
    host: str,
    path: str,
    now: datetime,
    secret_for: Callable[[str], tuple[Account, str] | None],
    signature_versions: tuple[str, ...] = ("2",),
) -> Account:
    """Check the request's signature and return the account its access key belongs to."""
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
            sigv2.string_to_sign_v2(method, h, path, params) for h in _host_candidates(host)
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
