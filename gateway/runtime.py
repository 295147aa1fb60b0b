"""The objects one process shares: settings, database, clock, id source. No Flask here.

Built once per process (per gunicorn worker, per ``gateway worker``, per test) and handed to
whoever needs it, never kept in module globals.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import gateway.fps  # noqa: F401  (registers the FPS tables, state kinds and due work)
from gateway.clock import Clock, SystemClock
from gateway.config import Settings
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import create_merchant, now_for
from gateway.domain.order_references import create_order_reference
from gateway.domain.records import MerchantRecord
from gateway.ids import IdGenerator
from gateway.ipn.keys import ensure_signing_key
from gateway.store import merchants
from gateway.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=IdGenerator)
    #: Per-process services made on first use (the IPN signing key and dispatcher), by name.
    services: dict[str, Any] = field(default_factory=dict)
    #: Admission of Off-Amazon Payments requests (``Settings.active_requests`` at once).
    admission: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        limit = self.settings.active_requests
        self.admission = threading.BoundedSemaphore(limit) if limit > 0 else nullcontext()

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings=settings, db=Database(settings.resolved_database_url), **kw)

    def context(
        self, session: Any, merchant: MerchantRecord, base_now: datetime | None = None
    ) -> Context:
        """An operation context at the merchant's simulated now."""
        return Context(session, merchant, now_for(merchant, base_now or self.clock.now()), self.ids)

    def initialize(self) -> bool:
        """Create tables and the IPN signing key; seed a new database from ``settings.seed_dir``.

        True when seeded.
        """
        ensure_signing_key(self.settings.data_dir)
        if not self.db.create_all() or not self.settings.seed_dir:
            return False
        seed(self, Path(self.settings.seed_dir))
        return True


def seed(runtime: Runtime, folder: Path) -> None:
    """Load ``merchants.json`` (merchants, each with ready order references) through the domain."""
    path = folder / "merchants.json"
    if not path.exists():
        log.warning("no seed file at %s", path)
        return
    document = json.loads(path.read_text(encoding="utf-8"))

    def work(session: Any) -> None:
        now = runtime.clock.now()
        for entry in document["merchants"]:
            references = entry.pop("order_references", [])
            merchant = merchants.by_seller_id(session, entry["seller_id"])
            if merchant is None:
                merchant = create_merchant(session, runtime.ids, now, **entry)
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
