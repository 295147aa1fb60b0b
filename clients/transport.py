"""Signed HTTP calls with retries on 5xx, shared by the Off-Amazon Payments and FPS clients.

Amazon asks callers to retry 500/502/503/504 with backoff (reference §1.9 "Retry guidance");
the official SDK retries 500 and 503 (§3.1), which is our default. Every attempt is signed
afresh so the ``Timestamp`` stays inside the 15-minute window (§1.2). The sleep function is
injectable so tests never sleep. No ``gateway`` or Flask imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self, TypeVar
from urllib.parse import urlsplit

import requests

from clients import _xml, sigv2
from clients._xml import Element
from clients.errors import MalformedResponseError
from clients.responses import Acknowledgement, parse_error, request_id_of

T = TypeVar("T")

#: A source of "now" (aware UTC datetimes), injectable for tests.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry answers whose status is in ``retry_statuses``.

    ``max_attempts`` counts the first try. The delay before retry *n* (1-based) is
    ``min(max_delay, base_delay * multiplier ** (n - 1))``.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 10.0
    retry_statuses: frozenset[int] = frozenset({500, 503})
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delays(self) -> Iterator[float]:
        """The sleeps between attempts (``max_attempts - 1`` of them)."""
        for n in range(self.max_attempts - 1):
            yield min(self.max_delay, self.base_delay * self.multiplier**n)


#: A single attempt and no sleeping (handy in tests of error answers).
NO_RETRIES = RetryPolicy(max_attempts=1)


class SignedTransport:
    """Signs requests for one endpoint URL, sends them, and returns the XML root of 200 answers.

    GET puts the parameters in the query (FPS, §3.3/§4.1), POST in a form body (§1.1). The
    signed host is :func:`clients.sigv2.signing_host` of the URL and the signed path is the URL's path.
    """

    def __init__(
        self,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        *,
        method: str,
        session: requests.Session | None,
        timeout: float,
        retries: RetryPolicy,
        clock: Clock | None,
        signature_version: str = "2",
        signature_method: str = "HmacSHA256",
    ) -> None:
        if signature_version not in ("1", "2"):
            raise ValueError(f"unsupported signature version {signature_version!r}")
        if signature_method not in sigv2.SIGNATURE_METHODS:
            raise ValueError(f"unsupported signature method {signature_method!r}")
        self.endpoint_url = endpoint_url
        self.method = method
        self.host = sigv2.signing_host(endpoint_url)
        self.path = urlsplit(endpoint_url).path or "/"
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.clock = clock or utc_now
        self.signature_version = signature_version
        self.signature_method = signature_method
        self._access_key = access_key
        self._secret_key = secret_key

    def close(self) -> None:
        """Close the HTTP session if this transport created it (a session passed in is yours)."""
        if self._owns_session:
            self.session.close()

    def sign(self, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` plus AWSAccessKeyId, SignatureVersion/Method, Timestamp and Signature."""
        return sigv2.signed_params(
            params,
            access_key=self._access_key,
            secret=self._secret_key,
            method=self.method,
            host=self.host,
            path=self.path,
            signature_version=self.signature_version,
            signature_method=self.signature_method,
            now=self.clock(),
        )

    def call(self, params: Mapping[str, str]) -> Element:
        """Sign (afresh per attempt) and send; raise :class:`AmazonPayError` on error answers."""
        delays = self.retries.delays()
        while True:
            response = self._send(self.sign(params))
            if response.status_code in self.retries.retry_statuses:
                delay = next(delays, None)
                if delay is not None:
                    self.retries.sleep(delay)
                    continue
            return self._interpret(response)

    def _send(self, params: dict[str, str]) -> requests.Response:
        if self.method == "GET":
            return self.session.get(self.endpoint_url, params=params, timeout=self.timeout)
        return self.session.post(
            self.endpoint_url,
            data=params,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            timeout=self.timeout,
        )

    @staticmethod
    def _interpret(response: requests.Response) -> Element:
        if response.status_code != 200:
            raise parse_error(response.content, response.status_code)
        try:
            return _xml.parse(response.content)
        except _xml.XmlError as exc:
            raise MalformedResponseError(str(exc), response.status_code) from exc


class ClientBase:
    """What the API clients share: one :class:`SignedTransport`, the call of an action with the
    client's own base parameters, answer parsing, closing and ``with`` support."""

    def __init__(self, transport: SignedTransport) -> None:
        self._transport = transport

    def _base_params(self, action: str) -> dict[str, str]:
        """The parameters every request of this client carries (Action, Version ...)."""
        raise NotImplementedError

    def call(self, action: str, params: Mapping[str, str] | None = None) -> Element:
        """Send ``action`` with ``params`` (plus auth and the client's base parameters) and
        return the XML root of the answer."""
        return self._transport.call({**self._base_params(action), **(params or {})})

    def _result(
        self, action: str, params: Mapping[str, str], parse: Callable[[Element, str | None], T]
    ) -> T:
        """``parse`` of the answer's ``<Action>Result`` and its request id."""
        root = self.call(action, params)
        with malformed_answer(action):
            return parse(result_of(root, action), request_id_of(root))

    def _acknowledged(self, action: str, params: Mapping[str, str]) -> Acknowledgement:
        """The answer of an action that returns only ``ResponseMetadata``."""
        return Acknowledgement(request_id=acknowledgement(self.call(action, params), action))

    def close(self) -> None:
        """Release the connection pool (only when the client created its own session)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def result_of(root: Element, action: str) -> Element:
    """``<Action>Result`` of an answer, checking the root is ``<Action>Response`` (§1.3, §4.3)."""
    acknowledgement(root, action)
    result = _xml.child(root, f"{action}Result")
    if result is None:
        raise MalformedResponseError(f"<{action}Response> has no <{action}Result>", 200)
    return result


@contextmanager
def malformed_answer(action: str) -> Iterator[None]:
    """Turn :class:`clients._xml.XmlError` raised while reading an answer into a
    :class:`MalformedResponseError` naming ``action``."""
    try:
        yield
    except _xml.XmlError as exc:
        raise MalformedResponseError(f"{action}: {exc}", 200) from exc


def acknowledgement(root: Element, action: str) -> str | None:
    """Check ``root`` is ``<Action>Response``; return its request id (for Result-less answers)."""
    if _xml.local(root.tag) != f"{action}Response":
        raise MalformedResponseError(
            f"expected <{action}Response>, got <{_xml.local(root.tag)}>", 200
        )
    return request_id_of(root)
