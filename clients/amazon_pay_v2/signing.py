"""Amazon Pay API v2 request signing and verification (RSASSA-PSS over a canonical request).

One definition for both sides: the client here signs with it and the simulator verifies with it
(the canonical request it expected goes into its error message). Standard library only at import;
``cryptography`` is imported by the functions that sign or verify, so importing this module costs
a web worker nothing.

The scheme [SRC: reference/amazon-pay-v2.md §4; the Node SDK's src/clientHelper.js ``signHeaders``,
the PHP SDK's Client.php ``createSignature``]::

    canonical request = METHOD \\n canonical URI \\n canonical query \\n
                        (lowercase-name:value \\n, for each signed header) \\n
                        SignedHeaders \\n hex(SHA-256(body))
    string to sign    = <algorithm> \\n hex(SHA-256(canonical request))
    signature         = base64(RSASSA-PSS(SHA-256, MGF1-SHA-256, salt 20 or 32))
    authorization     = <algorithm> PublicKeyId=<id>, SignedHeaders=<a;b;c>, Signature=<base64>

What the official SDKs send differently, and a verifier must accept (the rebuilt request always
follows the request's own ``SignedHeaders``, in its order and spelling):

- Node signs every header it sends (``user-agent``, the caller's idempotency key ...) and lists
  them sorted case-insensitively *in the caller's spelling*; PHP signs a fixed, lowercased list.
- ``x-amz-pay-date``: ``2024-01-01T12:00:00Z`` (Node) or ``20240101T120000Z`` (PHP); the value is
  signed as sent, :func:`parse_pay_date` reads both.
- ``x-amz-pay-host``: Node's is the override string with its port, PHP's the URL's host without
  one; signed as sent (:func:`same_host` compares it with the host the request reached).
- The .NET SDK appends ``/`` to every path: the canonical URI is the path as sent.
- The canonical query: PHP encodes values with ``rawurlencode`` (RFC 3986), Node with
  ``encodeURIComponent`` (which keeps ``!'()*``); a verifier tries both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from clients.errors import ClientError

if TYPE_CHECKING:
    from typing import TypeAlias

    from cryptography.hazmat.primitives.asymmetric import rsa

    #: A private key: a loaded key, PEM text/bytes, or the path of a PEM file.
    PrivateKeyLike: TypeAlias = rsa.RSAPrivateKey | str | bytes | os.PathLike[str]
    #: A public key: a loaded key or PEM text/bytes.
    PublicKeyLike: TypeAlias = rsa.RSAPublicKey | str | bytes

#: Signature algorithms and their RSASSA-PSS salt lengths (reference §4; Node constants.js).
ALGORITHMS: Mapping[str, int] = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
DEFAULT_ALGORITHM = "AMZN-PAY-RSASSA-PSS"

#: The ``x-amz-pay-date`` formats the SDKs send: PHP's (and ours) first, then Node's.
PAY_DATE_FORMATS = ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ")

#: A query: the raw query string, a mapping, or name/value pairs.
Query = str | Mapping[str, str] | Sequence[tuple[str, str]] | None


class SignatureError(ClientError):
    """A v2 request or button signature that does not check out.

    ``reason`` is stable and machine-readable: ``missing_authorization``,
    ``malformed_authorization``, ``unsupported_algorithm``, ``missing_signed_header``,
    ``bad_signature``. ``canonical_request`` and ``string_to_sign`` are what the verifier
    expected (``None`` when it did not get far enough to build them): a server puts them in its answer.
    """

    def __init__(
        self,
        reason: str,
        detail: str = "",
        *,
        canonical_request: str | None = None,
        string_to_sign: str | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


# --- keys --------------------------------------------------------------------------------------


def load_private_key(key: PrivateKeyLike) -> rsa.RSAPrivateKey:
    """An RSA private key from a key object, PEM (PKCS#1 or PKCS#8) text/bytes, or a PEM path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return key
    pem = _pem_bytes(key, "PRIVATE KEY")
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("Amazon Pay v2 keys are RSA keys")
    return loaded


def load_public_key(key: PublicKeyLike) -> rsa.RSAPublicKey:
    """An RSA public key from a key object or PEM (``PUBLIC KEY``, ``RSA PUBLIC KEY``) text/bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(key, rsa.RSAPublicKey):
        return key
    pem = key.encode("ascii") if isinstance(key, str) else bytes(key)
    loaded = serialization.load_pem_public_key(pem)
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise ValueError("Amazon Pay v2 keys are RSA keys")
    return loaded


def public_key_pem(private_key: PrivateKeyLike) -> str:
    """The ``PUBLIC KEY`` PEM of a private key (what a merchant registers with Amazon)."""
    from cryptography.hazmat.primitives import serialization

    public = load_private_key(private_key).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _pem_bytes(key: str | bytes | os.PathLike[str], marker: str) -> bytes:
    """PEM bytes given as text/bytes, or read from a path (as the SDKs accept either)."""
    if isinstance(key, bytes):
        return key
    if isinstance(key, str) and marker in key:
        return key.encode("ascii")
    with open(key, "rb") as handle:
        return handle.read()


# --- the canonical request ---------------------------------------------------------------------


def hex_sha256(data: str | bytes) -> str:
    """Lowercase hex SHA-256 of ``data`` (text as UTF-8)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def rfc3986(value: str) -> str:
    """RFC 3986 percent-encoding: unreserved ``A-Za-z0-9-_.~`` kept (PHP ``rawurlencode``)."""
    return quote(value, safe="-_.~")


def uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent`` (keeps ``!'()*`` too), as the Node SDK encodes."""
    return quote(value, safe="-_.!~*'()")


#: The query value encodings a verifier tries, the RFC 3986 one first.
QUERY_ENCODINGS: tuple[Callable[[str], str], ...] = (rfc3986, uri_component)


def query_pairs(query: Query) -> list[tuple[str, str]]:
    """Name/value pairs of a query given as a raw string (decoded), a mapping or pairs."""
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, Mapping):
        return [(str(k), str(v)) for k, v in query.items()]
    return [(str(k), str(v)) for k, v in query]


def canonical_query(query: Query, encode: Callable[[str], str] = rfc3986) -> str:
    """Pairs sorted by name then value, ``name=encoded-value`` joined with ``&``."""
    pairs = sorted(query_pairs(query))
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


def canonical_request(
    method: str,
    path: str,
    query: Query,
    headers: Sequence[tuple[str, str]],
    body: str | bytes,
    *,
    signed_headers: str | None = None,
    encode: Callable[[str], str] = rfc3986,
) -> str:
    """The canonical request of ``headers`` (name/value pairs, in their signed order).

    ``signed_headers`` is the SignedHeaders string as the signer wrote it; by default the
    lowercased names joined with ``;``.
    """
    lines = "".join(f"{name.lower()}:{value}\n" for name, value in headers)
    names = (
        signed_headers if signed_headers is not None else ";".join(n.lower() for n, _ in headers)
    )
    return "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query, encode),
            lines,
            names,
            hex_sha256(body),
        ]
    )


