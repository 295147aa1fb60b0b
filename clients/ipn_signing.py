"""What an IPN's signature covers, and the RSA signature itself: shared by the verifiers here and
the simulator, which signs with them (so both sides build the same bytes from one definition).

Amazon Pay IPNs are SNS notifications: RSASSA-PKCS1-v1_5 over each signed field's name and value,
each followed by a newline, SHA-1 for SignatureVersion 1 and SHA-256 for 2
[SRC: reference/amazon-wire.md §2.4]. FPS IPNs are form POSTs signed RSA-SHA1 over the Signature
Version 2 string of a POST to the IPN URL, every parameter but ``signature`` (§4.6).

Standard library only at import: cryptography is imported by the two functions that need it, so
the simulator's web workers, which build no signature, do not load it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from clients.sigv2 import signing_host, string_to_sign_v2

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

#: The fields SNS signs, in byte order; ``Subject`` only when present (§2.4).
SNS_SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
#: SNS SignatureVersion -> the hash of its RSA signature (a name in cryptography's ``hashes``).
SNS_DIGESTS: Mapping[str, str] = {"1": "SHA1", "2": "SHA256"}

#: The one signature scheme of FPS IPNs (§4.6).
FPS_SIGNATURE_VERSION = "2"
FPS_SIGNATURE_METHOD = "RSA-SHA1"
FPS_DIGEST = "SHA1"


def sns_string_to_sign(envelope: Mapping[str, str]) -> bytes:
    """The SNS string to sign of a Notification: each key and value followed by ``\\n`` (§2.4)."""
    return "".join(
        f"{key}\n{envelope[key]}\n" for key in SNS_SIGNED_KEYS if key in envelope
    ).encode("utf-8")


def fps_string_to_sign(url: str, params: Mapping[str, str]) -> bytes:
    """``POST\\nhost\\npath\\ncanonical`` of the IPN URL, without ``signature`` (§4.6)."""
    unsigned = {k: v for k, v in params.items() if k != "signature"}
    path = urlsplit(url).path
    return string_to_sign_v2("POST", signing_host(url), path, unsigned).encode("utf-8")


def rsa_sign(private_key: rsa.RSAPrivateKey, data: bytes, digest: str) -> bytes:
    """RSASSA-PKCS1-v1_5 signature of ``data`` with the hash named ``digest`` ("SHA1", "SHA256")."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm: hashes.HashAlgorithm = getattr(hashes, digest)()
    return private_key.sign(data, padding.PKCS1v15(), algorithm)


def rsa_verify(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes, digest: str) -> bool:
    """Whether ``signature`` is :func:`rsa_sign`'s of ``data`` with the key behind ``public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm: hashes.HashAlgorithm = getattr(hashes, digest)()
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


# --- forgeries a receiver must refuse (the simulator's IPN faults and ``ipn_check``) -------------

#: A certificate URL no allow-list should admit: it starts like Amazon's SNS host (catching
#: prefix and substring checks) but is on another domain, one that never resolves (``.invalid``).
OFF_ALLOW_LIST_CERT_URL = (
    "https://sns.us-east-1.amazonaws.com.certificates.invalid/SimpleNotificationService-forged.pem"
)


def broken_signature(signature: str) -> str:
    """``signature`` (base64) with its first byte changed: well-formed, of the right length, and
    not a signature of anything it came with."""
    import base64

    try:
        raw = bytearray(base64.b64decode(signature, validate=True))
    except ValueError:
        raw = bytearray(b"\x00" * 256)
    if not raw:
        raw = bytearray(b"\x00" * 256)
    raw[0] ^= 0xFF
    return base64.b64encode(bytes(raw)).decode("ascii")
