"""The IPN signing key: RSA-2048 plus a self-signed certificate, made once per sandbox.

Amazon SNS signs each notification with a key whose certificate it serves at ``SigningCertURL``
[SRC: reference/amazon-wire.md §2.4]. Here the key and certificate live in one PEM file in
``settings.data_dir``, so every process of one sandbox (gunicorn workers, ``gateway worker``) and
every restart sign with the same key. ``Runtime.initialize()`` creates it before workers fork;
creation is still safe when two processes race: each writes a private temp file and
``os.link``s it to the final name, which fails if the name exists (an exclusive create, atomic on
POSIX), and then everyone loads whatever file won.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from clients.ipn_signing import rsa_sign, rsa_verify
from gateway.private_files import private_dir, private_file

# cryptography is imported where a key is made, loaded or used: web workers that never sign
# do not load it (several MiB per process).
if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "ipn-signing.pem"
#: The certificate's subject: the CN of Amazon's SNS certificates (reference §2.4); UNCONFIRMED
#: which CN a receiver might check, none of the official handlers does.
COMMON_NAME = "sns.amazonaws.com"
#: The certificate's validity: long enough for any sandbox, backdated for skewed merchant clocks.
VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, data: bytes, digest: str) -> bytes:
        """RSASSA-PKCS1-v1_5 over ``data`` with the hash named ``digest`` ("SHA1", "SHA256"):
        the one signer of SNS envelopes and FPS IPNs (``clients.ipn_signing``)."""
        return rsa_sign(self.private_key, data, digest)

    def verify(self, signature: bytes, data: bytes, digest: str) -> bool:
        """Whether ``signature`` is this key's :meth:`sign` of ``data``."""
        return rsa_verify(self.private_key.public_key(), signature, data, digest)


def _generate(now: datetime) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon Pay gateway simulator"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - VALIDITY)
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def _parse(pem: bytes) -> SigningKey:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the IPN signing key is not an RSA key")
    return SigningKey(key, x509.load_pem_x509_certificate(pem))


def load_signing_key(data_dir: Path) -> SigningKey | None:
    """The sandbox's signing key if ``data_dir`` holds one; never creates one (None)."""
    try:
        pem = (data_dir / KEY_FILE).read_bytes()
    except FileNotFoundError:
        return None
    return _parse(pem)


def ensure_signing_key(data_dir: Path) -> SigningKey:
    """Load the sandbox's signing key, creating it first if there is none (race-safe)."""
    path = data_dir / KEY_FILE
    if path.exists():
        private_file(path)  # one an older version, or a copy, left readable by others
    else:
        private_dir(data_dir)
        fd, temp = tempfile.mkstemp(dir=data_dir, prefix=".ipn-signing-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_generate(datetime.now(UTC)))
                handle.flush()
                os.fsync(handle.fileno())
            # Exclusive and atomic: fails if another process linked its file first.
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            os.unlink(temp)
    key = load_signing_key(data_dir)
    assert key is not None  # linked above, by this process or another
    return key


_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----\n"
_PEM_END = b"-----END CERTIFICATE-----\n"


def certificate_pem_from_key_file(path: Path) -> bytes | None:
    """The key file's certificate block if it is already in the form ``SigningKey.certificate_pem``
    gives (base64 of the DER in 64-character lines, LF endings), as ``keys.py`` writes it;
    otherwise (no file, another layout) None.

    This spares a web worker loading cryptography (several MiB of RSS) to answer the certificate
    endpoint. The file was parsed and checked by ``Runtime.initialize`` before the workers
    started (``gateway serve``); a file in another form is the caller's to load with
    ``ensure_signing_key``.
    """
    try:
        pem = path.read_bytes()
    except OSError:
        return None
    if pem.count(_PEM_BEGIN) != 1 or not pem.startswith(b"-----BEGIN PRIVATE KEY-----\n"):
        return None
    start = pem.index(_PEM_BEGIN)
    end = pem.find(_PEM_END, start)
    if end < 0 or end + len(_PEM_END) != len(pem):
        return None
    try:
        der = base64.b64decode(
            pem[start + len(_PEM_BEGIN) : end].replace(b"\n", b""), validate=True
        )
    except (binascii.Error, ValueError):
        return None
    encoded = base64.b64encode(der)
    lines = b"".join(encoded[i : i + 64] + b"\n" for i in range(0, len(encoded), 64))
    canonical = _PEM_BEGIN + lines + _PEM_END
    return canonical if der and pem[start:] == canonical else None
