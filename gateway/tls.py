"""The HTTPS listener's certificate: one the user supplies, or a self-signed one in the data dir.

Shop plugins hard-code ``https://`` and Amazon's host names, so ``gateway serve`` serves the same
APIs over HTTPS beside HTTP (``gateway.server``). Without ``tls_cert`` the simulator makes its
own certificate on first start: ``tls-cert.pem`` (public: users copy it into their trust store)
and ``tls-key.pem`` (0600, as the other secrets in the data dir). It names every address a
client reaches the simulator at: ``localhost``, ``127.0.0.1``, ``::1`` and Amazon's published
host names (``gateway.amazon_hosts``), so a hosts-file entry routing ``mws.amazonservices.com``
here passes the client's host name check once the certificate is trusted.

Only ``ssl`` is imported at the top: the gunicorn master and its workers load certificates with
it; cryptography is imported where a certificate is made, in ``gateway serve``'s short-lived
preparing child.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.amazon_hosts import FPS_HOSTS, MWS_HOSTS, PAY_API_HOSTS
from gateway.config import ConfigError, Settings
from gateway.private_files import private_file

CERT_FILE = "tls-cert.pem"
KEY_FILE = "tls-key.pem"
_LOCK_FILE = ".tls.lock"

#: The names and addresses the self-signed certificate is valid for.
DNS_NAMES = ("localhost", *MWS_HOSTS, *FPS_HOSTS, *PAY_API_HOSTS)
IP_ADDRESSES = ("127.0.0.1", "::1")

#: 825 days, the longest validity Apple's TLS clients accept for a server certificate; made
#: anew once expired (the banner says so: it must be trusted again).
VALIDITY = timedelta(days=825)
#: Backdated, so a client whose clock runs behind still finds it valid.
BACKDATE = timedelta(days=1)

#: OpenSSL's reasons for refusing a pair, in words (``""``: no reason given, as for a file
#: that is not PEM at all).
_REASONS = {
    "": "not PEM files holding a certificate and its private key",
    "KEY_VALUES_MISMATCH": "the key is not the certificate's",
}

_HINT = "pass --tls-cert/--tls-key (PEM files), or neither for a self-signed one in the data dir"


@dataclass(frozen=True)
class TlsFiles:
    """The certificate (chain) and private key of the HTTPS listener, as PEM files."""

    cert: Path
    key: Path
    #: The simulator's own self-signed certificate in the data dir (not the user's).
    self_signed: bool


def tls_files(settings: Settings) -> TlsFiles:
    """Where the HTTPS listener's certificate and key are; nothing is read or made here."""
    if settings.tls_cert:
        cert = Path(settings.tls_cert).resolve()
        return TlsFiles(cert, Path(settings.tls_key).resolve() if settings.tls_key else cert, False)
    if settings.tls_key:
        raise ConfigError(f"--tls-key (GATEWAY_TLS_KEY) was given without --tls-cert; {_HINT}")
    folder = settings.data_dir.resolve()
    return TlsFiles(folder / CERT_FILE, folder / KEY_FILE, True)


def ensure_tls_files(settings: Settings) -> tuple[TlsFiles, bool]:
    """The listener's files, checked; the self-signed ones made first when missing or expired.

    Returns the files and whether a certificate was made now. Raises :class:`ConfigError` for
    files that cannot serve (missing, not PEM, key and certificate not a pair).
    """
    files = tls_files(settings)
    made = False
    if files.self_signed:
        made = _ensure_self_signed(files)
    server_context(files)
    return files, made


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """The TLS server context of the HTTPS listener (TLS 1.2 and later, HTTP/1.1)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for path in (files.cert, files.key):
        if not path.is_file():
            raise ConfigError(f"no TLS file {path}; {_HINT}")
    try:
        context.load_cert_chain(certfile=files.cert, keyfile=files.key)
    except OSError as exc:  # ssl.SSLError is one too
        if isinstance(exc, ssl.SSLError):
            reason = _REASONS.get(exc.reason or "") or exc.reason
        else:
            reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot serve HTTPS with certificate {files.cert} and key {files.key} ({reason}); "
            f"{_HINT}"
        ) from None
    return context


def _ensure_self_signed(files: TlsFiles) -> bool:
    """Make the data dir's certificate and key unless a valid pair is there; True if made.

    Several processes may start on one data dir at once: the first to take the lock makes the
    pair, the others find it made. Each file is written whole under a temporary name and renamed.
    """
    # The data dir exists: gateway serve checks it (gateway.config.ensure_data_dir) first.
    with open(files.cert.parent / _LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        now = datetime.now(UTC)
        if _valid_until(files.cert) > now and _is_pair(files):
            private_file(files.key)  # one an older version, or a copy, left readable by others
            return False
        key_pem, cert_pem = _self_signed_pair(now)
        _write(files.key, key_pem, 0o600)
        _write(files.cert, cert_pem, 0o644)
        return True


def _valid_until(cert: Path) -> datetime:
    """When the certificate in ``cert`` expires; the distant past when it cannot be read."""
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc
    except (OSError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _is_pair(files: TlsFiles) -> bool:
    """Whether the key file holds the certificate's key (a run stopped between the two writes
    of :func:`_ensure_self_signed` leaves a new one beside an old other)."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(files.cert, files.key)
    except (ssl.SSLError, OSError):
        return False
    return True


def _self_signed_pair(now: datetime) -> tuple[bytes, bytes]:
    """A new private key and its self-signed certificate for :data:`DNS_NAMES` and
    :data:`IP_ADDRESSES`, both PEM.

    An ECDSA P-256 key: every TLS client of the last decade takes it, and it is made in
    microseconds where an RSA key takes a quarter of a second (a test server starts often).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Amazon Pay simulator (local)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon Pay gateway simulator"),
        ]
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in DNS_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in IP_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, mode: int) -> None:
    """``data`` into ``path`` with ``mode`` (whatever the umask), replacing it atomically."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
