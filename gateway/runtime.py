"""The objects one process shares: settings, database, clock, id and random sources, the
registry of kinds and due work, and the IPN signing key and dispatcher. No Flask here.

Built once per process (per gunicorn worker, per ``gateway worker``, per test) and handed to
whoever needs it, never kept in module globals.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any

from gateway.clock import Clock, SystemClock
from gateway.composition import build_registry
from gateway.config import Settings, ensure_data_dir
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import create_merchant, now_for
from gateway.domain.order_references import create_order_reference
from gateway.domain.records import MerchantRecord
from gateway.ids import IdGenerator
from gateway.ipn.dispatcher import Dispatcher, TransportFactory
from gateway.ipn.keys import KEY_FILE, SigningKey, certificate_pem_from_key_file, ensure_signing_key
from gateway.registry import Registry
from gateway.store import merchants
from gateway.store.db import Database
from gateway.tokens import ensure_admin_token, read_admin_token
from gateway.v2 import buyers as v2_buyers
from gateway.v2 import keys as v2_keys
from gateway.wire.journal import Journal

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=IdGenerator)
    #: Jitter (IPN retry delays), seeded from the OS; a test passes its own to pin it.
    random: Random = field(default_factory=Random)
    #: The kinds, due work, refund outcome hooks and IPN renderers (``gateway.composition``).
    registry: Registry = field(default_factory=build_registry)
    #: Waits out a latency fault rule (``gateway.faults.rules``); a test puts a recorder here.
    sleep: Callable[[float], None] = time.sleep
    #: Makes each IPN delivery thread's transport (None: over the network, ``Transport``).
    ipn_transport: TransportFactory | None = None
    #: Admission of Off-Amazon Payments requests (``Settings.active_requests`` at once).
    admission: Any = field(init=False, repr=False)
    #: The request journal of this process (``Settings.journal_size``).
    journal: Journal = field(init=False, repr=False)
    # Made on first use (properties below): a web worker never signs nor posts an IPN, and
    # making them loads cryptography and the HTTP client.
    _signing_key: SigningKey | None = field(default=None, init=False, repr=False)
    _certificate_pem: bytes | None = field(default=None, init=False, repr=False)
    _dispatcher: Dispatcher | None = field(default=None, init=False, repr=False)
    _admin_token: str | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    #: The signing key when the caller has parsed it already (a test session parses one for all
    #: its runtimes); otherwise it is loaded from the data dir on first use.
    signing_key_in_hand: InitVar[SigningKey | None] = None

    def __post_init__(self, signing_key_in_hand: SigningKey | None) -> None:
        self._signing_key = signing_key_in_hand
        limit = self.settings.active_requests
        self.admission = threading.BoundedSemaphore(limit) if limit > 0 else nullcontext()
        self.journal = Journal(self.settings.journal_size, self.db)

    @property
    def signing_key(self) -> SigningKey:
        """The IPN signing key of this sandbox (``settings.data_dir``), loaded once."""
        with self._lock:
            if self._signing_key is None:
                self._signing_key = ensure_signing_key(self.settings.data_dir)
            return self._signing_key

    @property
    def certificate_pem(self) -> bytes:
        """The signing key's certificate, read from the key file without loading cryptography."""
        with self._lock:
            pem = self._certificate_pem
        if pem is None:
            pem = certificate_pem_from_key_file(self.settings.data_dir / KEY_FILE)
            if pem is None:
                pem = self.signing_key.certificate_pem
            with self._lock:
                self._certificate_pem = pem
        return pem

    @property
    def admin_token(self) -> str | None:
        """The control API's admin token: the configured one, else the data dir's (None when
        neither exists: then only merchant tokens, or on loopback no token, get in)."""
        if self.settings.admin_token:
            return self.settings.admin_token
        with self._lock:
            if self._admin_token is None:
                self._admin_token = read_admin_token(self.settings.data_dir)
            return self._admin_token

    @property
    def dispatcher(self) -> Dispatcher:
        """The process's IPN delivery pool, made on first use."""
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(
                    self.settings.ipn_delivery_threads, self.ipn_transport
                )
            return self._dispatcher

    @property
    def started_dispatcher(self) -> Dispatcher | None:
        """The dispatcher if this process delivers IPNs (has made one), else None."""
        return self._dispatcher

    @classmethod
    def from_settings(cls, settings: Settings, *, db: Database | None = None, **kw: Any) -> Runtime:
        """The runtime of ``settings``; ``db``: a ``Database`` of its URL already made (tests
        share one across runtimes, and with it SQLAlchemy's statement cache)."""
        ensure_data_dir(settings.data_dir)
        return cls(settings=settings, db=db or Database(settings.resolved_database_url), **kw)

    def context(
        self,
        session: Any,
        merchant: MerchantRecord,
        base_now: datetime | None = None,
        *,
        live: bool = False,
    ) -> Context:
        """An operation context at the merchant's simulated now (``live``: a request on the
        live path)."""
        now = now_for(merchant, base_now or self.clock.now())
        return Context(session, merchant, now, self.ids, self.registry, live)

    def initialize(self) -> bool:
        """Create tables, the IPN signing key and (unless configured) the admin token; seed a
        new database from ``settings.seed_dir``.

        True when seeded.
        """
        ensure_signing_key(self.settings.data_dir)
        if not self.settings.admin_token:
            ensure_admin_token(self.settings.data_dir)
        if not self.db.create_all() or not self.settings.seed_dir:
            return False
        seed(self, Path(self.settings.seed_dir))
        return True


