"""Signing certificates: URL allow-list, fetching, per-URL cache, validity and RSA checks.

Shared by the SNS IPN verifier (reference/amazon-wire.md §2.4: Amazon only trusts
``https://sns.<region>.amazonaws.com[.cn]/….pem``) and the FPS IPN verifier (§4.6,
``certificateUrl``). A simulator's certificate is trusted by naming its host explicitly, which
also permits plain ``http`` for that host. No ``gateway`` or Flask imports.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from clients.errors import IpnVerificationError
from clients.ipn_signing import rsa_verify

#: The host rule of Amazon's own SDKs (§2.4): ``sns.<region>.amazonaws.com`` or ``….com.cn``.
AMAZON_SNS_HOST = re.compile(r"^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$")

#: A rule of the allow-list. A compiled pattern must fully match the *hostname* and allows
#: ``https`` only. A string is an exact ``host[:port]``; written with a scheme
#: (``"http://127.0.0.1:8080"``) it allows exactly that scheme, written bare it allows ``https``
#: and ``http`` (naming a host explicitly is how a local simulator is trusted).
HostRule = str | re.Pattern[str]

#: Fetches the PEM bytes behind a certificate URL.
Fetcher = Callable[[str], bytes]


def requests_fetcher(session: requests.Session | None = None, timeout: float = 10) -> Fetcher:
    """A :data:`Fetcher` using ``requests`` (with a timeout; non-2xx answers raise)."""
    http = session or requests.Session()

    def fetch(url: str) -> bytes:
        response = http.get(url, timeout=timeout)
        response.raise_for_status()
        return response.content

    return fetch


def _rule_allows(rule: HostRule, scheme: str, hostname: str, netloc: str) -> bool:
    if isinstance(rule, re.Pattern):
        return scheme == "https" and rule.fullmatch(hostname) is not None
    if "://" in rule:
        rule_scheme, _, rule_netloc = rule.partition("://")
        return scheme == rule_scheme.lower() and netloc == rule_netloc.rstrip("/").lower()
    return scheme in ("https", "http") and netloc == rule.lower()


class CertificateStore:
    """Checks certificate URLs against ``allowed_hosts``, fetches them once, caches by URL.

    The path must end in ``.pem``, as Amazon's SDK requires (§2.4). Thread-safe.
    """

    def __init__(
        self,
        allowed_hosts: Iterable[HostRule] = (AMAZON_SNS_HOST,),
        fetch: Fetcher | None = None,
    ) -> None:
        self.allowed_hosts: tuple[HostRule, ...] = tuple(allowed_hosts)
        self._fetch = fetch or requests_fetcher()
        self._cache: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def check_url(self, url: str) -> None:
        """Raise ``IpnVerificationError("certificate_url_not_allowed")`` for a URL not allowed."""
        try:
            parts = urlsplit(url)
            hostname = parts.hostname or ""
        except ValueError as exc:
            raise IpnVerificationError("certificate_url_not_allowed", f"bad URL {url!r}") from exc
        scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
        if parts.username or parts.password or not parts.path.endswith(".pem"):
            raise IpnVerificationError("certificate_url_not_allowed", url)
        if not any(_rule_allows(rule, scheme, hostname, netloc) for rule in self.allowed_hosts):
            raise IpnVerificationError("certificate_url_not_allowed", url)

    def certificate(self, url: str) -> x509.Certificate:
        """The certificate behind an allowed ``url`` (fetched on first use, then cached)."""
        self.check_url(url)
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            return cached
        try:
            pem = self._fetch(url)
        except Exception as exc:  # any transport failure means "cannot verify"
            raise IpnVerificationError("certificate_unavailable", f"{url}: {exc}") from exc
        try:
            certificate = x509.load_pem_x509_certificate(pem)
        except ValueError as exc:
            raise IpnVerificationError("certificate_invalid", f"{url}: {exc}") from exc
        with self._lock:
            self._cache[url] = certificate
        return certificate


def check_validity(certificate: x509.Certificate, now: datetime) -> None:
    """``certificate_expired`` unless ``now`` lies in the certificate's validity period."""
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise IpnVerificationError(
            "certificate_expired",
            f"valid {certificate.not_valid_before_utc} to {certificate.not_valid_after_utc}",
        )


def verify_rsa(
    certificate: x509.Certificate,
    signature_b64: str,
    message: bytes,
    digest: str,
) -> None:
    """Check an RSASSA-PKCS1-v1_5 signature (hash named ``digest``); ``bad_signature`` on any
    mismatch."""
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise IpnVerificationError("certificate_invalid", "the certificate key is not RSA")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise IpnVerificationError("bad_signature", type(exc).__name__) from exc
    if not rsa_verify(key, signature, message, digest):
        raise IpnVerificationError("bad_signature", "InvalidSignature")
