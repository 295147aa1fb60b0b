"""Tokens of the sandbox control API: who a caller is. No Flask here.

Two kinds, both sent as ``Authorization: Bearer <token>``:

- **The admin token** (``gwa_…``) reaches every merchant and the whole sandbox. It is
  ``Settings.admin_token`` (``--admin-token`` / ``GATEWAY_ADMIN_TOKEN``) when set; otherwise
  ``Runtime.initialize`` generates one into the data dir (``admin-token``, mode 0600, made once
  and kept across restarts) and ``gateway serve`` prints it in its banner.
- **Merchant tokens** (``gwm_…``) reach one merchant's objects only. They are made through the
  API (``POST /sandbox/api/v1/merchants/<seller_id>/tokens``), shown once, and stored as a
  SHA-256 digest (``gateway.store.models.ApiToken``); deleting one revokes it at once.

A token is required whenever the server listens on anything but loopback, and on loopback too
with ``Settings.require_token``; without one, a loopback caller acts as the admin (what the
sandbox did before it had tokens). A token that is sent is always checked, so a merchant token
restricts a loopback caller too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.private_files import PRIVATE_FILE, private_file
from gateway.store.models import ApiToken, Merchant

ADMIN_TOKEN_FILE = "admin-token"
ADMIN_PREFIX, MERCHANT_PREFIX = "gwa_", "gwm_"
#: Characters of a token kept in clear to tell tokens apart in a list (the prefix and 8 more).
SHOWN_CHARACTERS = 12


@dataclass(frozen=True)
class Principal:
    """Who a control-API request acts as: the admin, or one merchant (``merchant_id``)."""

    merchant_id: int | None = None
    seller_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.merchant_id is None

    def may_act_for(self, seller_id: str) -> bool:
        return self.is_admin or self.seller_id == seller_id


ADMIN = Principal()


def new_token(prefix: str) -> str:
    """A new token: the prefix and 32 random bytes (43 URL-safe characters), from the OS."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def is_admin_token(presented: str, admin_token: str | None) -> bool:
    return admin_token is not None and hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), admin_token.encode()
    )


#: Built once: every control API call looks its token up.
_BY_DIGEST = (
    select(ApiToken.merchant_id, Merchant.seller_id)
    .join(Merchant, Merchant.id == ApiToken.merchant_id)
    .where(ApiToken.digest == bindparam("digest"))
)


def authenticate(session: Session, presented: str, admin_token: str | None) -> Principal | None:
    """The principal a presented token stands for, or None for an unknown or revoked one."""
    if is_admin_token(presented, admin_token):
        return ADMIN
    if not presented.startswith(MERCHANT_PREFIX) or len(presented) > 128:
        return None
    row = session.execute(_BY_DIGEST, {"digest": digest(presented)}).first()
    return None if row is None else Principal(row.merchant_id, row.seller_id)


def create_merchant_token(
    session: Session, merchant_id: int, name: str, now: datetime
) -> tuple[ApiToken, str]:
    """A new token of one merchant: its row and the token itself (shown once, never stored)."""
    token = new_token(MERCHANT_PREFIX)
    row = ApiToken(
        merchant_id=merchant_id,
        digest=digest(token),
        prefix=token[:SHOWN_CHARACTERS],
        name=name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, token


def merchant_tokens(session: Session, merchant_id: int) -> list[ApiToken]:
    """A merchant's tokens, newest first (a merchant has few: no paging)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.merchant_id == merchant_id).order_by(ApiToken.id.desc())
        )
    )


def delete_merchant_token(session: Session, merchant_id: int, token_id: int) -> bool:
    """Revoke one of the merchant's tokens; False if it has no such token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.merchant_id != merchant_id:
        return False
    session.delete(row)
    return True


def read_admin_token(data_dir: Path) -> str | None:
    """The generated admin token in ``data_dir``, if one was made."""
    try:
        text = (data_dir / ADMIN_TOKEN_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def ensure_admin_token(data_dir: Path) -> str:
    """The admin token of the data dir, generated (mode 0600) if there is none yet.

    Race-safe as the IPN key is (``gateway.ipn.keys``): a private temp file linked to the final
    name, which fails if another process linked one first.
    """
    existing = read_admin_token(data_dir)
    if existing is not None:
        private_file(data_dir / ADMIN_TOKEN_FILE)  # tightened if an older version left it open
        return existing
    fd, temp = tempfile.mkstemp(dir=data_dir, prefix=".admin-token-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_token(ADMIN_PREFIX) + "\n")
        os.chmod(temp, PRIVATE_FILE)
        with contextlib.suppress(FileExistsError):
            os.link(temp, data_dir / ADMIN_TOKEN_FILE)
    finally:
        os.unlink(temp)
    token = read_admin_token(data_dir)
    assert token is not None  # linked above, by this process or another
    return token