def seed(runtime: Runtime, folder: Path) -> None:
    """Load ``merchants.json`` (merchants, each with ready order references and, under ``v2``,
    its API v2 key and buyer tokens) through the domain."""
    path = folder / "merchants.json"
    if not path.exists():
        log.warning("no seed file at %s", path)
        return
    document = json.loads(path.read_text(encoding="utf-8"))

    def work(session: Any) -> None:
        now = runtime.clock.now()
        for entry in document["merchants"]:
            references = entry.pop("order_references", [])
            v2 = entry.pop("v2", None)
            merchant = merchants.by_seller_id(session, entry["seller_id"])
            if merchant is None:
                merchant = create_merchant(session, runtime.ids, now, **entry)
                if v2 is not None:
                    seed_v2(runtime, session, merchant.id, v2)
            ctx = runtime.context(session, merchant, now)
            for ref in references:
                oro = create_order_reference(
                    ctx,
                    buyer=ref["buyer"],
                    destination=ref.get("destination"),
                    payment_method=ref.get("payment_method"),
                    amount=ref.get("amount"),
                    currency=ref.get("currency_code"),
                )
                if ref.get("amazon_order_reference_id"):
                    oro.amazon_id = ref["amazon_order_reference_id"]
                    oro.due_at = None  # seeded references do not go stale

    runtime.db.run(work)


def seed_v2(runtime: Runtime, session: Any, merchant_id: int, v2: dict[str, Any]) -> None:
    """A seeded merchant's API v2 key (its private key written into the data dir, 0600, so that
    the quick start signs with it: ``gateway.v2.keys.seeded_key_file``) and buyer tokens."""
    now = runtime.clock.now()
    key_id = v2.get("public_key_id")
    if key_id:
        _, private_pem = v2_keys.create_key(
            session, runtime.ids, merchant_id, now, public_key_id=key_id, name="seeded"
        )
        v2_keys.write_private_key(runtime.settings.data_dir, key_id, private_pem)
    for token in v2.get("buyer_tokens", []):
        details = v2_buyers.details_from_sandbox(token["buyer"], token.get("shipping_address"))
        v2_buyers.issue_buyer_token(
            session, runtime.ids, merchant_id, details, now, token=token["buyer_token"]
        )