def string_to_sign(algorithm: str, canonical: str) -> str:
    """``<algorithm>\\n`` + hex(SHA-256(canonical request))."""
    return f"{algorithm}\n{hex_sha256(canonical)}"


# --- RSASSA-PSS --------------------------------------------------------------------------------


def _salt_length(algorithm: str) -> int:
    try:
        return ALGORITHMS[algorithm]
    except KeyError:
        raise SignatureError("unsupported_algorithm", repr(algorithm)) from None


def sign_string(private_key: PrivateKeyLike, algorithm: str, message: str) -> str:
    """Base64 RSASSA-PSS (SHA-256, MGF1-SHA-256, the algorithm's salt) signature of ``message``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=_salt_length(algorithm))
    raw = load_private_key(private_key).sign(message.encode("utf-8"), pss, hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def verify_string(public_key: PublicKeyLike, algorithm: str, message: str, signature: str) -> bool:
    """Whether ``signature`` (base64) is a valid signature of ``message`` under ``algorithm``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=_salt_length(algorithm))
    try:
        raw = base64.b64decode(signature, validate=True)
        load_public_key(public_key).verify(raw, message.encode("utf-8"), pss, hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# --- the authorization header ------------------------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    """A parsed ``authorization`` header. ``signed_headers`` is kept as the signer wrote it."""

    algorithm: str
    public_key_id: str
    signed_headers: str
    signature: str

    @property
    def header_names(self) -> tuple[str, ...]:
        """The signed header names, in their signed order and spelling."""
        return tuple(self.signed_headers.split(";"))

    def __str__(self) -> str:
        return (
            f"{self.algorithm} PublicKeyId={self.public_key_id}, "
            f"SignedHeaders={self.signed_headers}, Signature={self.signature}"
        )


def parse_authorization(value: str | None) -> Authorization:
    """Parse ``<alg> PublicKeyId=…, SignedHeaders=…, Signature=…`` (whitespace-tolerant)."""
    if not value or not value.strip():
        raise SignatureError("missing_authorization", "no authorization header")
    algorithm, _, rest = value.strip().partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name.strip()] = field.strip()
    missing = [n for n in ("PublicKeyId", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise SignatureError(
            "malformed_authorization",
            f"expected '<algorithm> PublicKeyId=<id>, SignedHeaders=<a;b>, Signature=<base64>'"
            f", missing {', '.join(missing)}",
        )
    _salt_length(algorithm)
    return Authorization(
        algorithm, fields["PublicKeyId"], fields["SignedHeaders"], fields["Signature"]
    )


# --- signing and verifying requests ------------------------------------------------------------


def pay_date(now: datetime | None = None) -> str:
    """An ``x-amz-pay-date`` value, ``20240101T120000Z`` (the format of Amazon's docs and PHP)."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime(PAY_DATE_FORMATS[0])


def parse_pay_date(value: str) -> datetime:
    """The aware UTC time of an ``x-amz-pay-date`` in either SDK format; ``ValueError`` else."""
    for fmt in PAY_DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(
        f"x-amz-pay-date {value!r} is neither 20240101T120000Z nor 2024-01-01T12:00:00Z"
    )


def same_host(pay_host: str, request_host: str) -> bool:
    """Whether an ``x-amz-pay-host`` names the host a request reached; the port only counts when
    both carry one (PHP signs the host without the port, Node with it)."""

    def split(value: str) -> tuple[str, int | None]:
        parts = urlsplit(f"//{value.strip()}")
        try:
            port = parts.port
        except ValueError:
            port = -1
        return (parts.hostname or "").lower(), port

    (host_a, port_a), (host_b, port_b) = split(pay_host), split(request_host)
    return host_a == host_b and (port_a is None or port_b is None or port_a == port_b)


def sign_request(
    private_key: PrivateKeyLike,
    public_key_id: str,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: str | bytes = b"",
    query: Query = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> dict[str, str]:
    """Sign every one of ``headers`` (as the Node SDK does) and return them with lowercase names,
    sorted, plus ``authorization``. The caller supplies ``x-amz-pay-date``, ``x-amz-pay-host``,
    ``x-amz-pay-region``, ``accept`` and ``content-type`` (see :class:`~clients.amazon_pay_v2.client.AmazonPayV2Client`)."""
    lowered = sorted((name.lower(), value) for name, value in headers.items())
    canonical = canonical_request(method, path, query, lowered, body)
    auth = Authorization(
        algorithm,
        public_key_id,
        ";".join(name for name, _ in lowered),
        sign_string(private_key, algorithm, string_to_sign(algorithm, canonical)),
    )
    return {**dict(lowered), "authorization": str(auth)}


@dataclass(frozen=True)
class ExpectedSignature:
    """What a request's signature must cover, rebuilt from the request's own ``SignedHeaders``.

    ``canonical_request``/``string_to_sign`` are the preferred reading (RFC 3986 query, the path
    as sent); ``candidates`` every canonical request a verifier accepts a signature of. After a
    successful :func:`verify_request`, the first two are the reading that matched.
    """

    authorization: Authorization
    canonical_request: str
    string_to_sign: str
    candidates: tuple[str, ...]


def _header_lookup(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name.lower(): value for name, value in items}


def _path_readings(path: str) -> list[str]:
    """The path as sent, then decoded and encoded forms (a signer may sign either)."""
    readings = [path or "/", unquote(path or "/"), quote(unquote(path or "/"), safe="/-_.~")]
    return list(dict.fromkeys(readings))


def expected_signature(
    method: str,
    path: str,
    query: Query,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: str | bytes,
) -> ExpectedSignature:
    """Rebuild the canonical request a request was signed over, from its ``authorization``.

    ``path`` is the path as it came over the wire (before percent-decoding, if available);
    ``query`` the raw query string or its pairs; ``headers`` any case-insensitive or plain mapping.
    Raises :class:`SignatureError` when the header is missing or malformed, or a signed header
    is absent from the request.
    """
    lookup = _header_lookup(headers)
    auth = parse_authorization(lookup.get("authorization"))
    signed: list[tuple[str, str]] = []
    for name in auth.header_names:
        value = lookup.get(name.strip().lower())
        if value is None:
            raise SignatureError(
                "missing_signed_header",
                f"SignedHeaders names {name!r}, the request has no such header",
            )
        signed.append((name.strip(), value))
    candidates = [
        canonical_request(
            method, reading, query, signed, body, signed_headers=auth.signed_headers, encode=encode
        )
        for reading in _path_readings(path)
        for encode in QUERY_ENCODINGS
    ]
    unique = tuple(dict.fromkeys(candidates))
    return ExpectedSignature(auth, unique[0], string_to_sign(auth.algorithm, unique[0]), unique)


def verify_expected(public_key: PublicKeyLike, expected: ExpectedSignature) -> ExpectedSignature:
    """Check ``expected``'s signature with ``public_key``; return the reading that matched or
    raise :class:`SignatureError` ``bad_signature`` carrying the expected canonical request."""
    auth = expected.authorization
    key = load_public_key(public_key)
    for candidate in expected.candidates:
        message = string_to_sign(auth.algorithm, candidate)
        if verify_string(key, auth.algorithm, message, auth.signature):
            return replace(expected, canonical_request=candidate, string_to_sign=message)
    raise SignatureError(
        "bad_signature",
        f"the signature does not match the {auth.algorithm} signature of the expected string "
        f"to sign with the key {auth.public_key_id}",
        canonical_request=expected.canonical_request,
        string_to_sign=expected.string_to_sign,
    )


def verify_request(
    public_key: PublicKeyLike,
    method: str,
    path: str,
    query: Query,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: str | bytes,
) -> ExpectedSignature:
    """:func:`expected_signature` then :func:`verify_expected` (one call for a known key)."""
    return verify_expected(public_key, expected_signature(method, path, query, headers, body))


# --- the button payload signature --------------------------------------------------------------


def button_payload(payload: str | Mapping[str, Any]) -> str:
    """A payload as the SDKs sign it: strings as given, objects as ``JSON.stringify`` writes them."""
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def button_string_to_sign(
    payload: str | Mapping[str, Any], algorithm: str = DEFAULT_ALGORITHM
) -> str:
    """``<algorithm>\\n`` + hex(SHA-256(payload)) (Node ``signPayload``, PHP ``generateButtonSignature``)."""
    return f"{algorithm}\n{hex_sha256(button_payload(payload))}"


def sign_button_payload(
    private_key: PrivateKeyLike,
    payload: str | Mapping[str, Any],
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """The button signature (``generateButtonSignature``) of a checkout-session payload."""
    return sign_string(private_key, algorithm, button_string_to_sign(payload, algorithm))


def verify_button_signature(
    public_key: PublicKeyLike,
    payload: str | Mapping[str, Any],
    signature: str,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """Check a button signature; return the string to sign that matched, else raise
    :class:`SignatureError` ``bad_signature`` with the expected string to sign.

    The PHP SDK hashes ``stripcslashes(payload)``: a ``json_encode`` payload signed there has its
    ``\\/`` escapes removed before hashing, so that reading is tried too.
    """
    text = button_payload(payload)
    readings = list(dict.fromkeys([text, text.replace("\\/", "/")]))
    key = load_public_key(public_key)
    for reading in readings:
        message = button_string_to_sign(reading, algorithm)
        if verify_string(key, algorithm, message, signature):
            return message
    expected = button_string_to_sign(text, algorithm)
    raise SignatureError(
        "bad_signature",
        "the button signature does not match the payload",
        string_to_sign=expected,
    )
