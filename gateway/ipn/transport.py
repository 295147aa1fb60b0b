"""HTTP for IPN posts: one keep-alive transport per delivery thread, on urllib3.

Delivery is CPU-bound, and ``requests`` (cookie jar, hooks, per-request environment and netrc
lookups, its own response object) took about three times urllib3's CPU per post, so posts go
through urllib3 directly, set up as ``requests.post`` set them up before: the environment's
proxies (``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``, looked up once per URL), certificates
checked against ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` or certifi's bundle, no redirects
followed, no retries, no cookies kept. ``post`` makes one attempt of a prepared message and
returns what came of it (``PostResult``), never raising for network trouble or a URL that cannot
be posted to. No Flask here.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime

import requests.utils
import urllib3
from urllib3 import BaseHTTPResponse, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import make_headers

#: A pooled connection idle longer than this is not reused: the receiver may be closing it
#: (servers time idle keep-alive connections out after seconds, gunicorn's default after 2),
#: and a post on a connection closed under it fails like an unreachable endpoint, which is not
#: retried. Fresh connections past this idle time keep that failure to real ones.
REUSE_IDLE_SECONDS = 1.0
#: Receivers (host, port, scheme) whose connection pools one thread keeps.
POOLS = 32
#: Transport headers, as SNS sends them [SRC: reference/amazon-wire.md §2.1].
HEADERS = {"Connection": "Keep-Alive"}
#: Connect and read seconds for one post (STYLE 7.11).
TIMEOUT = Timeout(connect=3, read=10)
#: How much of a receiver's answer an attempt keeps.
SNIPPET_BYTES = 500
#: An answer with at most this much left after the snippet is read to its end, so its
#: connection can be reused; a longer one closes the connection instead.
DRAIN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Prepared:
    """One message ready to post (rendered once, posted as stored on every attempt)."""

    url: str
    headers: dict[str, str]
    body: bytes
    attempted_at: datetime


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    latency_ms: int
    error: str | None = None
    snippet: str | None = None
    #: False when the endpoint could not be reached at all.
    reached: bool = True

    @property
    def acknowledged(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Transport:
    """One thread's connections: not thread-safe, the dispatcher keeps one per pool thread."""

    def __init__(self) -> None:
        self._ca_certs = (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or requests.utils.DEFAULT_CA_BUNDLE_PATH
        )
        self._direct = urllib3.PoolManager(num_pools=POOLS, ca_certs=self._ca_certs)
        self._proxied: dict[str, urllib3.ProxyManager] = {}
        #: Each URL's proxy (None: direct), from the environment as requests reads it.
        self._routes: dict[str, str | None] = {}
        self._last_used = 0.0
        #: URLs posted to since the connections were last cleared (a post may reuse one).
        self._recent: set[str] = set()

    def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: urllib3.Timeout
    ) -> urllib3.BaseHTTPResponse:
        """Send one POST and return the answer unread (the caller reads and releases it);
        urllib3's exceptions are the caller's to classify."""
        now = time.monotonic()
        if now - self._last_used > REUSE_IDLE_SECONDS:
            self.clear()
            self._recent.clear()
        self._last_used = now
        reusing = url in self._recent
        self._recent.add(url)
        try:
            return self._send(url, body, headers, timeout)
        except ProtocolError:
            if not reusing:
                raise
            # A kept-alive connection that the receiver closed as this post went out on it
            # (servers time idle connections out) says nothing about the endpoint: the post
            # goes once more on a new connection. The receiver may then get it twice, which
            # Amazon warns of ("Duplicates can occur", reference §2.5). A new connection that
            # drops the post is the endpoint's failure, as it was before keep-alive.
            self.clear()
            return self._send(url, body, headers, timeout)

    def _send(
        self, url: str, body: bytes, headers: dict[str, str], timeout: urllib3.Timeout
    ) -> urllib3.BaseHTTPResponse:
        return self._manager(url).request(
            "POST",
            url,
            body=body,
            headers={**HEADERS, **headers},
            timeout=timeout,
            retries=False,
            redirect=False,
            preload_content=False,
        )

    def _manager(self, url: str) -> urllib3.PoolManager:
        if url not in self._routes:
            proxies = requests.utils.get_environ_proxies(url)
            self._routes[url] = requests.utils.select_proxy(url, proxies)
        proxy = self._routes[url]
        if proxy is None:
            return self._direct
        manager = self._proxied.get(proxy)
        if manager is None:
            user, password = requests.utils.get_auth_from_url(proxy)
            manager = self._proxied[proxy] = urllib3.ProxyManager(
                proxy,
                num_pools=POOLS,
                ca_certs=self._ca_certs,
                proxy_headers=make_headers(proxy_basic_auth=f"{user}:{password}") if user else None,
            )
        return manager

    def clear(self) -> None:
        """Close every pooled connection (the transport stays usable)."""
        self._direct.clear()
        for manager in self._proxied.values():
            manager.clear()


def post(http: Transport, prepared: Prepared) -> PostResult:
    """One HTTP post; never raises for network trouble or an impossible URL (it is the attempt's
    result)."""
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        response = http.post(prepared.url, prepared.body, prepared.headers, TIMEOUT)
        try:
            head = _read_answer(response)
        finally:
            response.release_conn()
        snippet = head[:SNIPPET_BYTES].decode("utf-8", "replace")
        return PostResult(response.status, elapsed(), snippet=snippet)
    except ConnectTimeoutError as exc:  # also refused, DNS (NewConnectionError subclasses it)
        return PostResult(None, elapsed(), error=f"unreachable: {exc}", reached=False)
    except ReadTimeoutError as exc:
        return PostResult(None, elapsed(), error=f"timeout: {exc}")
    except (ProtocolError, SSLError, ProxyError) as exc:  # dropped, TLS, proxy trouble
        return PostResult(None, elapsed(), error=f"unreachable: {exc}", reached=False)
    except ValueError as exc:
        # A URL nothing can be posted to (a port out of range or not a number, an unclosed IPv6
        # bracket): urllib3's LocationParseError, or the URL parsing of the proxy lookup.
        return PostResult(None, elapsed(), error=f"invalid URL: {exc}", reached=False)
    except HTTPError as exc:
        return PostResult(None, elapsed(), error=f"{type(exc).__name__}: {exc}", reached=False)


def _read_answer(response: BaseHTTPResponse) -> bytes:
    """The answer's first bytes. A short rest is read too, so the connection goes back to the
    pool for the next post; a long or unsized one is not (the connection is closed)."""
    head = response.read(SNIPPET_BYTES)
    remaining = response.length_remaining
    if remaining is not None and remaining <= DRAIN_BYTES:
        response.drain_conn()
    else:
        response.close()
    return head
