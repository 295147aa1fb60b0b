"""The one id generator: Amazon-shaped identifiers from an injectable random source.

Shapes [SRC: reference/amazon-wire.md §1.4]: order references ``S01-NNNNNNN-NNNNNNN`` (sandbox),
authorizations/captures/refunds ``<order reference>-A|C|R`` + 6 digits, billing agreements
``C01-NNNNNNN-NNNNNNN`` (sandbox; ``B01-`` live), RequestId a UUID.
"""

from __future__ import annotations

import secrets
import string
import uuid
from random import Random

_ALNUM = string.ascii_uppercase + string.digits


class IdGenerator:
    """Makes ids; pass a seeded ``random.Random`` for reproducible ids in tests."""

    def __init__(self, rng: Random | None = None) -> None:
        self._rng: Random = rng or secrets.SystemRandom()

    def _digits(self, n: int) -> str:
        # One draw, not one per digit: with the system source each draw is a system call.
        return f"{self._rng.randrange(10**n):0{n}d}"

    def _alnum(self, n: int) -> str:
        return "".join(self._rng.choice(_ALNUM) for _ in range(n))

    def order_reference_id(self, sandbox: bool = True) -> str:
        return f"{'S' if sandbox else 'P'}01-{self._digits(7)}-{self._digits(7)}"

    def billing_agreement_id(self, sandbox: bool = True) -> str:
        """``C01-…`` in the sandbox, ``B01-…`` live: the official SDK tells a billing agreement
        from an order reference by that first letter (``is_billing_agreement_id``), and Amazon's
        samples show C01 with ReleaseEnvironment Sandbox, B01 with Live."""
        return f"{'C' if sandbox else 'B'}01-{self._digits(7)}-{self._digits(7)}"

    def child_id(self, order_reference_id: str, letter: str) -> str:
        """``S01-…-A123456``; ``letter`` is A (authorization), C (capture) or R (refund)."""
        return f"{order_reference_id}-{letter}{self._digits(6)}"

    def uuid(self) -> str:
        """A random (version 4) UUID from this generator's source: IPN message ids."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def request_id(self) -> str:
        return self.uuid()

    def seller_id(self) -> str:
        """Merchant ids look like Amazon's: ``A`` and 13 upper-case alphanumerics."""
        return "A" + self._alnum(13)

    def access_key(self) -> str:
        return "AKIA" + self._alnum(16)

    def secret_key(self) -> str:
        alphabet = string.ascii_letters + string.digits + "+/"
        return "".join(self._rng.choice(alphabet) for _ in range(40))

    def token(self, n: int) -> str:
        """Upper-case alphanumerics, as FPS transaction (35) and token (64) ids."""
        return self._alnum(n)

    def public_key_id(self, environment: str | None) -> str:
        """An API v2 public key id as Seller Central makes them: ``A`` and 23 upper-case
        alphanumerics, after ``SANDBOX-`` or ``LIVE-`` for an environment-specific key (the
        docs' example: ``SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B``, developer.amazon.com buyer.html)."""
        prefix = {"sandbox": "SANDBOX-", "live": "LIVE-", None: ""}[environment]
        return prefix + "A" + self._alnum(23)

    def buyer_token(self) -> str:
        """An API v2 buyer token: opaque, URL-safe (it is a path segment of Get Buyer)."""
        alphabet = string.ascii_letters + string.digits + "-_"
        return "".join(self._rng.choice(alphabet) for _ in range(64))
