"""Merchants' API v2 public keys: made here (the private key handed out once), or uploaded.
No Flask here.

As in Seller Central [SRC: reference/amazon-pay-v2.md §4 "The merchant registers a public key
… and gets its public key id; the private key never leaves the merchant"]: the simulator keeps
the public key only. A key made by the control API (``POST …/v2-keys``) answers its private key
PEM once, like a merchant API token (``gateway.tokens``); a merchant who made its own key pair
uploads the public key PEM instead. A merchant may have several keys (key rotation); each is
``sandbox``-, ``live``- or environment-neutral:

- ``SANDBOX-A…`` / ``LIVE-A…``: the SDKs call ``/v2/…`` and the key names the environment;
- ``A…`` (no prefix): the SDKs call ``/sandbox/v2/…`` or ``/live/v2/…``, either is accepted.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients.amazon_pay_v2.signing import load_public_key, public_key_pem
from gateway.ids import IdGenerator
from gateway.private_files import PRIVATE_FILE, private_dir
from gateway.v2.account_models import V2PublicKey

#: The environments a key may be bound to (None: neutral).
ENVIRONMENTS = ("sandbox", "live")
#: RSA key size of a key made here (what Seller Central makes, UNCONFIRMED: 2048 is what its
#: "Create keys" pages' OpenSSL instructions use).
KEY_BITS = 2048
#: The folder of the data dir that holds the private keys of seeded keys (``<id>.pem``).
SEEDED_KEYS_DIR = "v2-keys"


class InvalidPublicKey(ValueError):
    """An uploaded PEM that is not an RSA public key."""


@dataclass(frozen=True)
class KeyLookup:
    """What a signed request's public key id stands for."""

    merchant_id: int
    environment: str | None
    public_key_pem: str


def environment_of_id(public_key_id: str) -> str | None:
    """``sandbox`` or ``live`` for an environment-specific id, None for a neutral one (the SDKs'
    test: the id starts with SANDBOX or LIVE, any case; Node clientHelper.js
    ``isEnvSpecificPublicKeyId``)."""
    upper = public_key_id.upper()
    if upper.startswith("SANDBOX"):
        return "sandbox"
    if upper.startswith("LIVE"):
        return "live"
    return None


def new_private_key_pem() -> str:
    """A new RSA key pair's private key, PKCS#8 PEM (what the SDKs load)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def checked_public_key_pem(pem: str) -> str:
    """``pem`` as a ``PUBLIC KEY`` PEM; :class:`InvalidPublicKey` unless it is an RSA public key
    (``PUBLIC KEY`` or ``RSA PUBLIC KEY``)."""
    if "PUBLIC KEY-----" not in pem:
        # Never handed on as it is: the signing module reads a string without a PEM marker as
        # the path of a file.
        raise InvalidPublicKey("not a PEM public key (-----BEGIN PUBLIC KEY-----)")
    from cryptography.hazmat.primitives import serialization

    try:
        key = load_public_key(pem)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidPublicKey(f"not an RSA public key in PEM form ({exc})") from None
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def register_key(
    session: Session,
    ids: IdGenerator,
    merchant_id: int,
    public_pem: str,
    now: datetime,
    *,
    environment: str | None = "sandbox",
    name: str = "",
    public_key_id: str | None = None,
) -> V2PublicKey:
    """Register a public key of ``merchant_id``; ``public_key_id`` fixes the id (seeded data)."""
    row = V2PublicKey(
        public_key_id=public_key_id or ids.public_key_id(environment),
        merchant_id=merchant_id,
        environment=environment,
        public_key_pem=checked_public_key_pem(public_pem),
        name=name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def create_key(
    session: Session,
    ids: IdGenerator,
    merchant_id: int,
    now: datetime,
    *,
    environment: str | None = "sandbox",
    name: str = "",
    public_key_id: str | None = None,
) -> tuple[V2PublicKey, str]:
    """A new key pair of ``merchant_id``: its row and the private key PEM (never stored)."""
    private_pem = new_private_key_pem()
    row = register_key(
        session,
        ids,
        merchant_id,
        public_key_pem(private_pem),
        now,
        environment=environment,
        name=name,
        public_key_id=public_key_id,
    )
    return row, private_pem


def merchant_keys(session: Session, merchant_id: int) -> list[V2PublicKey]:
    """A merchant's keys, newest first (a merchant has few: no paging)."""
    return list(
        session.scalars(
            select(V2PublicKey)
            .where(V2PublicKey.merchant_id == merchant_id)
            .order_by(V2PublicKey.id.desc())
        )
    )


def delete_key(session: Session, merchant_id: int, public_key_id: str) -> bool:
    """Delete one of the merchant's keys (requests signed with it are refused at once); False
    if it has no such key."""
    row = session.scalar(select(V2PublicKey).where(V2PublicKey.public_key_id == public_key_id))
    if row is None or row.merchant_id != merchant_id:
        return False
    session.delete(row)
    return True


_BY_ID = select(V2PublicKey.merchant_id, V2PublicKey.environment, V2PublicKey.public_key_pem)


def lookup(session: Session, public_key_id: str) -> KeyLookup | None:
    """The merchant and public key of ``public_key_id`` (every signed v2 request reads it)."""
    row = session.execute(_BY_ID.where(V2PublicKey.public_key_id == public_key_id)).first()
    return None if row is None else KeyLookup(*row)


def seeded_key_file(data_dir: Path, public_key_id: str) -> Path:
    """Where the private key of a seeded key is (it exists only for keys made by the seed)."""
    return data_dir / SEEDED_KEYS_DIR / f"{public_key_id}.pem"


def write_private_key(data_dir: Path, public_key_id: str, pem: str) -> Path:
    """Write a seeded key's private key to :func:`seeded_key_file`: mode 0600 from the start,
    in a 0700 folder, replacing the file atomically."""
    path = seeded_key_file(data_dir, public_key_id)
    private_dir(path.parent)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(pem)
        os.chmod(temp, PRIVATE_FILE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
